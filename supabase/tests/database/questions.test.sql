-- Questions: the bank is the course's staff's, for every persona; keys sit where no API role holds
-- a grant; save_question() writes a whole question with its kind rules; question_bank() gives the
-- staff their keys and nobody else.
begin;
select plan(48);
select tests.quiz_fixture();

-- ---------------------------------------------------------------- grants
select ok(not has_schema_privilege('authenticated', 'private', 'usage') and not has_schema_privilege('anon', 'private', 'usage'),
  'no API role may use the private schema, where the keys are');
select ok(not has_table_privilege('authenticated', 'private.question_keys', 'select')
  and not has_table_privilege('anon', 'private.question_keys', 'select')
  and not has_table_privilege('service_role', 'private.question_keys', 'select'),
  'no API role holds a grant on the keys');
select ok(not has_table_privilege('anon', 'public.questions', 'select')
  and not has_table_privilege('anon', 'public.question_options', 'select'),
  'anon holds no grant on the bank');
select ok(not has_table_privilege('authenticated', 'public.questions', 'insert')
  and not has_table_privilege('authenticated', 'public.questions', 'update')
  and not has_table_privilege('authenticated', 'public.question_options', 'insert')
  and not has_table_privilege('authenticated', 'public.question_options', 'update')
  and not has_table_privilege('authenticated', 'public.question_options', 'delete'),
  'questions and options are written through save_question() only');
select ok(has_function_privilege('authenticated', 'public.save_question(uuid, jsonb)', 'execute')
  and not has_function_privilege('anon', 'public.save_question(uuid, jsonb)', 'execute')
  and has_function_privilege('authenticated', 'public.question_bank(uuid)', 'execute')
  and not has_function_privilege('anon', 'public.question_bank(uuid)', 'execute'),
  'save_question() and question_bank(): signed-in users (the functions check the staff)');
select ok(not has_function_privilege('authenticated', 'private.normalize_answer(text)', 'execute'),
  'normalize_answer(): our SQL functions only');

-- ---------------------------------------------------------------- who reads the bank
create function pg_temp.bank() returns text language sql as $$
  select (select count(*) from public.questions where course_id = tests.course_id('course-a')) || '/'
      || (select count(*) from public.question_options where course_id = tests.course_id('course-a'))
$$;
grant execute on function pg_temp.bank() to anon, authenticated;
select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.questions $$, '42501', 'permission denied for table questions',
  'anon: no bank');
select tests.authenticate_as('none@t');
select is(pg_temp.bank(), '0/0', 'a student without access: no questions, no options');
select tests.authenticate_as('ent@t');
select is(pg_temp.bank(), '0/0', 'an entitled student: no questions, no options (they meet them in an attempt)');
select throws_ok($$ select * from private.question_keys $$, '42501', 'permission denied for schema private',
  'an entitled student can''t reach the keys');
select tests.authenticate_as('own@t');
select is(pg_temp.bank(), '6/8', 'the course''s owner reads its bank');
select tests.authenticate_as('co@t');
select is(pg_temp.bank(), '6/8', 'a co-instructor reads its bank');
select tests.authenticate_as('other@t');
select is(pg_temp.bank(), '0/0', 'another course''s instructor: nothing');
select tests.authenticate_as('admin@t');
select is(pg_temp.bank(), '6/8', 'an admin reads every bank');

-- ---------------------------------------------------------------- question_bank(): keys for the staff only
select tests.authenticate_as('own@t');
select is((select array[accepted_answers[1], numeric_answer::text] from public.question_bank(tests.course_id('course-a'))
           where prompt = 'Q4 short'), array['auth.uid()', null], 'the staff read the accepted answers');
select is((select jsonb_path_query_array(options, '$[*] ? (@.correct == true).label') from public.question_bank(tests.course_id('course-a'))
           where prompt = 'Q2 multiple'), '["anon", "authenticated"]'::jsonb, 'and the correct options');
