-- pgTAP helpers for the whole project, installed by `npm test` into the test database before
-- pg_prove runs (never by a migration). Personas are real auth.users rows; their claims are
-- built the way Supabase Auth builds an access token, including our custom access token hook.
create extension if not exists pgtap with schema extensions;

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role, supabase_auth_admin;

-- A user (with its profile, via the sign-up trigger) holding `role`. Returns the user id. The
-- rows are what Supabase Auth writes for a confirmed email sign-up, so the user could sign in on
-- a real Auth server with the password Password123!: '' (never NULL) in every token and change
-- column GoTrue scans, a bcrypt hash, and an `email` identity.
create or replace function tests.create_user(
  email text,
  role public.app_role default 'student',
  metadata jsonb default '{}'::jsonb
) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  uid uuid := gen_random_uuid();
begin
  insert into auth.users (
    instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
    confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current,
    phone_change, phone_change_token, reauthentication_token,
    raw_app_meta_data, raw_user_meta_data, created_at, updated_at
  ) values (
    '00000000-0000-0000-0000-000000000000', uid, 'authenticated', 'authenticated', create_user.email,
    extensions.crypt('Password123!', extensions.gen_salt('bf')), now(),
    '', '', '', '', '', '', '', '',
    '{"provider":"email","providers":["email"]}', create_user.metadata, now(), now()
  );
  insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
  values (uid::text, uid, jsonb_build_object('sub', uid::text, 'email', create_user.email, 'email_verified', true,
                                             'phone_verified', false), 'email', now(), now(), now());
  if create_user.role <> 'student' then
    insert into public.user_roles (user_id, role) values (uid, create_user.role);
  end if;
  return uid;
end $$;

create or replace function tests.user_id(email text) returns uuid
language sql stable security definer set search_path = '' as $$
  select u.id from auth.users u where u.email = user_id.email
$$;

-- The claims of an access token for the user, after the custom access token hook: the SQL twin
-- of scripts/lib/access-token.ts (npm run token, the Deno tests), which builds the same claim set.
create or replace function tests.claims_for(user_id uuid) returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  u auth.users;
  now_s bigint := extract(epoch from now())::bigint;
begin
  select * into strict u from auth.users where id = claims_for.user_id;
  return private.custom_access_token_hook(jsonb_build_object(
    'user_id', u.id,
    'authentication_method', 'password',
    'claims', jsonb_build_object(
      'iss', 'http://127.0.0.1:54321/auth/v1', 'aud', 'authenticated', 'sub', u.id,
      'iat', now_s, 'exp', now_s + 3600, 'email', coalesce(u.email, ''), 'phone', coalesce(u.phone, ''),
      'role', 'authenticated', 'aal', 'aal1', 'session_id', gen_random_uuid(), 'is_anonymous', false,
      'app_metadata', coalesce(u.raw_app_meta_data, '{}'), 'user_metadata', coalesce(u.raw_user_meta_data, '{}'),
      'amr', jsonb_build_array(jsonb_build_object('method', 'password', 'timestamp', now_s))
    )
  )) -> 'claims';
end $$;

-- The one place a request's identity is set, as PostgREST sets it: the role and the JWT claims
-- (text; '' for none), both local to the test's transaction. The helpers below only choose them.
create or replace function tests.set_request(role text, claims text) returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', set_request.role, true);
  perform set_config('request.jwt.claims', set_request.claims, true);
end $$;

-- Act as a signed-in user (by id or email), exactly as PostgREST runs a request: role + claims.
create or replace function tests.authenticate_as(user_id uuid) returns void
language sql set search_path = '' as $$
  select tests.set_request('authenticated', tests.claims_for(authenticate_as.user_id)::text)
$$;

create or replace function tests.authenticate_as(email text) returns void
language sql set search_path = '' as $$
  select tests.authenticate_as(tests.user_id(authenticate_as.email))
$$;

create or replace function tests.authenticate_as_anon() returns void
language sql set search_path = '' as $$
  select tests.set_request('anon', '{"role":"anon","iss":"supabase-demo"}')
$$;

create or replace function tests.authenticate_as_service_role() returns void
language sql set search_path = '' as $$
  select tests.set_request('service_role', '{"role":"service_role","iss":"supabase-demo"}')
