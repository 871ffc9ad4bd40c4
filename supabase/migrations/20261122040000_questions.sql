-- Questions: each course's question bank, and its answer keys where no student can reach them.
--
-- A question (questions) has a kind, a prompt, points and general feedback; choice questions have
-- options (question_options), each with its own feedback. What is correct lives apart, in
-- private.question_keys: the correct options, the accepted short answers, the numeric answer and
-- its tolerance. `private` is not exposed and no API role holds a grant on it, so no table, view,
-- embedded select or Realtime channel can carry a key to a student; only our security definer
-- functions read it (grading at submit, the review when the quiz's settings allow, the staff's
-- question_bank()). The bank is the course's staff's (private.managed_course_ids()): they read
-- questions and options, and write a whole question at once with save_question() (kind rules
-- checked, key and options in one transaction). Students see a question only as a snapshot inside
-- their attempt (the attempts migration). Changing a key regrades every attempt that used the
-- question (the attempts migration's trigger on question_keys).

create type public.question_kind as enum ('single_choice', 'multiple_choice', 'true_false', 'short_answer',
                                          'numeric', 'essay');

create table public.questions (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references public.courses (id) on delete cascade,
  kind public.question_kind not null,
  prompt text not null constraint questions_prompt_length check (char_length(btrim(prompt)) between 1 and 10000),
  points numeric(6, 2) not null default 1 constraint questions_points_positive check (points > 0 and points <= 1000),
  -- Shown with the correct answer, when the quiz's settings reveal it.
  feedback text constraint questions_feedback_length check (char_length(feedback) <= 5000),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index questions_course_id_idx on public.questions (course_id);
create index questions_created_by_idx on public.questions (created_by);
alter table public.questions enable row level security;

create table public.question_options (
  id uuid primary key default gen_random_uuid(),
  question_id uuid not null references public.questions (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  position integer not null constraint question_options_position_valid check (position >= 0),
  label text not null constraint question_options_label_length check (char_length(btrim(label)) between 1 and 2000),
  -- Shown to a student who chose this option, when the quiz's settings reveal answers.
  feedback text constraint question_options_feedback_length check (char_length(feedback) <= 5000),
  constraint question_options_question_position_key unique (question_id, position)
);
create index question_options_course_id_idx on public.question_options (course_id);
alter table public.question_options enable row level security;

-- The keys: no API role holds a grant here.
create table private.question_keys (
  question_id uuid primary key references public.questions (id) on delete cascade,
  correct_option_ids uuid[] not null default '{}',
  accepted_answers text[] not null default '{}',
  numeric_answer numeric,
  tolerance numeric not null default 0 constraint question_keys_tolerance_valid check (tolerance >= 0)
);

-- A short answer as it is compared: case and whitespace do not count ("New  York" = "newyork").
create function private.normalize_answer(answer text) returns text
language sql immutable
set search_path = ''
as $$ select lower(regexp_replace(normalize_answer.answer, '\s+', '', 'g')) $$;
revoke all on function private.normalize_answer(text) from public;

-- ---------------------------------------------------------------------------------------------
-- Writing a question: one call, the question with its options and key
-- ---------------------------------------------------------------------------------------------

-- Creates (no id) or replaces (id) a question of a course the caller manages, with its options and
-- key, and returns its id. question: {id?, kind, prompt, points?, feedback?, options?: [{id?,
-- label, correct?, feedback?}], accepted_answers?: [text], answer?: number, tolerance?: number}.
-- Kind rules: single_choice 2+ options, one correct; multiple_choice 2+ options, one or more
-- correct; true_false two options, one correct; short_answer one or more accepted answers;
-- numeric an answer and a tolerance >= 0; essay nothing (graded by hand). Options keep their ids
-- when sent back with them (answers refer to them); options left out are removed. A question's
-- kind never changes.
create function public.save_question(course_id uuid, question jsonb) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('edit the question bank');
  q jsonb := save_question.question;
  qid uuid;
  existing public.questions;
  k public.question_kind;
  opts jsonb := coalesce(save_question.question -> 'options', '[]'::jsonb);
  n_opts integer;
  n_correct integer;
  accepted text[];
  num numeric;
  tol numeric;
  correct uuid[] := '{}'::uuid[];
  o record;
  oid uuid;
  kept uuid[] := '{}'::uuid[];
begin
  if not private.can_manage_course(save_question.course_id) then
    raise exception 'only the course''s staff can edit its question bank' using errcode = '42501',
      detail = 'not_course_staff';
  end if;
  if jsonb_typeof(q) is distinct from 'object' then
    raise exception 'question must be an object' using errcode = '22023', detail = 'invalid_question';
  end if;
  if q ? 'id' then
    select * into existing from public.questions
    where id = (q ->> 'id')::uuid and course_id = save_question.course_id for update;
    if not found then
      raise exception 'question not found' using errcode = 'PT404', detail = 'question_not_found';
    end if;
  end if;
  begin
    k := (q ->> 'kind')::public.question_kind;
  exception when invalid_text_representation then
    k := null;
  end;
  if k is null then
    raise exception 'kind must be single_choice, multiple_choice, true_false, short_answer, numeric or essay'
      using errcode = '22023', detail = 'invalid_question_kind';
  end if;
  if existing.id is not null and existing.kind <> k then
    raise exception 'a question''s kind cannot change' using errcode = '22023', detail = 'cannot_change_kind',
      hint = 'Create a new question instead.';
  end if;
  if jsonb_typeof(opts) <> 'array' then
    raise exception 'options must be an array' using errcode = '22023', detail = 'invalid_options';
  end if;
  n_opts := jsonb_array_length(opts);
  select count(*) into n_correct from jsonb_array_elements(opts) e where (e ->> 'correct')::boolean;

  if k in ('single_choice', 'multiple_choice', 'true_false') then
    if (k = 'true_false' and n_opts <> 2) or n_opts < 2 or n_opts > 20 then
      raise exception 'a choice question needs 2 to 20 options (true/false exactly 2)' using errcode = '22023',
        detail = 'invalid_options';
    end if;
    if (k <> 'multiple_choice' and n_correct <> 1) or n_correct < 1 then
      raise exception 'mark one correct option (multiple choice: one or more)' using errcode = '22023',
        detail = 'invalid_correct_options';
    end if;
  elsif n_opts > 0 then
    raise exception 'only choice questions have options' using errcode = '22023', detail = 'invalid_options';
  end if;
  if k = 'short_answer' then
    select coalesce(array_agg(btrim(a)), '{}') into accepted
    from jsonb_array_elements_text(case when jsonb_typeof(q -> 'accepted_answers') = 'array'
                                        then q -> 'accepted_answers' else '[]'::jsonb end) a
    where private.normalize_answer(a) <> '';
    if cardinality(accepted) = 0 then
      raise exception 'a short answer question needs at least one accepted answer' using errcode = '22023',
        detail = 'invalid_accepted_answers';
    end if;
  end if;
  if k = 'numeric' then
    if jsonb_typeof(q -> 'answer') is distinct from 'number'
       or coalesce(jsonb_typeof(q -> 'tolerance'), 'number') <> 'number' or (q ->> 'tolerance')::numeric < 0 then
      raise exception 'a numeric question needs a number answer and a tolerance >= 0' using errcode = '22023',
        detail = 'invalid_numeric_answer';
    end if;
    num := (q ->> 'answer')::numeric;
    tol := coalesce((q ->> 'tolerance')::numeric, 0);
  end if;

  if existing.id is null then
    insert into public.questions (course_id, kind, prompt, points, feedback, created_by)
    values (save_question.course_id, k, q ->> 'prompt', coalesce((q ->> 'points')::numeric, 1), q ->> 'feedback', uid)
    returning id into qid;
  else
    qid := existing.id;
    update public.questions
    set prompt = q ->> 'prompt', points = coalesce((q ->> 'points')::numeric, existing.points),
        feedback = q ->> 'feedback', updated_at = now()
    where id = qid;
  end if;

  -- Options: the ones sent with an id of this question keep it; the rest are new; others go.
  -- Positions move out of the way first (unique per question).
  update public.question_options set position = position + 1000 where question_id = qid;
  for o in select e.value, e.ordinality - 1 as pos from jsonb_array_elements(opts) with ordinality e loop
    oid := null;
    if o.value ? 'id' then
      update public.question_options
      set position = o.pos, label = o.value ->> 'label', feedback = o.value ->> 'feedback'
      where id = (o.value ->> 'id')::uuid and question_id = qid
      returning id into oid;
    end if;
    if oid is null then
      insert into public.question_options (question_id, course_id, position, label, feedback)
      values (qid, save_question.course_id, o.pos, o.value ->> 'label', o.value ->> 'feedback')
      returning id into oid;
    end if;
    kept := kept || oid;
    if (o.value ->> 'correct')::boolean then
      correct := correct || oid;
    end if;
  end loop;
  delete from public.question_options where question_id = qid and id <> all (kept);

  insert into private.question_keys (question_id, correct_option_ids, accepted_answers, numeric_answer, tolerance)
  values (qid, correct, coalesce(accepted, '{}'), num, coalesce(tol, 0))
  on conflict (question_id) do update
    set correct_option_ids = excluded.correct_option_ids, accepted_answers = excluded.accepted_answers,
        numeric_answer = excluded.numeric_answer, tolerance = excluded.tolerance;
  return qid;
exception
  when invalid_text_representation or numeric_value_out_of_range then
    raise exception 'question has a malformed value (ids are uuids, points and answers numbers)'
      using errcode = '22023', detail = 'invalid_question';
end;
$$;
comment on function public.save_question(uuid, jsonb) is
  'Creates or replaces a question of the course''s bank with its options and key; returns its id.';
revoke all on function public.save_question(uuid, jsonb) from public, anon;
grant execute on function public.save_question(uuid, jsonb) to authenticated;

-- The bank of a course the caller manages, keys included, for the question editor.
create function public.question_bank(course_id uuid)
returns table (
  id uuid,
  kind public.question_kind,
  prompt text,
  points numeric,
  feedback text,
  options jsonb,
  accepted_answers text[],
  numeric_answer numeric,
  tolerance numeric,
  updated_at timestamptz
)
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  perform private.require_signed_in('read the question bank');
  if not private.can_manage_course(question_bank.course_id) then
    raise exception 'only the course''s staff can read its question bank' using errcode = '42501',
      detail = 'not_course_staff';
  end if;
  return query
    select q.id, q.kind, q.prompt, q.points, q.feedback,
           coalesce((select jsonb_agg(jsonb_build_object('id', o.id, 'label', o.label, 'feedback', o.feedback,
                                                         'correct', o.id = any (k.correct_option_ids))
                                      order by o.position)
                     from public.question_options o where o.question_id = q.id), '[]'::jsonb),
           k.accepted_answers, k.numeric_answer, k.tolerance, q.updated_at
    from public.questions q left join private.question_keys k on k.question_id = q.id
    where q.course_id = question_bank.course_id
    order by q.created_at, q.id;
end;
$$;
comment on function public.question_bank(uuid) is 'The course''s question bank with its keys (staff only).';
revoke all on function public.question_bank(uuid) from public, anon;
grant execute on function public.question_bank(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Grants and policies: the course's staff read and delete; writes go through save_question()
-- ---------------------------------------------------------------------------------------------

grant select, delete on public.questions to authenticated;
grant select on public.question_options to authenticated;
grant select, insert, update, delete on public.questions, public.question_options to service_role;

create policy "the course's staff read its questions" on public.questions for select to authenticated
  using (course_id in (select private.managed_course_ids()));
create policy "the course's staff delete its questions" on public.questions for delete to authenticated
  using (course_id in (select private.managed_course_ids()));
create policy "the course's staff read its question options" on public.question_options for select to authenticated
  using (course_id in (select private.managed_course_ids()));
