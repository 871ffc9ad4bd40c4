-- Registrations: registering (free sessions, a course's sessions, paid seats, capacity), the
-- automatic registration of a course's students, notices and reminders, and who may join: decided
-- at the moment of the call (for a session of a course, active access to the course now: a
-- registration alone is not enough); purchased seats end with their refund or dispute; and the
-- reminder sweep cancels registrations whose access ended, so lapsed students are neither reminded
-- nor kept registered.
begin;
select plan(80);
select tests.catalog_fixture();
-- own@t's sessions, created through RLS as the app would: 'Free webinar' (2 seats), 'Course live
-- Q&A' (course-a), 'Paid masterclass', 'Draft session'; sid (title, id) and pg_temp.sid(title) name them.
select tests.live_sessions_fixture();

select ok(not has_function_privilege('authenticated', 'public.grant_session_registration(uuid, uuid, text)', 'execute'),
  'paid seats are granted by the service only');
select ok(not has_table_privilege('authenticated', 'private.seat_holds', 'select'), 'seat holds are not reachable by clients');

-- ---------------------------------------------------------------- automatic registration of the course's students
select tests.clear_authentication();
select is((select array_agg(u.email::text order by u.email) from public.live_session_registrations r join auth.users u on u.id = r.user_id
  where r.session_id = pg_temp.sid('Course live Q&A')), array['drip@t', 'ent@t'], 'entitled students are registered automatically');
select lives_ok(format($$ select public.grant_course_access(%L, %L) $$, tests.user_id('none@t'), tests.course_id('course-a')),
  'a new entitlement ...');
select ok(exists (select 1 from public.live_session_registrations where session_id = pg_temp.sid('Course live Q&A')
  and user_id = tests.user_id('none@t')), '... registers the student to the course''s sessions');
select is((select count(*) from private.email_outbox where template = 'webinar_registration'
  and to_user_id = tests.user_id('none@t')), 1::bigint, 'with a confirmation email');
select is((select count(*) from public.notifications where kind = 'session_registered' and user_id = tests.user_id('none@t')),
  1::bigint, 'and a notification');
select is(public.revoke_course_access(tests.user_id('none@t'), tests.course_id('course-a'), null, 'test'), 1, 'revoking the access ...');
select ok((select cancelled_at is not null from public.live_session_registrations where session_id = pg_temp.sid('Course live Q&A')
  and user_id = tests.user_id('none@t')), '... cancels the course session registration');

-- ---------------------------------------------------------------- register_for_session
select tests.authenticate_as('none@t');
select is(public.register_for_session(pg_temp.sid('Free webinar')), true, 'a student registers for a free session');
select is(public.register_for_session(pg_temp.sid('Free webinar')), false, 'registering twice is a no-op');
select throws_ok(format($$ select public.register_for_session(%L) $$, pg_temp.sid('Paid masterclass')), 'P0001',
  'this session is not free', 'a paid session cannot be joined for free');
select throws_ok(format($$ select public.register_for_session(%L) $$, pg_temp.sid('Draft session')), 'PT404', 'session not found',
  'a draft session is not found');
select tests.authenticate_as('other@t');
select throws_ok(format($$ select public.register_for_session(%L) $$, pg_temp.sid('Course live Q&A')),
  '42501', 'this session is for students of its course', 'a course session is for the course''s students');
select is(public.register_for_session(pg_temp.sid('Free webinar')), true, 'a second registration fills the session');
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select public.register_for_session(%L) $$, pg_temp.sid('Free webinar')), 'P0001',
  'this session is full', 'capacity holds');
select tests.authenticate_as('other@t');
select is(public.cancel_registration(pg_temp.sid('Free webinar')), true, 'a student cancels');
select tests.authenticate_as('drip@t');
select is(public.register_for_session(pg_temp.sid('Free webinar')), true, 'the freed seat can be taken');
select tests.clear_authentication();
select is((select registered_count from public.live_sessions where id = pg_temp.sid('Free webinar')), 2,
  'registered_count follows registrations and cancellations');
select tests.authenticate_as_service_role();
select throws_ok(format($$ select public.grant_session_registration(%L, %L) $$, tests.user_id('admin@t'), pg_temp.sid('Free webinar')),
  'P0001', 'this session is full', 'paid seats respect capacity too');
select throws_ok(format($$ select public.grant_session_registration(%L, '00000000-0000-4000-8000-000000000000') $$, tests.user_id('admin@t')),
  'PT404', 'session not found', 'a seat in an unknown session: not found');
