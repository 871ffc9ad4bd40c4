-- Roles: who may do what on the platform.
--
-- Platform roles live in user_roles, which no client can write: admins change them through
-- grant_role() and revoke_role(), and every change lands in the audit log, the append-only record
-- of privileged actions that our SQL functions write and admins read. The custom access token hook
-- copies the user's highest role into the `user_role` claim, for frontends to display; policies and
-- RPCs read user_roles itself (private.is_admin(), the one admin rule), so a role change takes
-- effect at once. The request helpers tell an API request from server-side work.

create type public.app_role as enum ('student', 'instructor', 'admin');
comment on type public.app_role is
  'Platform roles, in increasing order of privilege. Every user is a student; no row is needed for that.';

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.user_roles (
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.app_role not null
    constraint user_roles_role_not_student check (role <> 'student'),
  granted_by uuid references auth.users (id) on delete set null,
  granted_at timestamptz not null default now(),
  primary key (user_id, role)
);
create index user_roles_granted_by_idx on public.user_roles (granted_by);
comment on table public.user_roles is
  'Elevated platform roles. Written only by grant_role()/revoke_role() (admins) and service-side code.';
alter table public.user_roles enable row level security;

-- The audit log. Append-only for everyone, service_role and postgres included: no role holds an
-- UPDATE, DELETE or TRUNCATE grant (the owner, postgres, revokes its own), and triggers refuse all
-- three anyway (42501 audit_log_append_only), so re-granting is not enough either. Who, when and
-- the request id are stamped by the insert trigger, never taken from the caller. actor_id is a
-- plain uuid, not a foreign key: deleting a user must neither rewrite nor lose their audit rows.
-- course_id (no foreign key either, for the same reason) scopes a row to a course, for the
-- instructors' read policy (course_staff migration).
--
-- Tamper-evident: each row stores hash = sha256(prev_hash || its canonical content), prev_hash
-- being the hash of the row before it. The insert trigger takes a transaction-level advisory lock
-- and only then draws the row's id, so ids follow the chain and audit writes serialize until
-- their transaction ends. Audit rows are written by privileged actions (role, access, money,
-- moderation), which are rare, so the wait is acceptable; hot paths must not write audit rows.
-- public.verify_audit_chain() walks the chain; a daily cron job records the head in audit_heads.
create table public.audit_log (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  actor_id uuid,
  actor_role text not null default session_user,
  action text not null,
  target_type text not null,
  target_id text,
  course_id uuid,
  request_id text,
  details jsonb not null default '{}'::jsonb,
  prev_hash bytea,
  hash bytea not null default ''::bytea
);
create index audit_log_actor_id_idx on public.audit_log (actor_id);
create index audit_log_occurred_at_idx on public.audit_log (occurred_at desc);
create index audit_log_action_idx on public.audit_log (action, id desc);
create index audit_log_target_idx on public.audit_log (target_type, target_id);
create index audit_log_course_id_idx on public.audit_log (course_id, id desc) where course_id is not null;
comment on table public.audit_log is
  'Append-only, hash-chained record of privileged actions: who (actor_id, or actor_role when no user), what (action), '
  'which row (target_type, target_id), the course it concerns, details (with before/after of changed fields), when, '
  'and the request id. Written by SQL functions only.';
comment on column public.audit_log.actor_role is
  'The role the action ran as: authenticated for API users (see actor_id), service_role or postgres for server-side work.';
comment on column public.audit_log.request_id is
  'The gateway''s request id (sb-request-id, else x-request-id) when the action came through the API; null otherwise.';
comment on column public.audit_log.hash is 'sha256(prev_hash || canonical content); see verify_audit_chain().';
alter table public.audit_log enable row level security;

