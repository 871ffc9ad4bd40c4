-- Gradebook: the weights the staff set, who reads which rows, the grades and totals (each quiz's
-- counting rule, the latest graded submission, pending and missing work), and the CSV export.
begin;
select plan(54);
select tests.quiz_fixture();
select tests.homework_fixture();

-- course-a's items in outline order: quiz1 (s1, position 2), hw (s1, position 3).
update public.lessons set position = 3 where id = tests.lesson_id('course-a', 'hw');
-- gone@t held course-a until yesterday; drip@t gets a name.
select tests.create_user('gone@t', 'student', '{"display_name":"=cmd|calc, \"Gone\""}');
insert into public.entitlements (user_id, course_id, source, starts_at, ends_at)
values (tests.user_id('gone@t'), tests.course_id('course-a'), 'grant', now() - interval '60 days', now() - interval '1 day');
update public.profiles set display_name = 'Dana Drip' where id = tests.user_id('drip@t');

-- ent@t: quiz1 attempts 90% then 50% (best 90, last 50, average 70); homework graded 72, then
-- handed in again (not graded yet). drip@t: a quiz attempt at 30% waiting for its essay; no homework.
insert into public.quiz_attempts (quiz_id, course_id, user_id, number, status, submitted_at, score, max_score, percent, passed, questions)
values (tests.quiz_id('quiz1'), tests.course_id('course-a'), tests.user_id('ent@t'), 1, 'graded', now(), 9, 10, 90, true, '[]'),
       (tests.quiz_id('quiz1'), tests.course_id('course-a'), tests.user_id('ent@t'), 2, 'graded', now(), 5, 10, 50, false, '[]'),
       (tests.quiz_id('quiz1'), tests.course_id('course-a'), tests.user_id('drip@t'), 1, 'submitted', now(), 3, 10, 30, false, '[]'),
       (tests.quiz_id('quiz1'), tests.course_id('course-a'), tests.user_id('drip@t'), 2, 'in_progress', null, null, 10, null, null, '[]');
insert into public.submissions (assignment_id, course_id, user_id, attempt, body, is_latest, raw_points, late_penalty_percent,
                                points, passed, graded_by, graded_at)
values (tests.assignment_id('course-a', 'hw'), tests.course_id('course-a'), tests.user_id('ent@t'), 1, 'First.', false,
        72, 0, 72, true, tests.user_id('own@t'), now());
insert into public.submissions (assignment_id, course_id, user_id, attempt, body, is_latest)
values (tests.assignment_id('course-a', 'hw'), tests.course_id('course-a'), tests.user_id('ent@t'), 2, 'Second.', true);

create temporary table people as select u.email, u.id from auth.users u where u.email like '%@t';
grant select on people to authenticated;

-- A student's row, compactly: each item's percent/status, then total_so_far and total.
create function pg_temp.row_of(email text) returns text language sql as $$
  select (select string_agg(coalesce(g ->> 'percent', '-') || ':' || (g ->> 'status'), ' ' order by n)
          from jsonb_array_elements(r.grades) with ordinality x (g, n))
         || ' | ' || coalesce(r.total_so_far::text, '-') || ' ' || coalesce(r.total::text, '-')
  from public.gradebook(tests.course_id('course-a')) r where r.user_id = tests.user_id(row_of.email)
$$;
create function pg_temp.rows_seen() returns text language sql as $$
  select coalesce(string_agg(coalesce(u.email, '?'), ',' order by u.email), '')
  from public.gradebook(tests.course_id('course-a')) r left join people u on u.id = r.user_id
$$;
create function pg_temp.items_seen() returns text language sql as $$
  select coalesce(string_agg(i.title || ':' || i.weight, ',' order by n), '')
  from public.gradebook_items(tests.course_id('course-a')) with ordinality i (lesson_id, kind, item_id, title,
    section_position, lesson_position, weight, max_points, n)
$$;
grant execute on function pg_temp.row_of(text), pg_temp.rows_seen(), pg_temp.items_seen() to anon, authenticated;

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('anon', 'public.gradebook_weights', 'select')
  and has_table_privilege('authenticated', 'public.gradebook_weights', 'select'),
  'signed-in users may select weights (RLS decides which); anon holds no grant');
