-- Chat delivery: messages broadcast from the database on `channel:<id>`, and the policies on
-- realtime.messages checked the way the Realtime server checks them when a client joins a private
-- channel: as `authenticated` with the user's claims and `realtime.topic` set to the topic; select
-- is receiving (Broadcast and Presence), insert is sending.
begin;
select plan(30);
select tests.chat_fixture();
create temporary table ids on commit drop as select tests.chat_channel_id('course-a') as course_a;
grant select on ids to authenticated, anon;

-- What a user receives on `topic` (rows of that topic and extension they may select), and whether
-- they may send `extension` there, as the Realtime server asks on join.
create function pg_temp.receives(who text, topic text, ext text default 'broadcast') returns bigint
language plpgsql as $$
declare n bigint;
begin
  if who = 'anon' then perform tests.authenticate_as_anon(); else perform tests.authenticate_as(who); end if;
  perform set_config('realtime.topic', topic, true);
  select count(*) into n from realtime.messages where realtime.messages.topic = realtime.topic() and extension = ext;
  perform tests.clear_authentication();
  return n;
end $$;
create function pg_temp.sends(who text, topic text, ext text) returns text
language plpgsql as $$
declare err text;
begin
  if who = 'anon' then perform tests.authenticate_as_anon(); else perform tests.authenticate_as(who); end if;
  perform set_config('realtime.topic', topic, true);
  begin
    insert into realtime.messages (topic, extension, event, private) values (realtime.topic(), ext, 'sync', true);
    err := null;
  exception when others then
    err := sqlstate || ' ' || sqlerrm;
  end;
  perform tests.clear_authentication();
  return err;
end $$;
-- The Realtime server's probe rows: one Broadcast and one Presence row on the course topic.
insert into realtime.messages (topic, extension, event, private)
select 'channel:' || course_a, e, 'probe', true from ids, unnest(array['broadcast', 'presence']) e;
insert into realtime.messages (topic, extension, event, private)
values ('channel:' || tests.chat_channel_id('course-draft'), 'broadcast', 'probe', true);

-- ---------------------------------------------------------------- the policies, as written
select policies_are('realtime', 'messages', array[
  'users receive on their own topic', 'users send presence on their own topic',
  'chat members receive on their channels'' topics', 'chat members who may post send presence on their channels'' topics'],
  'realtime.messages has the notification and chat policies, and no other');
select ok(not has_function_privilege('anon', 'private.may_receive_chat_topic(text)', 'execute'),
  'anon cannot call the topic checks');

-- ---------------------------------------------------------------- receiving (joining)
select is(pg_temp.receives('ent@t', 'channel:' || (select course_a from ids)), 1::bigint, 'a member receives broadcasts');
select is(pg_temp.receives('ent@t', 'channel:' || (select course_a from ids), 'presence'), 1::bigint, 'and presence');
select is(pg_temp.receives('own@t', 'channel:' || (select course_a from ids)), 1::bigint, 'so does the course''s instructor');
select is(pg_temp.receives('admin@t', 'channel:' || (select course_a from ids)), 1::bigint, 'and an admin');
select is(pg_temp.receives('none@t', 'channel:' || (select course_a from ids)), 0::bigint,
  'a student without access cannot subscribe');
select is(pg_temp.receives('other@t', 'channel:' || (select course_a from ids)), 0::bigint,
  'nor another course''s instructor');
select is(pg_temp.receives('anon', 'channel:' || (select course_a from ids)), 0::bigint, 'nor anon');
select is(pg_temp.receives('ent@t', 'channel:not-a-uuid'), 0::bigint, 'a malformed topic gives nothing');
select tests.authenticate_as('own@t');
select set_config('realtime.topic', 'channel:' || (select course_a from ids), true);
select is((select count(*) from realtime.messages), 2::bigint,
  'a member selects only rows of the topic they joined, not those of their other channels');
select tests.clear_authentication();

-- ---------------------------------------------------------------- sending (typing and presence)
select is(pg_temp.sends('ent@t', 'channel:' || (select course_a from ids), 'presence'), null, 'a member sends presence (typing)');
select is(pg_temp.sends('ent@t', 'channel:' || (select course_a from ids), 'broadcast'),
  '42501 new row violates row-level security policy for table "messages"',
  'but no broadcast: only the database broadcasts on chat topics, so no message event can be forged');
