-- Live sessions: listing, registration (capacity, course access, paid), join links, hosts,
-- automatic registration, notices and reminders.
begin;
select plan(80);
select tests.catalog_fixture();

-- Sessions created by the course owner (as the app would, through RLS)
select tests.authenticate_as('own@t');
insert into public.live_sessions (title, starts_at, capacity, is_published, timezone)
  values ('Free webinar', now() + interval '2 days', 2, true, 'Europe/Paris');
insert into public.live_sessions (course_id, title, starts_at, is_published)
  values (tests.course_id('course-a'), 'Course live Q&A', now() + interval '3 days', true);
insert into public.live_sessions (title, starts_at, is_published, is_free)
  values ('Paid masterclass', now() + interval '4 days', true, false);
insert into public.live_sessions (title, starts_at) values ('Draft session', now() + interval '5 days');
select tests.clear_authentication();
create temporary table sid as select title, id from public.live_sessions where created_by = tests.user_id('own@t');
grant select on sid to anon, authenticated, service_role;
create function pg_temp.sid(t text) returns uuid language sql as $$ select id from sid where title = t $$;
grant execute on function pg_temp.sid(text) to anon, authenticated, service_role;
insert into private.zoom_meetings (session_id, meeting_id, join_url)
  values (pg_temp.sid('Free webinar'), 85012345678, 'https://zoom.us/j/85012345678?pwd=abc');

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('authenticated', 'public.live_session_registrations', 'insert')
  and not has_table_privilege('authenticated', 'public.live_session_registrations', 'update'), 'registrations: no direct writes');
select ok(not has_column_privilege('authenticated', 'public.live_sessions', 'registered_count', 'update'),
  'registered_count is not editable');
select ok(not has_schema_privilege('authenticated', 'private', 'usage')
  and not has_table_privilege('authenticated', 'private.zoom_meetings', 'select'), 'Zoom state is unreachable');
select ok(not has_function_privilege('authenticated', 'public.grant_session_registration(uuid, uuid, text)', 'execute'),
  'paid seats are granted by the service only');
select hasnt_column('public', 'live_sessions', 'start_url', 'no host start link is stored on sessions');

-- ---------------------------------------------------------------- listing
select tests.authenticate_as_anon();
select is((select array_agg(title order by title) from public.live_sessions where id in (select id from sid)),
  array['Course live Q&A', 'Free webinar', 'Paid masterclass'], 'anon lists published sessions');
select tests.authenticate_as('none@t');
select ok(not exists (select 1 from public.live_sessions where title = 'Draft session'), 'students do not see drafts');
select is((select count(*) from public.live_session_hosts where session_id = pg_temp.sid('Draft session')), 0::bigint,
  'nor who hosts them');
select tests.authenticate_as_anon();
select is((select count(*) from public.live_session_hosts where session_id = pg_temp.sid('Draft session')), 0::bigint,
  'nor does anon');
select tests.authenticate_as('own@t');
select ok(exists (select 1 from public.live_sessions where title = 'Draft session'), 'the host sees their draft');
select is((select array_agg(user_id) from public.live_session_hosts where session_id = pg_temp.sid('Free webinar')),
  array[tests.user_id('own@t')], 'the creator hosts the session');

-- ---------------------------------------------------------------- who may create and edit
select tests.authenticate_as('none@t');
select throws_ok($$ insert into public.live_sessions (title, starts_at) values ('Student session', now() + interval '1 day') $$,
  '42501', 'new row violates row-level security policy for table "live_sessions"', 'a student cannot create sessions');
select tests.authenticate_as('other@t');
select throws_ok(format($$ insert into public.live_sessions (course_id, title, starts_at) values (%L, 'Hijack', now() + interval '1 day') $$,
  tests.course_id('course-a')),
  '42501', 'new row violates row-level security policy for table "live_sessions"', 'another instructor cannot create sessions for this course');
select is(tests.affected_rows($q$ update public.live_sessions set title = 'Hijacked' where title = 'Free webinar' $q$), 0::bigint,
  'another instructor cannot edit the session');
select tests.authenticate_as('own@t');
select throws_ok($$ insert into public.live_sessions (title, starts_at, timezone) values ('Bad tz', now(), 'Mars/Base') $$,
  '22023', 'unknown time zone "Mars/Base"', 'an unknown time zone is refused');
select throws_ok($$ insert into public.live_sessions (title, starts_at, timezone) values ('Bad tz', now(), repeat('z', 1000000)) $$,
  '22023', format('unknown time zone "%s…"', repeat('z', 64)), 'a 1 MB time zone is refused without echoing it whole');
