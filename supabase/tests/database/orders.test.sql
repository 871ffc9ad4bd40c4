-- Orders: the database's price (quote_offer: coupons, currencies, what is not on sale), the uses
-- that count against a coupon's caps, who reads orders and their lines, and no client path to
-- writing an order or a coupon use.
begin;
select plan(24);
select tests.catalog_fixture();

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('authenticated', 'public.orders', 'insert') and not has_table_privilege('authenticated', 'public.orders', 'update'),
  'clients cannot write orders');
select ok(not has_table_privilege('authenticated', 'public.order_lines', 'insert'), 'nor their lines');
select ok(not has_table_privilege('authenticated', 'public.coupon_redemptions', 'insert'), 'redemptions are written by orders only');
select ok(not has_function_privilege('anon', 'public.quote_offer(uuid, text, text)', 'execute'), 'quotes need a signed-in user');

-- ---------------------------------------------------------------- no client writes an order
select tests.authenticate_as('none@t');
select throws_ok(format($$ insert into public.orders (user_id, offer_id, title, currency, subtotal, total, status) values (auth.uid(), %L, 'x', 'USD', 1, 1, 'paid') $$,
  tests.offer_id('Course A')), '42501', 'permission denied for table orders', 'a paid order cannot be inserted');
select throws_ok($$ insert into public.coupon_redemptions (coupon_id, user_id) select id, auth.uid() from public.coupons limit 1 $$,
  '42501', 'permission denied for table coupon_redemptions', 'a coupon redemption cannot be inserted');
select throws_ok($$ update public.orders set status = 'paid' $$, '42501', 'permission denied for table orders', 'nor can an order be marked paid');

-- ---------------------------------------------------------------- quotes
-- own@t's offers (course-a in two currencies, a draft's) and coupons; other@t's coupon.
select tests.authenticate_as('own@t');
insert into public.offers (kind, title, course_id) values ('course', 'Course A', tests.course_id('course-a'));
insert into public.offer_prices (offer_id, currency, amount)
  select id, c, a from public.offers, (values ('USD', 4900), ('EUR', 4500)) v(c, a) where title = 'Course A';
insert into public.offers (kind, title, course_id) values ('course', 'Draft offer', tests.course_id('course-draft'));
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 2900 from public.offers where title = 'Draft offer';
insert into public.coupons (code, kind, percent_off) values ('LAUNCH20', 'percent', 20);
insert into public.coupons (code, kind, amount_off, currency, max_per_user) values ('TENOFF', 'amount', 1000, 'USD', 1);
insert into public.coupons (code, kind, percent_off, valid_until, valid_from) values ('OLD', 'percent', 50, now() - interval '1 day', now() - interval '10 days');
insert into public.coupons (code, kind, percent_off, max_redemptions) values ('ONCE', 'percent', 100, 1);
select tests.clear_authentication();
insert into public.coupon_redemptions (coupon_id, user_id) select id, tests.user_id('ent@t') from public.coupons where code = 'ONCE';
select tests.authenticate_as('other@t');
insert into public.coupons (code, kind, percent_off) values ('OTHER50', 'percent', 50);

select tests.authenticate_as('none@t');
select is((public.quote_offer(tests.offer_id('Course A'), 'usd')).total, 4900::bigint, 'the database price, without a coupon');
select is((select row(subtotal, discount, total)::text from public.quote_offer(tests.offer_id('Course A'), 'USD', 'launch20')),
  row(4900, 980, 3920)::text, 'a percentage coupon (codes are case-insensitive)');
select is((public.quote_offer(tests.offer_id('Course A'), 'USD', 'TENOFF')).total, 3900::bigint, 'a fixed-amount coupon');
select throws_ok($$ select public.quote_offer(tests.offer_id('Course A'), 'EUR', 'TENOFF') $$, 'P0001', 'this coupon is for prices in USD',
  'a fixed amount only in its currency');
select throws_ok($$ select public.quote_offer(tests.offer_id('Course A'), 'USD', 'NOPE') $$, 'P0001', 'this coupon code is not valid', 'unknown code');
select throws_ok($$ select public.quote_offer(tests.offer_id('Course A'), 'USD', 'OLD') $$, 'P0001', 'this coupon has expired or is not valid yet',
  'expired coupon');
select throws_ok($$ select public.quote_offer(tests.offer_id('Course A'), 'USD', 'ONCE') $$, 'P0001', 'this coupon has been used up', 'cap reached');
select throws_ok($$ select public.quote_offer(tests.offer_id('Course A'), 'USD', 'OTHER50') $$, 'P0001', 'this coupon does not apply to this offer',
  'another instructor''s coupon does not apply to this course');
select throws_ok($$ select public.quote_offer(tests.offer_id('Course A'), 'GBP') $$, 'P0001', 'this offer has no price in GBP',
  'a currency the offer has no price in');
select throws_ok($$ select public.quote_offer(tests.offer_id('Course A'), repeat('x', 100000)) $$, '22023',
  'currency must be a three-letter code such as USD', 'a bad currency is refused without echoing it');
select tests.clear_authentication();
insert into public.coupon_redemptions (coupon_id, user_id, offer_id)
select c.id, tests.user_id('none@t'), tests.offer_id('Course A') from public.coupons c where code = 'TENOFF';
select tests.authenticate_as('none@t');
select throws_ok($$ select public.quote_offer(tests.offer_id('Course A'), 'USD', 'TENOFF') $$, 'P0001', 'you have already used this coupon',
  'the per-user cap');
select is((select count(*) from public.coupon_redemptions), 1::bigint, 'a user reads their own coupon uses');
select throws_ok($$ select public.quote_offer('00000000-0000-4000-8000-000000000000', 'USD') $$, 'PT404', 'offer not found', 'unknown offer');
select throws_ok($$ select public.quote_offer(tests.offer_id('Draft offer'), 'USD') $$, 'P0001',
  'this offer includes a course that is not available', 'a draft''s offer cannot be quoted');

-- ---------------------------------------------------------------- who reads orders
-- Six orders of own@t's offers, each with its line, written as the purchases migration writes them.
select tests.authenticate_as('own@t');
insert into public.live_sessions (title, starts_at, is_published, is_free, capacity) values ('Paid class', now() + interval '2 days', true, false, 10);
insert into public.offers (kind, title, session_id) select 'session', 'Paid class seat', id from public.live_sessions where title = 'Paid class';
select tests.clear_authentication();
select tests.create_user('buyer1@t');
select tests.create_user('buyer2@t');
with o as (
  insert into public.orders (user_id, offer_id, title, currency, subtotal, total)
  select tests.user_id(u), x.id, x.title, 'USD', 100, 100
  from unnest(array['none@t', 'buyer1@t', 'buyer2@t']) u, public.offers x where x.title in ('Course A', 'Paid class seat')
  returning id, offer_id)
insert into public.order_lines (order_id, course_id, session_id)
select o.id, x.course_id, x.session_id from o join public.offers x on x.id = o.offer_id;
select tests.authenticate_as('own@t');
select is((select count(*) from public.orders o where o.offer_id in (tests.offer_id('Course A'), tests.offer_id('Paid class seat'))),
  6::bigint, 'the seller reads the orders of their offers');
select tests.authenticate_as('drip@t');
select is((select count(*) from public.orders), 0::bigint, 'other students read none');
select is((select count(*) from public.order_lines), 0::bigint, 'nor their lines');

select * from finish();
rollback;
