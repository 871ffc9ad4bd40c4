-- Access: entitlements, the has-access notion, enrol_free, service and admin grants.
begin;
select plan(45);
select tests.catalog_fixture();

-- ---------------------------------------------------------------- grants: no client writes entitlements
select ok(has_table_privilege('authenticated', 'public.entitlements', 'select'), 'authenticated may select entitlements');
select ok(not has_table_privilege('authenticated', 'public.entitlements', 'insert')
  and not has_table_privilege('authenticated', 'public.entitlements', 'update')
  and not has_table_privilege('authenticated', 'public.entitlements', 'delete'), 'authenticated may not write entitlements');
select ok(not has_table_privilege('anon', 'public.entitlements', 'select'), 'anon may not read entitlements');
select ok(not has_function_privilege('authenticated', 'public.grant_course_access(uuid, uuid, public.entitlement_source, timestamptz, text)', 'execute')
  and not has_function_privilege('anon', 'public.grant_course_access(uuid, uuid, public.entitlement_source, timestamptz, text)', 'execute'),
  'grant_course_access is not callable by clients');
select ok(has_function_privilege('service_role', 'public.grant_course_access(uuid, uuid, public.entitlement_source, timestamptz, text)', 'execute'),
  'grant_course_access is callable by service_role');
select ok(not has_function_privilege('authenticated', 'public.revoke_course_access(uuid, uuid, public.entitlement_source, text)', 'execute'),
  'revoke_course_access is not callable by clients');
select ok(not has_function_privilege('anon', 'public.enrol_free(uuid)', 'execute'), 'anon cannot enrol');

-- ---------------------------------------------------------------- every client path to a paid entitlement is closed
select tests.authenticate_as('none@t');
select throws_ok(format($$ insert into public.entitlements (user_id, course_id, source) values (auth.uid(), %L, 'purchase') $$,
  tests.course_id('course-a')), '42501', null, 'a student cannot insert an entitlement');
select throws_ok($$ update public.entitlements set revoked_at = null $$, '42501', null, 'a student cannot update entitlements');
select throws_ok(format($$ select public.grant_course_access(auth.uid(), %L, 'purchase') $$, tests.course_id('course-a')),
  '42501', null, 'a student cannot call grant_course_access');
select throws_ok(format($$ select public.enrol_free(%L) $$, tests.course_id('course-a')), 'P0001', 'this course is not free',
  'enrol_free refuses a paid course');
select throws_ok(format($$ select public.admin_grant_course_access(auth.uid(), %L) $$, tests.course_id('course-a')),
  '42501', 'only admins can grant course access', 'a student cannot use the admin grant');
select tests.authenticate_as('own@t');
select throws_ok(format($$ select public.admin_grant_course_access(%L, %L) $$, tests.user_id('none@t'), tests.course_id('course-a')),
  '42501', null, 'the course''s instructor cannot grant access either');
select tests.authenticate_as('admin@t');
select throws_ok(format($$ insert into public.entitlements (user_id, course_id, source) values (auth.uid(), %L, 'purchase') $$,
  tests.course_id('course-a')), '42501', null, 'even an admin cannot insert entitlements directly');
select tests.authenticate_as_anon();
select throws_ok(format($$ select public.enrol_free(%L) $$, tests.course_id('course-b')), '42501', null, 'anon cannot enrol');
select tests.clear_authentication();
select is((select count(*) from public.entitlements where user_id = tests.user_id('none@t')), 0::bigint,
  'after all that, none@t still has no entitlement');

-- ---------------------------------------------------------------- reading entitlements
select tests.authenticate_as('ent@t');
select is((select count(*) from public.entitlements), 1::bigint, 'a student reads only their own entitlements');
select tests.authenticate_as('own@t');
select is((select count(*) from public.entitlements where course_id = tests.course_id('course-a')), 2::bigint,
  'the instructor reads their course''s entitlements');
select tests.authenticate_as('other@t');
select is((select count(*) from public.entitlements where course_id = tests.course_id('course-a')), 0::bigint,
  'another instructor reads none of them');
select tests.authenticate_as('admin@t');
select ok((select count(*) from public.entitlements) >= 2, 'an admin reads all');

