-- Catalog: categories, courses, course_instructors, for every persona.
begin;
select plan(58);
select tests.catalog_fixture();

-- ---------------------------------------------------------------- grants
select ok(has_table_privilege('anon', 'public.courses', 'select') and not has_table_privilege('anon', 'public.courses', 'insert'),
  'anon: courses select only');
select ok(not has_table_privilege('authenticated', 'public.courses', 'delete'), 'nobody deletes courses (soft delete)');
select ok(not has_column_privilege('authenticated', 'public.courses', 'owner_id', 'update'), 'owner_id is not editable');
select ok(not has_column_privilege('authenticated', 'public.courses', 'rating_avg', 'update')
  and not has_column_privilege('authenticated', 'public.courses', 'instructors', 'update'),
  'rating and instructor cards are not editable');
select ok(not has_column_privilege('authenticated', 'public.courses', 'status', 'insert'), 'new courses start as drafts');
select ok(not has_table_privilege('authenticated', 'public.course_instructors', 'insert')
  and not has_table_privilege('authenticated', 'public.course_instructors', 'delete'), 'course_instructors: no direct writes');
select ok(not has_table_privilege('anon', 'public.categories', 'insert'), 'anon cannot write categories');

-- ---------------------------------------------------------------- categories
select tests.authenticate_as_anon();
select ok((select count(*) from public.categories where slug like 't-%') = 2, 'anon reads categories');
select tests.authenticate_as('own@t');
select throws_ok($$ insert into public.categories (slug, name) values ('t-x', 'X') $$,
  '42501', 'new row violates row-level security policy for table "categories"', 'an instructor cannot add categories');
select is(tests.affected_rows($q$ update public.categories set name = 'Hacked' where slug = 't-web' $q$), 0::bigint,
  'an instructor cannot rename categories');
select tests.authenticate_as('admin@t');
select lives_ok($$ insert into public.categories (slug, name, parent_id) values ('t-css', 'CSS', (select id from public.categories where slug = 't-web')) $$,
  'an admin adds a subcategory');
select throws_ok($$ update public.categories set parent_id = (select id from public.categories where slug = 't-css') where slug = 't-tech' $$,
  '22023', 'a category cannot be inside itself', 'category cycles are refused');
select throws_ok($$ insert into public.categories (slug, name) values ('Bad Slug', 'x') $$,
  '23514', 'new row for relation "categories" violates check constraint "categories_slug_format"', 'slugs are validated');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ delete from public.categories where slug = 't-css' $q$), 0::bigint,
  'an instructor cannot delete categories');
select tests.authenticate_as('admin@t');
select throws_ok($$ delete from public.categories where slug = 't-tech' $$,
  '23503', 'update or delete on table "categories" violates foreign key constraint "categories_parent_id_fkey" on table "categories"',
  'a category with subcategories cannot be deleted');
select is(tests.affected_rows($q$ delete from public.categories where slug = 't-css' $q$), 1::bigint,
  'an admin deletes an empty category');

-- ---------------------------------------------------------------- course visibility
select tests.authenticate_as_anon();
select is((select array_agg(slug order by slug) from public.courses where slug like 'course-%'), array['course-a', 'course-b'],
  'anon sees published courses only');
select tests.authenticate_as('none@t');
select is((select array_agg(slug order by slug) from public.courses where slug like 'course-%'), array['course-a', 'course-b'],
  'a student without access sees published courses only');
select tests.authenticate_as('own@t');
select is((select array_agg(slug order by slug) from public.courses where slug like 'course-%'), array['course-a', 'course-b', 'course-draft'],
  'the owner also sees their draft');
select tests.authenticate_as('other@t');
select is((select array_agg(slug order by slug) from public.courses where slug like 'course-%'), array['course-a', 'course-b'],
  'another instructor does not see the draft');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.courses where slug like 'course-%'), 3::bigint, 'an admin sees drafts too');

-- archived: entitled students keep it, the catalog drops it
select tests.clear_authentication();
update public.courses set status = 'archived' where slug = 'course-a';
select tests.authenticate_as('ent@t');
select ok(exists (select 1 from public.courses where slug = 'course-a'), 'an entitled student still sees an archived course');
select tests.authenticate_as('none@t');
select ok(not exists (select 1 from public.courses where slug = 'course-a'), 'others no longer see an archived course');
select tests.authenticate_as_anon();
select ok(not exists (select 1 from public.courses where slug = 'course-a'), 'anon no longer sees an archived course');
select tests.clear_authentication();
update public.courses set status = 'published', deleted_at = now() where slug = 'course-a';
select tests.authenticate_as('ent@t');
select ok(not exists (select 1 from public.courses where slug = 'course-a'), 'a soft-deleted course disappears for students');
select tests.authenticate_as('own@t');
select ok(exists (select 1 from public.courses where slug = 'course-a'), 'its instructor still sees a soft-deleted course');
select tests.clear_authentication();
update public.courses set deleted_at = null where slug = 'course-a';

-- ---------------------------------------------------------------- creating courses
select tests.authenticate_as('none@t');
select throws_ok($$ insert into public.courses (slug, title) values ('student-course', 'Student Course') $$,
  '42501', 'new row violates row-level security policy for table "courses"', 'a student cannot create courses');
select tests.authenticate_as_anon();
select throws_ok($$ insert into public.courses (slug, title) values ('anon-course', 'Anon Course') $$,
  '42501', 'permission denied for table courses', 'anon cannot create courses');
