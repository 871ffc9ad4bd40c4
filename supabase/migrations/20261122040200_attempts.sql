-- Attempts: taking a quiz, graded in the database, and what the staff learn from it.
--
-- start_attempt() checks access (private.has_course_access, private.lesson_state: the quiz lesson
-- opens, locks and drips like any lesson), the quiz's window and the attempts left, under a lock
-- per (student, quiz), so parallel calls never start more attempts than allowed; it resumes the
-- caller's attempt in progress rather than starting a second. A new attempt holds a snapshot of
-- the drawn questions in the order the student sees them (drawn and shuffled per the settings)
-- with their options: prompts, labels and points, never a key, never an option's feedback (which
-- would give the key away). save_answer() stores one answer per question (idempotent) while the
-- attempt is open; it checks the answer's shape against the question's kind and offered options
-- and never reads a key, so its timing says nothing about correctness. submit_attempt() grades
-- every auto-gradable answer here, in SQL (private.auto_grade: all or nothing for multiple choice;
-- short answers ignore case and whitespace; numeric answers within the tolerance); essays wait
-- for the staff's grade_answer(), which also overrides any answer's points. attempt_review()
-- shows the student what the quiz's reveal setting allows (the score always; per-question points,
-- the correct answers and the feedback after submitting, after the close, or never) and the staff
-- everything. Deadlines: an attempt is due at its start plus the time limit, or the quiz's close
-- if sooner; 30 seconds of grace later it is submitted by the pg_cron job expire-quiz-attempts
-- (every minute), or by the next start_attempt, submit_attempt or attempt_review touching it,
-- whichever comes first; save_answer refuses it. Changing a question's key or points regrades
-- every finished attempt that used it. The counted score (best, last or average attempt,
-- private.quiz_score) at or above the pass mark completes the quiz's lesson (lesson_progress and
-- private.refresh_course_progress, as a live lesson's attendance does); a completed lesson stays
-- complete. Attempts are the student's own; the course's staff read their course's attempts and
-- answers (private.managed_course_ids(): removed staff lose them at once); students read their
-- answers through attempt_review() only, since an answer row holds its points. quiz_item_stats()
-- gives the staff each question's share of full marks, its discrimination and each option's share,
-- cached per quiz and recomputed when the quiz's finished attempts change (each attempt's
-- updated_at says when it did).

create type public.quiz_attempt_status as enum ('in_progress', 'submitted', 'graded');

