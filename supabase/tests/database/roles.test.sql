-- Roles: user_roles as each persona, the one admin rule (is_admin, is_instructor, require_admin),
-- the access token hook, grant_role/revoke_role, the audit log, and a demoted admin's token.
begin;
select plan(118);

-- Personas: admin@test.local (Ada Admin), teach@test.local and other-teach@test.local (instructors),
-- s1@test.local and s2@test.local (students); their sign-up metadata is listed in tests/setup/helpers.sql.
select tests.personas_fixture();

-- ---------------------------------------------------------------- grants
-- Grant checks look alike in every test file on purpose: each file states its own objects' grants.
select ok(has_table_privilege('authenticated', 'public.user_roles', 'select'), 'authenticated may select user_roles');
select ok(not has_table_privilege('authenticated', 'public.user_roles', 'insert')
  and not has_table_privilege('authenticated', 'public.user_roles', 'update')
  and not has_table_privilege('authenticated', 'public.user_roles', 'delete'), 'authenticated may not write user_roles');
select ok(not has_table_privilege('anon', 'public.user_roles', 'select'), 'anon may not read user_roles');
select ok(has_table_privilege('authenticated', 'public.audit_log', 'select')
  and not has_table_privilege('authenticated', 'public.audit_log', 'insert'), 'audit_log: authenticated may only select');
select ok(not has_table_privilege('anon', 'public.audit_log', 'select'), 'anon may not read the audit log');
select ok(has_function_privilege('authenticated', 'public.grant_role(uuid, public.app_role)', 'execute')
  and not has_function_privilege('anon', 'public.grant_role(uuid, public.app_role)', 'execute'),
  'grant_role: authenticated may call it, anon may not');
select ok(has_function_privilege('authenticated', 'public.revoke_role(uuid, public.app_role)', 'execute')
  and not has_function_privilege('anon', 'public.revoke_role(uuid, public.app_role)', 'execute'),
  'revoke_role: authenticated may call it, anon may not');
select ok(has_function_privilege('supabase_auth_admin', 'private.custom_access_token_hook(jsonb)', 'execute'),
  'supabase_auth_admin may run the access token hook');
select ok(not has_function_privilege('authenticated', 'private.custom_access_token_hook(jsonb)', 'execute')
  and not has_function_privilege('anon', 'private.custom_access_token_hook(jsonb)', 'execute'),
  'API roles may not run the access token hook');

-- ---------------------------------------------------------------- the access token hook
select is(tests.claims_for(tests.user_id('s1@test.local')) ->> 'user_role', 'student', 'a user with no role row gets student');
select is(tests.claims_for(tests.user_id('teach@test.local')) ->> 'user_role', 'instructor', 'an instructor gets instructor');
select is(tests.claims_for(tests.user_id('admin@test.local')) ->> 'user_role', 'admin', 'an admin gets admin');
select is(tests.claims_for(tests.user_id('teach@test.local')) ->> 'sub', tests.user_id('teach@test.local')::text,
  'the hook keeps the other claims');
select is(private.custom_access_token_hook('{"user_id":"00000000-0000-4000-8000-000000000000"}') -> 'claims' ->> 'user_role',
  'student', 'the hook is safe for an event without claims or role rows');
insert into public.user_roles (user_id, role) values (tests.user_id('teach@test.local'), 'admin');
select is(tests.claims_for(tests.user_id('teach@test.local')) ->> 'user_role', 'admin', 'the highest role wins');
delete from public.user_roles where user_id = tests.user_id('teach@test.local') and role = 'admin';

-- As Supabase Auth calls it: as supabase_auth_admin, which `postgres` may not become on Supabase,
-- so its grants and its policy are checked, and the hook is called as the test runner.
select tests.clear_authentication();
select ok(has_schema_privilege('supabase_auth_admin', 'private', 'usage')
  and has_function_privilege('supabase_auth_admin', 'private.custom_access_token_hook(jsonb)', 'execute')
  and has_table_privilege('supabase_auth_admin', 'public.user_roles', 'select'),
  'supabase_auth_admin may use private, run the hook and read user_roles');
