-- Zoom SQL: who may manage a meeting, the service-only writers, the event ledger, personal join
-- links (Zoom registrants) and attendance matched by registrant id only.
begin;
select plan(102);
select tests.catalog_fixture();
select tests.authenticate_as('own@t');
insert into public.live_sessions (course_id, lesson_id, title, starts_at, is_published)
values (tests.course_id('course-a'), tests.lesson_id('course-a', 'l1'), 'Zoom class', now() + interval '1 day', true);
select tests.clear_authentication();
create temporary table z as select id from public.live_sessions where title = 'Zoom class';
grant select on z to authenticated, service_role;

select ok(not has_function_privilege('authenticated', 'public.zoom_save_meeting(uuid, bigint, text)', 'execute')
  and not has_function_privilege('authenticated', 'public.zoom_apply_event(text, text, bigint, timestamptz, jsonb, integer)', 'execute')
  and not has_function_privilege('authenticated', 'public.zoom_cached_token(text)', 'execute'), 'Zoom writers and tokens are service-only');
select ok(not has_function_privilege('anon', 'public.zoom_session(uuid)', 'execute'), 'anon cannot look up sessions for Zoom');
select ok(not has_table_privilege('service_role', 'private.zoom_tokens', 'select'), 'tokens are not even readable through the API');

select tests.authenticate_as('own@t');
select is((select title from public.zoom_session((select id from z))), 'Zoom class', 'the host may manage the meeting');
select tests.authenticate_as('ent@t');
select throws_ok($$ select * from public.zoom_session((select id from z)) $$,
  '42501', 'only the session''s hosts, its course''s instructors and admins manage its meeting', 'a registered student may not');
select tests.authenticate_as('other@t');
select throws_ok($$ select * from public.zoom_session((select id from z)) $$,
  '42501', 'only the session''s hosts, its course''s instructors and admins manage its meeting', 'another instructor may not');
select tests.authenticate_as('admin@t');
select lives_ok($$ select * from public.zoom_session((select id from z)) $$, 'an admin may');
select throws_ok($$ select * from public.zoom_session('00000000-0000-4000-8000-000000000000') $$, 'PT404', 'session not found',
  'unknown session');

select tests.authenticate_as_service_role();
select lives_ok($$ select public.zoom_save_meeting((select id from z), 81234567890, 'https://zoom.us/j/81234567890') $$, 'the service stores the meeting');
select public.zoom_cache_token('acct', 'tok', 3600);
select is(public.zoom_cached_token('acct'), 'tok', 'a fresh token is served from the cache');
select public.zoom_cache_token('acct', 'old', 30);
select is(public.zoom_cached_token('acct'), null, 'a token about to expire is not');
select is(public.zoom_apply_event('k1', 'meeting.started', 81234567890, now()), 'applied', 'an event is applied');
select is(public.zoom_apply_event('k1', 'meeting.started', 81234567890, now()), 'duplicate', 'its replay is not');
select is(public.zoom_apply_event('k2', 'meeting.started', 99999, now()), 'ignored', 'an unknown meeting is ignored');

-- ---------------------------------------------------------------- personal join links (registrants)
select tests.clear_authentication();
select tests.authenticate_as('own@t');
insert into public.live_sessions (course_id, lesson_id, title, starts_at, is_published)
values (tests.course_id('course-a'), tests.lesson_id('course-a', 'l2'), 'Zoom soon', now() + interval '10 minutes', true);
select tests.clear_authentication();
create temporary table sid as select title, id from public.live_sessions;
grant select on sid to authenticated, service_role;
create function pg_temp.soon() returns uuid language sql as $$ select id from sid where title = 'Zoom soon' $$;
create function pg_temp.later() returns uuid language sql as $$ select id from sid where title = 'Zoom later' $$;
grant execute on function pg_temp.soon(), pg_temp.later() to authenticated, service_role;
select tests.authenticate_as_service_role();
select public.zoom_save_meeting(pg_temp.soon(), 82000000001, 'https://zoom.us/j/82000000001?pwd=general');
select tests.clear_authentication();

