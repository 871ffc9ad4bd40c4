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

create table public.audit_log (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  actor_id uuid references auth.users (id) on delete set null,
  action text not null,
  target_type text not null,
  target_id text,
  details jsonb not null default '{}'::jsonb
);
create index audit_log_actor_id_idx on public.audit_log (actor_id);
create index audit_log_occurred_at_idx on public.audit_log (occurred_at desc);
comment on table public.audit_log is 'Append-only record of privileged actions. Written by SQL functions only.';
alter table public.audit_log enable row level security;

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

-- Writes one audit row. Called by our security definer functions, never by clients.
create function private.audit(action text, target_type text, target_id text, details jsonb default '{}'::jsonb)
returns void
language sql
set search_path = ''
as $$
  insert into public.audit_log (actor_id, action, target_type, target_id, details)
  values (auth.uid(), audit.action, audit.target_type, audit.target_id, coalesce(audit.details, '{}'::jsonb))
$$;
revoke all on function private.audit(text, text, text, jsonb) from public;

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

grant select on public.audit_log to authenticated;
grant select on public.audit_log to service_role;

create policy "admins read the audit log"
  on public.audit_log for select to authenticated
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
