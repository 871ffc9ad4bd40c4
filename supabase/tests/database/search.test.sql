-- search_courses: text, typos, filters, sorting, keyset pagination, bad input.
begin;
select plan(47);
select tests.catalog_fixture();
-- a course priced in euros, next to course-a (USD) and course-b (free)
insert into public.courses (slug, title, owner_id, list_price_amount, list_price_currency)
values ('euro-course', 'Tarification en euros', tests.user_id('other@t'), 1000, 'EUR');
insert into public.sections (course_id, title, position) values (tests.course_id('euro-course'), 'Une', 0);
insert into public.lessons (section_id, title, position)
select id, 'e1', 0 from public.sections where course_id = tests.course_id('euro-course');
update public.courses set status = 'published' where slug = 'euro-course';

create function pg_temp.slugs(rows text[]) returns text[] language sql as $$
  select coalesce(array_agg(x order by x), '{}') from unnest(rows) x where x like 'course-%'
$$;
-- the same, with the euro course
create function pg_temp.all_slugs(rows text[]) returns text[] language sql as $$
  select coalesce(array_agg(x order by x), '{}') from unnest(rows) x where x like 'course-%' or x = 'euro-course'
$$;
grant execute on function pg_temp.slugs(text[]), pg_temp.all_slugs(text[]) to anon, authenticated;

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
select is(pg_temp.slugs(array(select slug from public.search_courses(min_price => 1000, max_price => 5000, currency => 'usd'))),
  array['course-a'], 'the currency is case-insensitive');
select is(pg_temp.all_slugs(array(select slug from public.search_courses(currency => ' Eur '))), array['course-b', 'euro-course'],
  'a currency filter keeps the courses priced in it, and free ones');
select is(pg_temp.slugs(array(select slug from public.search_courses(max_price => 0, currency => 'EUR'))), array['course-b'],
  'max price 0 means free');
select is(pg_temp.slugs(array(select slug from public.search_courses(instructor => tests.user_id('other@t')))), array['course-b'],
  'filter by instructor');
select is(pg_temp.slugs(array(select slug from public.search_courses(lang => 'en'))), array['course-a', 'course-b'],
  'filter by language');
select is(pg_temp.slugs(array(select slug from public.search_courses(lang => 'fr'))), '{}'::text[], 'no French courses');

-- ratings
select tests.clear_authentication();
update public.courses set rating_avg = 4.5, rating_count = 10 where slug = 'course-a';
update public.courses set rating_avg = 3.0, rating_count = 2 where slug = 'course-b';
select tests.authenticate_as('none@t');
select is(pg_temp.slugs(array(select slug from public.search_courses(min_rating => 4))), array['course-a'], 'minimum rating');
select is((select array_agg(slug) from (select slug from public.search_courses(q => null, sort => 'rating')) s where slug like 'course-%'),
  array['course-a', 'course-b'], 'sorted by rating');
-- Each sort is also checked with the data the other way round: ties fall back to the id order, so
-- a sort that ignored its key would still pass one of the two. The calls are written out on purpose:
-- their arguments are what each assertion tests.
select tests.clear_authentication();
update public.courses set rating_avg = 5.0, rating_count = 3 where slug = 'course-b';
select tests.authenticate_as('none@t');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'rating')) s where slug like 'course-%'),
  array['course-b', 'course-a'], 'sorted by rating, whichever course leads');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'price_low', currency => 'USD')) s
            where slug like 'course-%'),
  array['course-b', 'course-a'], 'sorted by price in one currency, low first (free counts as 0)');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'price_high', currency => 'usd')) s
            where slug like 'course-%'),
  array['course-a', 'course-b'], 'sorted by price, high first');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'price_high', currency => 'EUR')) s
            where slug like 'course-%' or slug = 'euro-course'),
  array['euro-course', 'course-b'], 'in euros: the euro course, never compared with a dollar price');
select tests.clear_authentication();
update public.courses set is_free = false, list_price_amount = 9900, list_price_currency = 'USD' where slug = 'course-b';
select tests.authenticate_as('none@t');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'price_low', currency => 'USD')) s
            where slug like 'course-%'),
  array['course-a', 'course-b'], 'sorted by price, low first, whichever course is cheaper');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'price_high', currency => 'USD')) s
            where slug like 'course-%'),
  array['course-b', 'course-a'], 'and high first');
select tests.clear_authentication();
update public.courses set is_free = true, list_price_amount = null, list_price_currency = null where slug = 'course-b';
select tests.authenticate_as('none@t');
select throws_ok($$ select * from public.search_courses(sort => 'price_low') $$, '22023',
  'prices are compared in one currency: pass a currency to sort or filter by price', 'a price sort needs a currency');
select throws_ok($$ select * from public.search_courses(min_price => 100) $$, '22023',
  'prices are compared in one currency: pass a currency to sort or filter by price', 'so does a price range');
