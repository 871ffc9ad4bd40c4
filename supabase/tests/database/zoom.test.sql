-- Zoom SQL: who may manage a meeting, the service-only writers, and the event ledger.
begin;
select plan(14);
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
select throws_ok($$ select * from public.zoom_session((select id from z)) $$, '42501', null, 'a registered student may not');
select tests.authenticate_as('other@t');
select throws_ok($$ select * from public.zoom_session((select id from z)) $$, '42501', null, 'another instructor may not');
select tests.authenticate_as('admin@t');
select lives_ok($$ select * from public.zoom_session((select id from z)) $$, 'an admin may');
select throws_ok($$ select * from public.zoom_session('00000000-0000-4000-8000-000000000000') $$, 'P0002', null, 'unknown session');

select tests.authenticate_as_service_role();
select lives_ok($$ select public.zoom_save_meeting((select id from z), 81234567890, 'https://zoom.us/j/81234567890') $$, 'the service stores the meeting');
select public.zoom_cache_token('acct', 'tok', 3600);
select is(public.zoom_cached_token('acct'), 'tok', 'a fresh token is served from the cache');
select public.zoom_cache_token('acct', 'old', 30);
select is(public.zoom_cached_token('acct'), null, 'a token about to expire is not');
select is(public.zoom_apply_event('k1', 'meeting.started', 81234567890, now()), 'applied', 'an event is applied');
select is(public.zoom_apply_event('k1', 'meeting.started', 81234567890, now()), 'duplicate', 'its replay is not');
select is(public.zoom_apply_event('k2', 'meeting.started', 99999, now()), 'ignored', 'an unknown meeting is ignored');

select * from finish();
rollback;
