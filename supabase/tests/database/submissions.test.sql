-- Submissions: who may submit and when, what a submission holds, resubmission history, late
-- flags, and who reads submissions.
begin;
select plan(55);
select tests.catalog_fixture();
select tests.homework_fixture();
-- An assignment behind a 7-day drip: open for ent@t (enrolled 30 days ago), not for drip@t.
insert into public.lessons (section_id, title, kind, position, drip_days)
select s.id, 'hw-drip', 'assignment', 2, 7 from public.sections s where s.course_id = tests.course_id('course-a') and s.position = 1;
insert into public.assignments (lesson_id) values (tests.lesson_id('course-a', 'hw-drip'));
create function pg_temp.hw() returns uuid language sql as $$ select tests.assignment_id('course-a', 'hw') $$;
create function pg_temp.submit(body text, files text[] default null) returns public.submissions language sql as $$
  select * from public.submit_assignment(pg_temp.hw(), submit.body, submit.files)
$$;
create function pg_temp.mine() returns bigint language sql as $$
  select count(*) from public.submissions where course_id in (tests.course_id('course-a'), tests.course_id('course-b'))
$$;
grant execute on function pg_temp.hw(), pg_temp.submit(text, text[]), pg_temp.mine() to anon, authenticated;

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('anon', 'public.submissions', 'select'), 'anon holds no grant on submissions');
select ok(has_table_privilege('authenticated', 'public.submissions', 'select')
  and not has_table_privilege('authenticated', 'public.submissions', 'insert')
  and not has_table_privilege('authenticated', 'public.submissions', 'update')
  and not has_table_privilege('authenticated', 'public.submissions', 'delete')
  and not has_any_column_privilege('authenticated', 'public.submissions', 'update'),
  'authenticated only reads submissions: submit_assignment() and grade_submission() write them');
select ok(has_function_privilege('authenticated', 'public.submit_assignment(uuid, text, text[])', 'execute')
  and not has_function_privilege('anon', 'public.submit_assignment(uuid, text, text[])', 'execute'),
  'students (signed in) submit; anon does not');

-- ---------------------------------------------------------------- who may submit
select tests.authenticate_as_anon();
select throws_ok($$ select pg_temp.submit('hi') $$, '42501', 'permission denied for function submit_assignment',
  'anon cannot submit');
select tests.authenticate_as('none@t');
select throws_ok($$ select public.submit_assignment('00000000-0000-4000-8000-000000000000', 'hi') $$,
  'PT404', 'assignment not found', 'an unknown assignment is not found');
select throws_ok($$ select pg_temp.submit('hi') $$, '42501', 'you do not have access to this course',
  'a student without access cannot submit');
select is(tests.error_detail($$ select pg_temp.submit('hi') $$), 'no_access', 'with its machine code');
select tests.authenticate_as('other@t');
select throws_ok($$ select pg_temp.submit('hi') $$, '42501', 'you do not have access to this course',
  'nor can another course''s instructor');
select tests.clear_authentication();
insert into public.entitlements (user_id, course_id, source) values (tests.user_id('own@t'), tests.course_id('course-a'), 'grant');
select tests.authenticate_as('own@t');
select throws_ok($$ select pg_temp.submit('hi') $$, '42501', 'the course''s staff do not submit its homework',
  'the course''s instructor cannot submit, even holding access');
select is(tests.error_detail($$ select pg_temp.submit('hi') $$), 'staff_cannot_submit', 'with its machine code');
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.submit_assignment(%L, 'hi') $$, tests.assignment_id('course-a', 'hw-drip')),
  'P0001', 'this lesson is not open yet', 'a student cannot submit before the lesson opens for them');
select is(tests.error_detail(format($$ select public.submit_assignment(%L, 'hi') $$, tests.assignment_id('course-a', 'hw-drip'))),
  'lesson_scheduled', 'with its machine code');
select tests.clear_authentication();
update public.courses set requires_sequential = true where id = tests.course_id('course-a');
select tests.authenticate_as('ent@t');
select throws_ok($$ select pg_temp.submit('hi') $$, 'P0001', 'this lesson is not open yet',
  'in a course taken in order, not before the earlier lessons are complete');