-- ---------------------------------------------------------------- has_course_access per persona
select tests.clear_authentication();
select set_config('request.jwt.claims', tests.claims_for(tests.user_id('ent@t'))::text, true);
select ok(private.has_course_access(tests.course_id('course-a')), 'entitled student: access');
select ok(not private.has_course_access(tests.course_id('course-b')), 'entitled student: no access to another course');
select set_config('request.jwt.claims', tests.claims_for(tests.user_id('none@t'))::text, true);
select ok(not private.has_course_access(tests.course_id('course-a')), 'student without access: none');
select set_config('request.jwt.claims', tests.claims_for(tests.user_id('own@t'))::text, true);
select ok(private.has_course_access(tests.course_id('course-draft')), 'the instructor: access to their draft');
select set_config('request.jwt.claims', tests.claims_for(tests.user_id('other@t'))::text, true);
select ok(not private.has_course_access(tests.course_id('course-a')), 'another course''s instructor: none');
select set_config('request.jwt.claims', tests.claims_for(tests.user_id('admin@t'))::text, true);
select ok(private.has_course_access(tests.course_id('course-a')), 'admin: access');
select set_config('request.jwt.claims', '', true);
select ok(not private.has_course_access(tests.course_id('course-a')), 'anon: none');

-- ---------------------------------------------------------------- enrol_free
select tests.authenticate_as('none@t');
select ok(public.enrol_free(tests.course_id('course-b')) is not null, 'a student enrols in a free course');
select is(public.enrol_free(tests.course_id('course-b')), (select id from public.entitlements where user_id = auth.uid()),
  'enrolling again returns the same entitlement');
select throws_ok(format($$ select public.enrol_free(%L) $$, tests.course_id('course-draft')), 'P0002', 'course not found',
  'a draft course is not found');
select throws_ok($$ select public.enrol_free('00000000-0000-4000-8000-000000000000') $$, 'P0002', null, 'an unknown course is not found');
select tests.clear_authentication();
update public.courses set status = 'archived' where slug = 'course-b';
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.enrol_free(%L) $$, tests.course_id('course-b')), 'P0001',
  'this course is archived and takes no new enrolments', 'an archived course takes no new enrolments');
select tests.clear_authentication();
update public.courses set status = 'published' where slug = 'course-b';

-- ---------------------------------------------------------------- service-side grants
select tests.authenticate_as_service_role();
select ok(public.grant_course_access(tests.user_id('none@t'), tests.course_id('course-a'), 'purchase', null, 'order_123') is not null,
  'service_role grants a purchase');
select throws_ok(format($$ select public.grant_course_access(%L, %L, 'free') $$, tests.user_id('none@t'), tests.course_id('course-a')),
  '22023', null, 'free access is not granted this way');
select throws_ok(format($$ select public.grant_course_access(%L, %L, 'purchase', now() - interval '1 day') $$,
  tests.user_id('none@t'), tests.course_id('course-a')), '22023', null, 'an end date in the past is refused');
select throws_ok(format($$ select public.grant_course_access('00000000-0000-4000-8000-000000000000', %L, 'purchase') $$,
  tests.course_id('course-a')), 'P0002', null, 'an unknown user is not found');
select is(public.revoke_course_access(tests.user_id('none@t'), tests.course_id('course-a'), 'purchase', 'refunded'), 1,
  'service_role revokes it');
select is(public.revoke_course_access(tests.user_id('none@t'), tests.course_id('course-a'), 'purchase', 'refunded'), 0,
  'revoking again changes nothing');
select tests.clear_authentication();
select set_config('request.jwt.claims', tests.claims_for(tests.user_id('none@t'))::text, true);
select ok(not private.has_course_access(tests.course_id('course-a')), 'a revoked entitlement gives no access');
select tests.authenticate_as_service_role();
select lives_ok(format($$ select public.grant_course_access(%L, %L, 'purchase', null, 'order_456') $$,
  tests.user_id('none@t'), tests.course_id('course-a')), 'a new purchase reactivates the entitlement');
select is((select row(revoked_at is null, external_ref)::text from public.entitlements
  where user_id = tests.user_id('none@t') and course_id = tests.course_id('course-a')), row(true, 'order_456')::text,
  'reactivated, with the new order reference');

-- ---------------------------------------------------------------- admin grants, audited
select tests.authenticate_as('admin@t');
select ok(public.admin_grant_course_access(tests.user_id('drip@t'), tests.course_id('course-b'), now() + interval '30 days') is not null,
  'an admin grants access manually');
select is((select count(*) from public.audit_log where action = 'access.granted' and actor_id = auth.uid()), 1::bigint,
  'the grant is audited');
select is(public.admin_revoke_course_access(tests.user_id('drip@t'), tests.course_id('course-b'), 'mistake'), 1,
  'an admin revokes access');
select is((select details ->> 'reason' from public.audit_log where action = 'access.revoked'), 'mistake',
  'the revocation is audited with its reason');

select * from finish();
rollback;
