-- Chat messages: posting, editing, deleting and moderating, attachments, and the channel list.
--
-- A message is text (up to 4000 characters) and up to 5 attachments: objects the sender uploaded
-- beforehand to their own folder of the private `chat` bucket, <channel id>/<user id>/<file>. A
-- member uploads there while they may post (private.chat_refusal(), the chat channels migration);
-- everyone who reads the channel reads its files; nobody replaces or deletes them.
--
-- One write path, the RPCs below (clients hold no write grant): send_chat_message() checks the
-- sender may post now (a member, not muted; a direct channel not read-only), then inserts; its
-- author edits it for 15 minutes (edit_chat_message); the author, and in a course channel the
-- course's staff and admins (asked at each call, so staff removed from a course lose it at once),
-- delete it (delete_chat_message). Deletion is soft: the row stays, marked deleted, with its text
-- and attachments cleared for every reader; what it said is kept in the audit log.
--
-- The channel list (my_chat_channels()) has each channel the caller reads, its last message,
-- and the caller's unread count (messages by others after their read marker, counted up to 100).
-- No counter row is updated per message, so 1,000 members posting in one channel never queue on
-- one row.

create table public.chat_messages (
  id uuid primary key default gen_random_uuid(),
  channel_id uuid not null references public.chat_channels (id) on delete cascade,
  -- The channel's course (course channels), copied so policies and counts need no join.
  course_id uuid references public.courses (id) on delete cascade,
  sender_id uuid references auth.users (id) on delete set null,
  -- The sender's display name when they posted.
  sender_name text,
  body text constraint chat_messages_body_length check (char_length(body) <= 4000),
  attachments jsonb not null default '[]'::jsonb
    constraint chat_messages_attachments_array check (jsonb_typeof(attachments) = 'array'),
  -- The clock, not the transaction's start: messages keep the order they were written in.
  created_at timestamptz not null default clock_timestamp(),
  edited_at timestamptz,
  deleted_at timestamptz,
  deleted_by uuid references auth.users (id) on delete set null
);
create index chat_messages_channel_id_created_at_idx on public.chat_messages (channel_id, created_at desc);
create index chat_messages_course_id_idx on public.chat_messages (course_id);
create index chat_messages_sender_id_idx on public.chat_messages (sender_id);
create index chat_messages_deleted_by_idx on public.chat_messages (deleted_by);
alter table public.chat_messages enable row level security;

grant select on public.chat_messages to authenticated;
grant select, insert, update, delete on public.chat_messages to service_role;

create policy "members read their channels' messages" on public.chat_messages for select to authenticated
  using (channel_id in (select private.chat_readable_channel_ids()));

-- ---------------------------------------------------------------------------------------------
-- Attachments: the private `chat` bucket
-- ---------------------------------------------------------------------------------------------

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('chat', 'chat', false, 26214400, null)
on conflict (id) do update
  set public = excluded.public,
      file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;

-- The channel of a path in the chat bucket, when it is one: its first segment (a lower-case uuid).
-- Self-contained: the select policy runs it as the caller, who has no usage on `private`.
create function private.chat_path_channel_id(name text) returns uuid
language sql immutable
set search_path = ''
as $$
  select case when split_part(chat_path_channel_id.name, '/', 1) ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then split_part(chat_path_channel_id.name, '/', 1)::uuid end
$$;
revoke all on function private.chat_path_channel_id(text) from public;
grant execute on function private.chat_path_channel_id(text) to authenticated, service_role;

-- Whether the caller may upload `name` to the chat bucket: exactly <channel id>/<their id>/<file>,
-- in canonical form, in a channel they may post in now.
create function private.may_upload_chat_file(name text) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  parts text[] := string_to_array(may_upload_chat_file.name, '/');
begin
  if cardinality(parts) is distinct from 3
     or parts[1] !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or parts[2] is distinct from (select auth.uid())::text or coalesce(parts[3], '') in ('', '.', '..') then
    return false;
  end if;
  return private.chat_refusal(parts[1]::uuid) is null;
end;
$$;
revoke all on function private.may_upload_chat_file(text) from public;
grant execute on function private.may_upload_chat_file(text) to authenticated, service_role;

create policy "members upload to their own chat folder while they may post"
  on storage.objects for insert to authenticated
  with check (bucket_id = 'chat' and private.may_upload_chat_file(name));

create policy "members read their channels' chat files"
  on storage.objects for select to authenticated
  using (bucket_id = 'chat' and private.chat_path_channel_id(name) in (select private.chat_readable_channel_ids()));

-- ---------------------------------------------------------------------------------------------
-- Posting, editing, deleting
-- ---------------------------------------------------------------------------------------------

