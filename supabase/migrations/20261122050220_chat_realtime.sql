-- Chat delivery: Realtime private channels, topic `channel:<channel id>`.
--
-- The database broadcasts every new, edited and deleted message on its channel's topic, from a
-- trigger, with realtime.send() (private): events `message_created`, `message_updated` and
-- `message_deleted`, the payload being the row (a deleted one already cleared, so a deletion never
-- re-sends what was deleted). realtime.send() only warns when it fails, so a message is never lost
-- for want of a broadcast: frontends read the table on (re)join.
--
-- Who joins a topic is decided by the policies on realtime.messages, which the Realtime server
-- runs as the user (role authenticated, their claims, `realtime.topic` set to the topic) when a
-- client joins with `{ config: { private: true } }`: receiving (select) is for whoever reads the
-- channel now, rows of that topic only (private.chat_readable_channel_ids(), derived from access at check time, so a
-- member who loses access is refused at their next join or token refresh); sending (insert) is
-- Presence only, for whoever may post now (private.chat_refusal()): online and typing state are
-- Presence (`track({ typing: true })`). Clients never send Broadcast on a chat topic, so no client
-- can forge a message event: every broadcast there comes from the database.

-- The chat channel a Realtime topic names (`channel:<uuid>`), or null.
create function private.chat_topic_channel_id(topic text) returns uuid
language sql immutable
set search_path = ''
as $$
  select case when chat_topic_channel_id.topic like 'channel:%'
              then private.try_uuid(substr(chat_topic_channel_id.topic, 9)) end
$$;
revoke all on function private.chat_topic_channel_id(text) from public;

-- Whether the caller may receive on a chat topic now (a channel they read).
create function private.may_receive_chat_topic(topic text) returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select coalesce(private.chat_topic_channel_id(may_receive_chat_topic.topic)
                  in (select private.chat_readable_channel_ids()), false)
$$;
revoke all on function private.may_receive_chat_topic(text) from public;
grant execute on function private.may_receive_chat_topic(text) to authenticated, service_role;

-- Whether the caller may send Presence on a chat topic now (a channel they may post in).
create function private.may_send_chat_topic(topic text) returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select private.chat_topic_channel_id(may_send_chat_topic.topic) is not null
     and private.chat_refusal(private.chat_topic_channel_id(may_send_chat_topic.topic)) is null
$$;
revoke all on function private.may_send_chat_topic(text) from public;
grant execute on function private.may_send_chat_topic(text) to authenticated, service_role;

create policy "chat members receive on their channels' topics" on realtime.messages for select to authenticated
  using (topic = (select realtime.topic()) and extension in ('broadcast', 'presence')
         and (select private.may_receive_chat_topic((select realtime.topic()))));

create policy "chat members who may post send presence on their channels' topics"
  on realtime.messages for insert to authenticated
  with check (topic = (select realtime.topic()) and extension = 'presence'
              and (select private.may_send_chat_topic((select realtime.topic()))));

-- ---------------------------------------------------------------------------------------------
-- Broadcasting from the database
-- ---------------------------------------------------------------------------------------------

create function private.chat_messages_broadcast() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    to_jsonb(new),
    case when tg_op = 'INSERT' then 'message_created'
         when new.deleted_at is not null and old.deleted_at is null then 'message_deleted'
         else 'message_updated' end,
    'channel:' || new.channel_id,
    true);
  return null;
end;
$$;
revoke all on function private.chat_messages_broadcast() from public;
create trigger chat_messages_broadcast after insert or update on public.chat_messages
  for each row execute function private.chat_messages_broadcast();