select throws_ok($$ update public.live_sessions set registered_count = 0 where title = 'Free webinar' $$,
  '42501', 'permission denied for table live_sessions', 'the host cannot reset the registration count');

-- ---------------------------------------------------------------- the helpers: managed_session_ids, can_manage_session
select tests.clear_authentication();
create function pg_temp.claims(email text) returns void language sql as $$
  select set_config('request.jwt.claims', case when email is null then '' else tests.claims_for(tests.user_id(email))::text end, true)
$$;
create function pg_temp.managed() returns text[] language sql as $$
  select coalesce(array_agg(sid.title order by sid.title), '{}') from sid where sid.id in (select private.managed_session_ids())
$$;
select ok(has_function_privilege('authenticated', 'private.managed_session_ids()', 'execute')
  and not has_function_privilege('anon', 'private.managed_session_ids()', 'execute')
  and not has_function_privilege('public', 'private.managed_session_ids()', 'execute'), 'managed_session_ids(): authenticated only');
select ok(has_function_privilege('authenticated', 'private.can_manage_session(uuid, uuid)', 'execute')
  and not has_function_privilege('anon', 'private.can_manage_session(uuid, uuid)', 'execute')
  and not has_function_privilege('public', 'private.can_manage_session(uuid, uuid)', 'execute'), 'can_manage_session(): authenticated only');
select pg_temp.claims(null);
select is(pg_temp.managed(), '{}'::text[], 'managed_session_ids: anon, none');
select pg_temp.claims('none@t');
select is(pg_temp.managed(), '{}'::text[], 'a student without access: none');
select pg_temp.claims('ent@t');
select is(pg_temp.managed(), '{}'::text[], 'an entitled student: none (their course''s session is not theirs to run)');
select pg_temp.claims('own@t');
select is(pg_temp.managed(), array['Course live Q&A', 'Draft session', 'Free webinar', 'Paid masterclass'],
  'the course''s instructor, host of them all: every one');
select pg_temp.claims('other@t');
select is(pg_temp.managed(), '{}'::text[], 'another course''s instructor: none');
select pg_temp.claims('admin@t');
select is((select count(*) from private.managed_session_ids()), (select count(*) from public.live_sessions), 'an admin: every session');
insert into public.course_instructors (course_id, user_id) values (tests.course_id('course-a'), tests.user_id('other@t'));
select pg_temp.claims('other@t');
select is(pg_temp.managed(), array['Course live Q&A'], 'a co-instructor of the course, not its host: the course''s session only');
select tests.clear_authentication();
delete from public.course_instructors where course_id = tests.course_id('course-a') and user_id = tests.user_id('other@t');
select pg_temp.claims('other@t');
select is(pg_temp.managed(), '{}'::text[], 'and none once removed from the course');
-- to create one (no session yet): for a course, its staff; standalone, instructors
select is(array[private.can_manage_session(tests.course_id('course-a'), null), private.can_manage_session(null, null),
                private.can_manage_session(tests.course_id('course-a'), pg_temp.sid('Course live Q&A'))],
  array[false, true, false], 'can_manage_session, another course''s instructor: a standalone session only');
select pg_temp.claims('own@t');
select is(array[private.can_manage_session(tests.course_id('course-a'), null), private.can_manage_session(null, null),
                private.can_manage_session(tests.course_id('course-a'), pg_temp.sid('Course live Q&A'))],
  array[true, true, true], 'the course''s instructor: all three');
select pg_temp.claims('ent@t');
select is(array[private.can_manage_session(tests.course_id('course-a'), null), private.can_manage_session(null, null),
                private.can_manage_session(tests.course_id('course-a'), pg_temp.sid('Course live Q&A'))],
  array[false, false, false], 'an entitled student: none');
select pg_temp.claims('none@t');
select is(private.can_manage_session(null, pg_temp.sid('Free webinar')), false, 'a student without access: none');
select pg_temp.claims(null);
select is(private.can_manage_session(null, null), false, 'anon: none');
select pg_temp.claims('admin@t');
select is(array[private.can_manage_session(tests.course_id('course-b'), null), private.can_manage_session(null, null),
                private.can_manage_session(null, pg_temp.sid('Free webinar'))],
  array[true, true, true], 'an admin: all');
select tests.clear_authentication();

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

-- ---------------------------------------------------------------- who sees registrations
select tests.authenticate_as('none@t');
select is((select count(*) from public.live_session_registrations where user_id <> auth.uid()), 0::bigint,
  'a student sees only their own registrations');