select ok(not has_table_privilege('supabase_auth_admin', 'public.user_roles', 'insert')
  and not has_table_privilege('supabase_auth_admin', 'public.user_roles', 'update')
  and not has_table_privilege('supabase_auth_admin', 'public.user_roles', 'delete'),
  'supabase_auth_admin cannot write user_roles');
select policy_roles_are('public', 'user_roles', 'auth reads roles to build access tokens', array['supabase_auth_admin'],
  'the Auth policy on user_roles is for supabase_auth_admin only');
select is((select polcmd::text || ' ' || pg_get_expr(polqual, polrelid) from pg_policy
           where polrelid = 'public.user_roles'::regclass and polname = 'auth reads roles to build access tokens'),
  'r true', 'the Auth policy lets it select every role row, and only select');
select is(private.custom_access_token_hook(jsonb_build_object('user_id', tests.user_id('teach@test.local'), 'claims',
    '{"role":"authenticated"}'::jsonb)) -> 'claims' ->> 'user_role', 'instructor',
  'the hook, given the event Auth sends, adds the user''s role');

-- ---------------------------------------------------------------- policy helper
select ok(not has_function_privilege('anon', 'private.is_admin()', 'execute')
  and has_function_privilege('authenticated', 'private.is_admin()', 'execute'), 'is_admin(): authenticated only');
select tests.authenticate_as('admin@test.local');
select throws_ok($$ select private.is_admin() $$, '42501', 'permission denied for schema private',
  'clients cannot call policy helpers directly (policies still can)');
select tests.clear_authentication();
-- One assertion a persona, alike on purpose: each states what that persona gets here.
select tests.set_claims_of('admin@test.local');
select is(private.is_admin(), true, 'is_admin() is true for an admin''s token');
select tests.set_claims_of('teach@test.local');
select is(private.is_admin(), false, 'is_admin() is false for an instructor''s token');
select tests.clear_authentication();
select is(private.is_admin(), false, 'is_admin() is false without claims');
select ok(not has_function_privilege('authenticated', 'private.require_admin(text)', 'execute')
  and not has_function_privilege('anon', 'private.require_admin(text)', 'execute'),
  'require_admin() is for our SQL functions only');
select tests.set_claims_of('admin@test.local');
select is(private.require_admin('do x'), tests.user_id('admin@test.local'), 'require_admin() returns the admin''s id');
select tests.set_claims_of('teach@test.local');
select throws_ok($$ select private.require_admin('do x') $$, '42501', 'only admins can do x',
  'require_admin() refuses a non-admin with the action in the message');
select tests.clear_authentication();
select throws_ok($$ select private.require_admin('do x') $$,
  '42501', 'only admins can do x', 'require_admin() refuses a call without a user');

-- The one sign-in check of the RPCs and triggers students and instructors call.
select ok(not has_function_privilege('authenticated', 'private.require_signed_in(text)', 'execute')
  and not has_function_privilege('anon', 'private.require_signed_in(text)', 'execute')
  and not has_function_privilege('public', 'private.require_signed_in(text)', 'execute'),
  'require_signed_in() is for our SQL functions only');
select set_config('request.jwt.claims', tests.claims_for(tests.user_id('teach@test.local'))::text, true);
select is(private.require_signed_in('do x'), tests.user_id('teach@test.local'),
  'require_signed_in() returns the caller''s id, whatever their role');
select set_config('request.jwt.claims', '{"role":"authenticated","aud":"authenticated"}', true);
select throws_ok($$ select private.require_signed_in('do x') $$, '42501', 'sign in to do x',
  'require_signed_in() refuses a token without a user id, with the action in the message');
select is(tests.error_detail($$ select private.require_signed_in('do x') $$), 'not_signed_in',
  'and its machine code is not_signed_in');
select tests.clear_authentication();