-- Raises the error for a refusal of private.chat_refusal().
create function private.raise_chat_refusal(refusal text) returns void
language plpgsql
set search_path = ''
as $$
begin
  case raise_chat_refusal.refusal
    when 'channel_not_found' then
      raise exception 'channel not found' using errcode = 'PT404', detail = 'chat_channel_not_found';
    when 'muted' then
      raise exception 'you are muted in this channel' using errcode = '42501', detail = 'chat_muted',
        hint = 'Your member row (chat_members.muted_until) says until when.';
    when 'read_only' then
      raise exception 'this conversation is read-only' using errcode = 'P0001', detail = 'chat_read_only',
        hint = 'It reopens when you share a course or a subscription again.';
    else
      null;
  end case;
end;
$$;
revoke all on function private.raise_chat_refusal(text) from public;

-- Checks a message's text: not blank when there is no attachment, at most 4000 characters.
create function private.check_chat_body(body text, has_attachments boolean) returns text
language plpgsql immutable
set search_path = ''
as $$
begin
  if nullif(btrim(check_chat_body.body), '') is null and not check_chat_body.has_attachments then
    raise exception 'a message needs text or an attachment' using errcode = '22023', detail = 'chat_empty_message';
  end if;
  if char_length(check_chat_body.body) > 4000 then
    raise exception 'a message is at most 4000 characters' using errcode = '22023', detail = 'chat_message_too_long';
  end if;
  return nullif(btrim(check_chat_body.body), '');
end;
$$;
revoke all on function private.check_chat_body(text, boolean) from public;

-- Messages per person and channel (rate_limits, class 'chat_message'): 30 at once, then 30 a
-- minute. Admins are not exempt: the subject names the channel too.
insert into public.rate_limits (bucket_class, kind, capacity, refill_per_second, admins_exempt, description)
values ('chat_message', 'bucket', 30, 0.5, false, 'Chat messages per person and channel (send_chat_message): 30 at once, then 30 a minute');

-- Posts a message (text, and the paths of files uploaded to <channel id>/<your id>/ in the chat
-- bucket). Returns the new message; the chat realtime migration's trigger broadcasts it.
create function public.send_chat_message(channel_id uuid, body text default null, attachments text[] default null)
returns public.chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := private.require_signed_in('post a message');
  ch public.chat_channels;
  paths text[];
  folder text;
  f text;
  result public.chat_messages;
begin
  -- Messages per person and channel (rate_limits, class 'chat_message'), first.
  perform private.take_token('chat_message', send_chat_message.channel_id::text || ':' || uid::text);
  perform private.raise_chat_refusal(private.chat_refusal(send_chat_message.channel_id));
  select * into ch from public.chat_channels c where c.id = send_chat_message.channel_id;

  paths := private.unique_paths(send_chat_message.attachments);
  if cardinality(paths) > 5 then
    raise exception 'a message takes at most 5 attachments' using errcode = '22023', detail = 'chat_too_many_attachments';
  end if;
  folder := ch.id || '/' || uid || '/';
  foreach f in array paths loop
    if not private.path_in_folder(f, folder) then
      raise exception 'an attachment is not in your folder for this channel' using errcode = '22023',
        detail = 'chat_attachment_not_in_folder', hint = 'Upload files to chat/<channel id>/<your user id>/.';
    end if;
    if not exists (select 1 from storage.objects o where o.bucket_id = 'chat' and o.name = f) then
      raise exception 'an attachment was not found: upload it first' using errcode = '22023',
        detail = 'chat_attachment_not_found';
    end if;
  end loop;

  insert into public.chat_messages (channel_id, course_id, sender_id, sender_name, body, attachments)
  values (ch.id, ch.course_id, uid, (select p.display_name from public.profiles p where p.id = uid),
          private.check_chat_body(send_chat_message.body, cardinality(paths) > 0),
          private.attached_files('chat', paths))
  returning * into result;
  return result;
end;
$$;
comment on function public.send_chat_message(uuid, text, text[]) is
  'Posts a message (text and uploaded attachments) in a channel you may post in; returns it.';

-- The message `message_id` in a channel the caller reads (for update), or PT404.
create function private.require_chat_message(message_id uuid) returns public.chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.chat_messages;
begin
  select * into result from public.chat_messages m
  where m.id = require_chat_message.message_id and m.channel_id in (select private.chat_readable_channel_ids())
  for update;
  if not found then
    raise exception 'message not found' using errcode = 'PT404', detail = 'chat_message_not_found';
  end if;
  if result.deleted_at is not null then
    raise exception 'this message was deleted' using errcode = 'P0001', detail = 'chat_message_deleted';
  end if;
  return result;
end;
$$;
revoke all on function private.require_chat_message(uuid) from public;

-- The author changes a message's text within 15 minutes of posting it, while they may post.
create function public.edit_chat_message(message_id uuid, body text) returns public.chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := private.require_signed_in('edit a message');
  msg public.chat_messages := private.require_chat_message(edit_chat_message.message_id);
  result public.chat_messages;