select tests.authenticate_as('ent@t');
select throws_ok($$ select * from public.question_bank(tests.course_id('course-a')) $$, '42501',
  'only the course''s staff can read its question bank', 'an entitled student can''t read the keys');
select tests.authenticate_as('other@t');
select throws_ok($$ select * from public.question_bank(tests.course_id('course-a')) $$, '42501',
  'only the course''s staff can read its question bank', 'nor can another course''s instructor');
select tests.authenticate_with_claims('{"role": "authenticated"}');
select throws_ok($$ select * from public.question_bank(tests.course_id('course-a')) $$, '42501',
  'sign in to read the question bank', 'a token without a user: not signed in');

-- ---------------------------------------------------------------- save_question(): the kind rules
select tests.authenticate_as('own@t');
create temporary table saved (name text primary key, id uuid);
grant all on saved to authenticated;
insert into saved values ('single', public.save_question(tests.course_id('course-a'),
  '{"kind": "single_choice", "prompt": "Pick one", "points": 2, "options": [{"label": "yes", "correct": true, "feedback": "right"}, {"label": "no"}]}'));
select is((select points from public.questions where id = (select id from saved where name = 'single')), 2.00::numeric,
  'a single choice question is saved');
select is((select array_agg(label order by position) from public.question_options where question_id = (select id from saved where name = 'single')),
  array['yes', 'no'], 'with its options in order');
insert into saved values ('short', public.save_question(tests.course_id('course-a'),
  '{"kind": "short_answer", "prompt": "Capital of France?", "accepted_answers": ["Paris", "  "]}'));
insert into saved values ('numeric', public.save_question(tests.course_id('course-a'),
  '{"kind": "numeric", "prompt": "Pi?", "answer": 3.14159, "tolerance": 0.001}'));
insert into saved values ('essay', public.save_question(tests.course_id('course-a'), '{"kind": "essay", "prompt": "Discuss."}'));
insert into saved values ('tf', public.save_question(tests.course_id('course-a'),
  '{"kind": "true_false", "prompt": "Sky is blue", "options": [{"label": "True", "correct": true}, {"label": "False"}]}'));
insert into saved values ('multi', public.save_question(tests.course_id('course-a'),
  '{"kind": "multiple_choice", "prompt": "Primes", "options": [{"label": "2", "correct": true}, {"label": "3", "correct": true}, {"label": "4"}]}'));
select is((select accepted_answers from public.question_bank(tests.course_id('course-a')) where id = (select id from saved where name = 'short')),
  array['Paris'], 'blank accepted answers are dropped');
select is((select array[numeric_answer, tolerance] from public.question_bank(tests.course_id('course-a')) where id = (select id from saved where name = 'numeric')),
  array[3.14159, 0.001]::numeric[], 'a numeric key with its tolerance');
select is((select count(*) from public.questions where id in (select id from saved)), 6::bigint, 'every kind is saved');

select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "riddle", "prompt": "?"}') $$, '22023',
  'kind must be single_choice, multiple_choice, true_false, short_answer, numeric or essay', 'an unknown kind');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "single_choice", "prompt": "?", "options": [{"label": "a", "correct": true}, {"label": "b", "correct": true}]}') $$,
  '22023', 'mark one correct option (multiple choice: one or more)', 'single choice: exactly one correct');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "multiple_choice", "prompt": "?", "options": [{"label": "a"}, {"label": "b"}]}') $$,
  '22023', 'mark one correct option (multiple choice: one or more)', 'multiple choice: at least one correct');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "true_false", "prompt": "?", "options": [{"label": "a", "correct": true}, {"label": "b"}, {"label": "c"}]}') $$,
  '22023', 'a choice question needs 2 to 20 options (true/false exactly 2)', 'true/false: two options');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "short_answer", "prompt": "?", "accepted_answers": [" "]}') $$,
  '22023', 'a short answer question needs at least one accepted answer', 'short answer: an accepted answer');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "numeric", "prompt": "?", "answer": 1, "tolerance": -1}') $$,
  '22023', 'a numeric question needs a number answer and a tolerance >= 0', 'numeric: no negative tolerance');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "numeric", "prompt": "?", "answer": "one"}') $$,
  '22023', 'a numeric question needs a number answer and a tolerance >= 0', 'numeric: a number');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "essay", "prompt": "?", "options": [{"label": "a"}]}') $$,
  '22023', 'only choice questions have options', 'an essay has no options');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "essay", "prompt": "?", "points": "lots"}') $$,
  '22023', 'question has a malformed value (ids are uuids, points and answers numbers)', 'malformed points');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "essay", "prompt": "?", "points": 0}') $$,
  '23514', 'new row for relation "questions" violates check constraint "questions_points_positive"', 'points are positive');