select tests.clear_authentication();
update public.courses set published_at = now() - interval '1 day' where slug = 'course-a';
select tests.authenticate_as('none@t');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'newest')) s where slug like 'course-%'),
  array['course-b', 'course-a'], 'sorted by newest');
select tests.clear_authentication();
update public.courses set published_at = now() - interval '2 days' where slug = 'course-b';
select tests.authenticate_as('none@t');
select is((select array_agg(slug) from (select slug from public.search_courses(sort => 'newest')) s where slug like 'course-%'),
  array['course-a', 'course-b'], 'sorted by newest, whichever course is newer');

-- keyset pagination over the fixture's category: two pages of one, then nothing
create temporary table tech as select id from public.categories where slug = 't-tech';
create temporary table page1 as
  select * from public.search_courses(category => (select id from tech), sort => 'price_low', currency => 'USD', page_size => 1);
create temporary table page2 as
  select * from public.search_courses(category => (select id from tech), sort => 'price_low', currency => 'USD', page_size => 1,
                                      after => (select cursor from page1));
select is((select slug from page1), 'course-b', 'page 1');
select is((select slug from page2), 'course-a', 'page 2 starts after page 1''s cursor');
select is((select count(*) from public.search_courses(category => (select id from tech), sort => 'price_low', currency => 'USD',
  page_size => 1, after => (select cursor from page2))), 0::bigint, 'page 3 is empty');

select tests.clear_authentication();
select is(private.correct_query('postgrse securty'), 'postgres security', 'correct_query fixes typos against catalog words');
select is(private.correct_query('"row level" -zzqqxx'), '"row level" -zzqqxx', 'known words and operators are kept');
select ok(exists (select 1 from private.search_words where word = 'policies'), 'course words are collected by trigger');
select ok(not has_function_privilege('anon', 'private.correct_query(text)', 'execute'), 'correct_query is internal');
select tests.authenticate_as('none@t');
select throws_ok($$ select * from public.search_courses(page_size => 500) $$, '22023', 'page_size must be between 1 and 100',
  'page_size is bounded');
select throws_ok($$ select * from public.search_courses(after => 'garbage') $$, '22023', 'invalid cursor', 'a bad cursor is refused');
select throws_ok($$ select * from public.search_courses(min_price => 10, max_price => 5, currency => 'USD') $$, '22023',
  'min_price must not exceed max_price', 'an empty price range is refused');
select throws_ok($$ select * from public.search_courses(min_rating => 9) $$, '22023', 'min_rating must be between 1 and 5',
  'a rating above 5 is refused');
select throws_ok($$ select * from public.search_courses(currency => 'dollars') $$, '22023',
  'currency must be a three-letter code such as USD', 'a currency that is not a code is refused');
select throws_ok($$ select * from public.search_courses(lang => 'English') $$, '22023',
  'lang must be a language code such as en or en-GB', 'a language that is not a code is refused');

-- ---------------------------------------------------------------- over-long input: refused at once, without echoing it
-- Supabase runs anon requests with a 3 s statement timeout; a query that did any real work on this
-- input would fail with 57014 (or crash with 54001, whose hint names a server setting) instead.
select tests.authenticate_as_anon();
set local statement_timeout = '3s';
select throws_ok($$ select * from public.search_courses(q => repeat('rls ', 25000)) $$, '22023',
  'the search is too long: use at most 200 characters and 20 words', 'a 100 KB query is refused at once, with 22023');
select throws_ok($$ select * from public.search_courses(q => repeat('postgrse ', 120000)) $$, '22023',
  'the search is too long: use at most 200 characters and 20 words', 'so is a 1 MB one');
select throws_ok($$ select * from public.search_courses(q => repeat('x', 201)) $$, '22023',
  'the search is too long: use at most 200 characters and 20 words', 'more than 200 characters');
select throws_ok($$ select * from public.search_courses(q => repeat('ab ', 21)) $$, '22023',
  'the search is too long: use at most 200 characters and 20 words', 'more than 20 words');
select lives_ok($$ select * from public.search_courses(q => btrim(repeat('postgrse ', 20))) $$, '20 words are fine, typos and all');
select throws_ok($$ select * from public.search_courses(currency => repeat('x', 1000000)) $$, '22023',
  'currency must be a three-letter code such as USD', 'a 1 MB currency is refused without echoing it');
select throws_ok($$ select * from public.search_courses(lang => repeat('x', 1000000)) $$, '22023',
  'lang must be a language code such as en or en-GB', 'a 1 MB language is refused without echoing it');
select throws_ok($$ select * from public.search_courses(after => repeat('9', 1000000)) $$, '22023', 'invalid cursor',
  'a 1 MB cursor is an invalid cursor');
reset statement_timeout;

select * from finish();
rollback;
