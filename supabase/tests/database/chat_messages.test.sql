-- Chat messages: posting (members only, not muted, not in a read-only direct channel), attachments
-- in the chat bucket, the edit window, soft delete and moderation, and the channel list.
begin;
select plan(54);
select tests.chat_fixture();
create temporary table ids on commit drop as
select tests.chat_channel_id('course-a') as course_a, tests.chat_channel_id('course-b') as course_b;
grant select on ids to authenticated, anon;

-- ---------------------------------------------------------------- grants
select ok(has_table_privilege('authenticated', 'public.chat_messages', 'select')
  and not has_table_privilege('authenticated', 'public.chat_messages', 'insert')
  and not has_table_privilege('authenticated', 'public.chat_messages', 'update')
  and not has_table_privilege('authenticated', 'public.chat_messages', 'delete'), 'clients read messages and write them only through RPCs');
select ok(not has_table_privilege('anon', 'public.chat_messages', 'select'), 'anon reads no message');
select ok(has_function_privilege('authenticated', 'public.send_chat_message(uuid, text, text[])', 'execute')
  and has_function_privilege('authenticated', 'public.edit_chat_message(uuid, text)', 'execute')
  and has_function_privilege('authenticated', 'public.delete_chat_message(uuid)', 'execute')
  and has_function_privilege('authenticated', 'public.my_chat_channels()', 'execute'), 'signed-in users call the message RPCs');
select ok(not has_function_privilege('anon', 'public.send_chat_message(uuid, text, text[])', 'execute')
  and not has_function_privilege('anon', 'public.edit_chat_message(uuid, text)', 'execute')
  and not has_function_privilege('anon', 'public.delete_chat_message(uuid)', 'execute')
  and not has_function_privilege('anon', 'public.my_chat_channels()', 'execute'), 'anon does not');
select is((select public from storage.buckets where id = 'chat'), false, 'the chat bucket is private');

-- ---------------------------------------------------------------- posting and reading
select tests.authenticate_as('ent@t');
select throws_ok($$ insert into public.chat_messages (channel_id, body) select course_a, 'hi' from ids $$, '42501',
  'permission denied for table chat_messages', 'a member cannot insert a message directly');
select is((select body from public.send_chat_message((select course_a from ids), '  Hello everyone  ')), 'Hello everyone',
  'a member posts in their course channel (trimmed)');
select is((select sender_name from public.chat_messages), 'Erin Entitled', 'the message carries the sender''s name');
select is((select course_id from public.chat_messages), tests.course_id('course-a'), 'and its course');
select tests.authenticate_as('own@t');
select lives_ok($$ select public.send_chat_message((select course_a from ids), 'Welcome, Erin') $$, 'the instructor posts');
select is((select count(*) from public.chat_messages), 2::bigint, 'and reads the channel');
select tests.authenticate_as('drip@t');
select is((select count(*) from public.chat_messages), 2::bigint, 'another member reads it');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.chat_messages where channel_id = (select course_a from ids)), 2::bigint,
  'admins read course channels');
select tests.authenticate_as('none@t');
select is((select count(*) from public.chat_messages), 0::bigint, 'a student without access reads nothing');
select throws_ok($$ select public.send_chat_message((select course_a from ids), 'let me in') $$, 'PT404', 'channel not found',
  'nor posts');
select tests.authenticate_as('other@t');
select is((select count(*) from public.chat_messages), 0::bigint, 'another course''s instructor reads nothing');
select throws_ok($$ select public.send_chat_message((select course_a from ids), 'hello') $$, 'PT404', 'channel not found',
  'nor posts');
select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.chat_messages $$, '42501', 'permission denied for table chat_messages',
  'anon reads nothing');
select throws_ok($$ select public.send_chat_message((select course_a from ids), 'hello') $$, '42501',
  'permission denied for function send_chat_message', 'nor posts');

select tests.authenticate_as('ent@t');
select throws_ok($$ select public.send_chat_message((select course_a from ids), '   ') $$, '22023',
  'a message needs text or an attachment', 'a blank message is refused');
select throws_ok($$ select public.send_chat_message((select course_a from ids), repeat('x', 4001)) $$, '22023',
  'a message is at most 4000 characters', 'so is a very long one');