select is(public.grant_session_registration(tests.user_id('admin@t'), pg_temp.sid('Paid masterclass')), true,
  'the service grants a paid seat');

-- ---------------------------------------------------------------- who may join: the join window, registration
select tests.authenticate_as('none@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Free webinar')),
  'P0001', 'the join link opens 15 minutes before the start', 'two days ahead, the join link is not open yet');
select tests.clear_authentication();
update public.live_sessions set starts_at = now() + interval '10 minutes' where id = pg_temp.sid('Free webinar');
select tests.authenticate_as('none@t');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Free webinar')),
  '42501', 'register for this session first', 'someone not registered does not');
select throws_ok($$ select public.session_join_link('00000000-0000-4000-8000-000000000000') $$, 'PT404', 'session not found',
  'an unknown session: not found');

-- ---------------------------------------------------------------- rescheduling and cancelling tell registrants
select tests.clear_authentication();
select is((select count(*) from private.email_outbox where template = 'webinar_rescheduled'
  and payload ->> 'session_id' = pg_temp.sid('Free webinar')::text), 2::bigint, 'moving a session emails its registrants');
select tests.authenticate_as('own@t');
update public.live_sessions set status = 'cancelled' where id = pg_temp.sid('Course live Q&A');
select tests.clear_authentication();
select is((select count(*) from private.email_outbox where template = 'webinar_cancelled'
  and payload ->> 'session_id' = pg_temp.sid('Course live Q&A')::text), 2::bigint, 'cancelling emails every registrant');
select is((select count(*) from public.notifications where kind = 'webinar_cancelled'), 2::bigint, 'and notifies them');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select public.register_for_session(%L) $$, pg_temp.sid('Course live Q&A')),
  'P0001', 'this session is over or cancelled', 'a cancelled session takes no registrations');

-- ---------------------------------------------------------------- reminders
select tests.clear_authentication();
delete from private.email_outbox where template like 'webinar_reminder%';
select is(private.enqueue_session_reminders(), 2, 'reminders for the session starting soon');
select is(private.enqueue_session_reminders(), 0, 'never twice');
select is((select count(*) from private.email_outbox where template = 'webinar_reminder_1h'), 2::bigint,
  'ten minutes ahead, it is the 1-hour reminder');

-- ---------------------------------------------------------------- access, purchases and the sweep
-- The sessions above go (their registrations with them): what follows starts from the fixture.
select tests.clear_authentication();
delete from public.live_sessions where id in (select id from sid);
delete from sid;
select tests.create_user('refund@t');   -- buys course-a, then is refunded
select tests.create_user('sub@t');      -- subscribes to course-a; the period ends
select tests.create_user('lapse@t');    -- subscribes to course-a; the period ends (the sweep)
select tests.create_user('rev@t');      -- an admin grants course-a, then revokes it
select tests.create_user('seat@t');     -- a manual seat on a course session, no course access
select tests.create_user('buyer@t');    -- buys a seat on a paid standalone session, then is refunded
select tests.create_user('disputer@t'); -- buys a seat, then disputes the charge

-- The clock passing a subscription's ends_at writes nothing, so no trigger fires. The tests
-- reproduce exactly that state: the period moves into the past with the trigger switched off.
create function pg_temp.period_ends(email text) returns void language plpgsql as $$
begin
  alter table public.entitlements disable trigger entitlements_register_sessions;
  update public.entitlements set starts_at = now() - interval '31 days', ends_at = now() - interval '1 minute'
  where user_id = tests.user_id(email) and source = 'subscription';
  alter table public.entitlements enable trigger entitlements_register_sessions;
end $$;

-- Offers: course-a, and a seat on a paid standalone session.
select tests.authenticate_as('own@t');
insert into public.offers (kind, title, course_id) values ('course', 'Course A', tests.course_id('course-a'));
insert into public.live_sessions (title, starts_at, is_published, is_free, capacity)
  values ('Paid seat class', now() + interval '10 minutes', true, false, 10);
insert into public.offers (kind, title, session_id)
  select 'session', 'Seat', id from public.live_sessions where title = 'Paid seat class';
insert into public.offer_prices (offer_id, currency, amount)
  select id, 'USD', case title when 'Course A' then 4900 else 1500 end from public.offers where title in ('Course A', 'Seat');
