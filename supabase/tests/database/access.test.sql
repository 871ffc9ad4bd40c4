-- Access: entitlements, the has-access notion, enrol_free, service and admin grants.
begin;
select plan(99);
select tests.catalog_fixture();

-- tests.set_claims_of(email) acts with a persona's claims (as a policy helper sees them; null: anon);
-- tests.course_slugs(ids) names a set of course ids by their slugs (both in tests/setup/helpers.sql).

-- ---------------------------------------------------------------- grants: no client writes entitlements
-- Grant checks look alike in every test file on purpose: each file states its own objects' grants.
select ok(has_table_privilege('authenticated', 'public.entitlements', 'select'), 'authenticated may select entitlements');
select ok(not has_table_privilege('authenticated', 'public.entitlements', 'insert')
  and not has_table_privilege('authenticated', 'public.entitlements', 'update')
  and not has_table_privilege('authenticated', 'public.entitlements', 'delete'), 'authenticated may not write entitlements');
select ok(not has_table_privilege('anon', 'public.entitlements', 'select'), 'anon may not read entitlements');
select ok(not has_function_privilege('authenticated', 'public.grant_course_access(uuid, uuid, timestamptz)', 'execute')
  and not has_function_privilege('anon', 'public.grant_course_access(uuid, uuid, timestamptz)', 'execute'),
  'grant_course_access is not callable by clients');
select ok(has_function_privilege('service_role', 'public.grant_course_access(uuid, uuid, timestamptz)', 'execute'),
  'grant_course_access is callable by service_role');
select ok(not has_function_privilege('authenticated', 'public.revoke_course_access(uuid, uuid, public.entitlement_source, text)', 'execute'),
  'revoke_course_access is not callable by clients');
select ok(not has_function_privilege('anon', 'public.enrol_free(uuid)', 'execute'), 'anon cannot enrol');

-- ---------------------------------------------------------------- every client path to a paid entitlement is closed
select tests.authenticate_as('none@t');
select throws_ok(format($$ insert into public.entitlements (user_id, course_id, source) values (auth.uid(), %L, 'purchase') $$,
  tests.course_id('course-a')), '42501', 'permission denied for table entitlements', 'a student cannot insert an entitlement');
select throws_ok($$ update public.entitlements set revoked_at = null $$,
  '42501', 'permission denied for table entitlements', 'a student cannot update entitlements');
select throws_ok(format($$ select public.grant_course_access(auth.uid(), %L) $$, tests.course_id('course-a')),
  '42501', 'permission denied for function grant_course_access', 'a student cannot call grant_course_access');
select throws_ok(format($$ select public.enrol_free(%L) $$, tests.course_id('course-a')), 'P0001', 'this course is not free',
  'enrol_free refuses a paid course');
select throws_ok(format($$ select public.admin_grant_course_access(auth.uid(), %L) $$, tests.course_id('course-a')),
  '42501', 'only admins can grant course access', 'a student cannot use the admin grant');
select tests.authenticate_as('own@t');
select throws_ok(format($$ select public.admin_grant_course_access(%L, %L) $$, tests.user_id('none@t'), tests.course_id('course-a')),
  '42501', 'only admins can grant course access', 'the course''s instructor cannot grant access either');
select tests.authenticate_as('admin@t');
select throws_ok(format($$ insert into public.entitlements (user_id, course_id, source) values (auth.uid(), %L, 'purchase') $$,
  tests.course_id('course-a')),
  '42501', 'permission denied for table entitlements', 'even an admin cannot insert entitlements directly');
select tests.authenticate_as_anon();
select throws_ok(format($$ select public.enrol_free(%L) $$, tests.course_id('course-b')),
  '42501', 'permission denied for function enrol_free', 'anon cannot enrol');
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

-- ---------------------------------------------------------------- course visibility
select tests.authenticate_as_anon();
select is((select array_agg(slug order by slug) from public.courses where slug like 'course-%'), array['course-a', 'course-b'],
  'anon sees published courses only');
select tests.authenticate_as('none@t');
select is((select array_agg(slug order by slug) from public.courses where slug like 'course-%'), array['course-a', 'course-b'],
  'a student without access sees published courses only');
select tests.authenticate_as('own@t');
select is((select array_agg(slug order by slug) from public.courses where slug like 'course-%'), array['course-a', 'course-b', 'course-draft'],
  'the owner also sees their draft');
select tests.authenticate_as('other@t');
select is((select array_agg(slug order by slug) from public.courses where slug like 'course-%'), array['course-a', 'course-b'],
  'another instructor does not see the draft');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.courses where slug like 'course-%'), 3::bigint, 'an admin sees drafts too');

