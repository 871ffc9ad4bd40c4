-- Grading: who grades, the points and the late penalty, what a pass completes, and how the
-- student hears of it.
begin;
select plan(40);
select tests.catalog_fixture();
select tests.homework_fixture();
create function pg_temp.hw() returns uuid language sql as $$ select tests.assignment_id('course-a', 'hw') $$;
create temporary table subs (who text, attempt int, id uuid);
grant select, insert on subs to anon, authenticated;
create function pg_temp.sub(who text, attempt int default null) returns uuid language sql as $$
  select id from subs where subs.who = sub.who and (sub.attempt is null or subs.attempt = sub.attempt) order by subs.attempt desc limit 1
$$;
grant execute on function pg_temp.hw(), pg_temp.sub(text, int) to anon, authenticated;

select ok(has_function_privilege('authenticated', 'public.grade_submission(uuid, numeric, text, boolean)', 'execute')
  and not has_function_privilege('anon', 'public.grade_submission(uuid, numeric, text, boolean)', 'execute'),
  'signed-in users call grade_submission (it checks who they are); anon does not');

-- ent@t submits twice (on time); drip@t opts out of update emails and submits once, late.
select tests.authenticate_as('ent@t');
insert into subs select 'ent', s.attempt, s.id from public.submit_assignment(pg_temp.hw(), 'First draft.') s;
insert into subs select 'ent', s.attempt, s.id from public.submit_assignment(pg_temp.hw(), 'Final answer.') s;
select tests.clear_authentication();
update public.assignments set due_at = now() - interval '1 hour' where id = pg_temp.hw();
insert into public.email_preferences (user_id, updates) values (tests.user_id('drip@t'), false);
select tests.authenticate_as('drip@t');
insert into subs select 'drip', s.attempt, s.id from public.submit_assignment(pg_temp.hw(), 'Late, sorry.') s;
select tests.clear_authentication();
update private.email_outbox set status = 'sent' where status = 'pending'; -- the welcome emails

-- ---------------------------------------------------------------- who grades
select tests.authenticate_as_anon();
select throws_ok(format($$ select public.grade_submission(%L, 90) $$, pg_temp.sub('ent')),
  '42501', 'permission denied for function grade_submission', 'anon cannot grade');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select public.grade_submission(%L, 100) $$, pg_temp.sub('ent')),
  '42501', 'only the course''s instructors grade its homework', 'a student cannot grade themselves');
select is(tests.error_detail(format($$ select public.grade_submission(%L, 100) $$, pg_temp.sub('ent'))), 'not_course_staff',
  'with its machine code');
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.grade_submission(%L, 0) $$, pg_temp.sub('ent')),
  '42501', 'only the course''s instructors grade its homework', 'nor another student');
select tests.authenticate_as('none@t');
select throws_ok(format($$ select public.grade_submission(%L, 0) $$, pg_temp.sub('ent')),
  '42501', 'only the course''s instructors grade its homework', 'nor a student without access');
select tests.authenticate_as('other@t');
select throws_ok(format($$ select public.grade_submission(%L, 0) $$, pg_temp.sub('ent')),
  '42501', 'only the course''s instructors grade its homework', 'nor another course''s instructor');
select throws_ok($$ select public.grade_submission('00000000-0000-4000-8000-000000000000', 1) $$,
  'PT404', 'submission not found', 'an unknown submission is not found');
-- A student who joins the course's staff still cannot grade their own work.
select tests.clear_authentication();
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('ent@t'), 'co_instructor');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select public.grade_submission(%L, 100) $$, pg_temp.sub('ent')),
  '42501', 'you cannot grade your own submission', 'staff never grade their own submission');
select is(tests.error_detail(format($$ select public.grade_submission(%L, 100) $$, pg_temp.sub('ent'))), 'own_submission',
  'with its machine code');
select tests.clear_authentication();
delete from public.course_instructors where course_id = tests.course_id('course-a') and user_id = tests.user_id('ent@t');
select is((select count(*) from public.submissions where graded_at is not null and course_id = tests.course_id('course-a')), 0::bigint,
  'no refused call graded anything');

-- ---------------------------------------------------------------- what a grade may be
select tests.authenticate_as('own@t');
select throws_ok(format($$ select public.grade_submission(%L, 100.01) $$, pg_temp.sub('ent')),
  '22023', 'points must be between 0 and the assignment''s max points', 'no more than the max points');
select throws_ok(format($$ select public.grade_submission(%L, -1) $$, pg_temp.sub('ent')),
  '22023', 'points must be between 0 and the assignment''s max points', 'no negative points');
select throws_ok(format($$ select public.grade_submission(%L, null) $$, pg_temp.sub('ent')),
  '22023', 'points must be between 0 and the assignment''s max points', 'points are required');
select is(tests.error_detail(format($$ select public.grade_submission(%L, null) $$, pg_temp.sub('ent'))), 'invalid_points',
  'with its machine code');
select throws_ok(format($$ select public.grade_submission(%L, 50, repeat('x', 20001)) $$, pg_temp.sub('ent')),
  '22023', 'feedback is longer than 20000 characters', 'feedback is at most 20000 characters');
select throws_ok(format($$ select public.grade_submission(%L, 50) $$, pg_temp.sub('ent', 1)),
  'P0001', 'the student has submitted again since: grade the latest submission', 'only the submission that counts is graded');
select is(tests.error_detail(format($$ select public.grade_submission(%L, 50) $$, pg_temp.sub('ent', 1))), 'submission_superseded',
  'with its machine code');

