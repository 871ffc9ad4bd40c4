-- Learning: outline, lesson content and materials for every persona (including a student before
-- the drip date), writes, prerequisites, progress, the outline RPC and the dashboard.
begin;
select plan(108);
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
create function pg_temp.claims(email text) returns void language sql as $$
  select set_config('request.jwt.claims', case when email is null then '' else tests.claims_for(tests.user_id(email))::text end, true)
$$;
create function pg_temp.states() returns text[] language sql as $$
  select array_agg(ls.state order by l.title) from private.lesson_states(tests.course_id('course-a')) ls
  join public.lessons l on l.id = ls.lesson_id
$$;

-- ---------------------------------------------------------------- grants
select ok(has_table_privilege('anon', 'public.lessons', 'select') and not has_table_privilege('anon', 'public.lessons', 'insert'),
  'anon: lessons select only');
select ok(not has_column_privilege('authenticated', 'public.lessons', 'course_id', 'update')
  and not has_column_privilege('authenticated', 'public.lessons', 'course_public', 'update'),
  'lessons.course_id and course_public are not editable');
select ok(not has_column_privilege('authenticated', 'public.lesson_contents', 'is_preview', 'update'),
  'lesson_contents.is_preview is not editable');
select ok(not has_table_privilege('authenticated', 'public.lesson_progress', 'insert')
  and not has_table_privilege('authenticated', 'public.lesson_progress', 'update')
  and not has_table_privilege('authenticated', 'public.course_progress', 'update'), 'progress is written only through record_progress');
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

-- ---------------------------------------------------------------- the outline
select tests.authenticate_as_anon();
select is((select count(*) from public.lessons where course_id = tests.course_id('course-a')), 4::bigint,
  'anon reads the outline of a published course');
select is((select count(*) from public.lessons where course_id = tests.course_id('course-draft')), 0::bigint,
  'anon does not read a draft''s outline');
select is((select count(*) from public.sections where course_id = tests.course_id('course-a')), 2::bigint, 'anon reads sections');
select tests.authenticate_as('other@t');
select is((select count(*) from public.lessons where course_id = tests.course_id('course-draft')), 0::bigint,
  'another instructor does not read a draft''s outline');
select is((select count(*) from public.sections where course_id = tests.course_id('course-draft')), 0::bigint,
  'nor its sections');
select tests.authenticate_as('own@t');
select is((select count(*) from public.lessons where course_id = tests.course_id('course-draft')), 1::bigint,
  'the instructor reads their draft''s outline');

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
select pg_temp.claims(null);
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'], 'lesson_states: anon is enrolled in nothing');
select pg_temp.claims('none@t');
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'], 'a student without access: not enrolled');
select pg_temp.claims('ent@t');
select is(pg_temp.states(), array['open', 'open', 'open', 'scheduled'], 'an entitled student: open, but the lesson dated in 10 days');
select pg_temp.claims('drip@t');
select is(pg_temp.states(), array['open', 'open', 'scheduled', 'scheduled'], 'a student before the drip date: the 7-day lesson waits');
select ok((select opens_at between now() + interval '7 days' - interval '1 minute' and now() + interval '7 days'
           from private.lesson_states(tests.course_id('course-a')) where lesson_id = tests.lesson_id('course-a', 'l3')),
  'and opens 7 days after their enrolment');
select pg_temp.claims('own@t');
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'],
  'the course''s instructor is no student of it (they read it as its staff)');
select pg_temp.claims('other@t');
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'], 'another course''s instructor: not enrolled');
select pg_temp.claims('admin@t');
select is(pg_temp.states(), array['not_enrolled', 'not_enrolled', 'not_enrolled', 'not_enrolled'], 'an admin: not enrolled either');
select pg_temp.claims('ent@t');
select is((select array_agg(row(lesson_id, state)::text) from private.lesson_states(tests.course_id('course-a'), tests.lesson_id('course-a', 'l3'))),
  array[row(tests.lesson_id('course-a', 'l3'), 'open')::text], 'only_lesson: the one lesson asked for');
select is((select count(*) from private.lesson_states(tests.course_id('course-b'))), 1::bigint, 'another course: its own lessons only');

-- lesson_is_open: the per-row question of the readers policy, as a student
select pg_temp.claims(null);
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'lesson_is_open: anon, no');
select pg_temp.claims('none@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'a student without access: no');
select pg_temp.claims('ent@t');
select is(array[private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')),
                private.lesson_is_open(tests.lesson_id('course-a', 'l4'), tests.course_id('course-a'))],
  array[true, false], 'an entitled student: an open lesson yes, a dated one no');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-b')), false,
  'a lesson asked about with another course is not open');
select pg_temp.claims('drip@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'before the drip date: no');
select pg_temp.claims('own@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false,
  'the course''s instructor: no as a student (the policy lets them in as staff)');
select pg_temp.claims('other@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'another course''s instructor: no');
select pg_temp.claims('admin@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l3'), tests.course_id('course-a')), false, 'an admin: no as a student');

