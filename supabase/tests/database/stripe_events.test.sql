-- stripe_apply_event(): service only, exactly once, stale and unknown events are no-ops.
begin;
select plan(8);
select tests.catalog_fixture();
insert into public.offers (kind, title, course_id, owner_id) values ('course', 'Course B', tests.course_id('course-b'), tests.user_id('other@t'));
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 900 from public.offers where title = 'Course B';
insert into public.orders (user_id, offer_id, currency, subtotal, total)
select tests.user_id('drip@t'), id, 'USD', 900, 900 from public.offers where title = 'Course B';
create temporary table o as select id from public.orders where user_id = tests.user_id('drip@t');
grant select on o to service_role, authenticated;

select ok(not has_function_privilege('authenticated', 'public.stripe_apply_event(text, text, timestamptz, jsonb)', 'execute')
  and not has_function_privilege('anon', 'public.stripe_apply_event(text, text, timestamptz, jsonb)', 'execute'),
  'only the service applies Stripe events');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.stripe_apply_event('evt_x', 'checkout.session.completed', now(),
  jsonb_build_object('payment_status', 'paid', 'metadata', jsonb_build_object('order_id', (select id from o)))) $$,
  '42501', null, 'a buyer cannot pay their own order by faking an event');

select tests.authenticate_as_service_role();
select is(public.stripe_apply_event('evt_1', 'checkout.session.completed', now(),
  jsonb_build_object('payment_status', 'paid', 'payment_intent', 'pi_1', 'metadata', jsonb_build_object('order_id', (select id from o)))),
  'applied', 'a completed checkout is applied');
select is(public.stripe_apply_event('evt_1', 'checkout.session.completed', now(), '{}'), 'duplicate', 'once');
select is(public.stripe_apply_event('evt_0', 'checkout.session.expired', now() - interval '1 hour',
  jsonb_build_object('metadata', jsonb_build_object('order_id', (select id from o)))), 'stale', 'an older event is stale');
select is(public.stripe_apply_event('evt_2', 'invoice.created', now(), '{}'), 'ignored', 'unknown types are ignored');
select tests.clear_authentication();
select is((select status::text from public.orders where id = (select id from o)), 'paid', 'the order is paid');
select ok(exists (select 1 from public.entitlements where user_id = tests.user_id('drip@t') and course_id = tests.course_id('course-b')
  and source = 'purchase'), 'and the course granted');

select * from finish();
rollback;
