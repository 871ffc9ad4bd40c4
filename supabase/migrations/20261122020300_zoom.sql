-- Zoom: what the zoom-meeting, zoom-host-link, zoom-join and zoom-webhook functions need from the
-- database.
--
-- zoom_session() runs as the caller and says whether they may manage a session (its hosts, the
-- course's instructors, admins); zoom_join_info() runs as the caller and says whether they may
-- join it now (private.join_role(), the rule of session_join_link()) — the functions never decide
-- that themselves. Everything else is service-only: storing the meeting and each attendee's Zoom
-- registrant and its approval, the cached OAuth token, and applying webhook events through one
-- function with a ledger of processed events, so a replayed event does nothing. Attendance finds
-- users by Zoom registrant id only: an email typed into Zoom proves nothing.
--
-- Meetings approve registrants manually (approval_type 1), so whoever registers on Zoom's own
-- page stays pending and can't join; zoom-join approves exactly the registrant it stored for the
-- caller (zoom_begin_approval(), then Zoom, then zoom_registrant_approved()) before the link is
-- handed out.

create table private.zoom_webhook_events (
  event_key text primary key,
  event text not null,
  received_at timestamptz not null default now()
);

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
  z private.zoom_meetings;
  display text;
  address text;
begin
  select * into z from private.zoom_meetings m where m.session_id = zoom_join_info.session_id;
  if not found then
    raise exception 'no meeting has been set up for this session yet' using errcode = 'PT404', detail = 'no_meeting';
  end if;
  select u.email, btrim(coalesce(p.display_name, '')) into address, display
  from auth.users u left join public.profiles p on p.id = u.id where u.id = uid;
  if display = '' then
    display := split_part(address, '@', 1);
  end if;
  return query select uid, z.meeting_id,
    case when role = 'host' then z.join_url
         else (select r.join_url from private.zoom_registrants r
               where r.session_id = z.session_id and r.user_id = uid and r.status = 'approved') end,
    address,
    left(split_part(display, ' ', 1), 64),
    left(btrim(substr(display, char_length(split_part(display, ' ', 1)) + 1)), 64);
end;
$$;
revoke all on function public.zoom_join_info(uuid) from public, anon;
grant execute on function public.zoom_join_info(uuid) to authenticated;

-- The attendee must still be registered when the service stores or approves their registrant
-- (their registration may have been cancelled since zoom_join_info() let them in).
create function private.require_registration(session_id uuid, user_id uuid) returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not exists (select 1 from public.live_session_registrations r
                 where r.session_id = require_registration.session_id and r.user_id = require_registration.user_id
                   and r.cancelled_at is null) then
    raise exception 'register for this session first' using errcode = '42501', detail = 'not_registered';
  end if;
end;
$$;
revoke all on function private.require_registration(uuid, uuid) from public;

-- Stores an attendee's Zoom registrant (service only), as being approved, and returns the stored
-- registrant id, which is the one to approve. Idempotent: when two zoom-join calls race, the first
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
-- (see the zoom-sync queue below). No row: the attendee has no registrant yet.
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

-- Applies one verified Zoom webhook event. Returns 'applied', 'duplicate' or 'ignored'.
-- participant: {key, registrant_id} for participant events. A participant is one of our users only
-- through the registrant id Zoom reports (their personal link), and only while registered; anyone
-- else (an unknown registrant, a typed email) is recorded without a user. When a meeting ends,
-- attendees who stayed at least min_attendance_percent of the planned duration complete the
-- session's live lesson.
create function public.zoom_apply_event(event_key text, event text, meeting_id bigint, occurred_at timestamptz,
                                        participant jsonb default null, min_attendance_percent integer default 50)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  s public.live_sessions;
  who uuid;
  r record;
begin
  if zoom_apply_event.event in ('meeting.participant_joined', 'meeting.participant_left')
     and coalesce(zoom_apply_event.participant ->> 'key', '') = '' then
    raise exception 'participant.key is required' using errcode = '22023', detail = 'missing_argument';
  end if;
  insert into private.zoom_webhook_events (event_key, event) values (zoom_apply_event.event_key, zoom_apply_event.event)
  on conflict do nothing;
  if not found then
    return 'duplicate';
  end if;
  select ls.* into s from public.live_sessions ls join private.zoom_meetings z on z.session_id = ls.id
  where z.meeting_id = zoom_apply_event.meeting_id;
  if not found then
    return 'ignored';
  end if;

  if zoom_apply_event.event = 'meeting.started' then
    update public.live_sessions set status = 'live' where id = s.id and status = 'scheduled';
  elsif zoom_apply_event.event = 'meeting.ended' then
    update public.live_sessions set status = 'ended' where id = s.id and status in ('scheduled', 'live');
    update private.zoom_attendance set left_at = zoom_apply_event.occurred_at where session_id = s.id and left_at is null;
    if s.lesson_id is not null then
      for r in
        select a.user_id from private.zoom_attendance a
        where a.session_id = s.id and a.user_id is not null
        group by a.user_id
        having sum(extract(epoch from coalesce(a.left_at, zoom_apply_event.occurred_at) - a.joined_at))
               >= s.duration_minutes * 60 * zoom_apply_event.min_attendance_percent / 100.0
      loop
        insert into public.lesson_progress (user_id, lesson_id, course_id, completed_at)
        values (r.user_id, s.lesson_id, s.course_id, zoom_apply_event.occurred_at)
        on conflict (user_id, lesson_id) do update set completed_at = coalesce(public.lesson_progress.completed_at, excluded.completed_at);
        perform private.refresh_course_progress(r.user_id, s.course_id, s.lesson_id);
      end loop;
    end if;
  elsif zoom_apply_event.event = 'meeting.participant_joined' then
    select zr.user_id into who from private.zoom_registrants zr
    where zr.session_id = s.id and zr.registrant_id = nullif(zoom_apply_event.participant ->> 'registrant_id', '')
      and exists (select 1 from public.live_session_registrations reg
                  where reg.session_id = s.id and reg.user_id = zr.user_id and reg.cancelled_at is null);
    insert into private.zoom_attendance (session_id, participant_key, user_id, joined_at)
    values (s.id, zoom_apply_event.participant ->> 'key', who, zoom_apply_event.occurred_at)
    on conflict do nothing;
  elsif zoom_apply_event.event = 'meeting.participant_left' then
    update private.zoom_attendance a set left_at = zoom_apply_event.occurred_at
    where a.session_id = s.id and a.participant_key = zoom_apply_event.participant ->> 'key' and a.left_at is null;
  else
    return 'ignored';
  end if;
  return 'applied';
end;
$$;

revoke all on function public.zoom_save_meeting(uuid, bigint, text) from public, anon, authenticated;
revoke all on function public.zoom_forget_meeting(uuid) from public, anon, authenticated;
revoke all on function public.zoom_save_registrant(uuid, uuid, bigint, text, text) from public, anon, authenticated;
revoke all on function public.zoom_begin_approval(uuid, uuid) from public, anon, authenticated;
revoke all on function public.zoom_registrant_approved(uuid, uuid, text) from public, anon, authenticated;
revoke all on function public.zoom_cached_token(text) from public, anon, authenticated;
revoke all on function public.zoom_cache_token(text, text, integer) from public, anon, authenticated;
revoke all on function public.zoom_apply_event(text, text, bigint, timestamptz, jsonb, integer) from public, anon, authenticated;
grant execute on function public.zoom_save_meeting(uuid, bigint, text) to service_role;
grant execute on function public.zoom_forget_meeting(uuid) to service_role;
grant execute on function public.zoom_save_registrant(uuid, uuid, bigint, text, text) to service_role;
grant execute on function public.zoom_begin_approval(uuid, uuid) to service_role;
grant execute on function public.zoom_registrant_approved(uuid, uuid, text) to service_role;
grant execute on function public.zoom_cached_token(text) to service_role;
grant execute on function public.zoom_cache_token(text, text, integer) to service_role;
grant execute on function public.zoom_apply_event(text, text, bigint, timestamptz, jsonb, integer) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Cancelling registrants at Zoom when access ends (the zoom-sync queue)
-- ---------------------------------------------------------------------------------------------
--
-- A personal link saved by an attendee keeps working at Zoom until Zoom cancels its registrant,
-- and SQL can't call Zoom. So whatever cancels a registration (a refund or dispute through the
-- orders, a revocation, the lapsed-registration sweep, cancel_registration()) also queues, in the
-- same transaction, a job to cancel that attendee's registrant at Zoom; so does a registrant row
-- that goes away while its meeting stays (the user was deleted, or the session got a new meeting).
-- The service-only zoom-sync function drains the queue the way send-emails drains the outbox:
-- claim_zoom_sync() hands out due jobs with `for update skip locked` and a lease;
-- complete_zoom_sync()/fail_zoom_sync() record the outcome, with exponential backoff and a dead
-- letter (and an alert to the admins) after max_attempts. Zoom no longer knowing the meeting or
-- the registrant (404) counts as done.
--
-- Registered again before the drain: claim_zoom_sync() marks the job obsolete and Zoom is not
-- called, so the attendee keeps their approved link. Registered again while the cancellation is
-- in flight: Zoom cancels the registrant, complete_zoom_sync() records it, and the attendee's
-- next zoom-join approves the same registrant again (session_join_link() sends them there).
--
-- Approvals race with cancellations: zoom-join may approve a registrant at Zoom just after a
-- cancellation landed. zoom_registrants.status says what Zoom may hold ('approving' for up to
-- private.zoom_approval_window() after zoom-join began an approval), a cancellation confirmed
-- before an approval may have landed leaves the status as it is, and each claim first queues a
-- new cancellation for registrants Zoom may hold approved whose registration is cancelled.

