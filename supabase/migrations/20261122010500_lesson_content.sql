-- Lesson content: lesson bodies and materials, and who may read them.
--
-- Who may read a lesson: the "readers" policy on lesson_contents (the same on lesson_materials),
-- here: previews of published courses, for anyone; the course's staff and admins
-- (private.managed_course_ids()); its students once the lesson is open for them
-- (private.lesson_is_open(), here). A lesson opens for a student on its date and enrolment + its
-- drip days, and, in a course taken in order, once every earlier required lesson is complete:
-- private.lesson_states() states that once, for the readers policies, record_progress() and
-- course_outline(). To keep reads free of per-row joins, each row carries copies of its
-- lesson's course_id, is_preview and course_public, kept in step by triggers.

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

revoke all on function private.lesson_children_before_write() from public;
revoke all on function private.lessons_after_update() from public;

create trigger lesson_contents_before_write before insert or update on public.lesson_contents
  for each row execute function private.lesson_children_before_write();
create trigger lesson_materials_before_write before insert or update on public.lesson_materials
  for each row execute function private.lesson_children_before_write();
create trigger lessons_after_update after update of is_preview, course_public on public.lessons
  for each row when (old.is_preview is distinct from new.is_preview or old.course_public is distinct from new.course_public)
  execute function private.lessons_after_update();

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

grant select on public.lesson_contents, public.lesson_materials to anon, authenticated;
grant insert (lesson_id, body, video_url), update (body, video_url), delete on public.lesson_contents to authenticated;
grant insert (lesson_id, title, storage_path, mime_type, size_bytes), update (title, mime_type, size_bytes), delete
  on public.lesson_materials to authenticated;
grant select, insert, update, delete on public.lesson_contents, public.lesson_materials to service_role;

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