select ok(not has_column_privilege('authenticated', 'public.gradebook_weights', 'course_id', 'insert')
  and not has_column_privilege('authenticated', 'public.gradebook_weights', 'course_id', 'update')
  and has_column_privilege('authenticated', 'public.gradebook_weights', 'weight', 'update'),
  'the course copy is not writable; the weight is');
select ok(has_function_privilege('authenticated', 'public.gradebook(uuid)', 'execute')
  and has_function_privilege('authenticated', 'public.gradebook_items(uuid)', 'execute')
  and has_function_privilege('authenticated', 'public.gradebook_csv(uuid)', 'execute')
  and not has_function_privilege('anon', 'public.gradebook(uuid)', 'execute')
  and not has_function_privilege('anon', 'public.gradebook_items(uuid)', 'execute')
  and not has_function_privilege('anon', 'public.gradebook_csv(uuid)', 'execute'),
  'signed-in users call the gradebook functions (they check who they are); anon does not');
select ok(not has_function_privilege('authenticated', 'private.gradebook_rows(uuid, uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.quiz_scores(uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.assignment_grades(uuid)', 'execute'),
  'the computation is not callable directly');

-- ---------------------------------------------------------------- who reads the gradebook
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.gradebook(tests.course_id('course-a')) $$, '42501',
  'permission denied for function gradebook', 'anon: no gradebook');
select throws_ok($$ select count(*) from public.gradebook_weights $$, '42501', 'permission denied for table gradebook_weights',
  'anon: no weights');
select tests.authenticate_as('none@t');
select is(pg_temp.rows_seen(), '', 'a student without the course: no row');
select is(pg_temp.items_seen(), '', 'nor its items');
select is((select count(*) from public.gradebook_weights), 0::bigint, 'nor its weights');
select tests.authenticate_as('ent@t');
select is(pg_temp.rows_seen(), 'ent@t', 'a student reads their own row only');
select is(pg_temp.items_seen(), 'quiz1:1.00,hw:1.00', 'and the items in outline order, weight 1 by default');
select tests.authenticate_as('gone@t');
select is(pg_temp.rows_seen(), 'gone@t', 'a student whose access ended still reads their row');
select is((select has_access from public.gradebook(tests.course_id('course-a'))), false, 'flagged without access');
select tests.authenticate_as('other@t');
select is(pg_temp.rows_seen(), '', 'another course''s instructor: nothing');
select is(pg_temp.items_seen(), '', 'nor the items');
select tests.authenticate_as('own@t');
select is(pg_temp.rows_seen(), 'drip@t,ent@t,gone@t', 'the course''s instructor reads every student, past ones too');
select tests.authenticate_as('admin@t');
select is(pg_temp.rows_seen(), 'drip@t,ent@t,gone@t', 'an admin too');
select tests.authenticate_as('co@t');
select is(pg_temp.rows_seen(), 'drip@t,ent@t,gone@t', 'a co-instructor too (instructors are not students)');
select tests.clear_authentication();
delete from public.course_instructors where course_id = tests.course_id('course-a') and user_id = tests.user_id('co@t');
select tests.authenticate_as('co@t');
select is(pg_temp.rows_seen(), '', 'a removed co-instructor loses the gradebook at once');
select throws_ok($$ select public.gradebook_csv(tests.course_id('course-a')) $$, '42501',
  'only the course''s staff export its gradebook', 'and its CSV');

-- ---------------------------------------------------------------- grades and totals
select tests.authenticate_as('own@t');
select is(pg_temp.row_of('ent@t'), '90.00:graded 72.00:pending | 81.00 81.00',
  'best attempt counts; the latest graded submission stands while a newer one waits');
select is(pg_temp.row_of('drip@t'), '30.00:pending -:missing | 30.00 15.00',
  'an attempt waiting for an essay is pending; missing work: out of the total so far, 0 in the total');
