-- Catalog: categories (a tree that admins edit), the course row (its defaults and checks, who
-- may not touch its rating or cards), and what triggers keep on it: the owner as its first
-- instructor, the instructor cards and the search text.
begin;
select plan(27);
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

-- ---------------------------------------------------------------- a new course
-- Created by its instructor, as the app does (who may create one: course_staff.test.sql).
select tests.authenticate_as('own@t');
insert into public.courses (slug, title) values ('own-new', 'Brand New Course');
select is((select owner_id from public.courses where slug = 'own-new'), tests.user_id('own@t'), 'the creator owns it');
select is((select status::text from public.courses where slug = 'own-new'), 'draft', 'it starts as a draft');
select is((select array_agg(row(user_id, role)::text) from public.course_instructors where course_id = tests.course_id('own-new')),
  array[row(tests.user_id('own@t'), 'owner')::text], 'the owner is its first instructor');
select throws_ok($$ insert into public.courses (slug, title) values ('course-a', 'Duplicate slug') $$,
  '23505', 'duplicate key value violates unique constraint "courses_slug_key"', 'slugs are unique');
select throws_ok($$ insert into public.courses (slug, title, is_free, list_price_amount, list_price_currency) values ('x-free', 'Free but priced', true, 100, 'USD') $$,
  '23514', 'new row for relation "courses" violates check constraint "courses_price_consistent"', 'a free course has no price');
select throws_ok($$ insert into public.courses (slug, title, language) values ('x-lang', 'Bad language', 'English') $$,
  '23514', 'new row for relation "courses" violates check constraint "courses_language_format"', 'the language must be a language code');

-- ---------------------------------------------------------------- what nobody edits
select tests.authenticate_as('own@t');
select throws_ok($$ update public.courses set rating_avg = 5 where slug = 'course-a' $$,
  '42501', 'permission denied for table courses', 'the owner cannot set the rating');
select tests.authenticate_as('ent@t');
select throws_ok($$ delete from public.courses where slug = 'course-a' $$,
  '42501', 'permission denied for table courses', 'nobody deletes courses');

-- ---------------------------------------------------------------- the copies triggers keep on the course
select tests.clear_authentication();
select ok((select search_document @@ to_tsquery('simple', 'olivia') from public.courses where slug = 'course-a'),
  'the instructor''s name is searchable');
-- A co-instructor joins (who may add one: course_staff.test.sql).
select tests.authenticate_as('own@t');
select public.add_course_instructor(tests.course_id('course-a'), tests.user_id('other@t'));
select is((select jsonb_array_length(instructors) from public.courses where slug = 'course-a'), 2,
  'the course''s instructor cards follow');
select tests.clear_authentication();
update public.profiles set display_name = 'Olivia O.' where id = tests.user_id('own@t');
select is((select instructors -> 0 ->> 'display_name' from public.courses where slug = 'course-a'), 'Olivia O.',
  'renaming an instructor updates their courses');

select * from finish();
rollback;