-- The one admin rule (and the instructor rule), about any user and about the caller: read from
-- user_roles. About another user only our SQL functions may ask.
-- Spelled out per role on purpose, as the grant checks in every file are.
select ok(not has_function_privilege('anon', 'private.is_admin(uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.is_admin(uuid)', 'execute')
  and not has_function_privilege('public', 'private.is_admin(uuid)', 'execute'),
  'is_admin(user_id): no API role may ask whether someone else is an admin');
select ok(not has_function_privilege('anon', 'private.is_instructor(uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.is_instructor(uuid)', 'execute')
  and not has_function_privilege('public', 'private.is_instructor(uuid)', 'execute'),
  'is_instructor(user_id): nor whether someone else is an instructor');
select ok(has_function_privilege('authenticated', 'private.is_instructor()', 'execute')
  and not has_function_privilege('anon', 'private.is_instructor()', 'execute')
  and not has_function_privilege('public', 'private.is_instructor()', 'execute'), 'is_instructor(): authenticated only');
select is(array[private.is_admin(tests.user_id('admin@test.local')), private.is_admin(tests.user_id('teach@test.local')),
                private.is_admin(tests.user_id('s1@test.local')), private.is_admin(null)],
  array[true, false, false, false], 'is_admin(user_id): the admin only (not an instructor, a student, or no user)');
select is(array[private.is_instructor(tests.user_id('admin@test.local')), private.is_instructor(tests.user_id('teach@test.local')),
                private.is_instructor(tests.user_id('s1@test.local')), private.is_instructor(null)],
  array[true, true, false, false], 'is_instructor(user_id): instructors and admins, not students');
-- One assertion a persona, alike on purpose: each states what that persona gets here.
select tests.set_claims_of('teach@test.local');
select is(private.is_instructor(), true, 'is_instructor() is true for an instructor''s token');
select tests.set_claims_of('admin@test.local');
select is(private.is_instructor(), true, 'and for an admin''s');
select tests.set_claims_of('s1@test.local');
select is(private.is_instructor(), false, 'not for a student''s');
select tests.clear_authentication();
select is(private.is_instructor(), false, 'nor without claims (anon)');
select set_config('request.jwt.claims', jsonb_build_object('sub', tests.user_id('s1@test.local'), 'user_role', 'admin')::text, true);
select is(array[private.is_admin(), private.is_instructor()], array[false, false],
  'a user_role claim in the token makes no admin or instructor: the table decides');
select tests.clear_authentication();

-- ---------------------------------------------------------------- a demoted admin's unexpired token is no admin
-- The one admin rule, everywhere it decides: over the catalog fixture's courses and categories.
select tests.catalog_fixture();
select tests.create_user('admin2@t', 'admin');
create temporary table stale_token on commit drop as select tests.claims_for(tests.user_id('admin2@t')) as claims;
grant select on stale_token to authenticated;
select tests.authenticate_as('admin@t');
select is(public.revoke_role(tests.user_id('admin2@t'), 'admin'), true, 'admin2 is demoted');
select tests.authenticate_with_claims((select claims from stale_token));
select is(auth.jwt() ->> 'user_role', 'admin', 'their token, still valid, says admin');
select is((select count(*) from public.audit_log), 0::bigint, 'they read no audit log');
select is((select count(*) from public.entitlements), 0::bigint, 'nor other users'' entitlements');
select throws_ok($$ insert into public.categories (slug, name) values ('stale', 'Stale') $$, '42501',
  'new row violates row-level security policy for table "categories"', 'they cannot edit categories');
select throws_ok(format($$ select public.admin_grant_course_access(auth.uid(), %L) $$, tests.course_id('course-a')),
  '42501', 'only admins can grant course access', 'nor use admin RPCs');
select is(tests.affected_rows($q$ update public.courses set title = 'Taken over' where slug = 'course-a' $q$), 0::bigint,
  'nor edit courses');
select throws_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Stale admin offer', %L) $$,
  tests.course_id('course-a')), '42501', 'you can only sell your own courses', 'nor sell them');