select ok(not has_table_privilege('service_role', 'private.zoom_registrants', 'select')
  and not has_table_privilege('authenticated', 'private.zoom_registrants', 'select'), 'registrants are unreachable through the API');
select ok(not has_function_privilege('authenticated', 'public.zoom_save_registrant(uuid, uuid, bigint, text, text)', 'execute')
  and has_function_privilege('service_role', 'public.zoom_save_registrant(uuid, uuid, bigint, text, text)', 'execute'),
  'only the service stores a registrant');
select ok(not has_function_privilege('authenticated', 'public.zoom_begin_approval(uuid, uuid)', 'execute')
  and not has_function_privilege('anon', 'public.zoom_begin_approval(uuid, uuid)', 'execute')
  and has_function_privilege('service_role', 'public.zoom_begin_approval(uuid, uuid)', 'execute')
  and not has_function_privilege('authenticated', 'public.zoom_registrant_approved(uuid, uuid, text)', 'execute')
  and not has_function_privilege('anon', 'public.zoom_registrant_approved(uuid, uuid, text)', 'execute')
  and has_function_privilege('service_role', 'public.zoom_registrant_approved(uuid, uuid, text)', 'execute'),
  'only the service approves a registrant');
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.zoom_registrant_approved(pg_temp.soon(), tests.user_id('ent@t'), 'reg-ent') $$, '42501',
  'permission denied for function zoom_registrant_approved', 'a student cannot approve their own registrant');
select tests.clear_authentication();
select ok(not has_function_privilege('anon', 'public.zoom_join_info(uuid)', 'execute'), 'anon cannot ask for a join link');

select tests.authenticate_as('ent@t');
select throws_ok($$ select public.session_join_link(pg_temp.soon()) $$, 'P0001',
  'your personal join link is not ready yet', 'a registrant without a Zoom registrant is told to call zoom-join');
select is((select row(user_id, meeting_id, join_url, email, first_name, last_name)::text from public.zoom_join_info(pg_temp.soon())),
  row(tests.user_id('ent@t'), 82000000001::bigint, null::text, 'ent@t', 'Erin', 'Entitled')::text,
  'zoom_join_info gives the function what Zoom needs to register the caller, and no link yet');
select tests.authenticate_as('none@t');
select throws_ok($$ select * from public.zoom_join_info(pg_temp.soon()) $$, '42501',
  'this session is for students of its course', 'zoom_join_info applies the join link rule');
select tests.authenticate_as('own@t');
select is((select join_url from public.zoom_join_info(pg_temp.soon())), 'https://zoom.us/j/82000000001?pwd=general',
  'a host gets the meeting''s link and needs no registrant');

select tests.authenticate_as_service_role();
select is((select row(registrant_id, approved)::text from public.zoom_begin_approval(pg_temp.soon(), tests.user_id('ent@t'))),
  null, 'a registered student without a registrant has none to approve yet');
select is(public.zoom_save_registrant(pg_temp.soon(), tests.user_id('ent@t'), 82000000001, 'reg-ent',
  'https://zoom.us/w/82000000001?tk=ent-token'), 'reg-ent', 'the service stores a registrant and approves that one');
select is(public.zoom_save_registrant(pg_temp.soon(), tests.user_id('ent@t'), 82000000001, 'reg-ent-again',
  'https://zoom.us/w/82000000001?tk=second'), 'reg-ent',
  'a second registrant for the same student (a race) keeps the first, which both callers approve');
select throws_ok($$ select public.zoom_save_registrant(pg_temp.soon(), tests.user_id('none@t'), 82000000001, 'reg-none',
  'https://zoom.us/w/82000000001?tk=none') $$, '42501', 'register for this session first',
  'no registrant is stored for someone not registered');
