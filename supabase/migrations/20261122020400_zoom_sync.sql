-- Zoom sync: cancelling attendees' Zoom registrants when their registration ends.
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

-- Queues the cancellation of one Zoom registrant at Zoom; nothing when one is already waiting
-- or running for it (zoom_sync_jobs_one_open_key).
create function private.queue_zoom_cancel(session_id uuid, user_id uuid, meeting_id bigint, registrant_id text)
returns void
language sql
set search_path = ''
as $$
  insert into private.zoom_sync_jobs (action, session_id, user_id, meeting_id, registrant_id)
  values ('cancel', queue_zoom_cancel.session_id, queue_zoom_cancel.user_id, queue_zoom_cancel.meeting_id,
          queue_zoom_cancel.registrant_id)
  on conflict do nothing
$$;
revoke all on function private.queue_zoom_cancel(uuid, uuid, bigint, text) from public;

-- A registration was cancelled: its attendee's registrant, if Zoom may hold it approved, is to be
-- cancelled at Zoom.
create function private.zoom_registration_cancelled() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.queue_zoom_cancel(zr.session_id, zr.user_id, z.meeting_id, zr.registrant_id)
  from private.zoom_registrants zr join private.zoom_meetings z on z.session_id = zr.session_id
  where zr.session_id = new.session_id and zr.user_id = new.user_id and zr.status <> 'cancelled';
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
  perform private.queue_zoom_cancel(old.session_id, old.user_id, z.meeting_id, old.registrant_id)
  from private.zoom_meetings z
  where z.session_id = old.session_id and old.status <> 'cancelled';
  return null;
end;
$$;
revoke all on function private.zoom_registrant_removed() from public;
create trigger zoom_registrants_removed after delete on private.zoom_registrants
  for each row execute function private.zoom_registrant_removed();

-- Hands out up to batch_size due jobs (at most 100), each to one caller only, leased for
-- lease_seconds (private.claim_jobs), and notes when each was claimed. First, one drainer at a
-- time queues a cancellation for every registrant Zoom may hold approved (approved, or an approval
-- begun more than the approval window ago) whose registration is cancelled, for sessions not over
-- or cancelled, unless one is queued, running, or gave up since the registrant last changed; then
-- jobs whose attendee is registered again, still with that registrant, become obsolete.
create function public.claim_zoom_sync(batch_size integer default 20, lease_seconds integer default 120,
                                       worker text default null)
returns table (id uuid, action text, meeting_id bigint, registrant_id text, attempts integer, max_attempts integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  claimed uuid[];
begin
  if pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('public.claim_zoom_sync')) then
    perform private.queue_zoom_cancel(zr.session_id, zr.user_id, z.meeting_id, zr.registrant_id)
    from private.zoom_registrants zr
    join private.zoom_meetings z on z.session_id = zr.session_id
    join public.live_sessions s on s.id = zr.session_id
    where (zr.status = 'approved' or (zr.status = 'approving' and zr.status_at < now() - private.zoom_approval_window()))
      and s.status in ('scheduled', 'live') and s.starts_at + make_interval(mins => s.duration_minutes) > now()
      and not private.is_registered(zr.session_id, zr.user_id)
      and not exists (select 1 from private.zoom_sync_jobs j
                      where j.registrant_id = zr.registrant_id
                        and (j.status in ('pending', 'running') or (j.status = 'dead' and j.created_at >= zr.status_at)));
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

  claimed := array(select private.claim_jobs('private.zoom_sync_jobs', 'running', claim_zoom_sync.batch_size, 100,
                                            claim_zoom_sync.lease_seconds, claim_zoom_sync.worker));
  return query
  update private.zoom_sync_jobs j set claimed_at = now()
  where j.id = any (claimed)
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

-- Records a failed attempt (private.fail_job: backoff, then the dead letter; a Retry-After counts
-- as a second at least); a dead-lettered job alerts the admins (a refunded attendee's link may
-- still work). Returns the new status, or null when the job was not running.
create function public.fail_zoom_sync(id uuid, error text, retry_after_seconds integer default null) returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  status text := private.fail_job('private.zoom_sync_jobs', 'running', fail_zoom_sync.id, fail_zoom_sync.error,
    case when fail_zoom_sync.retry_after_seconds is not null then greatest(fail_zoom_sync.retry_after_seconds, 1) end,
    false);
  j private.zoom_sync_jobs;
begin
  if status = 'dead' then
    update private.zoom_sync_jobs sj set done_at = now() where sj.id = fail_zoom_sync.id returning sj.* into j;
    perform private.alert_admins('A Zoom registrant could not be cancelled',
      format('Zoom refused to cancel registrant %s of meeting %s %s times; their personal join link may still work. Last error: %s',
             j.registrant_id, j.meeting_id, j.attempts, left(j.last_error, 500)),
      jsonb_build_object('job_id', j.id, 'session_id', j.session_id, 'user_id', j.user_id,
                         'meeting_id', j.meeting_id, 'registrant_id', j.registrant_id));
  end if;
  return status;
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
