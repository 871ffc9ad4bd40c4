-- The weekly digest (built in SQL, skipped when empty, one per person and week, honouring the
-- digest preference) and one-click unsubscribe (unsubscribe_email, service role only).
begin;
select plan(30);
select tests.catalog_fixture();

-- The week under test: this Monday 00:00 UTC to next Monday, so what the fixture and this file
-- write (now) falls inside it.
create temporary table wk on commit drop as
  select date_trunc('week', now(), 'UTC') as period_start, date_trunc('week', now(), 'UTC') + interval '7 days' as period_end;
create temporary table mine (email text) on commit drop;
insert into mine values ('own@t'), ('other@t'), ('admin@t'), ('none@t'), ('ent@t'), ('drip@t');
create function pg_temp.digest(email text) returns jsonb language sql as $f$
  select d.payload from wk, private.weekly_digests(wk.period_start, wk.period_end) d where d.user_id = tests.user_id(email)
$f$;

-- ---------------------------------------------------------------- grants
select ok(not has_function_privilege('anon', 'public.unsubscribe_email(uuid, text)', 'execute')
  and not has_function_privilege('authenticated', 'public.unsubscribe_email(uuid, text)', 'execute')
  and has_function_privilege('service_role', 'public.unsubscribe_email(uuid, text)', 'execute'),
  'unsubscribe_email: service role only (the unsubscribe function, after verifying the signed token)');
select ok(not has_function_privilege('authenticated', 'private.enqueue_weekly_digests(timestamptz)', 'execute')
  and not has_function_privilege('service_role', 'private.weekly_digests(timestamptz, timestamptz)', 'execute'),
  'the digest builders are not reachable by API roles');

-- ---------------------------------------------------------------- a week of activity
-- Erin (ent@t) completes l1 and reviews course A; a live session of course A is next week; Olivia
-- (own@t) sells course A: a USD order paid this week, partly refunded, and a EUR order.
insert into public.lesson_progress (user_id, lesson_id, course_id, completed_at)
values (tests.user_id('ent@t'), tests.lesson_id('course-a', 'l1'), tests.course_id('course-a'), now());
select private.refresh_course_progress(tests.user_id('ent@t'), tests.course_id('course-a'), tests.lesson_id('course-a', 'l1'));
insert into public.reviews (course_id, user_id, rating, body) values (tests.course_id('course-a'), tests.user_id('ent@t'), 4, 'Good');
insert into public.live_sessions (course_id, title, starts_at, is_published, timezone, created_by)
select tests.course_id('course-a'), 'Office hours', wk.period_end + interval '1 day 17 hours', true, 'Europe/Paris', tests.user_id('own@t') from wk;
insert into public.live_sessions (course_id, title, starts_at, is_published, created_by)
select tests.course_id('course-a'), 'Unpublished hours', wk.period_end + interval '2 days', false, tests.user_id('own@t') from wk;
insert into public.offers (id, kind, title, course_id, owner_id)
values ('0f000000-0000-4000-8000-00000000d161', 'course', 'Course A', tests.course_id('course-a'), tests.user_id('own@t'));
insert into public.orders (user_id, offer_id, title, currency, subtotal, total, status, amount_refunded, paid_at)
values (tests.user_id('none@t'), '0f000000-0000-4000-8000-00000000d161', 'Course A', 'USD', 4900, 4900, 'partially_refunded', 900, now()),
       (tests.user_id('drip@t'), '0f000000-0000-4000-8000-00000000d161', 'Course A', 'EUR', 4500, 4500, 'paid', 0, now()),
       (tests.user_id('none@t'), '0f000000-0000-4000-8000-00000000d161', 'Course A', 'USD', 4900, 4900, 'failed', 0, null);
-- Q&A: Erin asked a question Olivia answered this week; Drip asked one nobody has answered yet.
insert into public.doubts (id, course_id, user_id, title, body)
values ('0d000000-0000-4000-8000-00000000d161', tests.course_id('course-a'), tests.user_id('ent@t'), 'Why no rows?', 'RLS hides them.'),
       ('0d000000-0000-4000-8000-00000000d162', tests.course_id('course-a'), tests.user_id('drip@t'), 'When is l3 open?', 'Drip.');
insert into public.doubt_answers (doubt_id, course_id, user_id, body)
values ('0d000000-0000-4000-8000-00000000d161', tests.course_id('course-a'), tests.user_id('own@t'), 'Add a policy.');

-- ---------------------------------------------------------------- what each person's digest says
select set_eq($$ select m.email from mine m where pg_temp.digest(m.email) is not null $$,
  array['own@t', 'ent@t', 'drip@t'],
  'only people with something to report get a digest: not Oscar (his free course had a quiet week), Noor or Ada');
select is(pg_temp.digest('ent@t') -> 'student' -> 'progress',
  jsonb_build_array(jsonb_build_object('course_id', tests.course_id('course-a'), 'course_title', 'Postgres for Web Developers',
                                       'lessons_completed', 1, 'percent', 25.00)),
  'Erin: her progress, lessons completed this week and where she stands');
select is((select array_agg(i ->> 'title' order by i ->> 'title') from jsonb_array_elements(pg_temp.digest('ent@t') -> 'student' -> 'new_lessons') i),
  array['l1', 'l2', 'l3', 'l4'], 'the lessons added to her course this week');
select is((select jsonb_agg(i - 'session_id' - 'starts_at') from jsonb_array_elements(pg_temp.digest('ent@t') -> 'student' -> 'live_sessions') i),
  '[{"title":"Office hours","timezone":"Europe/Paris","course_title":"Postgres for Web Developers"}]'::jsonb,
  'the published live sessions of her course in the coming week');
