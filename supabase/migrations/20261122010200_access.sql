-- Access: who may see and learn from a course.
--
-- The one notion of "has access to course X" (private.accessible_course_ids() /
-- private.has_course_access()): an active entitlement, or managing the course (being one of its
-- instructors, or an admin: private.managed_course_ids() / private.can_manage_course(), the course
-- staff migration). Every
-- policy on course content asks these helpers. A soft-deleted course drops out of them for
-- everyone but admins and its owner (the owner's trash view, from which they may restore it).
--
-- Entitlements record where access came from, with a link to its source: free (enrol_free),
-- purchase (one row per paid order: order_id), subscription (one row per subscription:
-- subscription_id), and grant (an admin's or the service's manual grant). Access is "any active
-- entitlement", so refunding one order leaves access another order paid for. One function grants
-- (private.grant_access) and one revokes (private.revoke_access), for every path. No client can
-- write the table: there is no client path to a paid entitlement.

create type public.entitlement_source as enum ('free', 'purchase', 'subscription', 'grant');

create table public.entitlements (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  source public.entitlement_source not null,
  -- The order that paid for it (source purchase); the foreign key is added by the orders migration.
  order_id uuid,
  -- The subscription that grants it (source subscription); foreign key in the subscriptions migration.
  subscription_id uuid,
  starts_at timestamptz not null default now(),
  ends_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text constraint entitlements_revoked_reason_length check (char_length(revoked_reason) <= 500),
  granted_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint entitlements_period check (ends_at is null or ends_at > starts_at),
  constraint entitlements_source_link check (
    (source = 'purchase') = (order_id is not null) and (source = 'subscription') = (subscription_id is not null))
);
-- One free and one granted entitlement per user and course; one per course for each order and
-- each subscription.
create unique index entitlements_user_course_free_grant_key on public.entitlements (user_id, course_id, source)
  where source in ('free', 'grant');
create unique index entitlements_order_course_key on public.entitlements (order_id, course_id)
  where order_id is not null;
create unique index entitlements_subscription_course_key on public.entitlements (subscription_id, course_id)
  where subscription_id is not null;
create index entitlements_user_id_course_id_idx on public.entitlements (user_id, course_id);
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

-- Courses (not deleted) the caller holds an active entitlement to.
create function private.entitled_course_ids() returns setof uuid
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return query select e.course_id from public.entitlements e join public.courses c on c.id = e.course_id
  where e.user_id = (select auth.uid()) and private.is_active(e) and c.deleted_at is null;
end;
$$;

-- Courses the caller has access to: those they manage (admins: all), and those they are
-- entitled to. An id may come twice (policies only ask `in`): no deduplication of every course
-- for admins.
create function private.accessible_course_ids() returns setof uuid
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return query select private.managed_course_ids()
  union all
  select private.entitled_course_ids();
end;
$$;

-- "Has access to course X": the same notion for one course (SQL functions).
create function private.has_course_access(course_id uuid) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return private.can_manage_course(has_course_access.course_id)
      or has_course_access.course_id in (select private.entitled_course_ids());
end;
$$;

revoke all on function private.entitled_course_ids() from public;
revoke all on function private.accessible_course_ids() from public;
revoke all on function private.has_course_access(uuid) from public;
grant execute on function private.entitled_course_ids() to authenticated, service_role;
grant execute on function private.accessible_course_ids() to authenticated, service_role;
grant execute on function private.has_course_access(uuid) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Policies: who sees courses and their instructors (catalog), entitlements
-- ---------------------------------------------------------------------------------------------

create policy "anyone reads published courses"
  on public.courses for select to anon
  using (status = 'published' and deleted_at is null);

-- The owner reads their course from the moment it exists, trashed or not (as instructed_course_ids()
-- says): supabase-js's insert(...).select() is INSERT ... RETURNING, which checks the new row
-- against this policy before the AFTER trigger has made the owner its first instructor.
create policy "users read published courses, courses they have, and what they teach; admins all"
  on public.courses for select to authenticated
  using (
    (status = 'published' and deleted_at is null)
    or id in (select private.accessible_course_ids())
    or owner_id = (select auth.uid())
  );

-- "Of courses they can see" is a subquery on courses, which runs under the courses policies above:
-- the parent's policy decides, with no second statement of it. It stays a subquery rather than a
-- helper function because Postgres plans it together with the outer query (a semi-join that uses
-- the outer filter, e.g. one index probe for `.eq('course_id', x)`); a helper, with its fixed
-- search_path, can't be inlined and would list every visible course first. Reviews, session
-- hosts, offer contents and prices, and coupon limits follow the same pattern.
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
  using (user_id = (select auth.uid()) or course_id in (select private.managed_course_ids()));

-- ---------------------------------------------------------------------------------------------
-- Granting and revoking: one function each, for every path
-- ---------------------------------------------------------------------------------------------

-- Grants access, or reactivates the entitlement from the same source (the same order, the same
-- subscription, or the user's free or granted one), and returns its id. A new free, granted or
-- subscription entitlement needs a published course (archived courses take no new enrolments); a
-- purchase is honoured whatever the course's state, because the buyer paid.
create function private.grant_access(
  user_id uuid, course_id uuid, source public.entitlement_source,
  ends_at timestamptz default null, order_id uuid default null, subscription_id uuid default null,
  granted_by uuid default null
) returns uuid
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  c public.courses;
  existing uuid;
  result uuid;
begin
  if grant_access.user_id is null or grant_access.course_id is null or grant_access.source is null then
    raise exception 'user_id, course_id and source are required' using errcode = '22023',
      detail = 'missing_argument';
  end if;
  if (grant_access.source = 'purchase') <> (grant_access.order_id is not null)
     or (grant_access.source = 'subscription') <> (grant_access.subscription_id is not null) then
    raise exception 'a purchase needs its order and a subscription entitlement its subscription'
      using errcode = '22023', detail = 'entitlement_source_mismatch';
  end if;
  if grant_access.ends_at is not null and grant_access.ends_at <= now() then
    raise exception 'ends_at must be in the future' using errcode = '22023', detail = 'ends_at_in_past';
  end if;
  if not exists (select 1 from auth.users u where u.id = grant_access.user_id) then
    raise exception 'user not found' using errcode = 'PT404', detail = 'user_not_found';
  end if;
  select * into c from public.courses where id = grant_access.course_id;
  if not found then
    raise exception 'course not found' using errcode = 'PT404', detail = 'course_not_found';
  end if;

  select e.id into existing from public.entitlements e
  where e.user_id = grant_access.user_id and e.course_id = grant_access.course_id and e.source = grant_access.source
    and e.order_id is not distinct from grant_access.order_id
    and e.subscription_id is not distinct from grant_access.subscription_id
  for update;
  if existing is null and grant_access.source <> 'purchase' then
    if c.deleted_at is not null then
      raise exception 'course not found' using errcode = 'PT404', detail = 'course_not_found';
    elsif c.status = 'archived' then
      raise exception 'this course is archived and takes no new enrolments'
        using errcode = 'P0001', detail = 'course_archived';
    elsif c.status <> 'published' then
      raise exception 'this course is not published yet' using errcode = 'P0001', detail = 'course_not_published';
    end if;
  end if;

  if existing is not null then
    update public.entitlements e
    set ends_at = grant_access.ends_at,
        granted_by = coalesce(grant_access.granted_by, e.granted_by),
        starts_at = case when e.revoked_at is not null or (e.ends_at is not null and e.ends_at <= now())
                         then now() else e.starts_at end,
        revoked_at = null,
        revoked_reason = null,
        updated_at = now()
    where e.id = existing
    returning e.id into result;
  else
    insert into public.entitlements (user_id, course_id, source, ends_at, order_id, subscription_id, granted_by)
    values (grant_access.user_id, grant_access.course_id, grant_access.source, grant_access.ends_at,
            grant_access.order_id, grant_access.subscription_id, grant_access.granted_by)
    returning id into result;
  end if;
  return result;
end;
$$;
revoke all on function private.grant_access(uuid, uuid, public.entitlement_source, timestamptz, uuid, uuid, uuid) from public;

-- Revokes the active entitlements matching every filter given: those an order granted (refund,
-- dispute), those a subscription granted (cancellation), or a user's in a course (of one source,
-- or all). At least an order, a subscription, or a user and a course. Returns how many.
create function private.revoke_access(
  reason text, order_id uuid default null, subscription_id uuid default null,
  user_id uuid default null, course_id uuid default null, source public.entitlement_source default null
) returns integer
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  n integer;
begin
  if revoke_access.order_id is null and revoke_access.subscription_id is null
     and (revoke_access.user_id is null or revoke_access.course_id is null) then
    raise exception 'revoke_access needs an order, a subscription, or a user and a course' using errcode = '22023',
      detail = 'missing_argument';
  end if;
  update public.entitlements e
  set revoked_at = now(), revoked_reason = left(revoke_access.reason, 500), updated_at = now()
  where (revoke_access.order_id is null or e.order_id = revoke_access.order_id)
    and (revoke_access.subscription_id is null or e.subscription_id = revoke_access.subscription_id)
    and (revoke_access.user_id is null or e.user_id = revoke_access.user_id)
    and (revoke_access.course_id is null or e.course_id = revoke_access.course_id)
    and (revoke_access.source is null or e.source = revoke_access.source)
    and e.revoked_at is null;
  get diagnostics n = row_count;
  return n;
end;
$$;
revoke all on function private.revoke_access(text, uuid, uuid, uuid, uuid, public.entitlement_source) from public;

-- Students: enrol in a free, published course. Idempotent.
create function public.enrol_free(course_id uuid) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := private.require_signed_in('enrol');
  c public.courses;
  existing public.entitlements;
begin
  select * into c from public.courses where id = enrol_free.course_id;
  if not found or c.deleted_at is not null or c.status = 'draft' then
    raise exception 'course not found' using errcode = 'PT404', detail = 'course_not_found';
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
  return private.grant_access(caller, enrol_free.course_id, 'free');
end;
$$;
comment on function public.enrol_free(uuid) is
  'Enrols the caller in a free published course; returns the entitlement id (the same one on repeat calls).';
revoke all on function public.enrol_free(uuid) from public, anon;
grant execute on function public.enrol_free(uuid) to authenticated;

-- Service side (jobs, integrations): a manual grant (source grant) or a revocation. Purchases and
-- subscriptions are granted only by their orders and subscriptions. service_role only.
create function public.grant_course_access(user_id uuid, course_id uuid, ends_at timestamptz default null)
returns uuid
language sql
security definer
set search_path = ''
as $$
  select private.grant_access(grant_course_access.user_id, grant_course_access.course_id, 'grant',
                              grant_course_access.ends_at)
$$;
comment on function public.grant_course_access(uuid, uuid, timestamptz) is
  'Service role only: grants (or reactivates) manual access (source grant). Returns the entitlement id.';

create function public.revoke_course_access(
  user_id uuid, course_id uuid, source public.entitlement_source default null, reason text default null
) returns integer
language plpgsql
security definer
set search_path = ''
as $$
begin
  if revoke_course_access.user_id is null or revoke_course_access.course_id is null then
    raise exception 'user_id and course_id are required' using errcode = '22023', detail = 'missing_argument';
  end if;
  return private.revoke_access(revoke_course_access.reason, user_id => revoke_course_access.user_id,
    course_id => revoke_course_access.course_id, source => revoke_course_access.source);
end;
$$;
comment on function public.revoke_course_access(uuid, uuid, public.entitlement_source, text) is
  'Service role only: revokes the user''s active access to a course (of one source, or all). Returns how many.';

revoke all on function public.grant_course_access(uuid, uuid, timestamptz) from public, anon, authenticated;
revoke all on function public.revoke_course_access(uuid, uuid, public.entitlement_source, text) from public, anon, authenticated;
grant execute on function public.grant_course_access(uuid, uuid, timestamptz) to service_role;
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
  result := private.grant_access(admin_grant_course_access.user_id, admin_grant_course_access.course_id,
    'grant', admin_grant_course_access.ends_at, granted_by => caller);
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
  if admin_revoke_course_access.user_id is null or admin_revoke_course_access.course_id is null then
    raise exception 'user_id and course_id are required' using errcode = '22023', detail = 'missing_argument';
  end if;
  n := private.revoke_access(admin_revoke_course_access.reason, user_id => admin_revoke_course_access.user_id,
    course_id => admin_revoke_course_access.course_id);
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