insert into public.offers (kind, title, plan_interval, plan_scope) values ('plan', 'Own plan', 'month', 'instructor');
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 900 from public.offers where title = 'Own plan';
select tests.clear_authentication();
create temporary table offer_ids as select title, id from public.offers where title in ('Course A', 'Seat', 'Own plan');
grant select on offer_ids to authenticated, service_role;

-- Access to course-a: a purchase, two subscriptions and an admin's grant.
create function pg_temp.buy(email text, offer text, intent text) returns void language plpgsql as $$
begin
  perform tests.authenticate_as(email);
  perform public.create_order((select id from offer_ids where title = offer), 'USD');
  perform tests.authenticate_as_service_role();
  perform public.stripe_apply_event('evt_paid_' || intent, 'checkout.session.completed', now(),
    tests.checkout_session((select o.id from public.orders o where o.user_id = tests.user_id(email)), intent));
  perform tests.clear_authentication();
end $$;
select pg_temp.buy('refund@t', 'Course A', 'pi_refund');
select pg_temp.buy('buyer@t', 'Seat', 'pi_buyer');
select pg_temp.buy('disputer@t', 'Seat', 'pi_disputer');
select tests.authenticate_as('sub@t');
select public.create_order((select id from offer_ids where title = 'Own plan'), 'USD');
select tests.authenticate_as('lapse@t');
select public.create_order((select id from offer_ids where title = 'Own plan'), 'USD');
select tests.authenticate_as_service_role();
select public.stripe_apply_event('evt_sub_' || e, 'customer.subscription.created', now(), jsonb_build_object(
  'id', 'sub_' || e, 'status', 'active', 'current_period_end', extract(epoch from now() + interval '1 day')::bigint,
  'metadata', jsonb_build_object('user_id', tests.user_id(e || '@t'), 'offer_id', (select id from offer_ids where title = 'Own plan'),
                                 'order_id', tests.order_id(e || '@t', 'Own plan'))))
from unnest(array['sub', 'lapse']) e;
select tests.authenticate_as('admin@t');
select public.admin_grant_course_access(tests.user_id('rev@t'), tests.course_id('course-a'));

-- Two sessions of course-a: one live now, one in two hours. Their students are registered.
select tests.authenticate_as('own@t');
insert into public.live_sessions (course_id, title, starts_at, duration_minutes, is_published)
  values (tests.course_id('course-a'), 'Live now', now() - interval '5 minutes', 60, true),
         (tests.course_id('course-a'), 'Soon', now() + interval '2 hours', 60, true);
select tests.clear_authentication();
insert into sid select title, id from public.live_sessions where title in ('Live now', 'Soon', 'Paid seat class');
insert into private.zoom_meetings (session_id, meeting_id, join_url)
  values (pg_temp.sid('Live now'), 85000000001, 'https://zoom.us/j/85000000001'),
         (pg_temp.sid('Soon'), 85000000002, 'https://zoom.us/j/85000000002'),
         (pg_temp.sid('Paid seat class'), 85000000003, 'https://zoom.us/j/85000000003');
select tests.authenticate_as_service_role();
select public.grant_session_registration(tests.user_id('seat@t'), pg_temp.sid('Live now'), 'grant');
select tests.clear_authentication();
-- Every registrant already has their personal Zoom link (zoom-join stored it and Zoom approved it).
insert into private.zoom_registrants (session_id, user_id, registrant_id, join_url, status)
  select r.session_id, r.user_id, 'reg-' || u.email || '-' || z.meeting_id, 'https://zoom.us/w/' || z.meeting_id || '?tk=' || u.email,
         'approved'
  from public.live_session_registrations r join auth.users u on u.id = r.user_id
  join private.zoom_meetings z on z.session_id = r.session_id;

create function pg_temp.registered(session text) returns text[] language sql as $$
  select array_agg(u.email::text order by u.email) from public.live_session_registrations r
  join auth.users u on u.id = r.user_id where r.session_id = pg_temp.sid(session) and r.cancelled_at is null
$$;
grant execute on function pg_temp.registered(text) to authenticated, service_role;
select is(pg_temp.registered('Live now'),
  array['drip@t', 'ent@t', 'lapse@t', 'refund@t', 'rev@t', 'seat@t', 'sub@t'], 'the students are registered to the live session');
select is(pg_temp.registered('Paid seat class'), array['buyer@t', 'disputer@t'], 'the buyers hold their seats');