select is(pg_temp.row_of('gone@t'), '-:missing -:missing | - 0.00', 'nothing graded: no total so far');
select is((select r.graded_items || '/' || (r.grades -> 1 ->> 'points') from public.gradebook(tests.course_id('course-a')) r
           where r.user_id = tests.user_id('ent@t')), '2/72.00', 'graded items counted; an assignment''s points shown');
select tests.clear_authentication();
update public.quizzes set grading = 'last' where id = tests.quiz_id('quiz1');
select tests.authenticate_as('own@t');
select is(pg_temp.row_of('ent@t'), '50.00:graded 72.00:pending | 61.00 61.00', 'the last attempt counts when the quiz says so');
select tests.clear_authentication();
update public.quizzes set grading = 'average' where id = tests.quiz_id('quiz1');
select tests.authenticate_as('own@t');
select is(pg_temp.row_of('ent@t'), '70.00:graded 72.00:pending | 71.00 71.00', 'or the average');
select tests.clear_authentication();

-- The set-based scores agree with private.quiz_score under every rule.
create function pg_temp.score_mismatches() returns bigint language sql as $$
  select count(*) from private.quiz_scores(tests.course_id('course-a')) s
  where s.percent is distinct from private.quiz_score(s.quiz_id, s.user_id)
$$;
select is(pg_temp.score_mismatches(), 0::bigint, 'average: quiz_scores = quiz_score');
update public.quizzes set grading = 'last' where id = tests.quiz_id('quiz1');
select is(pg_temp.score_mismatches(), 0::bigint, 'last: quiz_scores = quiz_score');
update public.quizzes set grading = 'best' where id = tests.quiz_id('quiz1');
select is(pg_temp.score_mismatches(), 0::bigint, 'best: quiz_scores = quiz_score');
select is((select count(*) from private.quiz_scores(tests.course_id('course-a'))), 2::bigint,
  'one score per student who finished an attempt (an attempt in progress counts for nothing)');

-- ---------------------------------------------------------------- weights
select tests.authenticate_as('own@t');
select is(tests.returned(format($$ insert into public.gradebook_weights (lesson_id, weight) values (%L, 3)
  on conflict (lesson_id) do update set lesson_id = excluded.lesson_id, weight = excluded.weight returning course_id, weight $$,
  tests.lesson_id('course-a', 'hw'))) -> 0, jsonb_build_object('course_id', tests.course_id('course-a'), 'weight', 3.00),
  'the instructor sets a weight (an upsert, as supabase-js sends it); the course comes from the lesson');
select is(pg_temp.row_of('ent@t'), '90.00:graded 72.00:pending | 76.50 76.50', 'the totals follow the weights');
select is(pg_temp.row_of('drip@t'), '30.00:pending -:missing | 30.00 7.50', 'missing work weighs its weight in the total');
select is(tests.affected_rows(format($$ insert into public.gradebook_weights (lesson_id, weight) values (%L, 5)
  on conflict (lesson_id) do update set lesson_id = excluded.lesson_id, weight = excluded.weight $$,
  tests.lesson_id('course-a', 'hw'))), 1::bigint, 'upserting again updates the weight');
select throws_ok(format($$ insert into public.gradebook_weights (lesson_id, weight) values (%L, 1) $$, tests.lesson_id('course-a', 'l2')),
  '22023', 'only quiz and assignment lessons are weighted', 'a video lesson has no weight');
select is(tests.error_detail(format($$ insert into public.gradebook_weights (lesson_id, weight) values (%L, 1) $$,
  tests.lesson_id('course-a', 'l2'))), 'not_a_graded_lesson', 'with its machine code');
select throws_ok(format($$ update public.gradebook_weights set lesson_id = %L where lesson_id = %L $$,
  tests.lesson_id('course-a', 'quiz1'), tests.lesson_id('course-a', 'hw')),
  '22023', 'a weight cannot move to another lesson', 'a weight stays on its lesson');
select throws_ok(format($$ update public.gradebook_weights set weight = -1 where lesson_id = %L $$, tests.lesson_id('course-a', 'hw')),
  '23514', 'new row for relation "gradebook_weights" violates check constraint "gradebook_weights_weight_valid"',
  'a weight is between 0 and 1000');
