-- Live sessions: listing, who may create and edit, the helpers managed_session_ids and
-- can_manage_session, who sees registrations, and a co-instructor removed mid-course who stops
-- hosting the course's sessions.
begin;
select plan(44);
select tests.catalog_fixture();
-- own@t's sessions, created through RLS as the app would: 'Free webinar' (2 seats), 'Course live
-- Q&A' (course-a), 'Paid masterclass', 'Draft session'; sid (title, id) and pg_temp.sid(title) name them.
select tests.live_sessions_fixture();

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('authenticated', 'public.live_session_registrations', 'insert')
  and not has_table_privilege('authenticated', 'public.live_session_registrations', 'update'), 'registrations: no direct writes');
select ok(not has_column_privilege('authenticated', 'public.live_sessions', 'registered_count', 'update'),
  'registered_count is not editable');
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
create function pg_temp.managed() returns text[] language sql as $$
  select coalesce(array_agg(sid.title order by sid.title), '{}') from sid where sid.id in (select private.managed_session_ids())
$$;
select ok(has_function_privilege('authenticated', 'private.managed_session_ids()', 'execute')
  and not has_function_privilege('anon', 'private.managed_session_ids()', 'execute')
  and not has_function_privilege('public', 'private.managed_session_ids()', 'execute'), 'managed_session_ids(): authenticated only');
select ok(has_function_privilege('authenticated', 'private.can_manage_session(uuid, uuid)', 'execute')
  and not has_function_privilege('anon', 'private.can_manage_session(uuid, uuid)', 'execute')
  and not has_function_privilege('public', 'private.can_manage_session(uuid, uuid)', 'execute'), 'can_manage_session(): authenticated only');
select tests.set_claims_of(null);
select is(pg_temp.managed(), '{}'::text[], 'managed_session_ids: anon, none');
select tests.set_claims_of('none@t');
select is(pg_temp.managed(), '{}'::text[], 'a student without access: none');
select tests.set_claims_of('ent@t');
select is(pg_temp.managed(), '{}'::text[], 'an entitled student: none (their course''s session is not theirs to run)');
select tests.set_claims_of('own@t');
select is(pg_temp.managed(), array['Course live Q&A', 'Draft session', 'Free webinar', 'Paid masterclass'],
  'the course''s instructor, host of them all: every one');
select tests.set_claims_of('other@t');
select is(pg_temp.managed(), '{}'::text[], 'another course''s instructor: none');
select tests.set_claims_of('admin@t');
select is((select count(*) from private.managed_session_ids()), (select count(*) from public.live_sessions), 'an admin: every session');
insert into public.course_instructors (course_id, user_id) values (tests.course_id('course-a'), tests.user_id('other@t'));
select tests.set_claims_of('other@t');
select is(pg_temp.managed(), array['Course live Q&A'], 'a co-instructor of the course, not its host: the course''s session only');
select tests.clear_authentication();
delete from public.course_instructors where course_id = tests.course_id('course-a') and user_id = tests.user_id('other@t');
select tests.set_claims_of('other@t');
select is(pg_temp.managed(), '{}'::text[], 'and none once removed from the course');
-- to create one (no session yet): for a course, its staff; standalone, instructors
select is(array[private.can_manage_session(tests.course_id('course-a'), null), private.can_manage_session(null, null),
                private.can_manage_session(tests.course_id('course-a'), pg_temp.sid('Course live Q&A'))],
  array[false, true, false], 'can_manage_session, another course''s instructor: a standalone session only');
select tests.set_claims_of('own@t');
select is(array[private.can_manage_session(tests.course_id('course-a'), null), private.can_manage_session(null, null),
                private.can_manage_session(tests.course_id('course-a'), pg_temp.sid('Course live Q&A'))],
  array[true, true, true], 'the course''s instructor: all three');
select tests.set_claims_of('ent@t');
select is(array[private.can_manage_session(tests.course_id('course-a'), null), private.can_manage_session(null, null),
                private.can_manage_session(tests.course_id('course-a'), pg_temp.sid('Course live Q&A'))],
  array[false, false, false], 'an entitled student: none');
select tests.set_claims_of('none@t');
select is(private.can_manage_session(null, pg_temp.sid('Free webinar')), false, 'a student without access: none');
select tests.set_claims_of(null);
select is(private.can_manage_session(null, null), false, 'anon: none');
select tests.set_claims_of('admin@t');
select is(array[private.can_manage_session(tests.course_id('course-b'), null), private.can_manage_session(null, null),
                private.can_manage_session(null, pg_temp.sid('Free webinar'))],
  array[true, true, true], 'an admin: all');
select tests.clear_authentication();

-- ---------------------------------------------------------------- who sees registrations
-- Registrations to see (registering: registrations.test.sql): two, and one cancelled.
select tests.authenticate_as('none@t');
select public.register_for_session(pg_temp.sid('Free webinar'));
select tests.authenticate_as('other@t');
select public.register_for_session(pg_temp.sid('Free webinar'));
select public.cancel_registration(pg_temp.sid('Free webinar'));
select tests.authenticate_as('drip@t');
select public.register_for_session(pg_temp.sid('Free webinar'));
select tests.authenticate_as('none@t');
select is((select count(*) from public.live_session_registrations where user_id <> auth.uid()), 0::bigint,
  'a student sees only their own registrations');
select tests.authenticate_as('own@t');
select ok((select count(*) from public.live_session_registrations where session_id = pg_temp.sid('Free webinar')) = 3,
  'the host sees the session''s registrations (including cancelled)');
select tests.authenticate_as('other@t');
select is((select count(*) from public.live_session_registrations where session_id = pg_temp.sid('Course live Q&A')), 0::bigint,
  'another instructor sees none');

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