select is(pg_temp.sends('none@t', 'channel:' || (select course_a from ids), 'presence'),
  '42501 new row violates row-level security policy for table "messages"', 'a non-member sends nothing');
select tests.authenticate_as('own@t');
select public.mute_chat_member((select course_a from ids), tests.user_id('drip@t'), now() + interval '1 hour');
select tests.clear_authentication();
select is(pg_temp.sends('drip@t', 'channel:' || (select course_a from ids), 'presence'),
  '42501 new row violates row-level security policy for table "messages"', 'a muted member sends nothing');
select is(pg_temp.receives('drip@t', 'channel:' || (select course_a from ids)), 1::bigint, 'but still receives');

-- ---------------------------------------------------------------- losing access
update public.entitlements set revoked_at = now() where user_id = tests.user_id('ent@t');
select is(pg_temp.receives('ent@t', 'channel:' || (select course_a from ids)), 0::bigint,
  'a member who loses access stops receiving');
select is(pg_temp.sends('ent@t', 'channel:' || (select course_a from ids), 'presence'),
  '42501 new row violates row-level security policy for table "messages"', 'and sending');
update public.entitlements set revoked_at = null where user_id = tests.user_id('ent@t');
delete from public.course_instructors where user_id = tests.user_id('co@t');
select is(pg_temp.receives('co@t', 'channel:' || (select course_a from ids)), 0::bigint,
  'staff removed from the course stop receiving at once');

-- ---------------------------------------------------------------- direct channels
select tests.chat_subscribe('active', now());
insert into realtime.messages (topic, extension, event, private)
values ('channel:' || tests.chat_channel_id('none@t', 'own@t'), 'broadcast', 'probe', true);
select is(pg_temp.receives('none@t', 'channel:' || tests.chat_channel_id('none@t', 'own@t')), 1::bigint,
  'a subscriber receives on their direct channel');
select is(pg_temp.receives('admin@t', 'channel:' || tests.chat_channel_id('none@t', 'own@t')), 0::bigint,
  'nobody else does, admins included');
select tests.chat_subscribe('canceled', now() + interval '1 minute');
select is(pg_temp.receives('own@t', 'channel:' || tests.chat_channel_id('none@t', 'own@t')), 1::bigint,
  'a lapsed subscription''s channel is still received');
select is(pg_temp.sends('none@t', 'channel:' || tests.chat_channel_id('none@t', 'own@t'), 'presence'),
  '42501 new row violates row-level security policy for table "messages"', 'but read-only: no presence sent');

-- ---------------------------------------------------------------- broadcasts from the database
delete from realtime.messages;
select tests.authenticate_as('ent@t');
create temporary table sent on commit drop as
select * from public.send_chat_message((select course_a from ids), 'Broadcast me');
grant select on sent to authenticated;
select tests.clear_authentication();
select is((select (event, private, extension) from realtime.messages where topic = 'channel:' || (select course_a from ids)),
  ('message_created'::text, true, 'broadcast'::text), 'a new message is broadcast, privately, on its channel''s topic');
select is((select payload ->> 'body' from realtime.messages where event = 'message_created'), 'Broadcast me', 'with the message');
select is((select payload ->> 'id' from realtime.messages where event = 'message_created'), (select id::text from sent), 'and its id');
select tests.authenticate_as('ent@t');
select public.edit_chat_message((select id from sent), 'Broadcast me, edited');
select public.delete_chat_message((select id from sent));
select tests.clear_authentication();
select is((select payload ->> 'body' from realtime.messages where event = 'message_updated'), 'Broadcast me, edited',
  'an edit is broadcast');
select is((select payload ->> 'body' from realtime.messages where event = 'message_deleted'), null,
  'a deletion too, without what was deleted');
select is(pg_temp.receives('drip@t', 'channel:' || (select course_a from ids)), 3::bigint, 'members receive all three');
select is(pg_temp.receives('none@t', 'channel:' || (select course_a from ids)), 0::bigint, 'non-members none');

select * from finish();
rollback;
