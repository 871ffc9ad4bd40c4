-- stripe_apply_event(): service only, exactly once; the same end state whatever the order of
-- arrival; only payments that match their order are honoured; events that are not ours are
-- recorded as ignored; a lost seat asks for a refund until Stripe confirms it.
begin;
select plan(57);
select tests.catalog_fixture();
select tests.create_user(e) from unnest(array['b1@t', 'b2@t', 'b3@t', 'b4@t', 'b5@t', 'b6@t', 'b7@t']) e;
insert into public.offers (kind, title, course_id, owner_id) values ('course', 'Course A', tests.course_id('course-a'), tests.user_id('own@t'));
insert into public.offer_prices (offer_id, currency, amount) values (tests.offer_id('Course A'), 'USD', 4900);
insert into public.live_sessions (title, starts_at, is_published, is_free, capacity, created_by)
values ('Tiny class', now() + interval '2 days', true, false, 1, tests.user_id('own@t'));
insert into public.offers (kind, title, session_id, owner_id)
select 'session', 'Tiny class seat', id, tests.user_id('own@t') from public.live_sessions where title = 'Tiny class';
insert into public.offer_prices (offer_id, currency, amount) values (tests.offer_id('Tiny class seat'), 'USD', 900);
insert into public.offers (kind, title, owner_id) values ('bundle', 'Bundle A', tests.user_id('own@t'));
insert into public.offer_courses (offer_id, course_id) values (tests.offer_id('Bundle A'), tests.course_id('course-a'));
insert into public.offer_prices (offer_id, currency, amount) values (tests.offer_id('Bundle A'), 'USD', 5000);
-- Every buyer has a pending order for course-a; none@t has two: the course, and a bundle with it.
select tests.authenticate_as('b1@t');
select public.create_order(tests.offer_id('Course A'), 'USD');
select tests.authenticate_as('b2@t');
select public.create_order(tests.offer_id('Course A'), 'USD');
select tests.authenticate_as('b3@t');
select public.create_order(tests.offer_id('Course A'), 'USD');
select tests.authenticate_as('b4@t');
select public.create_order(tests.offer_id('Course A'), 'USD');
select tests.authenticate_as('none@t');
select public.create_order(tests.offer_id('Course A'), 'USD');
select public.create_order(tests.offer_id('Bundle A'), 'USD');
select tests.clear_authentication();
create temporary table none_orders as
  select 1 as n, tests.order_id('none@t', 'Course A') as id union all select 2, tests.order_id('none@t', 'Bundle A');
grant select on none_orders to service_role;

-- course-a access of a user, as the access notion sees it
create or replace function tests.has_a(email text) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.entitlements e where e.user_id = tests.user_id(has_a.email)
                 and e.course_id = tests.course_id('course-a') and private.is_active(e))
$$;
-- the ledger's result for an event
create or replace function tests.ledger(event_id text) returns text
language sql stable security definer set search_path = '' as $$
  select e.result from private.stripe_events e where e.event_id = ledger.event_id
$$;
grant execute on function tests.has_a(text), tests.ledger(text) to service_role;

select ok(not has_function_privilege('authenticated', 'public.stripe_apply_event(text, text, timestamptz, jsonb)', 'execute')
  and not has_function_privilege('anon', 'public.stripe_apply_event(text, text, timestamptz, jsonb)', 'execute'),
  'only the service applies Stripe events');
select ok(not has_function_privilege('authenticated', 'public.claim_auto_refund(uuid)', 'execute')
  and has_function_privilege('service_role', 'public.claim_auto_refund(uuid)', 'execute'), 'only the service claims automatic refunds');
select tests.authenticate_as('b1@t');
select throws_ok($$ select public.stripe_apply_event('evt_x', 'checkout.session.completed', now(),
  tests.checkout_session(tests.order_id('b1@t', 'Course A'), 'pi_x')) $$,
  '42501', 'permission denied for function stripe_apply_event', 'a buyer cannot pay their own order by faking an event');

select tests.authenticate_as_service_role();
-- ---------------------------------------------------------------- a payment, exactly once
select is(public.stripe_apply_event('evt_1', 'checkout.session.completed', now(),
  tests.checkout_session(tests.order_id('b1@t', 'Course A'), 'pi_b1')), 'applied', 'a completed checkout is applied');
