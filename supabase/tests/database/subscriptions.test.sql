-- Subscriptions: who reads them, and their events granting and revoking the plan's courses.
begin;
select plan(15);
select tests.catalog_fixture();
insert into public.offers (kind, title, plan_interval, plan_scope, owner_id)
values ('plan', 'Olivia monthly', 'month', 'instructor', tests.user_id('own@t'));
-- own@t also co-teaches course-b, which other@t owns: an instructor's plan sells only their own courses.
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-b'), tests.user_id('own@t'), 'co_instructor');
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 1900 from public.offers where title = 'Olivia monthly';
create temporary table p as select id from public.offers where title = 'Olivia monthly';
grant select on p to authenticated, service_role;
select tests.authenticate_as('none@t');
select public.create_order((select id from p), 'USD');
select tests.clear_authentication();

select ok(not has_table_privilege('authenticated', 'public.subscriptions', 'insert')
  and not has_table_privilege('authenticated', 'public.subscriptions', 'update'), 'clients cannot write subscriptions');
select tests.authenticate_as('none@t');
select throws_ok($$ insert into public.subscriptions (user_id, offer_id, stripe_subscription_id, status, last_event_at)
  values (auth.uid(), tests.offer_id('Course A'), 'sub_fake', 'active', now()) $$, '42501', 'permission denied for table subscriptions',
  'nor a subscription');
select tests.clear_authentication();

select tests.authenticate_as_service_role();
select is(public.stripe_apply_event('evt_s0', 'customer.subscription.created', now(), jsonb_build_object(
  'id', 'sub_copied', 'status', 'active', 'current_period_end', extract(epoch from now() + interval '30 days')::bigint,
  'metadata', jsonb_build_object('user_id', tests.user_id('none@t'), 'offer_id', (select id from p)))),
  'ignored: not created by our checkout', 'copying our metadata without one of our orders grants nothing');
select is(public.stripe_apply_event('evt_s1', 'customer.subscription.created', now(), jsonb_build_object(
  'id', 'sub_t1', 'status', 'active', 'current_period_end', extract(epoch from now() + interval '30 days')::bigint,
  'metadata', jsonb_build_object('user_id', tests.user_id('none@t'), 'offer_id', (select id from p),
                                 'order_id', tests.order_id('none@t', 'Olivia monthly')))), 'applied',
  'a subscription started by our checkout is applied');
select tests.clear_authentication();
select is((select array_agg(c.slug order by c.slug) from public.entitlements e join public.courses c on c.id = e.course_id
  where e.user_id = tests.user_id('none@t') and e.source = 'subscription'), array['course-a'],
  'it grants the published courses the instructor owns: not drafts, not the course they co-teach for another owner');
select is((select count(*) from public.entitlements e join public.subscriptions s on s.id = e.subscription_id
           where s.stripe_subscription_id = 'sub_t1'), 1::bigint, 'linked to the subscription that grants it');
insert into public.entitlements (user_id, course_id, source) values (tests.user_id('none@t'), tests.course_id('course-a'), 'grant');

select tests.authenticate_as('none@t');
select is((select status from public.subscriptions), 'active', 'the subscriber reads their subscription');
select tests.authenticate_as('own@t');
select is((select count(*) from public.subscriptions), 1::bigint, 'the plan''s seller reads it');
select tests.authenticate_as('other@t');
select is((select count(*) from public.subscriptions), 0::bigint, 'another instructor does not');
select tests.authenticate_as('none@t');
select throws_ok($$ select public.create_order((select id from p), 'USD') $$, 'P0001', 'you already have this',
  'a live subscription cannot be bought twice');

select tests.authenticate_as_service_role();
select is(public.stripe_apply_event('evt_s2', 'customer.subscription.deleted', now() + interval '1 minute', jsonb_build_object(
  'id', 'sub_t1', 'status', 'canceled', 'metadata', jsonb_build_object('user_id', tests.user_id('none@t'), 'offer_id', (select id from p)))),
  'applied', 'the cancellation is applied');
select tests.clear_authentication();
select ok(not exists (select 1 from public.entitlements e where e.user_id = tests.user_id('none@t') and e.source = 'subscription'
  and private.is_active(e)), 'and the access the subscription gave ends');
select ok(exists (select 1 from public.entitlements e where e.user_id = tests.user_id('none@t') and e.source = 'grant'
  and private.is_active(e)), 'while access from another source stays');
select tests.authenticate_as_service_role();
select is(public.stripe_apply_event('evt_s3', 'customer.subscription.created', now(), jsonb_build_object(
  'id', 'sub_t2', 'status', 'active', 'current_period_end', extract(epoch from now() + interval '30 days')::bigint,
  'metadata', jsonb_build_object('user_id', tests.user_id('none@t'), 'offer_id', tests.course_id('course-a')))),
  'ignored: not created by our checkout', 'metadata naming something that is not one of our plans is ignored');
select is(public.stripe_apply_event('evt_s4', 'customer.subscription.updated', now(), '{"id":"sub_t3","status":"active","metadata":{"user_id":"u1"}}'),
  'ignored: not created by our checkout', 'so is a subscription with malformed metadata');

select * from finish();
rollback;
