-- Chat channels: who reads which channel, who may post, direct channels (opened by a subscription
-- or between a student and their course's staff), read markers and mutes.
begin;
select plan(63);
select tests.chat_fixture();

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('authenticated', 'public.chat_channels', 'insert')
  and not has_table_privilege('authenticated', 'public.chat_channels', 'update')
  and not has_table_privilege('authenticated', 'public.chat_channels', 'delete'), 'clients cannot write channels');
select ok(not has_table_privilege('authenticated', 'public.chat_members', 'insert')
  and not has_table_privilege('authenticated', 'public.chat_members', 'update')
  and not has_table_privilege('authenticated', 'public.chat_members', 'delete'), 'nor member rows (read markers and mutes go through RPCs)');
select ok(not has_table_privilege('anon', 'public.chat_channels', 'select')
  and not has_table_privilege('anon', 'public.chat_members', 'select'), 'anon reads nothing of the chat');
select ok(has_function_privilege('authenticated', 'public.open_direct_channel(uuid)', 'execute')
  and has_function_privilege('authenticated', 'public.mark_chat_read(uuid, timestamptz)', 'execute')
  and has_function_privilege('authenticated', 'public.mute_chat_member(uuid, uuid, timestamptz)', 'execute'),
  'signed-in users call the channel RPCs');
select ok(not has_function_privilege('anon', 'public.open_direct_channel(uuid)', 'execute')
  and not has_function_privilege('anon', 'public.mark_chat_read(uuid, timestamptz)', 'execute')
  and not has_function_privilege('anon', 'public.mute_chat_member(uuid, uuid, timestamptz)', 'execute'),
  'anon does not');
select ok(not has_function_privilege('authenticated', 'private.chat_pair_linked(uuid, uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.ensure_direct_channel(uuid, uuid)', 'execute'),
  'users cannot ask about other pairs or make channels');

-- ---------------------------------------------------------------- course channels
select is((select count(*) from public.chat_channels where kind = 'course'), (select count(*) from public.courses),
  'every course has its channel');
select is(tests.chat_channel_id('course-a'), tests.course_id('course-a'), 'with the course''s id (its topic is channel:<course id>)');
select tests.authenticate_as('own@t');
select ok((tests.returned($q$ insert into public.courses (slug, title) values ('course-new', 'A brand new course')
  returning id $q$) -> 0 ->> 'id') is not null, 'an instructor creates a course (insert ... returning, as the API does) ...');
select is((select count(*) from public.chat_channels where course_id = tests.course_id('course-new')), 1::bigint,
  '... and reads its channel at once');

select tests.authenticate_as('ent@t');
select is((select array_agg(course_id) from public.chat_channels), array[tests.course_id('course-a')],
  'an entitled student reads the channel of their course, and no other');
select tests.authenticate_as('none@t');
select is((select count(*) from public.chat_channels), 0::bigint, 'a student without access reads no channel');
select tests.authenticate_as('own@t');
select set_eq($$ select course_id from public.chat_channels $$,
  $$ select id from public.courses where slug in ('course-a', 'course-draft', 'course-new') $$,
  'an instructor reads the channels of the courses they teach');
select tests.authenticate_as('other@t');
select is((select count(*) from public.chat_channels where id = tests.chat_channel_id('course-a')), 0::bigint,
  'another course''s instructor does not read it');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.chat_channels where kind = 'course'), (select count(*) from public.courses),
  'admins read every course channel');
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.chat_channels $$, '42501', 'permission denied for table chat_channels',
  'anon cannot read channels');

select tests.clear_authentication();
update public.entitlements set revoked_at = now() where user_id = tests.user_id('drip@t');
select tests.authenticate_as('drip@t');
select is((select count(*) from public.chat_channels), 0::bigint, 'a student whose access ends loses the channel at once');
select is(tests.chat_refusal(tests.chat_channel_id('course-a')), 'channel_not_found', 'and may not post in it');
select tests.authenticate_as('ent@t');
select is(tests.chat_refusal(tests.chat_channel_id('course-a')), null, 'a member may post');

-- ---------------------------------------------------------------- direct channels: students and their course's staff
select tests.authenticate_as('ent@t');
select isnt(public.open_direct_channel(tests.user_id('own@t')), null,
  'a student opens a direct channel with their course''s instructor');
select is(public.open_direct_channel(tests.user_id('own@t')), tests.chat_channel_id('ent@t', 'own@t'),
  'opening it again finds the same channel');
