-- Gradebook: each student's grades in a course, the weighted total, and a CSV for the staff.
--
-- A course's graded items are its quiz lessons that have a quiz and its assignment lessons that
-- have an assignment, in outline order (section position, then lesson position); required or
-- optional alike. An item's grade is a percent: a quiz's is the student's counted score under the
-- quiz's rule (best, last or average finished attempt, as private.quiz_score computes it); an
-- assignment's is the points of the student's latest graded submission (late penalty applied) of
-- its max_points. While work waits for the staff (an essay not graded yet, a newer submission not
-- graded yet) the item's status is 'pending' and the grade shown is the one it has so far (none,
-- if it has never been graded); an item with no grade at all is 'missing'.
--
-- Weights: the course's staff set a weight per item (gradebook_weights, by lesson; default 1; 0
-- leaves an item out of the totals, e.g. a practice quiz). Two weighted totals, both percents:
-- `total_so_far`, over the items graded so far (null until one is), the running grade a student
-- and a teacher read during the course; and `total`, over every item with missing work counted
-- as 0, the grade if the course ended today. Whoever has access to the course reads its items and
-- weights (gradebook_items), so a student can see how their total is made.
--
-- The students of a course: everyone who holds or held an entitlement to it (a student whose
-- access ended keeps their grades in the book; `has_access` says who has it now), its
-- instructors excepted. gradebook(course_id) gives the course's staff and admins every student's
-- row (private.can_manage_course(), asked at each call: staff removed from a course lose it at
-- once), a student their own row, anyone else nothing. gradebook_csv(course_id), for the staff,
-- is the same book as CSV (PostgREST answers it as text/csv). Everything is computed per course
-- in set-based SQL, never per student.

create table public.gradebook_weights (
  lesson_id uuid primary key references public.lessons (id) on delete cascade,
  course_id uuid not null default private.derived() references public.courses (id) on delete cascade,
  weight numeric(6, 2) not null default 1 constraint gradebook_weights_weight_valid check (weight between 0 and 1000),
  updated_at timestamptz not null default now()
);
create index gradebook_weights_course_id_idx on public.gradebook_weights (course_id);
alter table public.gradebook_weights enable row level security;

-- A weight belongs to a quiz or assignment lesson and takes its course; it never moves.
create function private.gradebook_weights_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  l public.lessons;
begin
  if tg_op = 'UPDATE' and new.lesson_id <> old.lesson_id then
    raise exception 'a weight cannot move to another lesson' using errcode = '22023', detail = 'cannot_change_lesson';
  end if;
  select * into l from public.lessons where id = new.lesson_id;
  if l.kind is distinct from 'quiz' and l.kind is distinct from 'assignment' then
    raise exception 'only quiz and assignment lessons are weighted' using errcode = '22023',
      detail = 'not_a_graded_lesson';
  end if;
  new.course_id := l.course_id;
  new.updated_at := now();
  return new;
end;
$$;
revoke all on function private.gradebook_weights_before_write() from public;
create trigger gradebook_weights_before_write before insert or update on public.gradebook_weights
  for each row execute function private.gradebook_weights_before_write();

grant select on public.gradebook_weights to authenticated;
-- lesson_id is updatable so that an upsert (insert ... on conflict do update) works; the trigger
-- refuses a change.
grant insert (lesson_id, weight), update (lesson_id, weight), delete on public.gradebook_weights to authenticated;
grant select, insert, update, delete on public.gradebook_weights to service_role;

create policy "users with access to the course read its weights" on public.gradebook_weights
  for select to authenticated
  using (course_id in (select private.accessible_course_ids()));
create policy "the course's staff add weights" on public.gradebook_weights for insert to authenticated
  with check (course_id in (select private.managed_course_ids()));
create policy "the course's staff edit weights" on public.gradebook_weights for update to authenticated
  using (course_id in (select private.managed_course_ids()))
  with check (course_id in (select private.managed_course_ids()));
create policy "the course's staff delete weights" on public.gradebook_weights for delete to authenticated
  using (course_id in (select private.managed_course_ids()));

-- ---------------------------------------------------------------------------------------------
-- The computation (private: the public functions below decide who sees what)
-- ---------------------------------------------------------------------------------------------

-- The course's graded items in outline order (ord 1, 2, ...) with their weights.
create function private.gradebook_items(course_id uuid)
returns table (ord integer, lesson_id uuid, kind public.lesson_kind, item_id uuid, title text,
               section_position integer, lesson_position integer, weight numeric, max_points numeric)
