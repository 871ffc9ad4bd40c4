-- Attempts: starting (access, lesson state, window, attempts left, resuming), saving answers (shape
-- checked, idempotent, refused once submitted or past the deadline), grading at submit, what the
-- reveal setting shows, deadlines met by pg_cron and by the next call, grading by hand, regrading,
-- the counted score completing the lesson, who reads attempts and answers (six personas, removed
-- staff), and item statistics. The race of 20 parallel starts: supabase/functions/tests/quiz_race_test.ts.
begin;
select plan(131);
select tests.quiz_fixture();

create temporary table att (who text primary key, id uuid);
grant all on att to authenticated;
create function pg_temp.att(name text) returns uuid language sql as $$ select a.id from att a where a.who = $1 $$;
create function pg_temp.save(who text, prompt text, answer jsonb) returns timestamptz language sql as $$
  select public.save_answer(pg_temp.att(who), tests.question_id(prompt), answer)
$$;
create function pg_temp.pick(prompt text, label text) returns jsonb language sql as $$
  select jsonb_build_object('option_id', tests.option_id(prompt, label))
$$;
grant execute on all functions in schema pg_temp to anon, authenticated;

-- ---------------------------------------------------------------- grants
select ok(bool_and(has_function_privilege('authenticated', f, 'execute') and not has_function_privilege('anon', f, 'execute')),
  'the quiz RPCs: signed-in users only (each checks who may)')
from unnest(array['public.start_attempt(uuid)', 'public.save_answer(uuid, uuid, jsonb)', 'public.submit_attempt(uuid)',
                  'public.attempt_review(uuid)', 'public.grade_answer(uuid, numeric, text)', 'public.quiz_item_stats(uuid)']) f;
select ok(not bool_or(has_function_privilege('authenticated', f, 'execute')), 'grading helpers: our SQL functions only')
from unnest(array['private.auto_grade(uuid, jsonb)', 'private.finish_attempt(uuid, boolean)', 'private.quiz_score(uuid, uuid)',
                  'private.attempt_result(uuid, boolean)', 'private.regrade_question(uuid)', 'private.expire_quiz_attempts()']) f;
select ok(not bool_or(has_table_privilege('authenticated', t, p)), 'attempts and answers are written by the RPCs only')
from unnest(array['public.quiz_attempts', 'public.quiz_answers']) t cross join unnest(array['insert', 'update', 'delete']) p;
select ok(not has_table_privilege('anon', 'public.quiz_attempts', 'select') and not has_table_privilege('anon', 'public.quiz_answers', 'select'),
  'anon reads no attempt');
select is_empty($$ select tablename from pg_publication_tables where tablename in ('questions', 'question_options', 'quizzes',
  'quiz_questions', 'quiz_attempts', 'quiz_answers') $$, 'no quiz table is published to Realtime');
select is((select schedule from cron.job where jobname = 'expire-quiz-attempts'), '* * * * *',
  'pg_cron submits overdue attempts every minute');

-- ---------------------------------------------------------------- start_attempt: who may
select tests.authenticate_as_anon();
select throws_ok($$ select public.start_attempt(tests.quiz_id('quiz1')) $$, '42501', 'permission denied for function start_attempt',
  'anon can''t start');
select tests.authenticate_with_claims('{"role": "authenticated"}');
select throws_ok($$ select public.start_attempt(tests.quiz_id('quiz1')) $$, '42501', 'sign in to take a quiz',
  'a token without a user can''t');
select tests.authenticate_as('none@t');
select throws_ok($$ select public.start_attempt(tests.quiz_id('quiz1')) $$, '42501', 'you do not have access to this course',
  'a student without access can''t');
select throws_ok($$ select public.start_attempt('00000000-0000-4000-8000-000000000000') $$, 'PT404', 'quiz not found',
  'an unknown quiz');
select tests.authenticate_as('other@t');
select throws_ok($$ select public.start_attempt(tests.quiz_id('quiz1')) $$, '42501', 'you do not have access to this course',
  'another course''s instructor can''t');
select tests.clear_authentication();
update public.lessons set drip_days = 3 where id = tests.lesson_id('course-a', 'quiz1');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.start_attempt(tests.quiz_id('quiz1')) $$, 'P0001', 'this lesson is not open yet',
  'the quiz lesson drips like any lesson');
select is(tests.error_detail($$ select public.start_attempt(tests.quiz_id('quiz1')) $$), 'lesson_scheduled', 'the machine code says why');
select tests.clear_authentication();
update public.lessons set drip_days = null where id = tests.lesson_id('course-a', 'quiz1');
update public.quizzes set opens_at = now() + interval '1 hour' where id = tests.quiz_id('quiz1');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.start_attempt(tests.quiz_id('quiz1')) $$, 'P0001', 'this quiz is not open yet', 'before the window');
select tests.clear_authentication();
update public.quizzes set opens_at = now() - interval '2 hours', closes_at = now() - interval '1 hour' where id = tests.quiz_id('quiz1');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.start_attempt(tests.quiz_id('quiz1')) $$, 'P0001', 'this quiz is closed', 'after the window');
select tests.clear_authentication();
update public.quizzes set opens_at = null, closes_at = null where id = tests.quiz_id('quiz1');

