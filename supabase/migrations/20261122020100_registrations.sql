-- Registrations: who is registered to a session, who may join it now, and what registrants are
-- told (notices and reminders).
--
-- One private function registers a user (private.register_user): it locks the session row, so
-- concurrent registrations serialize and the capacity (registrations plus the seats held for
-- pending paid orders) holds; it writes the confirmation email and the notification in the same
-- transaction. Its doors: register_for_session() (students: free sessions, or their course's
-- sessions), automatic registration of entitled students to their course's published sessions,
-- and grant_session_registration() for commerce (service_role). Who may join a session now is
-- private.join_role(); the link itself comes from the zoom meetings migration.

-- live_sessions.registered_count follows the registrations themselves: +1 for a new or
-- reactivated registration, -1 for a cancelled one, whoever writes them.
create function private.registrations_count() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  delta integer := case
    when tg_op = 'INSERT' then case when new.cancelled_at is null then 1 else 0 end
    when old.cancelled_at is null and new.cancelled_at is not null then -1
    when old.cancelled_at is not null and new.cancelled_at is null then 1
    else 0 end;
begin
  if delta <> 0 then
    update public.live_sessions s set registered_count = s.registered_count + delta where s.id = new.session_id;
  end if;
  return null;
end;
$$;
revoke all on function private.registrations_count() from public;
create trigger live_session_registrations_count after insert or update of cancelled_at on public.live_session_registrations
  for each row execute function private.registrations_count();

-- Seats held for buyers between their order and its payment. Commerce writes them (create_order
-- holds a seat under the session's lock; the hold follows its order and goes when the order stops
-- pending). A live hold takes a seat just as a registration does.
create table private.seat_holds (
  order_id uuid primary key, -- public.orders (the foreign key is added by the orders migration)
  session_id uuid not null references public.live_sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  expires_at timestamptz -- null: held until the payment settles
);
create index seat_holds_session_id_idx on private.seat_holds (session_id);
create index seat_holds_user_id_idx on private.seat_holds (user_id);