select tests.authenticate_as('co@t');
select isnt(public.open_direct_channel(tests.user_id('ent@t')), null,
  'a co-instructor opens one with a student of the course');
select is(tests.chat_channel_id('co@t', 'ent@t') in (select id from public.chat_channels), true, 'and reads it');
select tests.authenticate_as('ent@t');
select throws_ok(format('select public.open_direct_channel(%L)', tests.user_id('other@t')), '42501',
  'you can message only your courses'' staff, their students, and your subscribers or professionals',
  'students cannot message an instructor they have no course with');
select throws_ok(format('select public.open_direct_channel(%L)', tests.user_id('drip@t')), '42501',
  'you can message only your courses'' staff, their students, and your subscribers or professionals',
  'nor another student');
select throws_ok(format('select public.open_direct_channel(%L)', tests.user_id('admin@t')), '42501',
  'you can message only your courses'' staff, their students, and your subscribers or professionals',
  'nor an admin');
select throws_ok($$ select public.open_direct_channel(gen_random_uuid()) $$, '42501',
  'you can message only your courses'' staff, their students, and your subscribers or professionals',
  'a user who does not exist gets the same answer');
select throws_ok($$ select public.open_direct_channel(auth.uid()) $$, '22023', 'choose someone else to message',
  'nor themselves');
select tests.authenticate_as('own@t');
select throws_ok(format('select public.open_direct_channel(%L)', tests.user_id('none@t')), '42501',
  'you can message only your courses'' staff, their students, and your subscribers or professionals',
  'an instructor cannot message someone who is not their student');
select tests.authenticate_as_anon();
select throws_ok(format('select public.open_direct_channel(%L)', tests.user_id('own@t')), '42501',
  'permission denied for function open_direct_channel', 'anon cannot open one');

select tests.authenticate_as('own@t');
select ok(tests.chat_channel_id('ent@t', 'own@t') in (select id from public.chat_channels), 'both participants read it');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.chat_channels where kind = 'direct'), 0::bigint, 'admins do not read direct channels');
select tests.authenticate_as('drip@t');
select is((select count(*) from public.chat_channels where kind = 'direct'), 0::bigint, 'nor does anyone else');

-- ---------------------------------------------------------------- direct channels: a subscription
select tests.clear_authentication();
select is(tests.chat_subscribe('active', now()), 'applied', 'none@t subscribes to Olivia''s plan ...');
select isnt(tests.chat_channel_id('none@t', 'own@t'), null, '... which opens their direct channel');
select tests.authenticate_as('none@t');
select is(tests.chat_refusal(tests.chat_channel_id('none@t', 'own@t')), null, 'where the subscriber may post');
select tests.clear_authentication();
select is(tests.chat_subscribe('canceled', now() + interval '1 minute'), 'applied', 'the subscription lapses ...');
select tests.authenticate_as('none@t');
select is(tests.chat_refusal(tests.chat_channel_id('none@t', 'own@t')), 'read_only', '... and the channel is read-only');
select is((select count(*) from public.chat_channels where kind = 'direct'), 1::bigint, 'still readable');
select tests.clear_authentication();
select is(tests.chat_subscribe('active', now() + interval '2 minutes'), 'applied', 'the subscription resumes ...');
select tests.authenticate_as('none@t');
select is(tests.chat_refusal(tests.chat_channel_id('none@t', 'own@t')), null, '... and the channel reopens');

-- ---------------------------------------------------------------- read markers
select tests.authenticate_as('ent@t');
select ok(public.mark_chat_read(tests.chat_channel_id('course-a')) between now() and clock_timestamp(), 'a member marks a channel read');
select ok((select last_read_at from public.chat_members where channel_id = tests.chat_channel_id('course-a')) between now() and clock_timestamp(),
  'and reads their marker');
select ok(public.mark_chat_read(tests.chat_channel_id('course-a'), now() - interval '1 day') between now() and clock_timestamp(),
  'a marker never moves back');
select throws_ok(format('select public.mark_chat_read(%L)', tests.chat_channel_id('course-b')), 'PT404', 'channel not found',
  'not in a channel they do not read');

-- ---------------------------------------------------------------- mutes
select tests.authenticate_as('own@t');
select is((public.mute_chat_member(tests.chat_channel_id('course-a'), tests.user_id('ent@t'), now() + interval '1 hour')).muted_until,
  now() + interval '1 hour', 'the instructor mutes a member for an hour');