-- ---------------------------------------------------------------- before anything lapses
-- One join link a persona, here and below, alike on purpose: each states who joins and when.
select tests.authenticate_as('refund@t');
select is(public.session_join_link(pg_temp.sid('Live now')), 'https://zoom.us/w/85000000001?tk=refund@t', 'a buyer of the course joins');
select tests.authenticate_as('sub@t');
select is(public.session_join_link(pg_temp.sid('Live now')), 'https://zoom.us/w/85000000001?tk=sub@t', 'a subscriber joins');
select tests.authenticate_as('rev@t');
select is(public.session_join_link(pg_temp.sid('Live now')), 'https://zoom.us/w/85000000001?tk=rev@t', 'a student granted access joins');
select tests.authenticate_as('buyer@t');
select is(public.session_join_link(pg_temp.sid('Paid seat class')), 'https://zoom.us/w/85000000003?tk=buyer@t', 'a seat buyer joins');

-- ---------------------------------------------------------------- access ends during the session
-- The refund arrives through Stripe's webhook, exactly as in production.
select tests.authenticate_as_service_role();
select is(public.stripe_apply_event('evt_refund', 'charge.refunded', now(),
  jsonb_build_object('payment_intent', 'pi_refund', 'amount', 4900, 'amount_refunded', 4900)), 'applied',
  'the course purchase is refunded');
select tests.authenticate_as('refund@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Live now')), '42501',
  'this session is for students of its course', 'a refunded student gets no join link, registration or not');
select tests.clear_authentication();
create function pg_temp.zoom_cancels() returns text[] language sql as $$
  select coalesce(array_agg(u.email || ' ' || s.title || ' ' || j.registrant_id order by u.email, s.title), '{}')
  from private.zoom_sync_jobs j join auth.users u on u.id = j.user_id join public.live_sessions s on s.id = j.session_id
  where j.action = 'cancel' and j.status = 'pending'
$$;
grant execute on function pg_temp.zoom_cancels() to authenticated, service_role;
select is(pg_temp.zoom_cancels(), array['refund@t Soon reg-refund@t-85000000002'],
  'the refund queued, with it, the cancellation at Zoom of the registrant of the registration it cancelled');

select tests.clear_authentication();
select pg_temp.period_ends('sub@t');
select tests.authenticate_as('sub@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Live now')), '42501',
  'this session is for students of its course', 'a subscriber whose period ended gets no join link');

select tests.authenticate_as('admin@t');
select is(public.admin_revoke_course_access(tests.user_id('rev@t'), tests.course_id('course-a'), 'chargeback'), 1,
  'an admin revokes a student''s access');
select tests.authenticate_as('rev@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Live now')), '42501',
  'this session is for students of its course', 'a revoked student gets no join link');

select tests.authenticate_as('seat@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Live now')), '42501',
  'this session is for students of its course', 'a seat on a course session without access to the course is not enough');

select tests.authenticate_as('ent@t');
select is(public.session_join_link(pg_temp.sid('Live now')), 'https://zoom.us/w/85000000001?tk=ent@t', 'a student with access still joins');
select tests.authenticate_as('admin@t');
select is(public.session_join_link(pg_temp.sid('Live now')), 'https://zoom.us/j/85000000001', 'an admin joins without a registration');
select tests.authenticate_as('own@t');
select is(public.session_join_link(pg_temp.sid('Live now')), 'https://zoom.us/j/85000000001', 'the host joins');
select tests.authenticate_as('none@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Live now')), '42501',
  'this session is for students of its course', 'a student without access never did');

-- ---------------------------------------------------------------- purchased seats end with their order
select tests.authenticate_as_service_role();
select is(public.stripe_apply_event('evt_seat_refund', 'charge.refunded', now(),
  jsonb_build_object('payment_intent', 'pi_buyer', 'amount', 1500, 'amount_refunded', 1500)), 'applied', 'a seat is refunded');
select is(public.stripe_apply_event('evt_seat_dispute', 'charge.dispute.created', now(),
  jsonb_build_object('payment_intent', 'pi_disputer', 'amount', 1500)), 'applied', 'another seat is disputed');
select tests.clear_authentication();
select is(pg_temp.registered('Paid seat class'), null, 'both seats are cancelled');
select tests.authenticate_as('buyer@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Paid seat class')), '42501',
  'register for this session first', 'the refunded buyer gets no join link');
select tests.authenticate_as('disputer@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Paid seat class')), '42501',
  'register for this session first', 'nor does the disputer');