$$;

-- Act with exactly these claims (a stale token, or one without a sub), as PostgREST would.
create or replace function tests.authenticate_with_claims(claims jsonb) returns void
language sql set search_path = '' as $$
  select tests.set_request('authenticated', authenticate_with_claims.claims::text)
$$;

-- Back to the test runner's own role, with no claims.
create or replace function tests.clear_authentication() returns void
language sql set search_path = '' as $$
  select tests.set_request('none', '')
$$;

-- Only the claims of a persona's token (null: none, as for anon), keeping the current role: what
-- a policy helper in `private` sees when a test calls it directly as the runner.
create or replace function tests.set_claims_of(email text) returns void
language sql set search_path = '' as $$
  select set_config('request.jwt.claims',
                    case when set_claims_of.email is null then '' else tests.claims_for(tests.user_id(set_claims_of.email))::text end,
                    true)
$$;

-- The slugs of a set of course ids, sorted ('{}' for none), as the current role reads courses:
-- names a policy helper's answer.
create or replace function tests.course_slugs(ids uuid[]) returns text[]
language sql stable set search_path = '' as $$
  select coalesce(array_agg(c.slug::text order by c.slug), '{}') from public.courses c where c.id = any (course_slugs.ids)
$$;

-- The three runners below (affected_rows, returned, error_detail) share a shape on purpose: each
-- answers its own question about one statement run as the current role.

-- Runs a statement as the current role and returns how many rows it touched (RLS-filtered
-- updates and deletes touch zero rows rather than failing).
create or replace function tests.affected_rows(statement text) returns bigint
language plpgsql set search_path = '' as $$
declare
  n bigint;
begin
  execute statement;
  get diagnostics n = row_count;
  return n;
end $$;

-- Runs a write the way PostgREST runs supabase-js's .insert(...).select(), .update(...).select()
-- and .upsert(...).select(): the statement (with its RETURNING clause) inside a WITH, as the current
-- role, and the rows it returned as a JSON array. RETURNING makes Postgres check each new row
-- against the table's SELECT policies at that moment, before any AFTER trigger has run; a row the
-- caller can't read yet fails with 42501, as the API call would.
create or replace function tests.returned(statement text) returns jsonb
language plpgsql set search_path = '' as $$
declare
  result jsonb;
begin
  execute format('with pgrst_source as (%s) select coalesce(jsonb_agg(to_jsonb(pgrst_source)), ''[]'') from pgrst_source',
                 returned.statement)
    into result;
  return result;
end $$;

-- Runs a statement as the current role and returns the machine code its error carries in DETAIL
-- (what supabase-js shows as error.details), or null when it succeeds. throws_ok checks the
-- SQLSTATE and the message; this checks the code frontends branch on.
create or replace function tests.error_detail(statement text) returns text
language plpgsql set search_path = '' as $$
declare
  detail text;
begin
  execute statement;
  return null;
exception when others then
  get stacked diagnostics detail = pg_exception_detail;
  return detail;
end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role, supabase_auth_admin;

-- ---------------------------------------------------------------------------------------------
-- Personas fixture (profiles and roles), each signed up with the metadata a provider would send:
--   admin@test.local        admin        {"display_name":"Ada Admin"}
--   teach@test.local        instructor   {"full_name":"Tess Teacher","picture":"https://img.example/t.png"}
--   other-teach@test.local  instructor   {"user_name":"otto"}
--   s1@test.local           student      {"name":"Sam One","avatar_url":"javascript:alert(1)"}  (an unsafe avatar URL)
--   s2@test.local           student      no metadata
-- ---------------------------------------------------------------------------------------------
create or replace function tests.personas_fixture() returns void
language plpgsql security definer set search_path = '' as $$
begin
  perform tests.create_user('admin@test.local', 'admin', '{"display_name":"Ada Admin"}');
  perform tests.create_user('teach@test.local', 'instructor', '{"full_name":"Tess Teacher","picture":"https://img.example/t.png"}');
  perform tests.create_user('other-teach@test.local', 'instructor', '{"user_name":"otto"}');
  perform tests.create_user('s1@test.local', 'student', '{"name":"Sam One","avatar_url":"javascript:alert(1)"}');
  perform tests.create_user('s2@test.local');