select throws_ok($$ select * from public.zoom_begin_approval(pg_temp.soon(), tests.user_id('none@t')) $$, '42501',
  'register for this session first', 'nor approved');
select throws_ok($$ select public.zoom_save_registrant(pg_temp.soon(), tests.user_id('drip@t'), 82000000001, 'reg-ent',
  'https://zoom.us/w/82000000001?tk=stolen') $$, '23505', 'that Zoom registrant belongs to another user',
  'a registrant id maps to one user only');
select throws_ok($$ select public.zoom_save_registrant(pg_temp.soon(), tests.user_id('drip@t'), 89999999999, 'reg-drip',
  'https://zoom.us/w/89999999999?tk=drip') $$, 'P0001', 'the session''s meeting changed; try again',
  'a registrant of another meeting is refused');
select throws_ok($$ select public.zoom_save_registrant(pg_temp.soon(), tests.user_id('drip@t'), 82000000001, 'reg-drip',
  'javascript:alert(1)') $$, '22023', 'join_url must be an https URL', 'only https links are stored');
select throws_ok($$ select public.zoom_save_registrant(pg_temp.soon(), tests.user_id('drip@t'), 82000000001, ' ',
  'https://zoom.us/w/82000000001?tk=drip') $$, '22023', 'registrant_id is required', 'a registrant needs its Zoom id');
select tests.clear_authentication();
select is((select count(*) from private.zoom_registrants where user_id = tests.user_id('ent@t')), 1::bigint, 'one registrant per student');

-- Until Zoom approves the registrant, its link lets no one in, and nobody is handed it.
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.session_join_link(pg_temp.soon()) $$, 'P0001',
  'your personal join link is not ready yet', 'a stored registrant not approved yet gives no link');
select is((select array_agg(coalesce(join_url, '-')) from public.zoom_join_info(pg_temp.soon())), array['-'],
  'nor does zoom_join_info (its one row has no link)');
select tests.authenticate_as_service_role();
select is((select row(registrant_id, approved)::text from public.zoom_begin_approval(pg_temp.soon(), tests.user_id('ent@t'))),
  row('reg-ent', false)::text, 'a retry approves the stored registrant');
select throws_ok($$ select public.zoom_registrant_approved(pg_temp.soon(), tests.user_id('ent@t'), 'reg-ent-again') $$, 'P0001',
  'the session''s meeting changed; try again', 'only the stored registrant is recorded approved');
select lives_ok($$ select public.zoom_registrant_approved(pg_temp.soon(), tests.user_id('ent@t'), 'reg-ent') $$,
  'Zoom approved it');
select is((select row(registrant_id, approved)::text from public.zoom_begin_approval(pg_temp.soon(), tests.user_id('ent@t'))),
  row('reg-ent', true)::text, 'an approved registrant needs no new approval');
select tests.clear_authentication();
select is((select status from private.zoom_registrants where registrant_id = 'reg-ent'), 'approved', 'and stays approved');

select tests.authenticate_as('ent@t');
select is(public.session_join_link(pg_temp.soon()), 'https://zoom.us/w/82000000001?tk=ent-token',
  'the registrant''s join link is their personal one, once approved');
select is((select join_url from public.zoom_join_info(pg_temp.soon())), 'https://zoom.us/w/82000000001?tk=ent-token',
  'and zoom_join_info returns it without a new registrant');
select tests.authenticate_as('own@t');
select is(public.session_join_link(pg_temp.soon()), 'https://zoom.us/j/82000000001?pwd=general', 'the host keeps the meeting''s link');

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
select tests.authenticate_as('own@t');
select throws_ok($$ select * from public.zoom_join_info(pg_temp.later()) $$, 'PT404',
  'no meeting has been set up for this session yet', 'zoom_join_info before the meeting exists');
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

