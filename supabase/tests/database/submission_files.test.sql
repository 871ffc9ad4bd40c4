-- The submissions bucket: each student writes and reads only their own folder, staff read their
-- course's, and no path trick reaches another folder.
begin;
select plan(39);
select tests.catalog_fixture();
select tests.homework_fixture();
insert into public.lessons (section_id, title, kind, position, drip_days)
select s.id, 'hw-drip', 'assignment', 2, 7 from public.sections s where s.course_id = tests.course_id('course-a') and s.position = 1;
insert into public.assignments (lesson_id) values (tests.lesson_id('course-a', 'hw-drip'));
create function pg_temp.files() returns text[] language sql as $$
  select coalesce(array_agg(storage.filename(name) order by storage.filename(name)), '{}') from storage.objects
  where bucket_id = 'submissions' and split_part(name, '/', 1) in (tests.course_id('course-a')::text, tests.course_id('course-b')::text)
$$;
-- A path in course-a's hw folders: <course>/<assignment>/<segment 3>/<file>
create function pg_temp.hw(rest text) returns text language sql as $$
  select tests.course_id('course-a') || '/' || tests.assignment_id('course-a', 'hw') || '/' || rest
$$;
grant execute on function pg_temp.files(), pg_temp.hw(text) to anon, authenticated;

select is((select row(public, file_size_limit)::text from storage.buckets where id = 'submissions'), row(false, 52428800)::text,
  'submissions is a private bucket of files up to 50 MiB');

-- ---------------------------------------------------------------- a student's own folder
select tests.authenticate_as('ent@t');
select lives_ok($$ select tests.upload('submissions', tests.submission_path('ent@t', 'course-a', 'hw', 'policy.pdf')) $$,
  'an entitled student uploads to their own folder of an open assignment');
select lives_ok($$ select tests.upload('submissions', tests.submission_path('ent@t', 'course-a', 'hw', 'x%2F..%2F..%2Fy.pdf')) $$,
  'an encoded slash in a file name is only a name, in their own folder');
select lives_ok($$ select tests.upload('submissions', tests.submission_path('ent@t', 'course-a', 'hw', 'scan.png'), 'image/png', 1048576) $$,
  'a file of an allowed type, at the size limit');