end $$;

-- ---------------------------------------------------------------------------------------------
-- Catalog fixture: the personas of the access matrix and a few courses.
--   admin@t             admin
--   own@t               instructor, owns course-a (paid), course-draft
--   other@t             instructor, owns course-b (free)
--   none@t              student without access
--   ent@t               student entitled to course-a (a manual grant) since 30 days ago
--   drip@t              student entitled to course-a (a manual grant) since now (before the drip date)
-- course-a: s1 [l1 preview, l2], s2 [l3 drip 7 days, l4 available in 10 days]; materials on l1, l2.
-- ---------------------------------------------------------------------------------------------
create or replace function tests.course_id(slug text) returns uuid
language sql stable security definer set search_path = '' as $$
  select c.id from public.courses c where c.slug = course_id.slug
$$;

create or replace function tests.lesson_id(course_slug text, title text) returns uuid
language sql stable security definer set search_path = '' as $$
  select l.id from public.lessons l join public.courses c on c.id = l.course_id
  where c.slug = lesson_id.course_slug and l.title = lesson_id.title
$$;

create or replace function tests.offer_id(title text) returns uuid
language sql stable security definer set search_path = '' as $$
  select o.id from public.offers o where o.title = offer_id.title
$$;

-- The user's order of an offer (the one in `status`, when they have several).
create or replace function tests.order_id(user_email text, offer_title text, status public.order_status default null)
returns uuid
language sql stable security definer set search_path = '' as $$
  select ord.id from public.orders ord join public.offers o on o.id = ord.offer_id
  where ord.user_id = tests.user_id(order_id.user_email) and o.title = order_id.offer_title
    and (order_id.status is null or ord.status = order_id.status)
  order by ord.created_at desc limit 1
$$;

-- Stripe objects as Stripe sends them, for an order of ours (amount and currency from the order
-- unless given): a completed Checkout Session, and a Charge (refunded by `refunded`).
create or replace function tests.checkout_session(order_id uuid, payment_intent text, payment_status text default 'paid',
                                                  amount bigint default null, currency text default null)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object('id', 'cs_test_' || left(o.id::text, 8), 'object', 'checkout.session', 'mode', 'payment',
    'status', 'complete', 'payment_status', checkout_session.payment_status, 'payment_intent', checkout_session.payment_intent,
    'amount_total', coalesce(checkout_session.amount, o.total), 'currency', coalesce(checkout_session.currency, lower(o.currency)),
    'client_reference_id', o.id, 'metadata', jsonb_build_object('order_id', o.id, 'user_id', o.user_id, 'offer_id', o.offer_id))
  from public.orders o where o.id = checkout_session.order_id
$$;

create or replace function tests.charge(order_id uuid, payment_intent text, refunded bigint, with_metadata boolean default true)
returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object('id', 'ch_' || charge.payment_intent, 'object', 'charge', 'amount', o.total,
    'amount_refunded', charge.refunded, 'refunded', charge.refunded >= o.total, 'currency', lower(o.currency),
    'payment_intent', charge.payment_intent,
    'metadata', case when charge.with_metadata then jsonb_build_object('order_id', o.id, 'user_id', o.user_id) else '{}'::jsonb end)
  from public.orders o where o.id = charge.order_id
$$;

create or replace function tests.catalog_fixture() returns void
language plpgsql security definer set search_path = '' as $$
declare
  own uuid := tests.create_user('own@t', 'instructor', '{"display_name":"Olivia Owner"}');
  other uuid := tests.create_user('other@t', 'instructor', '{"display_name":"Oscar Other"}');
  a uuid; b uuid; d uuid; s1 uuid; s2 uuid; sb uuid; sd uuid; root_cat uuid; web_cat uuid;
