-- Purchases: create_order at the database price, what is on sale, no double purchase, the order's
-- snapshot, held coupon uses and seats, fulfilment (including a lost seat), zero totals. The races
-- themselves run on separate connections in supabase/functions/tests/order_races_test.ts.
begin;
select plan(62);
select tests.catalog_fixture();
select tests.create_user(e) from unnest(array['buyer1@t', 'buyer2@t', 'buyer3@t']) e;
select tests.authenticate_as('own@t');
insert into public.offers (kind, title, course_id) values ('course', 'Course A', tests.course_id('course-a'));
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 4900 from public.offers where title = 'Course A';
insert into public.coupons (code, kind, percent_off, max_redemptions) values ('FREEBIE', 'percent', 100, 5);
insert into public.coupons (code, kind, percent_off, max_redemptions) values ('LASTONE', 'percent', 30, 1);
insert into public.coupons (code, kind, percent_off, max_per_user) values ('ONEEACH', 'percent', 10, 1);
insert into public.live_sessions (title, starts_at, is_published, is_free, capacity) values ('Paid class', now() + interval '2 days', true, false, 10);
insert into public.offers (kind, title, session_id) select 'session', 'Paid class seat', id from public.live_sessions where title = 'Paid class';
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 1500 from public.offers where title = 'Paid class seat';
insert into public.live_sessions (title, starts_at, is_published, is_free, capacity) values ('Tiny class', now() + interval '2 days', true, false, 1);
insert into public.offers (kind, title, session_id) select 'session', 'Tiny class seat', id from public.live_sessions where title = 'Tiny class';
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 900 from public.offers where title = 'Tiny class seat';
insert into public.offers (kind, title) values ('bundle', 'Own bundle');
insert into public.offer_courses (offer_id, course_id) values (tests.offer_id('Own bundle'), tests.course_id('course-a'));
insert into public.offer_prices (offer_id, currency, amount) values (tests.offer_id('Own bundle'), 'USD', 5000);
select tests.clear_authentication();
-- course-a2: another published course of own@t, added to the bundle after it was ordered.
insert into public.courses (slug, title, owner_id) values ('course-a2', 'Postgres Part Two', tests.user_id('own@t'));
insert into public.sections (course_id, title, position) values (tests.course_id('course-a2'), 'Only', 0);
insert into public.lessons (section_id, title, position) select id, 'a2-1', 0 from public.sections where course_id = tests.course_id('course-a2');
update public.courses set status = 'published' where slug = 'course-a2';
insert into public.offers (kind, title, course_id, owner_id) values ('course', 'Course A2', tests.course_id('course-a2'), tests.user_id('own@t'));
insert into public.offer_prices (offer_id, currency, amount) values (tests.offer_id('Course A2'), 'USD', 3000);

select ok(not has_function_privilege('anon', 'public.create_order(uuid, text, text)', 'execute'), 'anon cannot order');

select tests.authenticate_as('none@t');
select throws_ok($$ select public.create_order('00000000-0000-4000-8000-000000000000', 'USD') $$, 'PT404', 'offer not found',
  'an unknown offer: not found');
select is((public.create_order(tests.offer_id('Course A'), 'USD')).total, 4900::bigint, 'the order carries the database price');
select is((select row(status, title, hold_expires_at > now() + interval '30 minutes')::text from public.orders where user_id = auth.uid()),
  row('pending', 'Course A', true)::text, 'and waits for payment, holding for more than Stripe''s 30-minute minimum');
select is((select array_agg(course_id) from public.order_lines where order_id = tests.order_id('none@t', 'Course A')),
  array[tests.course_id('course-a')], 'the buyer reads the order''s snapshot: what it sells');
select tests.clear_authentication();
select tests.set_claims_of('none@t');
select ok(not private.has_course_access(tests.course_id('course-a')), 'a pending order grants nothing');
select tests.set_claims_of(null);

-- fulfilment
select is((private.fulfil_order(tests.order_id('none@t', 'Course A'))).status::text, 'paid', 'fulfilment marks the order paid');
select is((select source::text || ':' || (order_id = tests.order_id('none@t', 'Course A'))::text from public.entitlements
           where user_id = tests.user_id('none@t')), 'purchase:true', 'and grants the course, linked to the order');
