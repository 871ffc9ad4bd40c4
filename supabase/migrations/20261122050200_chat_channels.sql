-- Chat channels: who talks with whom, who may read and post, read markers and mutes.
--
-- Two kinds of channel. A course channel, one per course (made with the course, with the course's
-- id, so a frontend knows its topic `channel:<course id>` without asking): its members are
-- whoever has access to the course now (private.has_course_access(): an active entitlement, or
-- managing the course: its staff and admins). A direct channel, one per pair of users: it opens
-- when a subscription to a professional's plan becomes active (subscriber and the plan's owner),
-- or when a student and a member of their course's staff start one (open_direct_channel()).
--
-- Membership is derived at check time, never copied: "who may read channel X" asks entitlements,
-- course staff and subscriptions as they are at that moment (private.chat_readable_channel_ids(),
-- private.chat_refusal()). Access also ends with no event at all (an entitlement's ends_at, a
-- subscription's current_period_end passing), which no trigger could follow; deriving it means a
-- student whose access ends, or staff removed from a course, lose the channel (and moderation)
-- at once, in tables, Storage and Realtime alike.
--
-- A direct channel's two participants always read it (it is their conversation); they may post
-- while they are linked: one holds a live subscription to a plan the other owns, or one teaches a
-- course the other has access to (private.chat_pair_linked()). Otherwise it is read-only: a
-- lapsed subscriber's channel turns read-only, and reopens when the subscription resumes.
-- Students can't open a channel with anyone they are not linked to.
--
-- chat_members holds per-member state only, made on first use: the read marker (mark_chat_read)
-- and a mute (mute_chat_member, course channels, by the course's staff and admins; staff can't be
-- muted). Messages are in the chat messages migration; Realtime delivery in the chat realtime one.

create table public.chat_channels (
  id uuid primary key default gen_random_uuid(),
  kind text not null constraint chat_channels_kind_valid check (kind in ('course', 'direct')),
  course_id uuid references public.courses (id) on delete cascade,
  -- A direct channel's two participants, the smaller uuid first.
  user_a uuid references auth.users (id) on delete cascade,
  user_b uuid references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  constraint chat_channels_shape check (
    case kind
      when 'course' then course_id is not null and id = course_id and user_a is null and user_b is null
      when 'direct' then course_id is null and user_a is not null and user_b is not null and user_a < user_b
    end)
);
create unique index chat_channels_course_key on public.chat_channels (course_id) where kind = 'course';
create unique index chat_channels_pair_key on public.chat_channels (user_a, user_b) where kind = 'direct';
create index chat_channels_user_b_idx on public.chat_channels (user_b);
alter table public.chat_channels enable row level security;

create table public.chat_members (
  channel_id uuid not null references public.chat_channels (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  -- The channel's course (course channels), copied so policies need no join.
  course_id uuid references public.courses (id) on delete cascade,
  last_read_at timestamptz,
  muted_until timestamptz,
  muted_by uuid references auth.users (id) on delete set null,
  updated_at timestamptz not null default now(),
  primary key (channel_id, user_id)
);
create index chat_members_user_id_idx on public.chat_members (user_id);
create index chat_members_course_id_idx on public.chat_members (course_id);
create index chat_members_muted_by_idx on public.chat_members (muted_by);
alter table public.chat_members enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Who reads, who posts
-- ---------------------------------------------------------------------------------------------

-- A subscription that still gives what it sold: active, trialing or past due (Stripe retries;
-- access stays until the end of the paid period), within its period.
create function private.subscription_is_live(s public.subscriptions) returns boolean
language sql stable
set search_path = ''
as $$
  select s.status in ('active', 'trialing', 'past_due') and (s.current_period_end is null or s.current_period_end > now())
$$;
revoke all on function private.subscription_is_live(public.subscriptions) from public;

-- Whether two users may talk now: one holds a live subscription to a plan the other owns, or one
-- teaches a course (not deleted) the other has an active entitlement to. Admins are not linked to
-- anyone by being admins.
create function private.chat_pair_linked(a uuid, b uuid) returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select exists (select 1 from public.subscriptions s join public.offers o on o.id = s.offer_id
                 where o.kind = 'plan' and private.subscription_is_live(s)
                   and ((s.user_id = chat_pair_linked.a and o.owner_id = chat_pair_linked.b)
                        or (s.user_id = chat_pair_linked.b and o.owner_id = chat_pair_linked.a)))
      or exists (select 1 from public.entitlements e join public.courses c on c.id = e.course_id
                 where c.deleted_at is null and private.is_active(e)
                   and ((e.user_id = chat_pair_linked.a
                         and c.id in (select private.instructed_course_ids(chat_pair_linked.b)))
                        or (e.user_id = chat_pair_linked.b
                            and c.id in (select private.instructed_course_ids(chat_pair_linked.a)))))
$$;
revoke all on function private.chat_pair_linked(uuid, uuid) from public;

-- Channels the caller reads now: the channels of the courses they have access to (admins: all
-- course channels), and their direct channels. Policies: `channel_id in (select ...)`.
create function private.chat_readable_channel_ids() returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select ch.id from public.chat_channels ch
  where ch.kind = 'course' and ch.course_id in (select private.accessible_course_ids())
  union all
  select ch.id from public.chat_channels ch
  where ch.kind = 'direct' and (select auth.uid()) in (ch.user_a, ch.user_b)
$$;
revoke all on function private.chat_readable_channel_ids() from public;
grant execute on function private.chat_readable_channel_ids() to authenticated, service_role;

-- Why the caller may not post in `channel_id` now, or null when they may: 'channel_not_found'
-- (no such channel, or one they can't read), 'muted', 'read_only' (a direct channel whose
-- participants are no longer linked). The one rule for messages, uploads and Realtime sends.
create function private.chat_refusal(channel_id uuid) returns text
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  ch public.chat_channels;
begin
  select * into ch from public.chat_channels c where c.id = chat_refusal.channel_id;
  if not found or uid is null then
    return 'channel_not_found';
  end if;
  if ch.kind = 'course' then
    if not private.has_course_access(ch.course_id) then
      return 'channel_not_found';
    end if;
    if exists (select 1 from public.chat_members m
               where m.channel_id = ch.id and m.user_id = uid and m.muted_until > now()) then
      return 'muted';
    end if;
    return null;
  end if;
  if uid not in (ch.user_a, ch.user_b) then
    return 'channel_not_found';
  end if;
  if not private.chat_pair_linked(ch.user_a, ch.user_b) then
    return 'read_only';
  end if;
  return null;
end;
$$;
revoke all on function private.chat_refusal(uuid) from public;

-- The caller's channel `channel_id`, or PT404 when it does not exist or they can't read it.
create function private.require_chat_channel(channel_id uuid) returns public.chat_channels
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  ch public.chat_channels;
begin
  select * into ch from public.chat_channels c
  where c.id = require_chat_channel.channel_id and c.id in (select private.chat_readable_channel_ids());
  if not found then
    raise exception 'channel not found' using errcode = 'PT404', detail = 'chat_channel_not_found';
  end if;
  return ch;
end;
$$;
revoke all on function private.require_chat_channel(uuid) from public;

-- ---------------------------------------------------------------------------------------------
-- Channels are made by the platform: one with each course, one per linked pair
-- ---------------------------------------------------------------------------------------------

-- The direct channel of two users, made if it does not exist yet. Returns its id.
create function private.ensure_direct_channel(a uuid, b uuid) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  lo uuid := least(ensure_direct_channel.a, ensure_direct_channel.b);
  hi uuid := greatest(ensure_direct_channel.a, ensure_direct_channel.b);
  result uuid;
begin
  insert into public.chat_channels (kind, user_a, user_b) values ('direct', lo, hi)
  on conflict (user_a, user_b) where kind = 'direct' do nothing
  returning id into result;
  if result is null then
    select c.id into result from public.chat_channels c where c.kind = 'direct' and c.user_a = lo and c.user_b = hi;
  end if;
  return result;
end;
$$;
revoke all on function private.ensure_direct_channel(uuid, uuid) from public;

create function private.courses_add_chat_channel() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.chat_channels (id, kind, course_id) values (new.id, 'course', new.id)
  on conflict do nothing;
  return null;
end;
$$;
revoke all on function private.courses_add_chat_channel() from public;
create trigger courses_add_chat_channel after insert on public.courses
  for each row execute function private.courses_add_chat_channel();

insert into public.chat_channels (id, kind, course_id)
select c.id, 'course', c.id from public.courses c
on conflict do nothing;

-- A subscription to a professional's plan that becomes live opens the subscriber's direct channel
-- with the professional (or finds it: it reopens when a lapsed subscription resumes).
create function private.subscriptions_open_direct_channel() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  professional uuid;
begin
  if private.subscription_is_live(new) then
    select o.owner_id into professional from public.offers o where o.id = new.offer_id and o.kind = 'plan';
    if professional is not null and professional <> new.user_id then
      perform private.ensure_direct_channel(new.user_id, professional);
    end if;
  end if;
  return null;
end;
$$;
revoke all on function private.subscriptions_open_direct_channel() from public;
create trigger subscriptions_open_direct_channel after insert or update of status, current_period_end on public.subscriptions
  for each row execute function private.subscriptions_open_direct_channel();

insert into public.chat_channels (kind, user_a, user_b)
select distinct 'direct', least(s.user_id, o.owner_id), greatest(s.user_id, o.owner_id)
from public.subscriptions s join public.offers o on o.id = s.offer_id
where o.kind = 'plan' and o.owner_id is not null and o.owner_id <> s.user_id and private.subscription_is_live(s)
on conflict (user_a, user_b) where kind = 'direct' do nothing;

-- ---------------------------------------------------------------------------------------------
-- RPCs: open a direct channel, read markers, mutes
-- ---------------------------------------------------------------------------------------------

-- Opens (or finds) the caller's direct channel with `user_id`: their course's staff, a student of
-- a course they teach, their professional or subscriber. Anyone else: refused, as is a user that
-- does not exist (the same answer, so it tells nothing about who exists).
create function public.open_direct_channel(user_id uuid) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := private.require_signed_in('message someone');
begin
  if open_direct_channel.user_id is null or open_direct_channel.user_id = uid then
    raise exception 'choose someone else to message' using errcode = '22023', detail = 'chat_invalid_recipient';
  end if;
  if not private.chat_pair_linked(uid, open_direct_channel.user_id) then
    raise exception 'you can message only your courses'' staff, their students, and your subscribers or professionals'
      using errcode = '42501', detail = 'chat_not_linked';
  end if;
  return private.ensure_direct_channel(uid, open_direct_channel.user_id);
end;
$$;
comment on function public.open_direct_channel(uuid) is
  'Opens (or finds) the direct channel with a user you share a course or a subscription with; returns its id.';

-- Marks the channel read up to `read_at` (by default now: the clock, as messages are stamped; a
-- marker never moves back).
create function public.mark_chat_read(channel_id uuid, read_at timestamptz default null) returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('read a channel');
  ch public.chat_channels := private.require_chat_channel(mark_chat_read.channel_id);
  result timestamptz;
begin
  insert into public.chat_members as m (channel_id, user_id, course_id, last_read_at)
  values (ch.id, uid, ch.course_id, least(coalesce(mark_chat_read.read_at, clock_timestamp()), clock_timestamp()))
  on conflict (channel_id, user_id) do update
    set last_read_at = greatest(m.last_read_at, excluded.last_read_at), updated_at = now()
  returning m.last_read_at into result;
  return result;
end;
$$;
comment on function public.mark_chat_read(uuid, timestamptz) is
  'Moves your read marker in a channel to now (or to read_at); returns the marker.';

-- Course channels: the course's staff and admins mute a member until `muted_until` (at most a year
-- ahead; null, left out, or a past time lifts the mute). Staff can't be muted. The member is notified.
create function public.mute_chat_member(channel_id uuid, user_id uuid, muted_until timestamptz default null)
returns public.chat_members
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('moderate a channel');
  ch public.chat_channels := private.require_chat_channel(mute_chat_member.channel_id);
  until timestamptz := case when mute_chat_member.muted_until > now() then mute_chat_member.muted_until end;
  result public.chat_members;
begin
  if ch.kind <> 'course' or not private.can_manage_course(ch.course_id) then
    raise exception 'only the course''s staff can moderate this channel' using errcode = '42501',
      detail = 'not_chat_moderator';
  end if;
  if until > now() + interval '1 year' then
    raise exception 'a mute lasts at most a year' using errcode = '22023', detail = 'chat_invalid_mute_until';
  end if;
  if mute_chat_member.user_id is null or mute_chat_member.user_id = uid
     or ch.course_id in (select private.instructed_course_ids(mute_chat_member.user_id))
     or private.is_admin(mute_chat_member.user_id) then
    raise exception 'the course''s staff can''t be muted' using errcode = 'P0001', detail = 'chat_cannot_mute_staff';
  end if;
  insert into public.chat_members as m (channel_id, user_id, course_id, muted_until, muted_by)
  values (ch.id, mute_chat_member.user_id, ch.course_id, until, uid)
  on conflict (channel_id, user_id) do update
    set muted_until = excluded.muted_until, muted_by = excluded.muted_by, updated_at = now()
  returning * into result;
  perform private.audit(case when until is null then 'chat.unmute' else 'chat.mute' end, 'chat_channel', ch.id::text,
    jsonb_build_object('user_id', mute_chat_member.user_id, 'muted_until', until));
  if until is not null then
    perform private.notify(mute_chat_member.user_id, 'chat_muted', 'You are muted in a course chat',
      'You can read the channel but not post until ' || to_char(until at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC.',
      '/chat/' || ch.id, jsonb_build_object('channel_id', ch.id, 'course_id', ch.course_id, 'muted_until', until));
  end if;
  return result;
end;
$$;
comment on function public.mute_chat_member(uuid, uuid, timestamptz) is
  'Course staff: mutes a member of the course channel until a time (null lifts it); returns their member row.';

revoke all on function public.open_direct_channel(uuid) from public, anon;
revoke all on function public.mark_chat_read(uuid, timestamptz) from public, anon;
revoke all on function public.mute_chat_member(uuid, uuid, timestamptz) from public, anon;
grant execute on function public.open_direct_channel(uuid) to authenticated;
grant execute on function public.mark_chat_read(uuid, timestamptz) to authenticated;
grant execute on function public.mute_chat_member(uuid, uuid, timestamptz) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies: read only; every write goes through the functions above
-- ---------------------------------------------------------------------------------------------

grant select on public.chat_channels to authenticated;
grant select on public.chat_members to authenticated;
grant select, insert, update, delete on public.chat_channels to service_role;
grant select, insert, update, delete on public.chat_members to service_role;

create policy "members read their channels" on public.chat_channels for select to authenticated
  using (id in (select private.chat_readable_channel_ids()));

create policy "users read their member rows; course staff and admins their courses' mutes"
  on public.chat_members for select to authenticated
  using (user_id = (select auth.uid()) or course_id in (select private.managed_course_ids()));
