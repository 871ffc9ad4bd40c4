-- Grading: the course's staff grade homework, and the student hears of it.
--
-- grade_submission() is for the course's staff and admins (private.can_manage_course()), never on
-- their own submission. It grades the submission that counts (the student's latest): the points
-- given (0 to the assignment's max_points), less the late penalty when it was late (unless the
-- grader waives it), are the points that count; they pass at pass_points or more. Grading again
-- replaces the grade (the audit log keeps each one). The student gets an in-app notification
-- (private.notify) and an email through the outbox ('submission_graded', category 'updates', so
-- their opt-out holds). A passing grade completes the assignment's lesson, as attending completes
-- a live lesson (the zoom attendance migration): lesson_progress.completed_at and the course
-- progress. Completion is never taken back, as for any lesson (a certificate may rest on it).

create function public.grade_submission(submission_id uuid, points numeric, feedback text default null,
                                        waive_late_penalty boolean default false)
returns public.submissions
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('grade homework');
  s public.submissions;
  a public.assignments;
  l public.lessons;
  penalty numeric;
  counted numeric;
  result public.submissions;
begin
  select * into s from public.submissions where id = grade_submission.submission_id for update;
  if not found then
    raise exception 'submission not found' using errcode = 'PT404', detail = 'submission_not_found';
  end if;
  if not private.can_manage_course(s.course_id) then
    raise exception 'only the course''s instructors grade its homework' using errcode = '42501',
      detail = 'not_course_staff';
  end if;
  if s.user_id = uid then
    raise exception 'you cannot grade your own submission' using errcode = '42501', detail = 'own_submission';
  end if;
  select * into a from public.assignments where id = s.assignment_id;
  if grade_submission.points is null or grade_submission.points < 0 or grade_submission.points > a.max_points then
    raise exception 'points must be between 0 and the assignment''s max points' using errcode = '22023',
      detail = 'invalid_points';
  end if;
  if char_length(grade_submission.feedback) > 20000 then
    raise exception 'feedback is longer than 20000 characters' using errcode = '22023', detail = 'feedback_too_long';
  end if;
  if not s.is_latest then
    raise exception 'the student has submitted again since: grade the latest submission' using errcode = 'P0001',
      detail = 'submission_superseded';
  end if;

  penalty := case when s.is_late and not coalesce(grade_submission.waive_late_penalty, false)
                  then a.late_penalty_percent else 0 end;
  counted := round(grade_submission.points * (100 - penalty) / 100, 2);
  update public.submissions
  set raw_points = grade_submission.points, late_penalty_percent = penalty, points = counted,
      passed = counted >= a.pass_points, feedback = nullif(btrim(grade_submission.feedback), ''),
      graded_by = uid, graded_at = now()
  where id = s.id
  returning * into result;
  perform private.audit('grade_submission', 'submission', s.id::text,
    jsonb_build_object('points', counted, 'raw_points', grade_submission.points, 'late_penalty_percent', penalty,
                       'previous_points', s.points));

  select * into l from public.lessons where id = a.lesson_id;
  if result.passed then
    perform private.complete_lesson(s.user_id, l.id, s.course_id);
  end if;

  perform private.notify(s.user_id, 'submission_graded', 'Graded: ' || l.title,
    trim_scale(counted) || ' of ' || trim_scale(a.max_points) || ' points'
      || case when result.passed then ', passed' else ', not passed yet' end,
    '/lessons/' || l.id,
    jsonb_build_object('assignment_id', a.id, 'submission_id', s.id, 'course_id', s.course_id, 'lesson_id', l.id,
                       'points', counted, 'max_points', a.max_points, 'passed', result.passed));
  perform private.enqueue_email('submission_graded', 'updates', s.user_id,
    jsonb_build_object('title', l.title,
                       'course_title', (select c.title from public.courses c where c.id = s.course_id),
                       'lesson_id', l.id, 'submission_id', s.id, 'attempt', s.attempt,
                       'points', counted, 'raw_points', grade_submission.points, 'max_points', a.max_points,
                       'late_penalty_percent', penalty, 'passed', result.passed, 'feedback', result.feedback,
                       'regraded', s.graded_at is not null));
  return result;
end;
$$;
comment on function public.grade_submission(uuid, numeric, text, boolean) is
  'Course staff: grade a student''s latest submission (points, feedback); notifies the student, completes the lesson on a pass.';
revoke all on function public.grade_submission(uuid, numeric, text, boolean) from public, anon;
grant execute on function public.grade_submission(uuid, numeric, text, boolean) to authenticated;
