-- Platform feedback: any signed-in user tells the operators what works and what doesn't (a
-- category, a rating of 1 to 5, their words and the page they were on). Admins triage it (new,
-- planned, done, declined) and may reply; the author reads their own feedback with its status and
-- the reply, and gets a notification when an admin replies. Nobody else reads it: not the course
-- staff, not other users.
--
-- Writes go through two RPCs only (no insert or update grant on the table): send_feedback() is the
-- one door for new feedback, so the per-user daily limit is one call at its top (the rate-limit
-- helper, added with the rate limits), and triage_feedback() is the admins' one door, which
-- stamps who triaged and when and audits it.

create table public.feedback (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  category text not null constraint feedback_category_valid
    check (category in ('bug', 'idea', 'content', 'billing', 'other')),
  rating smallint not null constraint feedback_rating_range check (rating between 1 and 5),
  body text not null constraint feedback_body_length check (char_length(body) between 1 and 5000),
  page text constraint feedback_page_length check (char_length(page) <= 2000),
  status text not null default 'new' constraint feedback_status_valid
    check (status in ('new', 'planned', 'done', 'declined')),
  reply text constraint feedback_reply_length check (char_length(reply) <= 5000),
  replied_at timestamptz,
  triaged_by uuid references auth.users (id) on delete set null,
  triaged_at timestamptz,
  created_at timestamptz not null default now()
);
comment on table public.feedback is
  'Platform feedback: authors read their own (with the admins'' status and reply); admins read all. Written through send_feedback() and triage_feedback().';
create index feedback_user_id_created_at_idx on public.feedback (user_id, created_at desc);
create index feedback_status_created_at_idx on public.feedback (status, created_at desc);
create index feedback_triaged_by_idx on public.feedback (triaged_by);
alter table public.feedback enable row level security;

grant select, delete on public.feedback to authenticated;
grant select, insert, update, delete on public.feedback to service_role;
create policy "authors read their feedback; admins all" on public.feedback for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
create policy "admins delete feedback" on public.feedback for delete to authenticated
  using ((select private.is_admin()));

-- Feedback per person (rate_limits, class 'feedback'): 5 at once, then 5 a day.
insert into public.rate_limits (bucket_class, kind, capacity, refill_per_second, admins_exempt, description)
values ('feedback', 'bucket', 5, 5.0 / 86400, true, 'Platform feedback sent (send_feedback): 5 at once, then 5 a day');

-- Sends feedback as the caller and returns it.
create function public.send_feedback(category text, rating integer, body text, page text default null)
returns public.feedback
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_signed_in('send feedback');
  clean_body text := btrim(coalesce(send_feedback.body, ''));
  clean_page text := nullif(btrim(coalesce(send_feedback.page, '')), '');
  result public.feedback;
begin
  -- Feedback per person and day (rate_limits, class 'feedback'), before anything is read or written.
  perform private.take_token('feedback', caller::text);
  if send_feedback.category is null
     or send_feedback.category not in ('bug', 'idea', 'content', 'billing', 'other') then
    raise exception 'category must be one of bug, idea, content, billing, other'
      using errcode = '22023', detail = 'invalid_feedback_category';
  end if;
  if send_feedback.rating is null or send_feedback.rating not between 1 and 5 then
    raise exception 'rating must be between 1 and 5' using errcode = '22023', detail = 'invalid_rating';
  end if;
  if clean_body = '' then
    raise exception 'write what you want to tell us' using errcode = '22023', detail = 'empty_feedback';
  end if;
  if char_length(clean_body) > 5000 then
    raise exception 'feedback is limited to 5000 characters' using errcode = '22023', detail = 'feedback_body_too_long';
  end if;
  if char_length(clean_page) > 2000 then
    raise exception 'the page address is limited to 2000 characters' using errcode = '22023', detail = 'page_too_long';
  end if;
  insert into public.feedback (user_id, category, rating, body, page)
  values (caller, send_feedback.category, send_feedback.rating, clean_body, clean_page)
  returning * into result;
  return result;
end;
$$;
revoke all on function public.send_feedback(text, integer, text, text) from public, anon;
grant execute on function public.send_feedback(text, integer, text, text) to authenticated;

-- Admins set a feedback's status and, optionally, a reply the author sees (null keeps the current
-- reply, '' removes it). A new or changed reply notifies the author in the app.
create function public.triage_feedback(feedback_id uuid, status text, reply text default null)
returns public.feedback
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_admin('triage feedback');
  clean_reply text := btrim(triage_feedback.reply);
  before public.feedback;
  result public.feedback;
begin
  if triage_feedback.status is null
     or triage_feedback.status not in ('new', 'planned', 'done', 'declined') then
    raise exception 'status must be one of new, planned, done, declined'
      using errcode = '22023', detail = 'invalid_feedback_status';
  end if;
  if char_length(clean_reply) > 5000 then
    raise exception 'a reply is limited to 5000 characters' using errcode = '22023', detail = 'reply_too_long';
  end if;
  select * into before from public.feedback f where f.id = triage_feedback.feedback_id for update;
  if not found then
    raise exception 'feedback not found' using errcode = 'PT404', detail = 'feedback_not_found';
  end if;
  update public.feedback f
  set status = triage_feedback.status,
      reply = case when clean_reply is null then f.reply else nullif(clean_reply, '') end,
      replied_at = case when clean_reply is null or clean_reply is not distinct from f.reply then f.replied_at
                        when clean_reply = '' then null else now() end,
      triaged_by = caller,
      triaged_at = now()
  where f.id = triage_feedback.feedback_id
  returning * into result;
  if result.reply is not null and result.reply is distinct from before.reply then
    perform private.notify(result.user_id, 'feedback_replied', 'We replied to your feedback', result.reply,
                           '/feedback/' || result.id, jsonb_build_object('feedback_id', result.id, 'status', result.status));
  end if;
  perform private.audit('feedback.triage', 'feedback', result.id::text,
                        jsonb_build_object('status', result.status, 'previous_status', before.status,
                                           'replied', result.reply is distinct from before.reply));
  return result;
end;
$$;
revoke all on function public.triage_feedback(uuid, text, text) from public, anon;
grant execute on function public.triage_feedback(uuid, text, text) to authenticated;
