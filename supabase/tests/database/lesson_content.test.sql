-- Lesson content: who may read lesson bodies and materials, for every persona (a student before
-- the drip date included): lesson_states(), the one statement of drip and prerequisites, and
-- lesson_is_open() and lesson_state() built on it; previews; who writes content and materials.
begin;
select plan(58);
select tests.catalog_fixture();

-- readable(lesson titles) helper for this file: which course-a lessons' content the caller can read
create function pg_temp.readable() returns text[] language sql as $$
  select coalesce(array_agg(l.title order by l.title), '{}') from public.lesson_contents lc
  join public.lessons l on l.id = lc.lesson_id where lc.course_id = tests.course_id('course-a')
$$;
create function pg_temp.materials() returns bigint language sql as $$
  select count(*) from public.lesson_materials where course_id = tests.course_id('course-a')
$$;
grant execute on function pg_temp.readable(), pg_temp.materials() to anon, authenticated;
-- For the helpers, called as the test runner with a persona's claims (null: anon): the states of
-- course-a's lessons (l1..l4, in course order) for the caller as a student.
create function pg_temp.states() returns text[] language sql as $$
  select array_agg(ls.state order by l.title) from private.lesson_states(tests.course_id('course-a')) ls
  join public.lessons l on l.id = ls.lesson_id
$$;

-- ---------------------------------------------------------------- grants
-- Grant checks look alike in every test file on purpose: each file states its own objects' grants.
select ok(not has_column_privilege('authenticated', 'public.lesson_contents', 'is_preview', 'update'),
  'lesson_contents.is_preview is not editable');
select ok(has_function_privilege('authenticated', 'private.lesson_is_open(uuid, uuid)', 'execute')
  and not has_function_privilege('anon', 'private.lesson_is_open(uuid, uuid)', 'execute')
  and not has_function_privilege('public', 'private.lesson_is_open(uuid, uuid)', 'execute'),
  'lesson_is_open(): authenticated only (the readers policy calls it)');
select ok(not has_function_privilege('authenticated', 'private.lesson_states(uuid, uuid)', 'execute')
  and not has_function_privilege('anon', 'private.lesson_states(uuid, uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.lesson_state(uuid)', 'execute')
  and not has_function_privilege('anon', 'private.lesson_state(uuid)', 'execute')
  and not has_function_privilege('public', 'private.lesson_states(uuid, uuid)', 'execute')
  and not has_function_privilege('public', 'private.lesson_state(uuid)', 'execute'),
  'lesson_states() and lesson_state(): for our SQL functions only');

-- ---------------------------------------------------------------- lesson content, per persona
select tests.authenticate_as_anon();
select is(pg_temp.readable(), array['l1'], 'anon: preview lessons only');
select is(pg_temp.materials(), 1::bigint, 'anon: preview materials only');
select is((select count(*) from public.lesson_contents where course_id = tests.course_id('course-draft')), 0::bigint,
  'anon: not the preview of a draft');
select tests.authenticate_as('none@t');
select is(pg_temp.readable(), array['l1'], 'student without access: previews only');
select is(pg_temp.materials(), 1::bigint, 'student without access: preview materials only');
select tests.authenticate_as('ent@t');
select is(pg_temp.readable(), array['l1', 'l2', 'l3'], 'entitled student: open lessons, not the one dated in 10 days');
select is(pg_temp.materials(), 2::bigint, 'entitled student: all materials of open lessons');
select tests.authenticate_as('drip@t');
select is(pg_temp.readable(), array['l1', 'l2'], 'entitled student before the drip date: not the 7-day lesson');
select tests.authenticate_as('own@t');
select is(pg_temp.readable(), array['l1', 'l2', 'l3', 'l4'], 'the course''s instructor: everything');
select is((select count(*) from public.lesson_contents where course_id = tests.course_id('course-draft')), 1::bigint,
  'the instructor reads their draft''s content');
select tests.authenticate_as('other@t');
select is(pg_temp.readable(), array['l1'], 'another course''s instructor: previews only');
select tests.authenticate_as('admin@t');
select is(pg_temp.readable(), array['l1', 'l2', 'l3', 'l4'], 'admin: everything');