select tests.authenticate_as('own@t');
select ok((select count(*) from public.live_session_registrations where session_id = pg_temp.sid('Free webinar')) = 3,
  'the host sees the session''s registrations (including cancelled)');
select tests.authenticate_as('other@t');
select is((select count(*) from public.live_session_registrations where session_id = pg_temp.sid('Course live Q&A')), 0::bigint,
  'another instructor sees none');

-- ---------------------------------------------------------------- join link window
select tests.authenticate_as('none@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Free webinar')),
  'P0001', 'the join link opens 15 minutes before the start', 'two days ahead, the join link is not open yet');
select tests.clear_authentication();
update public.live_sessions set starts_at = now() + interval '10 minutes' where id = pg_temp.sid('Free webinar');
select tests.authenticate_as('none@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Free webinar')), 'P0001',
  'your personal join link is not ready yet', '10 minutes before the start, a registrant without a Zoom registrant is sent to zoom-join');
select tests.clear_authentication();
insert into private.zoom_registrants (session_id, user_id, registrant_id, join_url, status)
  values (pg_temp.sid('Free webinar'), tests.user_id('none@t'), 'reg-none', 'https://zoom.us/w/85012345678?tk=none', 'approved');
select tests.authenticate_as('none@t');
select is(public.session_join_link(pg_temp.sid('Free webinar')), 'https://zoom.us/w/85012345678?tk=none',
  'then gets their personal link, once Zoom approved it');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Free webinar')),
  '42501', 'register for this session first', 'someone not registered does not');
select tests.authenticate_as('own@t');
select is(public.session_join_link(pg_temp.sid('Free webinar')), 'https://zoom.us/j/85012345678?pwd=abc', 'the host does');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Course live Q&A')), 'PT404',
  'no meeting has been set up for this session yet', 'no meeting yet: not found');
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

-- ---------------------------------------------------------------- a co-instructor removed mid-course stops hosting
select tests.authenticate_as('own@t');
select is(public.add_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), true,
  'the owner adds a co-instructor');
select tests.authenticate_as('other@t');
insert into public.live_sessions (course_id, title, starts_at, is_published)
  values (tests.course_id('course-a'), 'Co-taught', now() + interval '3 days', true);
insert into public.live_sessions (course_id, title, starts_at, is_published)
  values (tests.course_id('course-b'), 'Own course class', now() + interval '3 days', true);
select tests.clear_authentication();
insert into sid select title, id from public.live_sessions where title in ('Co-taught', 'Own course class');
insert into private.zoom_meetings (session_id, meeting_id, join_url)
  values (pg_temp.sid('Co-taught'), 85012345679, 'https://zoom.us/j/85012345679');
select tests.authenticate_as('other@t');
select is(public.session_join_link(pg_temp.sid('Co-taught')), 'https://zoom.us/j/85012345679',
  'the co-instructor hosts the session they created: join link');
select is((select title from public.zoom_session(pg_temp.sid('Co-taught'))), 'Co-taught', 'and its meeting');
select tests.authenticate_as('own@t');
select is(public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t')), true,
  'the owner removes the co-instructor');
select tests.clear_authentication();
select is((select count(*) from public.live_session_hosts h join public.live_sessions s on s.id = h.session_id
  where h.user_id = tests.user_id('other@t') and s.course_id = tests.course_id('course-a')), 0::bigint,
  'they no longer host any session of that course');
select ok(exists (select 1 from public.live_session_hosts where session_id = pg_temp.sid('Own course class')
  and user_id = tests.user_id('other@t')), 'but still host the sessions of their own course');
select tests.authenticate_as('other@t');
select throws_ok(format($$ select public.session_join_link(%L) $$, pg_temp.sid('Co-taught')), '42501',
  'this session is for students of its course', 'the removed co-instructor gets no join link');
select throws_ok(format($$ select * from public.zoom_session(%L) $$, pg_temp.sid('Co-taught')), '42501',
  'only the session''s hosts, its course''s instructors and admins manage its meeting', 'nor manages the meeting');
select is(tests.affected_rows(format($q$ update public.live_sessions set title = 'Taken along' where id = %L $q$,
  pg_temp.sid('Co-taught'))), 0::bigint, 'nor edits the session');
select tests.authenticate_as('own@t');
select lives_ok(format($$ select * from public.zoom_session(%L) $$, pg_temp.sid('Co-taught')),
  'the course owner still manages it');

select * from finish();
rollback;