-- A new meeting for a session forgets the old meeting's registrants.
select tests.authenticate_as_service_role();
select public.zoom_save_meeting(pg_temp.later(), 82000000002, 'https://zoom.us/j/82000000002');
select tests.clear_authentication();
select is((select count(*) from private.zoom_registrants r join public.live_sessions s on s.id = r.session_id where s.title = 'Zoom later'),
  1::bigint, 'saving the same meeting again keeps its registrants');
select tests.authenticate_as_service_role();
select public.zoom_save_meeting(pg_temp.later(), 82000000003, 'https://zoom.us/j/82000000003');
select public.zoom_forget_meeting(pg_temp.soon());
select tests.clear_authentication();
select is((select count(*) from private.zoom_registrants r join public.live_sessions s on s.id = r.session_id where s.title = 'Zoom later'),
  0::bigint, 'a new meeting drops the old registrants');
select is((select count(*) from private.zoom_registrants where session_id = pg_temp.soon()), 0::bigint,
  'forgetting a meeting drops its registrants');
select is((select array_agg(j.action || ' ' || j.registrant_id || ' ' || j.meeting_id || ' ' || j.status) from private.zoom_sync_jobs j),
  array['cancel reg-drip-later 82000000002 pending'],
  'the revocation queued the cancellation of the student''s registrant at Zoom, once; forgetting a meeting queued nothing');

-- ---------------------------------------------------------------- the zoom-sync queue
update private.zoom_sync_jobs set status = 'done' where status in ('pending', 'running');
select tests.create_user('s1@t');
select tests.create_user('s2@t');
select tests.create_user('s3@t');
insert into public.entitlements (user_id, course_id, source)
  select tests.user_id(e), tests.course_id('course-a'), 'grant' from unnest(array['s1@t', 's2@t', 's3@t']) e;
select tests.authenticate_as('own@t');
insert into public.live_sessions (course_id, title, starts_at, is_published)
values (tests.course_id('course-a'), 'Zoom sync', now() + interval '10 minutes', true);
select tests.clear_authentication();
insert into sid select title, id from public.live_sessions where title = 'Zoom sync';
create function pg_temp.sync() returns uuid language sql as $$ select id from sid where title = 'Zoom sync' $$;
grant execute on function pg_temp.sync() to authenticated, service_role;
select tests.authenticate_as_service_role();
select public.zoom_save_meeting(pg_temp.sync(), 83000000001, 'https://zoom.us/j/83000000001');
select tests.clear_authentication();
insert into private.zoom_registrants (session_id, user_id, registrant_id, join_url, status, status_at)
  select pg_temp.sync(), tests.user_id(e), 'reg-' || e, 'https://zoom.us/w/83000000001?tk=' || e, 'approved', now() - interval '1 hour'
  from unnest(array['s1@t', 's2@t', 's3@t']) e;
create function pg_temp.jobs() returns text[] language sql as $$
  select coalesce(array_agg(j.registrant_id || ' ' || j.status order by j.registrant_id, j.created_at, j.status), '{}')
  from private.zoom_sync_jobs j where j.session_id = pg_temp.sync()
$$;
grant execute on function pg_temp.jobs() to authenticated, service_role;

-- Nobody but the service reaches the queue.
select ok(not has_table_privilege('service_role', 'private.zoom_sync_jobs', 'select')
  and not has_table_privilege('authenticated', 'private.zoom_sync_jobs', 'select')
  and not has_table_privilege('anon', 'private.zoom_sync_jobs', 'select'), 'the queue has no grants');
