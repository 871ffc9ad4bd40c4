-- Schema grants, default privileges and the extensions schema, as supabase/postgres sets them up
-- (init-scripts/00000000000000-initial-schema.sql and later grants). The default privileges are
-- created by `postgres` itself, exactly as there, so they cover objects our migrations create.
create schema if not exists extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;
-- pgjwt is not packaged by Debian and nothing here uses it; it is the one extension we leave out.

grant usage on schema public to postgres, anon, authenticated, service_role;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to dashboard_user;
grant all privileges on all tables in schema extensions to postgres with grant option;
grant all privileges on all routines in schema extensions to postgres with grant option;
grant all privileges on all sequences in schema extensions to postgres with grant option;
alter default privileges in schema extensions grant all on tables to postgres with grant option;
alter default privileges in schema extensions grant all on routines to postgres with grant option;
alter default privileges in schema extensions grant all on sequences to postgres with grant option;

alter default privileges for user supabase_admin in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for user supabase_admin in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for user supabase_admin in schema public
  grant all on functions to postgres, anon, authenticated, service_role;

set role postgres;
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;
reset role;

-- The Realtime publication starts empty; `postgres` owns it so migrations can add tables.
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;
alter publication supabase_realtime owner to postgres;

-- pg_cron, enabled the way Supabase's after-create script leaves it: `postgres` manages jobs.
create extension if not exists pg_cron with schema pg_catalog;
grant usage on schema cron to postgres with grant option;
grant all on all tables in schema cron to postgres with grant option;
grant all on all routines in schema cron to postgres with grant option;
grant all on all sequences in schema cron to postgres with grant option;

-- `supabase db lint` switches to `postgres` and runs `create extension if not exists plpgsql_check`.
-- On Supabase, supautils lets `postgres` create that privileged extension; plain PostgreSQL has no
-- supautils, so we install it here, where the dashboard would put it.
create extension if not exists plpgsql_check with schema extensions;