select tests.authenticate_as('own@t');
select lives_ok($$ insert into public.courses (slug, title) values ('own-new', 'Brand New Course') $$, 'an instructor creates a course');
select is((select owner_id from public.courses where slug = 'own-new'), tests.user_id('own@t'), 'the creator owns it');
select is((select status::text from public.courses where slug = 'own-new'), 'draft', 'it starts as a draft');
select is((select array_agg(row(user_id, role)::text) from public.course_instructors where course_id = tests.course_id('own-new')),
  array[row(tests.user_id('own@t'), 'owner')::text], 'the owner is its first instructor');
select throws_ok($$ update public.courses set status = 'published' where slug = 'own-new' $$, 'P0001',
  'a course needs at least one lesson before it can be published', 'a course without lessons cannot be published');
select throws_ok($$ insert into public.courses (slug, title) values ('course-a', 'Duplicate slug') $$,
  '23505', 'duplicate key value violates unique constraint "courses_slug_key"', 'slugs are unique');
select throws_ok($$ insert into public.courses (slug, title, is_free, list_price_amount, list_price_currency) values ('x-free', 'Free but priced', true, 100, 'USD') $$,
  '23514', 'new row for relation "courses" violates check constraint "courses_price_consistent"', 'a free course has no price');
select throws_ok($$ insert into public.courses (slug, title, language) values ('x-lang', 'Bad language', 'English') $$,
  '23514', 'new row for relation "courses" violates check constraint "courses_language_format"', 'the language must be a language code');

-- ---------------------------------------------------------------- editing courses
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.courses set subtitle = 'Updated' where slug = 'course-a' $q$), 1::bigint,
  'the owner edits their course');
select throws_ok($$ update public.courses set rating_avg = 5 where slug = 'course-a' $$,
  '42501', 'permission denied for table courses', 'the owner cannot set the rating');
select tests.authenticate_as('other@t');
select is(tests.affected_rows($q$ update public.courses set title = 'Hijacked' where slug = 'course-a' $q$), 0::bigint,
  'another instructor cannot edit it');
select tests.authenticate_as('ent@t');
select is(tests.affected_rows($q$ update public.courses set title = 'Hijacked' where slug = 'course-a' $q$), 0::bigint,
  'an entitled student cannot edit it');
select throws_ok($$ delete from public.courses where slug = 'course-a' $$,
  '42501', 'permission denied for table courses', 'nobody deletes courses');
select tests.authenticate_as('admin@t');
select is(tests.affected_rows($q$ update public.courses set tags = '{featured}' where slug = 'course-b' $q$), 1::bigint,
  'an admin edits any course');
select tests.clear_authentication();
select is((select published_at is not null from public.courses where slug = 'course-a'), true, 'publishing sets published_at');
select ok((select search_document @@ to_tsquery('simple', 'olivia') from public.courses where slug = 'course-a'),
  'the instructor''s name is searchable');

-- ---------------------------------------------------------------- co-instructors
select tests.authenticate_as('other@t');
select throws_ok(format($$ select public.add_course_instructor(%L, %L) $$, tests.course_id('course-a'), tests.user_id('other@t')),
  '42501', 'only the course owner or an admin can manage its instructors', 'another instructor cannot add themselves to a course');
select tests.authenticate_as('own@t');
select throws_ok(format($$ select public.add_course_instructor('00000000-0000-4000-8000-000000000000', %L) $$, tests.user_id('other@t')),
  'PT404', 'course not found', 'co-instructors of an unknown course: not found');
select throws_ok(format($$ select public.add_course_instructor(%L, %L) $$, tests.course_id('course-a'), tests.user_id('none@t')),
  'P0001', 'that user is not an instructor', 'only instructors can be co-instructors');
select is(public.add_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), true, 'the owner adds a co-instructor');
select is(public.add_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), false, 'adding twice is a no-op');
select is((select jsonb_array_length(instructors) from public.courses where slug = 'course-a'), 2,
  'the course''s instructor cards follow');
select tests.authenticate_as('other@t');
select is(tests.affected_rows($q$ update public.courses set subtitle = 'Co-edited' where slug = 'course-a' $q$), 1::bigint,
  'a co-instructor edits the course');
select throws_ok(format($$ select public.remove_course_instructor(%L, %L) $$, tests.course_id('course-a'), tests.user_id('own@t')),
  '42501', 'only the course owner or an admin can manage its instructors', 'a co-instructor cannot remove the owner');
select tests.authenticate_as('own@t');
select throws_ok(format($$ select public.remove_course_instructor(%L, %L) $$, tests.course_id('course-a'), tests.user_id('own@t')),
  'P0001', 'the owner cannot be removed from their course', 'the owner stays');
select is(public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), true, 'the owner removes a co-instructor');
select tests.authenticate_as_anon();
select is((select count(*) from public.course_instructors where course_id = tests.course_id('course-a')), 1::bigint,
  'anon sees who teaches a published course');
select is((select count(*) from public.course_instructors where course_id = tests.course_id('course-draft')), 0::bigint,
  'anon does not see who teaches a draft');
select tests.authenticate_as('none@t');
select is((select count(*) from public.course_instructors where course_id = tests.course_id('course-draft')), 0::bigint,
  'nor does a student');
select tests.clear_authentication();
update public.profiles set display_name = 'Olivia O.' where id = tests.user_id('own@t');
select is((select instructors -> 0 ->> 'display_name' from public.courses where slug = 'course-a'), 'Olivia O.',
  'renaming an instructor updates their courses');

select * from finish();
rollback;