-- archived: entitled students keep it, the catalog drops it
select tests.clear_authentication();
update public.courses set status = 'archived' where slug = 'course-a';
select tests.authenticate_as('ent@t');
select ok(exists (select 1 from public.courses where slug = 'course-a'), 'an entitled student still sees an archived course');
select tests.authenticate_as('none@t');
select ok(not exists (select 1 from public.courses where slug = 'course-a'), 'others no longer see an archived course');
select tests.authenticate_as_anon();
select ok(not exists (select 1 from public.courses where slug = 'course-a'), 'anon no longer sees an archived course');
select tests.clear_authentication();
update public.courses set status = 'published', deleted_at = now() where slug = 'course-a';
select tests.authenticate_as('ent@t');
select ok(not exists (select 1 from public.courses where slug = 'course-a'), 'a soft-deleted course disappears for students');
select tests.authenticate_as('own@t');
select ok(exists (select 1 from public.courses where slug = 'course-a'), 'its instructor still sees a soft-deleted course');
select tests.clear_authentication();
update public.courses set deleted_at = null where slug = 'course-a';

-- ---------------------------------------------------------------- has_course_access per persona
select tests.clear_authentication();
select tests.set_claims_of('ent@t');
select ok(private.has_course_access(tests.course_id('course-a')), 'entitled student: access');
select ok(not private.has_course_access(tests.course_id('course-b')), 'entitled student: no access to another course');
select tests.set_claims_of('none@t');
select ok(not private.has_course_access(tests.course_id('course-a')), 'student without access: none');
select tests.set_claims_of('own@t');
select ok(private.has_course_access(tests.course_id('course-draft')), 'the instructor: access to their draft');
select tests.set_claims_of('other@t');
select ok(not private.has_course_access(tests.course_id('course-a')), 'another course''s instructor: none');
select tests.set_claims_of('admin@t');
select ok(private.has_course_access(tests.course_id('course-a')), 'admin: access');
select tests.set_claims_of(null);
select ok(not private.has_course_access(tests.course_id('course-a')), 'anon: none');

-- ---------------------------------------------------------------- accessible_course_ids
select ok(has_function_privilege('authenticated', 'private.accessible_course_ids()', 'execute')
  and not has_function_privilege('anon', 'private.accessible_course_ids()', 'execute')
  and not has_function_privilege('public', 'private.accessible_course_ids()', 'execute'), 'accessible_course_ids(): authenticated only');

-- ---------------------------------------------------------------- accessible_course_ids: entitled or managing
-- One assertion a persona, alike on purpose: each states what that persona gets here.
select tests.set_claims_of(null);
select is(tests.course_slugs(array(select private.accessible_course_ids())), '{}'::text[], 'accessible_course_ids: anon, none');
select tests.set_claims_of('none@t');
select is(tests.course_slugs(array(select private.accessible_course_ids())), '{}'::text[], 'a student without access: none');
select tests.set_claims_of('ent@t');
select is(tests.course_slugs(array(select private.accessible_course_ids())), array['course-a'], 'an entitled student: their course');
select tests.set_claims_of('own@t');
select is(tests.course_slugs(array(select private.accessible_course_ids())), array['course-a', 'course-draft'],
  'the course''s instructor: what they teach');
select tests.set_claims_of('other@t');
select is(tests.course_slugs(array(select private.accessible_course_ids())), array['course-b'], 'another course''s instructor: theirs');
select tests.set_claims_of('admin@t');
select is((select count(distinct c) from private.accessible_course_ids() c), (select count(*) from public.courses), 'an admin: every course');
select tests.set_claims_of(null);

-- ---------------------------------------------------------------- who sees a course's instructors: who sees the course
select tests.authenticate_as_anon();
select is((select count(*) from public.course_instructors where course_id = tests.course_id('course-a')), 1::bigint,
  'anon sees who teaches a published course');
select is((select count(*) from public.course_instructors where course_id = tests.course_id('course-draft')), 0::bigint,
  'anon does not see who teaches a draft');
select tests.authenticate_as('none@t');
select is((select count(*) from public.course_instructors where course_id = tests.course_id('course-draft')), 0::bigint,
  'nor does a student');


-- ---------------------------------------------------------------- enrol_free
select tests.authenticate_as('none@t');
select ok(public.enrol_free(tests.course_id('course-b')) is not null, 'a student enrols in a free course');
select is(public.enrol_free(tests.course_id('course-b')), (select id from public.entitlements where user_id = auth.uid()),
  'enrolling again returns the same entitlement');
select throws_ok(format($$ select public.enrol_free(%L) $$, tests.course_id('course-draft')), 'PT404', 'course not found',
  'a draft course is not found');