-- ---------------------------------------------------------------- drip and prerequisites, stated once: lesson_states()
select tests.clear_authentication();
select tests.set_claims_of(null);
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'], 'lesson_states: anon is enrolled in nothing');
select tests.set_claims_of('none@t');
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'], 'a student without access: not enrolled');
select tests.set_claims_of('ent@t');
select is(pg_temp.states(), array['open', 'open', 'open', 'scheduled'], 'an entitled student: open, but the lesson dated in 10 days');
select tests.set_claims_of('drip@t');
select is(pg_temp.states(), array['open', 'open', 'scheduled', 'scheduled'], 'a student before the drip date: the 7-day lesson waits');
select ok((select opens_at between now() + interval '7 days' - interval '1 minute' and now() + interval '7 days'
           from private.lesson_states(tests.course_id('course-a')) where lesson_id = tests.lesson_id('course-a', 'l3')),
  'and opens 7 days after their enrolment');
select tests.set_claims_of('own@t');
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'],
  'the course''s instructor is no student of it (they read it as its staff)');
select tests.set_claims_of('other@t');
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'], 'another course''s instructor: not enrolled');
select tests.set_claims_of('admin@t');
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'], 'an admin: not enrolled either');
select tests.set_claims_of('ent@t');
select is((select array_agg(row(lesson_id, state)::text) from private.lesson_states(tests.course_id('course-a'), tests.lesson_id('course-a', 'l3'))),
  array[row(tests.lesson_id('course-a', 'l3'), 'open')::text], 'only_lesson: the one lesson asked for');
select is((select count(*) from private.lesson_states(tests.course_id('course-b'))), 1::bigint, 'another course: its own lessons only');

-- lesson_is_open: the per-row question of the readers policy, as a student
select tests.set_claims_of(null);
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'lesson_is_open: anon, no');
select tests.set_claims_of('none@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'a student without access: no');
select tests.set_claims_of('ent@t');
select is(array[private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')),
                private.lesson_is_open(tests.lesson_id('course-a', 'l4'), tests.course_id('course-a'))],
  array[true, false], 'an entitled student: an open lesson yes, a dated one no');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-b')), false,
  'a lesson asked about with another course is not open');