create table public.quiz_attempts (
  id uuid primary key default gen_random_uuid(),
  quiz_id uuid not null references public.quizzes (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  number integer not null constraint quiz_attempts_number_positive check (number > 0),
  -- 'submitted': finished, an essay waits for its grade; 'graded': every answer has its points.
  status public.quiz_attempt_status not null default 'in_progress',
  started_at timestamptz not null default now(),
  deadline_at timestamptz,
  submitted_at timestamptz,
  auto_submitted boolean not null default false,
  score numeric(8, 2),
  max_score numeric(8, 2) not null,
  percent numeric(5, 2),
  passed boolean,
  -- What the student sees: [{id, kind, prompt, points, options: [{id, label}]}], in their order.
  questions jsonb not null,
  -- When the row last changed (a trigger sets it on every update): the item statistics' cache
  -- tells from these stamps whether a quiz's finished attempts changed since it was computed.
  updated_at timestamptz not null default now(),
  constraint quiz_attempts_quiz_user_number_key unique (quiz_id, user_id, number)
);
create index quiz_attempts_user_id_idx on public.quiz_attempts (user_id);
create index quiz_attempts_course_id_idx on public.quiz_attempts (course_id);
create index quiz_attempts_due_idx on public.quiz_attempts (deadline_at) where status = 'in_progress';
create index quiz_attempts_finished_idx on public.quiz_attempts (quiz_id, updated_at) where status <> 'in_progress';
alter table public.quiz_attempts enable row level security;

create function private.stamp_quiz_attempt() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.clock_timestamp();
  return new;
end;
$$;
revoke all on function private.stamp_quiz_attempt() from public;
create trigger quiz_attempts_stamp before update on public.quiz_attempts
  for each row execute function private.stamp_quiz_attempt();

create table public.quiz_answers (
  id uuid primary key default gen_random_uuid(),
  attempt_id uuid not null references public.quiz_attempts (id) on delete cascade,
  quiz_id uuid not null references public.quizzes (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  -- A question that was answered stays in the bank (deleting it fails with 23503).
  question_id uuid not null references public.questions (id),
  kind public.question_kind not null,
  position integer not null,
  -- The options offered (choice questions): an answer names some of them.
  option_ids uuid[] not null default '{}',
  answer jsonb,
  saved_at timestamptz,
  auto_points numeric(6, 2),
  correct boolean,
  manual_points numeric(6, 2),
  feedback text constraint quiz_answers_feedback_length check (char_length(feedback) <= 10000),
  graded_by uuid references auth.users (id) on delete set null,
  graded_at timestamptz,
  constraint quiz_answers_attempt_question_key unique (attempt_id, question_id)
);
create index quiz_answers_quiz_question_idx on public.quiz_answers (quiz_id, question_id);
create index quiz_answers_question_id_idx on public.quiz_answers (question_id);
create index quiz_answers_course_id_idx on public.quiz_answers (course_id);
create index quiz_answers_user_id_idx on public.quiz_answers (user_id);
create index quiz_answers_graded_by_idx on public.quiz_answers (graded_by);
alter table public.quiz_answers enable row level security;

-- A finished attempt's answer that changes (graded, regraded, or edited by the service role)
-- touches its attempt, so the attempt's stamp says so. Saving an answer to an attempt in progress
-- touches nothing.
create function private.answer_changed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.quiz_attempts t set updated_at = pg_catalog.clock_timestamp()
  where t.id = new.attempt_id and t.status <> 'in_progress';
  return null;
end;
$$;
revoke all on function private.answer_changed() from public;
create trigger quiz_answers_touch_attempt after update of answer, auto_points, manual_points on public.quiz_answers
  for each row when (old.answer is distinct from new.answer or old.auto_points is distinct from new.auto_points
                     or old.manual_points is distinct from new.manual_points)
  execute function private.answer_changed();

-- ---------------------------------------------------------------------------------------------
-- Grading
-- ---------------------------------------------------------------------------------------------

-- Whether an attempt is past its deadline and the grace after it.
create function private.attempt_overdue(deadline_at timestamptz) returns boolean
language sql stable
set search_path = ''
as $$ select coalesce(now() > attempt_overdue.deadline_at + interval '30 seconds', false) $$;
revoke all on function private.attempt_overdue(timestamptz) from public;

-- An answer's points and whether it is correct, against the current key; nulls for an essay.
-- Answers were checked for shape when saved. Multiple choice is all or nothing.
create function private.auto_grade(question_id uuid, answer jsonb)
returns table (points numeric, correct boolean)
language sql stable
set search_path = ''
as $$
  select case when q.kind = 'essay' then null when c.ok then q.points else 0 end,
         case when q.kind = 'essay' then null else c.ok end
  from public.questions q
  left join private.question_keys k on k.question_id = q.id
  cross join lateral (select coalesce(case q.kind
      when 'single_choice' then (auto_grade.answer ->> 'option_id') = any (k.correct_option_ids::text[])
      when 'true_false' then (auto_grade.answer ->> 'option_id') = any (k.correct_option_ids::text[])
      when 'multiple_choice' then
        (select coalesce(array_agg(distinct x order by x), '{}') from jsonb_array_elements_text(
           case when jsonb_typeof(auto_grade.answer -> 'option_ids') = 'array' then auto_grade.answer -> 'option_ids' end) x)
        = (select coalesce(array_agg(distinct y::text order by y::text), '{}') from unnest(k.correct_option_ids) y)
        and cardinality(k.correct_option_ids) > 0
      when 'short_answer' then private.normalize_answer(auto_grade.answer ->> 'text')
                               = any (select private.normalize_answer(a) from unnest(k.accepted_answers) a)
      when 'numeric' then abs((auto_grade.answer ->> 'value')::numeric - k.numeric_answer) <= k.tolerance
    end, false) as ok) c
  where q.id = auto_grade.question_id
$$;
revoke all on function private.auto_grade(uuid, jsonb) from public;

-- A user's score in a quiz under its counting rule (best, last or average attempt), as a percent;
-- null before their first finished attempt. The gradebook reads it too.
create function private.quiz_score(quiz_id uuid, user_id uuid) returns numeric
language sql stable
set search_path = ''
as $$
  select case qz.grading when 'best' then max(t.percent)
                         when 'average' then round(avg(t.percent), 2)
                         else (array_agg(t.percent order by t.number desc))[1] end
  from public.quizzes qz join public.quiz_attempts t on t.quiz_id = qz.id
  where qz.id = quiz_score.quiz_id and t.user_id = quiz_score.user_id and t.status <> 'in_progress'
  group by qz.grading
$$;
revoke all on function private.quiz_score(uuid, uuid) from public;

-- Passing (the counted score at or above the pass mark) completes the quiz's lesson, once.
create function private.apply_quiz_result(quiz_id uuid, user_id uuid) returns void
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  qz public.quizzes;
begin
  select * into qz from public.quizzes where id = apply_quiz_result.quiz_id;
  if private.quiz_score(qz.id, apply_quiz_result.user_id) >= qz.pass_percent
     and not exists (select 1 from public.lesson_progress lp where lp.user_id = apply_quiz_result.user_id
                     and lp.lesson_id = qz.lesson_id and lp.completed_at is not null) then
    perform private.complete_lesson(apply_quiz_result.user_id, qz.lesson_id, qz.course_id);
  end if;
end;
$$;
revoke all on function private.apply_quiz_result(uuid, uuid) from public;

-- Recomputes finished attempts' scores from their answers (manual points over automatic ones; an
-- essay without a grade counts 0 and keeps the attempt 'submitted'), then applies each student's
-- result. Tells a student once their attempt is fully graded by hand.
create function private.recompute_attempts(attempt_ids uuid[]) returns void
language plpgsql
set search_path = ''
as $$
declare
  r record;
begin
  for r in
    with sums as (
      select a.attempt_id, coalesce(sum(coalesce(a.manual_points, a.auto_points, 0)), 0) as score,
             sum(q.points) as max_score,
             count(*) filter (where a.manual_points is null and a.auto_points is null) as pending
      from public.quiz_answers a join public.questions q on q.id = a.question_id
      where a.attempt_id = any (recompute_attempts.attempt_ids)
      group by a.attempt_id
    ), old as (
      select t.id, t.status from public.quiz_attempts t where t.id = any (recompute_attempts.attempt_ids)
    )
    update public.quiz_attempts t
    set score = s.score, max_score = s.max_score,
        percent = case when s.max_score > 0 then round(100 * s.score / s.max_score, 2) else 0 end,
        passed = (case when s.max_score > 0 then round(100 * s.score / s.max_score, 2) else 0 end) >= qz.pass_percent,
        status = case when s.pending > 0 then 'submitted' else 'graded' end::public.quiz_attempt_status
    from sums s, public.quizzes qz, old
    where t.id = s.attempt_id and qz.id = t.quiz_id and old.id = t.id and t.status <> 'in_progress'
    returning t.id, t.quiz_id, t.user_id, t.number, t.percent, t.status, old.status as old_status, qz.lesson_id
  loop
    perform private.apply_quiz_result(r.quiz_id, r.user_id);
    if r.old_status = 'submitted' and r.status = 'graded' then
      perform private.notify(r.user_id, 'quiz_graded', 'Your quiz is graded',
        'Attempt ' || r.number || ' scored ' || r.percent || '%.', '/lessons/' || r.lesson_id,
        jsonb_build_object('attempt_id', r.id, 'quiz_id', r.quiz_id));
    end if;
  end loop;
end;
$$;
revoke all on function private.recompute_attempts(uuid[]) from public;

-- Finishes an attempt in progress: grades its answers, records when (and whether the deadline did
-- it), scores it and applies the result. Does nothing to a finished attempt.
create function private.finish_attempt(attempt_id uuid, auto boolean) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform 1 from public.quiz_attempts t where t.id = finish_attempt.attempt_id and t.status = 'in_progress' for update;
  if not found then
    return;
  end if;
  update public.quiz_answers a set auto_points = g.points, correct = g.correct
  from public.quiz_answers a2 cross join lateral private.auto_grade(a2.question_id, a2.answer) g
  where a.id = a2.id and a2.attempt_id = finish_attempt.attempt_id;
  update public.quiz_attempts set status = 'submitted', submitted_at = now(), auto_submitted = finish_attempt.auto
  where id = finish_attempt.attempt_id;
  perform private.recompute_attempts(array[finish_attempt.attempt_id]);
end;
$$;
revoke all on function private.finish_attempt(uuid, boolean) from public;

-- Regrades every finished answer to a question (its key or points changed).
create function private.regrade_question(question_id uuid) returns void
language plpgsql
set search_path = ''
as $$
declare
  ids uuid[];
begin
  with graded as (
    update public.quiz_answers a set auto_points = g.points, correct = g.correct
    from public.quiz_answers a2
    join public.quiz_attempts t on t.id = a2.attempt_id and t.status <> 'in_progress'
    cross join lateral private.auto_grade(a2.question_id, a2.answer) g
    where a.id = a2.id and a2.question_id = regrade_question.question_id
    returning a.attempt_id
  )
  select array_agg(distinct attempt_id) into ids from graded;
  if ids is not null then
    perform private.recompute_attempts(ids);
  end if;
end;
$$;
revoke all on function private.regrade_question(uuid) from public;

create function private.question_changed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.regrade_question(new.question_id);
  return null;
end;
$$;
create function private.question_points_changed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.regrade_question(new.id);
  return null;
end;
$$;
revoke all on function private.question_changed() from public;
revoke all on function private.question_points_changed() from public;

create trigger question_keys_regrade after update on private.question_keys
  for each row when (old.correct_option_ids is distinct from new.correct_option_ids
                     or old.accepted_answers is distinct from new.accepted_answers
                     or old.numeric_answer is distinct from new.numeric_answer
                     or old.tolerance is distinct from new.tolerance)
  execute function private.question_changed();
create trigger questions_regrade after update of points on public.questions
  for each row when (old.points is distinct from new.points)
  execute function private.question_points_changed();

-- Submits every attempt past its deadline and grace (pg_cron, every minute). Returns how many.
create function private.expire_quiz_attempts() returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
  n integer := 0;
begin
  for r in select t.id from public.quiz_attempts t
           where t.status = 'in_progress' and private.attempt_overdue(t.deadline_at)
           for update skip locked
  loop
    perform private.finish_attempt(r.id, true);
    n := n + 1;
  end loop;
  return n;
end;
$$;
revoke all on function private.expire_quiz_attempts() from public;

select cron.schedule('expire-quiz-attempts', '* * * * *', 'select private.expire_quiz_attempts()');

-- ---------------------------------------------------------------------------------------------
-- What a student (or the staff) sees of an attempt
-- ---------------------------------------------------------------------------------------------

-- An attempt as its reader may see it: the attempt's state and score, and per question (in the
-- student's order) the snapshot, the answer saved and the grader's feedback; the points an answer
-- earned, whether it is correct, the key and the feedback only when `revealed`; an essay's points
-- once graded by hand.
create function private.attempt_result(attempt_id uuid, revealed boolean) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'attempt_id', t.id, 'quiz_id', t.quiz_id, 'number', t.number, 'status', t.status,
    'started_at', t.started_at, 'deadline_at', t.deadline_at, 'submitted_at', t.submitted_at,
    'auto_submitted', t.auto_submitted, 'score', t.score, 'max_score', t.max_score, 'percent', t.percent,
    'passed', t.passed, 'revealed', attempt_result.revealed,
    'questions', coalesce((
      select jsonb_agg(
        x.q || jsonb_build_object('answer_id', a.id, 'answer', a.answer, 'saved_at', a.saved_at,
                                  'grader_feedback', a.feedback)
            || case when attempt_result.revealed or (a.kind = 'essay' and a.manual_points is not null)
                    then jsonb_build_object('points_awarded', coalesce(a.manual_points, a.auto_points))
                    else '{}'::jsonb end
            || case when attempt_result.revealed then jsonb_build_object(
                 'correct', a.correct,
                 'feedback', q.feedback,
                 'key', case when a.kind in ('single_choice', 'multiple_choice', 'true_false')
                               then jsonb_build_object('option_ids', to_jsonb(k.correct_option_ids))
                             when a.kind = 'short_answer' then jsonb_build_object('accepted_answers', to_jsonb(k.accepted_answers))
                             when a.kind = 'numeric' then jsonb_build_object('value', k.numeric_answer, 'tolerance', k.tolerance)
                        end,
                 'options', coalesce((
                   select jsonb_agg(o.opt || jsonb_build_object('correct', qo.id = any (k.correct_option_ids),
                                                                'feedback', qo.feedback) order by o.n)
                   from jsonb_array_elements(x.q -> 'options') with ordinality o (opt, n)
                   left join public.question_options qo on qo.id = (o.opt ->> 'id')::uuid), '[]'::jsonb))
               else '{}'::jsonb end
        order by x.n)
      from jsonb_array_elements(t.questions) with ordinality x (q, n)
      join public.quiz_answers a on a.attempt_id = t.id and a.question_id = (x.q ->> 'id')::uuid
      join public.questions q on q.id = a.question_id
      left join private.question_keys k on k.question_id = a.question_id and attempt_result.revealed), '[]'::jsonb))
  from public.quiz_attempts t where t.id = attempt_result.attempt_id