-- ---------------------------------------------------------------- the sweep
select tests.clear_authentication();
select ok(not has_function_privilege('authenticated', 'private.cancel_lapsed_registrations()', 'execute')
  and not has_function_privilege('service_role', 'private.cancel_lapsed_registrations()', 'execute'),
  'the sweep is not callable through the API');
select is(pg_temp.registered('Soon'), array['drip@t', 'ent@t', 'lapse@t', 'sub@t'],
  'refunds and revocations left the upcoming session at once; lapsed periods did not');
select pg_temp.period_ends('lapse@t');
select is(pg_temp.registered('Soon'), array['drip@t', 'ent@t', 'lapse@t', 'sub@t'], 'a period ending changes no row by itself');
select is((select registered_count from public.live_sessions where id = pg_temp.sid('Soon')), 4, 'four seats taken');
delete from private.email_outbox where template like 'webinar_reminder%';
select is(private.enqueue_session_reminders(), 2, 'the reminder run reminds only the students who still have access');
select is((select array_agg(u.email::text order by u.email) from private.email_outbox o join auth.users u on u.id = o.to_user_id
  where o.template = 'webinar_reminder_24h'), array['drip@t', 'ent@t'], 'lapsed subscribers get no reminder');
select is(pg_temp.registered('Soon'), array['drip@t', 'ent@t'], 'the run cancelled the lapsed registrations first');
select is((select registered_count from public.live_sessions where id = pg_temp.sid('Soon')), 2, 'and freed their seats');
select is(pg_temp.registered('Live now'), array['drip@t', 'ent@t'],
  'the live session keeps only students with access (the refunded, lapsed, revoked and seat-only ones are out)');
select is(private.cancel_lapsed_registrations(), 0, 'a second sweep finds nothing');
select is(pg_temp.zoom_cancels(), array[
    'buyer@t Paid seat class reg-buyer@t-85000000003', 'disputer@t Paid seat class reg-disputer@t-85000000003',
    'lapse@t Live now reg-lapse@t-85000000001', 'lapse@t Soon reg-lapse@t-85000000002',
    'refund@t Live now reg-refund@t-85000000001', 'refund@t Soon reg-refund@t-85000000002',
    'rev@t Live now reg-rev@t-85000000001', 'rev@t Soon reg-rev@t-85000000002',
    'seat@t Live now reg-seat@t-85000000001', 'sub@t Live now reg-sub@t-85000000001', 'sub@t Soon reg-sub@t-85000000002'],
  'every cancelled registration (refunds, a dispute, a revocation, the sweep) queued its Zoom registrant''s cancellation, once; students with access keep theirs');

-- The sweep keeps registrations that do not depend on a course, and the course's staff.
select tests.authenticate_as('own@t');
insert into public.live_sessions (title, starts_at, is_published) values ('Open webinar', now() + interval '3 hours', true);
select tests.clear_authentication();
insert into sid select title, id from public.live_sessions where title = 'Open webinar';
select tests.authenticate_as('none@t');
select public.register_for_session(pg_temp.sid('Open webinar'));
select tests.authenticate_as_service_role();
select public.grant_session_registration(tests.user_id('admin@t'), pg_temp.sid('Soon'), 'grant');
select tests.clear_authentication();
select is(private.cancel_lapsed_registrations(), 0, 'a free standalone registration and an admin''s seat are kept');
select is(pg_temp.registered('Open webinar'), array['none@t'], 'the free webinar registration stands');
-- The admin exception is the one admin rule (user_roles now): demoted, the admin's seat lapses too.
delete from public.user_roles where user_id = tests.user_id('admin@t') and role = 'admin';
select is(private.cancel_lapsed_registrations(), 1, 'once no longer an admin, their seat is cancelled by the sweep');

-- ---------------------------------------------------------------- the registration rules (private helpers)
-- One rule each for "registered" (is_registered, require_registration) and for "over or
-- cancelled" (require_session_open), shared by registering, joining and the Zoom functions.
select ok(not has_function_privilege('anon', 'private.is_registered(uuid, uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.is_registered(uuid, uuid)', 'execute')
  and not has_function_privilege('anon', 'private.require_registration(uuid, uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.require_registration(uuid, uuid)', 'execute')
  and not has_function_privilege('anon', 'private.require_session_open(public.live_sessions)', 'execute')
  and not has_function_privilege('authenticated', 'private.require_session_open(public.live_sessions)', 'execute'),
  'the registration rules are not callable by clients');