-- The chain's head, recorded daily by the audit-chain-head cron job. Copy it somewhere the
-- database's operators can't write (see docs/OPERATIONS.md): a head kept elsewhere proves the
-- rows up to it were not rewritten or cut off since.
create table public.audit_heads (
  id bigint generated always as identity primary key,
  recorded_at timestamptz not null default now(),
  last_id bigint,
  hash bytea,
  first_broken_id bigint
);
comment on table public.audit_heads is
  'Daily record of the audit chain''s head (last_id, hash), and the first broken link found since the previous head, if any.';
alter table public.audit_heads enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Policy helpers (private schema)
-- ---------------------------------------------------------------------------------------------

-- Each helper answers one question about the caller, and policies call it once per statement:
-- `(select private.f())` or `col in (select private.f())`. Helpers that others build on are
-- PL/pgSQL, not SQL: with its fixed search_path a SQL function is never inlined, so it is parsed
-- and planned again on each statement (and so is every helper it calls), while PL/pgSQL keeps its
-- plans for the life of the connection, which PostgREST reuses.

-- One admin rule for policies, RPCs and triggers alike: the user holds the admin role in user_roles
-- now. It reads the table, not the token's user_role claim (that claim is for frontends' display),
-- so a demoted admin whose token has not expired yet is no admin anywhere. Security definer
-- because it reads other users' rows (and user_roles' own read policy calls it). Only our SQL
-- functions ask it about someone else (an offer's owner, a registrant), so API roles can't
-- execute it: they would learn who the admins are.
create function private.is_admin(user_id uuid) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.user_roles ur where ur.user_id = is_admin.user_id and ur.role = 'admin');
end;
$$;

-- The same rule for the caller. Policies call it as `(select private.is_admin())`, evaluated once
-- per statement. Security definer so that it may ask the function above, which API roles can't.
create function private.is_admin() returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return private.is_admin((select auth.uid()));
end;
$$;

-- Who may create courses, offers and standalone sessions: the user holds the instructor or the
-- admin role now. For another user: our SQL functions only, as above.
create function private.is_instructor(user_id uuid) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.user_roles ur
                 where ur.user_id = is_instructor.user_id and ur.role in ('instructor', 'admin'));
end;
$$;

-- The same rule for the caller (policies: `(select private.is_instructor())`; definer as above).
create function private.is_instructor() returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return private.is_instructor((select auth.uid()));
end;
$$;

-- The role the current request runs as. API requests always run under `set role anon` or
-- `authenticated` (PostgREST does it, and so does asCaller in our functions), and that setting
-- stays the same inside security definer functions and triggers, which change only the user
-- their body runs as. Server-side work has no such role set and runs as its session user.
create function private.request_role() returns text
language sql stable
set search_path = ''
as $$
  select coalesce(nullif(current_setting('role', true), 'none'), session_user::text)
$$;

-- True when the statement runs server side rather than for an API request: service_role, or
-- postgres (migrations, the seed, the dashboard). Triggers that check what an API caller may write
-- skip their checks only when this is true, never because a claim (such as sub) is missing.
create function private.is_server_side() returns boolean
language sql stable
set search_path = ''
as $$
  select private.request_role() in ('postgres', 'service_role', 'supabase_admin')
$$;

revoke all on function private.is_admin(uuid) from public;
revoke all on function private.is_admin() from public;
revoke all on function private.is_instructor(uuid) from public;
revoke all on function private.is_instructor() from public;
revoke all on function private.request_role() from public;
revoke all on function private.is_server_side() from public;
grant execute on function private.is_admin() to authenticated, service_role;
grant execute on function private.is_instructor() to authenticated, service_role;
grant execute on function private.request_role() to authenticated, service_role;
grant execute on function private.is_server_side() to authenticated, service_role;