select is(tests.error_detail($$ select pg_temp.submit('hi') $$), 'lesson_locked', 'with its machine code');
select tests.clear_authentication();
update public.courses set requires_sequential = false where id = tests.course_id('course-a');

-- ---------------------------------------------------------------- what a submission holds
select tests.authenticate_as('ent@t');
select throws_ok($$ select pg_temp.submit('   ') $$, '22023', 'a submission needs text or a file', 'an empty submission is refused');
select throws_ok($$ select pg_temp.submit(repeat('x', 100001)) $$, '22023', 'the text is longer than 100000 characters',
  'so is a text over 100000 characters');
select results_eq($$ select attempt, body, files, is_late, is_latest, graded_at from pg_temp.submit('My policy: using (true).') $$,
  $$ values (1, 'My policy: using (true).', '[]'::jsonb, false, true, null::timestamptz) $$,
  'an entitled student submits text: attempt 1, on time, the one that counts, not graded');

select tests.upload('submissions', tests.submission_path('ent@t', 'course-a', 'hw', 'policy.pdf'), 'application/pdf', 2048);
select tests.upload('submissions', tests.submission_path('ent@t', 'course-a', 'hw', 'screenshot.png'), 'image/png', 512);
select tests.upload('submissions', tests.submission_path('ent@t', 'course-a', 'hw', 'notes.txt'), 'text/plain', 10);
select throws_ok(format($$ select pg_temp.submit(null, array[%L, %L, %L]) $$,
  tests.submission_path('ent@t', 'course-a', 'hw', 'policy.pdf'), tests.submission_path('ent@t', 'course-a', 'hw', 'screenshot.png'),
  tests.submission_path('ent@t', 'course-a', 'hw', 'notes.txt')),
  '22023', 'this assignment takes fewer files', 'no more files than the assignment takes (2)');
select throws_ok(format($$ select pg_temp.submit(null, array[%L]) $$, tests.submission_path('ent@t', 'course-a', 'hw', 'missing.pdf')),
  '22023', 'a file was not found: upload it first', 'a file must be uploaded first');
select throws_ok(format($$ select pg_temp.submit(null, array[%L]) $$, tests.submission_path('drip@t', 'course-a', 'hw', 'policy.pdf')),
  '22023', 'a file is not in your folder for this assignment', 'a file in another student''s folder is refused');
select throws_ok(format($$ select pg_temp.submit(null, array[%L]) $$,
  tests.course_id('course-a') || '/' || tests.assignment_id('course-a', 'hw-drip') || '/' || tests.user_id('ent@t') || '/policy.pdf'),
  '22023', 'a file is not in your folder for this assignment', 'so is one in their folder for another assignment');
select throws_ok(format($$ select pg_temp.submit(null, array[%L]) $$, tests.submission_path('ent@t', 'course-a', 'hw', 'sub/policy.pdf')),
  '22023', 'a file is not in your folder for this assignment', 'and one in a sub-folder');
select throws_ok(format($$ select pg_temp.submit(null, array[%L]) $$, tests.submission_path('ent@t', 'course-a', 'hw', '')),
  '22023', 'a file is not in your folder for this assignment', 'and the folder itself');

select results_eq(format($$ select attempt, body, files from pg_temp.submit('Second try, with files.', array[%L, %L, %L]) $$,
  tests.submission_path('ent@t', 'course-a', 'hw', 'policy.pdf'), tests.submission_path('ent@t', 'course-a', 'hw', 'screenshot.png'),
  tests.submission_path('ent@t', 'course-a', 'hw', 'policy.pdf')),
  format($$ values (2, 'Second try, with files.', jsonb_build_array(
    jsonb_build_object('path', %L::text, 'name', 'policy.pdf', 'size', 2048, 'mime_type', 'application/pdf'),
    jsonb_build_object('path', %L::text, 'name', 'screenshot.png', 'size', 512, 'mime_type', 'image/png'))) $$,
    tests.submission_path('ent@t', 'course-a', 'hw', 'policy.pdf'), tests.submission_path('ent@t', 'course-a', 'hw', 'screenshot.png')),
  'a resubmission is attempt 2, with each file once, in order, as Storage recorded it');
