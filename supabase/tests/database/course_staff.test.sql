-- Course staff: who creates and edits courses (instructors, their own; admins, all), the
-- co-instructors the owner or an admin adds and removes, and the helpers behind every "the course's
-- instructors and admins": managed_course_ids, can_manage_course, instructed_course_ids.
begin;
select plan(34);
select tests.catalog_fixture();

-- tests.set_claims_of(email) acts with a persona's claims (as a policy helper sees them; null: anon);
-- tests.course_slugs(ids) names a set of course ids by their slugs (both in tests/setup/helpers.sql).

-- ---------------------------------------------------------------- managed_course_ids and can_manage_course
select tests.clear_authentication();
-- Grant checks look alike in every test file on purpose: each file states its own objects' grants.
select ok(has_function_privilege('authenticated', 'private.managed_course_ids()', 'execute')
  and not has_function_privilege('anon', 'private.managed_course_ids()', 'execute')
  and not has_function_privilege('public', 'private.managed_course_ids()', 'execute'), 'managed_course_ids(): authenticated only');
select ok(not has_function_privilege('anon', 'private.can_manage_course(uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.can_manage_course(uuid)', 'execute')
  and not has_function_privilege('public', 'private.can_manage_course(uuid)', 'execute'),
  'can_manage_course(): for our SQL functions only');
select ok(not has_function_privilege('anon', 'private.instructed_course_ids(uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.instructed_course_ids(uuid)', 'execute')
  and not has_function_privilege('public', 'private.instructed_course_ids(uuid)', 'execute'),
  'instructed_course_ids(user_id): no API role may list what someone else teaches');
-- One assertion a persona, alike on purpose: each states what that persona gets here.
select tests.set_claims_of(null);
select is(tests.course_slugs(array(select private.managed_course_ids())), '{}'::text[], 'managed_course_ids: anon, none');
select tests.set_claims_of('none@t');
select is(tests.course_slugs(array(select private.managed_course_ids())), '{}'::text[], 'a student without access: none');
select tests.set_claims_of('ent@t');
select is(tests.course_slugs(array(select private.managed_course_ids())), '{}'::text[], 'an entitled student: none (access is not management)');
select tests.set_claims_of('own@t');
select is(tests.course_slugs(array(select private.managed_course_ids())), array['course-a', 'course-draft'],
  'the course''s instructor: the courses they teach, their draft included');
select tests.set_claims_of('other@t');
select is(tests.course_slugs(array(select private.managed_course_ids())), array['course-b'], 'another course''s instructor: only theirs');
select tests.set_claims_of('admin@t');
select is((select count(*) from private.managed_course_ids()), (select count(*) from public.courses),
  'an admin: every course, once each');
select is(array(select private.managed_course_ids() order by 1), array(select id from public.courses order by id),
  'and exactly the courses');
select tests.set_claims_of(null);
select is(private.can_manage_course(tests.course_id('course-a')), false, 'can_manage_course: anon, no');
select tests.set_claims_of('none@t');
select is(private.can_manage_course(tests.course_id('course-a')), false, 'a student without access: no');
select tests.set_claims_of('ent@t');
select is(private.can_manage_course(tests.course_id('course-a')), false, 'an entitled student: no');
select tests.set_claims_of('own@t');
select is(array[private.can_manage_course(tests.course_id('course-a')), private.can_manage_course(tests.course_id('course-draft')),
                private.can_manage_course(tests.course_id('course-b'))], array[true, true, false],
  'the course''s instructor: their courses, not another''s');
select tests.set_claims_of('other@t');
select is(private.can_manage_course(tests.course_id('course-a')), false, 'another course''s instructor: no');
select tests.set_claims_of('admin@t');
select is(array[private.can_manage_course(tests.course_id('course-a')), private.can_manage_course(tests.course_id('course-b')),
                private.can_manage_course('00000000-0000-4000-8000-000000000000')], array[true, true, true],
  'an admin: any course (as the policies let them)');
select is(tests.course_slugs(array(select private.instructed_course_ids(tests.user_id('own@t')))), array['course-a', 'course-draft'],
  'instructed_course_ids(user_id): what a given user teaches');
select is(tests.course_slugs(array(select private.instructed_course_ids(tests.user_id('admin@t')))), '{}'::text[],
  'an admin teaches nothing by being an admin');

-- ---------------------------------------------------------------- creating courses
select tests.authenticate_as('none@t');
select throws_ok($$ insert into public.courses (slug, title) values ('student-course', 'Student Course') $$,
  '42501', 'new row violates row-level security policy for table "courses"', 'a student cannot create courses');
select tests.authenticate_as_anon();
select throws_ok($$ insert into public.courses (slug, title) values ('anon-course', 'Anon Course') $$,
  '42501', 'permission denied for table courses', 'anon cannot create courses');
select tests.authenticate_as('own@t');
select lives_ok($$ insert into public.courses (slug, title) values ('own-new', 'Brand New Course') $$, 'an instructor creates a course');

-- ---------------------------------------------------------------- editing courses
-- One assertion a persona, alike on purpose: each states what that persona gets here.
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.courses set subtitle = 'Updated' where slug = 'course-a' $q$), 1::bigint,
  'the owner edits their course');
select tests.authenticate_as('other@t');
select is(tests.affected_rows($q$ update public.courses set title = 'Hijacked' where slug = 'course-a' $q$), 0::bigint,
  'another instructor cannot edit it');
select tests.authenticate_as('ent@t');
select is(tests.affected_rows($q$ update public.courses set title = 'Hijacked' where slug = 'course-a' $q$), 0::bigint,
  'an entitled student cannot edit it');
select tests.authenticate_as('admin@t');
select is(tests.affected_rows($q$ update public.courses set tags = '{featured}' where slug = 'course-b' $q$), 1::bigint,
  'an admin edits any course');

-- ---------------------------------------------------------------- co-instructors
select tests.authenticate_as('other@t');
select throws_ok(format($$ select public.add_course_instructor(%L, %L) $$, tests.course_id('course-a'), tests.user_id('other@t')),
  '42501', 'only the course owner or an admin can manage its instructors', 'another instructor cannot add themselves to a course');
select tests.authenticate_as('own@t');
select throws_ok(format($$ select public.add_course_instructor('00000000-0000-4000-8000-000000000000', %L) $$, tests.user_id('other@t')),
  'PT404', 'course not found', 'co-instructors of an unknown course: not found');
select throws_ok(format($$ select public.add_course_instructor(%L, %L) $$, tests.course_id('course-a'), tests.user_id('none@t')),
  'P0001', 'that user is not an instructor', 'only instructors can be co-instructors');
select is(public.add_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), true, 'the owner adds a co-instructor');
select is(public.add_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), false, 'adding twice is a no-op');
select tests.authenticate_as('other@t');
select is(tests.affected_rows($q$ update public.courses set subtitle = 'Co-edited' where slug = 'course-a' $q$), 1::bigint,
  'a co-instructor edits the course');
select throws_ok(format($$ select public.remove_course_instructor(%L, %L) $$, tests.course_id('course-a'), tests.user_id('own@t')),
  '42501', 'only the course owner or an admin can manage its instructors', 'a co-instructor cannot remove the owner');
select tests.authenticate_as('own@t');
select throws_ok(format($$ select public.remove_course_instructor(%L, %L) $$, tests.course_id('course-a'), tests.user_id('own@t')),
  'P0001', 'the owner cannot be removed from their course', 'the owner stays');
select is(public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), true, 'the owner removes a co-instructor');

select * from finish();
rollback;
