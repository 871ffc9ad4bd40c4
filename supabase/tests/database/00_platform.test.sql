-- The local platform bootstrap behaves like Supabase: roles, auth helpers, storage and realtime
-- helpers, extensions and grants our migrations rely on.
begin;
select plan(33);

-- Roles
select ok(not (select rolcanlogin from pg_roles where rolname = 'anon'), 'anon cannot log in');
select ok(not (select rolcanlogin from pg_roles where rolname = 'authenticated'), 'authenticated cannot log in');
select ok((select rolbypassrls from pg_roles where rolname = 'service_role'), 'service_role bypasses RLS');
select ok((select rolcanlogin and not rolinherit from pg_roles where rolname = 'authenticator'),
  'authenticator logs in and does not inherit');
select ok(pg_has_role('authenticator', 'anon', 'member') and pg_has_role('authenticator', 'authenticated', 'member')
  and pg_has_role('authenticator', 'service_role', 'member'), 'authenticator can switch to every API role');
select ok(not (select rolsuper from pg_roles where rolname = 'postgres'), 'postgres is not a superuser, as on Supabase');
select ok((select rolbypassrls from pg_roles where rolname = 'postgres'), 'postgres bypasses RLS, as on Supabase');
select is((select pg_get_userbyid(datdba) from pg_database where datname = current_database()), 'postgres',
  'postgres owns the database');

-- auth
select is((select pg_get_userbyid(relowner) from pg_class where oid = 'auth.users'::regclass), 'supabase_auth_admin',
  'auth.users belongs to supabase_auth_admin');
select col_type_is('auth', 'users', 'id', 'uuid', 'auth.users.id is uuid');
select col_type_is('auth', 'users', 'email', 'character varying(255)', 'auth.users.email is varchar(255)');
select col_type_is('auth', 'users', 'raw_user_meta_data', 'jsonb', 'auth.users.raw_user_meta_data is jsonb');
select col_not_null('auth', 'users', 'is_anonymous', 'auth.users.is_anonymous is not null');
select is((select attgenerated::text from pg_attribute where attrelid = 'auth.users'::regclass and attname = 'confirmed_at'),
  's', 'auth.users.confirmed_at is a stored generated column');
select ok(not has_table_privilege('authenticated', 'auth.users', 'select'), 'authenticated cannot read auth.users');

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

-- storage
select is(storage.foldername('avatars/u1/me.png'), array['avatars', 'u1'], 'storage.foldername');
select is(storage.foldername('me.png'), '{}'::text[], 'storage.foldername of a bare file name is empty');
select is(storage.filename('u1/me.png'), 'me.png', 'storage.filename');
select is(storage.extension('u1/me.tar.gz'), 'gz', 'storage.extension');
select col_type_is('storage', 'buckets', 'allowed_mime_types', 'text[]', 'storage.buckets.allowed_mime_types is text[]');
select col_type_is('storage', 'objects', 'owner_id', 'text', 'storage.objects.owner_id is text');
select throws_ok($$ delete from storage.objects where false $$, '42501', null,
  'direct deletes from storage tables need storage.allow_delete_query, as on Supabase');

-- realtime
select set_config('realtime.topic', 'user:abc', true);
select is(realtime.topic(), 'user:abc', 'realtime.topic() reads the realtime.topic setting');
select is((select partstrat::text from pg_partitioned_table where partrelid = 'realtime.messages'::regclass), 'r',
  'realtime.messages is range-partitioned');

-- extensions, publication, cron
select ok(exists (select 1 from pg_extension e join pg_namespace n on n.oid = e.extnamespace
  where e.extname = 'pgcrypto' and n.nspname = 'extensions'), 'pgcrypto lives in the extensions schema');
select ok(exists (select 1 from pg_publication where pubname = 'supabase_realtime' and pg_get_userbyid(pubowner) = 'postgres'),
  'the supabase_realtime publication exists and postgres owns it');
select ok(has_schema_privilege('postgres', 'cron', 'usage'), 'pg_cron is enabled and postgres may schedule jobs');

select * from finish();
rollback;
