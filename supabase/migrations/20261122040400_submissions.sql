-- Submissions: what students hand in for an assignment.
--
-- A student submits text and files with submit_assignment(): the files are objects they uploaded
-- beforehand to their own folder of the private `submissions` bucket (the submission files
-- migration), <course id>/<assignment id>/<user id>/<file>, and the submission records their
-- paths, names, sizes and types. Who may submit, and when (private.submission_refusal()): a
-- student with access once the lesson is open for them (private.lesson_states()), never the
-- course's own staff, until the deadline: at any time before due_at, and after it, flagged late,
-- until late_until. Each submission is a row, numbered by attempt: resubmitting adds one and the
-- latest (is_latest) is the one that counts and that staff grade (the grade columns: the grading
-- migration). Students read their own submissions; the course's staff and admins read their
-- courses' (private.managed_course_ids(), so staff removed from a course lose them at once). No
-- client writes the table: only submit_assignment() and grade_submission() do.

create table public.submissions (
  id uuid primary key default gen_random_uuid(),
  assignment_id uuid not null references public.assignments (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  attempt integer not null constraint submissions_attempt_positive check (attempt > 0),
  body text constraint submissions_body_length check (char_length(body) <= 100000),
  -- [{path, name, size, mime_type}], as Storage recorded each upload when it was submitted.
  files jsonb not null default '[]'::jsonb constraint submissions_files_array check (jsonb_typeof(files) = 'array'),
  is_late boolean not null default false,
  is_latest boolean not null default true,
  submitted_at timestamptz not null default now(),
  -- The grade (grade_submission(), the grading migration): the points the grader gave, the late
  -- penalty applied to them (percent), the points that count, whether they pass.
  raw_points numeric(8, 2),
  late_penalty_percent numeric(5, 2),
  points numeric(8, 2),
  passed boolean,
  feedback text constraint submissions_feedback_length check (char_length(feedback) <= 20000),
  graded_by uuid references auth.users (id) on delete set null,
  graded_at timestamptz,
  constraint submissions_attempt_key unique (assignment_id, user_id, attempt),
  constraint submissions_grade_complete check (
    (graded_at is null) = (points is null) and (points is null) = (raw_points is null)
    and (points is null) = (passed is null) and (points is null) = (late_penalty_percent is null))
);
create unique index submissions_latest_key on public.submissions (assignment_id, user_id) where is_latest;
create index submissions_course_id_idx on public.submissions (course_id);
create index submissions_user_id_idx on public.submissions (user_id);
create index submissions_graded_by_idx on public.submissions (graded_by);
alter table public.submissions enable row level security;

grant select on public.submissions to authenticated;
grant select, insert, update, delete on public.submissions to service_role;

create policy "students read their submissions; staff their courses'; admins all" on public.submissions
  for select to authenticated
  using (user_id = (select auth.uid()) or course_id in (select private.managed_course_ids()));

-- ---------------------------------------------------------------------------------------------
-- Who may submit, and which files fit
-- ---------------------------------------------------------------------------------------------

-- Why the caller may not submit to assignment `a` now, as a machine code, or null when they may:
-- 'not_signed_in'; 'staff_cannot_submit' (they teach the course); 'no_access' (no active
-- entitlement, or the course is deleted); 'lesson_scheduled' or 'lesson_locked' (the lesson is
-- not open for them yet); 'deadline_passed' (after late_until). submit_assignment() and the
-- submissions bucket's upload policy both ask it.
create function private.submission_refusal(a public.assignments) returns text
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  state text;
begin
  if uid is null then
    return 'not_signed_in';
  end if;
  if a.course_id in (select private.instructed_course_ids(uid)) then
    return 'staff_cannot_submit';
  end if;
  select ls.state into state from private.lesson_states(a.course_id, a.lesson_id) ls;
  if state is null or state = 'not_enrolled' then
    return 'no_access';
  end if;
  if state <> 'open' then
    return 'lesson_' || state;
  end if;
  if now() > coalesce(a.late_until, 'infinity') then
    return 'deadline_passed';
  end if;
  return null;
end;
$$;
revoke all on function private.submission_refusal(public.assignments) from public;

-- Whether a file of this type and size fits assignment `a` (an unknown type or size passes: the
-- caller checks what it knows).
create function private.assignment_accepts_file(a public.assignments, mime_type text, size bigint) returns boolean
language sql immutable
set search_path = ''
as $$
  select coalesce(assignment_accepts_file.size <= a.max_file_bytes, true)
     and (a.allowed_mime_types is null or assignment_accepts_file.mime_type is null
          or lower(split_part(assignment_accepts_file.mime_type, ';', 1)) = any (a.allowed_mime_types)
          or lower(split_part(assignment_accepts_file.mime_type, '/', 1)) || '/*' = any (a.allowed_mime_types))
$$;
revoke all on function private.assignment_accepts_file(public.assignments, text, bigint) from public;

-- ---------------------------------------------------------------------------------------------
-- Files a post attaches: here for submissions, and for Q&A posts and chat messages
-- ---------------------------------------------------------------------------------------------

-- The paths a caller names, each once, in the order first given ('{}' for none).
create function private.unique_paths(paths text[]) returns text[]
language sql immutable
set search_path = ''
as $$
  select array(select t.p from unnest(coalesce(unique_paths.paths, '{}')) with ordinality as t (p, i)
               group by t.p order by min(t.i))
$$;
revoke all on function private.unique_paths(text[]) from public;

-- Whether a path names a file directly in a folder ('<...>/<user id>/'): not the folder itself,
-- nor anything in a folder below it.
create function private.path_in_folder(path text, folder text) returns boolean
language sql immutable
set search_path = ''
as $$
  select coalesce(left(path_in_folder.path, length(path_in_folder.folder)) = path_in_folder.folder
                  and strpos(substr(path_in_folder.path, length(path_in_folder.folder) + 1), '/') = 0
                  and length(path_in_folder.path) > length(path_in_folder.folder), false)
$$;
revoke all on function private.path_in_folder(text, text) from public;

-- The stored objects of a bucket that a post attaches, in the order given, as the post keeps
-- them: [{path, name, size, mime_type}], from what Storage recorded at upload.
create function private.attached_files(bucket text, paths text[]) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('path', o.name, 'name', storage.filename(o.name),
                                               'size', o.metadata -> 'size', 'mime_type', o.metadata -> 'mimetype')
                            order by t.i), '[]'::jsonb)
  from unnest(attached_files.paths) with ordinality as t (p, i)
  join storage.objects o on o.bucket_id = attached_files.bucket and o.name = t.p