begin
  perform tests.create_user('admin@t', 'admin');
  perform tests.create_user('none@t');
  perform tests.create_user('ent@t', 'student', '{"display_name":"Erin Entitled"}');
  perform tests.create_user('drip@t');

  insert into public.categories (slug, name) values ('t-tech', 'Tech') returning id into root_cat;
  insert into public.categories (slug, name, parent_id) values ('t-web', 'Web', root_cat) returning id into web_cat;

  insert into public.courses (slug, title, subtitle, description, level, language, category_id, owner_id,
                              list_price_amount, list_price_currency, tags)
  values ('course-a', 'Postgres for Web Developers', 'Row level security in practice', 'Learn policies.',
          'intermediate', 'en', web_cat, own, 4900, 'USD', '{postgres,security}')
  returning id into a;
  insert into public.sections (course_id, title, position) values (a, 'Basics', 0) returning id into s1;
  insert into public.sections (course_id, title, position) values (a, 'Advanced', 1) returning id into s2;
  insert into public.lessons (section_id, title, kind, position, duration_seconds, is_preview)
    values (s1, 'l1', 'video', 0, 300, true), (s1, 'l2', 'text', 1, 600, false);
  insert into public.lessons (section_id, title, kind, position, duration_seconds, drip_days)
    values (s2, 'l3', 'video', 0, 900, 7);
  insert into public.lessons (section_id, title, kind, position, duration_seconds, available_at)
    values (s2, 'l4', 'video', 1, 900, now() + interval '10 days');
  insert into public.lesson_contents (lesson_id, body, video_url)
    select l.id, 'body of ' || l.title, 'https://video.example/' || l.title from public.lessons l where l.course_id = a;
  insert into public.lesson_materials (lesson_id, title, storage_path)
    select l.id, 'slides ' || l.title, a || '/' || l.id || '/slides.pdf'
    from public.lessons l where l.course_id = a and l.title in ('l1', 'l2');
  update public.courses set status = 'published' where id = a;

  insert into public.courses (slug, title, level, language, category_id, owner_id, is_free)
  values ('course-b', 'Free Intro to CSS', 'beginner', 'en', web_cat, other, true) returning id into b;
  insert into public.sections (course_id, title, position) values (b, 'Only', 0) returning id into sb;
  insert into public.lessons (section_id, title, position) values (sb, 'b1', 0);
  insert into public.lesson_contents (lesson_id, body) select l.id, 'css body' from public.lessons l where l.course_id = b;
  update public.courses set status = 'published' where id = b;

  insert into public.courses (slug, title, owner_id) values ('course-draft', 'Unreleased Course', own) returning id into d;
  insert into public.sections (course_id, title, position) values (d, 'Draft section', 0) returning id into sd;
  insert into public.lessons (section_id, title, position, is_preview) values (sd, 'd1', 0, true);
  insert into public.lesson_contents (lesson_id, body) select l.id, 'secret draft' from public.lessons l where l.course_id = d;

  insert into public.entitlements (user_id, course_id, source, starts_at)
  values (tests.user_id('ent@t'), a, 'grant', now() - interval '30 days'),
         (tests.user_id('drip@t'), a, 'grant', now());
end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role, supabase_auth_admin;

-- ---------------------------------------------------------------------------------------------
-- Live session fixtures, on top of the catalog fixture. The sessions are created by their host
-- through RLS, as the app would; each fixture ends signed out (tests.clear_authentication) and
-- leaves temporary tables (and pg_temp functions) naming the sessions, for the test file to use.
-- ---------------------------------------------------------------------------------------------

-- own@t's four sessions: 'Free webinar' (in 2 days, 2 seats, Europe/Paris), 'Course live Q&A'
-- (course-a, in 3 days), 'Paid masterclass' (in 4 days, not free), all published, and
-- 'Draft session' (in 5 days, unpublished). Temp table sid (title, id) holds own@t's sessions
-- (a test adds its own); pg_temp.sid(title) is a session's id.
create or replace function tests.live_sessions_fixture() returns void
language plpgsql set search_path = '' as $$
begin
  perform tests.authenticate_as('own@t');
  insert into public.live_sessions (title, starts_at, capacity, is_published, timezone)
    values ('Free webinar', now() + interval '2 days', 2, true, 'Europe/Paris');
  insert into public.live_sessions (course_id, title, starts_at, is_published)
    values (tests.course_id('course-a'), 'Course live Q&A', now() + interval '3 days', true);
  insert into public.live_sessions (title, starts_at, is_published, is_free)
    values ('Paid masterclass', now() + interval '4 days', true, false);
  insert into public.live_sessions (title, starts_at) values ('Draft session', now() + interval '5 days');
  perform tests.clear_authentication();
  create temporary table sid as select title, id from public.live_sessions where created_by = tests.user_id('own@t');
  grant select on sid to anon, authenticated, service_role;
  create function pg_temp.sid(t text) returns uuid language sql as $f$ select id from sid where title = t $f$;
  grant execute on function pg_temp.sid(text) to anon, authenticated, service_role;
