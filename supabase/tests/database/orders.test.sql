-- Orders: database prices, no double purchase, fulfilment, zero totals, and no client path to a
-- paid order or a grant.
begin;
select plan(23);
select tests.catalog_fixture();
select tests.authenticate_as('own@t');
insert into public.offers (kind, title, course_id) values ('course', 'Course A', tests.course_id('course-a'));
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 4900 from public.offers where title = 'Course A';
insert into public.coupons (code, kind, percent_off, max_redemptions) values ('FREEBIE', 'percent', 100, 5);
insert into public.live_sessions (title, starts_at, is_published, is_free, capacity) values ('Paid class', now() + interval '2 days', true, false, 10);
insert into public.offers (kind, title, session_id) select 'session', 'Paid class seat', id from public.live_sessions where title = 'Paid class';
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 1500 from public.offers where title = 'Paid class seat';
select tests.clear_authentication();
create temporary table ids as select title, id from public.offers;
grant select on ids to authenticated;
create function pg_temp.offer(t text) returns uuid language sql as $$ select id from ids where title = t $$;
grant execute on function pg_temp.offer(text) to authenticated;

select ok(not has_table_privilege('authenticated', 'public.orders', 'insert') and not has_table_privilege('authenticated', 'public.orders', 'update'),
  'clients cannot write orders');
select ok(not has_function_privilege('anon', 'public.create_order(uuid, text, text)', 'execute'), 'anon cannot order');

select tests.authenticate_as('none@t');
select throws_ok(format($$ insert into public.orders (user_id, offer_id, currency, subtotal, total, status) values (auth.uid(), %L, 'USD', 1, 1, 'paid') $$,
  pg_temp.offer('Course A')), '42501', null, 'a paid order cannot be inserted');
select throws_ok(format($$ insert into public.coupon_redemptions (coupon_id, user_id) select id, auth.uid() from public.coupons limit 1 $$),
  '42501', null, 'a coupon redemption cannot be inserted');
select throws_ok($$ insert into public.subscriptions (user_id, offer_id, stripe_subscription_id, status, last_event_at)
  values (auth.uid(), (select id from ids limit 1), 'sub_fake', 'active', now()) $$, '42501', null, 'nor a subscription');
select throws_ok($$ update public.orders set status = 'paid' $$, '42501', null, 'nor can an order be marked paid');
select is((public.create_order(pg_temp.offer('Course A'), 'USD')).total, 4900::bigint, 'the order carries the database price');
select is((select status::text from public.orders where user_id = auth.uid()), 'pending', 'and waits for payment');
select tests.clear_authentication();
select set_config('request.jwt.claims', tests.claims_for(tests.user_id('none@t'))::text, true);
select ok(not private.has_course_access(tests.course_id('course-a')), 'a pending order grants nothing');
select set_config('request.jwt.claims', '', true);

-- fulfilment
select is((private.fulfil_order((select id from public.orders where user_id = tests.user_id('none@t')))).status::text, 'paid',
  'fulfilment marks the order paid');
select is((select source::text || ':' || external_ref from public.entitlements where user_id = tests.user_id('none@t')),
  'purchase:order:' || (select id from public.orders where user_id = tests.user_id('none@t')), 'and grants the course');
select is((select count(*) from private.email_outbox where template = 'purchase_receipt' and to_user_id = tests.user_id('none@t')),
  1::bigint, 'with a receipt in the outbox');
select is((private.fulfil_order((select id from public.orders where user_id = tests.user_id('none@t')))).status::text, 'paid',
  'fulfilling twice changes nothing');
select is((select count(*) from private.email_outbox where template = 'purchase_receipt' and to_user_id = tests.user_id('none@t')),
  1::bigint, 'and sends no second receipt');
select tests.authenticate_as('none@t');
select throws_ok(format($$ select public.create_order(%L, 'USD') $$, pg_temp.offer('Course A')), 'P0001', 'you already have this',
  'an owned course cannot be bought again');

-- zero total: a 100% coupon is fulfilled without Stripe
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.create_order(%L, 'USD', 'FREEBIE') $$, pg_temp.offer('Course A')), 'P0001', null,
  'drip@t already has course-a');
select tests.authenticate_as('other@t');
select is((public.create_order(pg_temp.offer('Course A'), 'USD', 'freebie')).status::text, 'paid', 'a 100% coupon fulfils at once');
select tests.clear_authentication();
select is((select redeemed_count from public.coupons where code = 'FREEBIE'), 1, 'the coupon is redeemed');
select is((select count(*) from public.coupon_redemptions where user_id = tests.user_id('other@t')), 1::bigint, 'once');

-- a session seat
select tests.authenticate_as('ent@t');
select lives_ok(format($$ select public.create_order(%L, 'USD') $$, pg_temp.offer('Paid class seat')), 'a student orders a seat');
select tests.clear_authentication();
select private.fulfil_order((select id from public.orders where user_id = tests.user_id('ent@t')));
select ok(exists (select 1 from public.live_session_registrations r join public.live_sessions s on s.id = r.session_id
  where s.title = 'Paid class' and r.user_id = tests.user_id('ent@t') and r.source = 'purchase'), 'fulfilment registers the buyer');

-- who reads orders
select tests.authenticate_as('own@t');
select is((select count(*) from public.orders), 3::bigint, 'the seller reads the orders of their offers');
select tests.authenticate_as('drip@t');
select is((select count(*) from public.orders), 0::bigint, 'other students read none');

select * from finish();
rollback;