-- ---------------------------------------------------------------- start_attempt: a snapshot without keys
select tests.authenticate_as('ent@t');
insert into att select 'ent1', id from public.start_attempt(tests.quiz_id('quiz1'));
select is((select number || '/' || status || '/' || max_score || '/' || jsonb_array_length(questions) from public.quiz_attempts
           where id = pg_temp.att('ent1')), '1/in_progress/10.00/6', 'an entitled student starts attempt 1 with the six questions');
select is((select deadline_at - started_at from public.quiz_attempts where id = pg_temp.att('ent1')), interval '10 minutes',
  'due when the time limit runs out');
select is((select array_agg(distinct k order by k) from public.quiz_attempts t, jsonb_array_elements(t.questions) q, jsonb_object_keys(q) k
           where t.id = pg_temp.att('ent1')), array['id', 'kind', 'options', 'points', 'prompt'],
  'each question of the snapshot: id, kind, prompt, points, options; nothing else');
select is((select array_agg(distinct k order by k) from public.quiz_attempts t, jsonb_array_elements(t.questions) q,
           jsonb_array_elements(q -> 'options') o, jsonb_object_keys(o) k where t.id = pg_temp.att('ent1')), array['id', 'label'],
  'each option: id and label (no correct flag, no feedback)');
select ok((select questions::text !~ '(auth\.uid|3\.14|because|about Q)' from public.quiz_attempts where id = pg_temp.att('ent1')),
  'no accepted answer, numeric answer or feedback text anywhere in it');
select is((select id from public.start_attempt(tests.quiz_id('quiz1'))), pg_temp.att('ent1'),
  'starting again resumes the attempt in progress');
select is((select count(*) from public.quiz_attempts where user_id = tests.user_id('ent@t')), 1::bigint, 'no second attempt');
select is((select count(*) from public.quiz_answers), 0::bigint, 'a student reads no answer row, not even their own (they hold points)');
select is((select jsonb_path_query_array(public.attempt_review(pg_temp.att('ent1')), '$.questions[*].keyvalue().key ? (@ == "key" || @ == "points_awarded" || @ == "correct")')),
  '[]'::jsonb, 'the review of an attempt in progress holds no key, points or correctness');

-- ---------------------------------------------------------------- save_answer
select isnt(pg_temp.save('ent1', 'Q1 single', pg_temp.pick('Q1 single', 'grant rls')), null, 'a wrong answer is saved');
select isnt(pg_temp.save('ent1', 'Q1 single', pg_temp.pick('Q1 single', 'enable rls')), null,
  'a right one is saved the same way (save_answer never reads the key)');
select lives_ok($$ select pg_temp.save('ent1', 'Q1 single', pg_temp.pick('Q1 single', 'enable rls')) $$, 'saving again is harmless');
select is((public.attempt_review(pg_temp.att('ent1')) #> '{questions,0,answer}'), pg_temp.pick('Q1 single', 'enable rls'),
  'the review shows the saved answer (to resume)');
select lives_ok($$ select pg_temp.save('ent1', 'Q2 multiple', jsonb_build_object('option_ids',
  jsonb_build_array(tests.option_id('Q2 multiple', 'authenticated'), tests.option_id('Q2 multiple', 'anon'))));
  select pg_temp.save('ent1', 'Q3 true/false', pg_temp.pick('Q3 true/false', 'True'));
  select pg_temp.save('ent1', 'Q4 short', '{"text": " AUTH.UID ( ) "}');
  select pg_temp.save('ent1', 'Q5 numeric', '{"value": 3.145}');
  select pg_temp.save('ent1', 'Q6 essay', '{"text": "temporary"}');
  select pg_temp.save('ent1', 'Q6 essay', 'null');
  select pg_temp.save('ent1', 'Q6 essay', '{"text": "RLS filters rows per policy."}') $$, 'every kind of answer is saved');
select throws_ok($$ select pg_temp.save('ent1', 'Q1 single', pg_temp.pick('Q2 multiple', 'anon')) $$, '22023',
  'the answer does not fit the question', 'an option of another question');
select throws_ok($$ select pg_temp.save('ent1', 'Q2 multiple', '{"option_ids": "anon"}') $$, '22023',
  'the answer does not fit the question', 'multiple choice takes a list');
select throws_ok($$ select pg_temp.save('ent1', 'Q5 numeric', '{"value": "3.14"}') $$, '22023',
  'the answer does not fit the question', 'a numeric answer is a number');
select throws_ok($$ select pg_temp.save('ent1', 'Q4 short', '"auth.uid()"') $$, '22023',
  'the answer does not fit the question', 'a short answer is {"text": ...}');
select is(tests.error_detail($$ select pg_temp.save('ent1', 'Q4 short', '{"text": 1}') $$), 'invalid_answer', 'the machine code says why');
select throws_ok(format($$ select public.save_answer(%L, '00000000-0000-4000-8000-000000000000', '{"text": "x"}') $$, pg_temp.att('ent1')),
  'PT404', 'that question is not part of this attempt', 'a question outside the attempt');
select tests.authenticate_as('drip@t');
select throws_ok($$ select pg_temp.save('ent1', 'Q1 single', pg_temp.pick('Q1 single', 'grant rls')) $$, 'PT404', 'attempt not found',
  'another student can''t answer in someone''s attempt');
select tests.authenticate_as('own@t');
select throws_ok($$ select pg_temp.save('ent1', 'Q1 single', pg_temp.pick('Q1 single', 'grant rls')) $$, 'PT404', 'attempt not found',
  'nor can the staff');
select tests.authenticate_as('ent@t');
select is((select count(*) from public.quiz_attempts), 1::bigint, 'and nothing was written');

-- ---------------------------------------------------------------- who reads attempts (in progress)
select tests.authenticate_as('drip@t');
insert into att select 'drip1', id from public.start_attempt(tests.quiz_id('quiz1'));
select lives_ok($$ select pg_temp.save('drip1', 'Q1 single', pg_temp.pick('Q1 single', 'grant rls')) $$, 'a second student answers');
select is((select array_agg(number) from public.quiz_attempts), array[1], 'a student reads only their own attempts');
select throws_ok(format($$ select public.attempt_review(%L) $$, pg_temp.att('ent1')), 'PT404', 'attempt not found',
  'nor reviews another student''s');
select throws_ok(format($$ select public.submit_attempt(%L) $$, pg_temp.att('ent1')), 'PT404', 'attempt not found',
  'nor submits it');
select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.quiz_attempts $$, '42501', 'permission denied for table quiz_attempts', 'anon: no attempts');
select tests.authenticate_as('none@t');
select is((select count(*) from public.quiz_attempts), 0::bigint, 'a student without access: none');
select tests.authenticate_as('other@t');
select is((select count(*) from public.quiz_attempts) + (select count(*) from public.quiz_answers), 0::bigint,
  'another course''s instructor: no attempts, no answers');
