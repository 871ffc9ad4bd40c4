-- Lessons: a course's outline, its sections and lessons.
--
-- The outline (titles, kinds, durations, preview flags, when each lesson opens: on a date, or days
-- after enrolment) is public for published courses, and readable by whoever has access to the
-- course; the course's staff and admins write it (private.managed_course_ids()). A course can't be
-- published without a lesson. To keep reads free of per-row joins, each row carries copies of
-- course_id and course_public (published and not deleted), kept in step by triggers. What a
-- lesson holds (its body and files) and who may read it: the lesson content migration.

-- A 'live' lesson is completed by attending its session (the zoom attendance migration), a 'quiz'
-- or 'assignment' lesson by passing its assessment; the others by the student (record_progress).
create type public.lesson_kind as enum ('video', 'text', 'file', 'live', 'quiz', 'assignment');

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

-- Sections and lessons alike: a lesson takes its section's course, neither moves to another
-- course, and each copies whether its course is public.
create function private.outline_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_table_name = 'lessons' then
    select s.course_id into new.course_id from public.sections s where s.id = new.section_id;
  end if;
  if tg_op = 'UPDATE' and new.course_id <> old.course_id then
    if tg_table_name = 'lessons' then
      raise exception 'a lesson cannot move to another course' using errcode = '22023',
        detail = 'cannot_change_course';
    end if;
    raise exception 'a section cannot move to another course' using errcode = '22023',
      detail = 'cannot_change_course';
  end if;
  new.course_public := private.course_is_public(new.course_id);
  new.updated_at := now();
  return new;
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

revoke all on function private.outline_before_write() from public;
revoke all on function private.courses_after_visibility_change() from public;
revoke all on function private.courses_publish_rules() from public;

create trigger sections_before_write before insert or update on public.sections
  for each row execute function private.outline_before_write();
create trigger lessons_before_write before insert or update on public.lessons
  for each row execute function private.outline_before_write();
create trigger courses_after_visibility_change after update of status, deleted_at on public.courses
  for each row when (old.status is distinct from new.status or old.deleted_at is distinct from new.deleted_at)
  execute function private.courses_after_visibility_change();
create trigger courses_publish_rules before insert or update of status on public.courses
  for each row execute function private.courses_publish_rules();

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

grant select on public.sections, public.lessons to anon, authenticated;
grant insert (course_id, title, position), update (title, position), delete on public.sections to authenticated;
grant insert (section_id, title, kind, position, duration_seconds, is_preview, is_required, drip_days, available_at),
      update (section_id, title, kind, position, duration_seconds, is_preview, is_required, drip_days, available_at),
      delete
  on public.lessons to authenticated;
grant select, insert, update, delete on public.sections, public.lessons to service_role;

-- The outline
create policy "anyone reads the outline of published courses" on public.sections for select to anon
  using (course_public);
create policy "users read outlines they can see" on public.sections for select to authenticated
  using (course_public or course_id in (select private.accessible_course_ids()));
create policy "anyone reads the lessons of published courses" on public.lessons for select to anon
  using (course_public);
create policy "users read lesson outlines they can see" on public.lessons for select to authenticated
  using (course_public or course_id in (select private.accessible_course_ids()));

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
