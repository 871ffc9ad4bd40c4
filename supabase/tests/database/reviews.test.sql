-- Reviews: who may write, read, edit and hide; the course rating.
begin;
select plan(29);
select tests.catalog_fixture();

-- Grant checks look alike in every test file on purpose: each file states its own objects' grants.
select ok(has_table_privilege('anon', 'public.reviews', 'select') and not has_table_privilege('anon', 'public.reviews', 'insert'),
  'anon: reviews select only');
select ok(not has_column_privilege('authenticated', 'public.reviews', 'hidden_at', 'update')
  and not has_column_privilege('authenticated', 'public.reviews', 'user_id', 'update'), 'hidden_at and user_id are not editable');

select tests.authenticate_as('none@t');
select throws_ok(format($$ insert into public.reviews (course_id, rating, body) values (%L, 5, 'great') $$, tests.course_id('course-a')),
  '42501', 'new row violates row-level security policy for table "reviews"', 'a student without access cannot review');
select tests.authenticate_as('own@t');
select throws_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 5) $$, tests.course_id('course-a')),
  '42501', 'new row violates row-level security policy for table "reviews"', 'the instructor cannot review their own course');
select tests.authenticate_as_anon();
select throws_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 5) $$, tests.course_id('course-a')),
  '42501', 'permission denied for table reviews', 'anon cannot review');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 6) $$, tests.course_id('course-a')),
  '23514', 'new row for relation "reviews" violates check constraint "reviews_rating_range"', 'ratings are 1 to 5');
select lives_ok(format($$ insert into public.reviews (course_id, rating, body) values (%L, 5, 'Clear and practical.') $$,
  tests.course_id('course-a')), 'an entitled student reviews the course');
select throws_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 4) $$, tests.course_id('course-a')),
  '23505', 'duplicate key value violates unique constraint "reviews_one_per_course_key"', 'once per course');
select throws_ok(format($$ insert into public.reviews (course_id, user_id, rating) values (%L, %L, 1) $$,
  tests.course_id('course-a'), tests.user_id('drip@t')),
  '42501', 'permission denied for table reviews', 'nobody reviews in someone else''s name');
select tests.authenticate_as('drip@t');
select lives_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 3) $$, tests.course_id('course-a')),
  'another entitled student reviews');
select is((select row(rating_avg, rating_count)::text from public.courses where slug = 'course-a'), row(4.00, 2)::text,
  'the course rating is the average of the reviews');
select is(tests.affected_rows($q$ update public.reviews set rating = 1 where body = 'Clear and practical.' $q$), 0::bigint,
  'a user cannot edit someone else''s review');
select is(tests.affected_rows($q$ update public.reviews set rating = 4 where user_id = auth.uid() $q$), 1::bigint,
  'an author edits their own review');
select is((select rating_avg from public.courses where slug = 'course-a'), 4.50, 'the rating follows the edit');
select is((select author_name from public.reviews where body = 'Clear and practical.'), 'Erin Entitled', 'reviews carry the author''s name');

select throws_ok(format($$ select public.set_review_hidden(%L, true) $$, (select id from public.reviews where body = 'Clear and practical.')),
  '42501', 'only admins can moderate reviews', 'a student cannot hide reviews');
select tests.authenticate_as('admin@t');
select is(public.set_review_hidden((select id from public.reviews where body = 'Clear and practical.'), true), true, 'an admin hides a review');
select is((select row(rating_avg, rating_count)::text from public.courses where slug = 'course-a'), row(4.00, 1)::text,
  'hidden reviews do not count');
select throws_ok($$ select public.set_review_hidden('00000000-0000-4000-8000-000000000000', true) $$, 'PT404', 'review not found',
  'hiding an unknown review is not found');
select tests.authenticate_as_anon();
select is((select count(*) from public.reviews where course_id = tests.course_id('course-a')), 1::bigint, 'anon does not see hidden reviews');
select tests.authenticate_as('ent@t');
select is((select count(*) from public.reviews where course_id = tests.course_id('course-a')), 2::bigint,
  'the author still sees their hidden review');
select is(tests.affected_rows($q$ delete from public.reviews where user_id = tests.user_id('drip@t') $q$), 0::bigint,
  'a user cannot delete someone else''s review, even one they read');
select tests.authenticate_as('drip@t');
select is(tests.affected_rows($q$ delete from public.reviews where user_id = auth.uid() $q$), 1::bigint,
  'an author deletes their review');
select is((select rating_count from public.courses where slug = 'course-a'), 0, 'the rating follows the deletion');

-- ---------------------------------------------------------------- the people who work on a course never review it
select tests.clear_authentication();
select tests.create_user('host@t', 'instructor');
insert into public.entitlements (user_id, course_id, source)
select tests.user_id(e), tests.course_id('course-a'), 'grant' from unnest(array['own@t', 'other@t', 'host@t']) e;
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('other@t'), 'co_instructor');
insert into public.live_sessions (course_id, title, starts_at, created_by)
values (tests.course_id('course-a'), 'Course A live', now() + interval '1 day', tests.user_id('host@t'));
select tests.authenticate_as('own@t');
select throws_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 5) $$, tests.course_id('course-a')),
  '42501', 'new row violates row-level security policy for table "reviews"', 'the owner cannot review their course, even holding access');
select tests.authenticate_as('other@t');
select throws_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 5) $$, tests.course_id('course-a')),
  '42501', 'new row violates row-level security policy for table "reviews"', 'nor a co-instructor');
select tests.authenticate_as('host@t');
select throws_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 5) $$, tests.course_id('course-a')),
  '42501', 'new row violates row-level security policy for table "reviews"', 'nor the host of one of its live sessions');
select tests.clear_authentication();
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('ent@t'), 'co_instructor');
select tests.authenticate_as('ent@t');
select throws_ok($$ update public.reviews set rating = 5 where user_id = auth.uid() $$,
  '42501', 'new row violates row-level security policy for table "reviews"', 'an author who joins the staff cannot edit their review');
select tests.clear_authentication();
select is((select count(*) from public.reviews r where r.course_id = tests.course_id('course-a')
           and r.user_id in (tests.user_id('own@t'), tests.user_id('other@t'), tests.user_id('host@t'))), 0::bigint,
  'no staff review exists');

select * from finish();
rollback;