select throws_ok(format($$ select public.save_question(tests.course_id('course-a'), '{"id": "%s", "kind": "essay", "prompt": "?"}') $$,
    (select id from saved where name = 'single')),
  '22023', 'a question''s kind cannot change', 'the kind never changes');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"id": "00000000-0000-4000-8000-000000000000", "kind": "essay", "prompt": "?"}') $$,
  'PT404', 'question not found', 'an unknown question');
select throws_ok(format($$ select public.save_question(tests.course_id('course-b'), '{"id": "%s", "kind": "single_choice", "prompt": "?"}') $$,
    (select id from saved where name = 'single')),
  '42501', 'only the course''s staff can edit its question bank', 'a question of another course''s bank, through a course one does not manage');
select is(tests.error_detail($$ select public.save_question(tests.course_id('course-a'), '{"kind": "riddle"}') $$),
  'invalid_question_kind', 'the machine code says why');

-- Editing: options sent back with their id keep it (answers refer to them); the others go.
select lives_ok(format($$ select public.save_question(tests.course_id('course-a'), '{"id": "%s", "kind": "single_choice", "prompt": "Pick one!",
  "options": [{"label": "maybe", "correct": true}, {"id": "%s", "label": "no (edited)"}]}') $$,
  (select id from saved where name = 'single'), tests.option_id('Pick one', 'no')), 'a question is edited');
select is((select array_agg(label || ':' || (o.id = tests.option_id('Pick one!', 'no (edited)'))::text order by position)
           from public.question_options o where question_id = (select id from saved where name = 'single')),
  array['maybe:false', 'no (edited):true'], 'the kept option kept its place in the list, a new one was added, the other removed');
select is((select jsonb_path_query_array(options, '$[*] ? (@.correct == true).label') from public.question_bank(tests.course_id('course-a'))
           where id = (select id from saved where name = 'single')), '["maybe"]'::jsonb, 'and the key follows');
select is((select points from public.questions where id = (select id from saved where name = 'single')), 2.00::numeric,
  'points sent without a value stay as they were');

-- ---------------------------------------------------------------- who writes
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "essay", "prompt": "mine"}') $$, '42501',
  'only the course''s staff can edit its question bank', 'a student can''t write a question');
select tests.authenticate_as('other@t');
select throws_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "essay", "prompt": "mine"}') $$, '42501',
  'only the course''s staff can edit its question bank', 'another course''s instructor can''t');
select is(tests.affected_rows($$ delete from public.questions where course_id = tests.course_id('course-a') $$), 0::bigint,
  'nor delete its questions');
select tests.authenticate_as('admin@t');
select lives_ok($$ select public.save_question(tests.course_id('course-a'), '{"kind": "essay", "prompt": "by admin"}') $$,
  'an admin writes any bank');
select tests.authenticate_as('co@t');
select is(tests.affected_rows(format('delete from public.questions where id = %L', (select id from saved where name = 'essay'))), 1::bigint,
  'a co-instructor deletes a question');
select tests.clear_authentication();
select is((select count(*) from private.question_keys where question_id = (select id from saved where name = 'essay')), 0::bigint,
  'its key goes with it');

select * from finish();
rollback;
