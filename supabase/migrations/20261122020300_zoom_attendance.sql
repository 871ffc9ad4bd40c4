-- Zoom attendance: the zoom-webhook function's events, applied in the database.
--
-- zoom_apply_event() (service only) applies one verified event with a ledger of processed events,
-- so a replayed event does nothing: a meeting starting or ending sets the session's status, and
-- participants joining and leaving are recorded. Attendance finds users by Zoom registrant id
-- only (their personal link), while they are registered: an email typed into Zoom proves nothing.
-- When a meeting ends, attendees who stayed long enough complete the session's live lesson.

create table private.zoom_webhook_events (
  event_key text primary key,
  event text not null,
  received_at timestamptz not null default now()
);

create table private.zoom_attendance (
  session_id uuid not null references public.live_sessions (id) on delete cascade,
  participant_key text not null,
  user_id uuid references auth.users (id) on delete set null,
  joined_at timestamptz not null,
  left_at timestamptz,
  primary key (session_id, participant_key, joined_at)
);
create index zoom_attendance_user_id_idx on private.zoom_attendance (user_id);

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
        perform private.complete_lesson(r.user_id, s.lesson_id, s.course_id, zoom_apply_event.occurred_at);
      end loop;
    end if;
  elsif zoom_apply_event.event = 'meeting.participant_joined' then
    select zr.user_id into who from private.zoom_registrants zr
    where zr.session_id = s.id and zr.registrant_id = nullif(zoom_apply_event.participant ->> 'registrant_id', '')
      and private.is_registered(s.id, zr.user_id);
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

revoke all on function public.zoom_apply_event(text, text, bigint, timestamptz, jsonb, integer) from public, anon, authenticated;
grant execute on function public.zoom_apply_event(text, text, bigint, timestamptz, jsonb, integer) to service_role;
