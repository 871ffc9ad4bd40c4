-- Learning: sections, lessons, lesson content and materials, drip and prerequisites, progress.
--
-- The outline (sections, lessons: titles, durations, preview flags, when each lesson opens) is
-- public for published courses. Lesson bodies and materials are separate tables: users with access
-- read them once the lesson is open (drip date, days after enrolment, lessons in order); preview
-- lessons of published courses are open to anyone.
--
-- Who may read a lesson's content: the "readers" policy on lesson_contents (and lesson_materials),
-- here: previews of published courses; the course's staff (private.managed_course_ids()); its
-- students once the lesson is open for them (private.lesson_is_open(), here, on lesson_states()).
-- To keep reads free of per-row joins, each row carries copies of course_id, course_public
-- (published and not deleted) and is_preview, kept in step by triggers.

create type public.lesson_kind as enum ('video', 'text', 'file', 'live');

-- Default of columns a trigger derives (a lesson's course_id comes from its section). It returns
-- null and the trigger sets the real value; the default tells clients and the generated types
-- that they need not send the column.
create function private.derived() returns uuid
language sql stable
set search_path = ''
as $$ select null::uuid $$;
revoke all on function private.derived() from public;
grant execute on function private.derived() to authenticated, service_role;

create table public.sections (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references public.courses (id) on delete cascade,
  title text not null constraint sections_title_length check (char_length(btrim(title)) between 1 and 160),
  position integer not null constraint sections_position_positive check (position >= 0),
  course_public boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint sections_course_position_key unique (course_id, position) deferrable initially deferred
);
alter table public.sections enable row level security;

create table public.lessons (
  id uuid primary key default gen_random_uuid(),
  section_id uuid not null references public.sections (id) on delete cascade,
  course_id uuid not null default private.derived() references public.courses (id) on delete cascade,
  title text not null constraint lessons_title_length check (char_length(btrim(title)) between 1 and 160),
  kind public.lesson_kind not null default 'video',
  position integer not null constraint lessons_position_positive check (position >= 0),
  duration_seconds integer not null default 0 constraint lessons_duration_valid check (duration_seconds between 0 and 86400),
  is_preview boolean not null default false,
  is_required boolean not null default true,
  drip_days integer constraint lessons_drip_days_valid check (drip_days between 0 and 3650),
  available_at timestamptz,
  course_public boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint lessons_section_position_key unique (section_id, position) deferrable initially deferred
);
create index lessons_course_id_idx on public.lessons (course_id);
alter table public.lessons enable row level security;

create table public.lesson_contents (
  lesson_id uuid primary key references public.lessons (id) on delete cascade,
  course_id uuid not null default private.derived() references public.courses (id) on delete cascade,
  body text constraint lesson_contents_body_length check (char_length(body) <= 200000),
  video_url text constraint lesson_contents_video_url_format check (video_url ~ '^https://' and char_length(video_url) <= 2048),
  is_preview boolean not null default false,
  course_public boolean not null default false,
  updated_at timestamptz not null default now()
);
create index lesson_contents_course_id_idx on public.lesson_contents (course_id);
alter table public.lesson_contents enable row level security;

create table public.lesson_materials (
  id uuid primary key default gen_random_uuid(),
  lesson_id uuid not null references public.lessons (id) on delete cascade,
  course_id uuid not null default private.derived() references public.courses (id) on delete cascade,
  title text not null constraint lesson_materials_title_length check (char_length(btrim(title)) between 1 and 160),
  -- A path in the private course-materials bucket: <course id>/<lesson id>/<file name>.
  storage_path text not null
    constraint lesson_materials_storage_path_key unique
    constraint lesson_materials_storage_path_format check (storage_path ~ '^[0-9a-f-]{36}/[0-9a-f-]{36}/[^/]+$'),
  mime_type text,
  size_bytes bigint constraint lesson_materials_size_valid check (size_bytes >= 0),
  is_preview boolean not null default false,
  course_public boolean not null default false,
  created_at timestamptz not null default now(),
  constraint lesson_materials_path_matches check (
    storage_path like course_id::text || '/' || lesson_id::text || '/%')
);
create index lesson_materials_lesson_id_idx on public.lesson_materials (lesson_id);
create index lesson_materials_course_id_idx on public.lesson_materials (course_id);
alter table public.lesson_materials enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Keeping the copies in step
-- ---------------------------------------------------------------------------------------------

create function private.course_is_public(course_id uuid) returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce((select c.status = 'published' and c.deleted_at is null
                   from public.courses c where c.id = course_is_public.course_id), false)
$$;
revoke all on function private.course_is_public(uuid) from public;

create function private.sections_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.course_id <> old.course_id then
    raise exception 'a section cannot move to another course' using errcode = '22023',
      detail = 'cannot_change_course';
  end if;
  new.course_public := private.course_is_public(new.course_id);
  new.updated_at := now();
  return new;
end;
$$;

create function private.lessons_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  select s.course_id into new.course_id from public.sections s where s.id = new.section_id;
  if tg_op = 'UPDATE' and new.course_id <> old.course_id then
    raise exception 'a lesson cannot move to another course' using errcode = '22023',
      detail = 'cannot_change_course';
  end if;
  new.course_public := private.course_is_public(new.course_id);
  new.updated_at := now();
  return new;
end;
$$;

create function private.lesson_children_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  l public.lessons;
begin
  select * into l from public.lessons where id = new.lesson_id;
  new.course_id := l.course_id;
  new.is_preview := l.is_preview;
  new.course_public := l.course_public;
  if tg_table_name = 'lesson_contents' then
    new.updated_at := now();
  end if;
  return new;
end;
$$;

create function private.lessons_after_update() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.lesson_contents set is_preview = new.is_preview, course_public = new.course_public
  where lesson_id = new.id;
  update public.lesson_materials set is_preview = new.is_preview, course_public = new.course_public
  where lesson_id = new.id;
  return null;
end;
$$;

create function private.courses_after_visibility_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  visible boolean := new.status = 'published' and new.deleted_at is null;
begin
  update public.sections set course_public = visible where course_id = new.id;
  update public.lessons set course_public = visible where course_id = new.id; -- cascades to contents
  return null;
end;
$$;

-- A course can't be published without a lesson; published_at records the first publication.
create function private.courses_publish_rules() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'published' and (tg_op = 'INSERT' or old.status is distinct from 'published') then
    if not exists (select 1 from public.lessons l where l.course_id = new.id) then
      raise exception 'a course needs at least one lesson before it can be published'
        using errcode = 'P0001', detail = 'course_has_no_lessons', hint = 'Add a section and a lesson first.';
    end if;
    new.published_at := coalesce(new.published_at, now());
  end if;
  return new;
end;
$$;

revoke all on function private.sections_before_write() from public;
revoke all on function private.lessons_before_write() from public;
revoke all on function private.lesson_children_before_write() from public;
revoke all on function private.lessons_after_update() from public;
revoke all on function private.courses_after_visibility_change() from public;
revoke all on function private.courses_publish_rules() from public;

create trigger sections_before_write before insert or update on public.sections
  for each row execute function private.sections_before_write();
create trigger lessons_before_write before insert or update on public.lessons
  for each row execute function private.lessons_before_write();
create trigger lesson_contents_before_write before insert or update on public.lesson_contents
  for each row execute function private.lesson_children_before_write();
create trigger lesson_materials_before_write before insert or update on public.lesson_materials
  for each row execute function private.lesson_children_before_write();
create trigger lessons_after_update after update of is_preview, course_public on public.lessons
  for each row when (old.is_preview is distinct from new.is_preview or old.course_public is distinct from new.course_public)
  execute function private.lessons_after_update();
create trigger courses_after_visibility_change after update of status, deleted_at on public.courses
  for each row when (old.status is distinct from new.status or old.deleted_at is distinct from new.deleted_at)
  execute function private.courses_after_visibility_change();
create trigger courses_publish_rules before insert or update of status on public.courses
  for each row execute function private.courses_publish_rules();

-- ---------------------------------------------------------------------------------------------
-- Drip and prerequisites
-- ---------------------------------------------------------------------------------------------

-- When a lesson opens for a student enrolled at `enrolled_at`: the later of its date and
-- enrolment + drip_days. Null means it is open from enrolment.
create function private.lesson_opens_at(available_at timestamptz, drip_days integer, enrolled_at timestamptz)
returns timestamptz
language sql immutable
set search_path = ''
as $$
  select greatest(lesson_opens_at.available_at,
                  lesson_opens_at.enrolled_at + make_interval(days => lesson_opens_at.drip_days))
$$;
revoke all on function private.lesson_opens_at(timestamptz, integer, timestamptz) from public;

-- Each lesson of a course (or only `only_lesson`) for the caller as its student: when it opens for
-- them, and its state: 'open'; 'not_enrolled' (no active entitlement, or the course is deleted);
-- 'scheduled' (drip: before its date, or enrolment + drip_days); 'locked' (the course takes
-- lessons in order and an earlier required lesson is not complete). The one statement of drip and
-- prerequisites. Always the generic plan: a plan made for one lesson id looks so much cheaper that
-- Postgres would otherwise plan the query afresh on every call, per row of the readers policies.
create function private.lesson_states(course_id uuid, only_lesson uuid default null)
returns table (lesson_id uuid, opens_at timestamptz, state text)
language plpgsql stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
  return query
    with enrolment as (
      select min(e.starts_at) as enrolled_at
      from public.entitlements e join public.courses c on c.id = e.course_id
      where e.user_id = (select auth.uid()) and e.course_id = lesson_states.course_id
        and private.is_active(e) and c.deleted_at is null
    )
    select l.id, x.opens_at,
           case when en.enrolled_at is null then 'not_enrolled'
                when coalesce(x.opens_at, '-infinity') > now() then 'scheduled'
                when c.requires_sequential and exists (
                  select 1 from public.lessons p join public.sections ps on ps.id = p.section_id
                  where p.course_id = l.course_id and p.is_required
                    and (ps.position, p.position) < (s.position, l.position)
                    and not exists (select 1 from public.lesson_progress lp
                                    where lp.user_id = (select auth.uid()) and lp.lesson_id = p.id
                                      and lp.completed_at is not null)) then 'locked'
                else 'open' end
    from public.lessons l
    join public.sections s on s.id = l.section_id
    join public.courses c on c.id = l.course_id
    cross join enrolment en
    cross join lateral (select private.lesson_opens_at(l.available_at, l.drip_days, en.enrolled_at) as opens_at) x
    where l.course_id = lesson_states.course_id
      and (lesson_states.only_lesson is null or l.id = lesson_states.only_lesson);
end;
$$;
revoke all on function private.lesson_states(uuid, uuid) from public;

-- The caller's state of one lesson (record_progress): 'open' for those who manage its course
-- (private.can_manage_course), else its state in lesson_states(); 'not_enrolled' for an unknown
-- lesson.
create function private.lesson_state(lesson_id uuid) returns text
language sql stable
security definer
set search_path = ''
as $$
  select coalesce((
    select case when private.can_manage_course(l.course_id) then 'open'
                else (select ls.state from private.lesson_states(l.course_id, l.id) ls) end
    from public.lessons l where l.id = lesson_state.lesson_id), 'not_enrolled')
$$;
revoke all on function private.lesson_state(uuid) from public;

-- Whether a lesson of a course is open to the caller as its student (lesson_states()). The
-- "readers" policies below ask it per row, and only for rows of courses the caller is entitled
-- to: a reader opens one lesson at a time, and a set of every open lesson would cost a
-- subscriber to the whole catalog a pass over all of it on each read.
create function private.lesson_is_open(lesson_id uuid, course_id uuid) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from private.lesson_states(lesson_is_open.course_id, lesson_is_open.lesson_id) ls
                 where ls.state = 'open');
