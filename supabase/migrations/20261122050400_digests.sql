-- The weekly digest, and one-click unsubscribe.
--
-- Every Monday pg_cron enqueues one email per person with something to report about the week that
-- just ended (Monday 00:00 UTC to Monday 00:00 UTC):
-- - as a student (courses they hold access to now): their progress (lessons completed that week,
--   per course), new lessons in their courses, and the live sessions of their courses in the coming
--   week;
-- - as an instructor (courses they teach): new enrolments, revenue from their offers net of
--   refunds (orders paid that week, less what was refunded of them, per currency), and new reviews.
-- The digest is built in SQL, for everyone at once (private.digest_sections: one row per person,
-- audience and section, only when the section has something to say), and a person with no
-- section gets no email. It is category 'digest' (email_preferences.digest, on by default), so
-- private.enqueue_email skips those who turned it off, and its dedupe key names the person and
-- the ISO week: running the job twice sends one digest.
--
-- Every non-essential email (the digest, reminders, updates, marketing) carries a one-click
-- unsubscribe link and the List-Unsubscribe headers (RFC 8058): send-emails signs a token naming
-- the recipient and the email's category, and the unsubscribe function verifies it and calls
-- public.unsubscribe_email() (service role only), which turns that category off and drops what is
-- still waiting in the outbox for it.

-- ---------------------------------------------------------------------------------------------
-- The digest's sections
-- ---------------------------------------------------------------------------------------------