-- How long zoom-join may take from marking a registrant 'approving' to Zoom receiving the
-- approval (each Zoom call times out after 20 s; see _shared/zoom.ts).
create function private.zoom_approval_window() returns interval
language sql
immutable
set search_path = ''
as $$
  select interval '2 minutes'
$$;
revoke all on function private.zoom_approval_window() from public;

create table private.zoom_sync_jobs (
  id uuid primary key default gen_random_uuid(),
  action text not null constraint zoom_sync_jobs_action_valid check (action in ('cancel')),
  -- No foreign keys: a job outlives the registrant row, the user and the session it is about.
  session_id uuid not null,
  user_id uuid not null,
  meeting_id bigint not null,
  registrant_id text not null,
  status text not null default 'pending' constraint zoom_sync_jobs_status_valid
    check (status in ('pending', 'running', 'done', 'obsolete', 'dead')),
  outcome text constraint zoom_sync_jobs_outcome_valid check (outcome in ('cancelled', 'gone')),
  attempts integer not null default 0,
  max_attempts integer not null default 8,
  next_attempt_at timestamptz not null default now(),
  claimed_at timestamptz,
  locked_until timestamptz,
  locked_by text,
  last_error text,
  created_at timestamptz not null default now(),
  done_at timestamptz
);
-- One open job per registrant and action: queuing it again while one waits or runs does nothing.
create unique index zoom_sync_jobs_one_open_key on private.zoom_sync_jobs (registrant_id, action)
  where status in ('pending', 'running');