-- lesson_state: one lesson for the caller, staff included (record_progress asks it)
select pg_temp.claims(null);
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'not_enrolled', 'lesson_state: anon, not enrolled');
select pg_temp.claims('none@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'not_enrolled', 'a student without access: not enrolled');
select pg_temp.claims('ent@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'open', 'an entitled student: open');
select pg_temp.claims('drip@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'scheduled', 'before the drip date: scheduled');
select pg_temp.claims('own@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l4')), 'open', 'the course''s instructor: open, dates aside');
select pg_temp.claims('other@t');
select is(private.lesson_state(tests.lesson_id('course-a', 'l3')), 'not_enrolled', 'another course''s instructor: not enrolled');
select pg_temp.claims('admin@t');
select is(array[private.lesson_state(tests.lesson_id('course-a', 'l4')), private.lesson_state('00000000-0000-4000-8000-000000000000')],
  array['open', 'not_enrolled'], 'an admin: open; an unknown lesson: not enrolled');

-- unpublishing takes the previews away from the public
select tests.clear_authentication();
update public.courses set status = 'draft' where slug = 'course-a';
select tests.authenticate_as_anon();
select is(pg_temp.readable(), '{}'::text[], 'anon: no previews once the course is unpublished');
select is((select count(*) from public.lessons where course_id = tests.course_id('course-a')), 0::bigint,
  'anon: no outline once the course is unpublished');
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
select lives_ok(format($$ insert into public.lessons (section_id, title, position) values (%L, 'l5', 2) $$,
  (select id from public.sections where course_id = tests.course_id('course-a') and position = 1)), 'the instructor adds a lesson');
select is((select course_id from public.lessons where title = 'l5'), tests.course_id('course-a'), 'the lesson takes its section''s course');
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
select throws_ok(format($$ insert into public.lessons (section_id, title, position) values (%L, 'evil', 9) $$,
  (select id from public.sections where course_id = tests.course_id('course-a') and position = 0)),
  '42501', 'new row violates row-level security policy for table "lessons"', 'another instructor cannot add lessons');
select is(tests.affected_rows($q$ update public.lesson_contents set body = 'defaced' where course_id = tests.course_id('course-a') $q$),
  0::bigint, 'another instructor cannot edit content');
select is(tests.affected_rows($q$ delete from public.lessons where course_id = tests.course_id('course-a') $q$), 0::bigint,
  'another instructor cannot delete lessons');
select is(tests.affected_rows($q$ delete from public.lesson_contents where course_id = tests.course_id('course-a') $q$), 0::bigint,
  'another instructor cannot delete content');
select is(tests.affected_rows($q$ update public.lesson_materials set title = 'defaced' where course_id = tests.course_id('course-a') $q$),
  0::bigint, 'another instructor cannot edit materials');
select throws_ok(format($$ insert into public.sections (course_id, title, position) values (%L, 'evil', 9) $$, tests.course_id('course-a')),
  '42501', 'new row violates row-level security policy for table "sections"', 'another instructor cannot add sections');
select is(tests.affected_rows($q$ update public.sections set title = 'defaced' where course_id = tests.course_id('course-a') $q$), 0::bigint,
  'nor edit them');
select is(tests.affected_rows($q$ delete from public.sections where course_id = tests.course_id('course-a') $q$), 0::bigint,
  'nor delete them');
select tests.authenticate_as('ent@t');
select is(tests.affected_rows($q$ update public.lesson_contents set body = 'defaced' where course_id = tests.course_id('course-a') $q$),
  0::bigint, 'an entitled student cannot edit content');
select throws_ok($$ insert into public.lesson_contents (lesson_id, body) values (tests.lesson_id('course-a', 'l5'), 'x') $$,
  '42501', 'new row violates row-level security policy for table "lesson_contents"', 'an entitled student cannot add content');
select is(tests.affected_rows($q$ update public.lessons set is_preview = true where title = 'l2' $q$), 0::bigint,
  'a student cannot turn lessons into previews');
select tests.authenticate_as_anon();
select throws_ok($$ delete from public.sections $$,
  '42501', 'permission denied for table sections', 'anon cannot delete sections');
select tests.authenticate_as('admin@t');
select is(tests.affected_rows($q$ update public.lessons set duration_seconds = 60 where title = 'l5' $q$), 1::bigint,
  'an admin edits any lesson');
select is(tests.affected_rows($q$ delete from public.lessons where title = 'l5' $q$), 1::bigint, 'an admin deletes a lesson');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.lessons set is_preview = true where title = 'l2' $q$), 1::bigint,
  'the instructor makes l2 a preview');
select tests.authenticate_as_anon();
select is(pg_temp.readable(), array['l1', 'l2'], 'previews follow the lesson''s flag');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.lessons set is_preview = false where title = 'l2' $q$), 1::bigint, 'and back');

-- ---------------------------------------------------------------- progress
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l3')), 'P0001',
  'this lesson is not open yet', 'a dripped lesson cannot be completed early');
select tests.authenticate_as('none@t');
select throws_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l1')),
  '42501', 'you do not have access to this course', 'a student without access records no progress, not even on a preview');
