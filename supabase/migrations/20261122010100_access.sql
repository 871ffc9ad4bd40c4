-- Access: who may see and learn from a course.
--
-- The one notion of "has access to course X" (private.accessible_course_ids() /
-- private.has_course_access()): an active entitlement, being one of the course's instructors, or
-- being an admin. Every policy on course content uses it.
--
-- Entitlements come from four sources: free (a student enrols through enrol_free), purchase and
-- subscription (granted by service-side code after payment, through grant_course_access), and
-- grant (an admin's manual grant). No client can write the table: there is no client path to a
-- paid entitlement.

create type public.entitlement_source as enum ('free', 'purchase', 'subscription', 'grant');

create table public.entitlements (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  source public.entitlement_source not null,
  starts_at timestamptz not null default now(),
  ends_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text constraint entitlements_revoked_reason_length check (char_length(revoked_reason) <= 500),
  granted_by uuid references auth.users (id) on delete set null,
  external_ref text constraint entitlements_external_ref_length check (char_length(external_ref) <= 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint entitlements_period check (ends_at is null or ends_at > starts_at),
  constraint entitlements_user_course_source_key unique (user_id, course_id, source)
);
create index entitlements_course_id_idx on public.entitlements (course_id);
create index entitlements_granted_by_idx on public.entitlements (granted_by);
alter table public.entitlements enable row level security;

-- ---------------------------------------------------------------------------------------------
-- The access notion
-- ---------------------------------------------------------------------------------------------

-- An entitlement gives access between its start and end, unless revoked.
create function private.is_active(e public.entitlements) returns boolean
language sql stable
set search_path = ''
as $$
  select e.revoked_at is null and e.starts_at <= now() and (e.ends_at is null or e.ends_at > now())
$$;
revoke all on function private.is_active(public.entitlements) from public;
grant execute on function private.is_active(public.entitlements) to authenticated, service_role;

-- Courses the caller holds an active entitlement to.
create function private.entitled_course_ids() returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select e.course_id from public.entitlements e
  where e.user_id = (select auth.uid()) and private.is_active(e)
$$;

-- Courses the caller teaches (owner or co-instructor).
create function private.instructed_course_ids() returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select ci.course_id from public.course_instructors ci where ci.user_id = (select auth.uid())
$$;

-- Courses the caller has access to, admins aside: entitled or teaching.
create function private.accessible_course_ids() returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select private.entitled_course_ids()
  union
  select private.instructed_course_ids()
$$;

-- "Has access to course X": an active entitlement, an instructor of it, or an admin. The same
-- notion as accessible_course_ids(), probed for one course.
create function private.has_course_access(course_id uuid) returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select private.is_admin()
      or exists (select 1 from public.course_instructors ci
                 where ci.course_id = has_course_access.course_id and ci.user_id = (select auth.uid()))
      or exists (select 1 from public.entitlements e
                 where e.user_id = (select auth.uid()) and e.course_id = has_course_access.course_id
                   and private.is_active(e))
$$;

revoke all on function private.entitled_course_ids() from public;
revoke all on function private.instructed_course_ids() from public;
revoke all on function private.accessible_course_ids() from public;
revoke all on function private.has_course_access(uuid) from public;
grant execute on function private.entitled_course_ids() to authenticated, service_role;
grant execute on function private.instructed_course_ids() to authenticated, service_role;
grant execute on function private.accessible_course_ids() to authenticated, service_role;
grant execute on function private.has_course_access(uuid) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Policies: courses and instructors (catalog), entitlements
-- ---------------------------------------------------------------------------------------------

create policy "anyone reads published courses"
  on public.courses for select to anon
  using (status = 'published' and deleted_at is null);

create policy "users read published courses, courses they have, and what they teach; admins all"
  on public.courses for select to authenticated
  using (
    (deleted_at is null and (status = 'published' or id in (select private.entitled_course_ids())))
    or id in (select private.instructed_course_ids())
    or (select private.is_admin())
  );

create policy "instructors create their own courses"
  on public.courses for insert to authenticated
  with check ((select private.is_instructor()) and owner_id = (select auth.uid()));

create policy "instructors edit their courses; admins all"
  on public.courses for update to authenticated
  using (id in (select private.instructed_course_ids()) or (select private.is_admin()))
  with check (id in (select private.instructed_course_ids()) or (select private.is_admin()));

create policy "anyone reads the instructors of published courses"
  on public.course_instructors for select to anon
  using (course_id in (select c.id from public.courses c));

create policy "users read the instructors of courses they can see"
  on public.course_instructors for select to authenticated
  using (course_id in (select c.id from public.courses c));

grant select on public.entitlements to authenticated;
grant select, insert, update, delete on public.entitlements to service_role;

create policy "students read their entitlements; instructors their courses'; admins all"
  on public.entitlements for select to authenticated
  using (
    user_id = (select auth.uid())
    or course_id in (select private.instructed_course_ids())
    or (select private.is_admin())
  );

-- ---------------------------------------------------------------------------------------------
-- Writing entitlements: one private function, three doors
-- ---------------------------------------------------------------------------------------------

-- Creates or reactivates the (user, course, source) entitlement. Archived or deleted courses
-- take no new enrolments (an existing entitlement may still be reactivated).
create function private.upsert_entitlement(
  user_id uuid, course_id uuid, source public.entitlement_source,
  ends_at timestamptz, external_ref text, granted_by uuid
) returns uuid
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  c public.courses;
  result uuid;
begin
  if upsert_entitlement.user_id is null or upsert_entitlement.course_id is null or upsert_entitlement.source is null then
    raise exception 'user_id, course_id and source are required' using errcode = '22023';
  end if;
  if upsert_entitlement.ends_at is not null and upsert_entitlement.ends_at <= now() then
    raise exception 'ends_at must be in the future' using errcode = '22023';
  end if;
  if not exists (select 1 from auth.users u where u.id = upsert_entitlement.user_id) then
    raise exception 'user % not found', upsert_entitlement.user_id using errcode = 'P0002';
  end if;
  select * into c from public.courses where id = upsert_entitlement.course_id;
  if not found or c.deleted_at is not null then
    raise exception 'course not found' using errcode = 'P0002';
  end if;
  perform 1 from public.entitlements e
  where e.user_id = upsert_entitlement.user_id and e.course_id = upsert_entitlement.course_id
    and e.source = upsert_entitlement.source
  for update;
  if not found and c.status = 'archived' then
    raise exception 'this course is archived and takes no new enrolments'
      using errcode = 'P0001', detail = 'course_archived';
  end if;
  if not found and c.status <> 'published' then
    raise exception 'this course is not published yet' using errcode = 'P0001', detail = 'course_not_published';
  end if;

  insert into public.entitlements as e (user_id, course_id, source, ends_at, external_ref, granted_by)
  values (upsert_entitlement.user_id, upsert_entitlement.course_id, upsert_entitlement.source,
          upsert_entitlement.ends_at, upsert_entitlement.external_ref, upsert_entitlement.granted_by)
  on conflict on constraint entitlements_user_course_source_key do update
    set ends_at = excluded.ends_at,
        external_ref = coalesce(excluded.external_ref, e.external_ref),
        granted_by = coalesce(excluded.granted_by, e.granted_by),
        starts_at = case when e.revoked_at is not null or (e.ends_at is not null and e.ends_at <= now())
                         then now() else e.starts_at end,
        revoked_at = null,
        revoked_reason = null,
        updated_at = now()
  returning e.id into result;
  return result;
end;
$$;
revoke all on function private.upsert_entitlement(uuid, uuid, public.entitlement_source, timestamptz, text, uuid) from public;

-- Revokes the user's active entitlements to the course (of one source, or all). Returns how many.
create function private.revoke_entitlements(
  user_id uuid, course_id uuid, source public.entitlement_source, reason text
) returns integer
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  n integer;
begin
  if revoke_entitlements.user_id is null or revoke_entitlements.course_id is null then
    raise exception 'user_id and course_id are required' using errcode = '22023';
  end if;
  update public.entitlements e
  set revoked_at = now(), revoked_reason = revoke_entitlements.reason, updated_at = now()
  where e.user_id = revoke_entitlements.user_id and e.course_id = revoke_entitlements.course_id
    and (revoke_entitlements.source is null or e.source = revoke_entitlements.source)
    and e.revoked_at is null;
  get diagnostics n = row_count;
  return n;
end;
$$;
revoke all on function private.revoke_entitlements(uuid, uuid, public.entitlement_source, text) from public;

-- Students: enrol in a free, published course. Idempotent.
create function public.enrol_free(course_id uuid) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := auth.uid();
  c public.courses;
  existing public.entitlements;
begin
  if caller is null then
    raise exception 'sign in to enrol' using errcode = '42501';
  end if;
  select * into c from public.courses where id = enrol_free.course_id;
  if not found or c.deleted_at is not null or c.status = 'draft' then
    raise exception 'course not found' using errcode = 'P0002';
  end if;
  if not c.is_free then
    raise exception 'this course is not free' using errcode = 'P0001', detail = 'course_not_free',
      hint = 'Buy the course to get access.';
  end if;
  select * into existing from public.entitlements e
  where e.user_id = caller and e.course_id = enrol_free.course_id and e.source = 'free';
  if found and existing.revoked_at is not null then
    raise exception 'your access to this course was revoked' using errcode = 'P0001', detail = 'access_revoked';
  end if;
  if found then
    return existing.id;
  end if;
  return private.upsert_entitlement(caller, enrol_free.course_id, 'free', null, null, null);
end;
$$;
comment on function public.enrol_free(uuid) is
  'Enrols the caller in a free published course; returns the entitlement id (the same one on repeat calls).';
revoke all on function public.enrol_free(uuid) from public, anon;
grant execute on function public.enrol_free(uuid) to authenticated;

-- Service side (commerce webhooks, jobs): grant or revoke paid access. service_role only.
create function public.grant_course_access(
  user_id uuid, course_id uuid, source public.entitlement_source,
  ends_at timestamptz default null, external_ref text default null
) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
begin
  if grant_course_access.source = 'free' then
    raise exception 'free access comes from enrol_free' using errcode = '22023';
  end if;
  return private.upsert_entitlement(grant_course_access.user_id, grant_course_access.course_id,
    grant_course_access.source, grant_course_access.ends_at, grant_course_access.external_ref, null);
end;
$$;
comment on function public.grant_course_access(uuid, uuid, public.entitlement_source, timestamptz, text) is
  'Service role only: grants (or reactivates) purchase/subscription/grant access. Returns the entitlement id.';

create function public.revoke_course_access(
  user_id uuid, course_id uuid, source public.entitlement_source default null, reason text default null
) returns integer
language sql
security definer
set search_path = ''
as $$
  select private.revoke_entitlements(revoke_course_access.user_id, revoke_course_access.course_id,
    revoke_course_access.source, revoke_course_access.reason)
$$;
comment on function public.revoke_course_access(uuid, uuid, public.entitlement_source, text) is
  'Service role only: revokes the user''s active access to a course (of one source, or all). Returns how many.';

revoke all on function public.grant_course_access(uuid, uuid, public.entitlement_source, timestamptz, text) from public, anon, authenticated;
revoke all on function public.revoke_course_access(uuid, uuid, public.entitlement_source, text) from public, anon, authenticated;
grant execute on function public.grant_course_access(uuid, uuid, public.entitlement_source, timestamptz, text) to service_role;
grant execute on function public.revoke_course_access(uuid, uuid, public.entitlement_source, text) to service_role;

-- Admins: manual grants and revocations, audited.
create function public.admin_grant_course_access(user_id uuid, course_id uuid, ends_at timestamptz default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_admin('grant course access');
  result uuid;
begin
  result := private.upsert_entitlement(admin_grant_course_access.user_id, admin_grant_course_access.course_id,
    'grant', admin_grant_course_access.ends_at, null, caller);
  perform private.audit('access.granted', 'entitlement', result::text,
    jsonb_build_object('user_id', admin_grant_course_access.user_id, 'course_id', admin_grant_course_access.course_id,
                       'ends_at', admin_grant_course_access.ends_at));
  return result;
end;
$$;

create function public.admin_revoke_course_access(user_id uuid, course_id uuid, reason text default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  n integer;
begin
  perform private.require_admin('revoke course access');
  n := private.revoke_entitlements(admin_revoke_course_access.user_id, admin_revoke_course_access.course_id,
    null, admin_revoke_course_access.reason);
  perform private.audit('access.revoked', 'course', admin_revoke_course_access.course_id::text,
    jsonb_build_object('user_id', admin_revoke_course_access.user_id, 'reason', admin_revoke_course_access.reason,
                       'revoked', n));
  return n;
end;
$$;

revoke all on function public.admin_grant_course_access(uuid, uuid, timestamptz) from public, anon;
revoke all on function public.admin_revoke_course_access(uuid, uuid, text) from public, anon;
grant execute on function public.admin_grant_course_access(uuid, uuid, timestamptz) to authenticated;
grant execute on function public.admin_revoke_course_access(uuid, uuid, text) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Co-instructors: course owners and admins manage them
-- ---------------------------------------------------------------------------------------------

create function private.require_course_owner(course_id uuid) returns uuid
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := auth.uid();
begin
  if not exists (select 1 from public.courses c where c.id = require_course_owner.course_id and c.deleted_at is null) then
    raise exception 'course not found' using errcode = 'P0002';
  end if;
  if caller is null or not (
    exists (select 1 from public.courses c where c.id = require_course_owner.course_id and c.owner_id = caller)
    or exists (select 1 from public.user_roles ur where ur.user_id = caller and ur.role = 'admin')
  ) then
    raise exception 'only the course owner or an admin can manage its instructors' using errcode = '42501';
  end if;
  return caller;
end;
$$;
revoke all on function private.require_course_owner(uuid) from public;

create function public.add_course_instructor(course_id uuid, user_id uuid) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform private.require_course_owner(add_course_instructor.course_id);
  if not exists (select 1 from public.user_roles ur where ur.user_id = add_course_instructor.user_id
                 and ur.role in ('instructor', 'admin')) then
    raise exception 'that user is not an instructor' using errcode = 'P0001', detail = 'not_an_instructor',
      hint = 'An admin must grant them the instructor role first.';
  end if;
  insert into public.course_instructors (course_id, user_id, role)
  values (add_course_instructor.course_id, add_course_instructor.user_id, 'co_instructor')
  on conflict (course_id, user_id) do nothing;
  return found;
end;
$$;

create function public.remove_course_instructor(course_id uuid, user_id uuid) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform private.require_course_owner(remove_course_instructor.course_id);
  if exists (select 1 from public.courses c where c.id = remove_course_instructor.course_id
             and c.owner_id = remove_course_instructor.user_id) then
    raise exception 'the owner cannot be removed from their course' using errcode = 'P0001', detail = 'is_owner';
  end if;
  delete from public.course_instructors ci
  where ci.course_id = remove_course_instructor.course_id and ci.user_id = remove_course_instructor.user_id;
  return found;
end;
$$;

revoke all on function public.add_course_instructor(uuid, uuid) from public, anon;
revoke all on function public.remove_course_instructor(uuid, uuid) from public, anon;
grant execute on function public.add_course_instructor(uuid, uuid) to authenticated;
grant execute on function public.remove_course_instructor(uuid, uuid) to authenticated;