select tests.clear_authentication();
select set_config('request.jwt.claims', (select claims from stale_token)::text, true);
select ok(not private.is_admin(), 'the one admin rule says no to the stale token');
select tests.set_claims_of('admin@t');
select ok(private.is_admin(), 'and yes to a current admin');
select tests.clear_authentication();

-- ---------------------------------------------------------------- user_roles as each persona
select tests.authenticate_as('s1@test.local');
select is((select count(*) from public.user_roles), 0::bigint, 'a student sees no role rows (has none)');
select throws_ok($$ insert into public.user_roles (user_id, role) values (auth.uid(), 'admin') $$,
  '42501', 'permission denied for table user_roles', 'a student cannot insert a role row');
select throws_ok($$ update public.user_roles set role = 'admin' $$,
  '42501', 'permission denied for table user_roles', 'a student cannot update role rows');
select tests.authenticate_as('teach@test.local');
select is((select array_agg(role::text) from public.user_roles), array['instructor'], 'an instructor sees only their own role');
select throws_ok($$ delete from public.user_roles where user_id = auth.uid() $$,
  '42501', 'permission denied for table user_roles', 'an instructor cannot delete role rows');
select tests.authenticate_as('admin@test.local');
select ok((select count(*) from public.user_roles) >= 3, 'an admin sees every role row');

-- ---------------------------------------------------------------- grant_role / revoke_role
select tests.authenticate_as('s1@test.local');
select throws_ok($$ select public.grant_role(auth.uid(), 'admin') $$, '42501', 'only admins can change roles',
  'a student cannot grant themselves admin');
select tests.authenticate_as('teach@test.local');
select throws_ok($$ select public.grant_role(tests.user_id('s1@test.local'), 'instructor') $$, '42501',
  'only admins can change roles', 'an instructor cannot grant roles');
select throws_ok($$ select public.revoke_role(tests.user_id('admin@test.local'), 'admin') $$, '42501',
  'only admins can change roles', 'an instructor cannot revoke roles');
select tests.authenticate_as_anon();
select throws_ok($$ select public.grant_role(tests.user_id('s1@test.local'), 'admin') $$,
  '42501', 'permission denied for function grant_role', 'anon cannot call grant_role');

select tests.authenticate_as('admin@test.local');
select is(public.grant_role(tests.user_id('s1@test.local'), 'instructor'), true, 'an admin grants instructor');
select is(public.grant_role(tests.user_id('s1@test.local'), 'instructor'), false, 'granting a held role is a no-op');
select throws_ok($$ select public.grant_role(tests.user_id('s1@test.local'), 'student') $$,
  '22023', 'every user is a student; grant instructor or admin instead', 'student cannot be granted (it is the default)');
select throws_ok($$ select public.grant_role('00000000-0000-4000-8000-00000000abcd', 'instructor') $$, 'PT404',
  'user 00000000-0000-4000-8000-00000000abcd not found',
  'granting to an unknown user is not found');
select throws_ok($$ select public.grant_role(null, 'instructor') $$,
  '22023', 'target_user_id and target_role are required', 'a null user is refused');
select is((select count(*) from public.audit_log where action = 'role.granted' and target_id = tests.user_id('s1@test.local')::text
  and actor_id = tests.user_id('admin@test.local') and details ->> 'role' = 'instructor'), 1::bigint,
  'the grant is audited once, with the actor');
select is(tests.claims_for(tests.user_id('s1@test.local')) ->> 'user_role', 'instructor', 'the next token carries the new role');
select is(public.revoke_role(tests.user_id('s1@test.local'), 'instructor'), true, 'an admin revokes instructor');
select is(public.revoke_role(tests.user_id('s1@test.local'), 'instructor'), false, 'revoking a role not held is a no-op');
-- Make admin@test.local the only admin (the seed may hold others); rolled back with the test.
select tests.clear_authentication();
delete from public.user_roles where role = 'admin' and user_id <> tests.user_id('admin@test.local');
select tests.authenticate_as('admin@test.local');
select throws_ok($$ select public.revoke_role(auth.uid(), 'admin') $$, 'P0001', 'cannot remove the last admin',
  'the last admin cannot be removed');
