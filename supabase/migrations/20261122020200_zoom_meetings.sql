-- Zoom meetings: a session's meeting, its attendees' personal links, and the join link.
--
-- The meeting of a session, each attendee's Zoom registrant (their personal link) and the Zoom
-- account's cached OAuth token live in the private schema, out of clients' reach: what the
-- zoom-meeting, zoom-host-link and zoom-join functions need goes through the functions here.
-- zoom_session() runs as the caller and says whether they may manage a session (its hosts, the
-- course's instructors, admins); session_join_link() and zoom_join_info() run as the caller and
-- give the link private.join_role() (the registrations migration) lets them have now: the
-- meeting's own link for hosts and admins, an attendee's personal link once Zoom has approved it.
-- The functions never decide that themselves. Storing the meeting, a registrant and its approval,
-- and the token, is for the service only.
--
-- Meetings approve registrants manually (approval_type 1), so whoever registers on Zoom's own
-- page stays pending and can't join; zoom-join approves exactly the registrant it stored for the
-- caller (zoom_begin_approval(), then Zoom, then zoom_registrant_approved()) before the link is
-- handed out.

create table private.zoom_meetings (
  session_id uuid primary key references public.live_sessions (id) on delete cascade,
  meeting_id bigint not null unique,
  join_url text not null,
  host_user text not null default 'me',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Each attendee's Zoom registrant. Meetings require registration with manual approval: attendees
-- join with the personal link Zoom made for them, which lets them in only once we approve that
-- registrant, and Zoom reports who joined by registrant id, which is how attendance finds the
-- user (never by the email a participant types). Dropped with the meeting.
-- status is what Zoom holds for the registrant, as far as we know: 'approving' (an approval was
-- sent, or is about to be, at status_at: Zoom may or may not have it yet), 'approved' (Zoom
-- confirmed it at status_at) or 'cancelled' (Zoom confirmed a cancellation sent after any
-- approval landed). Only an approved registrant's link is handed out.
create table private.zoom_registrants (
  session_id uuid not null references private.zoom_meetings (session_id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  registrant_id text not null constraint zoom_registrants_registrant_id_key unique,
  join_url text not null,
  status text not null default 'approving'
    constraint zoom_registrants_status_valid check (status in ('approving', 'approved', 'cancelled')),
  status_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  primary key (session_id, user_id)
);
create index zoom_registrants_user_id_idx on private.zoom_registrants (user_id);
create table private.zoom_tokens (
  account_id text primary key,
  access_token text not null,
  expires_at timestamptz not null,
  updated_at timestamptz not null default now()
);

-- The session's meeting; PT404 no_meeting until a host has set one up.
create function private.require_meeting(session_id uuid) returns private.zoom_meetings
language plpgsql
stable
set search_path = ''
as $$
declare
  z private.zoom_meetings;
begin
  select * into z from private.zoom_meetings m where m.session_id = require_meeting.session_id;
  if not found then
    raise exception 'no meeting has been set up for this session yet' using errcode = 'PT404', detail = 'no_meeting';
  end if;
  return z;
end;
$$;
revoke all on function private.require_meeting(uuid) from public;

-- The link of a meeting that a user's join role (private.join_role()) gives them: the meeting's
-- own for a host; for an attendee, their personal registrant link once Zoom has approved it (null
-- until then).
create function private.meeting_link(z private.zoom_meetings, role text, user_id uuid) returns text
language sql
stable
set search_path = ''
as $$
  select case when meeting_link.role = 'host' then (meeting_link.z).join_url
              else (select r.join_url from private.zoom_registrants r
                    where r.session_id = (meeting_link.z).session_id and r.user_id = meeting_link.user_id
                      and r.status = 'approved') end
$$;
revoke all on function private.meeting_link(private.zoom_meetings, text, uuid) from public;

-- The Zoom join link, for whoever private.join_role() lets in at this moment: the meeting's own
-- link for hosts and admins; for attendees, their personal registrant link once Zoom has approved
-- it. An attendee who has none yet, or whose registrant is not approved (yet, or again after a
-- cancellation), gets P0001 join_link_pending: the zoom-join function creates and approves it
-- (Zoom must be called).
create function public.session_join_link(session_id uuid) returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  role text := private.join_role(session_join_link.session_id);
  url text := private.meeting_link(private.require_meeting(session_join_link.session_id), role, auth.uid());
begin
  if url is null then
    raise exception 'your personal join link is not ready yet' using errcode = 'P0001', detail = 'join_link_pending',
      hint = 'Call the zoom-join function: it creates your personal Zoom link and returns it.';
  end if;
  return url;
end;
$$;
revoke all on function public.session_join_link(uuid) from public, anon;
grant execute on function public.session_join_link(uuid) to authenticated;

-- The session a caller may manage, with its Zoom meeting id if one exists. 42501 otherwise.
create function public.zoom_session(session_id uuid)
returns table (id uuid, title text, description text, starts_at timestamptz, duration_minutes integer,
               timezone text, status public.live_session_status, meeting_id bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  s public.live_sessions;
begin
  select * into s from public.live_sessions where id = zoom_session.session_id;
  if not found then
    raise exception 'session not found' using errcode = 'PT404', detail = 'session_not_found';
  end if;
  if not private.can_manage_session(s.course_id, s.id) then
    raise exception 'only the session''s hosts, its course''s instructors and admins manage its meeting'
      using errcode = '42501', detail = 'not_session_host';
  end if;
  return query select s.id, s.title, s.description, s.starts_at, s.duration_minutes, s.timezone, s.status,
                      (select z.meeting_id from private.zoom_meetings z where z.session_id = s.id);
end;
$$;
revoke all on function public.zoom_session(uuid) from public, anon;
grant execute on function public.zoom_session(uuid) to authenticated, service_role;

-- Stores the session's meeting. A different meeting than before drops the old one's registrants
-- (their links and registrant ids belong to the old meeting).
create function public.zoom_save_meeting(session_id uuid, meeting_id bigint, join_url text) returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.zoom_registrants r
  where r.session_id = zoom_save_meeting.session_id
    and exists (select 1 from private.zoom_meetings z
                where z.session_id = zoom_save_meeting.session_id and z.meeting_id <> zoom_save_meeting.meeting_id);
  insert into private.zoom_meetings (session_id, meeting_id, join_url)
  values (zoom_save_meeting.session_id, zoom_save_meeting.meeting_id, zoom_save_meeting.join_url)
  on conflict (session_id) do update
    set meeting_id = excluded.meeting_id, join_url = excluded.join_url, updated_at = now()
$$;

-- What zoom-join needs, run as the caller: private.join_role() decides (the rule of
-- session_join_link(); raises otherwise). join_url is the link to hand out when one exists: the
-- meeting's for hosts and admins, the caller's own registrant link for attendees once Zoom has
-- approved it. When it is null, zoom-join approves the caller's stored registrant, or first adds
-- them to the meeting as a Zoom registrant with the email and names returned here and stores it
-- with zoom_save_registrant(), then asks again.
create function public.zoom_join_info(session_id uuid)
returns table (user_id uuid, meeting_id bigint, join_url text, email text, first_name text, last_name text)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := auth.uid();
  role text := private.join_role(zoom_join_info.session_id);
  z private.zoom_meetings := private.require_meeting(zoom_join_info.session_id);
  display text;
  address text;
begin
  select u.email, btrim(coalesce(p.display_name, '')) into address, display
  from auth.users u left join public.profiles p on p.id = u.id where u.id = uid;
  if display = '' then
    display := split_part(address, '@', 1);
  end if;
  return query select uid, z.meeting_id, private.meeting_link(z, role, uid), address,
    left(split_part(display, ' ', 1), 64),
    left(btrim(substr(display, char_length(split_part(display, ' ', 1)) + 1)), 64);
end;
$$;
revoke all on function public.zoom_join_info(uuid) from public, anon;
grant execute on function public.zoom_join_info(uuid) to authenticated;

-- Stores an attendee's Zoom registrant (service only), as being approved, and returns the stored
-- registrant id, which is the one to approve. The attendee must still be registered
-- (private.require_registration(): it may have been cancelled since zoom_join_info() let them
-- in). Idempotent: when two zoom-join calls race, the first
-- stored registrant wins and both callers approve it (the other stays pending at Zoom, unusable).
create function public.zoom_save_registrant(session_id uuid, user_id uuid, meeting_id bigint, registrant_id text,
                                            join_url text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  stored text;
begin
  if coalesce(btrim(zoom_save_registrant.registrant_id), '') = '' then
    raise exception 'registrant_id is required' using errcode = '22023', detail = 'missing_argument';
  end if;
  if zoom_save_registrant.join_url is null or zoom_save_registrant.join_url !~ '^https://' then
    raise exception 'join_url must be an https URL' using errcode = '22023', detail = 'invalid_join_url';
  end if;
  if not exists (select 1 from private.zoom_meetings z
                 where z.session_id = zoom_save_registrant.session_id and z.meeting_id = zoom_save_registrant.meeting_id) then
    raise exception 'the session''s meeting changed; try again' using errcode = 'P0001', detail = 'meeting_changed';
  end if;
  perform private.require_registration(zoom_save_registrant.session_id, zoom_save_registrant.user_id);
  insert into private.zoom_registrants (session_id, user_id, registrant_id, join_url, status, status_at)
  values (zoom_save_registrant.session_id, zoom_save_registrant.user_id, zoom_save_registrant.registrant_id,
          zoom_save_registrant.join_url, 'approving', now())
  on conflict do nothing;
  select r.registrant_id into stored from private.zoom_registrants r
  where r.session_id = zoom_save_registrant.session_id and r.user_id = zoom_save_registrant.user_id;
  if stored is null then
    raise exception 'that Zoom registrant belongs to another user' using errcode = '23505',
      detail = 'zoom_registrant_taken';
  end if;
  return stored;
end;
$$;

-- The attendee's stored registrant, before zoom-join asks Zoom to approve it (service only). A
-- registrant not approved yet (a first approval that failed, or one cancelled before the attendee
-- registered again) is marked 'approving' from now: a cancellation confirmed within the approval
-- window may have landed before this approval, so it leaves the registrant to be cancelled again
-- (see the zoom sync migration). No row: the attendee has no registrant yet.
create function public.zoom_begin_approval(session_id uuid, user_id uuid)
returns table (registrant_id text, approved boolean)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform private.require_registration(zoom_begin_approval.session_id, zoom_begin_approval.user_id);
  return query
  with marked as (
    update private.zoom_registrants r
    set status = case when r.status = 'approved' then r.status else 'approving' end,
        status_at = case when r.status = 'approved' then r.status_at else now() end
    where r.session_id = zoom_begin_approval.session_id and r.user_id = zoom_begin_approval.user_id
    returning r.registrant_id, r.status = 'approved' as approved
  )
  select m.registrant_id, m.approved from marked m;
end;
$$;

-- Zoom approved the registrant (service only): its link may be handed out from now.
create function public.zoom_registrant_approved(session_id uuid, user_id uuid, registrant_id text) returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  update private.zoom_registrants r set status = 'approved', status_at = now()
  where r.session_id = zoom_registrant_approved.session_id and r.user_id = zoom_registrant_approved.user_id
    and r.registrant_id = zoom_registrant_approved.registrant_id;
  if not found then
    raise exception 'the session''s meeting changed; try again' using errcode = 'P0001', detail = 'meeting_changed';
  end if;
end;
$$;

create function public.zoom_forget_meeting(session_id uuid) returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.zoom_meetings z where z.session_id = zoom_forget_meeting.session_id
$$;

create function public.zoom_cached_token(account_id text) returns text
language sql
stable
security definer
set search_path = ''
as $$
  select t.access_token from private.zoom_tokens t
  where t.account_id = zoom_cached_token.account_id and t.expires_at > now() + interval '60 seconds'
$$;

create function public.zoom_cache_token(account_id text, access_token text, expires_in integer) returns void
language sql
security definer
set search_path = ''
as $$
  insert into private.zoom_tokens (account_id, access_token, expires_at)
  values (zoom_cache_token.account_id, zoom_cache_token.access_token,
          now() + make_interval(secs => zoom_cache_token.expires_in))
  on conflict (account_id) do update
    set access_token = excluded.access_token, expires_at = excluded.expires_at, updated_at = now()
$$;

revoke all on function public.zoom_save_meeting(uuid, bigint, text) from public, anon, authenticated;
revoke all on function public.zoom_forget_meeting(uuid) from public, anon, authenticated;
revoke all on function public.zoom_save_registrant(uuid, uuid, bigint, text, text) from public, anon, authenticated;
revoke all on function public.zoom_begin_approval(uuid, uuid) from public, anon, authenticated;
revoke all on function public.zoom_registrant_approved(uuid, uuid, text) from public, anon, authenticated;
revoke all on function public.zoom_cached_token(text) from public, anon, authenticated;
revoke all on function public.zoom_cache_token(text, text, integer) from public, anon, authenticated;
grant execute on function public.zoom_save_meeting(uuid, bigint, text) to service_role;
grant execute on function public.zoom_forget_meeting(uuid) to service_role;
grant execute on function public.zoom_save_registrant(uuid, uuid, bigint, text, text) to service_role;
grant execute on function public.zoom_begin_approval(uuid, uuid) to service_role;
grant execute on function public.zoom_registrant_approved(uuid, uuid, text) to service_role;
grant execute on function public.zoom_cached_token(text) to service_role;
grant execute on function public.zoom_cache_token(text, text, integer) to service_role;