select throws_ok($$ select public.record_progress('00000000-0000-4000-8000-000000000000', true) $$, 'PT404', 'lesson not found',
  'an unknown lesson is not found');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select public.record_progress(%L, null, -5) $$, tests.lesson_id('course-a', 'l1')),
  '22023', 'seconds_spent must be between 0 and 86400', 'negative time is refused');
select is((public.record_progress(tests.lesson_id('course-a', 'l1'), true, 120, 300)).percent, 25.00,
  'completing one of four required lessons is 25%');
select is((public.record_progress(tests.lesson_id('course-a', 'l1'), null, 30)).completed_lessons, 1,
  'more time on a completed lesson keeps it complete');
select is((select row(time_spent_seconds, last_position_seconds)::text from public.lesson_progress
  where lesson_id = tests.lesson_id('course-a', 'l1')), row(150, 300)::text, 'time adds up; the position is kept');
select is((public.record_progress(tests.lesson_id('course-a', 'l2'), true)).percent, 50.00, 'two of four: 50%');
select is((public.record_progress(tests.lesson_id('course-a', 'l3'), true)).percent, 75.00, 'three of four: 75%');
select throws_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l4')),
  'P0001', 'this lesson is not open yet', 'the dated lesson cannot be completed before its date');
select is((select array_agg(completed_at is null) from public.course_progress where user_id = auth.uid()
  and course_id = tests.course_id('course-a')), array[true], 'not complete yet');
select tests.clear_authentication();
update public.lessons set available_at = null where title = 'l4';
select tests.authenticate_as('ent@t');
select ok((public.record_progress(tests.lesson_id('course-a', 'l4'), true)).completed_at is not null,
  'completing every required lesson completes the course');
select tests.authenticate_as('drip@t');
select is((select count(*) from public.lesson_progress), 0::bigint, 'a student does not read others'' progress');
select tests.authenticate_as('own@t');
select is((select count(*) from public.lesson_progress where course_id = tests.course_id('course-a')), 4::bigint,
  'the instructor reads their course''s progress');
select tests.authenticate_as('other@t');
select is((select count(*) from public.course_progress), 0::bigint, 'another instructor reads none');

-- ---------------------------------------------------------------- prerequisites (lessons in order)
select tests.clear_authentication();
update public.courses set requires_sequential = true where slug = 'course-a';
select tests.authenticate_as('drip@t');
select is(pg_temp.readable(), array['l1'], 'in-order course: only the first lesson is open at first');
select tests.clear_authentication();
select pg_temp.claims('drip@t');
select is(pg_temp.states(), array['open', 'locked', 'scheduled', 'locked'],
  'lesson_states, in order: l2 and l4 wait for l1, the dripped l3 for its date first');
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l2')),
  'P0001', 'this lesson is not open yet', 'in-order course: l2 cannot be completed before l1');
select lives_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l1')), 'l1 completed');
select is(pg_temp.readable(), array['l1', 'l2'], 'then l2 opens');
select tests.clear_authentication();
select pg_temp.claims('drip@t');
select is(private.lesson_is_open(tests.lesson_id('course-a', 'l2'), tests.course_id('course-a')), true, 'lesson_is_open follows');
select tests.authenticate_as('drip@t');

-- ---------------------------------------------------------------- course_outline and my_dashboard
select is((select array_agg(state order by section_position, lesson_position) from public.course_outline(tests.course_id('course-a'))),
  array['open', 'open', 'scheduled', 'locked'], 'outline states for the drip student: l4 waits for the dripped l3');
select ok((select opens_at > now() + interval '6 days' from public.course_outline(tests.course_id('course-a')) where lesson_title = 'l3'),
  'the outline says when the dripped lesson opens');
select tests.authenticate_as_anon();
select is((select array_agg(state order by section_position, lesson_position) from public.course_outline(tests.course_id('course-a'))),
  array['preview', 'not_enrolled', 'not_enrolled', 'not_enrolled'], 'anon sees the outline with preview flags');
select throws_ok(format($$ select * from public.course_outline(%L) $$, tests.course_id('course-draft')), 'PT404', 'course not found',
  'anon gets no outline for a draft');
select tests.authenticate_as('ent@t');
select is((select row(slug, percent, next_lesson_id is null)::text from public.my_dashboard()), row('course-a', 100.00, true)::text,
  'dashboard: a finished course with no next lesson');
select tests.authenticate_as('drip@t');
select is((select next_lesson_title from public.my_dashboard()), 'l2', 'dashboard: the next lesson to take');
select tests.authenticate_as('none@t');
select is((select count(*) from public.my_dashboard()), 0::bigint, 'dashboard: empty without courses');

-- ---------------------------------------------------------------- the machine codes frontends branch on
select tests.authenticate_as('drip@t');
select is(tests.error_detail(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l3'))),
  'lesson_scheduled', 'record_progress: a lesson whose date or drip delay is ahead is lesson_scheduled');
select is(tests.error_detail(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l4'))),
  'lesson_locked', 'a lesson behind an unfinished one is lesson_locked');
select tests.authenticate_as('none@t');
select is(tests.error_detail(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l1'))),
  'no_access', 'a student without the course is no_access');

select * from finish();
rollback;