-- ---------------------------------------------------------------- no path trick reaches another folder
select throws_ok(format($$ select tests.upload('submissions', %L) $$, tests.submission_path('drip@t', 'course-a', 'hw', 'evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'another student''s folder is refused');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, pg_temp.hw(tests.user_id('ent@t') || '/../' || tests.user_id('drip@t') || '/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'so is climbing out of one''s folder with ..');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, pg_temp.hw('../' || tests.user_id('drip@t') || '/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and .. in place of the user id');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, pg_temp.hw(tests.user_id('ent@t') || '/..')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and a file named ..');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, pg_temp.hw(tests.user_id('ent@t') || '%2F..%2F' || tests.user_id('drip@t') || '/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and encoded slashes around the user id');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, pg_temp.hw(tests.user_id('drip@t') || '%2Fevil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and another user''s id with an encoded slash');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, pg_temp.hw(upper(tests.user_id('ent@t')::text) || '/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and their own id spelt in capitals');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, '/' || tests.submission_path('ent@t', 'course-a', 'hw', 'evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and a leading slash');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, pg_temp.hw('/' || tests.user_id('ent@t') || '/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and an empty segment');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, tests.submission_path('ent@t', 'course-a', 'hw', 'sub/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and a sub-folder');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, tests.submission_path('ent@t', 'course-a', 'hw', '')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and an empty file name');
select throws_ok($$ select tests.upload('submissions', 'evil.pdf') $$,
  '42501', 'new row violates row-level security policy for table "objects"', 'and the bucket''s root');
select throws_ok(format($$ select tests.upload('submissions', %L) $$,
  tests.course_id('course-a') || '/' || tests.assignment_id('course-b', 'bhw') || '/' || tests.user_id('ent@t') || '/evil.pdf'),
  '42501', 'new row violates row-level security policy for table "objects"', 'and another course''s assignment under this course');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, tests.submission_path('ent@t', 'course-b', 'bhw', 'evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and an assignment of a course they do not have');
select throws_ok(format($$ select tests.upload('submissions', %L) $$,
  tests.course_id('course-a') || '/00000000-0000-4000-8000-000000000000/' || tests.user_id('ent@t') || '/evil.pdf'),
  '42501', 'new row violates row-level security policy for table "objects"', 'and an assignment that does not exist');
select throws_ok(format($$ select tests.upload('submissions', %L) $$,
  tests.course_id('course-a') || '/not-a-uuid/' || tests.user_id('ent@t') || '/evil.pdf'),
  '42501', 'new row violates row-level security policy for table "objects"', 'and a malformed path: refused, not an error');

-- ---------------------------------------------------------------- only while they may submit, only files that fit
select throws_ok(format($$ select tests.upload('submissions', %L, 'application/x-msdownload') $$,
  tests.submission_path('ent@t', 'course-a', 'hw', 'evil.exe')),
  '42501', 'new row violates row-level security policy for table "objects"', 'a type the assignment does not take is refused');
select throws_ok(format($$ select tests.upload('submissions', %L, 'application/pdf', 1048577) $$,
  tests.submission_path('ent@t', 'course-a', 'hw', 'big.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'so is a file over its size limit');
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, tests.submission_path('drip@t', 'course-a', 'hw-drip', 'early.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'nothing goes in before the lesson opens for them');
select lives_ok($$ select tests.upload('submissions', tests.submission_path('drip@t', 'course-a', 'hw', 'mine.pdf')) $$,
  'another student uploads to their own folder');
select tests.clear_authentication();
update public.assignments set due_at = now() - interval '2 days', late_until = now() - interval '1 day'
where id = tests.assignment_id('course-a', 'hw');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, tests.submission_path('ent@t', 'course-a', 'hw', 'late.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'nor after the cut-off');
select tests.clear_authentication();
update public.assignments set due_at = null, late_until = null where id = tests.assignment_id('course-a', 'hw');
insert into public.entitlements (user_id, course_id, source) values (tests.user_id('own@t'), tests.course_id('course-a'), 'grant');
select tests.authenticate_as('own@t');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, tests.submission_path('own@t', 'course-a', 'hw', 'mine.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'the course''s instructor has no folder to upload to');
select tests.authenticate_as('none@t');
select throws_ok(format($$ select tests.upload('submissions', %L) $$, tests.submission_path('none@t', 'course-a', 'hw', 'mine.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'nor a student without access');
select tests.authenticate_as_anon();
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('submissions', %L) $$,
  tests.submission_path('none@t', 'course-a', 'hw', 'anon.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'nor anon');

-- ---------------------------------------------------------------- submitted files stay as they were
select tests.authenticate_as('ent@t');
select is(tests.affected_rows($q$ update storage.objects set metadata = '{"size": 1}' where bucket_id = 'submissions' $q$), 0::bigint,
  'a student cannot replace their files');
select set_config('storage.allow_delete_query', 'true', true);
select is(tests.affected_rows($q$ delete from storage.objects where bucket_id = 'submissions' $q$), 0::bigint,
  'nor delete them');
select set_config('storage.allow_delete_query', 'false', true);

-- ---------------------------------------------------------------- readers: the six personas
select is(pg_temp.files(), array['policy.pdf', 'scan.png', 'x%2F..%2F..%2Fy.pdf'], 'a student reads their own folder');
select tests.authenticate_as('drip@t');
select is(pg_temp.files(), array['mine.pdf'], 'another student reads only theirs');
select tests.authenticate_as('none@t');
select is(pg_temp.files(), '{}'::text[], 'a student without access reads none');
select tests.authenticate_as_anon();
select is(pg_temp.files(), '{}'::text[], 'anon reads none');
select tests.authenticate_as('own@t');
select is(pg_temp.files(), array['mine.pdf', 'policy.pdf', 'scan.png', 'x%2F..%2F..%2Fy.pdf'], 'the instructor reads every folder of their course');
select tests.authenticate_as('other@t');
select is(pg_temp.files(), '{}'::text[], 'another course''s instructor reads none');
select tests.authenticate_as('admin@t');
select is(pg_temp.files(), array['mine.pdf', 'policy.pdf', 'scan.png', 'x%2F..%2F..%2Fy.pdf'], 'an admin reads every folder');

-- ---------------------------------------------------------------- staff removed from a course lose them at once
select tests.clear_authentication();
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('other@t'), 'co_instructor');
select tests.authenticate_as('other@t');
select is(cardinality(pg_temp.files()), 4, 'a co-instructor reads the course''s folders');
select tests.authenticate_as('own@t');
select public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t'));
select tests.authenticate_as('other@t');
select is(pg_temp.files(), '{}'::text[], 'removed, they read none at once');

select * from finish();
rollback;