select tests.authenticate_as('admin@t');
select is(tests.affected_rows(format($$ insert into public.gradebook_weights (lesson_id, weight) values (%L, 0) $$,
  tests.lesson_id('course-a', 'quiz1'))), 1::bigint, 'an admin sets a weight');
select tests.authenticate_as('own@t');
select is(pg_temp.row_of('ent@t'), '90.00:graded 72.00:pending | 72.00 72.00', 'a weight of 0 leaves the item out of the totals');
select tests.authenticate_as('ent@t');
select is(pg_temp.items_seen(), 'quiz1:0.00,hw:5.00', 'students read the weights of their course');
select is(tests.affected_rows(format($$ update public.gradebook_weights set weight = 100 where lesson_id = %L $$,
  tests.lesson_id('course-a', 'hw'))), 0::bigint, 'a student changes no weight');
select throws_ok(format($$ insert into public.gradebook_weights (lesson_id, weight) values (%L, 1)
  on conflict (lesson_id) do nothing $$, tests.lesson_id('course-a', 'hw')),
  '42501', 'new row violates row-level security policy for table "gradebook_weights"', 'nor adds one');
select is(tests.affected_rows('delete from public.gradebook_weights'), 0::bigint, 'nor deletes one');
select tests.authenticate_as('other@t');
select is(tests.affected_rows(format($$ update public.gradebook_weights set weight = 100 where lesson_id = %L $$,
  tests.lesson_id('course-a', 'hw'))), 0::bigint, 'another course''s instructor changes no weight');
select throws_ok(format($$ insert into public.gradebook_weights (lesson_id, weight) values (%L, 1)
  on conflict (lesson_id) do nothing $$, tests.lesson_id('course-a', 'hw')),
  '42501', 'new row violates row-level security policy for table "gradebook_weights"', 'and sets none in a course they do not teach');
select is((select count(*) from public.gradebook_weights), 0::bigint, 'nor reads course-a''s');

-- ---------------------------------------------------------------- the CSV
select tests.authenticate_as('own@t');
select is(public.gradebook_csv(tests.course_id('course-a'))::text,
  'student,student_id,quiz1,hw,total_so_far,total' || E'\r\n'
  || '"''=cmd|calc, ""Gone""",' || tests.user_id('gone@t') || ',,,,0.00' || E'\r\n'
  || 'Dana Drip,' || tests.user_id('drip@t') || ',30.00,,,0.00' || E'\r\n'
  || 'Erin Entitled,' || tests.user_id('ent@t') || ',90.00,72.00,72.00,72.00' || E'\r\n',
  'the staff''s CSV: a header, a row per student by name, items in outline order, then the totals (none so far when only '
  || 'weight-0 items are graded); a name is never a formula');
select tests.authenticate_as('admin@t');
select is(public.gradebook_csv(tests.course_id('course-b'))::text, 'student,student_id,bhw,total_so_far,total' || E'\r\n',
  'a course without students: the header alone');
select throws_ok($$ select public.gradebook_csv('00000000-0000-4000-8000-000000000000') $$, 'PT404', 'course not found',
  'an unknown course');
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.gradebook_csv(tests.course_id('course-a')) $$, '42501',
  'only the course''s staff export its gradebook', 'a student exports nothing');
select is(tests.error_detail($$ select public.gradebook_csv(tests.course_id('course-a')) $$), 'not_course_staff',
  'with its machine code');
select tests.authenticate_as_anon();
select throws_ok($$ select public.gradebook_csv(tests.course_id('course-a')) $$, '42501',
  'permission denied for function gradebook_csv', 'anon exports nothing');
select tests.clear_authentication();
select is(private.csv_field('a,b') || '|' || private.csv_field('say "hi"') || '|' || private.csv_field('+1') || '|'
          || private.csv_field(null) || '|' || private.csv_field('two' || E'\n' || 'lines'),
  '"a,b"|"say ""hi"""|''+1||"two' || E'\n' || 'lines"', 'fields are quoted as RFC 4180 says; formulas are defused');

select * from finish();
rollback;