language sql stable
set search_path = ''
as $$
  select (row_number() over (order by s.position, l.position, l.id))::integer, l.id, l.kind,
         coalesce(qz.id, a.id), l.title, s.position, l.position, coalesce(w.weight, 1.00), a.max_points
  from public.lessons l
  join public.sections s on s.id = l.section_id
  left join public.quizzes qz on qz.lesson_id = l.id and l.kind = 'quiz'
  left join public.assignments a on a.lesson_id = l.id and l.kind = 'assignment'
  left join public.gradebook_weights w on w.lesson_id = l.id
  where l.course_id = gradebook_items.course_id and (qz.id is not null or a.id is not null)
$$;
revoke all on function private.gradebook_items(uuid) from public;

-- Every student's counted quiz score in the course, per quiz: private.quiz_score's rule (best,
-- last or average finished attempt) for all of them at once; pending while an attempt waits for
-- an essay's grade. (gradebook.test.sql checks it against private.quiz_score.)
create function private.quiz_scores(course_id uuid)
returns table (quiz_id uuid, user_id uuid, percent numeric, pending boolean)
language sql stable
set search_path = ''
as $$
  select t.quiz_id, t.user_id,
         case qz.grading when 'best' then max(t.percent)
                         when 'average' then round(avg(t.percent), 2)
                         else (array_agg(t.percent order by t.number desc))[1] end,
         bool_or(t.status = 'submitted')
  from public.quiz_attempts t join public.quizzes qz on qz.id = t.quiz_id
  where t.course_id = quiz_scores.course_id and t.status <> 'in_progress'
  group by t.quiz_id, t.user_id, qz.grading
$$;
revoke all on function private.quiz_scores(uuid) from public;

-- Every student's assignment grades in the course: the points of their latest graded submission,
-- and whether a newer submission waits for a grade.
create function private.assignment_grades(course_id uuid)
returns table (assignment_id uuid, user_id uuid, points numeric, pending boolean)
language sql stable
set search_path = ''
as $$
  select s.assignment_id, s.user_id,
         (array_agg(s.points order by s.attempt desc) filter (where s.graded_at is not null))[1],
         bool_or(s.is_latest and s.graded_at is null)
  from public.submissions s
  where s.course_id = assignment_grades.course_id
  group by s.assignment_id, s.user_id
$$;
revoke all on function private.assignment_grades(uuid) from public;

-- The course's gradebook: a row per student (only_user: just that user's, if a student). grades
-- is an array in item order of {lesson_id, percent, points, status}.
create function private.gradebook_rows(course_id uuid, only_user uuid)
returns table (user_id uuid, student_name text, has_access boolean, grades jsonb, graded_items integer,
               total_so_far numeric, total numeric)
language sql stable
set search_path = ''
as $$
  with items as (
    select * from private.gradebook_items(gradebook_rows.course_id)
  ), students as (
    select e.user_id, bool_or(private.is_active(e)) as has_access
    from public.entitlements e
    where e.course_id = gradebook_rows.course_id
      and (gradebook_rows.only_user is null or e.user_id = gradebook_rows.only_user)
      and not exists (select 1 from public.course_instructors ci
                      where ci.course_id = e.course_id and ci.user_id = e.user_id)
    group by e.user_id
  ), cells as (
    select st.user_id, i.ord, i.lesson_id, i.weight,
           coalesce(qs.percent, round(100 * ag.points / i.max_points, 2)) as percent,
           ag.points,
           coalesce(qs.pending, ag.pending, false) as pending
    from students st
    cross join items i
    left join private.quiz_scores(gradebook_rows.course_id) qs
      on i.kind = 'quiz' and qs.quiz_id = i.item_id and qs.user_id = st.user_id
    left join private.assignment_grades(gradebook_rows.course_id) ag
      on i.kind = 'assignment' and ag.assignment_id = i.item_id and ag.user_id = st.user_id
  )
  select st.user_id, coalesce(p.display_name, ''), st.has_access,
         coalesce(jsonb_agg(jsonb_build_object(
           'lesson_id', c.lesson_id, 'percent', c.percent, 'points', c.points,
           'status', case when c.pending then 'pending' when c.percent is null then 'missing' else 'graded' end)
           order by c.ord) filter (where c.ord is not null), '[]'::jsonb),
         (count(c.percent))::integer,
         round(sum(c.weight * c.percent) / nullif(sum(c.weight) filter (where c.percent is not null), 0), 2),
         round(sum(c.weight * coalesce(c.percent, 0)) / nullif(sum(c.weight), 0), 2)
  from students st
  left join public.profiles p on p.id = st.user_id
  left join cells c on c.user_id = st.user_id
  group by st.user_id, p.display_name, st.has_access
$$;
revoke all on function private.gradebook_rows(uuid, uuid) from public;