end;
$$;
revoke all on function private.lesson_is_open(uuid, uuid) from public;
grant execute on function private.lesson_is_open(uuid, uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

grant select on public.sections, public.lessons to anon, authenticated;
grant insert (course_id, title, position), update (title, position), delete on public.sections to authenticated;
grant insert (section_id, title, kind, position, duration_seconds, is_preview, is_required, drip_days, available_at),
      update (section_id, title, kind, position, duration_seconds, is_preview, is_required, drip_days, available_at),
      delete
  on public.lessons to authenticated;
grant select on public.lesson_contents, public.lesson_materials to anon, authenticated;
grant insert (lesson_id, body, video_url), update (body, video_url), delete on public.lesson_contents to authenticated;
grant insert (lesson_id, title, storage_path, mime_type, size_bytes), update (title, mime_type, size_bytes), delete
  on public.lesson_materials to authenticated;
grant select, insert, update, delete on public.sections, public.lessons, public.lesson_contents,
  public.lesson_materials to service_role;

-- The outline
create policy "anyone reads the outline of published courses" on public.sections for select to anon
  using (course_public);
create policy "users read outlines they can see" on public.sections for select to authenticated
  using (course_public or course_id in (select private.accessible_course_ids()));
create policy "anyone reads the lessons of published courses" on public.lessons for select to anon
  using (course_public);
create policy "users read lesson outlines they can see" on public.lessons for select to authenticated
  using (course_public or course_id in (select private.accessible_course_ids()));

-- Content and materials: the readers
create policy "anyone reads preview lessons of published courses" on public.lesson_contents for select to anon
  using (is_preview and course_public);
create policy "readers: previews, or access to the course once the lesson is open" on public.lesson_contents
  for select to authenticated
  using ((is_preview and course_public)
         or (course_id in (select private.entitled_course_ids()) and private.lesson_is_open(lesson_id, course_id))
         or course_id in (select private.managed_course_ids()));
create policy "anyone reads preview materials of published courses" on public.lesson_materials for select to anon
  using (is_preview and course_public);
create policy "readers: previews, or access to the course once the lesson is open" on public.lesson_materials
  for select to authenticated
  using ((is_preview and course_public)
         or (course_id in (select private.entitled_course_ids()) and private.lesson_is_open(lesson_id, course_id))
         or course_id in (select private.managed_course_ids()));

-- The writers: the course's instructors, and admins
create policy "instructors add sections" on public.sections for insert to authenticated
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors edit sections" on public.sections for update to authenticated
  using (course_id in (select private.managed_course_ids()))
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors delete sections" on public.sections for delete to authenticated
  using (course_id in (select private.managed_course_ids()));

create policy "instructors add lessons" on public.lessons for insert to authenticated
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors edit lessons" on public.lessons for update to authenticated
  using (course_id in (select private.managed_course_ids()))
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors delete lessons" on public.lessons for delete to authenticated
  using (course_id in (select private.managed_course_ids()));

create policy "instructors add lesson content" on public.lesson_contents for insert to authenticated
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors edit lesson content" on public.lesson_contents for update to authenticated
  using (course_id in (select private.managed_course_ids()))
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors delete lesson content" on public.lesson_contents for delete to authenticated
  using (course_id in (select private.managed_course_ids()));

create policy "instructors add materials" on public.lesson_materials for insert to authenticated
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors edit materials" on public.lesson_materials for update to authenticated
  using (course_id in (select private.managed_course_ids()))
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors delete materials" on public.lesson_materials for delete to authenticated
  using (course_id in (select private.managed_course_ids()));

-- ---------------------------------------------------------------------------------------------
-- Progress
-- ---------------------------------------------------------------------------------------------

create table public.lesson_progress (
  user_id uuid not null references auth.users (id) on delete cascade,
  lesson_id uuid not null references public.lessons (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  completed_at timestamptz,
  time_spent_seconds integer not null default 0 constraint lesson_progress_time_valid check (time_spent_seconds >= 0),
  last_position_seconds integer constraint lesson_progress_position_valid check (last_position_seconds >= 0),
  updated_at timestamptz not null default now(),
  primary key (user_id, lesson_id)
);
create index lesson_progress_course_id_idx on public.lesson_progress (course_id);
create index lesson_progress_lesson_id_idx on public.lesson_progress (lesson_id);
alter table public.lesson_progress enable row level security;

create table public.course_progress (
  user_id uuid not null references auth.users (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  completed_lessons integer not null default 0,
  required_lessons integer not null default 0,
  percent numeric(5, 2) not null default 0,
  completed_at timestamptz,
  last_lesson_id uuid references public.lessons (id) on delete set null,
  last_activity_at timestamptz not null default now(),
  primary key (user_id, course_id)
);
create index course_progress_course_id_idx on public.course_progress (course_id);
create index course_progress_last_lesson_id_idx on public.course_progress (last_lesson_id);
alter table public.course_progress enable row level security;

grant select on public.lesson_progress, public.course_progress to authenticated;
grant select, insert, update, delete on public.lesson_progress, public.course_progress to service_role;

create policy "students read their progress; instructors their courses'; admins all"
  on public.lesson_progress for select to authenticated
  using (user_id = (select auth.uid()) or course_id in (select private.managed_course_ids()));
create policy "students read their course progress; instructors their courses'; admins all"
  on public.course_progress for select to authenticated
  using (user_id = (select auth.uid()) or course_id in (select private.managed_course_ids()));

-- Recomputes a user's progress in a course. Completion is set once, when every required lesson
-- is complete.
create function private.refresh_course_progress(user_id uuid, course_id uuid, last_lesson_id uuid)
returns public.course_progress
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  required integer;
  done integer;
  result public.course_progress;
begin
  select count(*) into required from public.lessons l
  where l.course_id = refresh_course_progress.course_id and l.is_required;
  select count(*) into done from public.lesson_progress lp join public.lessons l on l.id = lp.lesson_id
  where lp.user_id = refresh_course_progress.user_id and lp.course_id = refresh_course_progress.course_id
    and lp.completed_at is not null and l.is_required;
  insert into public.course_progress as cp (user_id, course_id, completed_lessons, required_lessons, percent,
                                            completed_at, last_lesson_id, last_activity_at)
  values (refresh_course_progress.user_id, refresh_course_progress.course_id, done, required,
          case when required = 0 then 0 else round(100.0 * done / required, 2) end,
          case when required > 0 and done >= required then now() end,
          refresh_course_progress.last_lesson_id, now())
  on conflict (user_id, course_id) do update
    set completed_lessons = excluded.completed_lessons,
        required_lessons = excluded.required_lessons,
        percent = excluded.percent,
        completed_at = coalesce(cp.completed_at, excluded.completed_at),
        last_lesson_id = coalesce(excluded.last_lesson_id, cp.last_lesson_id),
        last_activity_at = excluded.last_activity_at
  returning * into result;
  return result;
end;
$$;
revoke all on function private.refresh_course_progress(uuid, uuid, uuid) from public;

-- Students: record progress on a lesson they may access. Any argument may be omitted.
create function public.record_progress(
  lesson_id uuid,
  completed boolean default null,
  seconds_spent integer default 0,
  position_seconds integer default null
) returns public.course_progress
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := auth.uid();
  l public.lessons;
  state text;
begin
  if uid is null then
    raise exception 'sign in to record progress' using errcode = '42501', detail = 'not_signed_in';
  end if;
  if coalesce(seconds_spent, 0) < 0 or seconds_spent > 86400 then
    raise exception 'seconds_spent must be between 0 and 86400' using errcode = '22023',
      detail = 'invalid_seconds_spent';
  end if;
  if position_seconds < 0 then
    raise exception 'position_seconds must not be negative' using errcode = '22023',
      detail = 'invalid_position_seconds';
  end if;
  select * into l from public.lessons where id = record_progress.lesson_id;
  if not found then
    raise exception 'lesson not found' using errcode = 'PT404', detail = 'lesson_not_found';
  end if;
  if not private.has_course_access(l.course_id) then
    raise exception 'you do not have access to this course' using errcode = '42501', detail = 'no_access';
  end if;
  state := private.lesson_state(l.id);
  if state <> 'open' then
    raise exception 'this lesson is not open yet' using errcode = 'P0001',
      detail = case state when 'scheduled' then 'lesson_scheduled' when 'locked' then 'lesson_locked'
                          when 'not_enrolled' then 'lesson_not_enrolled' end;
  end if;

  insert into public.lesson_progress as lp (user_id, lesson_id, course_id, completed_at, time_spent_seconds,
                                            last_position_seconds)
  values (uid, l.id, l.course_id, case when record_progress.completed then now() end,
          coalesce(record_progress.seconds_spent, 0), record_progress.position_seconds)
  on conflict (user_id, lesson_id) do update
    set completed_at = case
          when record_progress.completed is true then coalesce(lp.completed_at, now())
          when record_progress.completed is false then null
          else lp.completed_at end,
        time_spent_seconds = lp.time_spent_seconds + coalesce(record_progress.seconds_spent, 0),
        last_position_seconds = coalesce(record_progress.position_seconds, lp.last_position_seconds),
        updated_at = now();
  return private.refresh_course_progress(uid, l.course_id, l.id);
end;
$$;
comment on function public.record_progress(uuid, boolean, integer, integer) is
  'Marks a lesson complete (or not), adds time spent, stores the video position; returns the course progress.';
revoke all on function public.record_progress(uuid, boolean, integer, integer) from public, anon;
grant execute on function public.record_progress(uuid, boolean, integer, integer) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Reads for the course page and the dashboard
-- ---------------------------------------------------------------------------------------------

-- A course's outline for the caller: every section and lesson, when each opens for them, and
-- their state. Visible to whoever may see the course.
create function public.course_outline(course_id uuid)
returns table (
  section_id uuid, section_title text, section_position integer,
  lesson_id uuid, lesson_title text, kind public.lesson_kind, lesson_position integer,
  duration_seconds integer, is_preview boolean, is_required boolean,
  opens_at timestamptz, state text, completed_at timestamptz
)
language plpgsql stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := auth.uid();
  c public.courses;
  staff boolean;
  enrolled_at timestamptz;
begin
  select * into c from public.courses where id = course_outline.course_id;
  staff := private.can_manage_course(course_outline.course_id);
  if not found or not (staff or (c.deleted_at is null and (c.status = 'published'
       or exists (select 1 from private.entitled_course_ids() e where e = c.id)))) then
    raise exception 'course not found' using errcode = 'PT404', detail = 'course_not_found';
  end if;
  if not staff then
    select min(e.starts_at) into enrolled_at from public.entitlements e
    where e.user_id = uid and e.course_id = c.id and private.is_active(e);
  end if;
  return query
    select s.id, s.title, s.position, l.id, l.title, l.kind, l.position, l.duration_seconds, l.is_preview,
           l.is_required,
           case when staff then null else private.lesson_opens_at(l.available_at, l.drip_days, coalesce(enrolled_at, now())) end,
           case when staff then 'open'
                when enrolled_at is null then case when l.is_preview then 'preview' else 'not_enrolled' end
                else ls.state end,
           lp.completed_at
    from public.sections s
    join public.lessons l on l.section_id = s.id
    left join public.lesson_progress lp on lp.lesson_id = l.id and lp.user_id = uid
    left join (select ls.lesson_id, ls.state from private.lesson_states(c.id) ls
               where not staff and enrolled_at is not null) ls on ls.lesson_id = l.id
    where s.course_id = c.id
    order by s.position, l.position;
end;
$$;
comment on function public.course_outline(uuid) is
  'The course outline for the caller: sections, lessons, when each opens (drip) and its state.';
revoke all on function public.course_outline(uuid) from public;
grant execute on function public.course_outline(uuid) to anon, authenticated;

-- My courses: everything I have access to as a student, with progress and the next lesson.
create function public.my_dashboard()
returns table (
  course_id uuid, slug text, title text, thumbnail_path text, instructors jsonb,
  percent numeric, completed_lessons integer, required_lessons integer, completed_at timestamptz,
  last_activity_at timestamptz, enrolled_at timestamptz,
  next_lesson_id uuid, next_lesson_title text, next_lesson_opens_at timestamptz
)
language sql stable
security definer
set search_path = ''
as $$
  with mine as (
    select e.course_id, min(e.starts_at) as enrolled_at
    from public.entitlements e
    where e.user_id = (select auth.uid()) and private.is_active(e)
    group by e.course_id
  )
  select c.id, c.slug, c.title, c.thumbnail_path, c.instructors,
         coalesce(cp.percent, 0), coalesce(cp.completed_lessons, 0),
         coalesce(cp.required_lessons, (select count(*)::integer from public.lessons l
                                        where l.course_id = c.id and l.is_required)),
         cp.completed_at, cp.last_activity_at, mine.enrolled_at,
         nxt.id, nxt.title, private.lesson_opens_at(nxt.available_at, nxt.drip_days, mine.enrolled_at)
  from mine
  join public.courses c on c.id = mine.course_id and c.deleted_at is null
  left join public.course_progress cp on cp.user_id = (select auth.uid()) and cp.course_id = c.id
  left join lateral (
    select l.id, l.title, l.available_at, l.drip_days
    from public.lessons l join public.sections s on s.id = l.section_id
    where l.course_id = c.id
      and not exists (select 1 from public.lesson_progress lp
                      where lp.user_id = (select auth.uid()) and lp.lesson_id = l.id and lp.completed_at is not null)
    order by s.position, l.position
    limit 1
  ) nxt on true
  order by coalesce(cp.last_activity_at, mine.enrolled_at) desc
$$;
comment on function public.my_dashboard() is
  'The caller''s courses (as a student) with progress and the next lesson to take.';
revoke all on function public.my_dashboard() from public, anon;
grant execute on function public.my_dashboard() to authenticated;
