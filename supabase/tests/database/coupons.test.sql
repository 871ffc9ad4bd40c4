-- Coupons: who may create, read and change them (their owners, for what they sell, and admins),
-- their limits to some offers, and a co-instructor removed from a course, who may no longer limit
-- a coupon to the course's offers nor change one limited to them.
begin;
select plan(9);
select tests.catalog_fixture();
select tests.create_user('co@t', 'instructor', '{"display_name":"Cora Co"}');

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('anon', 'public.coupons', 'select'), 'anon cannot list coupons');
select ok(not has_column_privilege('authenticated', 'public.coupons', 'redeemed_count', 'update'), 'redeemed_count is not editable');

-- ---------------------------------------------------------------- who creates and reads coupons
select tests.authenticate_as('ent@t');
select throws_ok($$ insert into public.coupons (code, kind, percent_off) values ('STUDENT10', 'percent', 10) $$,
  '42501', 'new row violates row-level security policy for table "coupons"', 'a student cannot create coupons');
select tests.authenticate_as('own@t');
-- own@t's coupon, limited to their offer (offers: offers.test.sql).
insert into public.offers (kind, title, course_id) values ('course', 'Course A', tests.course_id('course-a'));
insert into public.coupons (code, kind, percent_off) values ('LAUNCH20', 'percent', 20);
insert into public.coupon_offers (coupon_id, offer_id) select id, tests.offer_id('Course A') from public.coupons where code = 'LAUNCH20';
select tests.authenticate_as('other@t');
insert into public.coupons (code, kind, percent_off) values ('OTHER50', 'percent', 50);
select is((select count(*) from public.coupons), 1::bigint, 'an instructor reads only their own coupons');
select is((select count(*) from public.coupon_offers), 0::bigint, 'nor the limits of anyone else''s');
select is(tests.affected_rows($q$ update public.coupons set max_per_user = 5 $q$), 1::bigint, 'and changes only their own coupons');
select is(tests.affected_rows($q$ delete from public.coupon_offers $q$), 0::bigint, 'nor removes the limits of anyone else''s');

-- ---------------------------------------------------------------- a co-instructor removed from the course
-- co@t sells course-a and limits a coupon to that offer, then leaves the course (what happens to
-- the offer itself: offers.test.sql).
select tests.authenticate_as('own@t');
select public.add_course_instructor(tests.course_id('course-a'), tests.user_id('co@t'));
select tests.authenticate_as('co@t');
insert into public.offers (kind, title, course_id) values ('course', 'Co offer', tests.course_id('course-a'));
insert into public.coupons (code, kind, percent_off) values ('COGIFT', 'percent', 100);
insert into public.coupons (code, kind, percent_off) values ('COLIMITED', 'percent', 50);
insert into public.coupon_offers (coupon_id, offer_id) select id, tests.offer_id('Co offer') from public.coupons where code = 'COLIMITED';
select tests.authenticate_as('own@t');
select public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('co@t'));
select tests.authenticate_as('co@t');
select throws_ok(format($$ insert into public.coupon_offers (coupon_id, offer_id) select id, %L from public.coupons where code = 'COGIFT' $$,
  tests.offer_id('Course A')), '42501', 'new row violates row-level security policy for table "coupon_offers"',
  'nor limit a coupon to the course''s offers');
select throws_ok($$ update public.coupons set is_active = true, max_redemptions = 1000 where code = 'COLIMITED' $$,
  '42501', 'you can only discount what you sell', 'nor change a coupon limited to what they no longer sell');

select * from finish();
rollback;
