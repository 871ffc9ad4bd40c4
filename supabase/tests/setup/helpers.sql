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

-- Act as a signed-in user (by id or email), exactly as PostgREST runs a request: role + claims.
create or replace function tests.authenticate_as(user_id uuid) returns void
language plpgsql set search_path = '' as $$
declare
  claims jsonb := tests.claims_for(authenticate_as.user_id);
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims', claims::text, true);
end $$;

create or replace function tests.authenticate_as(email text) returns void
language sql set search_path = '' as $$
  select tests.authenticate_as(tests.user_id(authenticate_as.email))
$$;

create or replace function tests.authenticate_as_anon() returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', '{"role":"anon","iss":"supabase-demo"}', true);
end $$;

create or replace function tests.authenticate_as_service_role() returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', '{"role":"service_role","iss":"supabase-demo"}', true);
end $$;

-- Act with exactly these claims (a stale token, or one without a sub), as PostgREST would.
create or replace function tests.authenticate_with_claims(claims jsonb) returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims', authenticate_with_claims.claims::text, true);
end $$;

-- Back to the test runner's own role, with no claims.
create or replace function tests.clear_authentication() returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', '', true);
end $$;

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