select tests.authenticate_as('ent@t');
select is(tests.chat_refusal(tests.chat_channel_id('course-a')), 'muted', 'who may not post');
select tests.authenticate_as('own@t');
select is((select count(*) from public.chat_members where user_id = tests.user_id('ent@t')), 1::bigint,
  'the course''s staff read their courses'' mutes');
select tests.clear_authentication();
select is((select count(*) from public.notifications where user_id = tests.user_id('ent@t') and kind = 'chat_muted'), 1::bigint,
  'the muted member is notified');

select tests.authenticate_as('ent@t');
select is((select count(*) from public.chat_members where user_id <> auth.uid()), 0::bigint, 'students read only their own member row');
select tests.authenticate_as('drip@t');
select throws_ok(format('select public.mute_chat_member(%L, %L, now() + interval ''1 hour'')', tests.chat_channel_id('course-a'),
  tests.user_id('ent@t')), 'PT404', 'channel not found', 'a former student cannot mute anyone');
select tests.clear_authentication();
update public.entitlements set revoked_at = null where user_id = tests.user_id('drip@t');
select tests.authenticate_as('drip@t');
select throws_ok(format('select public.mute_chat_member(%L, %L, now() + interval ''1 hour'')', tests.chat_channel_id('course-a'),
  tests.user_id('ent@t')), '42501', 'only the course''s staff can moderate this channel', 'nor can a student');
select throws_ok(format('select public.mute_chat_member(%L, %L, now() + interval ''1 hour'')', tests.chat_channel_id('ent@t', 'own@t'),
  tests.user_id('ent@t')), 'PT404', 'channel not found', 'nor anyone in a direct channel they are not in');
select tests.authenticate_as('own@t');
select throws_ok(format('select public.mute_chat_member(%L, %L, now() + interval ''1 hour'')', tests.chat_channel_id('ent@t', 'own@t'),
  tests.user_id('ent@t')), '42501', 'only the course''s staff can moderate this channel', 'direct channels have no moderators');
select throws_ok(format('select public.mute_chat_member(%L, %L, now() + interval ''1 hour'')', tests.chat_channel_id('course-a'),
  tests.user_id('co@t')), 'P0001', 'the course''s staff can''t be muted', 'staff cannot be muted');
select throws_ok(format('select public.mute_chat_member(%L, %L, now() + interval ''1 hour'')', tests.chat_channel_id('course-a'),
  tests.user_id('admin@t')), 'P0001', 'the course''s staff can''t be muted', 'nor admins');
select throws_ok(format('select public.mute_chat_member(%L, %L, now() + interval ''2 years'')', tests.chat_channel_id('course-a'),
  tests.user_id('drip@t')), '22023', 'a mute lasts at most a year', 'a mute lasts at most a year');
select tests.authenticate_as('other@t');
select throws_ok(format('select public.mute_chat_member(%L, %L, now() + interval ''1 hour'')', tests.chat_channel_id('course-a'),
  tests.user_id('drip@t')), 'PT404', 'channel not found', 'another course''s instructor cannot mute here');
select tests.authenticate_as('co@t');
select lives_ok(format('select public.mute_chat_member(%L, %L, now() + interval ''1 day'')', tests.chat_channel_id('course-a'),
  tests.user_id('drip@t')), 'a co-instructor mutes a member');
select tests.clear_authentication();
delete from public.course_instructors where user_id = tests.user_id('co@t');
select tests.authenticate_as('co@t');
select throws_ok(format('select public.mute_chat_member(%L, %L, null)', tests.chat_channel_id('course-a'),
  tests.user_id('drip@t')), 'PT404', 'channel not found', 'removed from the course, they lose moderation at once');
select tests.authenticate_as('admin@t');
select is((public.mute_chat_member(tests.chat_channel_id('course-a'), tests.user_id('drip@t'), null)).muted_until, null,
  'an admin lifts the mute');
select tests.authenticate_as('drip@t');
select is(tests.chat_refusal(tests.chat_channel_id('course-a')), null, 'and the member posts again');
select tests.authenticate_as_anon();
select throws_ok(format('select public.mark_chat_read(%L)', tests.chat_channel_id('course-a')), '42501',
  'permission denied for function mark_chat_read', 'anon has no read markers');

select * from finish();
rollback;