select ok(has_function_privilege('service_role', 'public.claim_zoom_sync(integer, integer, text)', 'execute')
  and has_function_privilege('service_role', 'public.complete_zoom_sync(uuid, text)', 'execute')
  and has_function_privilege('service_role', 'public.fail_zoom_sync(uuid, text, integer)', 'execute')
  and not has_function_privilege('authenticated', 'public.claim_zoom_sync(integer, integer, text)', 'execute')
  and not has_function_privilege('authenticated', 'public.complete_zoom_sync(uuid, text)', 'execute')
  and not has_function_privilege('authenticated', 'public.fail_zoom_sync(uuid, text, integer)', 'execute')
  and not has_function_privilege('anon', 'public.claim_zoom_sync(integer, integer, text)', 'execute')
  and not has_function_privilege('anon', 'public.complete_zoom_sync(uuid, text)', 'execute')
  and not has_function_privilege('anon', 'public.fail_zoom_sync(uuid, text, integer)', 'execute'),
  'claiming and recording are granted to service_role alone');
select tests.authenticate_as('s1@t');
select throws_ok($$ select * from public.claim_zoom_sync() $$, '42501', 'permission denied for function claim_zoom_sync',
  'a student cannot claim jobs');
select throws_ok($$ select * from private.zoom_sync_jobs $$, '42501', 'permission denied for schema private',
  'nor read the queue');
select tests.authenticate_as_anon();
select throws_ok($$ select public.complete_zoom_sync(gen_random_uuid(), 'cancelled') $$, '42501',
  'permission denied for function complete_zoom_sync', 'anon cannot record outcomes');

-- A student cancels; their registrant is queued for cancellation in the same transaction.
select tests.authenticate_as('s1@t');
select ok(public.cancel_registration(pg_temp.sync()), 's1 cancels their registration');
select tests.clear_authentication();
select is(pg_temp.jobs(), array['reg-s1@t pending'], 'cancel_registration queued the cancellation of their Zoom registrant');
select is((select row(action, meeting_id, user_id)::text from private.zoom_sync_jobs where registrant_id = 'reg-s1@t'),
  row('cancel', 83000000001::bigint, tests.user_id('s1@t'))::text, 'with the meeting and the user');

-- Registered again before the drain: the cancellation is obsolete and never reaches Zoom.
select tests.authenticate_as('s1@t');
select ok(public.register_for_session(pg_temp.sync()), 's1 registers again');
select tests.authenticate_as_service_role();
select is((select count(*) from public.claim_zoom_sync(10, 60, 'w1')), 0::bigint, 'nothing to claim');
select tests.clear_authentication();
select is(pg_temp.jobs(), array['reg-s1@t obsolete'], 'the job is obsolete');
select is((select status from private.zoom_registrants where registrant_id = 'reg-s1@t'), 'approved', 'and s1 keeps an approved link');
select tests.authenticate_as('s1@t');
select is(public.session_join_link(pg_temp.sync()), 'https://zoom.us/w/83000000001?tk=s1@t', 'which is handed out');

-- Cancelled again: a new job; claimed once, leased, retried with backoff, then completed.
select public.cancel_registration(pg_temp.sync());
select public.cancel_registration(pg_temp.sync());
select tests.clear_authentication();
select is(pg_temp.jobs(), array['reg-s1@t obsolete', 'reg-s1@t pending'], 'cancelling again queues one new job');
select tests.authenticate_as_service_role();
create temporary table claimed on commit drop as select * from public.claim_zoom_sync(10, 60, 'w1');
grant select on claimed to service_role;
select is((select row(action, meeting_id, registrant_id, attempts)::text from claimed),
  row('cancel', 83000000001::bigint, 'reg-s1@t', 1)::text, 'the drain claims it');
select is((select count(*) from public.claim_zoom_sync(10, 60, 'w2')), 0::bigint, 'a second drain does not get it while it is leased');
select is(public.fail_zoom_sync((select id from claimed), 'zoom_error: Zoom answered 500.'), 'pending', 'a failure hands it back');
select is(public.fail_zoom_sync((select id from claimed), 'again'), null, 'only once');
select is((select count(*) from public.claim_zoom_sync(10, 60, 'w1')), 0::bigint, 'not before its backoff');
select tests.clear_authentication();
select is((select row(attempts, last_error, next_attempt_at between now() + interval '29 seconds' and now() + interval '31 seconds')::text
  from private.zoom_sync_jobs where id = (select id from claimed)), row(1, 'zoom_error: Zoom answered 500.', true)::text,
  'the first retry waits 30 seconds');
