-- Reviews: students with access review a course once, with a rating of 1 to 5. The people who
-- work on a course (its owner, co-instructors and the hosts of its live sessions) may not review
-- it. Authors edit their own; admins hide abusive ones. The course's rating average and count (visible reviews only)
-- are kept on the course by a trigger, for the catalog.

create table public.reviews (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references public.courses (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  rating smallint not null constraint reviews_rating_range check (rating between 1 and 5),
  body text constraint reviews_body_length check (char_length(body) <= 5000),
  author_name text not null default '',
  hidden_at timestamptz,
  hidden_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint reviews_one_per_course_key unique (course_id, user_id)
);
create index reviews_user_id_idx on public.reviews (user_id);
create index reviews_hidden_by_idx on public.reviews (hidden_by);
alter table public.reviews enable row level security;

-- Courses the caller works on, in any state: teaches (owner or co-instructor) or hosts one of its
-- live sessions.
create function private.staffed_course_ids() returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select ci.course_id from public.course_instructors ci where ci.user_id = (select auth.uid())
  union
  select s.course_id from public.live_session_hosts h join public.live_sessions s on s.id = h.session_id
  where h.user_id = (select auth.uid()) and s.course_id is not null
$$;
revoke all on function private.staffed_course_ids() from public;
grant execute on function private.staffed_course_ids() to authenticated, service_role;

create function private.reviews_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    select coalesce(p.display_name, '') into new.author_name from public.profiles p where p.id = new.user_id;
    new.author_name := coalesce(new.author_name, '');
  else
    new.updated_at := now();
  end if;
  return new;
end;
$$;
revoke all on function private.reviews_before_write() from public;
create trigger reviews_before_write before insert or update on public.reviews
  for each row execute function private.reviews_before_write();

create function private.refresh_course_rating() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  cid uuid := coalesce(new.course_id, old.course_id);
begin
  update public.courses c
  set rating_avg = r.avg, rating_count = r.n
  from (select round(avg(rv.rating)::numeric, 2) as avg, count(*)::integer as n
        from public.reviews rv where rv.course_id = cid and rv.hidden_at is null) r
  where c.id = cid;
  return null;
end;
$$;
revoke all on function private.refresh_course_rating() from public;
create trigger reviews_refresh_course_rating after insert or update or delete on public.reviews
  for each row execute function private.refresh_course_rating();

grant select on public.reviews to anon, authenticated;
grant insert (course_id, rating, body), update (rating, body), delete on public.reviews to authenticated;
grant select, insert, update, delete on public.reviews to service_role;

create policy "anyone reads visible reviews of published courses" on public.reviews for select to anon
  using (hidden_at is null and course_id in (select c.id from public.courses c));
create policy "users read visible reviews and their own of courses they can see; admins all" on public.reviews
  for select to authenticated
  using ((course_id in (select c.id from public.courses c) and (hidden_at is null or user_id = (select auth.uid())))
         or (select private.is_admin()));
create policy "students with access review a course once; its staff never" on public.reviews for insert to authenticated
  with check (user_id = (select auth.uid()) and course_id in (select private.entitled_course_ids())
              and course_id not in (select private.staffed_course_ids()));
create policy "authors edit their review unless they work on the course" on public.reviews for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()) and course_id not in (select private.staffed_course_ids()));
create policy "authors delete their review" on public.reviews for delete to authenticated
  using (user_id = (select auth.uid()));

-- Admins: hide or show a review (audited).
create function public.set_review_hidden(review_id uuid, hidden boolean) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := private.require_admin('moderate reviews');
begin
  if set_review_hidden.hidden is null then
    raise exception 'hidden is required' using errcode = '22023', detail = 'missing_argument';
  end if;
  update public.reviews r
  set hidden_at = case when set_review_hidden.hidden then coalesce(r.hidden_at, now()) end,
      hidden_by = case when set_review_hidden.hidden then caller end
  where r.id = set_review_hidden.review_id;
  if not found then
    raise exception 'review not found' using errcode = 'PT404', detail = 'review_not_found';
  end if;
  perform private.audit(case when set_review_hidden.hidden then 'review.hidden' else 'review.shown' end,
    'review', set_review_hidden.review_id::text);
  return set_review_hidden.hidden;
end;
$$;
revoke all on function public.set_review_hidden(uuid, boolean) from public, anon;
grant execute on function public.set_review_hidden(uuid, boolean) to authenticated;
