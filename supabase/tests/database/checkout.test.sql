-- The service-side pieces of checkout: Stripe customers and attaching the session to its order.
begin;
select plan(8);
select tests.catalog_fixture();

select ok(not has_function_privilege('authenticated', 'public.save_stripe_customer(uuid, text)', 'execute')
  and not has_function_privilege('authenticated', 'public.stripe_customer_id(uuid)', 'execute')
  and not has_function_privilege('authenticated', 'public.attach_checkout_session(uuid, text)', 'execute'),
  'customers and sessions are written by the service only');
select ok(not has_table_privilege('service_role', 'private.stripe_customers', 'select'), 'the customer map is not reachable through the API');

select tests.authenticate_as_service_role();
select is(public.stripe_customer_id(tests.user_id('ent@t')), null, 'no customer yet');
select is(public.save_stripe_customer(tests.user_id('ent@t'), 'cus_1'), 'cus_1', 'the first customer is stored');
select is(public.save_stripe_customer(tests.user_id('ent@t'), 'cus_2'), 'cus_1', 'a racing second one loses: one customer per user');
select is(public.stripe_customer_id(tests.user_id('ent@t')), 'cus_1', 'and is read back');

select tests.clear_authentication();
insert into public.offers (kind, title, course_id, owner_id) values ('course', 'Course B', tests.course_id('course-b'), tests.user_id('other@t'));
insert into public.orders (user_id, offer_id, title, currency, subtotal, total)
select tests.user_id('none@t'), id, title, 'USD', 100, 100 from public.offers where title = 'Course B';
select tests.authenticate_as_service_role();
select lives_ok($$ select public.attach_checkout_session((select id from public.orders where user_id = tests.user_id('none@t')), 'cs_test_1') $$,
  'a pending order gets its session');
select tests.clear_authentication();
update public.orders set status = 'paid' where user_id = tests.user_id('none@t');
select tests.authenticate_as_service_role();
select throws_ok($$ select public.attach_checkout_session((select id from public.orders where user_id = tests.user_id('none@t')), 'cs_test_2') $$,
  'P0001', format('order %s is not pending', tests.order_id('none@t', 'Course B')), 'a paid order cannot get another session');

select * from finish();
rollback;
