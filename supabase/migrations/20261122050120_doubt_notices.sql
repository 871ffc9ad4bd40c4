-- Doubt notices: who hears of what happens in the Q&A (the doubts migration).
--
-- - A reply: the asker gets an in-app notification ('doubt_answered') and an email through the
--   outbox ('doubt_answered', category 'updates', so their opt-out holds), unless they wrote it.
-- - An accepted answer: its author gets an in-app notification ('doubt_answer_accepted'), unless
--   they accepted it themselves.
-- - A new question: the course's staff hear of it in a digest, not one email a question. Each new
--   question queues a row (private.doubt_digest_items); every hour pg_cron runs
--   private.send_doubt_digests(), which takes the queued rows (`for update skip locked`, so two
--   runs never take the same one) and sends each staff member of their courses (owner and
--   co-instructors, as they are at that moment) one email ('doubt_digest', category 'updates')
--   and one notification listing them, leaving out hidden questions and their own.

create function private.doubt_answer_notices() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  d public.doubts;
begin
  select * into d from public.doubts x where x.id = new.doubt_id;
  if d.user_id = new.user_id then
    return null;
  end if;
  perform private.notify(d.user_id, 'doubt_answered', 'New answer: ' || d.title, left(new.body, 200),
    '/questions/' || d.id,
    jsonb_build_object('doubt_id', d.id, 'answer_id', new.id, 'course_id', d.course_id, 'by_staff', new.by_staff));
  perform private.enqueue_email('doubt_answered', 'updates', d.user_id,
    jsonb_build_object('doubt_id', d.id, 'answer_id', new.id, 'title', d.title,
                       'course_title', (select c.title from public.courses c where c.id = d.course_id),
                       'answered_by', new.author_name, 'by_staff', new.by_staff, 'excerpt', left(new.body, 500)));
  return null;
end;
$$;
revoke all on function private.doubt_answer_notices() from public;
create trigger doubt_answers_notices after insert on public.doubt_answers
  for each row execute function private.doubt_answer_notices();

create function private.doubt_accepted_notice() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  a public.doubt_answers;
begin
  select * into a from public.doubt_answers x where x.id = new.accepted_answer_id;
  if a.user_id is distinct from auth.uid() then
    perform private.notify(a.user_id, 'doubt_answer_accepted', 'Your answer was accepted: ' || new.title, null,
      '/questions/' || new.id, jsonb_build_object('doubt_id', new.id, 'answer_id', a.id, 'course_id', new.course_id));
  end if;
  return null;
end;
$$;
revoke all on function private.doubt_accepted_notice() from public;
create trigger doubts_accepted_notice after update of accepted_answer_id on public.doubts
  for each row when (new.accepted_answer_id is not null and new.accepted_answer_id is distinct from old.accepted_answer_id)
  execute function private.doubt_accepted_notice();

-- ---------------------------------------------------------------------------------------------
-- The staff's digest of new questions
-- ---------------------------------------------------------------------------------------------

create table private.doubt_digest_items (
  doubt_id uuid primary key references public.doubts (id) on delete cascade,
  queued_at timestamptz not null default now()
);

create function private.queue_doubt_digest() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.doubt_digest_items (doubt_id) values (new.id) on conflict do nothing;
  return null;
end;
$$;
revoke all on function private.queue_doubt_digest() from public;
create trigger doubts_queue_digest after insert on public.doubts
  for each row execute function private.queue_doubt_digest();

-- Sends the queued questions to their courses' staff, one email and one notification each;
-- returns how many staff members got a digest.
create function private.send_doubt_digests() returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  taken uuid[];
  r record;
  n integer := 0;
begin
  with due as (
    select i.doubt_id from private.doubt_digest_items i for update skip locked
  ), gone as (
    delete from private.doubt_digest_items i using due where i.doubt_id = due.doubt_id returning i.doubt_id
  )
  select coalesce(array_agg(gone.doubt_id), '{}') into taken from gone;
  for r in
    select s.user_id as staff_id, count(*)::integer as total,
           array_agg(d.id order by d.created_at, d.id) as ids,
           jsonb_agg(jsonb_build_object('doubt_id', d.id, 'title', d.title, 'course_id', d.course_id,
                                        'course_title', c.title, 'lesson_id', d.lesson_id,
                                        'author_name', d.author_name, 'visibility', d.visibility)
                     order by d.created_at, d.id) as questions
    from public.doubts d
    join public.courses c on c.id = d.course_id and c.deleted_at is null
    join public.course_instructors s on s.course_id = d.course_id
    where d.id = any (taken) and d.hidden_at is null and s.user_id <> d.user_id
    group by s.user_id
  loop
    -- At most 20 listed; `count` says how many there were.
    perform private.enqueue_email('doubt_digest', 'updates', r.staff_id,
      jsonb_build_object('count', r.total,
                         'questions', (select jsonb_agg(q.value order by q.i) from jsonb_array_elements(r.questions)
                                       with ordinality as q (value, i) where q.i <= 20)));
    perform private.notify(r.staff_id, 'doubt_digest',
      case when r.total = 1 then '1 new question' else r.total || ' new questions' end,
      (select string_agg(q.value ->> 'title', '; ' order by q.i) from jsonb_array_elements(r.questions)
       with ordinality as q (value, i) where q.i <= 5),
      '/teaching/questions', jsonb_build_object('count', r.total, 'doubt_ids', to_jsonb(r.ids)));
    n := n + 1;
  end loop;
  return n;
end;
$$;
revoke all on function private.send_doubt_digests() from public;

select cron.schedule('doubt-digest', '0 * * * *', 'select private.send_doubt_digests()');