select is(pg_temp.digest('ent@t') -> 'teaching', '{}'::jsonb, 'she teaches nothing');
select is(pg_temp.digest('drip@t') -> 'student' -> 'progress', null, 'a student who completed nothing has no progress section');
select is((select array_agg(k order by k) from jsonb_object_keys(pg_temp.digest('drip@t') -> 'student') k),
  array['live_sessions', 'new_lessons'], 'but still hears about the new lessons and sessions');
select is(pg_temp.digest('own@t') -> 'teaching' -> 'enrolments',
  jsonb_build_array(jsonb_build_object('course_id', tests.course_id('course-a'), 'course_title', 'Postgres for Web Developers', 'new_students', 2)),
  'Olivia: her new students');
select is(pg_temp.digest('own@t') -> 'teaching' -> 'revenue',
  '[{"currency":"EUR","orders":1,"gross":4500,"refunded":0,"net":4500},{"currency":"USD","orders":1,"gross":4900,"refunded":900,"net":4000}]'::jsonb,
  'her revenue per currency, net of refunds (a failed order is no revenue)');
select is(pg_temp.digest('own@t') -> 'teaching' -> 'reviews',
  jsonb_build_array(jsonb_build_object('course_id', tests.course_id('course-a'), 'course_title', 'Postgres for Web Developers',
                                       'reviews', 1, 'average_rating', 4.0)),
  'her new reviews');
select is(pg_temp.digest('ent@t') -> 'student' -> 'answers',
  '[{"doubt_id":"0d000000-0000-4000-8000-00000000d161","title":"Why no rows?","course_title":"Postgres for Web Developers","answers":1}]'::jsonb,
  'Erin: the answers to her question this week');
select is((select array_agg(i -> 'questions') from jsonb_array_elements(pg_temp.digest('own@t') -> 'teaching' -> 'questions_waiting') i),
  array['1'::jsonb], 'Olivia: one question waits for an answer in her course (Erin''s was answered)');
select is(pg_temp.digest('own@t') - 'student' - 'teaching' - 'period_start' - 'period_end', '{"display_name":"Olivia Owner"}'::jsonb,
  'the digest greets her by name');
update public.reviews set hidden_at = now() where user_id = tests.user_id('ent@t');
select is(pg_temp.digest('own@t') -> 'teaching' -> 'reviews', null, 'a hidden review is not reported');
select is((select count(*) from mine m, wk, private.weekly_digests(wk.period_start - interval '14 days', wk.period_start - interval '7 days') d
           where d.user_id = tests.user_id(m.email)), 0::bigint,
  'a week without activity sends nobody a digest');
update public.entitlements set revoked_at = now() where user_id = tests.user_id('drip@t');
select is(pg_temp.digest('drip@t'), null, 'a student whose access was revoked hears nothing about the course');

-- ---------------------------------------------------------------- enqueued once a week, honouring the preference
insert into public.email_preferences (user_id, digest) values (tests.user_id('ent@t'), false);
select cmp_ok((select private.enqueue_weekly_digests(wk.period_end) from wk), '>=', 1, 'the job enqueues digests');
select set_eq($$ select u.email::text from private.email_outbox o join auth.users u on u.id = o.to_user_id
                where o.template = 'weekly_digest' and u.email in (select email from mine) $$,
  array['own@t'], 'Erin turned the digest off, so only Olivia''s is enqueued (Drip lost her access)');
select is((select row(category, dedupe_key)::text from private.email_outbox
           where template = 'weekly_digest' and to_user_id = tests.user_id('own@t')),
  (select row('digest', 'weekly_digest:' || tests.user_id('own@t') || ':' || to_char(wk.period_start, 'IYYY-"W"IW'))::text from wk),
  'a digest is category digest, keyed by the person and the ISO week');
select is((select private.enqueue_weekly_digests(wk.period_end) from wk), 0, 'running the job again in the same week enqueues nothing');
select is((select count(*) from private.email_outbox where template = 'weekly_digest' and to_user_id = tests.user_id('own@t')),
  1::bigint, 'one digest per person and week');

-- ---------------------------------------------------------------- one-click unsubscribe
select tests.authenticate_as_service_role();
select is(public.unsubscribe_email(tests.user_id('own@t'), 'digest'), true, 'the service unsubscribes Olivia from the digest');
select tests.clear_authentication();
select is((select row(reminders, updates, digest, marketing)::text from public.email_preferences where user_id = tests.user_id('own@t')),
  row(true, true, false, false)::text, 'only the digest is off');
select is((select row(status, last_error)::text from private.email_outbox where template = 'weekly_digest' and to_user_id = tests.user_id('own@t')),
  row('dead', 'not sent: the recipient unsubscribed')::text, 'and the digest still waiting for her is not sent');
select tests.authenticate_as_service_role();
select is(public.unsubscribe_email(tests.user_id('ent@t'), 'updates'), true, 'an existing preference row is updated');
select tests.clear_authentication();
select is((select row(reminders, updates, digest)::text from public.email_preferences where user_id = tests.user_id('ent@t')),
  row(true, false, false)::text, 'keeping what she had turned off');
select tests.authenticate_as_service_role();
select is(public.unsubscribe_email('00000000-0000-4000-8000-000000000000', 'digest'), false, 'an unknown user: nothing to do');
select throws_ok(format($$ select public.unsubscribe_email(%L, 'essential') $$, tests.user_id('own@t')),
  '22023', 'only reminders, updates, digest and marketing email can be unsubscribed from', 'essential email has no unsubscribe');

select * from finish();
rollback;