create index zoom_sync_jobs_due_idx on private.zoom_sync_jobs (next_attempt_at) where status in ('pending', 'running');
create index zoom_sync_jobs_registrant_id_idx on private.zoom_sync_jobs (registrant_id);

-- A registration was cancelled: its attendee's registrant, if Zoom may hold it approved, is to be
-- cancelled at Zoom.
create function private.zoom_registration_cancelled() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.zoom_sync_jobs (action, session_id, user_id, meeting_id, registrant_id)
  select 'cancel', zr.session_id, zr.user_id, z.meeting_id, zr.registrant_id
  from private.zoom_registrants zr join private.zoom_meetings z on z.session_id = zr.session_id
  where zr.session_id = new.session_id and zr.user_id = new.user_id and zr.status <> 'cancelled'
  on conflict do nothing;
  return null;
end;
$$;
revoke all on function private.zoom_registration_cancelled() from public;
create trigger live_session_registrations_cancel_zoom_registrant
  after update of cancelled_at on public.live_session_registrations
  for each row when (old.cancelled_at is null and new.cancelled_at is not null)
  execute function private.zoom_registration_cancelled();

-- A registrant row went away while its meeting stays (the user was deleted; the session got a new
-- meeting and the old one may still exist at Zoom): cancel it there too. Rows dropped with their
-- meeting (zoom_forget_meeting(), a deleted session) queue nothing: the meeting is gone.
create function private.zoom_registrant_removed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.zoom_sync_jobs (action, session_id, user_id, meeting_id, registrant_id)
  select 'cancel', old.session_id, old.user_id, z.meeting_id, old.registrant_id
  from private.zoom_meetings z
  where z.session_id = old.session_id and old.status <> 'cancelled'
  on conflict do nothing;
  return null;
