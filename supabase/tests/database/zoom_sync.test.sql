-- The zoom-sync queue: a cancelled registration (or a registrant row that goes away while its
-- meeting stays) queues the cancellation of the attendee's Zoom registrant; the service claims jobs
-- with a lease, records them done, retried with backoff or dead-lettered (admins alerted); a job
-- whose attendee registered again is obsolete; approvals racing with cancellations are caught.
begin;
select plan(48);
select tests.catalog_fixture();
create temporary table sid (title text, id uuid);
grant select on sid to authenticated, service_role;

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
-- As the service (the role it leaves the test in), claim due jobs as worker w1 does (up to 10, a
-- 60 s lease) into the temp table claimed, in place of the last claim's.
create function pg_temp.claim() returns void language plpgsql as $$
begin
  perform tests.authenticate_as_service_role();
  drop table if exists claimed;
  create temporary table claimed on commit drop as select * from public.claim_zoom_sync(10, 60, 'w1');
  grant select on claimed to service_role;
end $$;
grant execute on function pg_temp.claim() to authenticated, service_role;

-- Nobody but the service reaches the queue (grant checks alike in every file on purpose: each states its own).
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
select pg_temp.claim();
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
select pg_temp.claim();
select is((select registrant_id from claimed), 'reg-s2@t', 's2''s cancellation is claimed');
select is(public.complete_zoom_sync((select id from claimed), 'gone'), true, 'Zoom no longer knows the registrant: done');
select tests.authenticate_as('s3@t');
select public.cancel_registration(pg_temp.sync());
select tests.clear_authentication();
update private.zoom_sync_jobs set max_attempts = 2, attempts = 1 where registrant_id = 'reg-s3@t';
select pg_temp.claim();
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
select pg_temp.claim();
select is((select array_agg(registrant_id order by registrant_id) from claimed), array['reg-s1@t', 'reg-s2@t'],
  's1''s cancellation, and s2''s registrant approved after its cancellation, queued again; s3''s dead job is left alone');
select is((select count(*) from claimed c where public.complete_zoom_sync(c.id, 'cancelled')), 2::bigint, 'Zoom cancels both');
select tests.clear_authentication();
select is((select array_agg(status order by registrant_id) from private.zoom_registrants where registrant_id in ('reg-s1@t', 'reg-s2@t')),
  array['approving', 'approved'],
  'an approval begun within the window, or recorded after the claim, may have landed after the cancellation: neither is recorded cancelled');
select pg_temp.claim();
select is((select array_agg(registrant_id) from claimed), array['reg-s2@t'],
  's2 is queued again at once; s1 not while its approval window lasts');
select is(public.complete_zoom_sync((select id from claimed), 'cancelled'), true, 'Zoom cancels s2 again');
select tests.clear_authentication();
update private.zoom_registrants set status_at = now() - interval '1 hour' where registrant_id = 'reg-s2@t';
update private.zoom_registrants set status_at = now() - interval '3 minutes' where registrant_id = 'reg-s1@t';
select pg_temp.claim();
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

-- ---------------------------------------------------------------- queue_zoom_cancel (private helper)
-- How a cancellation is queued, by the triggers and the claim alike: one open job per registrant.
select ok(not has_function_privilege('anon', 'private.queue_zoom_cancel(uuid, uuid, bigint, text)', 'execute')
  and not has_function_privilege('authenticated', 'private.queue_zoom_cancel(uuid, uuid, bigint, text)', 'execute'),
  'queue_zoom_cancel is not callable by clients');
select private.queue_zoom_cancel(pg_temp.sync(), '00000000-0000-4000-8000-00000000a001', 83000000009, 'reg-helper');
select private.queue_zoom_cancel(pg_temp.sync(), '00000000-0000-4000-8000-00000000a001', 83000000009, 'reg-helper');
select is((select array_agg(j.action || ' ' || j.meeting_id || ' ' || j.status) from private.zoom_sync_jobs j
           where j.registrant_id = 'reg-helper'), array['cancel 83000000009 pending'],
  'queue_zoom_cancel queues a pending cancellation once while one is open');
update private.zoom_sync_jobs set status = 'done', done_at = now() where registrant_id = 'reg-helper';
select private.queue_zoom_cancel(pg_temp.sync(), '00000000-0000-4000-8000-00000000a001', 83000000009, 'reg-helper');
select is((select array_agg(j.status order by j.status) from private.zoom_sync_jobs j where j.registrant_id = 'reg-helper'),
  array['done', 'pending'], 'once the job is finished, a new cancellation can be queued');

select * from finish();
rollback;
