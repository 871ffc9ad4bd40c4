-- pgTAP helpers for the whole project, installed by `npm test` into the test database before
-- pg_prove runs (never by a migration). Personas are real auth.users rows; their claims are
-- built the way Supabase Auth builds an access token, including our custom access token hook.
create extension if not exists pgtap with schema extensions;

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role, supabase_auth_admin;

-- A user (with its profile, via the sign-up trigger) holding `role`. Returns the user id.
create or replace function tests.create_user(
  email text,
  role public.app_role default 'student',
  metadata jsonb default '{}'::jsonb
) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  uid uuid := gen_random_uuid();
begin
  insert into auth.users (
    instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
    raw_app_meta_data, raw_user_meta_data, created_at, updated_at
  ) values (
    '00000000-0000-0000-0000-000000000000', uid, 'authenticated', 'authenticated', create_user.email, '',
    now(), '{"provider":"email","providers":["email"]}', create_user.metadata, now(), now()
  );
  if create_user.role <> 'student' then
    insert into public.user_roles (user_id, role) values (uid, create_user.role);
  end if;
  return uid;
end $$;

create or replace function tests.user_id(email text) returns uuid
language sql stable security definer set search_path = '' as $$
  select u.id from auth.users u where u.email = user_id.email
$$;

-- The claims of an access token for the user, after the custom access token hook.
create or replace function tests.claims_for(user_id uuid) returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  u auth.users;
  now_s bigint := extract(epoch from now())::bigint;
begin
  select * into strict u from auth.users where id = claims_for.user_id;
  return private.custom_access_token_hook(jsonb_build_object(
    'user_id', u.id,
    'authentication_method', 'password',
    'claims', jsonb_build_object(
      'iss', 'http://127.0.0.1:54321/auth/v1', 'aud', 'authenticated', 'sub', u.id,
      'iat', now_s, 'exp', now_s + 3600, 'email', coalesce(u.email, ''), 'phone', coalesce(u.phone, ''),
      'role', 'authenticated', 'aal', 'aal1', 'session_id', gen_random_uuid(), 'is_anonymous', false,
      'app_metadata', coalesce(u.raw_app_meta_data, '{}'), 'user_metadata', coalesce(u.raw_user_meta_data, '{}'),
      'amr', jsonb_build_array(jsonb_build_object('method', 'password', 'timestamp', now_s))
    )
  )) -> 'claims';
end $$;

-- Act as a signed-in user (by id or email), exactly as PostgREST runs a request: role + claims.
create or replace function tests.authenticate_as(user_id uuid) returns void
language plpgsql set search_path = '' as $$
declare
  claims jsonb := tests.claims_for(authenticate_as.user_id);
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims', claims::text, true);
end $$;

create or replace function tests.authenticate_as(email text) returns void
language sql set search_path = '' as $$
  select tests.authenticate_as(tests.user_id(authenticate_as.email))
$$;

create or replace function tests.authenticate_as_anon() returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', '{"role":"anon","iss":"supabase-demo"}', true);
end $$;

create or replace function tests.authenticate_as_service_role() returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', '{"role":"service_role","iss":"supabase-demo"}', true);
end $$;

-- Back to the test runner's own role, with no claims.
create or replace function tests.clear_authentication() returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', '', true);
end $$;

-- Runs a statement as the current role and returns how many rows it touched (RLS-filtered
-- updates and deletes touch zero rows rather than failing).
create or replace function tests.affected_rows(statement text) returns bigint
language plpgsql set search_path = '' as $$
declare
  n bigint;
begin
  execute statement;
  get diagnostics n = row_count;
  return n;
end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role, supabase_auth_admin;