end $$;

-- own@t's published session of one of course-a's lessons, starting in `starts_in`.
create or replace function tests.own_lesson_session(lesson_title text, title text, starts_in interval) returns void
language plpgsql set search_path = '' as $$
begin
  perform tests.authenticate_as('own@t');
  insert into public.live_sessions (course_id, lesson_id, title, starts_at, is_published)
  values (tests.course_id('course-a'), tests.lesson_id('course-a', own_lesson_session.lesson_title), own_lesson_session.title,
          now() + own_lesson_session.starts_in, true);
  perform tests.clear_authentication();
end $$;

-- 'Zoom class': own@t's published session of course-a's lesson l1, in a day. Temp table z (id).
create or replace function tests.zoom_class_fixture() returns void
language plpgsql set search_path = '' as $$
begin
  perform tests.own_lesson_session('l1', 'Zoom class', interval '1 day');
  create temporary table z as select id from public.live_sessions where title = 'Zoom class';
  grant select on z to authenticated, service_role;
end $$;

-- 'Zoom soon': own@t's published session of course-a's lesson l2, in 10 minutes, whose Zoom
-- meeting 82000000001 the service has stored. Temp table sid (title, id) holds every session so
-- far (a test adds 'Zoom later'); pg_temp.soon() and pg_temp.later() are their ids.
create or replace function tests.zoom_soon_fixture() returns void
language plpgsql set search_path = '' as $$
begin
  perform tests.own_lesson_session('l2', 'Zoom soon', interval '10 minutes');
  create temporary table sid as select title, id from public.live_sessions;
  grant select on sid to authenticated, service_role;
  create function pg_temp.soon() returns uuid language sql as $f$ select id from sid where title = 'Zoom soon' $f$;
  create function pg_temp.later() returns uuid language sql as $f$ select id from sid where title = 'Zoom later' $f$;
  grant execute on function pg_temp.soon(), pg_temp.later() to authenticated, service_role;
  perform tests.authenticate_as_service_role();
  perform public.zoom_save_meeting((select l.id from public.live_sessions l where l.title = 'Zoom soon'), 82000000001,
                                   'https://zoom.us/j/82000000001?pwd=general');
  perform tests.clear_authentication();
end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role, supabase_auth_admin;

-- ---------------------------------------------------------------------------------------------
-- Homework fixture (after the catalog fixture):
--   course-a: lesson 'hw' (kind assignment, required, open to its students) in s1, its
--     assignment: 100 points, 60 pass, due in 7 days, late accepted until 14 days at 10% off; PDF,
--     PNG or text, up to 2 files of 1 MiB.
--   course-b: lesson 'bhw' (kind assignment) and its assignment (any file).
-- ---------------------------------------------------------------------------------------------
create or replace function tests.assignment_id(course_slug text, lesson_title text) returns uuid
language sql stable security definer set search_path = '' as $$
  select a.id from public.assignments a where a.lesson_id = tests.lesson_id(assignment_id.course_slug, assignment_id.lesson_title)
$$;

-- The path of a file in a user's folder of the submissions bucket for an assignment.
create or replace function tests.submission_path(email text, course_slug text, lesson_title text, file text) returns text
language sql stable security definer set search_path = '' as $$
  select tests.course_id(submission_path.course_slug) || '/' || tests.assignment_id(submission_path.course_slug, submission_path.lesson_title)
         || '/' || tests.user_id(submission_path.email) || '/' || submission_path.file
$$;

-- Uploads a file as the current role, as Storage records it (the row, not the bytes).
create or replace function tests.upload(bucket text, name text, mime_type text default 'application/pdf', size bigint default 1000)
returns void
language sql set search_path = '' as $$
  insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
  values (upload.bucket, upload.name, auth.uid(), auth.uid()::text,
          jsonb_build_object('mimetype', upload.mime_type, 'size', upload.size))
$$;