$$;
revoke all on function private.attached_files(text, text[]) from public;

-- ---------------------------------------------------------------------------------------------
-- Submitting
-- ---------------------------------------------------------------------------------------------

-- Students: hand in text and files (the paths of objects uploaded to their folder of the
-- submissions bucket for this assignment). Returns the new submission, which becomes the one
-- that counts; earlier ones are kept.
create function public.submit_assignment(assignment_id uuid, body text default null, files text[] default null)
returns public.submissions
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('submit homework');
  a public.assignments;
  paths text[];
  folder text;
  f text;
  o storage.objects;
  previous integer;
  result public.submissions;
begin
  select * into a from public.assignments where id = submit_assignment.assignment_id;
  if not found then
    raise exception 'assignment not found' using errcode = 'PT404', detail = 'assignment_not_found';
  end if;
  case private.submission_refusal(a)
    when 'staff_cannot_submit' then
      raise exception 'the course''s staff do not submit its homework' using errcode = '42501',
        detail = 'staff_cannot_submit';
    when 'no_access' then
      raise exception 'you do not have access to this course' using errcode = '42501', detail = 'no_access';
    when 'lesson_scheduled' then
      raise exception 'this lesson is not open yet' using errcode = 'P0001', detail = 'lesson_scheduled';
    when 'lesson_locked' then
      raise exception 'this lesson is not open yet' using errcode = 'P0001', detail = 'lesson_locked';
    when 'deadline_passed' then
      raise exception 'the deadline for this assignment has passed' using errcode = 'P0001',
        detail = 'deadline_passed';
    else
      null;
  end case;

  -- Each path once, in the order given.
  paths := private.unique_paths(submit_assignment.files);
  if nullif(btrim(submit_assignment.body), '') is null and cardinality(paths) = 0 then
    raise exception 'a submission needs text or a file' using errcode = '22023', detail = 'empty_submission';
  end if;
  if char_length(submit_assignment.body) > 100000 then
    raise exception 'the text is longer than 100000 characters' using errcode = '22023', detail = 'body_too_long';
  end if;
  if cardinality(paths) > a.max_files then
    raise exception 'this assignment takes fewer files' using errcode = '22023', detail = 'too_many_files';
  end if;
  folder := a.course_id || '/' || a.id || '/' || uid || '/';
  foreach f in array paths loop
    if not private.path_in_folder(f, folder) then
      raise exception 'a file is not in your folder for this assignment' using errcode = '22023',
        detail = 'file_not_in_folder', hint = 'Upload files to submissions/<course id>/<assignment id>/<your user id>/.';
    end if;
    select * into o from storage.objects where bucket_id = 'submissions' and name = f;
    if not found then
      raise exception 'a file was not found: upload it first' using errcode = '22023', detail = 'file_not_found';
    end if;
    if not private.assignment_accepts_file(a, o.metadata ->> 'mimetype', null) then
      raise exception 'this assignment does not accept that type of file' using errcode = '22023',
        detail = 'file_type_not_allowed';
    end if;
    if not private.assignment_accepts_file(a, null,
         case when jsonb_typeof(o.metadata -> 'size') = 'number' then (o.metadata ->> 'size')::bigint end) then
      raise exception 'a file is larger than this assignment accepts' using errcode = '22023',
        detail = 'file_too_large';
    end if;
  end loop;

  -- One submission at a time per student and assignment: attempts are numbered without gaps.
  perform pg_advisory_xact_lock(hashtextextended('submission:' || a.id || ':' || uid, 0));
  update public.submissions s set is_latest = false
  where s.assignment_id = a.id and s.user_id = uid and s.is_latest
  returning s.attempt into previous;
  insert into public.submissions (assignment_id, course_id, user_id, attempt, body, files, is_late)
  values (a.id, a.course_id, uid, coalesce(previous, 0) + 1,
          case when btrim(submit_assignment.body) <> '' then submit_assignment.body end,
          private.attached_files('submissions', paths),
          a.due_at is not null and now() > a.due_at)
  returning * into result;
  return result;
end;
$$;
comment on function public.submit_assignment(uuid, text, text[]) is
  'Hands in text and uploaded files for an assignment; returns the new submission (the one that counts).';
revoke all on function public.submit_assignment(uuid, text, text[]) from public, anon;
grant execute on function public.submit_assignment(uuid, text, text[]) to authenticated;