select is(public.stripe_apply_event('evt_1', 'checkout.session.completed', now(), '{}'), 'duplicate', 'once');
select is(public.stripe_apply_event('evt_0', 'checkout.session.expired', now() - interval '1 hour',
  tests.checkout_session(tests.order_id('b1@t', 'Course A'), 'pi_b1')), 'stale', 'an older event is stale');
select is(public.stripe_apply_event('evt_2', 'invoice.created', now(), '{}'), 'ignored: unhandled event type', 'unknown types are ignored');
select is((select status::text from public.orders where id = tests.order_id('b1@t', 'Course A')), 'paid', 'the order is paid');
select ok(tests.has_a('b1@t'), 'and the course granted');

-- ---------------------------------------------------------------- arrival order does not change the end state
select is(public.stripe_apply_event('evt_b2r', 'charge.refunded', now(),
  tests.charge(tests.order_id('b2@t', 'Course A'), 'pi_b2', 4900)), 'applied',
  'a full refund that arrives before its payment is recorded (found through the charge''s metadata)');
select is(public.stripe_apply_event('evt_b2c', 'checkout.session.completed', now() - interval '1 minute',
  tests.checkout_session(tests.order_id('b2@t', 'Course A'), 'pi_b2')), 'applied', 'then the payment arrives');
select is((select row(status, paid_at is not null, amount_refunded)::text from public.orders where id = tests.order_id('b2@t', 'Course A')),
  row('refunded', true, 4900)::text, 'the order ends refunded');
select ok(not tests.has_a('b2@t'), 'with no access, as if the events had come in order');

select is(public.stripe_apply_event('evt_b3r', 'charge.refunded', now(),
  tests.charge(tests.order_id('b3@t', 'Course A'), 'pi_b3', 4900, false)), 'deferred: no order for this payment yet',
  'a refund with neither a known payment intent nor our metadata waits');
select is(public.stripe_apply_event('evt_b3c', 'checkout.session.completed', now() - interval '1 minute',
  tests.checkout_session(tests.order_id('b3@t', 'Course A'), 'pi_b3')), 'applied', 'until its payment names the order');
select is((select status::text from public.orders where id = tests.order_id('b3@t', 'Course A')), 'refunded', 'then it applies');
select ok(not tests.has_a('b3@t'), 'and takes the access back');
select is(tests.ledger('evt_b3r'), 'applied (deferred)', 'the ledger says so');

select is(public.stripe_apply_event('evt_b4r', 'charge.refunded', now(),
  tests.charge(tests.order_id('b4@t', 'Course A'), 'pi_b4', 1000)), 'applied', 'a partial refund before the payment');
select is(public.stripe_apply_event('evt_b4c', 'checkout.session.completed', now() - interval '1 minute',
  tests.checkout_session(tests.order_id('b4@t', 'Course A'), 'pi_b4')), 'applied', 'then the payment');
select is((select row(status, amount_refunded)::text from public.orders where id = tests.order_id('b4@t', 'Course A')),
  row('partially_refunded', 1000)::text, 'the partial refund stays recorded');
select ok(tests.has_a('b4@t'), 'and the access stays: a partial refund keeps it');
select is(public.stripe_apply_event('evt_b4r0', 'charge.refunded', now() - interval '2 minutes',
  tests.charge(tests.order_id('b4@t', 'Course A'), 'pi_b4', 500)), 'applied', 'an older, smaller refund event arrives late');
select is((select amount_refunded from public.orders where id = tests.order_id('b4@t', 'Course A')), 1000::bigint,
  'and cannot shrink what was refunded');

-- ---------------------------------------------------------------- two paid orders, one refunded
select is(public.stripe_apply_event('evt_n1', 'checkout.session.completed', now(),
  tests.checkout_session((select id from none_orders where n = 1), 'pi_n1')), 'applied', 'none@t pays a first order');
select is(public.stripe_apply_event('evt_n2', 'checkout.session.completed', now(),
  tests.checkout_session((select id from none_orders where n = 2), 'pi_n2')), 'applied', 'and a bundle that includes the same course');
select is(public.stripe_apply_event('evt_n1r', 'charge.refunded', now(),
  tests.charge((select id from none_orders where n = 1), 'pi_n1', 4900)), 'applied', 'the first is refunded in full');
select ok(tests.has_a('none@t'), 'the course stays accessible: the second order still pays for it');
select is((select array_agg(row(order_id = (select id from none_orders where n = 1), revoked_at is not null)::text order by revoked_at nulls first)
           from public.entitlements where user_id = tests.user_id('none@t')),
  array[row(false, false)::text, row(true, true)::text], 'only what the refunded order granted is revoked');

