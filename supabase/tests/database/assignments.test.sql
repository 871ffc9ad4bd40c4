-- Assignments: who reads and writes them, their rules, and their lesson.
begin;
select plan(34);
select tests.catalog_fixture();
select tests.homework_fixture();

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('anon', 'public.assignments', 'select'), 'anon holds no grant on assignments');
select ok(has_table_privilege('authenticated', 'public.assignments', 'select')
  and has_table_privilege('authenticated', 'public.assignments', 'delete')
  and has_column_privilege('authenticated', 'public.assignments', 'due_at', 'update')
  and has_column_privilege('authenticated', 'public.assignments', 'lesson_id', 'insert'),
  'authenticated reads, deletes, writes the settings');
select ok(not has_column_privilege('authenticated', 'public.assignments', 'lesson_id', 'update')
  and not has_column_privilege('authenticated', 'public.assignments', 'course_id', 'update')
  and not has_column_privilege('authenticated', 'public.assignments', 'course_id', 'insert'),
  'nobody moves an assignment to another lesson or course, or names its course');

-- ---------------------------------------------------------------- readers: the six personas
-- An assignment in s2 behind a 7-day drip: open for ent@t (enrolled 30 days ago), not for drip@t.
insert into public.lessons (section_id, title, kind, position, drip_days)
select s.id, 'hw-late', 'assignment', 2, 7 from public.sections s where s.course_id = tests.course_id('course-a') and s.position = 1;
insert into public.assignments (lesson_id) values (tests.lesson_id('course-a', 'hw-late'));
create function pg_temp.seen() returns text[] language sql as $$
  select coalesce(array_agg(l.title order by l.title), '{}') from public.assignments a join public.lessons l on l.id = a.lesson_id
  where a.course_id in (tests.course_id('course-a'), tests.course_id('course-b'))
$$;
grant execute on function pg_temp.seen() to anon, authenticated;

select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.assignments $$, '42501', 'permission denied for table assignments',
  'anon reads no assignment');
select tests.authenticate_as('none@t');
select is(pg_temp.seen(), '{}'::text[], 'a student without access reads none');
select tests.authenticate_as('ent@t');
select is(pg_temp.seen(), '{hw,hw-late}'::text[], 'an entitled student reads the assignments of open lessons');
select tests.authenticate_as('drip@t');
select is(pg_temp.seen(), '{hw}'::text[], 'but not one whose lesson is not open for them yet');
select tests.authenticate_as('own@t');
select is(pg_temp.seen(), '{hw,hw-late}'::text[], 'the instructor reads their course''s assignments');
select tests.authenticate_as('other@t');
select is(pg_temp.seen(), '{bhw}'::text[], 'another course''s instructor reads only their own');
select tests.authenticate_as('admin@t');
select is(pg_temp.seen(), '{bhw,hw,hw-late}'::text[], 'an admin reads every assignment');

-- ---------------------------------------------------------------- writers
select tests.authenticate_as('own@t');
insert into public.lessons (section_id, title, kind, position)
select s.id, 'hw2', 'assignment', 3 from public.sections s where s.course_id = tests.course_id('course-a') and s.position = 1;
select is(tests.returned(format($$ insert into public.assignments (lesson_id, instructions, due_at, max_points, pass_points)
                                   values (%L, 'Index a slow query.', now() + interval '3 days', 20, 12)
                                   returning instructions, course_id = %L as in_course, max_points, late_until $$,
                                tests.lesson_id('course-a', 'hw2'), tests.course_id('course-a'))),
  '[{"instructions": "Index a slow query.", "in_course": true, "max_points": 20.00, "late_until": null}]',
  'the instructor sets an assignment and gets it back, its course derived from the lesson');
select throws_ok(format($$ insert into public.assignments (lesson_id) values (%L) $$, tests.lesson_id('course-a', 'hw2')),
  '23505', 'duplicate key value violates unique constraint "assignments_lesson_id_key"', 'one assignment per lesson');
select throws_ok(format($$ insert into public.assignments (lesson_id) values (%L) $$, tests.lesson_id('course-a', 'l2')),
  '22023', 'only a lesson of kind assignment has an assignment', 'a text lesson has no assignment');
select is(tests.error_detail(format($$ insert into public.assignments (lesson_id) values (%L) $$, tests.lesson_id('course-a', 'l2'))),
  'not_an_assignment_lesson', 'with its machine code');
select throws_ok(format($$ update public.assignments set pass_points = 30 where lesson_id = %L $$, tests.lesson_id('course-a', 'hw2')),
  '23514', 'new row for relation "assignments" violates check constraint "assignments_pass_points_valid"',
  'the pass mark is at most the max points');
