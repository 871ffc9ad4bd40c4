-- Zoom attendance: webhook events applied once (a ledger), and attendance matched to a user by
-- the Zoom registrant id only (never by an email typed into Zoom), while registered; a meeting's
-- end completes the live lesson for those who stayed long enough.
begin;
select plan(12);
select tests.catalog_fixture();
-- 'Zoom class': own@t's session of course-a's lesson l1, in a day; z (id) names it.
select tests.zoom_class_fixture();
-- The sessions' meetings and ent@t's approved registrant (zoom_meetings.test.sql tests these steps).
select tests.authenticate_as_service_role();
select public.zoom_save_meeting((select id from z), 81234567890, 'https://zoom.us/j/81234567890');
select is(public.zoom_apply_event('k1', 'meeting.started', 81234567890, now()), 'applied', 'an event is applied');
select is(public.zoom_apply_event('k1', 'meeting.started', 81234567890, now()), 'duplicate', 'its replay is not');
select is(public.zoom_apply_event('k2', 'meeting.started', 99999, now()), 'ignored', 'an unknown meeting is ignored');

select tests.clear_authentication();
-- 'Zoom soon': own@t's session of lesson l2, in 10 minutes, with its Zoom meeting 82000000001;
-- sid (title, id) holds the sessions, pg_temp.soon() and pg_temp.later() ('Zoom later', below) their ids.
select tests.zoom_soon_fixture();
select tests.authenticate_as_service_role();
select public.zoom_save_registrant(pg_temp.soon(), tests.user_id('ent@t'), 82000000001, 'reg-ent',
  'https://zoom.us/w/82000000001?tk=ent-token');
select public.zoom_registrant_approved(pg_temp.soon(), tests.user_id('ent@t'), 'reg-ent');

-- ---------------------------------------------------------------- attendance: by registrant id, never by email
select tests.authenticate_as_service_role();
select is(public.zoom_apply_event('j-attacker', 'meeting.participant_joined', 82000000001, now(),
  '{"key": "p-attacker", "registrant_id": "reg-typed-by-attacker", "email": "ent@t"}'), 'applied',
  'someone who registered on Zoom''s page with a student''s email joins');
select is(public.zoom_apply_event('j-noreg', 'meeting.participant_joined', 82000000001, now(),
  '{"key": "p-noreg", "email": "drip@t"}'), 'applied', 'someone without a registrant id joins');
select is(public.zoom_apply_event('j-ent', 'meeting.participant_joined', 82000000001, now(),
  '{"key": "p-ent", "registrant_id": "reg-ent"}'), 'applied', 'the real registrant joins with their personal link');
select throws_ok($$ select public.zoom_apply_event('j-bad', 'meeting.participant_joined', 82000000001, now(), '{"registrant_id": "reg-ent"}') $$,
  '22023', 'participant.key is required', 'a participant event needs a participant key');
select tests.clear_authentication();
select is((select array_agg(participant_key || '=' || coalesce(u.email::text, '-') order by participant_key) from private.zoom_attendance a
  left join auth.users u on u.id = a.user_id where a.session_id = pg_temp.soon()),
  array['p-attacker=-', 'p-ent=ent@t', 'p-noreg=-'], 'only the registrant id maps a participant to a user; emails map nobody');
select tests.authenticate_as_service_role();
select is(public.zoom_apply_event('end-soon', 'meeting.ended', 82000000001, now() + interval '50 minutes'), 'applied', 'the meeting ends');
select tests.clear_authentication();
select is((select array_agg(u.email::text) from public.lesson_progress p join auth.users u on u.id = p.user_id
  where p.lesson_id = tests.lesson_id('course-a', 'l2') and p.completed_at is not null), array['ent@t'],
  'the live lesson is completed by the registrant only, not by the one who typed their email');

-- A registrant whose registration was cancelled (access ended) earns no attendance.
select tests.authenticate_as('own@t');
insert into public.live_sessions (course_id, title, starts_at, is_published)
values (tests.course_id('course-a'), 'Zoom later', now() + interval '2 hours', true);
select tests.clear_authentication();
insert into sid select title, id from public.live_sessions where title = 'Zoom later';
select tests.authenticate_as_service_role();
select public.zoom_save_meeting(pg_temp.later(), 82000000002, 'https://zoom.us/j/82000000002');
select public.zoom_save_registrant(pg_temp.later(), tests.user_id('drip@t'), 82000000002,
  'reg-drip-later', 'https://zoom.us/w/82000000002?tk=drip');
select public.revoke_course_access(tests.user_id('drip@t'), tests.course_id('course-a'), null, 'refunded');
select is(public.zoom_apply_event('j-drip', 'meeting.participant_joined', 82000000002, now(),
  '{"key": "p-drip", "registrant_id": "reg-drip-later"}'), 'applied', 'a student whose access ended joins with a saved link');
select tests.clear_authentication();
select is((select array_agg(coalesce(user_id::text, '-')) from private.zoom_attendance where participant_key = 'p-drip'), array['-'],
  'and is recorded without a user');


select * from finish();
rollback;