select throws_ok(format($$ select public.attempt_review(%L) $$, pg_temp.att('ent1')), 'PT404', 'attempt not found',
  'nor a review');
select tests.authenticate_as('own@t');
select is((select count(*) from public.quiz_attempts)::text || '/' || (select count(*) from public.quiz_answers), '2/12',
  'the course''s owner reads its attempts and answers');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.quiz_attempts), 2::bigint, 'an admin too');

-- ---------------------------------------------------------------- submit_attempt: graded in SQL
select tests.authenticate_as('ent@t');
create temporary table result as select public.submit_attempt(pg_temp.att('ent1')) as r;
grant select on result to authenticated;
select is((select r ->> 'status' || '/' || (r ->> 'score') || '/' || (r ->> 'percent') || '/' || (r ->> 'passed') from result),
  'submitted/5.00/50.00/false', 'submitted: single, multiple, short (case and spaces ignored), numeric (within tolerance) right, true/false wrong, the essay waits');
select is((select jsonb_agg(q -> 'points_awarded' order by q ->> 'prompt') from result, jsonb_array_elements(r -> 'questions') q),
  '[1.00, 2.00, 0.00, 1.00, 1.00, null]'::jsonb, 'reveal after submit: the points of each answer');
select is((select q #> '{key,option_ids,0}' from result, jsonb_array_elements(r -> 'questions') q where q ->> 'prompt' = 'Q3 true/false'),
  to_jsonb(tests.option_id('Q3 true/false', 'False')), 'and the correct answer');
select is((select o ->> 'feedback' from result, jsonb_array_elements(r -> 'questions') q, jsonb_array_elements(q -> 'options') o
           where o ->> 'label' = 'True'), 'because True', 'and the options'' feedback');
select is((public.submit_attempt(pg_temp.att('ent1')) ->> 'score'), '5.00', 'submitting again changes nothing');
select throws_ok($$ select pg_temp.save('ent1', 'Q1 single', pg_temp.pick('Q1 single', 'grant rls')) $$, 'P0001',
  'this attempt is already submitted', 'no answer after submitting');
select is((select completed_at from public.lesson_progress where lesson_id = tests.lesson_id('course-a', 'quiz1')), null,
  'under the pass mark the quiz lesson is not complete');
select throws_ok($$ select public.grade_answer((public.attempt_review(pg_temp.att('ent1')) #>> '{questions,5,answer_id}')::uuid, 4, 'mine') $$,
  '42501', 'only the course''s staff can grade answers', 'a student can''t grade their own essay');

-- ---------------------------------------------------------------- grade_answer
select tests.clear_authentication();
create temporary table essay as select id from public.quiz_answers where attempt_id = pg_temp.att('ent1') and kind = 'essay';
grant select on essay to authenticated;
select tests.authenticate_as('other@t');
select throws_ok($$ select public.grade_answer((select id from essay), 1) $$, '42501', 'only the course''s staff can grade answers',
  'another course''s instructor can''t grade it');
select tests.authenticate_as('own@t');
select throws_ok($$ select public.grade_answer((select id from essay), 5) $$, '22023',
  'points must be between 0 and the question''s points', 'no more than the question''s points');
select throws_ok($$ select public.grade_answer((select id from public.quiz_answers where attempt_id = pg_temp.att('drip1') limit 1), 1) $$,
  'P0001', 'the attempt is still in progress', 'an attempt in progress is not graded');
select throws_ok($$ select public.grade_answer('00000000-0000-4000-8000-000000000000', 1) $$, 'PT404', 'answer not found', 'an unknown answer');
select is((select status || '/' || score || '/' || passed from public.grade_answer((select id from essay), 3, 'Good, but name USING.')),
  'graded/8.00/true', 'the owner grades the essay: the attempt is graded and passes (80% >= 60%)');
select tests.clear_authentication();
select isnt((select completed_at from public.lesson_progress where lesson_id = tests.lesson_id('course-a', 'quiz1')
             and user_id = tests.user_id('ent@t')), null, 'passing completes the quiz lesson');
select is((select last_lesson_id from public.course_progress where user_id = tests.user_id('ent@t') and course_id = tests.course_id('course-a')),
  tests.lesson_id('course-a', 'quiz1'), 'and refreshes the course progress');
select is((select kind || ': ' || title from public.notifications where user_id = tests.user_id('ent@t') and kind = 'quiz_graded'),
  'quiz_graded: Your quiz is graded', 'the student is told their quiz is graded');
select tests.authenticate_as('ent@t');
select is((select q ->> 'grader_feedback' || ' ' || (q ->> 'points_awarded') from jsonb_array_elements(public.attempt_review(pg_temp.att('ent1')) -> 'questions') q
           where q ->> 'kind' = 'essay'), 'Good, but name USING. 3.00', 'the student reads the grade and the feedback');

-- Regrading: the true/false key was wrong; fixing it updates the attempt.
select tests.authenticate_as('own@t');
select public.save_question(tests.course_id('course-a'), jsonb_build_object('id', tests.question_id('Q3 true/false'),
  'kind', 'true_false', 'prompt', 'Q3 true/false', 'options', jsonb_build_array(
    jsonb_build_object('id', tests.option_id('Q3 true/false', 'True'), 'label', 'True', 'correct', true),
    jsonb_build_object('id', tests.option_id('Q3 true/false', 'False'), 'label', 'False'))));
select is((select score from public.quiz_attempts where id = pg_temp.att('ent1')), 9.00, 'a changed key regrades the attempts that used it');
select public.save_question(tests.course_id('course-a'), jsonb_build_object('id', tests.question_id('Q4 short'),
  'kind', 'short_answer', 'prompt', 'Q4 short', 'points', 2, 'accepted_answers', jsonb_build_array('auth.uid()')));
select is((select score || '/' || max_score || '/' || percent from public.quiz_attempts where id = pg_temp.att('ent1')), '10.00/11.00/90.91',
  'and so do changed points');

-- Staff grade others, never themselves; removed staff lose everything at once.
insert into att select 'own1', id from public.start_attempt(tests.quiz_id('quiz1'));
select public.submit_attempt(pg_temp.att('own1'));
select throws_ok($$ select public.grade_answer((select id from public.quiz_answers where attempt_id = pg_temp.att('own1') and kind = 'essay'), 4) $$,
  '42501', 'nobody grades their own answers', 'an instructor who took their quiz can''t grade it');
select tests.authenticate_as('co@t');
select lives_ok($$ select public.grade_answer((select id from public.quiz_answers where attempt_id = pg_temp.att('own1') and kind = 'essay'), 0) $$,
  'a co-instructor grades it');
select tests.clear_authentication();
delete from public.course_instructors where course_id = tests.course_id('course-a') and user_id = tests.user_id('co@t');
select tests.authenticate_as('co@t');
select is((select count(*) from public.quiz_attempts) + (select count(*) from public.quiz_answers), 0::bigint,
  'a removed co-instructor reads no attempt and no answer');
select throws_ok(format($$ select public.grade_answer(%L, 1) $$, (select id from essay)), '42501',
  'only the course''s staff can grade answers', 'grades nothing');
select throws_ok(format($$ select public.attempt_review(%L) $$, pg_temp.att('ent1')), 'PT404', 'attempt not found', 'reviews nothing');
select throws_ok($$ select * from public.quiz_item_stats(tests.quiz_id('quiz1')) $$, '42501',
  'only the course''s staff can read item statistics', 'and reads no statistics');

-- ---------------------------------------------------------------- deadlines
select tests.authenticate_as('ent@t');
insert into att select 'ent2', id from public.start_attempt(tests.quiz_id('quiz1'));
select is((select number from public.quiz_attempts where id = pg_temp.att('ent2')), 2, 'a second attempt');
select lives_ok($$ select pg_temp.save('ent2', 'Q1 single', pg_temp.pick('Q1 single', 'grant rls')) $$, 'answering in time');
select tests.clear_authentication();
update public.quiz_attempts set deadline_at = now() - interval '20 seconds' where id = pg_temp.att('ent2');
select tests.authenticate_as('ent@t');
select lives_ok($$ select pg_temp.save('ent2', 'Q1 single', pg_temp.pick('Q1 single', 'enable rls')) $$, 'within the grace: saved');
select tests.clear_authentication();
update public.quiz_attempts set deadline_at = now() - interval '31 seconds' where id = pg_temp.att('ent2');
select tests.authenticate_as('ent@t');
select throws_ok($$ select pg_temp.save('ent2', 'Q1 single', pg_temp.pick('Q1 single', 'grant rls')) $$, 'P0001',
  'time is up for this attempt', 'past the deadline and its grace: refused');
select is(tests.error_detail($$ select pg_temp.save('ent2', 'Q2 multiple', '{"option_ids": []}') $$), 'attempt_time_up', 'the machine code says why');
select is((public.attempt_review(pg_temp.att('ent2')) ->> 'auto_submitted'), 'true', 'the next call touching it submits it');
select is((select status || '/' || score from public.quiz_attempts where id = pg_temp.att('ent2')), 'submitted/1.00',
  'with the answers saved in time');
select throws_ok($$ select public.start_attempt(tests.quiz_id('quiz1')) $$, 'P0001', 'you have no attempts left',
  'two attempts allowed, two used');
select tests.clear_authentication();
select is(private.quiz_score(tests.quiz_id('quiz1'), tests.user_id('ent@t')), 90.91, 'the best attempt counts');
update public.quizzes set grading = 'last' where id = tests.quiz_id('quiz1');
select is(private.quiz_score(tests.quiz_id('quiz1'), tests.user_id('ent@t')), 9.09, 'or the last');
update public.quizzes set grading = 'average' where id = tests.quiz_id('quiz1');
select is(private.quiz_score(tests.quiz_id('quiz1'), tests.user_id('ent@t')), 50.00, 'or the average');
select isnt((select completed_at from public.lesson_progress where lesson_id = tests.lesson_id('course-a', 'quiz1')
             and user_id = tests.user_id('ent@t')), null, 'a completed quiz lesson stays complete');

-- pg_cron's job, and start_attempt meeting an overdue attempt.
update public.quiz_attempts set deadline_at = now() - interval '1 minute' where id = pg_temp.att('drip1');
select is(private.expire_quiz_attempts(), 1, 'the job submits the overdue attempt');
select is((select status::text || '/' || auto_submitted from public.quiz_attempts where id = pg_temp.att('drip1')), 'submitted/true',
  'marked as submitted by the deadline');
select is(private.expire_quiz_attempts(), 0, 'and only once');
update public.quizzes set max_attempts = null where id = tests.quiz_id('quiz1');
select tests.authenticate_as('own@t');
insert into att select 'own2', id from public.start_attempt(tests.quiz_id('quiz1'));
select tests.clear_authentication();
update public.quiz_attempts set deadline_at = now() - interval '1 minute' where id = pg_temp.att('own2');
select tests.authenticate_as('own@t');
select is((select number from public.start_attempt(tests.quiz_id('quiz1'))), 3, 'starting again submits the overdue attempt and starts a new one');
select is((select status::text from public.quiz_attempts where id = pg_temp.att('own2')), 'submitted', 'the overdue one is submitted');

-- ---------------------------------------------------------------- reveal: never, after the close
select tests.clear_authentication();
update public.quizzes set reveal = 'never' where id = tests.quiz_id('quiz1');
select tests.authenticate_as('ent@t');
select is((select r ->> 'revealed' || '/' || (r ->> 'score') from (select public.attempt_review(pg_temp.att('ent1')) r) x), 'false/10.00',
  'reveal never: the score, and ...');
select is((select jsonb_path_query_array(public.attempt_review(pg_temp.att('ent1')), '$.questions[*] ? (@.kind != "essay").keyvalue().key ? (@ == "key" || @ == "points_awarded" || @ == "correct" || @ == "feedback")')),
  '[]'::jsonb, '... no key, points, correctness or feedback (the essay''s grade by hand stays)');
select tests.clear_authentication();
update public.quizzes set reveal = 'after_close', closes_at = now() + interval '1 day' where id = tests.quiz_id('quiz1');
select tests.authenticate_as('ent@t');
select is((public.attempt_review(pg_temp.att('ent1')) ->> 'revealed'), 'false', 'reveal after the close: not before');
select tests.clear_authentication();
update public.quizzes set opens_at = now() - interval '2 days', closes_at = now() - interval '1 second' where id = tests.quiz_id('quiz1');
select tests.authenticate_as('ent@t');
select is((public.attempt_review(pg_temp.att('ent1')) #>> '{questions,0,key,option_ids,0}')::uuid, tests.option_id('Q1 single', 'enable rls'),
  'after it: the keys');
select tests.authenticate_as('own@t');
select is((public.attempt_review(pg_temp.att('drip1')) ->> 'revealed'), 'true', 'the staff always see everything');

-- ---------------------------------------------------------------- item statistics
select tests.clear_authentication();
-- Recompute the stats on two attempts only: ent1 (10/11) and drip1 (0: one wrong answer).
delete from public.quiz_attempts where id not in (pg_temp.att('ent1'), pg_temp.att('drip1'));
select tests.authenticate_as('own@t');
create temporary table stats as select * from public.quiz_item_stats(tests.quiz_id('quiz1'));
grant select on stats to authenticated;
select is((select array_agg(prompt || ' ' || answered || ' ' || share_correct order by position) from stats),
  array['Q1 single 2 0.5000', 'Q2 multiple 2 0.5000', 'Q3 true/false 2 0.5000', 'Q4 short 2 0.5000', 'Q5 numeric 2 0.5000', 'Q6 essay 2 0.0000'],
  'per question: answers and the share with full marks');
select is((select mean_score from stats where kind = 'essay'), 0.3750, 'the mean share of the points (the essay got 3 of 4 and 0)');
select is((select discrimination from stats where kind = 'single_choice'), 1.0000,
  'discrimination: the point-biserial correlation with the rest of the score');
select is((select jsonb_agg(o ->> 'label' || '=' || (o ->> 'share_chosen') || (case when (o ->> 'correct')::boolean then '*' else '' end))
           from stats, jsonb_array_elements(options) o where kind = 'single_choice'),
  '["enable rls=0.5000*", "grant rls=0.5000", "create policy=0.0000"]'::jsonb, 'per option: the share that chose it');
-- An answer counts once for each option it names, however often it names it.
select tests.clear_authentication();
update public.quiz_answers set answer = jsonb_build_object('option_ids', (answer -> 'option_ids') || (answer -> 'option_ids'))
where attempt_id = pg_temp.att('ent1') and kind = 'multiple_choice';
select tests.authenticate_as('own@t');
select is((select jsonb_agg(o ->> 'label' || '=' || (o ->> 'share_chosen') || (case when (o ->> 'correct')::boolean then '*' else '' end))
           from public.quiz_item_stats(tests.quiz_id('quiz1')) s, jsonb_array_elements(s.options) o where s.kind = 'multiple_choice'),
  '["anon=0.5000*", "authenticated=0.5000*", "root=0.0000"]'::jsonb,
  'multiple choice: the share that chose each option, an option named twice counted once');
select tests.authenticate_as('ent@t');
select throws_ok($$ select * from public.quiz_item_stats(tests.quiz_id('quiz1')) $$, '42501',
  'only the course''s staff can read item statistics', 'students read no statistics');
select tests.authenticate_as('other@t');
select throws_ok($$ select * from public.quiz_item_stats(tests.quiz_id('quiz1')) $$, '42501',
  'only the course''s staff can read item statistics', 'nor another course''s instructor');
select throws_ok($$ select * from public.quiz_item_stats('00000000-0000-4000-8000-000000000000') $$, 'PT404', 'quiz not found', 'an unknown quiz');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.quiz_item_stats(tests.quiz_id('quiz1'))), 6::bigint, 'admins read them');

-- The cache: computed once, read until the quiz's finished attempts change.
select tests.clear_authentication();
select ok(not bool_or(has_table_privilege(r, t, p)), 'the statistics'' cache: no API role holds a grant on it')
from unnest(array['anon', 'authenticated', 'service_role']) r
cross join unnest(array['private.quiz_item_stats_state', 'private.quiz_item_stats_cache']) t
cross join unnest(array['select', 'insert', 'update', 'delete']) p;
select ok(not bool_or(has_function_privilege('authenticated', f, 'execute')), 'nor may it compute or check them')
from unnest(array['private.compute_quiz_item_stats(uuid)', 'private.item_stats_cached(uuid, integer, numeric)']) f;
create temporary table computed as
  select computed_at as at from private.quiz_item_stats_state where quiz_id = tests.quiz_id('quiz1');
grant all on computed to authenticated;
create function pg_temp.computed_at() returns timestamptz language sql security definer set search_path = '' as $$
  select s.computed_at from private.quiz_item_stats_state s where s.quiz_id = tests.quiz_id('quiz1')
$$;
create function pg_temp.recomputed() returns boolean language sql as $$
  select pg_temp.computed_at() is distinct from (select c.at from pg_temp.computed c)
$$;
create function pg_temp.stats(kind public.question_kind) returns text language sql as $$
  select s.answered || ' ' || s.share_correct || ' ' || (select string_agg(o ->> 'label' || '=' || (o ->> 'share_chosen')
         || case when (o ->> 'correct')::boolean then '*' else '' end, ' ') from jsonb_array_elements(s.options) o)
  from public.quiz_item_stats(tests.quiz_id('quiz1')) s where s.kind = stats.kind
$$;
-- In a read-only transaction (a GET), then rolled back to read-write: what the call answers, or its error.
create function pg_temp.stats_read_only(kind public.question_kind) returns text language plpgsql as $$
declare
  r text;
begin
  begin
    perform set_config('transaction_read_only', 'on', true);
    r := pg_temp.stats(kind);
    raise exception 'undo' using errcode = 'PX001';
  exception when sqlstate 'PX001' then null;
            when others then r := sqlstate || ': ' || sqlerrm;
  end;
  return r;
end;
$$;
grant execute on all functions in schema pg_temp to authenticated;
select isnt((select at from computed), null, 'the statistics of quiz1 are cached');
select tests.authenticate_as('own@t');
create temporary table cached_stats as select * from public.quiz_item_stats(tests.quiz_id('quiz1'));
grant select on cached_stats to authenticated;
select ok(not pg_temp.recomputed(), 'nothing changed: the next call reads them from the cache');
select tests.clear_authentication();
delete from private.quiz_item_stats_state where quiz_id = tests.quiz_id('quiz1');
select tests.authenticate_as('own@t');
select results_eq('select * from cached_stats order by position',
  $$ select * from public.quiz_item_stats(tests.quiz_id('quiz1')) order by position $$,
  'the cached answer equals a fresh computation');
select ok(pg_temp.recomputed(), 'the cache dropped, they were computed again and stored');
select tests.clear_authentication();
select results_eq($$ select question_id, answered, share_correct, mean_score, discrimination, chosen
                     from private.quiz_item_stats_cache where quiz_id = tests.quiz_id('quiz1') order by question_id $$,
  $$ select * from private.compute_quiz_item_stats(tests.quiz_id('quiz1')) order by question_id $$,
  'the cache holds what computing them gives now');
update computed set at = pg_temp.computed_at();

-- A new attempt: in progress it changes nothing; finished, it counts.
update public.quizzes set closes_at = now() + interval '1 day' where id = tests.quiz_id('quiz1');
select tests.authenticate_as('ent@t');
insert into att select 'ent3', id from public.start_attempt(tests.quiz_id('quiz1'));
select pg_temp.save('ent3', 'Q1 single', pg_temp.pick('Q1 single', 'grant rls'));
select tests.authenticate_as('own@t');
select is(pg_temp.stats('single_choice'), '2 0.5000 enable rls=0.5000* grant rls=0.5000 create policy=0.0000',
  'an attempt in progress is not counted ...');
select ok(not pg_temp.recomputed(), '... and saving its answers leaves the cache as it is');
select tests.authenticate_as('ent@t');
select public.submit_attempt(pg_temp.att('ent3'));
select tests.authenticate_as('own@t');
select is(pg_temp.stats_read_only('single_choice'), '3 0.3333 enable rls=0.3333* grant rls=0.6667 create policy=0.0000',
  'in a read-only transaction (a GET) a stale cache is computed afresh ...');
select ok(not pg_temp.recomputed(), '... and not stored');
select is(pg_temp.stats('single_choice'), '3 0.3333 enable rls=0.3333* grant rls=0.6667 create policy=0.0000',
  'a new finished attempt: the statistics are recomputed');
select ok(pg_temp.recomputed(), 'and stored');
select tests.clear_authentication();
update computed set at = pg_temp.computed_at();
select tests.authenticate_as('own@t');
select is(pg_temp.stats_read_only('single_choice'), '3 0.3333 enable rls=0.3333* grant rls=0.6667 create policy=0.0000',
  'a read-only call reads a fresh cache too');

-- Grading by hand, a changed key, a deleted attempt: each is seen.
select public.grade_answer((select id from public.quiz_answers where attempt_id = pg_temp.att('ent3') and kind = 'essay'), 4);
select is((select share_correct from public.quiz_item_stats(tests.quiz_id('quiz1')) where kind = 'essay'), 0.3333,
  'an answer graded by hand: recomputed (one essay of three with full marks)');
select tests.clear_authentication();
update public.quiz_answers set answer = pg_temp.pick('Q1 single', 'create policy')
where attempt_id = pg_temp.att('drip1') and question_id = tests.question_id('Q1 single');
select tests.authenticate_as('own@t');
select is(pg_temp.stats('single_choice'), '3 0.3333 enable rls=0.3333* grant rls=0.3333 create policy=0.3333',
  'an answer of a finished attempt edited in the table (the service role): it touches its attempt, recomputed');
select tests.clear_authentication();
update public.quiz_answers set answer = pg_temp.pick('Q1 single', 'grant rls')
where attempt_id = pg_temp.att('drip1') and question_id = tests.question_id('Q1 single');
select tests.clear_authentication();
update private.question_keys set correct_option_ids = array[tests.option_id('Q1 single', 'grant rls')]
where question_id = tests.question_id('Q1 single');
select tests.authenticate_as('own@t');
select is(pg_temp.stats('single_choice'), '3 0.6667 enable rls=0.3333 grant rls=0.6667* create policy=0.0000',
  'a changed key regrades the attempts: recomputed');
select tests.clear_authentication();
update public.questions set points = 5 where id = tests.question_id('Q6 essay');
select tests.authenticate_as('own@t');
select is((select share_correct || ' ' || mean_score from public.quiz_item_stats(tests.quiz_id('quiz1')) where kind = 'essay'),
  '0.0000 0.4667', 'changed points regrade the attempts (their answers'' points stay): recomputed');
select tests.clear_authentication();
update public.questions set points = 4 where id = tests.question_id('Q6 essay');
update private.question_keys set correct_option_ids = array[tests.option_id('Q1 single', 'enable rls')]
where question_id = tests.question_id('Q1 single');
delete from public.quiz_attempts where id = pg_temp.att('ent3');
select tests.authenticate_as('own@t');
select is(pg_temp.stats('single_choice'), '2 0.5000 enable rls=0.5000* grant rls=0.5000 create policy=0.0000',
  'a deleted attempt (and the key changed back): recomputed');
select results_eq('select * from cached_stats order by position',
  $$ select * from public.quiz_item_stats(tests.quiz_id('quiz1')) order by position $$,
  'back where they were');

-- ---------------------------------------------------------------- a quiz drawn from its pool, shuffled; an empty quiz
select tests.authenticate_as('own@t');
insert into public.lessons (section_id, title, kind, position)
select s.id, 'quiz2', 'quiz', 5 from public.sections s where s.course_id = tests.course_id('course-a') and s.position = 1;
insert into public.quizzes (lesson_id, draw_count, shuffle_questions, shuffle_options) values (tests.lesson_id('course-a', 'quiz2'), 2, true, true);
select throws_ok($$ select public.start_attempt(tests.quiz_id('quiz2')) $$, 'P0001', 'this quiz has no questions yet', 'an empty quiz can''t start');
insert into public.quiz_questions (quiz_id, question_id, position)
select tests.quiz_id('quiz2'), q.id, row_number() over (order by q.prompt) from public.questions q
where q.course_id = tests.course_id('course-a');
select tests.authenticate_as('ent@t');
select is((select jsonb_array_length(questions) || '/' || (select count(*) from public.quiz_answers) from public.start_attempt(tests.quiz_id('quiz2'))),
  '2/0', 'two questions drawn from the pool of six');
select is((select max_score = (select sum((q ->> 'points')::numeric) from jsonb_array_elements(questions) q) from public.quiz_attempts
           where quiz_id = tests.quiz_id('quiz2')), true, 'worth the drawn questions'' points');

-- ---------------------------------------------------------------- access that ends mid-attempt
-- gone@t answers everything right, then loses the course (a refund): no more answers, no submit,
-- and the attempt, finished by its deadline and graded in full, completes nothing.
select tests.clear_authentication();
select tests.create_user('gone@t');
update public.quizzes set opens_at = null, closes_at = null, reveal = 'after_submit' where id = tests.quiz_id('quiz1');
insert into public.entitlements (user_id, course_id, source, starts_at)
values (tests.user_id('gone@t'), tests.course_id('course-a'), 'grant', now() - interval '1 day');
select tests.authenticate_as('gone@t');
insert into att select 'gone1', id from public.start_attempt(tests.quiz_id('quiz1'));
select pg_temp.save('gone1', 'Q1 single', pg_temp.pick('Q1 single', 'enable rls')),
       pg_temp.save('gone1', 'Q2 multiple', jsonb_build_object('option_ids',
         jsonb_build_array(tests.option_id('Q2 multiple', 'anon'), tests.option_id('Q2 multiple', 'authenticated')))),
       pg_temp.save('gone1', 'Q3 true/false', pg_temp.pick('Q3 true/false', 'False')),
       pg_temp.save('gone1', 'Q4 short', '{"text": "auth.uid()"}'),
       pg_temp.save('gone1', 'Q5 numeric', '{"value": 3.14}'),
       pg_temp.save('gone1', 'Q6 essay', '{"text": "RLS filters rows per policy."}');
select tests.clear_authentication();
update public.entitlements set revoked_at = now() where user_id = tests.user_id('gone@t');
select tests.authenticate_as('gone@t');
select throws_ok($$ select pg_temp.save('gone1', 'Q4 short', '{"text": "auth.jwt()"}') $$, '42501',
  'you do not have access to this course', 'a student whose access ended answers no more');
select throws_ok($$ select public.submit_attempt(pg_temp.att('gone1')) $$, '42501', 'you do not have access to this course',
  'nor submits');
select tests.clear_authentication();
select private.finish_attempt(pg_temp.att('gone1'), true);
select tests.authenticate_as('own@t');
select ok((public.grade_answer((select a.id from public.quiz_answers a where a.attempt_id = pg_temp.att('gone1')
                                and a.question_id = tests.question_id('Q6 essay')), 4)).percent
          >= (select pass_percent from public.quizzes where id = tests.quiz_id('quiz1')),
  'finished by its deadline and graded, the attempt passes the mark');
select tests.clear_authentication();
select is((select count(*) from public.lesson_progress where user_id = tests.user_id('gone@t') and completed_at is not null),
  0::bigint, 'yet it completes no lesson for a student without access');

select * from finish();
rollback;