update private.zoom_sync_jobs set next_attempt_at = now() - interval '1 second' where id = (select id from claimed);
select tests.authenticate_as_service_role();
select is((select attempts from public.claim_zoom_sync(10, 60, 'w1')), 2, 'then it is claimed again');
select throws_ok(format($$ select public.complete_zoom_sync(%L, 'done') $$, (select id from claimed)), '22023',
  'outcome must be cancelled or gone', 'an outcome is cancelled or gone');
select is(public.complete_zoom_sync((select id from claimed), 'cancelled'), true, 'Zoom cancelled it');
select is(public.complete_zoom_sync((select id from claimed), 'cancelled'), false, 'recorded once');
select tests.clear_authentication();
select is((select row(status, outcome)::text from private.zoom_sync_jobs where id = (select id from claimed)),
  row('done', 'cancelled')::text, 'the job is done');
select is((select status from private.zoom_registrants where registrant_id = 'reg-s1@t'), 'cancelled', 'the registrant is cancelled');
select tests.authenticate_as('s1@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sync()), '42501',
  'register for this session first', 's1 gets no link');

-- Registered again after Zoom cancelled: zoom-join approves the same registrant again.
select public.register_for_session(pg_temp.sync());
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sync()), 'P0001',
  'your personal join link is not ready yet', 'the cancelled registrant''s link is not handed out');
select tests.authenticate_as_service_role();
select is((select row(registrant_id, approved)::text from public.zoom_begin_approval(pg_temp.sync(), tests.user_id('s1@t'))),
  row('reg-s1@t', false)::text, 'zoom-join approves the same registrant again');

-- Zoom gone (404), and the dead letter.
select tests.authenticate_as('s2@t');
select public.cancel_registration(pg_temp.sync());
select tests.authenticate_as_service_role();
drop table claimed;
create temporary table claimed on commit drop as select * from public.claim_zoom_sync(10, 60, 'w1');
grant select on claimed to service_role;
select is((select registrant_id from claimed), 'reg-s2@t', 's2''s cancellation is claimed');
select is(public.complete_zoom_sync((select id from claimed), 'gone'), true, 'Zoom no longer knows the registrant: done');
select tests.authenticate_as('s3@t');
select public.cancel_registration(pg_temp.sync());
select tests.clear_authentication();
update private.zoom_sync_jobs set max_attempts = 2, attempts = 1 where registrant_id = 'reg-s3@t';
select tests.authenticate_as_service_role();
drop table claimed;
create temporary table claimed on commit drop as select * from public.claim_zoom_sync(10, 60, 'w1');
grant select on claimed to service_role;
select is(public.fail_zoom_sync((select id from claimed), 'zoom_auth_failed: Zoom refused our access token.'), 'dead',
  'after max_attempts, the job is dead-lettered');
select tests.clear_authentication();
select is((select count(*) from public.notifications n where n.user_id = tests.user_id('admin@t') and n.kind = 'system_alert'
  and n.data ->> 'registrant_id' = 'reg-s3@t'), 1::bigint, 'and the admins are alerted');
select is(pg_temp.jobs(), array['reg-s1@t done', 'reg-s1@t obsolete', 'reg-s2@t done', 'reg-s3@t dead'], 'the queue');

-- The safety net: an approval that reached Zoom after the registrant was cancelled.
update private.zoom_registrants set status = 'approved', status_at = now() where registrant_id = 'reg-s2@t';
update private.zoom_registrants set status = 'approving', status_at = now() - interval '1 minute' where registrant_id = 'reg-s1@t';
select tests.authenticate_as('s1@t');
select public.cancel_registration(pg_temp.sync());
select tests.authenticate_as_service_role();
drop table claimed;
create temporary table claimed on commit drop as select * from public.claim_zoom_sync(10, 60, 'w1');
grant select on claimed to service_role;
select is((select array_agg(registrant_id order by registrant_id) from claimed), array['reg-s1@t', 'reg-s2@t'],
  's1''s cancellation, and s2''s registrant approved after its cancellation, queued again; s3''s dead job is left alone');
