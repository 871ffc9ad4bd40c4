-- Learning: record_progress() (what it refuses: no access, a lesson not open yet, bad input;
-- percentages, time and position, course completion), course_outline() and my_dashboard(), and
-- the machine codes frontends branch on.
begin;
select plan(32);
select tests.catalog_fixture();

-- ---------------------------------------------------------------- record_progress
select tests.authenticate_with_claims('{"role":"authenticated","aud":"authenticated"}');
select throws_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l1')), '42501',
  'sign in to record progress', 'a token without a user id records no progress');
select is(tests.error_detail(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l1'))),
  'not_signed_in', 'and its machine code is not_signed_in');
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

-- A quiz or assignment lesson is completed by passing it, never by record_progress.
select tests.clear_authentication();
update public.lessons set kind = 'quiz' where id = tests.lesson_id('course-a', 'l2');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l2')), 'P0001',
  'a quiz or assignment lesson is complete once it is passed', 'a student cannot mark a quiz lesson complete');
select throws_ok(format($$ select public.record_progress(%L, false) $$, tests.lesson_id('course-a', 'l2')), 'P0001',
  'a quiz or assignment lesson is complete once it is passed', 'nor mark it incomplete');
select is(tests.error_detail(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l2'))),
  'completed_by_assessment', 'the machine code says why');
select is((public.record_progress(tests.lesson_id('course-a', 'l2'), null, 45)).completed_lessons, 1,
  'time on a quiz lesson is accepted, and completes nothing');
select is((select row(lp.time_spent_seconds, lp.completed_at is null)::text from public.lesson_progress lp
           where lp.lesson_id = tests.lesson_id('course-a', 'l2') and lp.user_id = auth.uid()),
  row(45, true)::text, 'the time is recorded, and the quiz lesson stays incomplete');
select tests.clear_authentication();
update public.lessons set kind = 'assignment' where id = tests.lesson_id('course-a', 'l2');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l2')), 'P0001',
  'a quiz or assignment lesson is complete once it is passed', 'an assignment lesson neither');
select tests.clear_authentication();
update public.lessons set kind = 'text' where id = tests.lesson_id('course-a', 'l2');
select tests.authenticate_as('ent@t');
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

-- ---------------------------------------------------------------- lessons in order
select tests.clear_authentication();
update public.courses set requires_sequential = true where slug = 'course-a';
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l2')),
  'P0001', 'this lesson is not open yet', 'in-order course: l2 cannot be completed before l1');
select lives_ok(format($$ select public.record_progress(%L, true) $$, tests.lesson_id('course-a', 'l1')), 'l1 completed');

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