$$;
revoke all on function private.attempt_result(uuid, boolean) from public;

-- Whether the quiz's settings let its student see the answers of a finished attempt now.
create function private.reveals(status public.quiz_attempt_status, reveal public.quiz_reveal, closes_at timestamptz)
returns boolean
language sql stable
set search_path = ''
as $$
  select reveals.status <> 'in_progress'
     and (reveals.reveal = 'after_submit' or (reveals.reveal = 'after_close' and reveals.closes_at <= now()))
$$;
revoke all on function private.reveals(public.quiz_attempt_status, public.quiz_reveal, timestamptz) from public;

-- ---------------------------------------------------------------------------------------------
-- The RPCs
-- ---------------------------------------------------------------------------------------------

-- Starts an attempt at a quiz for the caller, or returns the one they have in progress.
create function public.start_attempt(quiz_id uuid) returns public.quiz_attempts
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('take a quiz');
  qz public.quizzes;
  state text;
  cur public.quiz_attempts;
  used integer;
  last_number integer;
  qids uuid[];
  snapshot jsonb;
  total numeric;
  result public.quiz_attempts;
begin
  select * into qz from public.quizzes where id = start_attempt.quiz_id;
  if not found then
    raise exception 'quiz not found' using errcode = 'PT404', detail = 'quiz_not_found';
  end if;
  if not private.has_course_access(qz.course_id) then
    raise exception 'you do not have access to this course' using errcode = '42501', detail = 'no_access';
  end if;
  state := private.lesson_state(qz.lesson_id);
  if state <> 'open' then
    raise exception 'this lesson is not open yet' using errcode = 'P0001',
      detail = case state when 'scheduled' then 'lesson_scheduled' when 'locked' then 'lesson_locked'
                          else 'lesson_not_enrolled' end;
  end if;

  -- One caller at a time per (student, quiz): parallel starts see each other's attempts.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('quiz_attempt:' || qz.id || ':' || uid, 0));
  select * into cur from public.quiz_attempts t
  where t.quiz_id = qz.id and t.user_id = uid and t.status = 'in_progress' for update;
  if found and not private.attempt_overdue(cur.deadline_at) then
    return cur;
  end if;
  if qz.opens_at > now() then
    raise exception 'this quiz is not open yet' using errcode = 'P0001', detail = 'quiz_not_open';
  end if;
  if qz.closes_at <= now() then
    raise exception 'this quiz is closed' using errcode = 'P0001', detail = 'quiz_closed';
  end if;
  select count(*), coalesce(max(t.number), 0) into used, last_number from public.quiz_attempts t
  where t.quiz_id = qz.id and t.user_id = uid;
  if used >= qz.max_attempts then
    raise exception 'you have no attempts left' using errcode = 'P0001', detail = 'no_attempts_left';
  end if;
  if cur.id is not null then
    perform private.finish_attempt(cur.id, true);
  end if;

  -- Draw (a random N of the pool, or all of it) and order (shuffled, or the pool's order).
  select array_agg(d.question_id order by d.ord) into qids from (
    select p.question_id, case when qz.shuffle_questions then random() else p.position end as ord
    from (select qq.question_id, qq.position from public.quiz_questions qq where qq.quiz_id = qz.id
          order by case when qz.draw_count is null then 0 else random() end limit qz.draw_count) p
  ) d;
  if qids is null then
    raise exception 'this quiz has no questions yet' using errcode = 'P0001', detail = 'quiz_empty';
  end if;
  select jsonb_agg(jsonb_build_object(
           'id', q.id, 'kind', q.kind, 'prompt', q.prompt, 'points', q.points,
           'options', coalesce((select jsonb_agg(jsonb_build_object('id', o.id, 'label', o.label)
                                                 order by case when qz.shuffle_options and q.kind <> 'true_false'
                                                               then random() else o.position end)
                                from public.question_options o where o.question_id = q.id), '[]'::jsonb))
         order by x.n),
         sum(q.points)
    into snapshot, total
  from unnest(qids) with ordinality x (id, n) join public.questions q on q.id = x.id;

  insert into public.quiz_attempts (quiz_id, course_id, user_id, number, deadline_at, max_score, questions)
  values (qz.id, qz.course_id, uid, last_number + 1,
          least(now() + make_interval(secs => qz.time_limit_seconds), qz.closes_at), total, snapshot)
  returning * into result;
  insert into public.quiz_answers (attempt_id, quiz_id, course_id, user_id, question_id, kind, position, option_ids)
  select result.id, qz.id, qz.course_id, uid, q.id, q.kind, x.n - 1,
         coalesce((select array_agg(o.id) from public.question_options o where o.question_id = q.id), '{}')
  from unnest(qids) with ordinality x (id, n) join public.questions q on q.id = x.id;
  return result;
end;
$$;
comment on function public.start_attempt(uuid) is
  'Starts an attempt at a quiz (or returns the caller''s attempt in progress): its questions, without keys.';
revoke all on function public.start_attempt(uuid) from public, anon;
grant execute on function public.start_attempt(uuid) to authenticated;

-- Saves the caller's answer to one question of their attempt in progress (again: replaces it; null
-- clears it). Never reads a key. Returns when it was saved.
create function public.save_answer(attempt_id uuid, question_id uuid, answer jsonb) returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('answer a quiz');
  t public.quiz_attempts;
  a public.quiz_answers;
  given jsonb := nullif(save_answer.answer, 'null'::jsonb);
  ok boolean;