-- One row per recipient, audience ('student' or 'teaching') and section with something to report
-- for [period_start, period_end): `items` is a JSON array, never empty. A new section is one more
-- CTE and one more `union all` below, and one more case in send-emails' weekly_digest template.
create function private.digest_sections(period_start timestamptz, period_end timestamptz)
returns table (user_id uuid, audience text, section text, items jsonb)
language sql
stable
security definer
set search_path = ''
as $$
  with
  -- Courses a student holds access to at the end of the period, published and not deleted.
  student_courses as (
    select distinct e.user_id, c.id as course_id, c.title as course_title
    from public.entitlements e
    join public.courses c on c.id = e.course_id and c.status = 'published' and c.deleted_at is null
    where e.revoked_at is null and e.starts_at < digest_sections.period_end
      and (e.ends_at is null or e.ends_at > digest_sections.period_end)
  ),
  -- Courses an instructor teaches (owner or co-instructor).
  teaching_courses as (
    select ci.user_id, c.id as course_id, c.title as course_title
    from public.course_instructors ci
    join public.courses c on c.id = ci.course_id and c.deleted_at is null
  ),
  progress as (
    select sc.user_id, 'student' as audience, 'progress' as section,
           jsonb_agg(jsonb_build_object('course_id', sc.course_id, 'course_title', sc.course_title,
                                        'lessons_completed', done.n, 'percent', coalesce(cp.percent, 0))
                     order by sc.course_title) as items
    from student_courses sc
    join lateral (
      select count(*)::integer as n from public.lesson_progress lp
      where lp.user_id = sc.user_id and lp.course_id = sc.course_id
        and lp.completed_at >= digest_sections.period_start and lp.completed_at < digest_sections.period_end
    ) done on done.n > 0
    left join public.course_progress cp on cp.user_id = sc.user_id and cp.course_id = sc.course_id
    group by sc.user_id
  ),
  new_lessons as (
    select sc.user_id, 'student' as audience, 'new_lessons' as section,
           jsonb_agg(jsonb_build_object('course_id', sc.course_id, 'course_title', sc.course_title,
                                        'lesson_id', l.id, 'title', l.title)
                     order by sc.course_title, l.created_at, l.id) as items
    from student_courses sc
    join public.lessons l on l.course_id = sc.course_id
    where l.created_at >= digest_sections.period_start and l.created_at < digest_sections.period_end
    group by sc.user_id
  ),
  live_sessions as (
    select sc.user_id, 'student' as audience, 'live_sessions' as section,
           jsonb_agg(jsonb_build_object('course_title', sc.course_title, 'session_id', s.id, 'title', s.title,
                                        'starts_at', s.starts_at, 'timezone', s.timezone)
                     order by s.starts_at, s.id) as items
    from student_courses sc
    join public.live_sessions s on s.course_id = sc.course_id
    where s.status = 'scheduled' and s.is_published
      and s.starts_at >= digest_sections.period_end and s.starts_at < digest_sections.period_end + interval '7 days'
    group by sc.user_id
  ),
  -- Answers others posted in the period to the recipient's questions (visible ones).
  answers as (
    select d.user_id, 'student' as audience, 'answers' as section,
           jsonb_agg(jsonb_build_object('doubt_id', d.id, 'title', d.title, 'course_title', c.title, 'answers', n.n)
                     order by d.created_at, d.id) as items
    from public.doubts d
    join public.courses c on c.id = d.course_id and c.deleted_at is null
    join lateral (
      select count(*)::integer as n from public.doubt_answers a
      where a.doubt_id = d.id and a.hidden_at is null and a.user_id <> d.user_id
        and a.created_at >= digest_sections.period_start and a.created_at < digest_sections.period_end
    ) n on n.n > 0
    where d.hidden_at is null
    group by d.user_id
  ),
  enrolments as (
    select tc.user_id, 'teaching' as audience, 'enrolments' as section,
           jsonb_agg(jsonb_build_object('course_id', tc.course_id, 'course_title', tc.course_title, 'new_students', n.n)
                     order by tc.course_title) as items
    from teaching_courses tc
    join lateral (
      select count(distinct e.user_id)::integer as n from public.entitlements e
      where e.course_id = tc.course_id and e.revoked_at is null
        and e.created_at >= digest_sections.period_start and e.created_at < digest_sections.period_end
    ) n on n.n > 0
    group by tc.user_id
  ),
  revenue as (
    select r.owner_id as user_id, 'teaching' as audience, 'revenue' as section,
           jsonb_agg(jsonb_build_object('currency', r.currency, 'orders', r.orders, 'gross', r.gross,
                                        'refunded', r.refunded, 'net', r.gross - r.refunded)
                     order by r.currency) as items
    from (
      select o.owner_id, ord.currency, count(*)::integer as orders, sum(ord.total)::bigint as gross,
             sum(ord.amount_refunded)::bigint as refunded
      from public.orders ord
      join public.offers o on o.id = ord.offer_id
      where o.owner_id is not null and ord.paid_at >= digest_sections.period_start
        and ord.paid_at < digest_sections.period_end
      group by o.owner_id, ord.currency
    ) r
    group by r.owner_id
  ),
  reviews as (
    select tc.user_id, 'teaching' as audience, 'reviews' as section,
           jsonb_agg(jsonb_build_object('course_id', tc.course_id, 'course_title', tc.course_title,
                                        'reviews', rv.n, 'average_rating', rv.avg)
                     order by tc.course_title) as items
    from teaching_courses tc
    join lateral (
      select count(*)::integer as n, round(avg(r.rating), 1) as avg from public.reviews r
      where r.course_id = tc.course_id and r.hidden_at is null
        and r.created_at >= digest_sections.period_start and r.created_at < digest_sections.period_end
    ) rv on rv.n > 0
    group by tc.user_id
  ),
  -- Questions waiting in the courses the recipient teaches at the end of the period: visible, not
  -- locked, with no answer yet, asked by someone else.
  questions_waiting as (
    select tc.user_id, 'teaching' as audience, 'questions_waiting' as section,
           jsonb_agg(jsonb_build_object('course_id', tc.course_id, 'course_title', tc.course_title,
                                        'questions', w.n, 'oldest_at', w.oldest)
                     order by tc.course_title) as items
    from teaching_courses tc
    join lateral (
      select count(*)::integer as n, min(d.created_at) as oldest from public.doubts d
      where d.course_id = tc.course_id and d.hidden_at is null and d.locked_at is null and d.answer_count = 0
        and d.accepted_answer_id is null and d.user_id <> tc.user_id and d.created_at < digest_sections.period_end
    ) w on w.n > 0
    group by tc.user_id
  )
  select * from progress
  union all select * from new_lessons
  union all select * from live_sessions
  union all select * from answers
  union all select * from questions_waiting
  union all select * from enrolments
  union all select * from revenue
  union all select * from reviews
