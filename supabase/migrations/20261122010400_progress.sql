-- Progress: what each student has completed.
--
-- lesson_progress (a lesson completed, time spent, the video position) and course_progress (how
-- many required lessons are complete, the percentage, and when the course was completed),
-- recomputed by private.refresh_course_progress(). Students read theirs; the course's staff and
-- admins read their students'. Only SQL functions write it: record_progress() (the learning
-- migration), and private.complete_lesson() for the lessons a student does not complete by hand:
-- an attended live lesson (zoom attendance), a passed quiz (attempts) or assignment (grading).

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

-- Completes a lesson for a user, once (a later call keeps the first completion time), then
-- recomputes their course progress: for the lessons the student does not complete themselves,
-- an attended live lesson (zoom attendance), a passed quiz (attempts) or assignment (grading).
-- Only for a student with access to the course now: work finished after a refund or a lapsed
-- subscription completes nothing (and so issues no certificate). Returns null then.
create function private.complete_lesson(user_id uuid, lesson_id uuid, course_id uuid, at timestamptz default now())
returns public.course_progress
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
begin
  if not exists (select 1 from public.entitlements e join public.courses c on c.id = e.course_id
                 where e.user_id = complete_lesson.user_id and e.course_id = complete_lesson.course_id
                   and private.is_active(e) and c.deleted_at is null) then
    return null;
  end if;
  insert into public.lesson_progress as lp (user_id, lesson_id, course_id, completed_at)
  values (complete_lesson.user_id, complete_lesson.lesson_id, complete_lesson.course_id, complete_lesson.at)
  on conflict (user_id, lesson_id) do update
    set completed_at = coalesce(lp.completed_at, excluded.completed_at), updated_at = now();
  return private.refresh_course_progress(complete_lesson.user_id, complete_lesson.course_id, complete_lesson.lesson_id);
end;
$$;
revoke all on function private.complete_lesson(uuid, uuid, uuid, timestamptz) from public;