select is(public.grant_role(tests.user_id('s2@test.local'), 'admin'), true, 'an admin makes another admin');
select is(public.revoke_role(auth.uid(), 'admin'), true, 'with another admin present, an admin can step down');
-- The demoted admin still holds a token saying admin: the RPC checks user_roles, not the claim.
select throws_ok($$ select public.grant_role(tests.user_id('s1@test.local'), 'admin') $$, '42501', 'only admins can change roles',
  'a demoted admin with a stale token cannot change roles');

-- ---------------------------------------------------------------- audit log
select tests.authenticate_as('s1@test.local');
select is((select count(*) from public.audit_log), 0::bigint, 'a student reads no audit rows');
select tests.authenticate_as('s2@test.local');
select ok((select count(*) from public.audit_log where action like 'role.%') >= 4, 'an admin reads the audit log');

-- ---------------------------------------------------------------- audit log: append-only for everyone
select tests.clear_authentication();
select ok(not has_table_privilege('authenticated', 'public.audit_log', 'update')
  and not has_table_privilege('authenticated', 'public.audit_log', 'delete')
  and not has_table_privilege('authenticated', 'public.audit_log', 'truncate'), 'audit_log: authenticated may not change rows');
select ok(has_table_privilege('service_role', 'public.audit_log', 'select')
  and not has_table_privilege('service_role', 'public.audit_log', 'insert')
  and not has_table_privilege('service_role', 'public.audit_log', 'update')
  and not has_table_privilege('service_role', 'public.audit_log', 'delete')
  and not has_table_privilege('service_role', 'public.audit_log', 'truncate'), 'audit_log: service_role may only select');
select ok(not has_table_privilege('postgres', 'public.audit_log', 'update')
  and not has_table_privilege('postgres', 'public.audit_log', 'delete')
  and not has_table_privilege('postgres', 'public.audit_log', 'truncate'), 'audit_log: even its owner, postgres, holds no update, delete or truncate');
select ok(has_table_privilege('authenticated', 'public.audit_heads', 'select')
  and not has_table_privilege('authenticated', 'public.audit_heads', 'insert')
  and not has_table_privilege('service_role', 'public.audit_heads', 'update')
  and not has_table_privilege('postgres', 'public.audit_heads', 'delete')
  and not has_table_privilege('anon', 'public.audit_heads', 'select'), 'audit_heads: admins'' read-only table');
select ok(not has_function_privilege('authenticated', 'private.audit(text, text, text, jsonb, jsonb, jsonb, uuid)', 'execute')
  and not has_function_privilege('service_role', 'private.audit(text, text, text, jsonb, jsonb, jsonb, uuid)', 'execute'),
  'no API role may write audit rows directly');