-- ---------------------------------------------------------------- a passing grade
select results_eq(format($$ select raw_points, late_penalty_percent, points, passed, feedback, graded_by = auth.uid()
                            from public.grade_submission(%L, 80, '  Clear policy; add a test for anon.  ') $$, pg_temp.sub('ent')),
  $$ values (80.00::numeric(8,2), 0.00::numeric(5,2), 80.00::numeric(8,2), true, 'Clear policy; add a test for anon.', true) $$,
  'the instructor grades the latest submission: on time, 80 of 100 passes (pass mark 60)');
select tests.clear_authentication();
select ok((select completed_at is not null from public.lesson_progress
           where user_id = tests.user_id('ent@t') and lesson_id = tests.lesson_id('course-a', 'hw')),
  'a passing grade completes the assignment''s lesson');
select is((select row(completed_lessons, required_lessons)::text from public.course_progress
           where user_id = tests.user_id('ent@t') and course_id = tests.course_id('course-a')), row(1, 5)::text,
  'and counts toward the course');
select is((select row(kind, title, body, link)::text from public.notifications where user_id = tests.user_id('ent@t')),
  row('submission_graded', 'Graded: hw', '80 of 100 points, passed', '/lessons/' || tests.lesson_id('course-a', 'hw'))::text,
  'the student gets an in-app notification');
select is((select row(template, category, payload ->> 'points', payload ->> 'passed', payload ->> 'feedback', payload ->> 'regraded')::text
           from private.email_outbox where to_user_id = tests.user_id('ent@t') and status = 'pending'),
  row('submission_graded', 'updates', '80.00', 'true', 'Clear policy; add a test for anon.', 'false')::text,
  'and an email through the outbox');
select is((select details ->> 'points' from public.audit_log where action = 'grade_submission' and target_id = pg_temp.sub('ent')::text),
  '80.00', 'the audit log records the grade');

-- ---------------------------------------------------------------- late penalty, opt-outs, failing, waiving
select tests.authenticate_as('own@t');
select results_eq(format($$ select is_late, raw_points, late_penalty_percent, points, passed from public.grade_submission(%L, 60) $$,
  pg_temp.sub('drip')),
  $$ values (true, 60.00::numeric(8,2), 10.00::numeric(5,2), 54.00::numeric(8,2), false) $$,
  'a late submission loses the late penalty (10%): 60 given, 54 count, short of the pass mark');
select tests.clear_authentication();
select is((select count(*) from public.lesson_progress where user_id = tests.user_id('drip@t') and completed_at is not null),
  0::bigint, 'a failing grade completes nothing');
select is((select body from public.notifications where user_id = tests.user_id('drip@t') and kind = 'submission_graded'),
  '54 of 100 points, not passed yet', 'the student is notified in the app');
select is((select count(*) from private.email_outbox where to_user_id = tests.user_id('drip@t') and template = 'submission_graded'),
  0::bigint, 'but not emailed: they opted out of update emails');
select tests.authenticate_as('own@t');
select results_eq(format($$ select late_penalty_percent, points, passed from public.grade_submission(%L, 60, null, true) $$, pg_temp.sub('drip')),
  $$ values (0.00::numeric(5,2), 60.00::numeric(8,2), true) $$, 'the grader may waive the penalty: 60 count, a pass');
select tests.clear_authentication();
select ok((select completed_at is not null from public.lesson_progress
           where user_id = tests.user_id('drip@t') and lesson_id = tests.lesson_id('course-a', 'hw')),
  'the regrade to a pass completes the lesson');
select is((select count(*) from public.notifications where user_id = tests.user_id('drip@t') and kind = 'submission_graded'),
  2::bigint, 'each grade is notified');

-- ---------------------------------------------------------------- regrading
select tests.authenticate_as('admin@t');
select results_eq(format($$ select points, passed, feedback, graded_by = auth.uid() from public.grade_submission(%L, 10, 'Plagiarised.') $$,
  pg_temp.sub('ent')), $$ values (10.00::numeric(8,2), false, 'Plagiarised.', true) $$, 'an admin regrades any submission');
select tests.clear_authentication();
select ok((select completed_at is not null from public.lesson_progress
           where user_id = tests.user_id('ent@t') and lesson_id = tests.lesson_id('course-a', 'hw')),
  'a completed lesson stays complete');
select is((select payload ->> 'regraded' from private.email_outbox where to_user_id = tests.user_id('ent@t') and template = 'submission_graded'
           and payload ->> 'points' = '10.00'), 'true', 'the email says it is a new grade');
select is((select count(*) from public.audit_log where action = 'grade_submission' and target_id = pg_temp.sub('ent')::text), 2::bigint,
  'the audit log keeps every grade');

-- ---------------------------------------------------------------- who reads grades
select tests.authenticate_as('ent@t');
select results_eq($$ select attempt, points, feedback from public.submissions order by attempt $$,
  $$ values (1, null::numeric(8,2), null::text), (2, 10.00::numeric(8,2), 'Plagiarised.') $$,
  'a student reads their grades and feedback');
select tests.authenticate_as('drip@t');
select is((select count(*) from public.submissions where user_id <> auth.uid()), 0::bigint, 'and never another student''s');

-- ---------------------------------------------------------------- staff removed from a course lose grading at once
select tests.clear_authentication();
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('other@t'), 'co_instructor');
select tests.authenticate_as('other@t');
select is((public.grade_submission(pg_temp.sub('ent'), 70)).points, 70.00::numeric(8,2), 'a co-instructor grades');
select tests.authenticate_as('own@t');
select public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t'));
select tests.authenticate_as('other@t');
select throws_ok(format($$ select public.grade_submission(%L, 100) $$, pg_temp.sub('ent')),
  '42501', 'only the course''s instructors grade its homework', 'removed, they grade no more');
select is((select count(*) from public.submissions where course_id = tests.course_id('course-a')), 0::bigint,
  'nor read the course''s submissions');

select * from finish();
rollback;