select throws_ok(format($$ update public.assignments set due_at = null, late_until = now() where lesson_id = %L $$,
  tests.lesson_id('course-a', 'hw2')),
  '23514', 'new row for relation "assignments" violates check constraint "assignments_late_until_valid"',
  'late submissions need a due date to be late for');
select throws_ok(format($$ update public.assignments set late_until = due_at - interval '1 day' where lesson_id = %L $$,
  tests.lesson_id('course-a', 'hw2')),
  '23514', 'new row for relation "assignments" violates check constraint "assignments_late_until_valid"',
  'and the late cut-off is not before the due date');
select throws_ok(format($$ update public.assignments set late_penalty_percent = 101 where lesson_id = %L $$,
  tests.lesson_id('course-a', 'hw2')),
  '23514', 'new row for relation "assignments" violates check constraint "assignments_late_penalty_valid"',
  'a late penalty is 0 to 100 percent');
select throws_ok(format($$ update public.assignments set allowed_mime_types = '{application/pdf,"text/plain; x"}' where lesson_id = %L $$,
  tests.lesson_id('course-a', 'hw2')),
  '23514', 'new row for relation "assignments" violates check constraint "assignments_allowed_mime_types_valid"',
  'file types are MIME types');
select lives_ok(format($$ update public.assignments set allowed_mime_types = '{application/pdf,image/*}', max_files = 0,
  max_file_bytes = 52428800 where lesson_id = %L $$, tests.lesson_id('course-a', 'hw2')),
  'a type family (image/*), a text-only assignment and the bucket''s 50 MiB are valid');
select throws_ok(format($$ update public.assignments set max_file_bytes = 52428801 where lesson_id = %L $$,
  tests.lesson_id('course-a', 'hw2')),
  '23514', 'new row for relation "assignments" violates check constraint "assignments_max_file_bytes_valid"',
  'no file larger than the bucket takes');
select throws_ok(format($$ update public.lessons set kind = 'text' where id = %L $$, tests.lesson_id('course-a', 'hw2')),
  'P0001', 'this lesson has an assignment: delete the assignment before changing its kind',
  'an assignment lesson keeps its kind while it has an assignment');

select tests.authenticate_as('other@t');
select throws_ok(format($$ insert into public.assignments (lesson_id) values (%L) $$, tests.lesson_id('course-a', 'hw-late')),
  '42501', 'new row violates row-level security policy for table "assignments"', 'another instructor sets none in the course');
select is(tests.affected_rows($q$ update public.assignments set max_points = 1 where course_id = tests.course_id('course-a') $q$),
  0::bigint, 'nor edits its assignments');
select is(tests.affected_rows($q$ delete from public.assignments where course_id = tests.course_id('course-a') $q$),
  0::bigint, 'nor deletes them');
select tests.authenticate_as('ent@t');
select is(tests.affected_rows($q$ update public.assignments set due_at = now() + interval '1 year' $q$), 0::bigint,
  'a student cannot move a due date');
select throws_ok(format($$ insert into public.assignments (lesson_id) values (%L) $$, tests.lesson_id('course-a', 'hw-late')),
  '42501', 'new row violates row-level security policy for table "assignments"', 'nor set an assignment');
select tests.authenticate_as('admin@t');
select is(tests.affected_rows(format($q$ update public.assignments set instructions = 'Revised.' where lesson_id = %L $q$,
  tests.lesson_id('course-b', 'bhw'))), 1::bigint, 'an admin edits any assignment');
select tests.authenticate_as('own@t');
select is(tests.affected_rows(format($q$ delete from public.assignments where lesson_id = %L $q$, tests.lesson_id('course-a', 'hw2'))),
  1::bigint, 'the instructor deletes an assignment');
select lives_ok(format($$ update public.lessons set kind = 'text' where id = %L $$, tests.lesson_id('course-a', 'hw2')),
  'and the lesson may then change kind');

-- ---------------------------------------------------------------- staff removed from a course lose it at once
select tests.clear_authentication();
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('other@t'), 'co_instructor');
select tests.authenticate_as('other@t');
select is(pg_temp.seen(), '{bhw,hw,hw-late}'::text[], 'a co-instructor reads the course''s assignments');
select tests.authenticate_as('own@t');
select ok(public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), 'the owner removes them');
select tests.authenticate_as('other@t');
select is(pg_temp.seen(), '{bhw}'::text[], 'and they no longer read them');
select is(tests.affected_rows($q$ update public.assignments set max_points = 1 where course_id = tests.course_id('course-a') $q$),
  0::bigint, 'nor edit them');

select * from finish();
rollback;