select is((select count(*) from private.email_outbox where template = 'purchase_receipt' and to_user_id = tests.user_id('none@t')),
  1::bigint, 'with a receipt in the outbox');
select is((private.fulfil_order(tests.order_id('none@t', 'Course A'))).status::text, 'paid', 'fulfilling twice changes nothing');
select is((select count(*) from private.email_outbox where template = 'purchase_receipt' and to_user_id = tests.user_id('none@t')),
  1::bigint, 'and sends no second receipt');
select tests.authenticate_as('none@t');
select throws_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Course A')), 'P0001', 'you already have this',
  'an owned course cannot be bought again');

-- what is not on sale cannot be ordered: draft, archived, deleted
select tests.authenticate_as('own@t');
insert into public.offers (kind, title, course_id) values ('course', 'Draft offer', tests.course_id('course-draft'));
insert into public.offer_prices (offer_id, currency, amount) values (tests.offer_id('Draft offer'), 'USD', 100);
select tests.authenticate_as('buyer1@t');
select throws_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Draft offer')), 'P0001',
  'this offer includes a course that is not available', 'a draft course cannot be bought');
select tests.clear_authentication();
update public.courses set status = 'archived' where slug = 'course-a2';
select tests.authenticate_as('buyer1@t');
select throws_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Course A2')), 'P0001',
  'this offer includes a course that is not available', 'nor an archived one');
select tests.clear_authentication();
update public.courses set status = 'published', deleted_at = now() where slug = 'course-a2';
select tests.authenticate_as('buyer1@t');
select throws_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Course A2')), 'P0001',
  'this offer includes a course that is not available', 'nor a deleted one');
select tests.clear_authentication();
update public.courses set deleted_at = null where slug = 'course-a2';

-- the snapshot: the bundle gains a course between order and payment; the buyer gets what they paid for
select tests.authenticate_as('buyer1@t');
select lives_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Own bundle')), 'buyer1 orders the bundle (course-a)');
select tests.authenticate_as('own@t');
insert into public.offer_courses (offer_id, course_id) values (tests.offer_id('Own bundle'), tests.course_id('course-a2'));
-- ... and the course in it is unpublished before the payment arrives: still honoured, the buyer paid
select tests.clear_authentication();
update public.courses set status = 'archived' where slug = 'course-a';
select is((private.fulfil_order(tests.order_id('buyer1@t', 'Own bundle'))).status::text, 'paid', 'the payment arrives');
select is((select array_agg(course_id) from public.entitlements where user_id = tests.user_id('buyer1@t')),
  array[tests.course_id('course-a')], 'fulfilment grants the order''s snapshot, not the bundle as it is now');
update public.courses set status = 'published' where slug = 'course-a';

-- coupon caps: a pending order holds its use
select tests.authenticate_as('buyer2@t');
select is((public.create_order(tests.offer_id('Course A'), 'USD', 'LASTONE')).discount, 1470::bigint, 'buyer2 takes the last use of LASTONE');
select tests.authenticate_as('buyer3@t');
select throws_ok(format($$ select public.create_order(%L, 'USD', 'lastone') $$, tests.offer_id('Course A')), 'P0001',
  'this coupon has been used up', 'while buyer2''s order is pending, nobody else gets it');
select throws_ok(format($$ select public.quote_offer(%L, 'USD', 'LASTONE') $$, tests.offer_id('Course A')), 'P0001',
  'this coupon has been used up', 'and quotes say so');
select tests.clear_authentication();
update public.orders set hold_expires_at = now() - interval '1 minute' where id = tests.order_id('buyer2@t', 'Course A');
select tests.authenticate_as('buyer3@t');
select is((public.create_order(tests.offer_id('Course A'), 'USD', 'LASTONE')).discount, 1470::bigint,
  'once the hold lapses, the use is free again');
select tests.clear_authentication();
update public.orders set status = 'expired' where id = tests.order_id('buyer3@t', 'Course A');
select is(private.coupon_uses((select id from public.coupons where code = 'LASTONE')), 0, 'an expired order holds nothing');
select tests.authenticate_as('buyer3@t');
select lives_ok(format($$ select public.create_order(%L, 'USD', 'ONEEACH') $$, tests.offer_id('Course A')), 'one use per user: the first');
select is((public.create_order(tests.offer_id('Course A'), 'USD', 'oneeach')).id, tests.order_id('buyer3@t', 'Course A', 'pending'),
  'opening checkout again returns the same pending order: no second hold, no second charge');
