-- Quizzes: a quiz lesson's settings, readable by whoever has access to the course, written by its
-- staff; its pool of questions, the staff's only (no student learns the pool, let alone a key,
-- through an embedded select); the rules the triggers keep.
begin;
select plan(31);
select tests.quiz_fixture();

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('anon', 'public.quizzes', 'select') and not has_table_privilege('anon', 'public.quiz_questions', 'select'),
  'anon holds no grant on quizzes');
select ok(not has_column_privilege('authenticated', 'public.quizzes', 'course_id', 'update')
  and not has_column_privilege('authenticated', 'public.quizzes', 'lesson_id', 'update')
  and not has_column_privilege('authenticated', 'public.quiz_questions', 'course_id', 'insert'),
  'the course copy and the lesson are not editable');

-- ---------------------------------------------------------------- who reads a quiz, and its pool
create function pg_temp.seen() returns text language sql as $$
  select (select count(*) from public.quizzes where course_id = tests.course_id('course-a')) || '/'
      || (select count(*) from public.quiz_questions where course_id = tests.course_id('course-a'))
$$;
-- What a PostgREST embedded select (quizzes?select=*,quiz_questions(questions(question_options(*))))
-- reaches: every level under RLS.
create function pg_temp.embedded() returns bigint language sql as $$
  select count(o.id) from public.quizzes qz
  left join public.quiz_questions qq on qq.quiz_id = qz.id
  left join public.questions q on q.id = qq.question_id
  left join public.question_options o on o.question_id = q.id
  where qz.course_id = tests.course_id('course-a')
$$;
grant execute on function pg_temp.seen(), pg_temp.embedded() to anon, authenticated;
select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.quizzes $$, '42501', 'permission denied for table quizzes', 'anon: no quizzes');
select tests.authenticate_as('none@t');
select is(pg_temp.seen(), '0/0', 'a student without access: nothing');
select tests.authenticate_as('ent@t');
select is(pg_temp.seen(), '1/0', 'an entitled student reads the quiz''s settings, not its pool');
select is(pg_temp.embedded(), 0::bigint, 'an embedded select from the quiz reaches no question or option');
select is((select max_attempts || '/' || pass_percent || '/' || reveal from public.quizzes where id = tests.quiz_id('quiz1')),
  '2/60.00/after_submit', 'the settings a student needs before starting');
select tests.authenticate_as('drip@t');
select is(pg_temp.seen(), '1/0', 'a student before the drip date too (the lesson''s state decides when they may start)');
select tests.authenticate_as('own@t');
select is(pg_temp.seen(), '1/6', 'the course''s owner reads the quiz and its pool');
select is(pg_temp.embedded(), 8::bigint, 'and embeds its questions and options');
select tests.authenticate_as('co@t');
select is(pg_temp.seen(), '1/6', 'a co-instructor too');
select tests.authenticate_as('other@t');
select is(pg_temp.seen(), '0/0', 'another course''s instructor: nothing');
select tests.authenticate_as('admin@t');
select is(pg_temp.seen(), '1/6', 'an admin: everything');

-- ---------------------------------------------------------------- who writes
select tests.authenticate_as('ent@t');
select is(tests.affected_rows($$ update public.quizzes set max_attempts = 99 $$), 0::bigint, 'a student edits no quiz');
select is(tests.affected_rows($$ delete from public.quiz_questions $$), 0::bigint, 'nor its pool');
select throws_ok(format($$ insert into public.quiz_questions (quiz_id, question_id, position)
                          values (%L, %L, 9) $$, tests.quiz_id('quiz1'), tests.question_id('Q1 single')),
  '42501', 'new row violates row-level security policy for table "quiz_questions"', 'nor adds to it');
select tests.authenticate_as('other@t');
select is(tests.affected_rows($$ update public.quizzes set max_attempts = 99 $$), 0::bigint, 'another course''s instructor edits no quiz');
select tests.authenticate_as('own@t');
select is(tests.returned(format($$ update public.quizzes set max_attempts = 3, shuffle_questions = true where id = %L
                                  returning max_attempts, shuffle_questions $$, tests.quiz_id('quiz1'))),
  '[{"max_attempts": 3, "shuffle_questions": true}]'::jsonb, 'the owner edits the settings (and reads the row back)');

