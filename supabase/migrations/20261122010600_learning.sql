-- Learning: what a student calls while taking a course.
--
-- course_outline() (the course page: every section and lesson, when each opens for the caller and
-- its state), record_progress() (a lesson completed, time spent, the video position; only on a
-- lesson open to the caller) and my_dashboard() (the caller's courses, with progress and the
-- next lesson). They add no rule of their own: they read the outline (lessons), progress, and
-- the lesson states (lesson content).

-- Students: record progress on a lesson they may access. Any argument may be omitted. A quiz or
-- assignment lesson is completed by passing it, never by this call.
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
  uid uuid := private.require_signed_in('record progress');
  l public.lessons;
  state text;
begin
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
  if record_progress.completed is not null and l.kind in ('quiz', 'assignment') then
    raise exception 'a quiz or assignment lesson is complete once it is passed' using errcode = 'P0001',
      detail = 'completed_by_assessment';
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