-- ---------------------------------------------------------------- a payment that does not match its order
select tests.clear_authentication();
select tests.authenticate_as('b5@t');
select public.create_order(tests.offer_id('Course A'), 'USD');
select tests.authenticate_as_service_role();
select is(public.stripe_apply_event('evt_b5', 'checkout.session.completed', now(),
  tests.checkout_session(tests.order_id('b5@t', 'Course A'), 'pi_b5', 'paid', 100)),
  'mismatch: charged 100 USD, the order is 4900 USD', 'an amount that differs from the order is answered, not honoured');
select is((select row(status, review_reason)::text from public.orders where id = tests.order_id('b5@t', 'Course A')),
  row('needs_review', 'mismatch: charged 100 USD, the order is 4900 USD')::text, 'the order waits for an admin');
select ok(not tests.has_a('b5@t'), 'nothing is granted');
select is((select count(*) from public.notifications where user_id = tests.user_id('admin@t') and kind = 'system_alert'
           and data ->> 'order_id' = tests.order_id('b5@t', 'Course A')::text), 1::bigint, 'admins are alerted');
select is(tests.ledger('evt_b5'), 'mismatch: charged 100 USD, the order is 4900 USD',
  'and the ledger records the mismatch');

-- ---------------------------------------------------------------- events that are not ours
select is(public.stripe_apply_event('evt_f1', 'checkout.session.completed', now(), '{"mode":"payment","metadata":{}}'),
  'ignored: not our checkout session', 'a checkout session of another integration');
select is(public.stripe_apply_event('evt_f2', 'checkout.session.completed', now(), '{"metadata":{"order_id":"ord_42"}}'),
  'ignored: not our checkout session', 'an order id that is not ours (not even a uuid)');
select is(public.stripe_apply_event('evt_f3', 'checkout.session.completed', now(),
  '{"metadata":{"order_id":"00000000-0000-4000-8000-000000000000"}}'), 'ignored: unknown order', 'an unknown order');
select is(public.stripe_apply_event('evt_f4', 'checkout.session.completed', now(),
  tests.checkout_session(tests.order_id('b1@t', 'Course A'), 'pi_b1') || jsonb_build_object('metadata', jsonb_build_object('order_id', tests.order_id('b4@t', 'Course A'), 'user_id', tests.user_id('b1@t')))),
  'ignored: the order belongs to another user', 'someone else''s order');
select is(public.stripe_apply_event('evt_f5', 'customer.subscription.created', now(),
  '{"id":"sub_dashboard","status":"active","current_period_end":1999999999,"metadata":{}}'),
  'ignored: not created by our checkout', 'a subscription made in the Stripe Dashboard');
select is(public.stripe_apply_event('evt_f6', 'invoice.paid', now(), '{"id":"in_1","subscription":"sub_other"}'),
  'ignored: unknown subscription', 'an invoice of a subscription that is not ours');
select is(public.stripe_apply_event('evt_f7', 'charge.refunded', now(), '{"id":"ch_1","amount":100,"amount_refunded":100}'),
  'ignored: not our payment', 'a charge with no payment intent and no order');
select is((select count(*) from unnest(array['evt_f1', 'evt_f2', 'evt_f3', 'evt_f4', 'evt_f5', 'evt_f6', 'evt_f7']) e
           where tests.ledger(e) like 'ignored: %'), 7::bigint,
  'each one is in the ledger with the reason it was ignored');

-- ---------------------------------------------------------------- a lost seat refunds itself
select tests.clear_authentication();
select tests.authenticate_as('b6@t');
select public.create_order(tests.offer_id('Tiny class seat'), 'USD');
select tests.clear_authentication();
update public.orders set hold_expires_at = now() - interval '1 minute' where id = tests.order_id('b6@t', 'Tiny class seat');
select tests.authenticate_as('b7@t');
select public.create_order(tests.offer_id('Tiny class seat'), 'USD');
select tests.authenticate_as_service_role();
select is(public.stripe_apply_event('evt_b7', 'checkout.session.completed', now(),
  tests.checkout_session(tests.order_id('b7@t', 'Tiny class seat'), 'pi_b7')), 'applied', 'b7 pays and gets the seat');