-- A new quiz on a new quiz lesson, with a question from the bank.
insert into public.lessons (section_id, title, kind, position, is_required)
select s.id, 'quiz2', 'quiz', 5, false from public.sections s where s.course_id = tests.course_id('course-a') and s.position = 1;
select is(tests.returned(format($$ insert into public.quizzes (lesson_id, pass_percent, reveal, closes_at)
                                  values (%L, 80, 'after_close', now() + interval '1 day') returning course_id = %L as same_course, grading $$,
                                tests.lesson_id('course-a', 'quiz2'), tests.course_id('course-a'))),
  '[{"same_course": true, "grading": "best"}]'::jsonb, 'a quiz is added to a quiz lesson, and takes its course');
select lives_ok(format($$ insert into public.quiz_questions (quiz_id, question_id, position) values (%L, %L, 0) $$,
  tests.quiz_id('quiz2'), tests.question_id('Q1 single')), 'a question of the bank joins its pool');
select throws_ok(format($$ insert into public.quizzes (lesson_id) values (%L) $$, tests.lesson_id('course-a', 'l2')),
  '22023', 'a quiz belongs to a lesson of kind quiz', 'only a quiz lesson holds a quiz');
select throws_ok(format($$ insert into public.quizzes (lesson_id) values (%L) $$, tests.lesson_id('course-a', 'quiz1')),
  '23505', 'duplicate key value violates unique constraint "quizzes_lesson_id_key"', 'one quiz per lesson');
select throws_ok(format($$ update public.quizzes set reveal = 'after_close', closes_at = null where id = %L $$, tests.quiz_id('quiz1')),
  '23514', 'new row for relation "quizzes" violates check constraint "quizzes_reveal_after_close_needs_close"',
  'answers shown after the close need a close date');
select throws_ok(format($$ update public.quizzes set opens_at = now(), closes_at = now() - interval '1 hour' where id = %L $$, tests.quiz_id('quiz1')),
  '23514', 'new row for relation "quizzes" violates check constraint "quizzes_window_valid"', 'the window closes after it opens');
select throws_ok(format($$ update public.lessons set kind = 'text' where id = %L $$, tests.lesson_id('course-a', 'quiz1')),
  '22023', 'this lesson has a quiz; delete the quiz before changing its kind', 'a quiz lesson keeps its kind while it has a quiz');
select tests.clear_authentication();
-- A question from course-b's bank (made as its owner would) can't join course-a's quiz.
insert into public.questions (course_id, kind, prompt) values (tests.course_id('course-b'), 'essay', 'B essay');
select tests.authenticate_as('own@t');
select throws_ok(format($$ insert into public.quiz_questions (quiz_id, question_id, position) values (%L, %L, 7) $$,
  tests.quiz_id('quiz1'), tests.question_id('B essay')), '22023', 'the question is not in this course''s bank',
  'a quiz draws only from its course''s bank');
select is(tests.error_detail(format($$ insert into public.quiz_questions (quiz_id, question_id, position) values (%L, %L, 7) $$,
  tests.quiz_id('quiz1'), tests.question_id('B essay'))), 'question_not_in_course', 'the machine code says why');
select tests.authenticate_as('other@t');
select throws_ok(format($$ insert into public.quizzes (lesson_id) values (%L) $$, tests.lesson_id('course-a', 'quiz2')),
  '42501', 'new row violates row-level security policy for table "quizzes"', 'another course''s instructor adds no quiz');

-- ---------------------------------------------------------------- removed staff lose it at once
select tests.clear_authentication();
delete from public.course_instructors where course_id = tests.course_id('course-a') and user_id = tests.user_id('co@t');
select tests.authenticate_as('co@t');
select is(pg_temp.seen(), '0/0', 'a removed co-instructor reads neither the quiz nor its pool');
select is(tests.affected_rows($$ update public.quizzes set max_attempts = 1 $$), 0::bigint, 'nor edits it');
select tests.authenticate_as('admin@t');
select is(tests.affected_rows(format('delete from public.quizzes where id = %L', tests.quiz_id('quiz2'))), 1::bigint,
  'an admin deletes a quiz');

select * from finish();
rollback;
