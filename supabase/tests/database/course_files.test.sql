-- course-materials and course-media buckets.
begin;
select plan(18);
select tests.catalog_fixture();

select is((select public from storage.buckets where id = 'course-materials'), false, 'course-materials is private');
select is((select public from storage.buckets where id = 'course-media'), true, 'course-media is public');

-- the files behind the fixture's materials exist in storage
insert into storage.objects (bucket_id, name)
select 'course-materials', m.storage_path from public.lesson_materials m where m.course_id = tests.course_id('course-a');
create function pg_temp.files() returns bigint language sql as $$
  select count(*) from storage.objects where bucket_id = 'course-materials' and name like tests.course_id('course-a') || '/%'
$$;
grant execute on function pg_temp.files() to anon, authenticated;

select tests.authenticate_as_anon();
select is(pg_temp.files(), 1::bigint, 'anon downloads the preview lesson''s file only');
select tests.authenticate_as('none@t');
select is(pg_temp.files(), 1::bigint, 'a student without access: preview file only');
select tests.authenticate_as('ent@t');
select is(pg_temp.files(), 2::bigint, 'an entitled student downloads the materials of open lessons');
select tests.authenticate_as('other@t');
select is(pg_temp.files(), 1::bigint, 'another instructor: preview file only');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('course-materials', %L) $$,
  tests.course_id('course-a') || '/' || tests.lesson_id('course-a', 'l2') || '/evil.pdf'),
  '42501', 'new row violates row-level security policy for table "objects"', 'another instructor cannot upload to the course');
select is(tests.affected_rows($q$ update storage.objects set metadata = '{"v":2}' where bucket_id = 'course-materials' $q$), 0::bigint,
  'nor replace its files');
select set_config('storage.allow_delete_query', 'true', true);
select is(tests.affected_rows($q$ delete from storage.objects where bucket_id = 'course-materials' $q$), 0::bigint,
  'nor delete them');
select set_config('storage.allow_delete_query', 'false', true);
select tests.authenticate_as('ent@t');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('course-media', %L) $$,
  tests.course_id('course-a') || '/thumb.png'),
  '42501', 'new row violates row-level security policy for table "objects"', 'a student cannot upload course media');
select tests.authenticate_as('own@t');
select lives_ok(format($$ insert into storage.objects (bucket_id, name) values ('course-materials', %L) $$,
  tests.course_id('course-a') || '/' || tests.lesson_id('course-a', 'l3') || '/notes.pdf'), 'the instructor uploads materials');
select lives_ok(format($$ insert into storage.objects (bucket_id, name) values ('course-media', %L) $$,
  tests.course_id('course-a') || '/thumb.png'), 'the instructor uploads a thumbnail');
select throws_ok($$ insert into storage.objects (bucket_id, name) values ('course-media', 'not-a-uuid/thumb.png') $$,
  '42501', 'new row violates row-level security policy for table "objects"', 'a malformed path is refused, not an error');
select is(pg_temp.files(), 3::bigint, 'the instructor sees every course file, with or without a materials row');
select set_config('storage.allow_delete_query', 'true', true);
select is(tests.affected_rows(format($q$ delete from storage.objects where name = %L $q$,
  tests.course_id('course-a') || '/thumb.png')), 1::bigint, 'the instructor deletes course media');
select tests.authenticate_as('admin@t');
select is(pg_temp.files(), 3::bigint, 'an admin sees every course file');
select lives_ok($$ insert into storage.objects (bucket_id, name) values ('course-media', '00000000-0000-4000-8000-000000000000/left.png') $$,
  'an admin also manages a path whose course is gone (a path is no foreign key)');
select tests.authenticate_as('own@t');
select throws_ok($$ insert into storage.objects (bucket_id, name) values ('course-media', '00000000-0000-4000-8000-000000000000/mine.png') $$,
  '42501', 'new row violates row-level security policy for table "objects"', 'an instructor does not: only their courses'' paths');

select * from finish();
rollback;