select throws_ok($$ select public.send_chat_message(gen_random_uuid(), 'hello') $$, 'PT404', 'channel not found',
  'a channel that does not exist is not found');

-- ---------------------------------------------------------------- attachments
select throws_ok(format($$ insert into storage.objects (bucket_id, name, owner_id) values ('chat', '%s/%s/x.png', auth.uid()) $$,
  (select course_b from ids), tests.user_id('ent@t')), '42501', 'new row violates row-level security policy for table "objects"',
  'no upload to a channel one is not in');
select throws_ok(format($$ insert into storage.objects (bucket_id, name, owner_id) values ('chat', '%s/%s/x.png', auth.uid()) $$,
  (select course_a from ids), tests.user_id('drip@t')), '42501', 'new row violates row-level security policy for table "objects"',
  'nor to someone else''s folder');
select lives_ok(format($$ insert into storage.objects (bucket_id, name, owner_id, metadata)
  values ('chat', '%s/%s/diagram.png', auth.uid(), '{"size": 2048, "mimetype": "image/png"}') $$,
  (select course_a from ids), tests.user_id('ent@t')), 'a member uploads to their own folder of the channel');
select throws_ok(format($$ select public.send_chat_message(%L, 'see', array[%L]) $$, (select course_a from ids),
  (select course_a from ids) || '/' || tests.user_id('drip@t') || '/x.png'), '22023',
  'an attachment is not in your folder for this channel', 'an attachment must be in the sender''s folder');
select throws_ok(format($$ select public.send_chat_message(%L, 'see', array[%L]) $$, (select course_a from ids),
  (select course_a from ids) || '/' || tests.user_id('ent@t') || '/missing.png'), '22023',
  'an attachment was not found: upload it first', 'and uploaded');
select throws_ok(format($$ select public.send_chat_message(%L, 'see', array['a','b','c','d','e','f']) $$, (select course_a from ids)),
  '22023', 'a message takes at most 5 attachments', 'at most five');
select is((select attachments -> 0 ->> 'name' from public.send_chat_message((select course_a from ids), null,
  array[(select course_a from ids) || '/' || tests.user_id('ent@t') || '/diagram.png'])), 'diagram.png',
  'a message may be only an attachment');
select tests.authenticate_as('drip@t');
select is((select count(*) from storage.objects where bucket_id = 'chat'), 1::bigint, 'members read the channel''s files');
select tests.authenticate_as('other@t');
select is((select count(*) from storage.objects where bucket_id = 'chat'), 0::bigint, 'nobody else does');

-- ---------------------------------------------------------------- editing
select tests.authenticate_as('ent@t');
create temporary table m on commit drop as
select id from public.send_chat_message((select course_a from ids), 'Typo hre');
grant select on m to authenticated;
select is((select body from public.edit_chat_message((select id from m), 'Typo here')), 'Typo here', 'the author edits within 15 minutes');
select isnt((select edited_at from public.chat_messages where id = (select id from m)), null, 'marked edited');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.edit_chat_message((select id from m), 'hacked') $$, '42501', 'only its author can edit a message',
  'nobody else edits it');
select tests.authenticate_as('own@t');
select throws_ok($$ select public.edit_chat_message((select id from m), 'hacked') $$, '42501', 'only its author can edit a message',
  'not even staff');
select tests.clear_authentication();
update public.chat_messages set created_at = now() - interval '16 minutes' where id = (select id from m);
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.edit_chat_message((select id from m), 'later') $$, 'P0001',
  'a message can be edited for 15 minutes after it is sent', 'not after the window');

-- ---------------------------------------------------------------- muted members
select tests.authenticate_as('own@t');
select public.mute_chat_member((select course_a from ids), tests.user_id('drip@t'), now() + interval '1 hour');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.send_chat_message((select course_a from ids), 'spam') $$, '42501', 'you are muted in this channel',
  'a muted member cannot post');
select throws_ok(format($$ insert into storage.objects (bucket_id, name, owner_id) values ('chat', '%s/%s/x.png', auth.uid()) $$,
  (select course_a from ids), tests.user_id('drip@t')), '42501', 'new row violates row-level security policy for table "objects"',
  'nor upload');
