-- Cross-cutting (no migration of its own): the platform under every migration.
-- The platform our migrations run on is as strict as a fresh Supabase project: roles and what
-- `postgres` may do (no owner roles, supautils' privileged extensions and policy grants), the auth,
-- storage and realtime objects we use, graphql_public, and the jobs every migration schedules.
-- Passes as `postgres` (as `supabase test db` runs it) and as supabase_admin: the checks that need
-- `postgres` switch to it, and those only a non-superuser session can show are skipped otherwise.
begin;
select plan(70);

-- ---------------------------------------------------------------- roles
select results_eq($$
  select rolname::text collate "default", rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls
  from pg_roles
  where rolname in ('anon', 'authenticated', 'service_role', 'authenticator', 'postgres', 'supabase_admin',
                    'supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin', 'dashboard_user',
                    'pgbouncer', 'supabase_replication_admin', 'supabase_read_only_user')
  order by 1
$$, $$ values
  -- one row a role, alike on purpose: the expected attributes, to the letter
  ('anon', false, true, false, false, false, false, false),
  ('authenticated', false, true, false, false, false, false, false),
  ('authenticator', false, false, false, false, true, false, false),
  ('dashboard_user', false, true, true, true, false, true, false),
  ('pgbouncer', false, true, false, false, true, false, false),
  ('postgres', false, true, true, true, true, true, true),
  ('service_role', false, true, false, false, false, false, true),
  ('supabase_admin', true, true, true, true, true, true, true),
  ('supabase_auth_admin', false, false, true, false, true, false, false),
  ('supabase_read_only_user', false, true, false, false, true, false, true),
  ('supabase_realtime_admin', false, false, false, false, false, false, false),
  ('supabase_replication_admin', false, true, false, false, true, true, false),
  ('supabase_storage_admin', false, false, true, false, true, false, false)
$$, 'every Supabase role exists with its attributes (super, inherit, createrole, createdb, login, replication, bypassrls)');
select ok(pg_has_role('authenticator', 'anon', 'member') and pg_has_role('authenticator', 'authenticated', 'member')
  and pg_has_role('authenticator', 'service_role', 'member'), 'authenticator can switch to every API role');
select set_eq($$ select m.roleid::regrole::text from pg_auth_members m where m.member = 'postgres'::regrole $$,
  array['anon', 'authenticated', 'service_role', 'pg_monitor', 'pg_read_all_data', 'pg_signal_backend'],
  'postgres is a member of the API roles and pg_monitor, pg_read_all_data, pg_signal_backend only');
select ok(not pg_has_role('postgres', 'supabase_auth_admin', 'member')
  and not pg_has_role('postgres', 'supabase_storage_admin', 'member')
  and not pg_has_role('postgres', 'supabase_realtime_admin', 'member')
  and not pg_has_role('postgres', 'supabase_admin', 'member'),
  'postgres is in none of the owner roles, as on Supabase since 2025');
select case when session_user = 'postgres'
  then throws_ok('set role supabase_auth_admin', '42501', 'permission denied to set role "supabase_auth_admin"',
    'postgres cannot become supabase_auth_admin')
  else skip('the session user is a superuser, who may set any role', 1) end;
select case when session_user = 'postgres'
  then throws_ok('set role supabase_storage_admin', '42501', 'permission denied to set role "supabase_storage_admin"',
    'postgres cannot become supabase_storage_admin')
  else skip('the session user is a superuser, who may set any role', 1) end;
select case when session_user = 'postgres'
  then throws_ok('set role supabase_realtime_admin', '42501', 'permission denied to set role "supabase_realtime_admin"',
    'postgres cannot become supabase_realtime_admin')
  else skip('the session user is a superuser, who may set any role', 1) end;
select is((select pg_get_userbyid(datdba) from pg_database where datname = current_database()), 'postgres',
  'postgres owns the database');
select ok(not has_schema_privilege('postgres', 'auth', 'create') and not has_schema_privilege('postgres', 'storage', 'create')
  and not has_schema_privilege('postgres', 'realtime', 'create'), 'postgres cannot create objects in auth, storage or realtime');
select ok(has_schema_privilege('postgres', 'storage', 'usage with grant option')
  and has_schema_privilege('postgres', 'realtime', 'usage with grant option')
  and has_schema_privilege('postgres', 'auth', 'usage'), 'postgres may use auth, storage and realtime');
-- The one pgrst.* setting is the deploy step's (supabase/deploy/db_pre_request.sql): the rate-limit
-- hook, on authenticator; a database built from the migrations alone has none.
select ok(not exists (select from pg_db_role_setting s cross join unnest(s.setconfig) c where c like 'pgrst.%'
                      and (s.setrole <> 'authenticator'::regrole or c <> 'pgrst.db_pre_request=public.check_request')),
  'no pgrst.* database setting but the rate-limit hook: PostgREST takes its exposed schemas from config.toml [api]');

-- ---------------------------------------------------------------- auth
select is((select pg_get_userbyid(relowner) from pg_class where oid = 'auth.users'::regclass), 'supabase_auth_admin',
  'auth.users belongs to supabase_auth_admin');
select col_type_is('auth', 'users', 'id', 'uuid', 'auth.users.id is uuid');
select col_type_is('auth', 'users', 'email', 'character varying(255)', 'auth.users.email is varchar(255)');
select col_type_is('auth', 'users', 'raw_user_meta_data', 'jsonb', 'auth.users.raw_user_meta_data is jsonb');
select col_not_null('auth', 'users', 'is_anonymous', 'auth.users.is_anonymous is not null');
select is((select attgenerated::text from pg_attribute where attrelid = 'auth.users'::regclass and attname = 'confirmed_at'),
  's', 'auth.users.confirmed_at is a stored generated column');
select ok(not has_table_privilege('authenticated', 'auth.users', 'select'), 'authenticated cannot read auth.users');
select ok(has_table_privilege('postgres', 'auth.users', 'select with grant option')
  and has_table_privilege('postgres', 'auth.users', 'insert') and has_table_privilege('postgres', 'auth.users', 'trigger')
  and not has_table_privilege('postgres', 'auth.users', 'insert with grant option'),
  'postgres reads (with grant option), writes and adds triggers to auth.users');

select is((select pg_get_userbyid(relowner) from pg_class where oid = 'auth.identities'::regclass), 'supabase_auth_admin',
  'auth.identities belongs to supabase_auth_admin');
select columns_are('auth', 'identities', array['provider_id', 'user_id', 'identity_data', 'provider', 'last_sign_in_at',
  'created_at', 'updated_at', 'email', 'id'], 'auth.identities has the columns of supabase/auth');
select results_eq($$
  select attname::text collate "default", format_type(atttypid, atttypmod), attnotnull, attgenerated::text
  from pg_attribute where attrelid = 'auth.identities'::regclass and attnum > 0 and not attisdropped order by attnum
$$, $$ values
  ('provider_id', 'text', true, ''), ('user_id', 'uuid', true, ''), ('identity_data', 'jsonb', true, ''),
  ('provider', 'text', true, ''), ('last_sign_in_at', 'timestamp with time zone', false, ''),
  ('created_at', 'timestamp with time zone', false, ''), ('updated_at', 'timestamp with time zone', false, ''),
  ('email', 'text', false, 's'), ('id', 'uuid', true, '')
$$, 'auth.identities: types, not null, and email generated from identity_data');
select is(pg_get_expr(d.adbin, d.adrelid), 'lower((identity_data ->> ''email''::text))', 'auth.identities.email is lower(identity_data->>email)')
  from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
  where d.adrelid = 'auth.identities'::regclass and a.attname = 'email';
select col_is_pk('auth', 'identities', 'id', 'auth.identities is keyed by id');
select col_default_is('auth', 'identities', 'id', 'gen_random_uuid()', 'auth.identities.id defaults to gen_random_uuid()');
select col_is_unique('auth', 'identities', array['provider_id', 'provider'], 'one identity per provider id and provider');
select is((select confdeltype::text from pg_constraint where conname = 'identities_user_id_fkey'
           and conrelid = 'auth.identities'::regclass and confrelid = 'auth.users'::regclass), 'c',
  'auth.identities.user_id references auth.users on delete cascade');
select ok((select relrowsecurity from pg_class where oid = 'auth.identities'::regclass)
  and has_table_privilege('postgres', 'auth.identities', 'select with grant option')
  and has_table_privilege('postgres', 'auth.identities', 'insert')
  and not has_table_privilege('authenticated', 'auth.identities', 'select'),
  'auth.identities has RLS; postgres reads and writes it; authenticated cannot read it');

select set_config('request.jwt.claims',
  '{"sub":"8a3a3a1e-1111-4222-8333-944444444444","role":"authenticated","email":"a@b.co","user_role":"student"}', true);
select is(auth.uid(), '8a3a3a1e-1111-4222-8333-944444444444'::uuid, 'auth.uid() reads sub from request.jwt.claims');
select is(auth.role(), 'authenticated', 'auth.role() reads role');
select is(auth.email(), 'a@b.co', 'auth.email() reads email');
select is(auth.jwt() ->> 'user_role', 'student', 'auth.jwt() returns every claim');
select set_config('request.jwt.claim.sub', '11111111-1111-4111-8111-111111111111', true);
select is(auth.uid(), '11111111-1111-4111-8111-111111111111'::uuid,
  'the legacy request.jwt.claim.sub setting wins, as in supabase/auth');
select set_config('request.jwt.claim.sub', '', true);
select set_config('request.jwt.claims', '', true);
select is(auth.uid(), null, 'auth.uid() is null without claims');

-- ---------------------------------------------------------------- storage
select is(storage.foldername('avatars/u1/me.png'), array['avatars', 'u1'], 'storage.foldername');
select is(storage.foldername('me.png'), '{}'::text[], 'storage.foldername of a bare file name is empty');
select is(storage.filename('u1/me.png'), 'me.png', 'storage.filename');
select is(storage.extension('u1/me.tar.gz'), 'gz', 'storage.extension');
select col_type_is('storage', 'buckets', 'allowed_mime_types', 'text[]', 'storage.buckets.allowed_mime_types is text[]');
select col_type_is('storage', 'objects', 'owner_id', 'text', 'storage.objects.owner_id is text');
select throws_ok($$ delete from storage.objects where false $$, '42501',
  'Direct deletion from storage tables is not allowed. Use the Storage API instead.',
  'direct deletes from storage tables need storage.allow_delete_query, as on Supabase');

-- ---------------------------------------------------------------- realtime
select set_config('realtime.topic', 'user:abc', true);
select is(realtime.topic(), 'user:abc', 'realtime.topic() reads the realtime.topic setting');
select is((select partstrat::text from pg_partitioned_table where partrelid = 'realtime.messages'::regclass), 'r',
  'realtime.messages is range-partitioned');
select function_returns('realtime', 'send', array['jsonb', 'text', 'text', 'boolean'], 'void',
  'realtime.send(payload jsonb, event text, topic text, private boolean) returns void');
select function_returns('realtime', 'broadcast_changes',
  array['text', 'text', 'text', 'text', 'text', 'record', 'record', 'text'], 'void',
  'realtime.broadcast_changes(topic_name, event_name, operation, table_name, table_schema, new, old, level) returns void');
select is((select pg_get_function_arguments('realtime.send(jsonb, text, text, boolean)'::regprocedure)),
  'payload jsonb, event text, topic text, private boolean DEFAULT true', 'realtime.send: private defaults to true');
select ok(has_function_privilege('postgres', 'realtime.send(jsonb, text, text, boolean)', 'execute')
  and has_function_privilege('postgres', 'realtime.broadcast_changes(text, text, text, text, text, record, record, text)', 'execute'),
  'postgres may broadcast from the database');
select realtime.send('{"hello":"world"}', 'greeting', 'platform-test', false);
select results_eq($$ select extension, event, private, payload ->> 'hello', payload ? 'id' from realtime.messages
  where topic = 'platform-test' $$, $$ values ('broadcast', 'greeting', false, 'world', true) $$,
  'realtime.send writes one broadcast message, with an id in its payload');

-- ---------------------------------------------------------------- graphql_public
select has_schema('graphql_public', 'the graphql_public schema exists');
select ok(has_schema_privilege('anon', 'graphql_public', 'usage') and has_schema_privilege('authenticated', 'graphql_public', 'usage'),
  'the API roles may use graphql_public');
select is(graphql_public.graphql() -> 'errors' -> 0 ->> 'message', 'pg_graphql extension is not enabled.',
  'graphql_public.graphql() is the placeholder of a project without pg_graphql');

-- ---------------------------------------------------------------- extensions, publication, event triggers
select is((select e.extnamespace::regnamespace::text || ' ' || pg_get_userbyid(e.extowner) from pg_extension e where e.extname = 'pgcrypto'),
  'extensions postgres', 'pgcrypto lives in the extensions schema and belongs to postgres');
select ok(exists (select 1 from pg_publication where pubname = 'supabase_realtime' and pg_get_userbyid(pubowner) = 'postgres'),
  'the supabase_realtime publication exists and postgres owns it');
select set_eq($$ select evtname::text collate "default" from pg_event_trigger where evtname not like '%supautils%' $$,
  array['issue_graphql_placeholder', 'issue_pg_cron_access', 'issue_pg_graphql_access', 'issue_pg_net_access',
        'pgrst_ddl_watch', 'pgrst_drop_watch'],
  'the platform''s event triggers are those of supabase/postgres');
select ok(not exists (select from pg_extension where extname = 'plpgsql_check'),
  'plpgsql_check is not installed: a fresh project has none (supabase db lint creates it in its own transaction)');
select is((select pg_get_userbyid(extowner) from pg_extension where extname = 'pgtap'), 'supabase_admin',
  'pgtap, created by the test runner as postgres, was created as supabase_admin (supautils)');

-- ---------------------------------------------------------------- pg_cron's jobs, every migration's
select results_eq($$ select jobname::text collate "default", schedule::text, command::text, username::text, active from cron.job order by jobname $$,
  $$ values ('audit-chain-head', '7 0 * * *', 'select private.record_audit_head()', 'postgres', true),
            ('doubt-digest', '0 * * * *', 'select private.send_doubt_digests()', 'postgres', true),
            ('expire-orders', '*/10 * * * *', 'select private.expire_lapsed_orders()', 'postgres', true),
            ('expire-quiz-attempts', '* * * * *', 'select private.expire_quiz_attempts()', 'postgres', true),
            ('send-emails', '* * * * *', 'select private.call_edge_function(''send-emails'')', 'postgres', true),
            ('session-reminders', '*/5 * * * *', 'select private.enqueue_session_reminders()', 'postgres', true),
            ('sweep-rate-buckets', '17 3 * * *', 'select private.sweep_rate_buckets()', 'postgres', true),
            ('weekly-digest', '0 8 * * 1', 'select private.enqueue_weekly_digests()', 'postgres', true),
            ('zoom-sync', '* * * * *', 'select private.call_edge_function(''zoom-sync'')', 'postgres', true) $$,
  'cron.job holds every job, owned by postgres');
select ok(has_table_privilege('postgres', 'cron.job', 'select') and not has_table_privilege('postgres', 'cron.job', 'insert')
  and not has_table_privilege('postgres', 'cron.job', 'update') and has_schema_privilege('postgres', 'cron', 'usage'),
  'postgres reads cron.job but changes jobs only through cron.schedule and cron.unschedule');

-- ---------------------------------------------------------------- what postgres may do (supautils)
set local role postgres;
select lives_ok('create extension dblink with schema extensions', 'postgres may create a privileged extension (dblink)');
select is((select pg_get_userbyid(extowner) from pg_extension where extname = 'dblink'), 'supabase_admin',
  'a privileged extension is created as supabase_admin');
select ok(not has_function_privilege('postgres', 'extensions.dblink_connect_u(text)', 'execute'),
  'its after-create script ran: dblink_connect_u is for supabase_admin only');
select ok(not pg_has_role('postgres', 'supabase_admin', 'member') and current_user = 'postgres',
  'after CREATE EXTENSION postgres is itself again, with no superuser membership');
select throws_ok('create extension pageinspect', '42501', 'permission denied to create extension "pageinspect"',
  'other untrusted extensions are refused, as on Supabase');
select lives_ok($$ create policy "platform test" on storage.objects for select to authenticated using (false) $$,
  'postgres may create a policy on storage.objects (supautils policy_grants)');
select lives_ok($$ alter policy "platform test" on storage.objects using (bucket_id = 'none') $$,
  'and alter it');
select lives_ok($$ drop policy "platform test" on storage.objects $$, 'and drop it');
select lives_ok($$ create policy "platform test" on realtime.messages for select to authenticated using (false) $$,
  'postgres may create a policy on realtime.messages');
select throws_ok(
  (select format('create policy "platform test" on %s for select to authenticated using (false)', i.inhrelid::regclass)
   from pg_inherits i where i.inhparent = 'realtime.messages'::regclass order by i.inhrelid limit 1),
  '42501',
  (select format('must be owner of table %s', c.relname) from pg_inherits i join pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'realtime.messages'::regclass order by i.inhrelid limit 1),
  'but not on a platform table outside policy_grants (a realtime.messages partition)');
select throws_ok($$ create policy "platform test" on cron.job for select to authenticated using (false) $$,
  '42501', 'must be owner of table job', 'nor on cron.job');
select ok(not pg_has_role('postgres', 'supabase_storage_admin', 'member')
  and not pg_has_role('postgres', 'supabase_realtime_admin', 'member')
  and not pg_has_role('postgres', 'supabase_auth_admin', 'member'),
  'policy commands leave postgres in no owner role');
reset role;

select * from finish();
rollback;
