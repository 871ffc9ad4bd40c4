-- Foundation: nothing a later migration creates in public is reachable through the Data API until
-- it grants it, the API roles have no USAGE on private, and pg_cron is ours (created by this
-- migration, as on a fresh Supabase project that has none).
begin;
select plan(5);

-- ---------------------------------------------------------------- secure defaults
-- Objects created here as postgres (the role migrations run as, whoever runs the tests), rolled
-- back with the test. Each check names every API role on purpose, as the grant checks in every
-- file do.
set local role postgres;
create table public.foundation_probe (id integer);
create function public.foundation_probe() returns integer language sql set search_path = '' as $$ select 1 $$;
reset role;
select ok(not has_table_privilege('anon', 'public.foundation_probe', 'select')
  and not has_table_privilege('authenticated', 'public.foundation_probe', 'select')
  and not has_table_privilege('service_role', 'public.foundation_probe', 'select'),
  'a new table in public grants nothing to the API roles');
select ok(not has_function_privilege('anon', 'public.foundation_probe()', 'execute')
  and not has_function_privilege('authenticated', 'public.foundation_probe()', 'execute')
  and not has_function_privilege('service_role', 'public.foundation_probe()', 'execute'),
  'a new function is executable by no API role, nor through PUBLIC');
select ok(not has_schema_privilege('anon', 'private', 'usage') and not has_schema_privilege('authenticated', 'private', 'usage')
  and not has_schema_privilege('service_role', 'private', 'usage'), 'the API roles have no USAGE on private');

-- ---------------------------------------------------------------- pg_cron, created by this migration
select is((select e.extnamespace::regnamespace::text || ' ' || pg_get_userbyid(e.extowner) from pg_extension e where e.extname = 'pg_cron'),
  'pg_catalog supabase_admin', 'pg_cron is recorded in pg_catalog and belongs to supabase_admin, as on Supabase');
select is((select e.xmin from pg_extension e where e.extname = 'pg_cron'),
  (select m.xmin from supabase_migrations.schema_migrations m where m.version = '20261122000000'),
  'pg_cron was created by the foundation migration, not by the platform');

select * from finish();
rollback;