select tests.authenticate_as('own@t');
insert into public.live_sessions (title, starts_at, is_published) values ('Rules webinar', now() + interval '1 day', true);
select tests.clear_authentication();
insert into sid select title, id from public.live_sessions where title = 'Rules webinar';
select tests.authenticate_as_service_role();
select public.grant_session_registration(tests.user_id('none@t'), pg_temp.sid('Rules webinar'), 'grant');
select public.grant_session_registration(tests.user_id('other@t'), pg_temp.sid('Rules webinar'), 'grant');
select tests.authenticate_as('other@t');
select public.cancel_registration(pg_temp.sid('Rules webinar'));
select tests.clear_authentication();
select is(array[private.is_registered(pg_temp.sid('Rules webinar'), tests.user_id('none@t')),
                private.is_registered(pg_temp.sid('Rules webinar'), tests.user_id('other@t')),
                private.is_registered(pg_temp.sid('Rules webinar'), tests.user_id('drip@t'))],
  array[true, false, false], 'is_registered: a live registration counts; a cancelled one or none does not');
select lives_ok(format($$ select private.require_registration(%L, %L) $$, pg_temp.sid('Rules webinar'), tests.user_id('none@t')),
  'require_registration lets a registered user through');
select throws_ok(format($$ select private.require_registration(%L, %L) $$, pg_temp.sid('Rules webinar'), tests.user_id('other@t')),
  '42501', 'register for this session first', 'require_registration stops a user whose registration was cancelled');
select lives_ok(format($$ select private.require_session_open(s) from public.live_sessions s where s.id = %L $$,
  pg_temp.sid('Rules webinar')), 'require_session_open: an upcoming session is open');
select lives_ok(format($$ select private.require_session_open(jsonb_populate_record(s, jsonb_build_object('status', 'live',
  'starts_at', now() - interval '60 minutes', 'duration_minutes', 60))) from public.live_sessions s where s.id = %L $$,
  pg_temp.sid('Rules webinar')), 'a live session is open up to the minute it ends');
select throws_ok(format($$ select private.require_session_open(jsonb_populate_record(s, '{"status": "cancelled"}'))
  from public.live_sessions s where s.id = %L $$, pg_temp.sid('Rules webinar')),
  'P0001', 'this session is over or cancelled', 'a cancelled session is closed');
select throws_ok(format($$ select private.require_session_open(jsonb_populate_record(s, '{"status": "ended"}'))
  from public.live_sessions s where s.id = %L $$, pg_temp.sid('Rules webinar')),
  'P0001', 'this session is over or cancelled', 'an ended session is closed');
select throws_ok(format($$ select private.require_session_open(jsonb_populate_record(s, jsonb_build_object(
  'starts_at', now() - interval '61 minutes', 'duration_minutes', 60))) from public.live_sessions s where s.id = %L $$,
  pg_temp.sid('Rules webinar')), 'P0001', 'this session is over or cancelled', 'a scheduled session past its end is closed');

-- What every email about a session tells its template (private.session_email_data).
select ok(not has_function_privilege('anon', 'private.session_email_data(public.live_sessions)', 'execute')
  and not has_function_privilege('authenticated', 'private.session_email_data(public.live_sessions)', 'execute'),
  'session_email_data is not callable by clients');
select is((select private.session_email_data(s) from public.live_sessions s where s.id = pg_temp.sid('Rules webinar')),
  (select jsonb_build_object('session_id', s.id, 'title', 'Rules webinar', 'starts_at', s.starts_at, 'duration_minutes', 60,
                             'timezone', 'UTC') from public.live_sessions s where s.id = pg_temp.sid('Rules webinar')),
  'session_email_data: the session''s id, title, start, length and time zone');
select is(array(select distinct o.template || ' ' || (select string_agg(k, ',' order by k) from jsonb_object_keys(o.payload) k)
                from private.email_outbox o where o.template like 'webinar%' order by 1),
  array['webinar_cancelled duration_minutes,previous_starts_at,session_id,starts_at,timezone,title',
        'webinar_registration duration_minutes,session_id,starts_at,timezone,title',
        'webinar_reminder_24h duration_minutes,session_id,starts_at,timezone,title',
        'webinar_rescheduled duration_minutes,previous_starts_at,session_id,starts_at,timezone,title'],
  'registration, reminder, cancellation and new-time emails all carry it; cancellation and new-time emails the previous start too');

select * from finish();
rollback;