select is((select count(*) from public.chat_messages), 4::bigint, 'but still reads');

-- ---------------------------------------------------------------- deleting and moderation
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.delete_chat_message((select id from m)) $$, '42501',
  'only its author or the course''s staff can delete a message', 'a member cannot delete another''s message');
select tests.authenticate_as('co@t');
select is((select body from public.delete_chat_message((select id from m))), null, 'a co-instructor deletes it');
select throws_ok($$ select public.edit_chat_message((select id from m), 'back') $$, 'P0001', 'this message was deleted',
  'a deleted message is not edited');
select tests.authenticate_as('drip@t');
select is((select deleted_at is not null and body is null and attachments = '[]' from public.chat_messages where id = (select id from m)),
  true, 'readers see it deleted, its text gone');
select tests.clear_authentication();
select is((select details ->> 'body' from public.audit_log where action = 'chat.delete_message'), 'Typo here',
  'what it said is kept in the audit log');
delete from public.course_instructors where user_id = tests.user_id('co@t');
select tests.authenticate_as('co@t');
select throws_ok(format('select public.delete_chat_message(%L)',
  (select id from public.chat_messages where body = 'Hello everyone')), 'PT404', 'message not found',
  'staff removed from the course lose moderation at once');
select tests.authenticate_as('ent@t');
select lives_ok(format('select public.delete_chat_message(%L)', (select id from public.chat_messages where body = 'Hello everyone')),
  'an author deletes their own message');

-- ---------------------------------------------------------------- direct channels
select tests.clear_authentication();
select tests.chat_subscribe('active', now());
select tests.authenticate_as('none@t');
select lives_ok(format('select public.send_chat_message(%L, %L)', tests.chat_channel_id('none@t', 'own@t'), 'Hi Olivia, a question on my plan'),
  'a subscriber writes to the professional');
select tests.clear_authentication();
select tests.chat_subscribe('canceled', now() + interval '1 minute');
select tests.authenticate_as('none@t');
select throws_ok(format('select public.send_chat_message(%L, %L)', tests.chat_channel_id('none@t', 'own@t'), 'still there?'),
  'P0001', 'this conversation is read-only', 'a lapsed subscriber''s direct channel is read-only');
select tests.authenticate_as('own@t');
select throws_ok(format('select public.send_chat_message(%L, %L)', tests.chat_channel_id('none@t', 'own@t'), 'come back'),
  'P0001', 'this conversation is read-only', 'for both');
select is((select count(*) from public.chat_messages where channel_id = tests.chat_channel_id('none@t', 'own@t')), 1::bigint,
  'which both still read');

-- ---------------------------------------------------------------- the channel list
select tests.clear_authentication();
update public.chat_members set muted_until = null;
select tests.authenticate_as('own@t');
select public.send_chat_message((select course_a from ids), 'Office hours on Friday');
select tests.authenticate_as('drip@t');
select is((select unread_count from public.my_chat_channels() where channel_id = (select course_a from ids)), 3,
  'the channel list counts unread messages by others (the two deleted ones not)');
select public.mark_chat_read((select course_a from ids));
select is((select (unread_count, last_message, refusal) from public.my_chat_channels() where channel_id = (select course_a from ids)),
  (0, 'Office hours on Friday'::text, null::text), 'none after marking it read; the last message; may post');

-- ---------------------------------------------------------------- messages per minute and channel (rate_limits 'chat_message')
select tests.clear_authentication();
insert into private.rate_buckets (bucket_class, subject, tokens, updated_at)
select 'chat_message', course_a::text || ':' || tests.user_id('ent@t')::text, 0, now() from ids
on conflict (bucket_class, subject) do update set tokens = 0, updated_at = now();
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.send_chat_message((select course_a from ids), 'flood') $$,
  'PT429', 'Too many requests. Please wait a moment and try again.', 'a member who posted too much in a channel this minute waits');
select is((select count(*) from public.chat_messages where body = 'flood'), 0::bigint, 'and nothing was posted');

select * from finish();
rollback;