select throws_ok($$ select public.enrol_free('00000000-0000-4000-8000-000000000000') $$, 'PT404', 'course not found',
  'an unknown course is not found');
select tests.clear_authentication();
update public.courses set status = 'archived' where slug = 'course-b';
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.enrol_free(%L) $$, tests.course_id('course-b')), 'P0001',
  'this course is archived and takes no new enrolments', 'an archived course takes no new enrolments');
select tests.clear_authentication();
update public.courses set status = 'published' where slug = 'course-b';
select tests.authenticate_with_claims('{"role":"authenticated","aud":"authenticated"}');
select throws_ok(format($$ select public.enrol_free(%L) $$, tests.course_id('course-b')), '42501', 'sign in to enrol',
  'a token without a user id enrols in nothing');
select is(tests.error_detail(format($$ select public.enrol_free(%L) $$, tests.course_id('course-b'))), 'not_signed_in',
  'and its machine code is not_signed_in');
select tests.clear_authentication();

-- ---------------------------------------------------------------- service-side grants
select tests.authenticate_as_service_role();
select ok(public.grant_course_access(tests.user_id('none@t'), tests.course_id('course-a')) is not null,
  'service_role grants access manually (source grant)');
select throws_ok(format($$ select public.grant_course_access(%L, %L, now() - interval '1 day') $$,
  tests.user_id('none@t'), tests.course_id('course-a')), '22023', 'ends_at must be in the future', 'an end date in the past is refused');
select throws_ok(format($$ select public.grant_course_access('00000000-0000-4000-8000-000000000000', %L) $$,
  tests.course_id('course-a')), 'PT404', 'user not found', 'an unknown user is not found');
select throws_ok(format($$ select public.grant_course_access(%L, '00000000-0000-4000-8000-000000000000') $$,
  tests.user_id('none@t')), 'PT404', 'course not found', 'an unknown course is not found');
select is(public.revoke_course_access(tests.user_id('none@t'), tests.course_id('course-a'), 'grant', 'refunded'), 1,
  'service_role revokes it');
select is(public.revoke_course_access(tests.user_id('none@t'), tests.course_id('course-a'), 'grant', 'refunded'), 0,
  'revoking again changes nothing');
select tests.clear_authentication();
select tests.set_claims_of('none@t');
select ok(not private.has_course_access(tests.course_id('course-a')), 'a revoked entitlement gives no access');
select tests.authenticate_as_service_role();
select lives_ok(format($$ select public.grant_course_access(%L, %L) $$,
  tests.user_id('none@t'), tests.course_id('course-a')), 'a new grant reactivates the entitlement');
select is((select array_agg(row(source, revoked_at is null)::text) from public.entitlements
  where user_id = tests.user_id('none@t') and course_id = tests.course_id('course-a')), array[row('grant', true)::text],
  'reactivated: the same row, active again');
select tests.clear_authentication();
select throws_ok(format($$ select private.grant_access(%L, %L, 'purchase') $$, tests.user_id('none@t'), tests.course_id('course-a')),
  '22023', 'a purchase needs its order and a subscription entitlement its subscription',
  'a purchase is only ever granted with the order that paid for it');

-- ---------------------------------------------------------------- admin grants, audited
select tests.authenticate_as('admin@t');
select ok(public.admin_grant_course_access(tests.user_id('drip@t'), tests.course_id('course-b'), now() + interval '30 days') is not null,
  'an admin grants access manually');
select throws_ok(format($$ select public.admin_grant_course_access(%L, '00000000-0000-4000-8000-000000000000') $$, tests.user_id('drip@t')),
  'PT404', 'course not found', 'an admin''s grant of an unknown course: not found (404 through the API)');
select throws_ok(format($$ select public.admin_grant_course_access('00000000-0000-4000-8000-000000000000', %L) $$, tests.course_id('course-b')),
  'PT404', 'user not found', 'an admin''s grant to an unknown user: not found');
select is((select count(*) from public.audit_log where action = 'access.granted' and actor_id = auth.uid()), 1::bigint,
  'the grant is audited');
select is(public.admin_revoke_course_access(tests.user_id('drip@t'), tests.course_id('course-b'), 'mistake'), 1,
  'an admin revokes access');
select is((select details ->> 'reason' from public.audit_log where action = 'access.revoked'), 'mistake',
  'the revocation is audited with its reason');