end;
$$;
revoke all on function private.zoom_registrant_removed() from public;
create trigger zoom_registrants_removed after delete on private.zoom_registrants
  for each row execute function private.zoom_registrant_removed();

-- Hands out up to batch_size due jobs, each to one caller only (`for update skip locked`), leased
-- for lease_seconds: a drainer that dies before recording the outcome gives the job back when the
-- lease ends. First, one drainer at a time queues a cancellation for every registrant Zoom may
-- hold approved (approved, or an approval begun more than the approval window ago) whose
-- registration is cancelled, for sessions not over or cancelled, unless one is queued, running, or gave up
-- since the registrant last changed; then jobs whose attendee is registered again, still with
-- that registrant, become obsolete.
create function public.claim_zoom_sync(batch_size integer default 20, lease_seconds integer default 120,
                                       worker text default null)
returns table (id uuid, action text, meeting_id bigint, registrant_id text, attempts integer, max_attempts integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('public.claim_zoom_sync')) then
    insert into private.zoom_sync_jobs (action, session_id, user_id, meeting_id, registrant_id)
    select 'cancel', zr.session_id, zr.user_id, z.meeting_id, zr.registrant_id
    from private.zoom_registrants zr
    join private.zoom_meetings z on z.session_id = zr.session_id
    join public.live_sessions s on s.id = zr.session_id
    where (zr.status = 'approved' or (zr.status = 'approving' and zr.status_at < now() - private.zoom_approval_window()))
      and s.status in ('scheduled', 'live') and s.starts_at + make_interval(mins => s.duration_minutes) > now()
      and not exists (select 1 from public.live_session_registrations r
                      where r.session_id = zr.session_id and r.user_id = zr.user_id and r.cancelled_at is null)
      and not exists (select 1 from private.zoom_sync_jobs j
                      where j.registrant_id = zr.registrant_id
                        and (j.status in ('pending', 'running') or (j.status = 'dead' and j.created_at >= zr.status_at)))
    on conflict do nothing;
  end if;

  update private.zoom_sync_jobs j set status = 'obsolete', done_at = now(), locked_until = null
  where j.id in (
    select d.id from private.zoom_sync_jobs d
    where d.status in ('pending', 'running') and (d.locked_until is null or d.locked_until < now())
      and d.action = 'cancel'
      and exists (select 1 from private.zoom_registrants zr
                  join public.live_session_registrations r on r.session_id = zr.session_id and r.user_id = zr.user_id
                  where zr.registrant_id = d.registrant_id and r.cancelled_at is null)
    for update skip locked
  );

  return query
  update private.zoom_sync_jobs j
  set status = 'running', attempts = j.attempts + 1, claimed_at = now(),
      locked_until = now() + make_interval(secs => greatest(claim_zoom_sync.lease_seconds, 10)),
      locked_by = claim_zoom_sync.worker
  where j.id in (
    select d.id from private.zoom_sync_jobs d
    where d.status in ('pending', 'running') and d.next_attempt_at <= now()
      and (d.locked_until is null or d.locked_until < now())
    order by d.next_attempt_at
    limit least(greatest(claim_zoom_sync.batch_size, 1), 100)
    for update skip locked
  )
  returning j.id, j.action, j.meeting_id, j.registrant_id, j.attempts, j.max_attempts;
