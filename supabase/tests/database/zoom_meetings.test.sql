-- Zoom meetings: who may manage a meeting (zoom_session), the service-only writers (meeting,
-- registrants, the cached token), personal join links (Zoom registrants, approved before they are
-- handed out), the link session_join_link() and zoom_join_info() give each caller, and a new or
-- forgotten meeting dropping its registrants.
begin;
select plan(54);
select tests.catalog_fixture();
-- 'Zoom class': own@t's session of course-a's lesson l1, in a day; z (id) names it.
select tests.zoom_class_fixture();

select ok(not has_function_privilege('authenticated', 'public.zoom_save_meeting(uuid, bigint, text)', 'execute')
  and not has_function_privilege('authenticated', 'public.zoom_apply_event(text, text, bigint, timestamptz, jsonb, integer)', 'execute')
  and not has_function_privilege('authenticated', 'public.zoom_cached_token(text)', 'execute'), 'Zoom writers and tokens are service-only');
select ok(not has_function_privilege('anon', 'public.zoom_session(uuid)', 'execute'), 'anon cannot look up sessions for Zoom');
select ok(not has_table_privilege('service_role', 'private.zoom_tokens', 'select'), 'tokens are not even readable through the API');
select ok(not has_schema_privilege('authenticated', 'private', 'usage')
  and not has_table_privilege('authenticated', 'private.zoom_meetings', 'select'), 'Zoom state is unreachable');

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

-- ---------------------------------------------------------------- personal join links (registrants)
select tests.clear_authentication();
-- 'Zoom soon': own@t's session of lesson l2, in 10 minutes, with its Zoom meeting 82000000001;
-- sid (title, id) holds the sessions, pg_temp.soon() and pg_temp.later() ('Zoom later', below) their ids.
select tests.zoom_soon_fixture();

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

-- ---------------------------------------------------------------- a standalone webinar's link: the registrant's own, the host's the meeting's
select tests.authenticate_as('own@t');
insert into public.live_sessions (title, starts_at, capacity, is_published, timezone)
  values ('Free webinar', now() + interval '10 minutes', 2, true, 'Europe/Paris');
insert into public.live_sessions (course_id, title, starts_at, is_published)
  values (tests.course_id('course-a'), 'Course live Q&A', now() + interval '3 days', true);
select tests.clear_authentication();
insert into sid select title, id from public.live_sessions where title in ('Free webinar', 'Course live Q&A');
create function pg_temp.sid(t text) returns uuid language sql as $$ select id from sid where title = t $$;
grant execute on function pg_temp.sid(text) to authenticated, service_role;
insert into private.zoom_meetings (session_id, meeting_id, join_url)
  values (pg_temp.sid('Free webinar'), 85012345678, 'https://zoom.us/j/85012345678?pwd=abc');
select tests.authenticate_as('none@t');
select public.register_for_session(pg_temp.sid('Free webinar'));
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Free webinar')), 'P0001',
  'your personal join link is not ready yet', '10 minutes before the start, a registrant without a Zoom registrant is sent to zoom-join');
select tests.clear_authentication();
insert into private.zoom_registrants (session_id, user_id, registrant_id, join_url, status)
  values (pg_temp.sid('Free webinar'), tests.user_id('none@t'), 'reg-none', 'https://zoom.us/w/85012345678?tk=none', 'approved');
select tests.authenticate_as('none@t');
select is(public.session_join_link(pg_temp.sid('Free webinar')), 'https://zoom.us/w/85012345678?tk=none',
  'then gets their personal link, once Zoom approved it');
select tests.authenticate_as('own@t');
select is(public.session_join_link(pg_temp.sid('Free webinar')), 'https://zoom.us/j/85012345678?pwd=abc', 'the host does');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Course live Q&A')), 'PT404',
  'no meeting has been set up for this session yet', 'no meeting yet: not found');

-- ---------------------------------------------------------------- a session's meeting replaced, or forgotten
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

-- ---------------------------------------------------------------- the meeting and its links (private helpers)
-- require_meeting (no_meeting before a host sets one up) and meeting_link (what a join role
-- gives a user), shared by session_join_link() and zoom_join_info().
select ok(not has_function_privilege('anon', 'private.require_meeting(uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.require_meeting(uuid)', 'execute')
  and not has_function_privilege('anon', 'private.meeting_link(private.zoom_meetings, text, uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.meeting_link(private.zoom_meetings, text, uuid)', 'execute'),
  'the meeting helpers are not callable by clients');
select tests.authenticate_as('own@t');
insert into public.live_sessions (course_id, title, starts_at, is_published)
values (tests.course_id('course-a'), 'Zoom helpers', now() + interval '1 day', true);
select tests.clear_authentication();
insert into sid select title, id from public.live_sessions where title = 'Zoom helpers';
select throws_ok(format($$ select private.require_meeting(%L) $$, (select id from sid where title = 'Zoom helpers')),
  'PT404', 'no meeting has been set up for this session yet', 'require_meeting: no meeting yet');
select tests.authenticate_as_service_role();
select public.zoom_save_meeting((select id from sid where title = 'Zoom helpers'), 84000000001, 'https://zoom.us/j/84000000001');
select tests.clear_authentication();
insert into private.zoom_registrants (session_id, user_id, registrant_id, join_url, status)
select s.id, tests.user_id(u), 'reg-helpers-' || u, 'https://zoom.us/w/84000000001?tk=' || u, st
from sid s, (values ('ent@t', 'approved'), ('drip@t', 'approving')) v (u, st) where s.title = 'Zoom helpers';
select is((private.require_meeting((select id from sid where title = 'Zoom helpers'))).meeting_id, 84000000001::bigint,
  'require_meeting returns the session''s meeting');
select is(array(select private.meeting_link(private.require_meeting(s.id), v.role, tests.user_id(v.u))
                from sid s, (values (1, 'host', 'own@t'), (2, 'attendee', 'ent@t'), (3, 'attendee', 'drip@t'),
                                    (4, 'attendee', 'other@t')) v (n, role, u)
                where s.title = 'Zoom helpers' order by v.n),
  array['https://zoom.us/j/84000000001', 'https://zoom.us/w/84000000001?tk=ent@t', null, null],
  'meeting_link: the meeting''s link for a host; an attendee''s approved registrant link; none while approving or without a registrant');

select * from finish();
rollback;