-- ---------------------------------------------------------------- a soft-deleted course is gone for all but admins and its owner
select tests.clear_authentication();
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('other@t'), 'co_instructor');
insert into public.reviews (course_id, user_id, rating, body) values (tests.course_id('course-a'), tests.user_id('ent@t'), 5, 'Loved it');
select tests.authenticate_as('other@t');
select throws_ok($$ update public.courses set deleted_at = now() where slug = 'course-a' $$, '42501',
  'only the course owner or an admin can delete or restore a course', 'a co-instructor cannot delete the course');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.courses set deleted_at = now() where slug = 'course-a' $q$), 1::bigint,
  'the owner moves it to the trash');
select tests.clear_authentication();
select is(tests.course_slugs(array(select private.instructed_course_ids(tests.user_id('own@t'))))
          || tests.course_slugs(array(select private.instructed_course_ids(tests.user_id('other@t')))),
  array['course-a', 'course-draft', 'course-b'],
  'a trashed course is still taught by its owner (course-a, course-draft), not by its co-instructor (course-b only)');
select tests.set_claims_of('other@t');
select is(array[private.can_manage_course(tests.course_id('course-a')), tests.course_id('course-a') in (select private.managed_course_ids())],
  array[false, false], 'its co-instructor no longer manages it');
select tests.set_claims_of('own@t');
select is(array[private.can_manage_course(tests.course_id('course-a')), tests.course_id('course-a') in (select private.managed_course_ids())],
  array[true, true], 'its owner still does (to restore it)');
select tests.authenticate_as_anon();
select is((select count(*) from public.courses where id = tests.course_id('course-a')), 0::bigint, 'anon: the course is gone');
select is((select count(*) from public.sections where course_id = tests.course_id('course-a')), 0::bigint, 'anon: its sections');
select is((select count(*) from public.lessons where course_id = tests.course_id('course-a')), 0::bigint, 'anon: its lessons');
select is((select count(*) from public.lesson_contents where course_id = tests.course_id('course-a')), 0::bigint, 'anon: its previews');
select is((select count(*) from public.reviews where course_id = tests.course_id('course-a')), 0::bigint, 'anon: its reviews');
select is((select count(*) from public.search_courses('postgres') s where s.id = tests.course_id('course-a')), 0::bigint,
  'anon: its search results');
select tests.authenticate_as('ent@t');
select is((select count(*) from public.courses where id = tests.course_id('course-a')), 0::bigint, 'its student: the course is gone');
select is((select count(*) from public.lessons where course_id = tests.course_id('course-a')), 0::bigint, 'its student: the lessons');
select is((select count(*) from public.lesson_contents where course_id = tests.course_id('course-a')), 0::bigint, 'its student: the content');
select is((select count(*) from public.reviews where course_id = tests.course_id('course-a')), 0::bigint, 'its student: even their own review');
select is((select count(*) from public.my_dashboard() d where d.course_id = tests.course_id('course-a')), 0::bigint,
  'its student: their dashboard');
select tests.clear_authentication();
select tests.set_claims_of('ent@t');
select ok(not private.has_course_access(tests.course_id('course-a')), 'its student: no access');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select * from public.course_outline(%L) $$, tests.course_id('course-a')), 'PT404', 'course not found',
  'its student: the outline is not found');
select throws_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l1')), '42501',
  'you do not have access to this course', 'its student: no progress recorded');
select tests.authenticate_as('other@t');
select is((select count(*) from public.courses where id = tests.course_id('course-a')), 0::bigint, 'a co-instructor: the course is gone');
select is((select count(*) from public.lesson_contents where course_id = tests.course_id('course-a')), 0::bigint, 'a co-instructor: its content');
select is(tests.affected_rows($q$ update public.courses set deleted_at = null where slug = 'course-a' $q$), 0::bigint,
  'a co-instructor cannot restore it');
select tests.authenticate_as('own@t');
select is((select count(*) from public.courses where id = tests.course_id('course-a') and deleted_at is not null), 1::bigint,
  'the owner sees it in their trash');
select is((select count(*) from public.sections where course_id = tests.course_id('course-a')), 2::bigint, 'with its sections');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.courses where id = tests.course_id('course-a')), 1::bigint, 'admins see it');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.courses set deleted_at = null where slug = 'course-a' $q$), 1::bigint, 'the owner restores it');
select tests.clear_authentication();
select tests.set_claims_of('ent@t');
select ok(private.has_course_access(tests.course_id('course-a')), 'and its student is back');

-- the machine codes frontends branch on (error.details)
select tests.authenticate_as('none@t');
select is(tests.error_detail(format($$ select public.enrol_free(%L) $$, tests.course_id('course-a'))), 'course_not_free',
  'enrol_free: a paid course is course_not_free');
select is(tests.error_detail($$ select public.enrol_free('00000000-0000-4000-8000-000000000000') $$), 'course_not_found',
  'an unknown course is course_not_found');

select * from finish();
rollback;