select tests.authenticate_as_service_role();
select throws_ok($$ update public.audit_log set action = 'x' $$, '42501', 'permission denied for table audit_log', 'service_role cannot update');
select throws_ok($$ delete from public.audit_log $$, '42501', 'permission denied for table audit_log', 'service_role cannot delete');
select throws_ok($$ truncate public.audit_log $$, '42501', 'permission denied for table audit_log', 'service_role cannot truncate');
-- As postgres even when the runner is a superuser (the real baseline runs these as supabase_admin).
select tests.set_request('postgres', '');
select throws_ok($$ update public.audit_log set action = 'x' $$, '42501', 'permission denied for table audit_log', 'postgres cannot update');
select throws_ok($$ delete from public.audit_log $$, '42501', 'permission denied for table audit_log', 'postgres cannot delete');
select throws_ok($$ truncate public.audit_log $$, '42501', 'permission denied for table audit_log', 'postgres cannot truncate');
-- The second wall: even re-granted (the owner can), the triggers refuse. Rolled back with the test.
grant update, delete, truncate on public.audit_log to postgres, service_role;
select throws_ok($$ update public.audit_log set action = 'x' $$, '42501', 'the audit log is append-only', 'postgres, re-granted: the trigger refuses updates');
select throws_ok($$ delete from public.audit_log $$, '42501', 'the audit log is append-only', 'postgres, re-granted: the trigger refuses deletes');
select throws_ok($$ truncate public.audit_log $$, '42501', 'the audit log is append-only', 'postgres, re-granted: the trigger refuses truncate');
select is(tests.error_detail($$ delete from public.audit_log $$), 'audit_log_append_only', 'with a stable machine code');
select tests.authenticate_as_service_role();
select throws_ok($$ update public.audit_log set action = 'x' $$, '42501', 'the audit log is append-only', 'service_role, re-granted: the trigger refuses updates');
select throws_ok($$ delete from public.audit_log $$, '42501', 'the audit log is append-only', 'service_role, re-granted: the trigger refuses deletes');
select throws_ok($$ truncate public.audit_log $$, '42501', 'the audit log is append-only', 'service_role, re-granted: the trigger refuses truncate');
select tests.clear_authentication();
revoke update, delete, truncate on public.audit_log from postgres, service_role;
grant update, delete, truncate on public.audit_heads to postgres;
select throws_ok($$ truncate public.audit_heads $$, '42501', 'the audit log is append-only', 'audit_heads is append-only too');
revoke update, delete, truncate on public.audit_heads from postgres;

-- ---------------------------------------------------------------- audit log: who, what, when, which request
select tests.authenticate_as('s2@test.local');
select set_config('request.headers', '{"sb-request-id": "req-123", "x-request-id": "other"}', true);
select is(public.grant_role(tests.user_id('s1@test.local'), 'instructor'), true, 'an admin grants a role with a request id');
select is((select jsonb_build_array(actor_id, actor_role, request_id, occurred_at = now()) from public.audit_log order by id desc limit 1),
  jsonb_build_array(tests.user_id('s2@test.local'), 'authenticated', 'req-123', true),
  'the row records the user, their role, the gateway''s request id and the time');
select set_config('request.headers', '{"x-request-id": "xr-9"}', true);
select public.revoke_role(tests.user_id('s1@test.local'), 'instructor');
select is((select request_id from public.audit_log order by id desc limit 1), 'xr-9', 'x-request-id when there is no sb-request-id');
select set_config('request.headers', '', true);
select tests.set_request('postgres', '');
select private.audit('test.server', 'offer', 'o-1', '{"course_id": "00000000-0000-4000-8000-0000000000c1", "note": "n"}',
  before => '{"price": 100, "title": "A", "gone": 1}', after => '{"price": 120, "title": "A"}');
select is((select jsonb_build_array(actor_id, actor_role, request_id, course_id, details) from public.audit_log order by id desc limit 1),
  jsonb_build_array(null, 'postgres', null, '00000000-0000-4000-8000-0000000000c1',
    '{"course_id": "00000000-0000-4000-8000-0000000000c1", "note": "n",
      "changes": {"price": {"before": 100, "after": 120}, "gone": {"before": 1, "after": null}}}'::jsonb),
  'server-side work is recorded as postgres, with the course from details and the before/after of changed fields only');
-- Server-side work audits through our security definer functions, as a webhook handler would.
create function pg_temp.service_action() returns void language sql security definer set search_path = '' as $$
  select private.audit('test.service', 'order', 'o-2', course_id => '00000000-0000-4000-8000-0000000000c2') $$;
grant execute on function pg_temp.service_action() to service_role;
select tests.authenticate_as_service_role();
select pg_temp.service_action();
select is((select jsonb_build_array(actor_id, actor_role, course_id, details) from public.audit_log order by id desc limit 1),
  jsonb_build_array(null, 'service_role', '00000000-0000-4000-8000-0000000000c2', '{}'::jsonb),
  'service_role work is recorded as service_role, with the course given');
