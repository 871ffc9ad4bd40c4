-- Q&A ("doubts"): students ask about a course or one of its lessons, staff and (where the course
-- allows) other students answer, the asker or staff accept one answer, and everyone votes.
--
-- (`public.questions` is the quiz question bank: the Q&A's names all say "doubt".)
--
-- Who reads what (the policies, the same rule as private.doubt_visible() for SQL functions): a
-- course's staff and admins read all its questions and answers, hidden ones included
-- (private.managed_course_ids(), so staff removed from a course lose them at once); a student
-- with access reads its questions asked to the whole course (visibility 'course') and their own
-- (also those asked privately to staff, visibility 'staff'), never hidden ones but their own;
-- nobody else reads any. Answers follow their question, and hidden answers are gone for students
-- but their author.
--
-- Every write goes through an RPC (ask_doubt, edit_doubt, answer_doubt, edit_doubt_answer,
-- accept_doubt_answer, vote_doubt, moderate_doubt), each opening with the caller's id, where a
-- one-line rate limit goes; deletes (and withdrawing a vote) are plain deletes under policies.
-- - Asking: anyone with access to the course (a lesson must be open for them); title, body,
--   visibility. Attachments are files uploaded to the private `doubts` bucket (the doubt files
--   migration) in the caller's folder of the question, then attached by edit_doubt().
-- - Answering: the course's staff; the asker (a follow-up); other students where the course
--   allows it (courses.doubts_peer_answers, off by default). Not on a locked or hidden question.
-- - Accepting: the asker or staff pick one answer (or none).
-- - Votes: one per user and post, never on one's own post; withdrawn by deleting it.
-- - Moderation (staff and admins): hide and show questions and answers, lock and unlock
--   questions (no more answers, votes or edits), delete them; audited, with the content kept in
--   the audit log. Authors edit within private.doubt_edit_window() and delete their own posts (a
--   question that others answered stays: staff may remove it).
-- - Search: search_doubts(), full text within one course with "unanswered" and "mine" filters
--   and keyset pagination, like the catalog search.
-- Notices (a reply, an accepted answer, the staff's hourly digest of new questions): the doubt
-- notices migration.

-- A course setting: may students answer each other's questions (staff always may)?
alter table public.courses add column doubts_peer_answers boolean not null default false;
comment on column public.courses.doubts_peer_answers is
  'Q&A: whether students may answer each other''s questions (the course''s staff always may).';
grant insert (doubts_peer_answers), update (doubts_peer_answers) on public.courses to authenticated;

create type public.doubt_visibility as enum ('course', 'staff');
create type public.doubt_moderation as enum ('hide', 'show', 'lock', 'unlock');

create table public.doubts (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references public.courses (id) on delete cascade,
  lesson_id uuid references public.lessons (id) on delete set null,
  user_id uuid not null references auth.users (id) on delete cascade,
  author_name text not null default '',
  title text not null constraint doubts_title_length check (char_length(btrim(title)) between 3 and 200),
  body text not null constraint doubts_body_length check (char_length(btrim(body)) between 1 and 20000),
  -- [{path, name, size, mime_type}], as Storage recorded each upload when it was attached.
  files jsonb not null default '[]'::jsonb constraint doubts_files_array check (jsonb_typeof(files) = 'array'),
  visibility public.doubt_visibility not null default 'course',
  accepted_answer_id uuid,
  -- Visible (not hidden) answers, and votes: kept by triggers.
  answer_count integer not null default 0,
  vote_count integer not null default 0,
  locked_at timestamptz,
  locked_by uuid references auth.users (id) on delete set null,
  hidden_at timestamptz,
  hidden_by uuid references auth.users (id) on delete set null,
  hidden_reason text constraint doubts_hidden_reason_length check (char_length(hidden_reason) <= 500),
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  last_activity_at timestamptz not null default now(),
  search_document tsvector generated always as (
    setweight(to_tsvector('simple'::regconfig, title), 'A') || setweight(to_tsvector('simple'::regconfig, body), 'B')
  ) stored
);
create index doubts_course_id_created_at_idx on public.doubts (course_id, created_at desc, id);
create index doubts_lesson_id_idx on public.doubts (lesson_id);
create index doubts_user_id_idx on public.doubts (user_id);
create index doubts_locked_by_idx on public.doubts (locked_by);
create index doubts_hidden_by_idx on public.doubts (hidden_by);
create index doubts_accepted_answer_id_idx on public.doubts (accepted_answer_id);
create index doubts_search_document_idx on public.doubts using gin (search_document);
alter table public.doubts enable row level security;

create table public.doubt_answers (
  id uuid primary key default gen_random_uuid(),
  doubt_id uuid not null references public.doubts (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  author_name text not null default '',
  -- Whether the author was on the course's staff (or an admin) when they answered.
  by_staff boolean not null default false,
  body text not null constraint doubt_answers_body_length check (char_length(btrim(body)) between 1 and 20000),
  files jsonb not null default '[]'::jsonb constraint doubt_answers_files_array check (jsonb_typeof(files) = 'array'),
  vote_count integer not null default 0,
  hidden_at timestamptz,
  hidden_by uuid references auth.users (id) on delete set null,
  hidden_reason text constraint doubt_answers_hidden_reason_length check (char_length(hidden_reason) <= 500),
  created_at timestamptz not null default now(),
  edited_at timestamptz
);
create index doubt_answers_doubt_id_created_at_idx on public.doubt_answers (doubt_id, created_at, id);
create index doubt_answers_course_id_idx on public.doubt_answers (course_id);
create index doubt_answers_user_id_idx on public.doubt_answers (user_id);
create index doubt_answers_hidden_by_idx on public.doubt_answers (hidden_by);
alter table public.doubt_answers enable row level security;

alter table public.doubts add constraint doubts_accepted_answer_id_fkey
  foreign key (accepted_answer_id) references public.doubt_answers (id) on delete set null;

create table public.doubt_votes (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references public.courses (id) on delete cascade,
  doubt_id uuid references public.doubts (id) on delete cascade,
  answer_id uuid references public.doubt_answers (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  constraint doubt_votes_one_target check (num_nonnulls(doubt_id, answer_id) = 1),
  constraint doubt_votes_doubt_key unique (user_id, doubt_id),
  constraint doubt_votes_answer_key unique (user_id, answer_id)
);
create index doubt_votes_course_id_idx on public.doubt_votes (course_id);
create index doubt_votes_doubt_id_idx on public.doubt_votes (doubt_id);
create index doubt_votes_answer_id_idx on public.doubt_votes (answer_id);
alter table public.doubt_votes enable row level security;

grant select, delete on public.doubts, public.doubt_answers, public.doubt_votes to authenticated;
grant select, insert, update, delete on public.doubts, public.doubt_answers, public.doubt_votes to service_role;

create policy "staff read their courses' questions; students with access the course's and their own, not hidden ones"
  on public.doubts for select to authenticated
  using (course_id in (select private.managed_course_ids())
         or (course_id in (select private.entitled_course_ids())
             and (user_id = (select auth.uid()) or (visibility = 'course' and hidden_at is null))));
create policy "authors delete their questions; staff their courses'" on public.doubts for delete to authenticated
  using (user_id = (select auth.uid()) or course_id in (select private.managed_course_ids()));

create policy "readers of a question read its answers; hidden ones staff and their author"
  on public.doubt_answers for select to authenticated
  using (course_id in (select private.managed_course_ids())
         or (doubt_id in (select d.id from public.doubts d)
             and (hidden_at is null or user_id = (select auth.uid()))));
create policy "authors delete their answers; staff their courses'" on public.doubt_answers for delete to authenticated
  using (user_id = (select auth.uid()) or course_id in (select private.managed_course_ids()));

create policy "users read their votes" on public.doubt_votes for select to authenticated
  using (user_id = (select auth.uid()));
create policy "users withdraw their votes" on public.doubt_votes for delete to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------
-- Rules shared by the RPCs
-- ---------------------------------------------------------------------------------------------

-- How long after posting its author may edit a question or an answer.
create function private.doubt_edit_window() returns interval
language sql immutable
set search_path = ''
as $$ select interval '30 minutes' $$;
revoke all on function private.doubt_edit_window() from public;

-- Whether the caller may read question `d` (the doubts read policy, for SQL functions).
create function private.doubt_visible(d public.doubts) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return private.can_manage_course(d.course_id)
      or (d.course_id in (select private.entitled_course_ids())
          and (d.user_id = (select auth.uid()) or (d.visibility = 'course' and d.hidden_at is null)));
end;
$$;
revoke all on function private.doubt_visible(public.doubts) from public;

-- Why the caller may not post in question `d` (answer it, or attach files to it), as a machine
-- code, or null when they may: 'doubt_not_found' (they may not read it), 'doubt_hidden',
-- 'doubt_locked', 'staff_answers_only' (another student's question where the course keeps
-- answers to its staff). answer_doubt() and the doubts bucket's upload policy both ask it.
create function private.doubt_post_refusal(d public.doubts) returns text
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  staff boolean := private.can_manage_course(d.course_id);
begin
  if auth.uid() is null or not private.doubt_visible(d) then
    return 'doubt_not_found';
  end if;
  if d.locked_at is not null then
    return 'doubt_locked';
  end if;
  if d.hidden_at is not null and not staff then
    return 'doubt_hidden';
  end if;
  if not staff and d.user_id <> auth.uid()
     and not (select c.doubts_peer_answers from public.courses c where c.id = d.course_id) then
    return 'staff_answers_only';
  end if;
  return null;
end;
$$;
revoke all on function private.doubt_post_refusal(public.doubts) from public;

-- The question `doubt_id` as the caller may see it (locked for update), or PT404.
create function private.require_doubt(doubt_id uuid) returns public.doubts
language plpgsql
security definer
set search_path = ''
as $$
declare
  d public.doubts;
begin
  select * into d from public.doubts x where x.id = require_doubt.doubt_id for update;
  if not found or not private.doubt_visible(d) then
    raise exception 'question not found' using errcode = 'PT404', detail = 'doubt_not_found';
  end if;
  return d;
end;
$$;
revoke all on function private.require_doubt(uuid) from public;

-- Raises the refusal of private.doubt_post_refusal(d), if any.
create function private.require_may_post(d public.doubts) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  case private.doubt_post_refusal(d)
    when 'doubt_not_found' then
      raise exception 'question not found' using errcode = 'PT404', detail = 'doubt_not_found';
    when 'doubt_locked' then
      raise exception 'this question is locked' using errcode = 'P0001', detail = 'doubt_locked';
    when 'doubt_hidden' then
      raise exception 'this question was hidden by the course''s staff' using errcode = 'P0001',
        detail = 'doubt_hidden';
    when 'staff_answers_only' then
      raise exception 'only the course''s staff answer questions in this course' using errcode = '42501',
        detail = 'staff_answers_only';
    else
      null;
  end case;
end;
$$;
revoke all on function private.require_may_post(public.doubts) from public;

-- The files `paths` (each once, in order) as a files column: objects the caller uploaded to their
-- own folder of question `d` in the doubts bucket, <course id>/<doubt id>/<user id>/<file>.
create function private.doubt_files(d public.doubts, paths text[]) returns jsonb
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  folder text := d.course_id || '/' || d.id || '/' || auth.uid() || '/';
  unique_paths text[] := private.unique_paths(doubt_files.paths);
  f text;
begin
  if cardinality(unique_paths) > 5 then
    raise exception 'a post takes at most 5 files' using errcode = '22023', detail = 'too_many_files';
  end if;
  foreach f in array unique_paths loop
    if not private.path_in_folder(f, folder) then
      raise exception 'a file is not in your folder for this question' using errcode = '22023',
        detail = 'file_not_in_folder', hint = 'Upload files to doubts/<course id>/<question id>/<your user id>/.';
    end if;
    if not exists (select 1 from storage.objects o where o.bucket_id = 'doubts' and o.name = f) then
      raise exception 'a file was not found: upload it first' using errcode = '22023', detail = 'file_not_found';
    end if;
  end loop;
  return private.attached_files('doubts', unique_paths);
end;
$$;
revoke all on function private.doubt_files(public.doubts, text[]) from public;

create function private.check_doubt_text(title text, body text) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if title is not null and char_length(btrim(title)) not between 3 and 200 then
    raise exception 'a title takes 3 to 200 characters' using errcode = '22023', detail = 'invalid_title';
  end if;
  if body is not null and char_length(btrim(body)) not between 1 and 20000 then
    raise exception 'a post takes 1 to 20000 characters' using errcode = '22023', detail = 'invalid_body';
  end if;
end;
$$;
revoke all on function private.check_doubt_text(text, text) from public;

create function private.doubt_author_name(user_id uuid) returns text
language sql stable
security definer
set search_path = ''
as $$ select coalesce((select p.display_name from public.profiles p where p.id = doubt_author_name.user_id), '') $$;
revoke all on function private.doubt_author_name(uuid) from public;

-- Visible answers and votes, kept on their posts.
create function private.doubt_answers_count() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.doubts d
  set answer_count = (select count(*) from public.doubt_answers a where a.doubt_id = d.id and a.hidden_at is null)
  where d.id = coalesce(new.doubt_id, old.doubt_id);
  return null;
end;
$$;
revoke all on function private.doubt_answers_count() from public;
create trigger doubt_answers_count after insert or delete or update of hidden_at on public.doubt_answers
  for each row execute function private.doubt_answers_count();

create function private.doubt_votes_count() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  delta integer := case when tg_op = 'INSERT' then 1 else -1 end;
  v public.doubt_votes := coalesce(new, old);
begin
  update public.doubts set vote_count = vote_count + delta where id = v.doubt_id;
  update public.doubt_answers set vote_count = vote_count + delta where id = v.answer_id;
  return null;
end;
$$;
revoke all on function private.doubt_votes_count() from public;
create trigger doubt_votes_count after insert or delete on public.doubt_votes
  for each row execute function private.doubt_votes_count();

-- Deletes: an author may not take away a question others answered (staff may); every delete is
-- audited with what was deleted.
create function private.doubts_before_delete() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.user_id = auth.uid() and not private.can_manage_course(old.course_id)
     and exists (select 1 from public.doubt_answers a where a.doubt_id = old.id and a.user_id <> old.user_id) then
    raise exception 'others answered this question: ask the course''s staff to remove it' using errcode = 'P0001',
      detail = 'doubt_has_answers';
  end if;
  return old;
end;
$$;
revoke all on function private.doubts_before_delete() from public;
create trigger doubts_before_delete before delete on public.doubts
  for each row execute function private.doubts_before_delete();

create function private.doubt_posts_audit_delete() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if auth.uid() is not null then
    perform private.audit(tg_argv[0] || '.deleted', tg_argv[0], old.id::text,
      jsonb_build_object('course_id', old.course_id, 'author_id', old.user_id, 'body', old.body,
                         'by_author', old.user_id = auth.uid())
      || case when tg_argv[0] = 'doubt' then jsonb_build_object('title', to_jsonb(old) ->> 'title')
              else jsonb_build_object('doubt_id', to_jsonb(old) ->> 'doubt_id') end);
  end if;
  return null;
end;
$$;
revoke all on function private.doubt_posts_audit_delete() from public;
create trigger doubts_audit_delete after delete on public.doubts
  for each row execute function private.doubt_posts_audit_delete('doubt');
create trigger doubt_answers_audit_delete after delete on public.doubt_answers
  for each row execute function private.doubt_posts_audit_delete('doubt_answer');

-- ---------------------------------------------------------------------------------------------
-- Asking and editing
-- ---------------------------------------------------------------------------------------------

-- Questions asked, per person (rate_limits, class 'doubt'): 10 at once, then 10 an hour.
insert into public.rate_limits (bucket_class, kind, capacity, refill_per_second, admins_exempt, description)
values ('doubt', 'bucket', 10, 10.0 / 3600, true, 'Questions asked (ask_doubt): 10 at once, then 10 an hour');

-- Anyone with access to the course: ask about the course, or about one of its lessons open to
-- them. Attach files afterwards with edit_doubt() (they go in the question's folder).
create function public.ask_doubt(course_id uuid, title text, body text, lesson_id uuid default null,
                                 visibility public.doubt_visibility default 'course')
returns public.doubts
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('ask a question');
  result public.doubts;
begin
  perform private.take_token('doubt', uid::text);
  if not exists (select 1 from public.courses c where c.id = ask_doubt.course_id and c.deleted_at is null) then
    raise exception 'course not found' using errcode = 'PT404', detail = 'course_not_found';
  end if;
  if not private.has_course_access(ask_doubt.course_id) then
    raise exception 'you do not have access to this course' using errcode = '42501', detail = 'no_access';
  end if;
  if ask_doubt.lesson_id is not null then
    if not exists (select 1 from public.lessons l where l.id = ask_doubt.lesson_id and l.course_id = ask_doubt.course_id) then
      raise exception 'that lesson is not part of this course' using errcode = '22023', detail = 'lesson_not_in_course';
    end if;
    if private.lesson_state(ask_doubt.lesson_id) <> 'open' then
      raise exception 'this lesson is not open yet' using errcode = 'P0001', detail = 'lesson_not_open';
    end if;
  end if;
  if ask_doubt.title is null or ask_doubt.body is null then
    raise exception 'a question needs a title and a body' using errcode = '22023', detail = 'missing_argument';
  end if;
  perform private.check_doubt_text(ask_doubt.title, ask_doubt.body);
  insert into public.doubts (course_id, lesson_id, user_id, author_name, title, body, visibility)
  values (ask_doubt.course_id, ask_doubt.lesson_id, uid, private.doubt_author_name(uid), btrim(ask_doubt.title),
          ask_doubt.body, coalesce(ask_doubt.visibility, 'course'))
  returning * into result;
  return result;
end;
$$;
comment on function public.ask_doubt(uuid, text, text, uuid, public.doubt_visibility) is
  'Ask a question about a course (or one of its lessons): to the course, or privately to its staff.';

-- Its author: change a question's title, body, visibility or files (null leaves one as it is)
-- within the edit window, unless it is locked or hidden. `files` replaces the attached files.
create function public.edit_doubt(doubt_id uuid, title text default null, body text default null,
                                  visibility public.doubt_visibility default null, files text[] default null)
returns public.doubts
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('edit a question');
  d public.doubts := private.require_doubt(edit_doubt.doubt_id);
  result public.doubts;
begin
  if d.user_id <> uid then
    raise exception 'only its author edits a post' using errcode = '42501', detail = 'not_author';
  end if;
  if d.locked_at is not null then
    raise exception 'this question is locked' using errcode = 'P0001', detail = 'doubt_locked';
  end if;
  if d.hidden_at is not null then
    raise exception 'this question was hidden by the course''s staff' using errcode = 'P0001', detail = 'doubt_hidden';
  end if;
  if now() > d.created_at + private.doubt_edit_window() then
    raise exception 'the edit window has closed: posts can be edited for 30 minutes' using errcode = 'P0001',
      detail = 'edit_window_closed';
  end if;
  perform private.check_doubt_text(edit_doubt.title, edit_doubt.body);
  update public.doubts x
  set title = coalesce(btrim(edit_doubt.title), x.title),
      body = coalesce(edit_doubt.body, x.body),
      visibility = coalesce(edit_doubt.visibility, x.visibility),
      files = case when edit_doubt.files is null then x.files else private.doubt_files(d, edit_doubt.files) end,
      edited_at = now()
  where x.id = d.id
  returning * into result;
  return result;
end;
$$;
comment on function public.edit_doubt(uuid, text, text, public.doubt_visibility, text[]) is
  'Its author: edit a question (title, body, visibility, attached files) within the edit window.';

-- ---------------------------------------------------------------------------------------------
-- Answering, accepting, voting
-- ---------------------------------------------------------------------------------------------

-- Staff, the asker, and other students where the course allows it: answer a question (text, and
-- files uploaded beforehand to the caller's folder of the question).
create function public.answer_doubt(doubt_id uuid, body text, files text[] default null)
returns public.doubt_answers
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('answer a question');
  d public.doubts := private.require_doubt(answer_doubt.doubt_id);
  result public.doubt_answers;
begin
  perform private.require_may_post(d);
  if answer_doubt.body is null then
    raise exception 'an answer needs a body' using errcode = '22023', detail = 'missing_argument';
  end if;
  perform private.check_doubt_text(null, answer_doubt.body);
  insert into public.doubt_answers (doubt_id, course_id, user_id, author_name, by_staff, body, files)
  values (d.id, d.course_id, uid, private.doubt_author_name(uid), private.can_manage_course(d.course_id),
          answer_doubt.body, private.doubt_files(d, answer_doubt.files))
  returning * into result;
  update public.doubts set last_activity_at = now() where id = d.id;
  return result;
end;
$$;
comment on function public.answer_doubt(uuid, text, text[]) is
  'Answer a question (its course''s staff, its asker, other students where the course allows it).';

-- Its author: edit an answer within the edit window, unless it or its question was moderated.
create function public.edit_doubt_answer(answer_id uuid, body text default null, files text[] default null)
returns public.doubt_answers
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('edit an answer');
  a public.doubt_answers;
  d public.doubts;
  result public.doubt_answers;
begin
  select * into a from public.doubt_answers x where x.id = edit_doubt_answer.answer_id for update;
  if not found then
    raise exception 'answer not found' using errcode = 'PT404', detail = 'answer_not_found';
  end if;
  select * into d from public.doubts x where x.id = a.doubt_id;
  if not private.doubt_visible(d) or a.user_id <> uid then
    if private.doubt_visible(d) and (a.hidden_at is null or private.can_manage_course(d.course_id)) then
      raise exception 'only its author edits a post' using errcode = '42501', detail = 'not_author';
    end if;
    raise exception 'answer not found' using errcode = 'PT404', detail = 'answer_not_found';
  end if;
  if d.locked_at is not null then
    raise exception 'this question is locked' using errcode = 'P0001', detail = 'doubt_locked';
  end if;
  if a.hidden_at is not null or d.hidden_at is not null then
    raise exception 'this post was hidden by the course''s staff' using errcode = 'P0001', detail = 'doubt_hidden';
  end if;
  if now() > a.created_at + private.doubt_edit_window() then
    raise exception 'the edit window has closed: posts can be edited for 30 minutes' using errcode = 'P0001',
      detail = 'edit_window_closed';
  end if;
  perform private.check_doubt_text(null, edit_doubt_answer.body);
  update public.doubt_answers x
  set body = coalesce(edit_doubt_answer.body, x.body),
      files = case when edit_doubt_answer.files is null then x.files else private.doubt_files(d, edit_doubt_answer.files) end,
      edited_at = now()
  where x.id = a.id
  returning * into result;
  return result;
end;
$$;
comment on function public.edit_doubt_answer(uuid, text, text[]) is
  'Its author: edit an answer within the edit window.';

-- The asker or the course's staff: accept one answer of the question (null: none).
create function public.accept_doubt_answer(doubt_id uuid, answer_id uuid)
returns public.doubts
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('accept an answer');
  d public.doubts := private.require_doubt(accept_doubt_answer.doubt_id);
  staff boolean := private.can_manage_course(d.course_id);
  a public.doubt_answers;
  result public.doubts;
begin
  if d.user_id <> uid and not staff then
    raise exception 'only the asker or the course''s staff accept an answer' using errcode = '42501',
      detail = 'not_asker';
  end if;
  if not staff and d.locked_at is not null then
    raise exception 'this question is locked' using errcode = 'P0001', detail = 'doubt_locked';
  end if;
  if accept_doubt_answer.answer_id is not null then
    select * into a from public.doubt_answers x where x.id = accept_doubt_answer.answer_id and x.doubt_id = d.id;
    if not found or (a.hidden_at is not null and not staff and a.user_id <> uid) then
      raise exception 'answer not found' using errcode = 'PT404', detail = 'answer_not_found';
    end if;
    if a.hidden_at is not null then
      raise exception 'a hidden answer cannot be accepted' using errcode = 'P0001', detail = 'answer_hidden';
    end if;
  end if;
  update public.doubts x set accepted_answer_id = accept_doubt_answer.answer_id
  where x.id = d.id
  returning * into result;
  return result;
end;
$$;
comment on function public.accept_doubt_answer(uuid, uuid) is
  'The asker or the course''s staff: accept one answer of a question (null: none).';

-- Vote for a question or an answer (one of the two): once, never for one's own post. Returns its
-- vote count. Withdraw a vote by deleting it from doubt_votes.
create function public.vote_doubt(doubt_id uuid default null, answer_id uuid default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('vote');
  d public.doubts;
  a public.doubt_answers;
  author uuid;
  result integer;
begin
  if num_nonnulls(vote_doubt.doubt_id, vote_doubt.answer_id) <> 1 then
    raise exception 'vote for a question or for an answer' using errcode = '22023', detail = 'invalid_vote_target';
  end if;
  if vote_doubt.answer_id is not null then
    select * into a from public.doubt_answers x where x.id = vote_doubt.answer_id;
    if not found then
      raise exception 'answer not found' using errcode = 'PT404', detail = 'answer_not_found';
    end if;
    select * into d from public.doubts x where x.id = a.doubt_id;
    if not private.doubt_visible(d)
       or (a.hidden_at is not null and a.user_id <> uid and not private.can_manage_course(d.course_id)) then
      raise exception 'answer not found' using errcode = 'PT404', detail = 'answer_not_found';
    end if;
    author := a.user_id;
  else
    d := private.require_doubt(vote_doubt.doubt_id);
    author := d.user_id;
  end if;
  if author = uid then
    raise exception 'you cannot vote for your own post' using errcode = '42501', detail = 'own_post';
  end if;
  if d.locked_at is not null then
    raise exception 'this question is locked' using errcode = 'P0001', detail = 'doubt_locked';
  end if;
  insert into public.doubt_votes (course_id, doubt_id, answer_id, user_id)
  values (d.course_id, vote_doubt.doubt_id, vote_doubt.answer_id, uid)
  on conflict do nothing;
  if not found then
    raise exception 'you already voted for this' using errcode = 'PT409', detail = 'already_voted',
      hint = 'Delete your vote from doubt_votes to withdraw it.';
  end if;
  if vote_doubt.answer_id is not null then
    select x.vote_count into result from public.doubt_answers x where x.id = vote_doubt.answer_id;
  else
    select x.vote_count into result from public.doubts x where x.id = vote_doubt.doubt_id;
  end if;
  return result;
end;
$$;
comment on function public.vote_doubt(uuid, uuid) is
  'Vote for a question or an answer, once, never your own; returns its vote count.';

-- ---------------------------------------------------------------------------------------------
-- Moderation (the course's staff and admins; audited)
-- ---------------------------------------------------------------------------------------------

-- Hide or show a question or an answer (one of the two), lock or unlock a question. Hidden posts
-- are gone for students (but their author) and stay for staff; the audit log keeps the content.
create function public.moderate_doubt(action public.doubt_moderation, doubt_id uuid default null,
                                      answer_id uuid default null, reason text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('moderate questions');
  d public.doubts;
  a public.doubt_answers;
begin
  if moderate_doubt.action is null or num_nonnulls(moderate_doubt.doubt_id, moderate_doubt.answer_id) <> 1 then
    raise exception 'name an action and a question or an answer' using errcode = '22023', detail = 'missing_argument';
  end if;
  if char_length(moderate_doubt.reason) > 500 then
    raise exception 'a reason takes at most 500 characters' using errcode = '22023', detail = 'reason_too_long';
  end if;
  if moderate_doubt.answer_id is not null then
    select * into a from public.doubt_answers x where x.id = moderate_doubt.answer_id for update;
    select * into d from public.doubts x where x.id = a.doubt_id;
    if a.id is null or not private.doubt_visible(d) then
      raise exception 'answer not found' using errcode = 'PT404', detail = 'answer_not_found';
    end if;
  else
    select * into d from public.doubts x where x.id = moderate_doubt.doubt_id for update;
  end if;
  if d.id is null or not private.doubt_visible(d) then
    raise exception 'question not found' using errcode = 'PT404', detail = 'doubt_not_found';
  end if;
  if not private.can_manage_course(d.course_id) then
    raise exception 'only the course''s staff moderate its questions' using errcode = '42501',
      detail = 'not_course_staff';
  end if;
  if a.id is not null then
    if moderate_doubt.action not in ('hide', 'show') then
      raise exception 'answers are hidden or shown; lock their question' using errcode = '22023',
        detail = 'invalid_moderation';
    end if;
    update public.doubt_answers x
    set hidden_at = case when moderate_doubt.action = 'hide' then coalesce(x.hidden_at, now()) end,
        hidden_by = case when moderate_doubt.action = 'hide' then uid end,
        hidden_reason = case when moderate_doubt.action = 'hide' then moderate_doubt.reason end
    where x.id = a.id;
    perform private.audit('doubt_answer.' || case when moderate_doubt.action = 'hide' then 'hidden' else 'shown' end,
      'doubt_answer', a.id::text,
      jsonb_build_object('course_id', d.course_id, 'doubt_id', d.id, 'author_id', a.user_id, 'body', a.body,
                         'reason', moderate_doubt.reason));
    return;
  end if;
  if moderate_doubt.action in ('hide', 'show') then
    update public.doubts x
    set hidden_at = case when moderate_doubt.action = 'hide' then coalesce(x.hidden_at, now()) end,
        hidden_by = case when moderate_doubt.action = 'hide' then uid end,
        hidden_reason = case when moderate_doubt.action = 'hide' then moderate_doubt.reason end
    where x.id = d.id;
  else
    update public.doubts x
    set locked_at = case when moderate_doubt.action = 'lock' then coalesce(x.locked_at, now()) end,
        locked_by = case when moderate_doubt.action = 'lock' then uid end
    where x.id = d.id;
  end if;
  perform private.audit('doubt.' || case moderate_doubt.action when 'hide' then 'hidden' when 'show' then 'shown'
                                                              when 'lock' then 'locked' else 'unlocked' end,
    'doubt', d.id::text,
    jsonb_build_object('course_id', d.course_id, 'author_id', d.user_id, 'title', d.title, 'body', d.body,
                       'reason', moderate_doubt.reason));
end;
$$;
comment on function public.moderate_doubt(public.doubt_moderation, uuid, uuid, text) is
  'The course''s staff and admins: hide or show a question or an answer, lock or unlock a question (audited).';

-- ---------------------------------------------------------------------------------------------
-- Search
-- ---------------------------------------------------------------------------------------------

-- One question of a search. `cursor` is what to pass as `after` for the next page.
create type public.doubt_search_result as (
  id uuid, course_id uuid, lesson_id uuid, user_id uuid, author_name text, title text, excerpt text,
  visibility public.doubt_visibility, answer_count integer, vote_count integer, accepted_answer_id uuid,
  is_locked boolean, is_hidden boolean, created_at timestamptz, last_activity_at timestamptz, rank real, cursor text
);

-- The questions of a course the caller may read: full text (`q`, best match first; otherwise
-- newest first), on one lesson, unanswered (no visible answer yet), or the caller's own.
create function public.search_doubts(course_id uuid, q text default null, lesson_id uuid default null,
                                     unanswered boolean default false, mine boolean default false,
                                     after text default null, page_size integer default 20)
returns setof public.doubt_search_result
language plpgsql stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('read questions');
  staff boolean;
  tsq tsquery;
  after_key numeric;
  after_id uuid;
begin
  if char_length(search_doubts.q) > 200
     or cardinality(regexp_split_to_array(btrim(search_doubts.q), '\s+')) > 20 then
    raise exception 'the search is too long: use at most 200 characters and 20 words'
      using errcode = '22023', detail = 'query_too_long';
  end if;
  if search_doubts.page_size is null or search_doubts.page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100' using errcode = '22023', detail = 'invalid_page_size';
  end if;
  if search_doubts.after is not null then
    begin
      if char_length(search_doubts.after) > 80 then
        raise exception 'cursor too long' using errcode = '22023', detail = 'invalid_cursor';
      end if;
      after_key := split_part(search_doubts.after, '|', 1)::numeric;
      after_id := split_part(search_doubts.after, '|', 2)::uuid;
    exception when others then
      raise exception 'invalid cursor' using errcode = '22023',
        detail = 'invalid_cursor', hint = 'Pass the cursor of the last row you received.';
    end;
  end if;
  if not private.has_course_access(search_doubts.course_id) then
    raise exception 'you do not have access to this course' using errcode = '42501', detail = 'no_access';
  end if;
  staff := private.can_manage_course(search_doubts.course_id);
  if nullif(btrim(search_doubts.q), '') is not null then
    tsq := websearch_to_tsquery('simple', search_doubts.q);
  end if;

  return query
    select k.id, k.course_id, k.lesson_id, k.user_id, k.author_name, k.title, left(k.body, 280), k.visibility,
           k.answer_count, k.vote_count, k.accepted_answer_id, k.locked_at is not null, k.hidden_at is not null,
           k.created_at, k.last_activity_at, k.rank, k.sort_key::text || '|' || k.id::text
    from (
      select d.*, case when tsq is null then 0::real else ts_rank(d.search_document, tsq) end as rank,
             case when tsq is null then -extract(epoch from d.created_at)::numeric
                  else -(ts_rank(d.search_document, tsq)::numeric) end as sort_key
      from public.doubts d
      where d.course_id = search_doubts.course_id
        and (staff or d.user_id = uid or (d.visibility = 'course' and d.hidden_at is null))
        and (tsq is null or d.search_document @@ tsq)
        and (search_doubts.lesson_id is null or d.lesson_id = search_doubts.lesson_id)
        and (not coalesce(search_doubts.unanswered, false) or (d.answer_count = 0 and d.accepted_answer_id is null))
        and (not coalesce(search_doubts.mine, false) or d.user_id = uid)
    ) k
    where after_key is null or (k.sort_key, k.id) > (after_key, after_id)
    order by k.sort_key, k.id
    limit search_doubts.page_size;
end;
$$;
comment on function public.search_doubts(uuid, text, uuid, boolean, boolean, text, integer) is
  'Search a course''s questions (full text, unanswered, mine). Pass the last row''s cursor as `after` for the next page.';

revoke all on function public.ask_doubt(uuid, text, text, uuid, public.doubt_visibility) from public, anon;
revoke all on function public.edit_doubt(uuid, text, text, public.doubt_visibility, text[]) from public, anon;
revoke all on function public.answer_doubt(uuid, text, text[]) from public, anon;
revoke all on function public.edit_doubt_answer(uuid, text, text[]) from public, anon;
revoke all on function public.accept_doubt_answer(uuid, uuid) from public, anon;
revoke all on function public.vote_doubt(uuid, uuid) from public, anon;
revoke all on function public.moderate_doubt(public.doubt_moderation, uuid, uuid, text) from public, anon;
revoke all on function public.search_doubts(uuid, text, uuid, boolean, boolean, text, integer) from public, anon;
grant execute on function public.ask_doubt(uuid, text, text, uuid, public.doubt_visibility) to authenticated;
grant execute on function public.edit_doubt(uuid, text, text, public.doubt_visibility, text[]) to authenticated;
grant execute on function public.answer_doubt(uuid, text, text[]) to authenticated;
grant execute on function public.edit_doubt_answer(uuid, text, text[]) to authenticated;
grant execute on function public.accept_doubt_answer(uuid, uuid) to authenticated;
grant execute on function public.vote_doubt(uuid, uuid) to authenticated;
grant execute on function public.moderate_doubt(public.doubt_moderation, uuid, uuid, text) to authenticated;
grant execute on function public.search_doubts(uuid, text, uuid, boolean, boolean, text, integer) to authenticated;
