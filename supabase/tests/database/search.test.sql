-- search_courses: text, typos, filters, sorting, keyset pagination, bad input.
begin;
select plan(28);
select tests.catalog_fixture();

create function pg_temp.slugs(rows text[]) returns text[] language sql as $$
  select coalesce(array_agg(x order by x), '{}') from unnest(rows) x where x like 'course-%'
$$;
grant execute on function pg_temp.slugs(text[]) to anon, authenticated;

select tests.authenticate_as_anon();
select is(pg_temp.slugs(array(select slug from public.search_courses(q => 'policies'))), array['course-a'], 'full text over the description');
select is(pg_temp.slugs(array(select slug from public.search_courses(q => 'Olivia'))), array['course-a'], 'instructor names are searchable');
select is(pg_temp.slugs(array(select slug from public.search_courses(q => 'postgrse'))), array['course-a'], 'a typo still finds the course');
select is(pg_temp.slugs(array(select slug from public.search_courses(q => 'unreleased'))), '{}'::text[], 'drafts are never found');
select is(pg_temp.slugs(array(select slug from public.search_courses(category => (select id from public.categories where slug = 't-tech'))))
  , array['course-a', 'course-b'], 'a category includes its subcategories');
select is(pg_temp.slugs(array(select slug from public.search_courses(levels => array['beginner']::public.course_level[])))
  , array['course-b'], 'filter by level');
select is(pg_temp.slugs(array(select slug from public.search_courses(free_only => true))), array['course-b'], 'free only');
select is(pg_temp.slugs(array(select slug from public.search_courses(min_price => 1000, max_price => 5000, currency => 'USD'))),
  array['course-a'], 'price range in minor units');
select is(pg_temp.slugs(array(select slug from public.search_courses(max_price => 0))), array['course-b'], 'max price 0 means free');
select is(pg_temp.slugs(array(select slug from public.search_courses(instructor => tests.user_id('other@t')))), array['course-b'],
  'filter by instructor');
select is(pg_temp.slugs(array(select slug from public.search_courses(lang => 'en'))), array['course-a', 'course-b'], 'filter by language');
select is(pg_temp.slugs(array(select slug from public.search_courses(lang => 'fr'))), '{}'::text[], 'no French courses');

-- ratings
select tests.clear_authentication();
update public.courses set rating_avg = 4.5, rating_count = 10 where slug = 'course-a';
update public.courses set rating_avg = 3.0, rating_count = 2 where slug = 'course-b';
select tests.authenticate_as('none@t');
select is(pg_temp.slugs(array(select slug from public.search_courses(min_rating => 4))), array['course-a'], 'minimum rating');
select is((select array_agg(slug) from (select slug from public.search_courses(q => null, sort => 'rating')) s where slug like 'course-%'),
  array['course-a', 'course-b'], 'sorted by rating');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'price_low')) s where slug like 'course-%'),
  array['course-b', 'course-a'], 'sorted by price, low first');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'price_high')) s where slug like 'course-%'),
  array['course-a', 'course-b'], 'sorted by price, high first');
select tests.clear_authentication();
update public.courses set published_at = now() - interval '1 day' where slug = 'course-a';
select tests.authenticate_as('none@t');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'newest')) s where slug like 'course-%'),
  array['course-b', 'course-a'], 'sorted by newest');

-- keyset pagination over the fixture's category: two pages of one, then nothing
create temporary table tech as select id from public.categories where slug = 't-tech';
create temporary table page1 as
  select * from public.search_courses(category => (select id from tech), sort => 'price_low', page_size => 1);
create temporary table page2 as
  select * from public.search_courses(category => (select id from tech), sort => 'price_low', page_size => 1,
                                      after => (select cursor from page1));
select is((select slug from page1), 'course-b', 'page 1');
select is((select slug from page2), 'course-a', 'page 2 starts after page 1''s cursor');
select is((select count(*) from public.search_courses(category => (select id from tech), sort => 'price_low', page_size => 1,
  after => (select cursor from page2))), 0::bigint, 'page 3 is empty');

select tests.clear_authentication();
select is(private.correct_query('postgrse securty'), 'postgres security', 'correct_query fixes typos against catalog words');
select is(private.correct_query('"row level" -zzqqxx'), '"row level" -zzqqxx', 'known words and operators are kept');
select ok(exists (select 1 from private.search_words where word = 'policies'), 'course words are collected by trigger');
select ok(not has_function_privilege('anon', 'private.correct_query(text)', 'execute'), 'correct_query is internal');
select tests.authenticate_as('none@t');
select throws_ok($$ select * from public.search_courses(page_size => 500) $$, '22023', null, 'page_size is bounded');
select throws_ok($$ select * from public.search_courses(after => 'garbage') $$, '22023', 'invalid cursor', 'a bad cursor is refused');
select throws_ok($$ select * from public.search_courses(min_price => 10, max_price => 5) $$, '22023', null, 'an empty price range is refused');
select throws_ok($$ select * from public.search_courses(min_rating => 9) $$, '22023', null, 'a rating above 5 is refused');

select * from finish();
rollback;