select is((select count(*) from claimed c where public.complete_zoom_sync(c.id, 'cancelled')), 2::bigint, 'Zoom cancels both');
select tests.clear_authentication();
select is((select array_agg(status order by registrant_id) from private.zoom_registrants where registrant_id in ('reg-s1@t', 'reg-s2@t')),
  array['approving', 'approved'],
  'an approval begun within the window, or recorded after the claim, may have landed after the cancellation: neither is recorded cancelled');
select tests.authenticate_as_service_role();
drop table claimed;
create temporary table claimed on commit drop as select * from public.claim_zoom_sync(10, 60, 'w1');
grant select on claimed to service_role;
select is((select array_agg(registrant_id) from claimed), array['reg-s2@t'],
  's2 is queued again at once; s1 not while its approval window lasts');
select is(public.complete_zoom_sync((select id from claimed), 'cancelled'), true, 'Zoom cancels s2 again');
select tests.clear_authentication();
update private.zoom_registrants set status_at = now() - interval '1 hour' where registrant_id = 'reg-s2@t';
update private.zoom_registrants set status_at = now() - interval '3 minutes' where registrant_id = 'reg-s1@t';
select tests.authenticate_as_service_role();
drop table claimed;
create temporary table claimed on commit drop as select * from public.claim_zoom_sync(10, 60, 'w1');
grant select on claimed to service_role;
select is((select array_agg(registrant_id order by registrant_id) from claimed), array['reg-s1@t', 'reg-s2@t'],
  'once the approval window has passed, both are queued');
select is((select count(*) from claimed c where public.complete_zoom_sync(c.id, 'cancelled')), 2::bigint, 'and cancelled');
select tests.clear_authentication();
select is((select array_agg(status order by registrant_id) from private.zoom_registrants where session_id = pg_temp.sync()),
  array['cancelled', 'cancelled', 'approved'],
  'Zoom and the database agree: s1 and s2 cancelled, s3 (dead-lettered, the admins alerted) approved as far as we know');

-- A deleted user's registrant is cancelled too; a session's new meeting cancels the old one's.
insert into private.zoom_registrants (session_id, user_id, registrant_id, join_url, status)
  values (pg_temp.sync(), tests.user_id('ent@t'), 'reg-ent-sync', 'https://zoom.us/w/83000000001?tk=ent', 'approved');
update private.zoom_sync_jobs set status = 'done' where status in ('pending', 'running');
delete from auth.users where email in ('s1@t', 'ent@t');
select is((select array_agg(registrant_id || ' ' || meeting_id) from private.zoom_sync_jobs where status = 'pending'),
  array['reg-ent-sync 83000000001'], 'a deleted user''s approved registrant is queued for cancellation (a cancelled one is not)');
select tests.authenticate_as_service_role();
select public.zoom_save_meeting(pg_temp.sync(), 83000000002, 'https://zoom.us/j/83000000002');
select tests.clear_authentication();
select is((select array_agg(registrant_id || ' ' || meeting_id order by registrant_id) from private.zoom_sync_jobs where status = 'pending'),
  array['reg-ent-sync 83000000001', 'reg-s3@t 83000000001'],
  'a new meeting queues the cancellation of the old meeting''s registrants Zoom may still hold (s2''s is cancelled)');

-- pg_cron starts the drain every minute (private.call_edge_function: the jobs migration).
select is((select row(schedule, command)::text from cron.job where jobname = 'zoom-sync'),
  row('* * * * *', 'select private.call_edge_function(''zoom-sync'')')::text, 'pg_cron starts the drain every minute');

select * from finish();
rollback;