end;
$$;

-- Zoom did it (outcome 'cancelled': 204) or no longer knows the meeting or the registrant ('gone':
-- 404). The registrant is recorded cancelled unless an approval may have reached Zoom after this
-- cancellation was sent (then the next claim queues another). false: the job was not running
-- (its lease ran out and someone else has it, or it is finished).
create function public.complete_zoom_sync(id uuid, outcome text) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  j private.zoom_sync_jobs;
begin
  if complete_zoom_sync.outcome is null or complete_zoom_sync.outcome not in ('cancelled', 'gone') then
    raise exception 'outcome must be cancelled or gone' using errcode = '22023', detail = 'invalid_outcome';
  end if;
  update private.zoom_sync_jobs sj
  set status = 'done', outcome = complete_zoom_sync.outcome, done_at = now(), locked_until = null, last_error = null
  where sj.id = complete_zoom_sync.id and sj.status = 'running'
  returning sj.* into j;
  if not found then
    return false;
  end if;
  update private.zoom_registrants zr set status = 'cancelled', status_at = now()
  where zr.registrant_id = j.registrant_id and zr.status <> 'cancelled'
    and zr.status_at + case when zr.status = 'approving' then private.zoom_approval_window() else interval '0' end
        < j.claimed_at;
  return true;
end;
$$;

-- Records a failed attempt: retry after retry_after_seconds (a 429's Retry-After), else after an
-- exponential backoff (30 s, 1, 2, 4, 8, 16, 32 min); dead-lettered after max_attempts, which
-- alerts the admins (a refunded attendee's link may still work). Returns the new status, or null
-- when the job was not running.
create function public.fail_zoom_sync(id uuid, error text, retry_after_seconds integer default null) returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  j private.zoom_sync_jobs;
begin
  update private.zoom_sync_jobs sj
  set status = case when sj.attempts >= sj.max_attempts then 'dead' else 'pending' end,
      done_at = case when sj.attempts >= sj.max_attempts then now() end,
      last_error = left(fail_zoom_sync.error, 2000),
      locked_until = null,
      next_attempt_at = now() + make_interval(secs => case
        when fail_zoom_sync.retry_after_seconds is not null then greatest(fail_zoom_sync.retry_after_seconds, 1)
        else least(30 * power(2, greatest(sj.attempts, 1) - 1), 3600)::integer end)
  where sj.id = fail_zoom_sync.id and sj.status = 'running'
  returning sj.* into j;
  if not found then
    return null;
  end if;
  if j.status = 'dead' then
    perform private.alert_admins('A Zoom registrant could not be cancelled',
      format('Zoom refused to cancel registrant %s of meeting %s %s times; their personal join link may still work. Last error: %s',
             j.registrant_id, j.meeting_id, j.attempts, left(j.last_error, 500)),
      jsonb_build_object('job_id', j.id, 'session_id', j.session_id, 'user_id', j.user_id,
                         'meeting_id', j.meeting_id, 'registrant_id', j.registrant_id));
  end if;
  return j.status;
end;
$$;

revoke all on function public.claim_zoom_sync(integer, integer, text) from public, anon, authenticated;
revoke all on function public.complete_zoom_sync(uuid, text) from public, anon, authenticated;
revoke all on function public.fail_zoom_sync(uuid, text, integer) from public, anon, authenticated;
grant execute on function public.claim_zoom_sync(integer, integer, text) to service_role;
grant execute on function public.complete_zoom_sync(uuid, text) to service_role;
grant execute on function public.fail_zoom_sync(uuid, text, integer) to service_role;

-- pg_cron starts the zoom-sync drain every minute (on hosted Supabase; `npm run zoom:sync` locally).
select cron.schedule('zoom-sync', '* * * * *', 'select private.call_edge_function(''zoom-sync'')');
