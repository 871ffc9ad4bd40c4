-- The roles of a fresh Supabase project, with their attributes, settings and memberships as the
-- supabase/postgres image, supabase/realtime and the 2025 platform changes leave them. Runs as the
-- cluster superuser, supabase_admin (initdb -U supabase_admin). Sources, in the supabase/postgres
-- mirror unless named otherwise:
--   ansible/files/pgbouncer_config/pgbouncer_auth_schema.sql            pgbouncer
--   migrations/db/migrate.sh                                            postgres, database owner
--   migrations/db/init-scripts/00000000000000-initial-schema.sql        API roles, authenticator,
--     supabase_replication_admin, supabase_read_only_user, statement timeouts
--   migrations/db/init-scripts/00000000000001-auth-schema.sql           supabase_auth_admin
--   migrations/db/init-scripts/00000000000002-storage-schema.sql        supabase_storage_admin
--   migrations/db/init-scripts/00000000000003-post-setup.sql            dashboard_user, search_paths
--   migrations/db/migrations/10000000000000_demote-postgres.sql         postgres's final attributes
--   migrations/db/migrations/2022*..2024*                               timeouts, inherit, memberships
--   supabase/realtime priv/repo/tenant_db_dump_15.sql                   supabase_realtime_admin
-- `postgres` is a member of anon, authenticated, service_role, pg_monitor, pg_read_all_data and
-- pg_signal_backend, and of nothing else: the 2025 migration revoke_admin_roles_from_postgres took
-- supabase_auth_admin, supabase_storage_admin and supabase_realtime_admin away from it. Hosted
-- Supabase lets it manage policies on those roles' tables through supautils (05-supautils.sql).

-- pgbouncer_auth_schema.sql runs first, as supabase_admin.
do $$
begin
  if not exists (select from pg_roles where rolname = 'pgbouncer') then
    create user pgbouncer;
  end if;
end
$$;
revoke all privileges on schema public from pgbouncer;
create schema if not exists pgbouncer authorization pgbouncer;
create or replace function pgbouncer.get_auth(p_usename text)
 returns table(username text, password text)
 language plpgsql
 security definer
as $function$
BEGIN
    RAISE WARNING 'PgBouncer auth request: %', p_usename;

    RETURN QUERY
    SELECT usename::TEXT, passwd::TEXT FROM pg_catalog.pg_shadow
    WHERE usename = p_usename;
END;
$function$;
revoke all on function pgbouncer.get_auth(p_usename text) from public;
grant execute on function pgbouncer.get_auth(p_usename text) to pgbouncer;

-- Every other role, with the attributes it ends up with.
do $$
declare
  r record;
begin
  for r in
    select * from (values
      ('postgres',                   'login inherit createdb createrole replication bypassrls'),
      ('anon',                       'nologin inherit nocreaterole nocreatedb noreplication nobypassrls'),
      ('authenticated',              'nologin inherit nocreaterole nocreatedb noreplication nobypassrls'),
      ('service_role',               'nologin inherit nocreaterole nocreatedb noreplication bypassrls'),
      ('authenticator',              'login noinherit nocreaterole nocreatedb noreplication nobypassrls'),
      ('supabase_replication_admin', 'login inherit nocreaterole nocreatedb replication nobypassrls'),
      ('supabase_read_only_user',    'login inherit nocreaterole nocreatedb noreplication bypassrls'),
      ('supabase_auth_admin',        'login noinherit createrole nocreatedb noreplication nobypassrls'),
      ('supabase_storage_admin',     'login noinherit createrole nocreatedb noreplication nobypassrls'),
      ('dashboard_user',             'nologin inherit createrole createdb replication nobypassrls'),
      ('supabase_realtime_admin',    'nologin noinherit nocreaterole nocreatedb noreplication nobypassrls')
    ) as t(name, attrs)
  loop
    if not exists (select from pg_roles where rolname = r.name) then
      execute format('create role %I', r.name);
    end if;
    execute format('alter role %I nosuperuser %s', r.name, r.attrs);
  end loop;
end
$$;

-- Local-only passwords for the roles that log in here (the one `supabase start` uses).
alter role postgres password 'postgres';
alter role authenticator password 'postgres';
alter role supabase_auth_admin password 'postgres';
alter role supabase_storage_admin password 'postgres';

-- Memberships, recorded with the grantor the image records.
grant anon, authenticated, service_role to authenticator granted by postgres;
grant anon, authenticated, service_role to postgres;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;
grant pg_read_all_data to supabase_read_only_user granted by postgres;
grant authenticator to supabase_storage_admin;
grant anon, authenticated, service_role to supabase_realtime_admin;
grant set on parameter log_min_messages to supabase_realtime_admin;

-- Role settings. The image sets the two search paths with a literal "\$user" (a backslash inside
-- the quoted name), so neither path includes a schema named after the role.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_admin set search_path to "\$user", public, auth, extensions;
alter role postgres set search_path to "\$user", public, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = '60000';
alter role supabase_storage_admin set search_path = storage;
alter role supabase_realtime_admin set search_path to 'public', 'extensions', 'realtime';
-- 20220118070449_enable-safeupdate-postgrest.sql also sets authenticator's
-- session_preload_libraries to 'safeupdate', which Debian does not package: not set here.

-- migrate.sh makes postgres the database owner (so it owns `public` through pg_database_owner).
alter database postgres owner to postgres;
grant all on database postgres to postgres;
grant all on database postgres to dashboard_user;