select tests.set_claims_of('drip@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'before the drip date: no');
select tests.set_claims_of('own@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false,
  'the course''s instructor: no as a student (the policy lets them in as staff)');
select tests.set_claims_of('other@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'another course''s instructor: no');
select tests.set_claims_of('admin@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'an admin: no as a student');

-- lesson_state: one lesson for the caller, staff included (record_progress asks it)
select tests.set_claims_of(null);
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'not_enrolled', 'lesson_state: anon, not enrolled');
select tests.set_claims_of('none@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'not_enrolled', 'a student without access: not enrolled');
select tests.set_claims_of('ent@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'open', 'an entitled student: open');
select tests.set_claims_of('drip@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'scheduled', 'before the drip date: scheduled');
select tests.set_claims_of('own@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l4')), 'open', 'the course''s instructor: open, dates aside');
select tests.set_claims_of('other@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'not_enrolled', 'another course''s instructor: not enrolled');
select tests.set_claims_of('admin@t');
select is(array[private.lesson_state(tests.lesson_id('course-a', 'l4')), private.lesson_state('00000000-0000-4000-8000-000000000000')],
  array['open', 'not_enrolled'], 'an admin: open; an unknown lesson: not enrolled');

-- unpublishing takes the previews away from the public
select tests.clear_authentication();
update public.courses set status = 'draft' where slug = 'course-a';
select tests.authenticate_as_anon();
select is(pg_temp.readable(), '{}'::text[], 'anon: no previews once the course is unpublished');
select tests.clear_authentication();
update public.courses set status = 'published' where slug = 'course-a';
-- revoked access takes the content away
update public.entitlements set revoked_at = now() where user_id = tests.user_id('ent@t');
select tests.authenticate_as('ent@t');
select is(pg_temp.readable(), array['l1'], 'a revoked student is back to previews');
select tests.clear_authentication();
update public.entitlements set revoked_at = null where user_id = tests.user_id('ent@t');

-- ---------------------------------------------------------------- writes
select tests.authenticate_as('own@t');
-- A new lesson to write to (adding lessons: lessons.test.sql).
insert into public.lessons (section_id, title, position)
  values ((select id from public.sections where course_id = tests.course_id('course-a') and position = 1), 'l5', 2);
select lives_ok($$ insert into public.lesson_contents (lesson_id, body) values ((select id from public.lessons where title = 'l5'), 'new') $$,
  'the instructor adds its content');
select is(tests.affected_rows($q$ update public.lesson_contents set body = 'edited' where lesson_id = tests.lesson_id('course-a', 'l2') $q$),
  1::bigint, 'the instructor edits content');
select lives_ok(format($$ insert into public.lesson_materials (lesson_id, title, storage_path) values (%L, 'handout', %L) $$,
  tests.lesson_id('course-a', 'l3'), tests.course_id('course-a') || '/' || tests.lesson_id('course-a', 'l3') || '/handout.pdf'),
  'the instructor adds materials');
select throws_ok(format($$ insert into public.lesson_materials (lesson_id, title, storage_path) values (%L, 'wrong', %L) $$,
  tests.lesson_id('course-a', 'l3'), tests.course_id('course-b') || '/' || tests.lesson_id('course-a', 'l3') || '/x.pdf'),
  '23514', 'new row for relation "lesson_materials" violates check constraint "lesson_materials_path_matches"', 'a materials path must match its course and lesson');
select tests.authenticate_as('other@t');
select throws_ok(format($$ insert into public.lesson_materials (lesson_id, title, storage_path) values (%L, 'evil', %L) $$,
  tests.lesson_id('course-a', 'l3'), tests.course_id('course-a') || '/' || tests.lesson_id('course-a', 'l3') || '/evil.pdf'),
  '42501', 'new row violates row-level security policy for table "lesson_materials"', 'another instructor cannot add materials');
select is(tests.affected_rows($q$ delete from public.lesson_materials where course_id = tests.course_id('course-a') $q$), 0::bigint,
  'another instructor cannot delete materials');
select is(tests.affected_rows($q$ update public.lesson_contents set body = 'defaced' where course_id = tests.course_id('course-a') $q$),
  0::bigint, 'another instructor cannot edit content');
select is(tests.affected_rows($q$ delete from public.lesson_contents where course_id = tests.course_id('course-a') $q$), 0::bigint,
  'another instructor cannot delete content');
select is(tests.affected_rows($q$ update public.lesson_materials set title = 'defaced' where course_id = tests.course_id('course-a') $q$),
  0::bigint, 'another instructor cannot edit materials');
select tests.authenticate_as('ent@t');
select is(tests.affected_rows($q$ update public.lesson_contents set body = 'defaced' where course_id = tests.course_id('course-a') $q$),
  0::bigint, 'an entitled student cannot edit content');
select throws_ok($$ insert into public.lesson_contents (lesson_id, body) values (tests.lesson_id('course-a', 'l5'), 'x') $$,
  '42501', 'new row violates row-level security policy for table "lesson_contents"', 'an entitled student cannot add content');
-- The preview flag is the lesson's (who may set it: lessons.test.sql).
select tests.authenticate_as('own@t');
update public.lessons set is_preview = true where title = 'l2';
select tests.authenticate_as_anon();
select is(pg_temp.readable(), array['l1', 'l2'], 'previews follow the lesson''s flag');
select tests.authenticate_as('own@t');
update public.lessons set is_preview = false where title = 'l2';
select tests.clear_authentication();
delete from public.lessons where title = 'l5';

-- ---------------------------------------------------------------- prerequisites (lessons in order)
-- Without its date, l4 waits only for the lessons before it.
select tests.clear_authentication();
update public.lessons set available_at = null where title = 'l4';
update public.courses set requires_sequential = true where slug = 'course-a';
select tests.authenticate_as('drip@t');
select is(pg_temp.readable(), array['l1'], 'in-order course: only the first lesson is open at first');
select tests.clear_authentication();
select tests.set_claims_of('drip@t');
select is(pg_temp.states(), array['open', 'locked', 'scheduled', 'locked'],
  'lesson_states, in order: l2 and l4 wait for l1, the dripped l3 for its date first');
select tests.authenticate_as('drip@t');
-- drip@t completes l1 (record_progress(): learning.test.sql).
select public.record_progress(tests.lesson_id('course-a', 'l1'), true);
select is(pg_temp.readable(), array['l1', 'l2'], 'then l2 opens');
select tests.clear_authentication();
select tests.set_claims_of('drip@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l2'), tests.course_id('course-a')), true, 'lesson_is_open follows');

select * from finish();
rollback;