-- Seats taken in a session: registrations plus live holds (leaving out one order's own hold).
create function private.seats_taken(session_id uuid, except_order_id uuid default null) returns integer
language sql stable
set search_path = ''
as $$
  select s.registered_count + (
    select count(*)::integer from private.seat_holds h
    where h.session_id = s.id and (h.expires_at is null or h.expires_at > now())
      and h.order_id is distinct from seats_taken.except_order_id)
  from public.live_sessions s where s.id = seats_taken.session_id
$$;
revoke all on function private.seats_taken(uuid, uuid) from public;

-- The one rule for "registered": the user holds a registration to the session that is not
-- cancelled. require_registration() raises when they don't (joining, a Zoom registrant); a
-- session that is over or cancelled takes no registration and lets nobody join
-- (require_session_open()).
create function private.is_registered(session_id uuid, user_id uuid) returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (select 1 from public.live_session_registrations r
                 where r.session_id = is_registered.session_id and r.user_id = is_registered.user_id
                   and r.cancelled_at is null)
$$;
revoke all on function private.is_registered(uuid, uuid) from public;

create function private.require_registration(session_id uuid, user_id uuid) returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not private.is_registered(require_registration.session_id, require_registration.user_id) then
    raise exception 'register for this session first' using errcode = '42501', detail = 'not_registered';
  end if;
end;
$$;
revoke all on function private.require_registration(uuid, uuid) from public;

create function private.require_session_open(s public.live_sessions) returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if s.status in ('ended', 'cancelled') or s.starts_at + make_interval(mins => s.duration_minutes) < now() then
    raise exception 'this session is over or cancelled' using errcode = 'P0001', detail = 'session_closed';
  end if;
end;
$$;
revoke all on function private.require_session_open(public.live_sessions) from public;

-- What every email about a session tells its template (send-emails/templates.ts): the session,
-- its title, start, length and time zone.
create function private.session_email_data(s public.live_sessions) returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object('session_id', s.id, 'title', s.title, 'starts_at', s.starts_at,
                            'duration_minutes', s.duration_minutes, 'timezone', s.timezone)
$$;
revoke all on function private.session_email_data(public.live_sessions) from public;

create function private.register_user(session_id uuid, user_id uuid, source text, enforce_capacity boolean)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  s public.live_sessions;
  existing public.live_session_registrations;
begin
  select * into s from public.live_sessions where id = register_user.session_id for update;
  if not found then
    raise exception 'session not found' using errcode = 'PT404', detail = 'session_not_found';
  end if;
  perform private.require_session_open(s);
  select * into existing from public.live_session_registrations r
  where r.session_id = s.id and r.user_id = register_user.user_id;
  if found and existing.cancelled_at is null then
    return false;
  end if;
  if register_user.enforce_capacity and s.capacity is not null and private.seats_taken(s.id) >= s.capacity then
    raise exception 'this session is full' using errcode = 'P0001', detail = 'session_full';
  end if;
  insert into public.live_session_registrations as r (session_id, user_id, source)
  values (s.id, register_user.user_id, register_user.source)
  on conflict (session_id, user_id) do update
    set cancelled_at = null, registered_at = now(), source = excluded.source;

  perform private.enqueue_email('webinar_registration', 'essential', register_user.user_id,
    private.session_email_data(s),
    'registration:' || s.id || ':' || register_user.user_id || ':' || extract(epoch from now())::bigint);
  perform private.notify(register_user.user_id, 'session_registered', 'You are registered: ' || s.title,
    null, '/live/' || s.id, jsonb_build_object('session_id', s.id, 'starts_at', s.starts_at));
  return true;
end;
$$;
revoke all on function private.register_user(uuid, uuid, text, boolean) from public;

-- Students: register for a published session (free standalone, or a session of a course they have).
create function public.register_for_session(session_id uuid) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('register');
  s public.live_sessions;
begin
  select * into s from public.live_sessions where id = register_for_session.session_id;
  if not found or not s.is_published then
    raise exception 'session not found' using errcode = 'PT404', detail = 'session_not_found';
  end if;
  if s.course_id is not null then
    if not private.has_course_access(s.course_id) then
      raise exception 'this session is for students of its course' using errcode = '42501', detail = 'no_access';
    end if;
    return private.register_user(s.id, uid, 'course', false);
  end if;
  if not s.is_free then
    raise exception 'this session is not free' using errcode = 'P0001', detail = 'session_not_free',
      hint = 'Buy a seat to register.';
  end if;
  return private.register_user(s.id, uid, 'free', true);
end;
$$;

create function public.cancel_registration(session_id uuid) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform 1 from public.live_sessions s where s.id = cancel_registration.session_id for update;
  update public.live_session_registrations r set cancelled_at = now()
  where r.session_id = cancel_registration.session_id and r.user_id = auth.uid() and r.cancelled_at is null;
  return found;
end;
$$;

-- Commerce (service_role): a paid seat, or an admin's manual seat. Capacity applies.
create function public.grant_session_registration(user_id uuid, session_id uuid, source text default 'purchase')
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if grant_session_registration.source not in ('purchase', 'grant') then
    raise exception 'source must be purchase or grant' using errcode = '22023', detail = 'invalid_source';
  end if;
  return private.register_user(grant_session_registration.session_id, grant_session_registration.user_id,
                               grant_session_registration.source, true);
end;
$$;

revoke all on function public.register_for_session(uuid) from public, anon;
revoke all on function public.cancel_registration(uuid) from public, anon;
revoke all on function public.grant_session_registration(uuid, uuid, text) from public, anon, authenticated;
grant execute on function public.register_for_session(uuid) to authenticated;
grant execute on function public.cancel_registration(uuid) to authenticated;
grant execute on function public.grant_session_registration(uuid, uuid, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Automatic registration of a course's students
-- ---------------------------------------------------------------------------------------------

-- An active entitlement registers the student to the course's upcoming sessions; losing access
-- cancels those registrations.
create function private.entitlement_registers_sessions() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if private.is_active(new) then
    perform private.register_user(s.id, new.user_id, 'course', false)
    from public.live_sessions s
    where s.course_id = new.course_id and s.is_published and s.status = 'scheduled' and s.starts_at > now()
      and not private.is_registered(s.id, new.user_id);
  elsif not exists (select 1 from public.entitlements e
                    where e.user_id = new.user_id and e.course_id = new.course_id and private.is_active(e)) then
    -- Access ended (refund, revocation): the student leaves the course's upcoming sessions.
    update public.live_session_registrations r set cancelled_at = now()
    from public.live_sessions s
    where s.id = r.session_id and s.course_id = new.course_id and s.starts_at > now()
      and r.user_id = new.user_id and r.source = 'course' and r.cancelled_at is null;
  end if;
  return null;
end;
$$;
revoke all on function private.entitlement_registers_sessions() from public;
create trigger entitlements_register_sessions after insert or update of revoked_at, ends_at on public.entitlements
  for each row execute function private.entitlement_registers_sessions();

create function private.session_registers_students() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.course_id is not null and new.is_published and new.status = 'scheduled'
     and (tg_op = 'INSERT' or not old.is_published) then
    perform private.register_user(new.id, e.user_id, 'course', false)
    from (select distinct e.user_id from public.entitlements e
          where e.course_id = new.course_id and private.is_active(e)) e;
  end if;
  return null;
end;
$$;
revoke all on function private.session_registers_students() from public;
create trigger live_sessions_register_students after insert or update of is_published on public.live_sessions
  for each row execute function private.session_registers_students();

-- Cancelled or rescheduled: tell every registrant (essential email and notification).
create function private.session_changed_notices() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  kind text;
  r record;
begin
  if new.status = 'cancelled' and old.status <> 'cancelled' then
    kind := 'webinar_cancelled';
  elsif new.starts_at <> old.starts_at and new.status = 'scheduled' then
    kind := 'webinar_rescheduled';
  else
    return null;
  end if;
  for r in select reg.user_id from public.live_session_registrations reg
           where reg.session_id = new.id and reg.cancelled_at is null loop
    perform private.enqueue_email(kind, 'essential', r.user_id,
      private.session_email_data(new) || jsonb_build_object('previous_starts_at', old.starts_at),
      kind || ':' || new.id || ':' || r.user_id || ':' || extract(epoch from new.starts_at)::bigint);
    perform private.notify(r.user_id, kind,
      case kind when 'webinar_cancelled' then 'Cancelled: ' else 'New time: ' end || new.title,
      null, '/live/' || new.id, jsonb_build_object('session_id', new.id, 'starts_at', new.starts_at));
  end loop;
  return null;
end;
$$;
revoke all on function private.session_changed_notices() from public;
create trigger live_sessions_changed_notices after update of status, starts_at on public.live_sessions
  for each row execute function private.session_changed_notices();

-- ---------------------------------------------------------------------------------------------
-- Who may join a session now
-- ---------------------------------------------------------------------------------------------

-- Who may join a session, decided at each call and never from a stored grant alone: its hosts
-- and admins at any time ('host'); anyone else ('attendee') needs, for a session of a course,
-- access to that course now (a refund, a revocation or a subscription period that ended takes it
-- away: a registration is not enough), an active registration, and the join window (from
-- join_opens_minutes before the start until the end). Raises otherwise. Shared by
-- session_join_link() and zoom_join_info().
create function private.join_role(session_id uuid) returns text
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := auth.uid();
  s public.live_sessions;
begin
  select * into s from public.live_sessions where id = join_role.session_id;
  if not found or uid is null then
    raise exception 'session not found' using errcode = 'PT404', detail = 'session_not_found';
  end if;
  if private.is_admin() or exists (select 1 from public.live_session_hosts h
                                   where h.session_id = s.id and h.user_id = uid) then
    return 'host';
  end if;
  if s.course_id is not null and not private.has_course_access(s.course_id) then
    raise exception 'this session is for students of its course' using errcode = '42501', detail = 'no_access';
  end if;
  perform private.require_registration(s.id, uid);
  perform private.require_session_open(s);
  if now() < s.starts_at - make_interval(mins => s.join_opens_minutes) then
    raise exception 'the join link opens % minutes before the start', s.join_opens_minutes
      using errcode = 'P0001', detail = 'too_early',
            hint = 'Opens at ' || (s.starts_at - make_interval(mins => s.join_opens_minutes))::text;
  end if;
  return 'attendee';
end;
$$;
revoke all on function private.join_role(uuid) from public;

-- ---------------------------------------------------------------------------------------------
-- Reminders, 24 h and 1 h before the start; never twice (dedupe keys include the start time)
-- ---------------------------------------------------------------------------------------------

-- Registrations whose access ended. A session of a course needs access to the course now, and
-- time alone ends some access (a subscription period passes without any write, so no trigger
-- fires). Cancels the registrations, to sessions of a course that are not over, of users who no
-- longer have access: no active entitlement, not one of the course's instructors, not a host of
-- the session, not an admin. Returns how many. The reminder run calls it first.
create function private.cancel_lapsed_registrations() returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  n integer;
begin
  update public.live_session_registrations r set cancelled_at = now()
  from public.live_sessions s
  where s.id = r.session_id and r.cancelled_at is null and s.course_id is not null
    and s.status in ('scheduled', 'live') and s.starts_at + make_interval(mins => s.duration_minutes) > now()
    and not exists (select 1 from public.entitlements e
                    where e.user_id = r.user_id and e.course_id = s.course_id and private.is_active(e))
    and not exists (select 1 from public.course_instructors ci where ci.course_id = s.course_id and ci.user_id = r.user_id)
    and not exists (select 1 from public.live_session_hosts h where h.session_id = s.id and h.user_id = r.user_id)
    and not private.is_admin(r.user_id);
  get diagnostics n = row_count;
  return n;
end;
$$;
revoke all on function private.cancel_lapsed_registrations() from public;

create function private.enqueue_session_reminders() returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  n integer := 0;
  r record;
  kind text;
begin
  -- Students whose access ended are neither reminded nor kept registered.
  perform private.cancel_lapsed_registrations();
  for r in
    select s.id, s.starts_at, private.session_email_data(s) as data, reg.user_id
    from public.live_sessions s
    join public.live_session_registrations reg on reg.session_id = s.id and reg.cancelled_at is null
    where s.status = 'scheduled' and s.is_published and s.starts_at > now() and s.starts_at <= now() + interval '24 hours'
  loop
    kind := case when r.starts_at <= now() + interval '1 hour' then 'webinar_reminder_1h' else 'webinar_reminder_24h' end;
    if private.enqueue_email(kind, 'reminders', r.user_id, r.data,
         kind || ':' || r.id || ':' || r.user_id || ':' || extract(epoch from r.starts_at)::bigint) is not null then
      n := n + 1;
    end if;
  end loop;
  return n;
end;
$$;
revoke all on function private.enqueue_session_reminders() from public;

-- pg_cron (created by the foundation migration) sends the reminders every five minutes.
select cron.schedule('session-reminders', '*/5 * * * *', 'select private.enqueue_session_reminders()');
