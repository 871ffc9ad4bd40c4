-- Foundation: secure defaults every later migration relies on.
--
-- Supabase grants anon, authenticated and service_role ALL on every new table, sequence and
-- function that `postgres` creates in `public`, and PUBLIC may execute every new function. We turn
-- both off, so nothing is reachable through the Data API until its migration grants it on purpose.
--
-- Errors reach clients through PostgREST, which picks the HTTP status from the SQLSTATE: 42501
-- (401 for anon, 403 otherwise), 22023 and 23514 (400), 23505 and 23503 (409), P0001 for a business
-- rule (400), and PT404 for "not found" (404). Never P0002 or another P0xxx: PostgREST answers those
-- with 500. Every `raise` also carries a stable machine code in DETAIL (`detail = 'snake_case'`,
-- what supabase-js shows as `error.details`); docs/API.md's error tables are generated from them.
--
-- The `private` schema holds what policies and Auth call but clients must never reach through
-- the API: policy helpers, triggers, the access-token hook. API roles get no USAGE on it; a
-- policy calling a helper needs only EXECUTE on that function.

alter default privileges for role postgres in schema public
  revoke all on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke all on sequences from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke all on functions from anon, authenticated, service_role;
alter default privileges for role postgres
  revoke execute on functions from public;

create schema if not exists private;
revoke all on schema private from public;
comment on schema private is
  'Policy helpers, triggers and hooks. Not exposed through the API; API roles have no USAGE here.';

-- pg_cron, created here because a fresh Supabase project has no pg_cron until a migration (or the
-- dashboard) enables it. Supabase records it in pg_catalog whatever schema is named; the grants are
-- the ones Supabase's docs recommend (https://supabase.com/docs/guides/cron/install). On Supabase
-- `postgres` may read cron.job but not write it: jobs are managed with cron.schedule/unschedule.
create extension if not exists pg_cron with schema pg_catalog;
grant usage on schema cron to postgres;
grant all privileges on all tables in schema cron to postgres;
