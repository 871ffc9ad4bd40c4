-- Live sessions (webinars on Zoom).
--
-- A session belongs to a course or stands alone (free, or sold by commerce). Published sessions
-- are listed publicly. A session's hosts (its creator first) and the course's instructors manage
-- it (private.managed_session_ids()); who is registered is here too (live_session_registrations,
-- read by the registrant, the hosts and admins), written only by the registrations migration's
-- functions. Zoom state (meeting id, join links, registrants, OAuth tokens) lives in the private
-- schema (the zoom migrations): clients get the join link only through session_join_link(), as
-- a host, or as a registrant who has access now (for a course's session: access to the course at
-- that moment), from a window before the start. The host start link is never stored.

create type public.live_session_status as enum ('scheduled', 'live', 'ended', 'cancelled');

create table public.live_sessions (
  id uuid primary key default gen_random_uuid(),
  course_id uuid references public.courses (id) on delete cascade,
  lesson_id uuid references public.lessons (id) on delete set null,
  title text not null constraint live_sessions_title_length check (char_length(btrim(title)) between 3 and 160),
  description text constraint live_sessions_description_length check (char_length(description) <= 10000),
  starts_at timestamptz not null,
  duration_minutes integer not null default 60
    constraint live_sessions_duration_valid check (duration_minutes between 5 and 720),
  timezone text not null default 'UTC',
  capacity integer constraint live_sessions_capacity_positive check (capacity > 0),
  status public.live_session_status not null default 'scheduled',
  is_published boolean not null default false,
  is_free boolean not null default true,
  join_opens_minutes integer not null default 15
    constraint live_sessions_join_window_valid check (join_opens_minutes between 0 and 1440),
  registered_count integer not null default 0,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint live_sessions_lesson_needs_course check (lesson_id is null or course_id is not null),
  constraint live_sessions_course_sessions_free check (course_id is null or is_free)
);
create index live_sessions_course_id_idx on public.live_sessions (course_id);
create index live_sessions_lesson_id_idx on public.live_sessions (lesson_id);
create index live_sessions_created_by_idx on public.live_sessions (created_by);
create index live_sessions_upcoming_idx on public.live_sessions (starts_at) where status in ('scheduled', 'live');
alter table public.live_sessions enable row level security;

create table public.live_session_hosts (
  session_id uuid not null references public.live_sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  primary key (session_id, user_id)
);
create index live_session_hosts_user_id_idx on public.live_session_hosts (user_id);
alter table public.live_session_hosts enable row level security;

create table public.live_session_registrations (
  session_id uuid not null references public.live_sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  source text not null constraint live_session_registrations_source_valid
    check (source in ('free', 'course', 'purchase', 'grant')),
  registered_at timestamptz not null default now(),
  cancelled_at timestamptz,
  primary key (session_id, user_id)
);
create index live_session_registrations_user_id_idx on public.live_session_registrations (user_id);
alter table public.live_session_registrations enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- Sessions the caller hosts.
create function private.hosted_session_ids() returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select h.session_id from public.live_session_hosts h where h.user_id = (select auth.uid())
$$;
-- Sessions the caller is registered to (not cancelled).
create function private.registered_session_ids() returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select r.session_id from public.live_session_registrations r
  where r.user_id = (select auth.uid()) and r.cancelled_at is null
$$;
revoke all on function private.hosted_session_ids() from public;
revoke all on function private.registered_session_ids() from public;
grant execute on function private.hosted_session_ids() to authenticated, service_role;
grant execute on function private.registered_session_ids() to authenticated, service_role;

create function private.live_sessions_before_write() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (tg_op = 'INSERT' or new.timezone is distinct from old.timezone)
     and not exists (select 1 from pg_catalog.pg_timezone_names tz where tz.name = new.timezone) then
    -- The name is cut short in the message: an error never echoes unbounded input.
    raise exception 'unknown time zone "%"',
      case when char_length(new.timezone) > 64 then left(new.timezone, 64) || '…' else new.timezone end
      using errcode = '22023', detail = 'unknown_time_zone';
  end if;
  if new.lesson_id is not null and not exists (
    select 1 from public.lessons l where l.id = new.lesson_id and l.course_id = new.course_id) then
    raise exception 'the lesson must belong to the session''s course' using errcode = '22023',
      detail = 'lesson_not_in_course';
  end if;
  if tg_op = 'UPDATE' then
    new.updated_at := now();
  end if;
  return new;
end;
$$;
revoke all on function private.live_sessions_before_write() from public;
create trigger live_sessions_before_write before insert or update on public.live_sessions
  for each row execute function private.live_sessions_before_write();