select results_eq($$ select attempt, is_latest from public.submissions where user_id = auth.uid() order by attempt $$,
  $$ values (1, false), (2, true) $$, 'the history is kept; the latest counts');

-- Files that no longer fit (the instructor tightened the rules after the upload) are refused.
select tests.clear_authentication();
update public.assignments set allowed_mime_types = '{image/*}', max_file_bytes = 1000 where id = pg_temp.hw();
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select pg_temp.submit(null, array[%L]) $$, tests.submission_path('ent@t', 'course-a', 'hw', 'policy.pdf')),
  '22023', 'this assignment does not accept that type of file', 'a type the assignment does not take is refused');
select is(tests.error_detail(format($$ select pg_temp.submit(null, array[%L]) $$, tests.submission_path('ent@t', 'course-a', 'hw', 'policy.pdf'))),
  'file_type_not_allowed', 'with its machine code');
select throws_ok(format($$ select pg_temp.submit(null, array[%L]) $$, tests.submission_path('ent@t', 'course-a', 'hw', 'notes.txt')),
  '22023', 'this assignment does not accept that type of file', 'image/* takes images only');
select lives_ok(format($$ select pg_temp.submit(null, array[%L]) $$, tests.submission_path('ent@t', 'course-a', 'hw', 'screenshot.png')),
  'image/* takes a PNG');
select tests.clear_authentication();
update public.assignments set max_file_bytes = 100 where id = pg_temp.hw();
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select pg_temp.submit(null, array[%L]) $$, tests.submission_path('ent@t', 'course-a', 'hw', 'screenshot.png')),
  '22023', 'a file is larger than this assignment accepts', 'a file over the size limit is refused');
select tests.clear_authentication();
update public.assignments set allowed_mime_types = null, max_file_bytes = 1048576 where id = pg_temp.hw();

-- ---------------------------------------------------------------- deadlines: late, then closed
update public.assignments set due_at = now() - interval '1 day', late_until = now() + interval '1 day' where id = pg_temp.hw();
select tests.authenticate_as('ent@t');
select results_eq($$ select attempt, is_late from pg_temp.submit('Sorry, late.') $$, $$ values (4, true) $$,
  'after the due date, a submission is still taken until the cut-off, flagged late');
select tests.clear_authentication();
update public.assignments set late_until = null where id = pg_temp.hw();
select tests.authenticate_as('ent@t');
select results_eq($$ select attempt, is_late from pg_temp.submit('Later still.') $$, $$ values (5, true) $$,
  'with no cut-off, late submissions are taken at any time');
select tests.clear_authentication();
update public.assignments set late_until = due_at where id = pg_temp.hw();
select tests.authenticate_as('ent@t');
select throws_ok($$ select pg_temp.submit('Too late.') $$, 'P0001', 'the deadline for this assignment has passed',
  'a cut-off at the due date takes nothing late');
select is(tests.error_detail($$ select pg_temp.submit('Too late.') $$), 'deadline_passed', 'with its machine code');
select tests.clear_authentication();
update public.assignments set due_at = null, late_until = null where id = pg_temp.hw();
select tests.authenticate_as('ent@t');
select results_eq($$ select attempt, is_late from pg_temp.submit('No due date.') $$, $$ values (6, false) $$,
  'with no due date, nothing is late');

-- ---------------------------------------------------------------- nobody writes the table directly
select throws_ok(format($$ insert into public.submissions (assignment_id, course_id, user_id, attempt) values (%L, %L, auth.uid(), 9) $$,
  pg_temp.hw(), tests.course_id('course-a')),
  '42501', 'permission denied for table submissions', 'a student cannot write a submission row');
select throws_ok($$ update public.submissions set submitted_at = now() - interval '30 days' $$,
  '42501', 'permission denied for table submissions', 'nor backdate one');