create or replace function tests.homework_fixture() returns void
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.lessons (section_id, title, kind, position, duration_seconds)
  select s.id, 'hw', 'assignment', 2, 0 from public.sections s where s.course_id = tests.course_id('course-a') and s.position = 0;
  insert into public.assignments (lesson_id, instructions, due_at, late_until, late_penalty_percent, max_points, pass_points,
                                  max_files, max_file_bytes, allowed_mime_types)
  values (tests.lesson_id('course-a', 'hw'), 'Write a policy and its test.', now() + interval '7 days',
          now() + interval '14 days', 10, 100, 60, 2, 1048576, '{application/pdf,image/png,text/plain}');
  insert into public.lessons (section_id, title, kind, position)
  select s.id, 'bhw', 'assignment', 1 from public.sections s where s.course_id = tests.course_id('course-b');
  insert into public.assignments (lesson_id, instructions) values (tests.lesson_id('course-b', 'bhw'), 'Style a page.');
end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role, supabase_auth_admin;

-- ---------------------------------------------------------------------------------------------
-- Quiz fixture (the catalog fixture, plus):
--   co@t                instructor, co-instructor of course-a (to be removed in tests)
--   course-a, section s1: lesson 'quiz1' (kind quiz) with a quiz: 2 attempts, 10 minutes, pass
--   60%, reveal after submit, best attempt counts; its six questions (10 points), one per kind:
--   'Q1 single' (1 pt: 'enable rls' correct, 'grant rls', 'create policy'),
--   'Q2 multiple' (2 pts: 'anon' and 'authenticated' correct, 'root'),
--   'Q3 true/false' (1 pt: 'True', 'False' correct), 'Q4 short' (1 pt: 'auth.uid()', 'auth.uid'),
--   'Q5 numeric' (1 pt: 3.14 ± 0.01), 'Q6 essay' (4 pts).
-- ---------------------------------------------------------------------------------------------
create or replace function tests.question_id(prompt text) returns uuid
language sql stable security definer set search_path = '' as $$
  select q.id from public.questions q where q.prompt = question_id.prompt
$$;

create or replace function tests.option_id(prompt text, label text) returns uuid
language sql stable security definer set search_path = '' as $$
  select o.id from public.question_options o join public.questions q on q.id = o.question_id
  where q.prompt = option_id.prompt and o.label = option_id.label
$$;

create or replace function tests.quiz_id(lesson_title text) returns uuid
language sql stable security definer set search_path = '' as $$
  select qz.id from public.quizzes qz join public.lessons l on l.id = qz.lesson_id where l.title = quiz_id.lesson_title
$$;

create or replace function tests.quiz_fixture() returns void
language plpgsql security definer set search_path = '' as $$
declare
  a uuid;
  own uuid;
  ql uuid;
  qz uuid;
  q record;
  qid uuid;
  pos integer := 0;
begin
  perform tests.catalog_fixture();
  a := tests.course_id('course-a');
  own := tests.user_id('own@t');
  perform tests.create_user('co@t', 'instructor', '{"display_name":"Cora Co"}');
  insert into public.course_instructors (course_id, user_id, role) values (a, tests.user_id('co@t'), 'co_instructor');
  insert into public.lessons (section_id, title, kind, position, duration_seconds)
  select s.id, 'quiz1', 'quiz', 2, 600 from public.sections s where s.course_id = a and s.position = 0
  returning id into ql;
  insert into public.quizzes (lesson_id, max_attempts, time_limit_seconds, pass_percent, reveal, grading)
  values (ql, 2, 600, 60, 'after_submit', 'best') returning id into qz;
  for q in select * from (values
      ('Q1 single', 'single_choice', 1, array['enable rls', 'grant rls', 'create policy'], array[true, false, false],
       null::text[], null::numeric, 0::numeric),
      ('Q2 multiple', 'multiple_choice', 2, array['anon', 'authenticated', 'root'], array[true, true, false], null, null, 0),
      ('Q3 true/false', 'true_false', 1, array['True', 'False'], array[false, true], null, null, 0),
      ('Q4 short', 'short_answer', 1, null, null, array['auth.uid()', 'auth.uid'], null, 0),
      ('Q5 numeric', 'numeric', 1, null, null, null, 3.14, 0.01),
      ('Q6 essay', 'essay', 4, null, null, null, null, 0)
    ) v (prompt, kind, points, labels, correct, accepted, num, tol)
  loop
    insert into public.questions (course_id, kind, prompt, points, feedback, created_by)
    values (a, q.kind::public.question_kind, q.prompt, q.points, 'about ' || q.prompt, own) returning id into qid;
    insert into public.question_options (question_id, course_id, position, label, feedback)
    select qid, a, i - 1, q.labels[i], 'because ' || q.labels[i] from generate_subscripts(q.labels, 1) i;
    insert into private.question_keys (question_id, correct_option_ids, accepted_answers, numeric_answer, tolerance)
    values (qid, coalesce((select array_agg(o.id order by o.position) from public.question_options o
                           where o.question_id = qid and q.correct[o.position + 1]), '{}'),
            coalesce(q.accepted, '{}'), q.num, q.tol);
    insert into public.quiz_questions (quiz_id, question_id, position) values (qz, qid, pos);
    pos := pos + 1;
  end loop;