-- The request id of the API request being served: the gateway's sb-request-id header, else
-- x-request-id (PostgREST puts the request's headers in request.headers). Null outside a request.
create function private.request_id() returns text
language sql stable
set search_path = ''
as $$
  select left(nullif(coalesce(h ->> 'sb-request-id', h ->> 'x-request-id'), ''), 200)
  from (select nullif(current_setting('request.headers', true), '')::jsonb as h) r
$$;
revoke all on function private.request_id() from public;

-- The fields that differ between two versions of a row: {"field": {"before": .., "after": ..}}.
create function private.changed_fields(before jsonb, after jsonb) returns jsonb
language sql immutable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(k, jsonb_build_object('before', changed_fields.before -> k, 'after', changed_fields.after -> k)), '{}'::jsonb)
  from (select jsonb_object_keys(coalesce(changed_fields.before, '{}'::jsonb)) k
        union select jsonb_object_keys(coalesce(changed_fields.after, '{}'::jsonb))) keys
  where (changed_fields.before -> k) is distinct from (changed_fields.after -> k)
$$;
revoke all on function private.changed_fields(jsonb, jsonb) from public;

-- Writes one audit row. Called by our security definer functions, never by clients. Pass before and
-- after (the row as jsonb, e.g. to_jsonb(old) and to_jsonb(new)) for an edit: details.changes gets
-- the before and after of the fields that changed. The course is course_id, else details.course_id.
create function private.audit(action text, target_type text, target_id text, details jsonb default '{}'::jsonb,
                              before jsonb default null, after jsonb default null, course_id uuid default null)
returns void
language sql
set search_path = ''
as $$
  insert into public.audit_log (action, target_type, target_id, course_id, details)
  values (audit.action, audit.target_type, audit.target_id,
          coalesce(audit.course_id, (audit.details ->> 'course_id')::uuid),
          coalesce(audit.details, '{}'::jsonb)
            || case when audit.before is null and audit.after is null then '{}'::jsonb
                    else jsonb_build_object('changes', private.changed_fields(audit.before, audit.after)) end)
$$;
revoke all on function private.audit(text, text, text, jsonb, jsonb, jsonb, uuid) from public;

-- The canonical content a row's hash covers: every column but the hashes, as a jsonb array's text
-- (jsonb prints keys in a fixed order), the time in UTC whatever the session's time zone.
create function private.audit_row_hash(prev_hash bytea, r public.audit_log) returns bytea
language sql immutable
set search_path = ''
as $$
  select sha256(coalesce(audit_row_hash.prev_hash, ''::bytea) || convert_to(jsonb_build_array(
    r.id, to_char(r.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), r.actor_id, r.actor_role,
    r.action, r.target_type, r.target_id, r.course_id, r.request_id, r.details)::text, 'UTF8'))
$$;
revoke all on function private.audit_row_hash(bytea, public.audit_log) from public;