select tests.set_request('postgres', '');
insert into public.audit_log (actor_id, actor_role, action, target_type, occurred_at)
values (tests.user_id('s1@test.local'), 'admin', 'forged', 'x', now() - interval '1 year');
select is((select jsonb_build_array(actor_id, actor_role, occurred_at = now()) from public.audit_log order by id desc limit 1),
  jsonb_build_array(null, 'postgres', true), 'who and when are stamped by the trigger, never taken from the insert');

-- ---------------------------------------------------------------- audit log: the hash chain
select ok((select count(*) from public.audit_log) >= 8, 'the chain has rows to check');
select is((select count(*) from public.audit_log a
           where a.prev_hash is distinct from (select b.hash from public.audit_log b where b.id < a.id order by b.id desc limit 1)), 0::bigint,
  'each row links to the hash of the row before it');
select is(public.verify_audit_chain(), null, 'postgres: the untouched chain verifies');
select tests.authenticate_as('s2@test.local');
select is(public.verify_audit_chain(), null, 'an admin verifies the chain: intact');
select tests.authenticate_as('s1@test.local');
select throws_ok($$ select public.verify_audit_chain() $$, '42501', 'only admins can verify the audit chain', 'a student cannot verify the chain');
select tests.authenticate_as('teach@test.local');
select throws_ok($$ select public.verify_audit_chain() $$, '42501', 'only admins can verify the audit chain', 'an instructor cannot verify the chain');
select ok(not has_function_privilege('anon', 'public.verify_audit_chain(bigint, bigint)', 'execute'), 'anon cannot verify the chain');
select tests.clear_authentication();
-- Tamper as the table's owner, with the append-only trigger disabled: all rolled back with the test.
create temporary table chain_ids on commit drop as
  select (array_agg(id order by id))[3] as third, (array_agg(id order by id))[4] as fourth,
         (array_agg(id order by id))[6] as sixth, (array_agg(id order by id))[7] as seventh from public.audit_log;
alter table public.audit_log disable trigger audit_log_append_only;
grant update, delete on public.audit_log to postgres;
update public.audit_log set details = details || '{"tampered": true}' where id = (select third from chain_ids);
select is(public.verify_audit_chain(), (select third from chain_ids), 'an edited row is the first broken link');
select is(public.verify_audit_chain((select fourth from chain_ids), null), null, 'a range after the edit still verifies');
select is(public.verify_audit_chain(null, (select third from chain_ids) - 1), null, 'a range before the edit still verifies');
update public.audit_log a set hash = private.audit_row_hash(a.prev_hash, a) where id = (select third from chain_ids);
select is(public.verify_audit_chain(), (select fourth from chain_ids), 'an edited row with its hash recomputed breaks the next link');
update public.audit_log set details = details - 'tampered' where id = (select third from chain_ids);
update public.audit_log a set hash = private.audit_row_hash(a.prev_hash, a) where id = (select third from chain_ids);
select is(public.verify_audit_chain(), null, 'restored, the chain verifies again');
delete from public.audit_log where id = (select sixth from chain_ids);
select is(public.verify_audit_chain(), (select seventh from chain_ids), 'a deleted row breaks the link after it');
revoke update, delete on public.audit_log from postgres;
alter table public.audit_log enable trigger audit_log_append_only;

-- ---------------------------------------------------------------- audit log: the daily head
select is((select jsonb_build_array(last_id, hash, first_broken_id) from private.record_audit_head() h),
  (select jsonb_build_array(a.id, a.hash, (select seventh from chain_ids)) from public.audit_log a order by a.id desc limit 1),
  'the daily job records the head, and the first broken link since the previous head (none yet: from the start)');
select is((select jsonb_build_array(last_id, first_broken_id) from private.record_audit_head() h),
  (select jsonb_build_array(max(a.id), null) from public.audit_log a),
  'the next run checks only the links since the previous head');

select * from finish();
rollback;