select is(public.stripe_apply_event('evt_b6', 'checkout.session.completed', now(),
  tests.checkout_session(tests.order_id('b6@t', 'Tiny class seat'), 'pi_b6')), 'refund_required',
  'b6''s payment arrives after the seat went: a refund is required');
select is((select row(payment_intent, refund_amount, currency, reason)::text from public.claim_auto_refund(tests.order_id('b6@t', 'Tiny class seat'))),
  row('pi_b6', 900, 'USD', 'seat_lost')::text, 'the service claims what to refund');
select is(public.stripe_apply_event('evt_b6', 'checkout.session.completed', now(), '{}'), 'refund_required',
  'a redelivery asks again until Stripe confirms (the refund itself is idempotent)');
select is(public.stripe_apply_event('evt_b6r', 'charge.refunded', now(),
  tests.charge(tests.order_id('b6@t', 'Tiny class seat'), 'pi_b6', 900)), 'applied', 'Stripe confirms the refund');
select is(public.stripe_apply_event('evt_b6', 'checkout.session.completed', now(), '{}'), 'duplicate', 'after which it is a plain duplicate');
select is((select count(*) from public.claim_auto_refund(tests.order_id('b6@t', 'Tiny class seat'))), 0::bigint, 'and nothing is owed');

-- ---------------------------------------------------------------- a replaced order paid in a second tab
select tests.clear_authentication();
select tests.create_user('b8@t');
select tests.authenticate_as('own@t');
insert into public.coupons (code, kind, percent_off) values ('TABS10', 'percent', 10);
select tests.authenticate_as('b8@t');
select public.create_order(tests.offer_id('Course A'), 'USD', 'TABS10');
create temporary table b8_first on commit drop as select tests.order_id('b8@t', 'Course A') as id;
grant select on b8_first to authenticated, service_role;
select isnt((public.create_order(tests.offer_id('Course A'), 'USD')).id, (select id from b8_first),
  'checking out again without the coupon replaces the pending order');
select tests.authenticate_as_service_role();
select is(public.stripe_apply_event('evt_b8new', 'checkout.session.completed', now(),
  tests.checkout_session(tests.order_id('b8@t', 'Course A', 'pending'), 'pi_b8new')), 'applied', 'the new order is paid');
select is(public.stripe_apply_event('evt_b8old', 'checkout.session.completed', now(),
  tests.checkout_session((select id from b8_first), 'pi_b8old')), 'refund_required',
  'paying the replaced order too (a second tab) refunds that second payment');
select is((select row(status, auto_refund_reason)::text from public.orders where id = (select id from b8_first)),
  row('refund_pending', 'already_owned')::text, 'and says why');
select is((select count(*) from public.entitlements where user_id = tests.user_id('b8@t')), 1::bigint, 'one entitlement, from the paid order');

-- ---------------------------------------------------------------- note_order_event: the payment intent and the event time
select tests.clear_authentication();
select ok(not has_function_privilege('anon', 'private.note_order_event(uuid, text, timestamptz)', 'execute')
  and not has_function_privilege('authenticated', 'private.note_order_event(uuid, text, timestamptz)', 'execute')
  and not has_function_privilege('service_role', 'private.note_order_event(uuid, text, timestamptz)', 'execute'),
  'note_order_event(): only stripe_apply_event calls it');
insert into public.orders (id, user_id, offer_id, title, currency, subtotal, total)
values ('00000000-0000-4000-8000-00000000e001', tests.user_id('b7@t'), tests.offer_id('Course A'), 'Course A', 'USD', 4900, 4900);
select private.note_order_event('00000000-0000-4000-8000-00000000e001', 'pi_first', '2026-01-02 00:00:00+00');
select is((select row(stripe_payment_intent_id, last_event_at)::text from public.orders where id = '00000000-0000-4000-8000-00000000e001'),
  row('pi_first', '2026-01-02 00:00:00+00'::timestamptz)::text, 'note_order_event records the payment intent and the event time');
select private.note_order_event('00000000-0000-4000-8000-00000000e001', 'pi_other', '2026-01-01 00:00:00+00');
select private.note_order_event('00000000-0000-4000-8000-00000000e001', null, '2026-01-01 12:00:00+00');
select is((select row(stripe_payment_intent_id, last_event_at)::text from public.orders where id = '00000000-0000-4000-8000-00000000e001'),
  row('pi_first', '2026-01-02 00:00:00+00'::timestamptz)::text,
  'an older event changes neither: the first payment intent stays, the time only moves forward');

select * from finish();
rollback;