$$;
revoke all on function private.digest_sections(timestamptz, timestamptz) from public;

-- Each recipient's digest for the period: the email's payload, with the sections that have
-- something to say under `student` and `teaching`. Recipients without any section are absent.
create function private.weekly_digests(period_start timestamptz, period_end timestamptz)
returns table (user_id uuid, payload jsonb)
language sql
stable
security definer
set search_path = ''
as $$
  select s.user_id,
         jsonb_build_object(
           'period_start', weekly_digests.period_start,
           'period_end', weekly_digests.period_end,
           'display_name', coalesce(p.display_name, ''),
           'student', coalesce(jsonb_object_agg(s.section, s.items) filter (where s.audience = 'student'), '{}'::jsonb),
           'teaching', coalesce(jsonb_object_agg(s.section, s.items) filter (where s.audience = 'teaching'), '{}'::jsonb))
  from private.digest_sections(weekly_digests.period_start, weekly_digests.period_end) s
  left join public.profiles p on p.id = s.user_id
  group by s.user_id, p.display_name
$$;
revoke all on function private.weekly_digests(timestamptz, timestamptz) from public;

-- Enqueues the digests of the week that ends at `period_end` (default: the last Monday 00:00
-- UTC) and returns how many were enqueued: not those who turned the digest off, nor those already
-- enqueued for that week (dedupe key weekly_digest:<user>:<ISO week>).
create function private.enqueue_weekly_digests(period_end timestamptz default date_trunc('week', now(), 'UTC'))
returns integer
language sql
security definer
set search_path = ''
as $$
  select count(private.enqueue_email('weekly_digest', 'digest', d.user_id, d.payload,
                 'weekly_digest:' || d.user_id || ':'
                 || to_char(enqueue_weekly_digests.period_end - interval '7 days', 'IYYY-"W"IW')))::integer
  from private.weekly_digests(enqueue_weekly_digests.period_end - interval '7 days', enqueue_weekly_digests.period_end) d
$$;
revoke all on function private.enqueue_weekly_digests(timestamptz) from public;

-- pg_cron (created by the foundation migration) enqueues the digests every Monday at 08:00 UTC;
-- the send-emails job sends them.
select cron.schedule('weekly-digest', '0 8 * * 1', 'select private.enqueue_weekly_digests()');

-- ---------------------------------------------------------------------------------------------
-- One-click unsubscribe (the unsubscribe function, service role only)
-- ---------------------------------------------------------------------------------------------

-- Turns `category` off in the user's email preferences (creating them if needed) and drops the
-- emails of that category still pending for them. Returns false when the user no longer exists
-- (nothing to do). The caller has verified the signed token that names the user and category.
create function public.unsubscribe_email(user_id uuid, category text) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if unsubscribe_email.category is null
     or unsubscribe_email.category not in ('reminders', 'updates', 'digest', 'marketing') then
    raise exception 'only reminders, updates, digest and marketing email can be unsubscribed from'
      using errcode = '22023', detail = 'invalid_email_category';
  end if;
  insert into public.email_preferences as p (user_id, reminders, updates, digest, marketing)
  select u.id, unsubscribe_email.category <> 'reminders', unsubscribe_email.category <> 'updates',
         unsubscribe_email.category <> 'digest', false
  from auth.users u where u.id = unsubscribe_email.user_id
  on conflict on constraint email_preferences_pkey do update
  set reminders = p.reminders and unsubscribe_email.category <> 'reminders',
      updates = p.updates and unsubscribe_email.category <> 'updates',
      digest = p.digest and unsubscribe_email.category <> 'digest',
      marketing = p.marketing and unsubscribe_email.category <> 'marketing',
      updated_at = now();
  if not found then
    return false;
  end if;
  update private.email_outbox o
  set status = 'dead', last_error = 'not sent: the recipient unsubscribed', locked_until = null
  where o.to_user_id = unsubscribe_email.user_id and o.category = unsubscribe_email.category
    and o.status = 'pending';
  return true;
end;
$$;
revoke all on function public.unsubscribe_email(uuid, text) from public, anon, authenticated;
grant execute on function public.unsubscribe_email(uuid, text) to service_role;