-- Stamps who, when and the request, and links the row into the chain (see the table's comment).
create function private.audit_log_stamp() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform pg_advisory_xact_lock(hashtext('public.audit_log chain'));
  new.id := nextval(pg_get_serial_sequence('public.audit_log', 'id'));
  new.occurred_at := now();
  new.actor_id := auth.uid();
  new.actor_role := private.request_role();
  new.request_id := private.request_id();
  new.prev_hash := (select a.hash from public.audit_log a order by a.id desc limit 1);
  new.hash := private.audit_row_hash(new.prev_hash, new);
  return new;
end;
$$;
revoke all on function private.audit_log_stamp() from public;

create function private.refuse_audit_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'the audit log is append-only' using errcode = '42501', detail = 'audit_log_append_only';
end;
$$;
revoke all on function private.refuse_audit_change() from public;

create trigger audit_log_stamp before insert on public.audit_log
  for each row execute function private.audit_log_stamp();
create trigger audit_log_append_only before update or delete on public.audit_log
  for each row execute function private.refuse_audit_change();
create trigger audit_log_no_truncate before truncate on public.audit_log
  for each statement execute function private.refuse_audit_change();
create trigger audit_heads_append_only before update or delete on public.audit_heads
  for each row execute function private.refuse_audit_change();
create trigger audit_heads_no_truncate before truncate on public.audit_heads
  for each statement execute function private.refuse_audit_change();

-- Raises 42501 unless the caller is an admin (private.is_admin()), and returns the caller's id.
-- Admin RPCs call it first.
create function private.require_admin(action text) returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
begin
  if caller is null or not private.is_admin() then
    raise exception 'only admins can %', require_admin.action using errcode = '42501', detail = 'admin_only';
  end if;
  return caller;
end;
$$;
revoke all on function private.require_admin(text) from public;

-- Raises 42501 unless the request carries a user (a token with a sub), and returns the caller's
-- id. RPCs and triggers a student or instructor calls ask it first: 'sign in to <action>'.
create function private.require_signed_in(action text) returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
begin
  if caller is null then
    raise exception 'sign in to %', require_signed_in.action using errcode = '42501', detail = 'not_signed_in';
  end if;
  return caller;
end;
$$;
revoke all on function private.require_signed_in(text) from public;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

grant select on public.user_roles to authenticated;
grant select, insert, update, delete on public.user_roles to service_role;

create policy "users read their own roles; admins read all"
  on public.user_roles for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

revoke all on public.audit_log from public, anon, authenticated, service_role;
revoke update, delete, truncate on public.audit_log from postgres;
grant select on public.audit_log to authenticated;
grant select on public.audit_log to service_role;
revoke all on public.audit_heads from public, anon, authenticated, service_role;
revoke update, delete, truncate on public.audit_heads from postgres;
grant select on public.audit_heads to authenticated, service_role;

create policy "admins read the audit log"
  on public.audit_log for select to authenticated
  using ((select private.is_admin()));

create policy "admins read the audit heads"
  on public.audit_heads for select to authenticated
  using ((select private.is_admin()));

-- ---------------------------------------------------------------------------------------------
-- Custom access token hook (Supabase Auth calls it as supabase_auth_admin before issuing a token)
-- ---------------------------------------------------------------------------------------------

create function private.custom_access_token_hook(event jsonb) returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
  top_role public.app_role;
begin
  select max(ur.role) into top_role
  from public.user_roles ur
  where ur.user_id = (event ->> 'user_id')::uuid;

  claims := jsonb_set(claims, '{user_role}', to_jsonb(coalesce(top_role, 'student')::text));
  return jsonb_set(event, '{claims}', claims);
end;
$$;
comment on function private.custom_access_token_hook(jsonb) is
  'Auth hook: adds the user_role claim (admin, instructor or student) to every access token.';

revoke all on function private.custom_access_token_hook(jsonb) from public, anon, authenticated;
grant usage on schema private to supabase_auth_admin;
grant execute on function private.custom_access_token_hook(jsonb) to supabase_auth_admin;
grant select on public.user_roles to supabase_auth_admin;

create policy "auth reads roles to build access tokens"
  on public.user_roles for select to supabase_auth_admin
  using (true);

-- ---------------------------------------------------------------------------------------------
-- RPCs: admins grant and revoke roles
-- ---------------------------------------------------------------------------------------------

create function public.grant_role(target_user_id uuid, target_role public.app_role) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_admin('change roles');
begin
  if target_user_id is null or target_role is null then
    raise exception 'target_user_id and target_role are required' using errcode = '22023',
      detail = 'missing_argument';
  end if;
  if target_role = 'student' then
    raise exception 'every user is a student; grant instructor or admin instead'
      using errcode = '22023', detail = 'student_role_implicit';
  end if;
  if not exists (select 1 from auth.users u where u.id = target_user_id) then
    raise exception 'user % not found', target_user_id using errcode = 'PT404', detail = 'user_not_found';
  end if;

  insert into public.user_roles (user_id, role, granted_by)
  values (target_user_id, target_role, caller)
  on conflict (user_id, role) do nothing;
  if not found then
    return false; -- already held
  end if;

  perform private.audit('role.granted', 'user', target_user_id::text,
    jsonb_build_object('role', target_role));
  return true;
end;
$$;
comment on function public.grant_role(uuid, public.app_role) is
  'Admins only. Gives a user the instructor or admin role. Returns false if the user already had it.';

create function public.revoke_role(target_user_id uuid, target_role public.app_role) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_admin('change roles');
  if target_user_id is null or target_role is null then
    raise exception 'target_user_id and target_role are required' using errcode = '22023',
      detail = 'missing_argument';
  end if;
  if target_role = 'student' then
    raise exception 'the student role cannot be revoked' using errcode = '22023',
      detail = 'student_role_implicit';
  end if;

  if target_role = 'admin' then
    -- Serialize admin removals so two admins can't demote each other into a platform with none.
    perform 1 from public.user_roles ur where ur.role = 'admin' for update;
    if (select count(*) from public.user_roles ur where ur.role = 'admin' and ur.user_id <> target_user_id) = 0 then
      raise exception 'cannot remove the last admin'
        using errcode = 'P0001', detail = 'last_admin', hint = 'Grant the admin role to someone else first.';
    end if;
  end if;

  delete from public.user_roles ur where ur.user_id = target_user_id and ur.role = target_role;
  if not found then
    return false; -- did not hold it
  end if;

  perform private.audit('role.revoked', 'user', target_user_id::text,
    jsonb_build_object('role', target_role));
  return true;
end;
$$;
comment on function public.revoke_role(uuid, public.app_role) is
  'Admins only. Removes the instructor or admin role. Refuses to remove the last admin.';

revoke all on function public.grant_role(uuid, public.app_role) from public, anon;
revoke all on function public.revoke_role(uuid, public.app_role) from public, anon;
grant execute on function public.grant_role(uuid, public.app_role) to authenticated;
grant execute on function public.revoke_role(uuid, public.app_role) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The audit chain: verify it, record its head daily
-- ---------------------------------------------------------------------------------------------

-- Walks the chain from from_id to to_id (null: its start, its end) and returns the id of the first
-- row whose prev_hash is not the previous row's hash or whose hash does not match its content:
-- an edited row breaks at itself, a deleted or inserted one at the row after it. Null when intact.
-- Admins only, and server-side work (the cron job, monitoring).
create function public.verify_audit_chain(from_id bigint default null, to_id bigint default null) returns bigint
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  prev bytea;
  r public.audit_log;
begin
  if not private.is_server_side() then
    perform private.require_admin('verify the audit chain');
  end if;
  prev := (select a.hash from public.audit_log a where a.id < coalesce(verify_audit_chain.from_id, 0)
           order by a.id desc limit 1);
  for r in select * from public.audit_log a
           where a.id >= coalesce(verify_audit_chain.from_id, 0)
             and (verify_audit_chain.to_id is null or a.id <= verify_audit_chain.to_id)
           order by a.id
  loop
    if r.prev_hash is distinct from prev or r.hash is distinct from private.audit_row_hash(prev, r) then
      return r.id;
    end if;
    prev := r.hash;
  end loop;
  return null;
end;
$$;
comment on function public.verify_audit_chain(bigint, bigint) is
  'Admins only. The id of the first broken link of the audit chain between from_id and to_id (inclusive), or null.';
revoke all on function public.verify_audit_chain(bigint, bigint) from public, anon;
grant execute on function public.verify_audit_chain(bigint, bigint) to authenticated, service_role;

-- The daily job: records the head, and checks the links added since the previous head.
create function private.record_audit_head() returns public.audit_heads
language plpgsql
security definer
set search_path = ''
as $$
declare
  last_head public.audit_heads;
  result public.audit_heads;
begin
  select * into last_head from public.audit_heads h order by h.id desc limit 1;
  insert into public.audit_heads (last_id, hash, first_broken_id)
  select a.id, a.hash, public.verify_audit_chain(last_head.last_id, a.id)
  from (select 1) one left join lateral (select x.id, x.hash from public.audit_log x order by x.id desc limit 1) a on true
  returning * into result;
  return result;
end;
$$;
revoke all on function private.record_audit_head() from public;

select cron.schedule('audit-chain-head', '7 0 * * *', 'select private.record_audit_head()');
