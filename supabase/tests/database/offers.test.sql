-- Offers, prices and coupons: who may sell and price what, and server-side quotes.
begin;
select plan(33);
select tests.catalog_fixture();

-- ---------------------------------------------------------------- grants
select ok(has_table_privilege('anon', 'public.offer_prices', 'select') and not has_table_privilege('anon', 'public.offer_prices', 'insert'),
  'anon reads prices, writes none');
select ok(not has_table_privilege('anon', 'public.coupons', 'select'), 'anon cannot list coupons');
select ok(not has_table_privilege('authenticated', 'public.coupon_redemptions', 'insert'), 'redemptions are written by fulfilment only');
select ok(not has_column_privilege('authenticated', 'public.coupons', 'redeemed_count', 'update'), 'redeemed_count is not editable');
select ok(not has_function_privilege('anon', 'public.quote_offer(uuid, text, text)', 'execute'), 'quotes need a signed-in user');

-- ---------------------------------------------------------------- instructors price their own courses
select tests.authenticate_as('own@t');
select lives_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Course A', %L) $$, tests.course_id('course-a')),
  'the owner sells their course');
select lives_ok($$ insert into public.offer_prices (offer_id, currency, amount)
  select id, c, a from public.offers, (values ('USD', 4900), ('EUR', 4500)) v(c, a) where title = 'Course A' $$, 'in two currencies');
select throws_ok($$ insert into public.offer_prices (offer_id, currency, amount) select id, 'GBP', 0 from public.offers where title = 'Course A' $$,
  '23514', null, 'prices are positive minor units');
select throws_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Stolen', %L) $$, tests.course_id('course-b')),
  '42501', 'you can only sell your own courses', 'not someone else''s course');
select throws_ok($$ insert into public.offers (kind, title, plan_interval, plan_scope, owner_id) values ('plan', 'Everything', 'month', 'all_courses', null) $$,
  '42501', null, 'instructors cannot create platform plans');
select lives_ok($$ insert into public.offers (kind, title, plan_interval, plan_scope) values ('plan', 'My courses monthly', 'month', 'instructor') $$,
  'an instructor plan covers their own courses');
select throws_ok($$ insert into public.offers (kind, title) values ('course', 'No course') $$, '23514', null, 'an offer''s shape is checked');
select lives_ok($$ insert into public.offers (kind, title) values ('bundle', 'My bundle') $$, 'a bundle');
select lives_ok(format($$ insert into public.offer_courses (offer_id, course_id) select id, %L from public.offers where title = 'My bundle' $$,
  tests.course_id('course-a')), 'of their own courses');
select throws_ok(format($$ insert into public.offer_courses (offer_id, course_id) select id, %L from public.offers where title = 'My bundle' $$,
  tests.course_id('course-b')), '42501', null, 'not someone else''s');
select tests.authenticate_as('other@t');
select is(tests.affected_rows($q$ update public.offer_prices set amount = 1 where currency = 'USD' and offer_id in (select id from public.offers where title = 'Course A') $q$),
  0::bigint, 'another instructor cannot change the price');
select is(tests.affected_rows($q$ update public.offers set is_active = false where title = 'Course A' $q$), 0::bigint,
  'nor deactivate the offer');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Mine now', %L) $$, tests.course_id('course-a')),
  '42501', null, 'a student cannot create offers');
select tests.authenticate_as('admin@t');
select lives_ok($$ insert into public.offers (kind, title, plan_interval, plan_scope, owner_id) values ('plan', 'All access yearly', 'year', 'all_courses', null) $$,
  'an admin creates a platform plan');
select tests.authenticate_as_anon();
select is((select count(*) from public.offers where title in ('Course A', 'All access yearly')), 2::bigint, 'anon sees active offers');

-- ---------------------------------------------------------------- coupons and quotes
select tests.authenticate_as('own@t');
insert into public.coupons (code, kind, percent_off) values ('LAUNCH20', 'percent', 20);
insert into public.coupons (code, kind, amount_off, currency, max_per_user) values ('TENOFF', 'amount', 1000, 'USD', 1);
insert into public.coupons (code, kind, percent_off, valid_until, valid_from) values ('OLD', 'percent', 50, now() - interval '1 day', now() - interval '10 days');
insert into public.coupons (code, kind, percent_off, max_redemptions) values ('ONCE', 'percent', 100, 1);
select tests.clear_authentication();
update public.coupons set redeemed_count = 1 where code = 'ONCE';
select tests.authenticate_as('other@t');
insert into public.coupons (code, kind, percent_off) values ('OTHER50', 'percent', 50);
select is((select count(*) from public.coupons), 1::bigint, 'an instructor reads only their own coupons');

select tests.authenticate_as('none@t');
create temporary table offer as select id from public.offers where title = 'Course A';
grant select on offer to authenticated;
select is((public.quote_offer((select id from offer), 'usd')).total, 4900::bigint, 'the database price, without a coupon');
select is((select row(subtotal, discount, total)::text from public.quote_offer((select id from offer), 'USD', 'launch20')),
  row(4900, 980, 3920)::text, 'a percentage coupon (codes are case-insensitive)');
select is((public.quote_offer((select id from offer), 'USD', 'TENOFF')).total, 3900::bigint, 'a fixed-amount coupon');
select throws_ok($$ select public.quote_offer((select id from offer), 'EUR', 'TENOFF') $$, 'P0001', null,
  'a fixed amount only in its currency');
select throws_ok($$ select public.quote_offer((select id from offer), 'USD', 'NOPE') $$, 'P0001', 'this coupon code is not valid', 'unknown code');
select throws_ok($$ select public.quote_offer((select id from offer), 'USD', 'OLD') $$, 'P0001', null, 'expired coupon');
select throws_ok($$ select public.quote_offer((select id from offer), 'USD', 'ONCE') $$, 'P0001', 'this coupon has been used up', 'cap reached');
select throws_ok($$ select public.quote_offer((select id from offer), 'USD', 'OTHER50') $$, 'P0001', null,
  'another instructor''s coupon does not apply to this course');
select throws_ok($$ select public.quote_offer((select id from offer), 'GBP') $$, 'P0001', null, 'a currency the offer has no price in');
select tests.clear_authentication();
insert into public.coupon_redemptions (coupon_id, user_id, offer_id)
select c.id, tests.user_id('none@t'), (select id from offer) from public.coupons c where code = 'TENOFF';
select tests.authenticate_as('none@t');
select throws_ok($$ select public.quote_offer((select id from offer), 'USD', 'TENOFF') $$, 'P0001', 'you have already used this coupon',
  'the per-user cap');
select is((select count(*) from public.coupon_redemptions), 1::bigint, 'a user reads their own redemptions');
select throws_ok($$ select public.quote_offer('00000000-0000-4000-8000-000000000000', 'USD') $$, 'P0002', null, 'unknown offer');

select * from finish();
rollback;
