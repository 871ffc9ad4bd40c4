-- Lessons: the outline (sections and lessons) for every persona, who writes it (the course's
-- staff and admins), and publishing, which needs a lesson.
begin;
select plan(31);
select tests.catalog_fixture();

-- ---------------------------------------------------------------- grants
-- Grant checks look alike in every test file on purpose: each file states its own objects' grants.
select ok(has_table_privilege('anon', 'public.lessons', 'select') and not has_table_privilege('anon', 'public.lessons', 'insert'),
  'anon: lessons select only');
select ok(not has_column_privilege('authenticated', 'public.lessons', 'course_id', 'update')
  and not has_column_privilege('authenticated', 'public.lessons', 'course_public', 'update'),
  'lessons.course_id and course_public are not editable');

select tests.authenticate_as_anon();
select is((select count(*) from public.lessons where course_id = tests.course_id('course-a')), 4::bigint,
  'anon reads the outline of a published course');
select is((select count(*) from public.lessons where course_id = tests.course_id('course-draft')), 0::bigint,
  'anon does not read a draft''s outline');
select is((select count(*) from public.sections where course_id = tests.course_id('course-a')), 2::bigint, 'anon reads sections');
select tests.authenticate_as('other@t');
select is((select count(*) from public.lessons where course_id = tests.course_id('course-draft')), 0::bigint,
  'another instructor does not read a draft''s outline');
select is((select count(*) from public.sections where course_id = tests.course_id('course-draft')), 0::bigint,
  'nor its sections');
select tests.authenticate_as('own@t');
select is((select count(*) from public.lessons where course_id = tests.course_id('course-draft')), 1::bigint,
  'the instructor reads their draft''s outline');
select tests.clear_authentication();
update public.courses set status = 'draft' where slug = 'course-a';
select tests.authenticate_as_anon();
select is((select count(*) from public.lessons where course_id = tests.course_id('course-a')), 0::bigint,
  'anon: no outline once the course is unpublished');
select tests.clear_authentication();
update public.courses set status = 'published' where slug = 'course-a';

-- ---------------------------------------------------------------- writes
select tests.authenticate_as('own@t');
select lives_ok(format($$ insert into public.lessons (section_id, title, position) values (%L, 'l5', 2) $$,
  (select id from public.sections where course_id = tests.course_id('course-a') and position = 1)), 'the instructor adds a lesson');
select is((select course_id from public.lessons where title = 'l5'), tests.course_id('course-a'), 'the lesson takes its section''s course');
select tests.authenticate_as('other@t');
select throws_ok(format($$ insert into public.lessons (section_id, title, position) values (%L, 'evil', 9) $$,
  (select id from public.sections where course_id = tests.course_id('course-a') and position = 0)),
  '42501', 'new row violates row-level security policy for table "lessons"', 'another instructor cannot add lessons');
select is(tests.affected_rows($q$ delete from public.lessons where course_id = tests.course_id('course-a') $q$), 0::bigint,
  'another instructor cannot delete lessons');
select throws_ok(format($$ insert into public.sections (course_id, title, position) values (%L, 'evil', 9) $$, tests.course_id('course-a')),
  '42501', 'new row violates row-level security policy for table "sections"', 'another instructor cannot add sections');
select is(tests.affected_rows($q$ update public.sections set title = 'defaced' where course_id = tests.course_id('course-a') $q$), 0::bigint,
  'nor edit them');
select is(tests.affected_rows($q$ delete from public.sections where course_id = tests.course_id('course-a') $q$), 0::bigint,
  'nor delete them');
select tests.authenticate_as('ent@t');
select is(tests.affected_rows($q$ update public.lessons set is_preview = true where title = 'l2' $q$), 0::bigint,
  'a student cannot turn lessons into previews');
select tests.authenticate_as_anon();
select throws_ok($$ delete from public.sections $$,
  '42501', 'permission denied for table sections', 'anon cannot delete sections');
select tests.authenticate_as('admin@t');
select is(tests.affected_rows($q$ update public.lessons set duration_seconds = 60 where title = 'l5' $q$), 1::bigint,
  'an admin edits any lesson');
select is(tests.affected_rows($q$ delete from public.lessons where title = 'l5' $q$), 1::bigint, 'an admin deletes a lesson');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.lessons set is_preview = true where title = 'l2' $q$), 1::bigint,
  'the instructor makes l2 a preview');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.lessons set is_preview = false where title = 'l2' $q$), 1::bigint, 'and back');

-- ---------------------------------------------------------------- publishing needs a lesson
select tests.authenticate_as('own@t');
insert into public.courses (slug, title) values ('own-new', 'Brand New Course');
select throws_ok($$ update public.courses set status = 'published' where slug = 'own-new' $$, 'P0001',
  'a course needs at least one lesson before it can be published', 'a course without lessons cannot be published');
select tests.clear_authentication();
select is((select published_at is not null from public.courses where slug = 'course-a'), true, 'publishing sets published_at');

-- ---------------------------------------------------------------- keeping the copies in step
-- One trigger function (private.outline_before_write) for sections and lessons.
select ok(not has_function_privilege('anon', 'private.outline_before_write()', 'execute')
  and not has_function_privilege('authenticated', 'private.outline_before_write()', 'execute'),
  'outline_before_write() is for its triggers only');
select is((select array_agg(distinct course_public order by course_public) from public.sections
           where course_id in (tests.course_id('course-a'), tests.course_id('course-draft'))), array[false, true],
  'sections copy whether their course is public (the draft''s false, course-a''s true)');
select throws_ok(format($$ update public.sections set course_id = %L where course_id = %L and position = 0 $$,
    tests.course_id('course-b'), tests.course_id('course-a')),
  '22023', 'a section cannot move to another course', 'a section stays in its course, even server side');
select is(tests.error_detail(format($$ update public.sections set course_id = %L where course_id = %L and position = 0 $$,
    tests.course_id('course-b'), tests.course_id('course-a'))), 'cannot_change_course',
  'and its machine code is cannot_change_course');
select throws_ok(format($$ update public.lessons set section_id = %L where title = 'l1' $$,
    (select id from public.sections where course_id = tests.course_id('course-b'))),
  '22023', 'a lesson cannot move to another course', 'a lesson cannot move to a section of another course');
select is(tests.error_detail(format($$ update public.lessons set section_id = %L where title = 'l1' $$,
    (select id from public.sections where course_id = tests.course_id('course-b')))), 'cannot_change_course',
  'and its machine code is cannot_change_course');
select is(tests.affected_rows(format($$ update public.lessons set section_id = %L, position = 9 where title = 'l1' $$,
    (select id from public.sections where course_id = tests.course_id('course-a') and position = 1))), 1::bigint,
  'a lesson moves to another section of its course');

select * from finish();
rollback;
