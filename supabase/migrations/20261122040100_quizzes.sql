-- Quizzes: a quiz lesson's settings and its questions.
--
-- A quiz hangs off a lesson of kind 'quiz' (one quiz per lesson; a section's quiz is a quiz lesson
-- at the end of the section), so it opens, locks and drips like any lesson, and passing it
-- completes the lesson (the attempts migration): "pass quiz X" is a prerequisite in a course taken
-- in order and a condition of completion when the lesson is required, with no second machinery.
-- Settings: attempts allowed (null: unlimited), a time limit, the pass mark (a percentage), shuffled
-- questions and options, drawing N questions from its pool, an availability window, when students
-- may see the correct answers (never, after submitting, after the quiz closes) and which attempt
-- counts (best, last, average). quiz_questions is the pool, drawn from the course's bank. Whoever
-- has access to the course reads a quiz's settings; only the course's staff read its pool and write
-- either (private.managed_course_ids()). Each row carries its lesson's course_id, set by triggers.

create type public.quiz_reveal as enum ('never', 'after_submit', 'after_close');
create type public.quiz_grading as enum ('best', 'last', 'average');

create table public.quizzes (
  id uuid primary key default gen_random_uuid(),
  lesson_id uuid not null constraint quizzes_lesson_id_key unique references public.lessons (id) on delete cascade,
  course_id uuid not null default private.derived() references public.courses (id) on delete cascade,
  instructions text constraint quizzes_instructions_length check (char_length(instructions) <= 10000),
  max_attempts integer constraint quizzes_max_attempts_valid check (max_attempts between 1 and 100),
  time_limit_seconds integer constraint quizzes_time_limit_valid check (time_limit_seconds between 60 and 86400),
  pass_percent numeric(5, 2) not null default 50 constraint quizzes_pass_percent_valid check (pass_percent between 0 and 100),
  shuffle_questions boolean not null default false,
  shuffle_options boolean not null default false,
  draw_count integer constraint quizzes_draw_count_valid check (draw_count between 1 and 500),
  opens_at timestamptz,
  closes_at timestamptz,
  reveal public.quiz_reveal not null default 'after_submit',
  grading public.quiz_grading not null default 'best',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint quizzes_window_valid check (closes_at > opens_at),
  constraint quizzes_reveal_after_close_needs_close check (reveal <> 'after_close' or closes_at is not null)
);
create index quizzes_course_id_idx on public.quizzes (course_id);
alter table public.quizzes enable row level security;

create table public.quiz_questions (
  quiz_id uuid not null references public.quizzes (id) on delete cascade,
  question_id uuid not null references public.questions (id) on delete cascade,
  course_id uuid not null default private.derived() references public.courses (id) on delete cascade,
  position integer not null constraint quiz_questions_position_valid check (position >= 0),
  primary key (quiz_id, question_id),
  constraint quiz_questions_quiz_position_key unique (quiz_id, position) deferrable initially deferred
);
create index quiz_questions_question_id_idx on public.quiz_questions (question_id);
create index quiz_questions_course_id_idx on public.quiz_questions (course_id);
alter table public.quiz_questions enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Keeping the copies in step, and the rules
-- ---------------------------------------------------------------------------------------------

-- A quiz takes its lesson's course; the lesson is a quiz lesson and never changes.
create function private.quizzes_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  l public.lessons;
begin
  if tg_op = 'UPDATE' and new.lesson_id <> old.lesson_id then
    raise exception 'a quiz cannot move to another lesson' using errcode = '22023', detail = 'cannot_change_lesson';
  end if;
  select * into l from public.lessons where id = new.lesson_id;
  if l.kind is distinct from 'quiz' then
    raise exception 'a quiz belongs to a lesson of kind quiz' using errcode = '22023', detail = 'lesson_not_quiz';
  end if;
  new.course_id := l.course_id;
  new.updated_at := now();
  return new;
end;
$$;

-- A quiz's questions come from its course's bank.
create function private.quiz_questions_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  select qz.course_id into new.course_id from public.quizzes qz where qz.id = new.quiz_id;
  if not exists (select 1 from public.questions q where q.id = new.question_id and q.course_id = new.course_id) then
    raise exception 'the question is not in this course''s bank' using errcode = '22023',
      detail = 'question_not_in_course';
  end if;
  return new;
end;
$$;

-- A quiz lesson stays a quiz lesson while it has a quiz.
create function private.lessons_keep_quiz_kind() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from public.quizzes qz where qz.lesson_id = new.id) then
    raise exception 'this lesson has a quiz; delete the quiz before changing its kind' using errcode = '22023',
      detail = 'lesson_has_quiz';
  end if;
  return new;
end;
$$;

revoke all on function private.quizzes_before_write() from public;
revoke all on function private.quiz_questions_before_write() from public;
revoke all on function private.lessons_keep_quiz_kind() from public;

create trigger quizzes_before_write before insert or update on public.quizzes
  for each row execute function private.quizzes_before_write();
create trigger quiz_questions_before_write before insert or update on public.quiz_questions
  for each row execute function private.quiz_questions_before_write();
create trigger lessons_keep_quiz_kind before update of kind on public.lessons
  for each row when (old.kind = 'quiz' and new.kind <> 'quiz')
  execute function private.lessons_keep_quiz_kind();

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

grant select on public.quizzes, public.quiz_questions to authenticated;
grant insert (lesson_id, instructions, max_attempts, time_limit_seconds, pass_percent, shuffle_questions,
              shuffle_options, draw_count, opens_at, closes_at, reveal, grading),
      update (instructions, max_attempts, time_limit_seconds, pass_percent, shuffle_questions, shuffle_options,
              draw_count, opens_at, closes_at, reveal, grading),
      delete
  on public.quizzes to authenticated;
grant insert (quiz_id, question_id, position), update (position), delete on public.quiz_questions to authenticated;
grant select, insert, update, delete on public.quizzes, public.quiz_questions to service_role;

create policy "users with access to the course read its quizzes" on public.quizzes for select to authenticated
  using (course_id in (select private.accessible_course_ids()));
create policy "the course's staff add quizzes" on public.quizzes for insert to authenticated
  with check (course_id in (select private.managed_course_ids()));
create policy "the course's staff edit quizzes" on public.quizzes for update to authenticated
  using (course_id in (select private.managed_course_ids()))
  with check (course_id in (select private.managed_course_ids()));
create policy "the course's staff delete quizzes" on public.quizzes for delete to authenticated
  using (course_id in (select private.managed_course_ids()));

create policy "the course's staff read quiz pools" on public.quiz_questions for select to authenticated
  using (course_id in (select private.managed_course_ids()));
create policy "the course's staff add quiz questions" on public.quiz_questions for insert to authenticated
  with check (course_id in (select private.managed_course_ids()));
create policy "the course's staff edit quiz questions" on public.quiz_questions for update to authenticated
  using (course_id in (select private.managed_course_ids()))
  with check (course_id in (select private.managed_course_ids()));
create policy "the course's staff delete quiz questions" on public.quiz_questions for delete to authenticated
  using (course_id in (select private.managed_course_ids()));
