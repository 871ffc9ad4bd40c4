-- Progress: students read their own, the course's staff their students', nobody writes it but
-- our SQL functions.
begin;
select plan(11);
select tests.catalog_fixture();

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('authenticated', 'public.lesson_progress', 'insert')
  and not has_table_privilege('authenticated', 'public.lesson_progress', 'update')
  and not has_table_privilege('authenticated', 'public.course_progress', 'update'), 'progress is written only through record_progress');

-- ---------------------------------------------------------------- who reads progress
-- ent@t completes course-a through record_progress() (tested in learning.test.sql); l4's date is
-- dropped first so that it can be completed.
select tests.clear_authentication();
update public.lessons set available_at = null where title = 'l4';
select tests.authenticate_as('ent@t');
select public.record_progress(tests.lesson_id('course-a', t), true) from unnest(array['l1', 'l2', 'l3', 'l4']) t;
select tests.authenticate_as('drip@t');
select is((select count(*) from public.lesson_progress), 0::bigint, 'a student does not read others'' progress');
select tests.authenticate_as('own@t');
select is((select count(*) from public.lesson_progress where course_id = tests.course_id('course-a')), 4::bigint,
  'the instructor reads their course''s progress');
select tests.authenticate_as('other@t');
select is((select count(*) from public.course_progress), 0::bigint, 'another instructor reads none');

-- ---------------------------------------------------------------- complete_lesson
select tests.clear_authentication();
select ok(not has_function_privilege('anon', 'private.complete_lesson(uuid, uuid, uuid, timestamptz)', 'execute')
  and not has_function_privilege('authenticated', 'private.complete_lesson(uuid, uuid, uuid, timestamptz)', 'execute'),
  'no API role completes a lesson for someone');
select is((private.complete_lesson(tests.user_id('drip@t'), tests.lesson_id('course-a', 'l2'), tests.course_id('course-a'),
                                   now() - interval '1 hour')).completed_lessons, 1,
  'complete_lesson completes the lesson and returns the recomputed course progress');
select is((private.complete_lesson(tests.user_id('drip@t'), tests.lesson_id('course-a', 'l2'), tests.course_id('course-a'))).completed_lessons,
  1, 'completing it again counts it once');
select ok((select completed_at = now() - interval '1 hour' from public.lesson_progress
           where user_id = tests.user_id('drip@t') and lesson_id = tests.lesson_id('course-a', 'l2')),
  'the first completion time is kept');
select is((select last_lesson_id from public.course_progress
           where user_id = tests.user_id('drip@t') and course_id = tests.course_id('course-a')),
  tests.lesson_id('course-a', 'l2'), 'the course progress names the lesson');

select is(private.complete_lesson(tests.user_id('none@t'), tests.lesson_id('course-a', 'l1'), tests.course_id('course-a')),
  null, 'a student without access to the course completes nothing');
select is((select count(*) from public.lesson_progress where user_id = tests.user_id('none@t')), 0::bigint,
  'and no progress is written for them');

select * from finish();
rollback;