-- One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. Text a
-- spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return) gets
-- a leading apostrophe first: a student's name must never become a formula on a teacher's machine.
create function private.csv_field(value text) returns text
language sql immutable
set search_path = ''
as $$
  select case when v ~ '[",\r\n]' then '"' || replace(v, '"', '""') || '"' else v end
  from (select case when csv_field.value ~ '^[=+\-@\t\r]' then '''' || csv_field.value
                    else coalesce(csv_field.value, '') end as v) x
$$;
revoke all on function private.csv_field(text) from public;

-- ---------------------------------------------------------------------------------------------
-- The API
-- ---------------------------------------------------------------------------------------------

-- The course's graded items in outline order with their weights, for its staff and admins and its
-- students (whoever holds or held an entitlement to it, as in the gradebook); nothing for others.
create function public.gradebook_items(course_id uuid)
returns table (lesson_id uuid, kind public.lesson_kind, item_id uuid, title text, section_position integer,
               lesson_position integer, weight numeric, max_points numeric)
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  uid uuid := private.require_signed_in('read the gradebook');
begin
  if not (private.can_manage_course(gradebook_items.course_id)
          or exists (select 1 from public.entitlements e
                     where e.course_id = gradebook_items.course_id and e.user_id = uid)) then
    return;
  end if;
  return query
    select i.lesson_id, i.kind, i.item_id, i.title, i.section_position, i.lesson_position, i.weight, i.max_points
    from private.gradebook_items(gradebook_items.course_id) i order by i.ord;
end;
$$;
comment on function public.gradebook_items(uuid) is
  'The course''s graded items (quiz and assignment lessons) in outline order, with their weights.';
revoke all on function public.gradebook_items(uuid) from public, anon;
grant execute on function public.gradebook_items(uuid) to authenticated;

-- The gradebook: every student's row for the course's staff and admins, the caller's own row for
-- a student of the course, nothing for anyone else. grades follows gradebook_items' order.
create function public.gradebook(course_id uuid)
returns table (user_id uuid, student_name text, has_access boolean, grades jsonb, graded_items integer,
               total_so_far numeric, total numeric)
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  uid uuid := private.require_signed_in('read the gradebook');
begin
  return query
    select r.* from private.gradebook_rows(gradebook.course_id,
                                           case when private.can_manage_course(gradebook.course_id) then null else uid end) r
    order by lower(r.student_name), r.user_id;
end;
$$;
comment on function public.gradebook(uuid) is
  'Grades per student: staff read their course''s students, a student their own row. Totals are weighted percents.';
revoke all on function public.gradebook(uuid) from public, anon;
grant execute on function public.gradebook(uuid) to authenticated;

-- The CSV media type: a function returning it is what PostgREST answers `Accept: text/csv` with.
create domain public."text/csv" as text;

-- The course's gradebook as CSV, for its staff and admins: a header row, then a row per student
-- (by name): student, student_id, one column per item in outline order (its lesson title; the
-- percent, empty when missing), total_so_far, total. Lines end with CRLF.
create function public.gradebook_csv(course_id uuid) returns public."text/csv"
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  header text;
  body text;
begin
  perform private.require_signed_in('export the gradebook');
  if not private.can_manage_course(gradebook_csv.course_id) then
    raise exception 'only the course''s staff export its gradebook' using errcode = '42501',
      detail = 'not_course_staff';
  end if;
  if not exists (select 1 from public.courses c where c.id = gradebook_csv.course_id) then
    raise exception 'course not found' using errcode = 'PT404', detail = 'course_not_found';
  end if;
  select concat_ws(',', 'student', 'student_id',
                   string_agg(private.csv_field(i.title), ',' order by i.ord), 'total_so_far', 'total')
    into header
  from private.gradebook_items(gradebook_csv.course_id) i;
  select string_agg(concat_ws(',', private.csv_field(r.student_name), r.user_id::text,
                              (select string_agg(coalesce(g ->> 'percent', ''), ',' order by n)
                               from jsonb_array_elements(r.grades) with ordinality x (g, n)),
                              coalesce(r.total_so_far::text, ''), coalesce(r.total::text, '')) || E'\r\n',
                    '' order by lower(r.student_name), r.user_id)
    into body
  from private.gradebook_rows(gradebook_csv.course_id, null) r;
  return (header || E'\r\n' || coalesce(body, ''))::public."text/csv";
end;
$$;
comment on function public.gradebook_csv(uuid) is
  'Staff: the course''s gradebook as CSV (header row; student, student_id, items in outline order, total_so_far, total).';
revoke all on function public.gradebook_csv(uuid) from public, anon;
grant execute on function public.gradebook_csv(uuid) to authenticated;