begin
  -- A share lock: saves go on side by side, a submit waits for them (and they for it).
  select * into t from public.quiz_attempts where id = save_answer.attempt_id and user_id = uid for share;
  if not found then
    raise exception 'attempt not found' using errcode = 'PT404', detail = 'attempt_not_found';
  end if;
  if t.status <> 'in_progress' then
    raise exception 'this attempt is already submitted' using errcode = 'P0001', detail = 'attempt_submitted';
  end if;
  if private.attempt_overdue(t.deadline_at) then
    raise exception 'time is up for this attempt' using errcode = 'P0001', detail = 'attempt_time_up';
  end if;
  if not private.has_course_access(t.course_id) then
    raise exception 'you do not have access to this course' using errcode = '42501', detail = 'no_access';
  end if;
  select * into a from public.quiz_answers where attempt_id = t.id and question_id = save_answer.question_id;
  if not found then
    raise exception 'that question is not part of this attempt' using errcode = 'PT404',
      detail = 'question_not_in_attempt';
  end if;
  if given is not null then
    ok := case
      when a.kind in ('single_choice', 'true_false') then
        jsonb_typeof(given -> 'option_id') = 'string' and (given ->> 'option_id') = any (a.option_ids::text[])
      when a.kind = 'multiple_choice' then
        jsonb_typeof(given -> 'option_ids') = 'array'
        and not exists (select 1 from jsonb_array_elements(case when jsonb_typeof(given -> 'option_ids') = 'array'
                                                                then given -> 'option_ids' else '[]'::jsonb end) e
                        where jsonb_typeof(e) <> 'string' or (e #>> '{}') <> all (a.option_ids::text[]))
      when a.kind in ('short_answer', 'essay') then
        jsonb_typeof(given -> 'text') = 'string'
        and char_length(given ->> 'text') <= case when a.kind = 'essay' then 50000 else 1000 end
      when a.kind = 'numeric' then jsonb_typeof(given -> 'value') = 'number'
    end;
    if not coalesce(ok, false) then
      raise exception 'the answer does not fit the question' using errcode = '22023', detail = 'invalid_answer',
        hint = 'Choice: {"option_id": id}; multiple choice: {"option_ids": [ids]}; short answer and essay: {"text": ...}; numeric: {"value": number}.';
    end if;
  end if;
  update public.quiz_answers set answer = given, saved_at = now() where id = a.id;
  return now();
end;
$$;
comment on function public.save_answer(uuid, uuid, jsonb) is
  'Saves (or replaces; null clears) the caller''s answer to a question of their attempt in progress.';
revoke all on function public.save_answer(uuid, uuid, jsonb) from public, anon;
grant execute on function public.save_answer(uuid, uuid, jsonb) to authenticated;

-- Submits the caller's attempt (again: returns it as it is) and returns what they may see of it.
create function public.submit_attempt(attempt_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('submit a quiz');
  t public.quiz_attempts;
  qz public.quizzes;
begin
  select * into t from public.quiz_attempts where id = submit_attempt.attempt_id and user_id = uid for update;
  if not found then
    raise exception 'attempt not found' using errcode = 'PT404', detail = 'attempt_not_found';
  end if;
  -- Access that ended mid-attempt (a refund, a lapsed subscription) ends the work: the attempt
  -- is submitted only by its deadline (pg_cron), and completes nothing (private.complete_lesson).
  if t.status = 'in_progress' and not private.has_course_access(t.course_id) then
    raise exception 'you do not have access to this course' using errcode = '42501', detail = 'no_access';
  end if;
  if t.status = 'in_progress' then
    perform private.finish_attempt(t.id, private.attempt_overdue(t.deadline_at));
    select * into t from public.quiz_attempts where id = t.id;
  end if;
  select * into qz from public.quizzes where id = t.quiz_id;
  return private.attempt_result(t.id, private.reveals(t.status, qz.reveal, qz.closes_at)
                                      or private.can_manage_course(t.course_id));
end;
$$;
comment on function public.submit_attempt(uuid) is
  'Submits the caller''s attempt and grades it; returns the score and what the quiz''s settings let them see.';
revoke all on function public.submit_attempt(uuid) from public, anon;
grant execute on function public.submit_attempt(uuid) to authenticated;

-- An attempt for its student (what the quiz's settings let them see; their saved answers while in
-- progress) or for the course's staff (everything). An attempt past its deadline is submitted first.
create function public.attempt_review(attempt_id uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('review a quiz attempt');
  t public.quiz_attempts;
  qz public.quizzes;
  staff boolean;
begin
  select * into t from public.quiz_attempts where id = attempt_review.attempt_id;
  staff := found and private.can_manage_course(t.course_id);
  if t.id is null or (t.user_id <> uid and not staff) then
    raise exception 'attempt not found' using errcode = 'PT404', detail = 'attempt_not_found';
  end if;
  if t.status = 'in_progress' and private.attempt_overdue(t.deadline_at) then
    perform private.finish_attempt(t.id, true);
    select * into t from public.quiz_attempts where id = t.id;
  end if;
  select * into qz from public.quizzes where id = t.quiz_id;
  return private.attempt_result(t.id, staff or private.reveals(t.status, qz.reveal, qz.closes_at));
end;
$$;
comment on function public.attempt_review(uuid) is
  'An attempt with its questions and answers; points, keys and feedback as the quiz''s reveal setting allows (staff: all).';
revoke all on function public.attempt_review(uuid) from public, anon;
grant execute on function public.attempt_review(uuid) to authenticated;

-- The course's staff grade an answer by hand (essays) or override its points, with feedback for
-- the student; the attempt's score and the student's result follow. Returns the attempt.
create function public.grade_answer(answer_id uuid, points numeric, feedback text default null)
returns public.quiz_attempts
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('grade answers');
  a public.quiz_answers;
  max_points numeric;
  result public.quiz_attempts;
begin
  select * into a from public.quiz_answers where id = grade_answer.answer_id;
  if not found then
    raise exception 'answer not found' using errcode = 'PT404', detail = 'answer_not_found';
  end if;
  if not private.can_manage_course(a.course_id) then
    raise exception 'only the course''s staff can grade answers' using errcode = '42501', detail = 'not_course_staff';
  end if;
  if a.user_id = uid then
    raise exception 'nobody grades their own answers' using errcode = '42501', detail = 'cannot_grade_self';
  end if;
  perform 1 from public.quiz_attempts t where t.id = a.attempt_id and t.status <> 'in_progress' for update;
  if not found then
    raise exception 'the attempt is still in progress' using errcode = 'P0001', detail = 'attempt_in_progress';
  end if;
  select q.points into max_points from public.questions q where q.id = a.question_id;
  if grade_answer.points is null or grade_answer.points < 0 or grade_answer.points > max_points then
    raise exception 'points must be between 0 and the question''s points' using errcode = '22023',
      detail = 'invalid_points';
  end if;
  update public.quiz_answers
  set manual_points = grade_answer.points, feedback = grade_answer.feedback, graded_by = uid, graded_at = now()
  where id = a.id;
  perform private.recompute_attempts(array[a.attempt_id]);
  select * into result from public.quiz_attempts where id = a.attempt_id;
  return result;
end;
$$;
comment on function public.grade_answer(uuid, numeric, text) is
  'Staff: grades an answer by hand (essays) or overrides its points, with feedback; returns the attempt.';
revoke all on function public.grade_answer(uuid, numeric, text) from public, anon;
grant execute on function public.grade_answer(uuid, numeric, text) to authenticated;

-- Item statistics of a quiz for its course's staff, over finished attempts: per question, how many
-- answered it, the share with full marks (difficulty), the mean share of its points, and its
-- discrimination: the point-biserial correlation of the item's score with the rest of the attempt's
-- score (the total without this item, so an item does not correlate with itself; null when either
-- does not vary); per option, the share of answers that chose it.
--
-- Computing them reads every answer of the quiz's finished attempts (100,000 rows for 10,000
-- attempts of ten questions: a few hundred ms), so they are cached per quiz (as Moodle caches its
-- quiz statistics) and recomputed only when the quiz's finished attempts changed: every update of
-- an attempt moves its updated_at (finishing, grading by hand, regrading on a key or points change;
-- an answer of a finished attempt that changes touches its attempt), so the count of finished
-- attempts and the sum of their stamps, read from one index, differ from the cached ones after any
-- change, a deleted attempt included, however the writers' commits interleave (the latest stamp
-- alone would miss a change committed after a later one the cache had seen). Nothing is written
-- per submit on a shared row: a submit only stamps its own attempt. Labels, positions and
-- correctness of the options are read live, so editing them needs no recomputation.

-- The statistics of a quiz as they are now, computed from its finished attempts' answers. Per
-- question: the answers, the share with full marks, the mean share of the points, the
-- discrimination, and how many answers chose each option ({option id: count}; an answer names
-- options as save_answer admits them, {"option_id": id} or {"option_ids": [ids]}, and counts once
-- per option however often it names it).
create function private.compute_quiz_item_stats(quiz_id uuid)
returns table (question_id uuid, answered integer, share_correct numeric, mean_score numeric,
               discrimination numeric, chosen jsonb)
language sql stable
set search_path = ''
as $$
  with items as (
    select a.question_id, a.answer, q.points::float8 as max_points,
           coalesce(a.manual_points, a.auto_points, 0)::float8 as pts, t.score::float8 as score
    from public.quiz_answers a
    join public.quiz_attempts t on t.id = a.attempt_id and t.status <> 'in_progress'
    join public.questions q on q.id = a.question_id
    where a.quiz_id = compute_quiz_item_stats.quiz_id
  ), per_question as (
    select i.question_id, count(*)::integer as answered,
           round((count(*) filter (where i.pts >= i.max_points))::numeric / count(*), 4) as share_correct,
           round(avg(i.pts / i.max_points)::numeric, 4) as mean_score,
           round(corr(i.pts / i.max_points, i.score - i.pts)::numeric, 4) as discrimination
    from items i group by i.question_id
  ), choices as (
    select i.question_id, i.answer ->> 'option_id' as option_id from items i where i.answer ->> 'option_id' is not null
    union all
    select i.question_id, e.option_id from items i
    cross join lateral (select distinct x as option_id from jsonb_array_elements_text(i.answer -> 'option_ids') x) e
    where jsonb_typeof(i.answer -> 'option_ids') = 'array'
  ), chosen as (
    select c.question_id, jsonb_object_agg(c.option_id, c.n) as chosen
    from (select c.question_id, c.option_id, count(*) as n from choices c group by c.question_id, c.option_id) c
    group by c.question_id
  )
  select pq.question_id, pq.answered, pq.share_correct, pq.mean_score, pq.discrimination,
         coalesce(c.chosen, '{}'::jsonb)
  from per_question pq left join chosen c on c.question_id = pq.question_id
$$;
revoke all on function private.compute_quiz_item_stats(uuid) from public;

-- The cache: per quiz what its finished attempts were when computed, and per question its
-- statistics. No API role holds a grant here; quiz_item_stats() reads and writes it.
create table private.quiz_item_stats_state (
  quiz_id uuid primary key references public.quizzes (id) on delete cascade,
  -- The quiz's finished attempts then: how many, the sum of their updated_at (epoch seconds), and
  -- the latest of them.
  finished integer not null,
  stamps numeric not null,
  last_change timestamptz,
  computed_at timestamptz not null default now()
);
create table private.quiz_item_stats_cache (
  quiz_id uuid not null references private.quiz_item_stats_state (quiz_id) on delete cascade,
  question_id uuid not null,
  answered integer not null,
  share_correct numeric,
  mean_score numeric,
  discrimination numeric,
  chosen jsonb not null,
  primary key (quiz_id, question_id)
);
revoke all on private.quiz_item_stats_state, private.quiz_item_stats_cache from public, anon, authenticated, service_role;

-- Whether the cache holds a quiz's statistics for its finished attempts as they are now (their
-- count and the sum of their stamps).
create function private.item_stats_cached(quiz_id uuid, finished integer, stamps numeric) returns boolean
language sql stable
set search_path = ''
as $$
  select exists (select 1 from private.quiz_item_stats_state s
                 where s.quiz_id = item_stats_cached.quiz_id and s.finished = item_stats_cached.finished
                   and s.stamps = item_stats_cached.stamps)
$$;
revoke all on function private.item_stats_cached(uuid, integer, numeric) from public;

create function public.quiz_item_stats(quiz_id uuid)
returns table (
  question_id uuid,
  "position" integer,
  kind public.question_kind,
  prompt text,
  answered integer,
  share_correct numeric,
  mean_score numeric,
  discrimination numeric,
  options jsonb
)
language plpgsql volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  qz public.quizzes;
  seen_finished integer;
  seen_stamps numeric;
  seen_last timestamptz;
  use_cache boolean;
begin
  perform private.require_signed_in('read item statistics');
  select * into qz from public.quizzes where id = quiz_item_stats.quiz_id;
  if not found then
    raise exception 'quiz not found' using errcode = 'PT404', detail = 'quiz_not_found';
  end if;
  if not private.can_manage_course(qz.course_id) then
    raise exception 'only the course''s staff can read item statistics' using errcode = '42501',
      detail = 'not_course_staff';
  end if;

  -- The finished attempts now, read before the statistics (a change committed in between makes the
  -- stored state older than the statistics: the next call recomputes, never the other way round).
  select count(*)::integer, coalesce(sum(extract(epoch from t.updated_at)), 0), max(t.updated_at)
    into seen_finished, seen_stamps, seen_last
  from public.quiz_attempts t where t.quiz_id = qz.id and t.status <> 'in_progress';
  use_cache := private.item_stats_cached(qz.id, seen_finished, seen_stamps);

  -- Stale: recompute and store, unless the transaction is read-only (a GET: then answer without
  -- storing) or another call holds this quiz's lock (it is storing them right now: the same).
  if not use_cache and not pg_catalog.current_setting('transaction_read_only')::boolean
     and pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('quiz_item_stats:' || qz.id, 0)) then
    -- A call that held the lock until just now may have stored them already.
    if not private.item_stats_cached(qz.id, seen_finished, seen_stamps) then
      insert into private.quiz_item_stats_state as s (quiz_id, finished, stamps, last_change, computed_at)
      values (qz.id, seen_finished, seen_stamps, seen_last, pg_catalog.clock_timestamp())
      on conflict (quiz_id) do update
      set finished = excluded.finished, stamps = excluded.stamps, last_change = excluded.last_change,
          computed_at = excluded.computed_at;
      delete from private.quiz_item_stats_cache c where c.quiz_id = qz.id;
      insert into private.quiz_item_stats_cache (quiz_id, question_id, answered, share_correct, mean_score,
                                                 discrimination, chosen)
      select qz.id, x.question_id, x.answered, x.share_correct, x.mean_score, x.discrimination, x.chosen
      from private.compute_quiz_item_stats(qz.id) x;
    end if;
    use_cache := true;
  end if;

  return query
    with stats as (
      select c.question_id, c.answered, c.share_correct, c.mean_score, c.discrimination, c.chosen
      from private.quiz_item_stats_cache c where use_cache and c.quiz_id = qz.id
      union all
      select x.question_id, x.answered, x.share_correct, x.mean_score, x.discrimination, x.chosen
      from private.compute_quiz_item_stats(qz.id) x where not use_cache
    )
    select s.question_id, qq.position, q.kind, q.prompt, s.answered, s.share_correct, s.mean_score,
           s.discrimination,
           coalesce((select jsonb_agg(jsonb_build_object(
                              'id', o.id, 'label', o.label, 'correct', o.id = any (k.correct_option_ids),
                              'share_chosen', round(coalesce((s.chosen ->> o.id::text)::numeric, 0)
                                                    / nullif(s.answered, 0), 4))
                            order by o.position)
                     from public.question_options o where o.question_id = s.question_id), '[]'::jsonb)
    from stats s
    join public.questions q on q.id = s.question_id
    left join private.question_keys k on k.question_id = s.question_id
    left join public.quiz_questions qq on qq.quiz_id = qz.id and qq.question_id = s.question_id
    order by qq.position nulls last, q.prompt;
end;
$$;
comment on function public.quiz_item_stats(uuid) is
  'Staff: per question the share correct and discrimination (point-biserial), per option the share chosen (cached per quiz, recomputed when its finished attempts change).';
revoke all on function public.quiz_item_stats(uuid) from public, anon;
grant execute on function public.quiz_item_stats(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies: students read their attempts (their answers through attempt_review());
-- the course's staff read their course's attempts and answers. Only the functions above write.
-- ---------------------------------------------------------------------------------------------

grant select on public.quiz_attempts, public.quiz_answers to authenticated;
grant select, insert, update, delete on public.quiz_attempts, public.quiz_answers to service_role;

create policy "students read their attempts; the course's staff their course's" on public.quiz_attempts
  for select to authenticated
  using (user_id = (select auth.uid()) or course_id in (select private.managed_course_ids()));
create policy "the course's staff read its answers" on public.quiz_answers for select to authenticated
  using (course_id in (select private.managed_course_ids()));