-- The creator hosts the session.
create function private.live_sessions_add_host() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.created_by is not null then
    insert into public.live_session_hosts (session_id, user_id) values (new.id, new.created_by)
    on conflict do nothing;
  end if;
  return null;
end;
$$;
revoke all on function private.live_sessions_add_host() from public;
create trigger live_sessions_add_host after insert on public.live_sessions
  for each row execute function private.live_sessions_add_host();

-- Sessions the caller manages (edits, and runs the meeting of): every session for admins;
-- otherwise those they host and those of a course they teach.
create function private.managed_session_ids() returns setof uuid
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  if private.is_admin() then
    return query select s.id from public.live_sessions s;
  else
    return query select private.hosted_session_ids()
    union
    select s.id from public.live_sessions s where s.course_id in (select private.instructed_course_ids((select auth.uid())));
  end if;
end;
$$;

-- The same rule for one session (zoom_session), or, without a session id, who may create one: for
-- a course, those who manage the course; a standalone session, instructors (and admins).
create function private.can_manage_session(course_id uuid, session_id uuid) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return case
    when can_manage_session.session_id is not null
      then can_manage_session.session_id in (select private.managed_session_ids())
    when can_manage_session.course_id is not null then private.can_manage_course(can_manage_session.course_id)
    else private.is_instructor()
  end;
end;
$$;

revoke all on function private.managed_session_ids() from public;
revoke all on function private.can_manage_session(uuid, uuid) from public;
grant execute on function private.managed_session_ids() to authenticated, service_role;
grant execute on function private.can_manage_session(uuid, uuid) to authenticated, service_role;

-- A co-instructor removed from a course stops hosting its sessions, so they lose the join link
-- and the meeting's management with the course (their own courses' sessions are untouched).
create function private.course_instructor_removed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.live_session_hosts h
  using public.live_sessions s
  where s.id = h.session_id and s.course_id = old.course_id and h.user_id = old.user_id;
  return null;
end;
$$;
revoke all on function private.course_instructor_removed() from public;
create trigger course_instructors_removed_unhost after delete on public.course_instructors
  for each row execute function private.course_instructor_removed();

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

grant select on public.live_sessions to anon, authenticated;
grant insert (course_id, lesson_id, title, description, starts_at, duration_minutes, timezone, capacity, is_published,
              is_free, join_opens_minutes),
      update (lesson_id, title, description, starts_at, duration_minutes, timezone, capacity, status, is_published,
              is_free, join_opens_minutes)
  on public.live_sessions to authenticated;
grant select, insert, update, delete on public.live_sessions to service_role;

create policy "anyone lists published sessions" on public.live_sessions for select to anon
  using (is_published);
-- A new session is read from the moment it exists, before managed_session_ids() can hold it:
-- INSERT ... RETURNING (supabase-js's insert(...).select()) checks the new row against this policy
-- before it is stored and before the AFTER trigger makes its creator a host. So the policy also
-- asks the row's own values: a course's session, those who manage the course (whose removal takes
-- their hosting away too); a standalone one, its creator.
create policy "users list published sessions, theirs, and what they host" on public.live_sessions
  for select to authenticated
  using (is_published or id in (select private.managed_session_ids())
         or id in (select private.registered_session_ids())
         or course_id in (select private.managed_course_ids())
         or (course_id is null and created_by = (select auth.uid())));
create policy "instructors create sessions" on public.live_sessions for insert to authenticated
  with check (private.can_manage_session(course_id, null) and created_by = (select auth.uid()));
create policy "hosts and instructors edit sessions" on public.live_sessions for update to authenticated
  using (id in (select private.managed_session_ids())) with check (id in (select private.managed_session_ids()));

grant select on public.live_session_hosts to anon, authenticated;
grant select, insert, update, delete on public.live_session_hosts to service_role;
create policy "anyone sees the hosts of published sessions" on public.live_session_hosts for select to anon
  using (session_id in (select s.id from public.live_sessions s));
create policy "users see the hosts of sessions they can see" on public.live_session_hosts for select to authenticated
  using (session_id in (select s.id from public.live_sessions s));

grant select on public.live_session_registrations to authenticated;
grant select, insert, update, delete on public.live_session_registrations to service_role;
create policy "students see their registrations; hosts their sessions'; admins all"
  on public.live_session_registrations for select to authenticated
  using (user_id = (select auth.uid()) or session_id in (select private.hosted_session_ids())
         or (select private.is_admin()));