select tests.clear_authentication();
select private.fulfil_order(tests.order_id('buyer3@t', 'Course A', 'pending'));
select is((select row(redeemed_count, (select count(*) from public.coupon_redemptions r where r.coupon_id = c.id and r.redeemed_at is not null))::text
           from public.coupons c where code = 'ONEEACH'), row(1, 1)::text, 'payment redeems the held use');
select tests.authenticate_as('buyer3@t');
select throws_ok(format($$ select public.create_order(%L, 'USD', 'ONEEACH') $$, tests.offer_id('Course A2')), 'P0001',
  'you have already used this coupon', 'the per-user cap holds across offers');

-- seats: a pending order holds its seat
select tests.authenticate_as('buyer1@t');
select lives_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Tiny class seat')), 'buyer1 holds the only seat');
select tests.authenticate_as('buyer2@t');
select throws_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Tiny class seat')), 'P0001',
  'this session is full', 'nobody else can order it meanwhile');
select tests.authenticate_as_service_role();
select throws_ok(format($$ select public.grant_session_registration(%L, (select session_id from public.offers where title = 'Tiny class seat'), 'grant') $$,
  tests.user_id('buyer3@t')), 'P0001', 'this session is full', 'nor can a manual seat be given over the hold');
select tests.clear_authentication();
update public.orders set hold_expires_at = now() - interval '1 minute' where id = tests.order_id('buyer1@t', 'Tiny class seat');
select tests.authenticate_as('buyer2@t');
select lives_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Tiny class seat')), 'the lapsed hold frees the seat for buyer2');
select tests.clear_authentication();
select is((private.fulfil_order(tests.order_id('buyer1@t', 'Tiny class seat'))).status::text, 'refund_pending',
  'buyer1''s late payment finds the seat taken: the order refunds itself');
select is((select auto_refund_reason from public.orders where id = tests.order_id('buyer1@t', 'Tiny class seat')), 'seat_lost',
  'and says why');
select ok(not exists (select 1 from public.live_session_registrations r join public.offers o on o.session_id = r.session_id
  where o.title = 'Tiny class seat' and r.user_id = tests.user_id('buyer1@t')), 'buyer1 is not registered');
select is((select count(*) from private.email_outbox where template = 'order_auto_refund' and to_user_id = tests.user_id('buyer1@t')),
  1::bigint, 'and is told by email');
select is((select count(*) from public.notifications where kind = 'order_auto_refund' and user_id = tests.user_id('buyer1@t')),
  1::bigint, 'and in the app');
select is((private.fulfil_order(tests.order_id('buyer2@t', 'Tiny class seat'))).status::text, 'paid', 'buyer2''s payment gets the seat');
select ok(exists (select 1 from public.live_session_registrations r join public.offers o on o.session_id = r.session_id
  where o.title = 'Tiny class seat' and r.user_id = tests.user_id('buyer2@t') and r.source = 'purchase' and r.cancelled_at is null),
  'buyer2 is registered');
select is((select count(*) from private.seat_holds), 0::bigint, 'no hold outlives its order');

-- a session cancelled between order and payment
select tests.authenticate_as('ent@t');
select lives_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Paid class seat')), 'a student orders a seat');
select tests.authenticate_as('own@t');
update public.live_sessions set status = 'cancelled' where title = 'Paid class';
select tests.clear_authentication();
select is((select row(status, auto_refund_reason)::text from private.fulfil_order(tests.order_id('ent@t', 'Paid class seat'))),
  row('refund_pending', 'session_closed')::text, 'a payment for a cancelled session refunds itself');

-- zero total: a 100% coupon is fulfilled without Stripe
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.create_order(%L, 'USD', 'FREEBIE') $$, tests.offer_id('Course A')), 'P0001', 'you already have this',
  'drip@t already has course-a');