end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role, supabase_auth_admin;

-- ---------------------------------------------------------------------------------------------
-- Chat fixtures, on top of the catalog fixture: co@t co-teaches course-a; own@t sells a monthly
-- instructor plan ('Olivia monthly', USD 19) and none@t has an order for it. tests.chat_subscribe()
-- applies a Stripe subscription event for that order as the webhook would (status 'active' opens
-- the direct channel; 'canceled' lapses it). tests.chat_channel_id() names channels.
-- ---------------------------------------------------------------------------------------------
create or replace function tests.chat_fixture() returns void
language plpgsql set search_path = '' as $$
declare
  plan uuid;
begin
  perform tests.catalog_fixture();
  perform tests.create_user('co@t', 'instructor', '{"display_name":"Cora Co"}');
  insert into public.course_instructors (course_id, user_id, role)
  values (tests.course_id('course-a'), tests.user_id('co@t'), 'co_instructor');
  insert into public.offers (kind, title, plan_interval, plan_scope, owner_id)
  values ('plan', 'Olivia monthly', 'month', 'instructor', tests.user_id('own@t')) returning id into plan;
  insert into public.offer_prices (offer_id, currency, amount) values (plan, 'USD', 1900);
  perform tests.authenticate_as('none@t');
  perform public.create_order(plan, 'USD');
  perform tests.clear_authentication();
end $$;

create or replace function tests.chat_subscribe(status text, at timestamptz default now()) returns text
language plpgsql security definer set search_path = '' as $$
declare
  plan uuid := (select o.id from public.offers o where o.title = 'Olivia monthly');
begin
  return public.stripe_apply_event('evt_chat_' || chat_subscribe.status || '_' || extract(epoch from chat_subscribe.at),
    case when chat_subscribe.status = 'canceled' then 'customer.subscription.deleted' else 'customer.subscription.updated' end,
    chat_subscribe.at, jsonb_build_object(
      'id', 'sub_chat', 'status', chat_subscribe.status,
      'current_period_end', extract(epoch from now() + interval '30 days')::bigint,
      'metadata', jsonb_build_object('user_id', tests.user_id('none@t'), 'offer_id', plan,
                                     'order_id', tests.order_id('none@t', 'Olivia monthly'))));
end $$;

-- Why the signed-in caller may not post in a channel now (private.chat_refusal, as the caller).
create or replace function tests.chat_refusal(channel_id uuid) returns text
language sql stable security definer set search_path = '' as $$
  select private.chat_refusal(chat_refusal.channel_id)
$$;

-- A course's channel (by course slug), or the direct channel of two users (by email).
create or replace function tests.chat_channel_id(course_slug text) returns uuid
language sql stable security definer set search_path = '' as $$
  select c.id from public.chat_channels c where c.kind = 'course' and c.course_id = tests.course_id(chat_channel_id.course_slug)
$$;
create or replace function tests.chat_channel_id(a text, b text) returns uuid
language sql stable security definer set search_path = '' as $$
  select c.id from public.chat_channels c
  where c.kind = 'direct' and c.user_a = least(tests.user_id(a), tests.user_id(b))
    and c.user_b = greatest(tests.user_id(a), tests.user_id(b))
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role, supabase_auth_admin;
