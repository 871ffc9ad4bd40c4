-- Assignments: the homework a lesson of kind 'assignment' sets.
--
-- One assignment per assignment lesson: its instructions; when it is due; the points it is worth
-- (max_points) and the points that pass (pass_points: a passing grade completes the lesson, the
-- grading migration); the late rules; and the files a submission may carry (how many, how large,
-- which types). Late rules: after due_at a submission is still accepted, and flagged late, until
-- late_until (null: at any time; equal to due_at: never), and a late submission loses
-- late_penalty_percent of the points it is given. Who reads an assignment: the course's staff and
-- admins (private.managed_course_ids()), and its students once the lesson is open for them
-- (private.lesson_is_open(), as for the lesson's content); the staff write it. The row carries a
-- copy of its lesson's course_id, kept by a trigger. Submissions: the submissions migration.

create table public.assignments (
  id uuid primary key default gen_random_uuid(),
  lesson_id uuid not null constraint assignments_lesson_id_key unique references public.lessons (id) on delete cascade,
  course_id uuid not null default private.derived() references public.courses (id) on delete cascade,
  instructions text not null default ''
    constraint assignments_instructions_length check (char_length(instructions) <= 100000),
  due_at timestamptz,
  late_until timestamptz,
  late_penalty_percent numeric(5, 2) not null default 0
    constraint assignments_late_penalty_valid check (late_penalty_percent between 0 and 100),
  max_points numeric(8, 2) not null default 100
    constraint assignments_max_points_valid check (max_points > 0 and max_points <= 100000),
  pass_points numeric(8, 2) not null default 0,
  max_files integer not null default 5 constraint assignments_max_files_valid check (max_files between 0 and 20),
  -- Up to the submissions bucket's own limit (50 MiB).
  max_file_bytes bigint not null default 10485760
    constraint assignments_max_file_bytes_valid check (max_file_bytes between 1 and 52428800),
  -- MIME types a file may have ('image/*' takes every image); null: any type.
  allowed_mime_types text[]
    constraint assignments_allowed_mime_types_valid check (
      cardinality(allowed_mime_types) between 1 and 50 and array_position(allowed_mime_types, null) is null
      and array_to_string(allowed_mime_types, ' ')
          ~ '^[a-z0-9][a-z0-9.+-]*/([a-z0-9][a-z0-9.+-]*|\*)( [a-z0-9][a-z0-9.+-]*/([a-z0-9][a-z0-9.+-]*|\*))*$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint assignments_pass_points_valid check (pass_points between 0 and max_points),
  constraint assignments_late_until_valid check (late_until is null or (due_at is not null and late_until >= due_at))
);
create index assignments_course_id_idx on public.assignments (course_id);
alter table public.assignments enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Keeping the copy in step, and the lesson an assignment lesson
-- ---------------------------------------------------------------------------------------------

-- An assignment takes its lesson's course, and only a lesson of kind 'assignment' has one.
create function private.assignments_before_write() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  l public.lessons;
begin
  select * into l from public.lessons where id = new.lesson_id;
  if found and l.kind <> 'assignment' then
    raise exception 'only a lesson of kind assignment has an assignment' using errcode = '22023',
      detail = 'not_an_assignment_lesson', hint = 'Create the lesson with kind assignment.';
  end if;
  new.course_id := l.course_id;
  new.updated_at := now();
  return new;
end;
$$;

-- A lesson keeps kind 'assignment' while it has an assignment (and its students' submissions).
create function private.lessons_keep_assignment_kind() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from public.assignments a where a.lesson_id = new.id) then
    raise exception 'this lesson has an assignment: delete the assignment before changing its kind'
      using errcode = 'P0001', detail = 'lesson_has_assignment';
  end if;
  return new;
end;
$$;

revoke all on function private.assignments_before_write() from public;
revoke all on function private.lessons_keep_assignment_kind() from public;

create trigger assignments_before_write before insert or update on public.assignments
  for each row execute function private.assignments_before_write();
create trigger lessons_keep_assignment_kind before update of kind on public.lessons
  for each row when (old.kind = 'assignment' and new.kind <> 'assignment')
  execute function private.lessons_keep_assignment_kind();

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

grant select on public.assignments to authenticated;
grant insert (lesson_id, instructions, due_at, late_until, late_penalty_percent, max_points, pass_points, max_files,
              max_file_bytes, allowed_mime_types),
      update (instructions, due_at, late_until, late_penalty_percent, max_points, pass_points, max_files,
              max_file_bytes, allowed_mime_types),
      delete
  on public.assignments to authenticated;
grant select, insert, update, delete on public.assignments to service_role;

create policy "readers: the course's staff, and its students once the lesson is open" on public.assignments
  for select to authenticated
  using (course_id in (select private.managed_course_ids())
         or (course_id in (select private.entitled_course_ids()) and private.lesson_is_open(lesson_id, course_id)));

create policy "instructors add assignments" on public.assignments for insert to authenticated
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors edit assignments" on public.assignments for update to authenticated
  using (course_id in (select private.managed_course_ids()))
  with check (course_id in (select private.managed_course_ids()));
create policy "instructors delete assignments" on public.assignments for delete to authenticated
  using (course_id in (select private.managed_course_ids()));
