-- request_refund(): admins only, paid Stripe orders only, amounts within what is left.
begin;
select plan(8);
select tests.catalog_fixture();
insert into public.offers (kind, title, course_id, owner_id) values ('course', 'Course B', tests.course_id('course-b'), tests.user_id('other@t'));
insert into public.orders (user_id, offer_id, title, currency, subtotal, total, status, stripe_payment_intent_id)
select tests.user_id('drip@t'), id, title, 'USD', 900, 900, 'paid', 'pi_r1' from public.offers where title = 'Course B';
insert into public.orders (user_id, offer_id, title, currency, subtotal, total)
select tests.user_id('ent@t'), id, title, 'USD', 900, 900 from public.offers where title = 'Course B';
create temporary table o as select user_id, id from public.orders;
grant select on o to authenticated;

select ok(not has_function_privilege('anon', 'public.request_refund(uuid, bigint)', 'execute'), 'anon cannot refund');
select tests.authenticate_as('other@t');
select throws_ok($$ select public.request_refund((select id from o where user_id = tests.user_id('drip@t'))) $$,
  '42501', 'only admins can refund orders', 'the seller cannot refund');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.request_refund((select id from o where user_id = auth.uid())) $$,
  '42501', 'only admins can refund orders', 'nor the buyer');
select tests.authenticate_as('admin@t');
select throws_ok($$ select public.request_refund((select id from o where user_id = tests.user_id('drip@t')), 5000) $$,
  '22023', 'the refund must be between 1 and 900 (minor units)', 'not more than was paid');
select throws_ok($$ select public.request_refund((select id from o where user_id = tests.user_id('ent@t'))) $$,
  'P0001', 'only paid Stripe orders can be refunded', 'an unpaid order cannot be refunded');
select throws_ok($$ select public.request_refund('00000000-0000-4000-8000-000000000000') $$, 'PT404', 'order not found',
  'an unknown order: not found');
select is((select row(payment_intent, refund_amount)::text from public.request_refund((select id from o where user_id = tests.user_id('drip@t')), 400)),
  row('pi_r1', 400::bigint)::text, 'an admin refunds part of a paid order');
select is((select count(*) from public.audit_log where action = 'order.refund_requested'), 1::bigint, 'audited');

select * from finish();
rollback;