select throws_ok($$ delete from public.submissions $$, '42501', 'permission denied for table submissions', 'nor delete one');

-- ---------------------------------------------------------------- readers: the six personas
select tests.authenticate_as('drip@t');
select is((pg_temp.submit('Mine.')).attempt, 1, 'another student submits their own (attempts count per student)');
select is(pg_temp.mine(), 1::bigint, 'a student reads only their own submissions');
select tests.authenticate_as('ent@t');
select is(pg_temp.mine(), 6::bigint, 'each student reads their history');
select tests.authenticate_as_anon();
select throws_ok($$ select pg_temp.mine() $$, '42501', 'permission denied for table submissions', 'anon reads none');
select tests.authenticate_as('none@t');
select is(pg_temp.mine(), 0::bigint, 'a student without access reads none');
select tests.authenticate_as('own@t');
select is(pg_temp.mine(), 7::bigint, 'the instructor reads every submission of their course');
select tests.authenticate_as('other@t');
select is(pg_temp.mine(), 0::bigint, 'another course''s instructor reads none');
select tests.authenticate_as('admin@t');
select is(pg_temp.mine(), 7::bigint, 'an admin reads every submission');

-- ---------------------------------------------------------------- staff removed from a course lose them at once
select tests.clear_authentication();
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('other@t'), 'co_instructor');
select tests.authenticate_as('other@t');
select is(pg_temp.mine(), 7::bigint, 'a co-instructor reads the course''s submissions');
select tests.authenticate_as('own@t');
select public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t'));
select tests.authenticate_as('other@t');
select is(pg_temp.mine(), 0::bigint, 'removed, they read none at once');

-- ---------------------------------------------------------------- the attached-files helpers (submissions, Q&A, chat)
select tests.clear_authentication();
select ok(not has_function_privilege('anon', 'private.path_in_folder(text, text)', 'execute')
  and not has_function_privilege('authenticated', 'private.path_in_folder(text, text)', 'execute')
  and not has_function_privilege('authenticated', 'private.unique_paths(text[])', 'execute')
  and not has_function_privilege('authenticated', 'private.attached_files(text, text[])', 'execute'),
  'the attached-files helpers are not the API''s');
select is(private.unique_paths(array['b', 'a', 'b', 'c', 'a']), array['b', 'a', 'c'], 'each path once, in the order first given');
select is(private.unique_paths(null), '{}'::text[], 'no paths: none');
select is(array[private.path_in_folder('c/a/u/f.pdf', 'c/a/u/'), private.path_in_folder('c/a/u/sub/f.pdf', 'c/a/u/'),
                private.path_in_folder('c/a/u/', 'c/a/u/'), private.path_in_folder('c/a/v/f.pdf', 'c/a/u/'),
                private.path_in_folder(null, 'c/a/u/'), private.path_in_folder('c/a/u', 'c/a/u/')],
  array[true, false, false, false, false, false],
  'a path is in a folder only as a file directly in it: not a sub-folder, the folder itself, another folder, nothing');
select is(private.path_in_folder('c/a/u/../v/f.pdf', 'c/a/u/'), false, 'a dot-dot path is not in the folder');
insert into storage.objects (bucket_id, name, owner_id, metadata)
values ('submissions', 'helper-test/x/u/one.pdf', null, '{"size": 10, "mimetype": "application/pdf"}'),
       ('submissions', 'helper-test/x/u/two.png', null, '{"size": 20, "mimetype": "image/png"}');
select is(private.attached_files('submissions', array['helper-test/x/u/two.png', 'helper-test/x/u/missing', 'helper-test/x/u/one.pdf']),
  '[{"path":"helper-test/x/u/two.png","name":"two.png","size":20,"mime_type":"image/png"},{"path":"helper-test/x/u/one.pdf","name":"one.pdf","size":10,"mime_type":"application/pdf"}]'::jsonb,
  'attached_files: the stored ones, in the order given, as a post keeps them');
select is(private.attached_files('chat', array['helper-test/x/u/one.pdf']), '[]'::jsonb, 'only from the bucket named');

select * from finish();
rollback;