select tests.authenticate_as('other@t');
select is((public.create_order(tests.offer_id('Course A'), 'USD', 'freebie')).status::text, 'paid', 'a 100% coupon fulfils at once');
select tests.clear_authentication();
select is((select redeemed_count from public.coupons where code = 'FREEBIE'), 1, 'the coupon is redeemed');
select is((select count(*) from public.coupon_redemptions where user_id = tests.user_id('other@t')), 1::bigint, 'once');

-- the seller must still be allowed to sell when the order is made
select tests.authenticate_as('own@t');
select is(public.add_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), true, 'other@t co-teaches course-a');
select tests.authenticate_as('other@t');
insert into public.offers (kind, title, course_id) values ('course', 'Other sells A', tests.course_id('course-a'));
insert into public.offer_prices (offer_id, currency, amount) values (tests.offer_id('Other sells A'), 'USD', 100);
select tests.authenticate_as('own@t');
select is(public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), true, 'and is removed');
select tests.clear_authentication();
update public.offers set is_active = true where title = 'Other sells A'; -- even if someone puts it back on sale
select tests.authenticate_as('buyer2@t');
select throws_ok(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Other sells A')), 'P0001',
  'this offer is no longer on sale', 'an offer whose seller left the course does not sell');

-- the machine codes frontends branch on (error.details; docs/API.md, "Error codes")
select tests.authenticate_as('buyer2@t');
select is(tests.error_detail(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Other sells A'))),
  'offer_not_available', 'create_order: an offer its seller may no longer sell is offer_not_available');
select is(tests.error_detail($$ select public.create_order('00000000-0000-4000-8000-000000000000', 'USD') $$),
  'offer_not_found', 'an unknown offer is offer_not_found');
select is(tests.error_detail(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Draft offer'))),
  'course_not_available', 'an offer of a draft course is course_not_available');
select is(tests.error_detail(format($$ select public.quote_offer(%L, 'EUR') $$, tests.offer_id('Course A'))),
  'currency_not_offered', 'quote_offer: a currency without a price is currency_not_offered');
select is(tests.error_detail(format($$ select public.quote_offer(%L, 'USD', 'NO-SUCH-CODE') $$, tests.offer_id('Course A'))),
  'coupon_invalid', 'an unknown coupon is coupon_invalid');
select tests.authenticate_as('buyer3@t');
select is(tests.error_detail(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Tiny class seat'))),
  'session_full', 'a full session is session_full');
select is(tests.error_detail(format($$ select public.quote_offer(%L, 'USD', 'ONEEACH') $$, tests.offer_id('Course A2'))),
  'coupon_used_by_you', 'a coupon this buyer has used up is coupon_used_by_you');
select is(tests.error_detail(format($$ select public.create_order(%L, 'USD') $$, tests.offer_id('Course A'))),
  'already_owned', 'something the buyer has is already_owned');
select is(tests.error_detail(format($$ select public.quote_offer(%L, 'USD') $$, tests.offer_id('Course A'))), null,
  'and a quote that works has no error at all');

-- ---------------------------------------------------------------- lock_order: the order, locked, or not found
select tests.clear_authentication();
select ok(not has_function_privilege('anon', 'private.lock_order(uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.lock_order(uuid)', 'execute'),
  'lock_order(): not callable by clients (fulfilment and refunds call it)');
select throws_ok($$ select private.lock_order('00000000-0000-4000-8000-000000000000') $$, 'PT404', 'order not found',
  'lock_order: an unknown order is not found');
insert into public.orders (id, user_id, offer_id, title, currency, subtotal, total)
values ('00000000-0000-4000-8000-00000000f001', tests.user_id('buyer3@t'), tests.offer_id('Course A'), 'Course A', 'USD', 4900, 4900);
select is((select xmax::text from public.orders where id = '00000000-0000-4000-8000-00000000f001'), '0', 'a new order: no lock on it');
select is((private.lock_order('00000000-0000-4000-8000-00000000f001')).title, 'Course A', 'lock_order returns the order');
-- A row this transaction locks carries its id in xmax (a plain read leaves xmax alone).
select is((select xmax::text from public.orders where id = '00000000-0000-4000-8000-00000000f001'),
  pg_current_xact_id()::xid::text, 'and holds its row lock until the transaction ends');

select * from finish();
rollback;