begin
  if msg.sender_id is distinct from uid then
    raise exception 'only its author can edit a message' using errcode = '42501', detail = 'not_chat_message_author';
  end if;
  if now() > msg.created_at + interval '15 minutes' then
    raise exception 'a message can be edited for 15 minutes after it is sent' using errcode = 'P0001',
      detail = 'chat_edit_window_passed';
  end if;
  perform private.raise_chat_refusal(private.chat_refusal(msg.channel_id));
  update public.chat_messages m
  set body = private.check_chat_body(edit_chat_message.body, jsonb_array_length(msg.attachments) > 0), edited_at = now()
  where m.id = msg.id
  returning * into result;
  return result;
end;
$$;
comment on function public.edit_chat_message(uuid, text) is
  'The author edits a message''s text, within 15 minutes of sending it; returns it.';

-- The author deletes their message; in a course channel, so do the course's staff and admins.
-- The text and attachments are cleared for readers and kept in the audit log.
create function public.delete_chat_message(message_id uuid) returns public.chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := private.require_signed_in('delete a message');
  msg public.chat_messages := private.require_chat_message(delete_chat_message.message_id);
  result public.chat_messages;
begin
  if msg.sender_id is distinct from uid
     and not (msg.course_id is not null and private.can_manage_course(msg.course_id)) then
    raise exception 'only its author or the course''s staff can delete a message' using errcode = '42501',
      detail = 'not_chat_message_author';
  end if;
  update public.chat_messages m
  set body = null, attachments = '[]'::jsonb, deleted_at = now(), deleted_by = uid
  where m.id = msg.id
  returning * into result;
  perform private.audit('chat.delete_message', 'chat_message', msg.id::text,
    jsonb_build_object('channel_id', msg.channel_id, 'sender_id', msg.sender_id, 'body', msg.body,
                       'attachments', msg.attachments, 'by_author', msg.sender_id = uid));
  return result;
end;
$$;
comment on function public.delete_chat_message(uuid) is
  'Deletes a message (its author; in a course channel also the course''s staff and admins); returns it, cleared.';

-- ---------------------------------------------------------------------------------------------
-- The channel list
-- ---------------------------------------------------------------------------------------------

-- Every channel the caller reads: a course channel's course, a direct channel's other person,
-- the last message, unread messages by others after the read marker (counted up to 100), whether
-- they may post now (`refusal`: null, 'muted' or 'read_only') and their mute. Latest activity
-- first.
create function public.my_chat_channels()
returns table (channel_id uuid, kind text, course_id uuid, title text, other_user_id uuid,
               last_message_at timestamptz, last_message text, unread_count integer, last_read_at timestamptz,
               refusal text, muted_until timestamptz)
language sql stable
security definer
set search_path = ''
as $$
  select ch.id, ch.kind, ch.course_id,
         coalesce(c.title, p.display_name),
         other.id,
         last.created_at,
         case when last.deleted_at is null then left(coalesce(last.body, '(attachment)'), 140) end,
         (select count(*)::integer from (select 1 from public.chat_messages m
                                         where m.channel_id = ch.id and m.created_at > coalesce(mem.last_read_at, '-infinity')
                                           and m.sender_id is distinct from (select auth.uid()) and m.deleted_at is null
                                         limit 100) x),
         mem.last_read_at,
         private.chat_refusal(ch.id),
         case when mem.muted_until > now() then mem.muted_until end
  from public.chat_channels ch
  left join public.courses c on c.id = ch.course_id
  left join lateral (select case when ch.user_a = (select auth.uid()) then ch.user_b else ch.user_a end as id
                     where ch.kind = 'direct') other on true
  left join public.profiles p on p.id = other.id
  left join public.chat_members mem on mem.channel_id = ch.id and mem.user_id = (select auth.uid())
  left join lateral (select m.created_at, m.body, m.deleted_at from public.chat_messages m
                     where m.channel_id = ch.id order by m.created_at desc limit 1) last on true
  where ch.id in (select private.chat_readable_channel_ids())
  order by coalesce(last.created_at, ch.created_at) desc, ch.id
$$;
comment on function public.my_chat_channels() is
  'Your channels, latest activity first: title, other person, last message, unread count, whether you may post.';

revoke all on function public.send_chat_message(uuid, text, text[]) from public, anon;
revoke all on function public.edit_chat_message(uuid, text) from public, anon;
revoke all on function public.delete_chat_message(uuid) from public, anon;
revoke all on function public.my_chat_channels() from public, anon;
grant execute on function public.send_chat_message(uuid, text, text[]) to authenticated;
grant execute on function public.edit_chat_message(uuid, text) to authenticated;
grant execute on function public.delete_chat_message(uuid) to authenticated;
grant execute on function public.my_chat_channels() to authenticated;
