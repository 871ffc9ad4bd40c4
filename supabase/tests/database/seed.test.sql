-- Cross-cutting (no migration of its own): supabase/seed.sql, which fills every domain.
-- The seeded users (and the test helpers' users) are rows a real Supabase Auth server can sign in:
-- GoTrue scans the token and change columns into plain strings (NULL makes every sign-in fail),
-- checks a bcrypt hash, and finds email users through their `email` identity.
-- The shop a newcomer clicks through (README, "The seed") is on sale under its documented ids.
begin;
select plan(39);

-- What is wrong with each given user, for a real Auth server: one row per problem.
create function pg_temp.sign_in_problems(ids uuid[]) returns setof text language sql as $$
  select u.email || ': ' || p.problem
  from auth.users u
  cross join lateral (values
    (case when u.confirmation_token is distinct from '' or u.recovery_token is distinct from ''
            or u.email_change_token_new is distinct from '' or u.email_change is distinct from ''
            or u.email_change_token_current is distinct from '' or u.phone_change is distinct from ''
            or u.phone_change_token is distinct from '' or u.reauthentication_token is distinct from ''
          then 'a token or change column is not the empty string' end),
    (case when u.instance_id is distinct from '00000000-0000-0000-0000-000000000000'
            or u.aud is distinct from 'authenticated' or u.role is distinct from 'authenticated'
          then 'instance_id, aud or role is not what Auth writes' end),
    (case when u.email_confirmed_at is null or u.deleted_at is not null or u.banned_until is not null
            or u.is_sso_user or u.is_anonymous
          then 'not a confirmed, active email user' end),
    (case when u.encrypted_password !~ '^\$2[aby]\$'
            or extensions.crypt('Password123!', u.encrypted_password) is distinct from u.encrypted_password
          then 'the password is not a bcrypt hash of Password123!' end),
    (case when u.raw_app_meta_data is distinct from '{"provider":"email","providers":["email"]}'::jsonb
          then 'app metadata does not name the email provider' end),
    (case when (select count(*) from auth.identities i where i.user_id = u.id) <> 1
            or not exists (
              select from auth.identities i
              where i.user_id = u.id and i.provider = 'email' and i.provider_id = u.id::text
                and i.identity_data = jsonb_build_object('sub', u.id::text, 'email', u.email,
                                                         'email_verified', true, 'phone_verified', false)
                and i.email = lower(u.email)
                and i.created_at is not null and i.updated_at is not null and i.last_sign_in_at is not null)
          then 'no single matching email identity' end)
  ) as p(problem)
  where u.id = any (ids) and p.problem is not null
$$;

select set_eq($$
  select u.email::text, coalesce(max(r.role::text), 'student')
  from auth.users u left join public.user_roles r on r.user_id = u.id
  where u.email like '%@example.com' group by u.email
$$, $$
  select * from (values ('admin@example.com', 'admin'), ('priya@example.com', 'instructor'),
    ('marco@example.com', 'instructor'), ('lena@example.com', 'instructor'), ('sam@example.com', 'student'),
    ('noor@example.com', 'student'), ('kenji@example.com', 'student')) v
  union all
  select 'student' || lpad(n::text, 2, '0') || '@example.com', 'student' from generate_series(4, 12) n
$$, 'the seed has the admin, three instructors and twelve students the README lists');

select is_empty($$ select pg_temp.sign_in_problems(array(select id from auth.users where email like '%@example.com')) $$,
  'every seeded user is a confirmed email user a real Auth server signs in with Password123!');

select is((select count(*) from auth.identities i join auth.users u on u.id = i.user_id
           where u.email like '%@example.com' and i.provider = 'email'), 16::bigint,
  'each of the 16 seeded users has its email identity');

select ok(exists (select from auth.users u where u.email = 'sam@example.com'
                  and u.encrypted_password = extensions.crypt('Password123!', u.encrypted_password))
  and not exists (select from auth.users u where u.email = 'sam@example.com'
                  and u.encrypted_password = extensions.crypt('password123!', u.encrypted_password)),
  'the seeded password is Password123!, and only that');

-- ---------------------------------------------------------------- the shop, under its fixed ids
-- What the README's seed table lists, as anyone browsing sees it.
select tests.authenticate_as_anon();
select set_eq($$ select id::text, kind::text, coalesce(plan_interval::text, '-') from public.offers where listed
                 and id in ('0f000000-0000-4000-8000-000000000101', '0f000000-0000-4000-8000-000000000201',
                            '0f000000-0000-4000-8000-000000000202', '0f000000-0000-4000-8000-000000000301',
                            '0f000000-0000-4000-8000-000000000302') $$,
  $$ values ('0f000000-0000-4000-8000-000000000101', 'bundle', '-'),
            ('0f000000-0000-4000-8000-000000000201', 'plan', 'month'),
            ('0f000000-0000-4000-8000-000000000202', 'plan', 'year'),
            ('0f000000-0000-4000-8000-000000000301', 'session', '-'),
            ('0f000000-0000-4000-8000-000000000302', 'session', '-') $$,
  'anon sees the bundle, a monthly instructor plan, a yearly platform plan and two paid sessions on sale');
select set_eq($$ select course_id from public.offer_courses where offer_id = '0f000000-0000-4000-8000-000000000101' $$,
  $$ values ('e0000000-0000-4000-8000-000000000001'::uuid), ('e0000000-0000-4000-8000-000000000003') $$,
  'the bundle holds Priya''s two paid courses');
select set_eq($$ select offer_id::text, currency, amount from public.offer_prices
                 where offer_id in ('0f000000-0000-4000-8000-000000000101', '0f000000-0000-4000-8000-000000000201',
                                    '0f000000-0000-4000-8000-000000000202', '0f000000-0000-4000-8000-000000000301') $$,
  $$ values ('0f000000-0000-4000-8000-000000000101', 'USD', 9900::bigint), ('0f000000-0000-4000-8000-000000000101', 'EUR', 8900),
            ('0f000000-0000-4000-8000-000000000201', 'USD', 1900), ('0f000000-0000-4000-8000-000000000201', 'EUR', 1700),
            ('0f000000-0000-4000-8000-000000000202', 'USD', 19900), ('0f000000-0000-4000-8000-000000000202', 'EUR', 17900),
            ('0f000000-0000-4000-8000-000000000301', 'USD', 2900), ('0f000000-0000-4000-8000-000000000301', 'EUR', 2700) $$,
  'with prices in USD and EUR');
select ok((select count(distinct p.currency) from public.offer_prices p join public.offers o on o.id = p.offer_id
           where o.kind = 'course' and o.id = '0f000000-0000-4000-8000-000000000001') = 2,
  'the USD courses are on sale in EUR too');
select set_eq($$ select id::text, is_free, capacity, course_id::text from public.live_sessions
                 where starts_at > now() + interval '1 day' and id::text like '5e000000-%' $$,
  $$ values ('5e000000-0000-4000-8000-000000000001', true, 100, null),
            ('5e000000-0000-4000-8000-000000000002', false, 2, null),
            ('5e000000-0000-4000-8000-000000000003', false, 25, null),
            ('5e000000-0000-4000-8000-000000000004', true, null, 'e0000000-0000-4000-8000-000000000010') $$,
  'anon lists the upcoming sessions: free, paid, the two-seat masterclass, and a course''s session');
select is((select registered_count from public.live_sessions where id = '5e000000-0000-4000-8000-000000000002'), 1,
  'the masterclass shows one of its two seats taken');
select is((select count(*) from public.live_session_hosts h where h.session_id::text like '5e000000-%'), 4::bigint,
  'each session shows its host');

-- A student shops: coupons quote a discount, a capped one is limited to the bundle.
select tests.authenticate_as('sam@example.com');
select results_eq($$ select subtotal, discount, total from public.quote_offer('0f000000-0000-4000-8000-000000000101', 'usd', 'welcome10') $$,
  $$ values (9900::bigint, 990::bigint, 8910::bigint) $$, 'WELCOME10 takes 10% off the bundle for a student');
select results_eq($$ select subtotal, discount, total from public.quote_offer('0f000000-0000-4000-8000-000000000101', 'EUR', 'EARLYBIRD') $$,
  $$ values (8900::bigint, 2225::bigint, 6675::bigint) $$, 'EARLYBIRD takes 25% off the bundle in EUR');
select throws_ok($$ select public.quote_offer('0f000000-0000-4000-8000-000000000001', 'USD', 'EARLYBIRD') $$,
  'P0001', 'this coupon does not apply to this offer', 'EARLYBIRD is for the bundle only');
select results_eq($$ select discount, total from public.quote_offer('0f000000-0000-4000-8000-000000000302', 'EUR', 'MARCO5') $$,
  $$ values (500::bigint, 1000::bigint) $$, 'MARCO5 takes EUR 5 off Marco''s session');
select results_eq($$ select total from public.quote_offer('0f000000-0000-4000-8000-000000000201', 'USD') $$,
  $$ values (1900::bigint) $$, 'the monthly plan is quoted');

-- The masterclass has two seats and Noor holds one: Sam's order holds the last, Kenji finds it full.
select is((select status::text from public.create_order('0f000000-0000-4000-8000-000000000301', 'USD')), 'pending',
  'a student orders the last seat of the masterclass');
select tests.authenticate_as('kenji@example.com');
select throws_ok($$ select public.create_order('0f000000-0000-4000-8000-000000000301', 'USD') $$,
  'P0001', 'this session is full', 'the next buyer finds it full while the seat is held');
select tests.clear_authentication();
select ok((select max_redemptions = 3 and max_per_user = 1 from public.coupons where id = 'cc000000-0000-4000-8000-000000000002')
  and (select count(*) from public.reviews) > 0
  and (select count(*) from public.lesson_progress where user_id = 'c0000000-0000-4000-8000-000000000001') > 0,
  'EARLYBIRD is capped at three uses; students left reviews and Sam has progress');
select ok(exists (select from public.live_session_registrations r where r.session_id = '5e000000-0000-4000-8000-000000000004'
                  and r.user_id = 'c0000000-0000-4000-8000-000000000001' and r.source = 'course' and r.cancelled_at is null),
  'Sam, a student of the D3 course, is registered for its office hours');

-- Homework: course 01's assignment, Sam's graded submission and its file, for Sam and Priya only.
select tests.authenticate_as('sam@example.com');
select results_eq($$ select a.max_points, a.pass_points, l.kind::text, l.is_required, s.attempt, s.points, s.passed,
                            jsonb_array_length(s.files),
                            (select count(*) from storage.objects o where o.name = s.files -> 0 ->> 'path')
                     from public.assignments a join public.lessons l on l.id = a.lesson_id
                     join public.submissions s on s.assignment_id = a.id
                     where a.id = 'a5000000-0000-4000-8000-000000000001' $$,
  $$ values (100.00::numeric(8,2), 60.00::numeric(8,2), 'assignment', false, 1, 85.00::numeric(8,2), true, 1, 1::bigint) $$,
  'Sam reads course 01''s assignment and his graded submission, with its file');
select ok((select completed_at is not null from public.lesson_progress where lesson_id = '1e000000-0000-4000-8000-000000000001')
  and exists (select from public.notifications where kind = 'submission_graded'),
  'the pass completed his assignment lesson, and he was notified');
select tests.authenticate_as('priya@example.com');
select is((select count(*) from public.submissions where assignment_id = 'a5000000-0000-4000-8000-000000000001'), 1::bigint,
  'Priya, its instructor, reads the submission');
select tests.authenticate_as('noor@example.com');
select is((select count(*) from public.assignments) + (select count(*) from public.submissions), 0::bigint,
  'Noor, without the course, reads neither');
select tests.clear_authentication();
-- The quiz a newcomer can take: five questions of Priya's bank (one per kind but multiple choice), their keys apart.
select is((select count(*)::text || '/' || count(k.question_id) || '/' || string_agg(distinct q.kind::text, ',' order by q.kind::text)
           from public.quiz_questions qq join public.questions q on q.id = qq.question_id
           left join private.question_keys k on k.question_id = q.id
           where qq.quiz_id = '9a000000-0000-4000-8000-000000000001'),
  '5/5/essay,numeric,short_answer,single_choice,true_false', 'the RLS course has a quiz with five questions and their keys');
-- The gradebook: Sam's row in the RLS course, the homework weighted 2, the quiz not taken yet.
select tests.authenticate_as('sam@example.com');
select results_eq($$ select (select string_agg(i.title || ' x' || i.weight, '; ') from public.gradebook_items('e0000000-0000-4000-8000-000000000001') i),
                            r.grades -> 0 ->> 'percent', r.grades -> 1 ->> 'status', r.total_so_far, r.total
                     from public.gradebook('e0000000-0000-4000-8000-000000000001') r $$,
  $$ values ('Testing with pgTAP — Assignment: test your policies x2.00; Check your RLS knowledge x1.00', '85.00', 'missing',
             85.00::numeric, 56.67::numeric) $$,
  'Sam''s gradebook: his homework (weight 2) graded 85, the quiz still missing');
select tests.clear_authentication();
-- Certificates a newcomer can look at: Sam's, which anyone verifies by its serial, and Kenji's.
select tests.authenticate_as_anon();
select results_eq($$ select holder_name, course_title, issuer, status from public.verify_certificate('7C3A-91F0-2B6D-E845-0A1C-5F93') $$,
  $$ values ('Sam Student', 'Modern CSS Layouts', 'Marco Bianchi', 'valid') $$,
  'Sam''s certificate for Modern CSS Layouts verifies by its documented serial');
select tests.clear_authentication();
select ok((select count(*) from public.certificates c join public.course_progress cp using (user_id, course_id)
           where cp.completed_at is not null and c.issued_at < now()) = (select count(*) from public.course_progress where completed_at is not null)
  and exists (select from public.certificates where id = 'ce000000-0000-4000-8000-000000000002' and serial = 'B81D-5E27-C940-3FA6-D1E8-07B2'),
  'every completed course has its certificate, dated at the last lesson; Kenji''s has its documented id');

-- Q&A a newcomer can look at: Sam's answered question (Priya's answer accepted), Kenji's waiting
-- for an answer, and Sam's private question, which other students do not see.
select tests.authenticate_as('c0000000-0000-4000-8000-000000000003'::uuid);
select results_eq($$ select title, answer_count, vote_count, accepted_answer_id is not null
                     from public.search_doubts('e0000000-0000-4000-8000-000000000001') $$,
  $$ values ('Do views bypass row level security?', 0, 0, false),
            ('Why does select return no rows after I enable RLS?', 2, 2, true) $$,
  'Kenji reads the course''s two questions, newest first, with their answers and votes counted');
select tests.authenticate_as('c0000000-0000-4000-8000-000000000001'::uuid);
select results_eq($$ select title, visibility::text from public.search_doubts('e0000000-0000-4000-8000-000000000001', mine => true) $$,
  $$ values ('Can I hand in the assignment a few days late?', 'staff'),
            ('Why does select return no rows after I enable RLS?', 'course') $$,
  'Sam''s own questions include the one he asked the staff privately');
select is((select array_agg(author_name || ':' || by_staff order by created_at, author_name) from public.doubt_answers
           where doubt_id = 'dd000000-0000-4000-8000-000000000001'),
  array['Kenji Sato:false', 'Priya Raman:true'], 'his lesson question has Priya''s and Kenji''s answers');
-- Feedback a newcomer can triage as Ada: one new, one planned with a reply, one done; each author reads only theirs.
select tests.authenticate_as('admin@example.com');
select results_eq($$ select status, count(*)::integer from public.feedback group by status order by status $$,
  $$ values ('done', 1), ('new', 1), ('planned', 1) $$, 'the seeded feedback, one of each status Ada triages');
select tests.authenticate_as('sam@example.com');
select results_eq($$ select status, reply from public.feedback $$,
  $$ values ('planned', 'Thanks, Sam! Dark mode is planned for the next release.') $$,
  'Sam reads his own feedback and Ada''s reply, and nobody else''s');
-- Chat: a course channel with messages, and a subscription's direct channel.
select is((select count(*) from public.chat_messages m join public.chat_channels ch on ch.id = m.channel_id
           where ch.kind = 'course' and ch.course_id = 'e0000000-0000-4000-8000-000000000001'), 4::bigint,
  'the RLS course''s channel has its conversation');
select tests.authenticate_as('kenji@example.com');
select is((select (kind, title, unread_count, refusal) from public.my_chat_channels()
           where other_user_id = 'b0000000-0000-4000-8000-000000000001'),
  ('direct'::text, 'Priya Raman'::text, 1, null::text),
  'Kenji''s subscription to Priya''s plan opened their direct channel, where he may post and has her reply unread');
select tests.authenticate_as('sam@example.com');
select is((select unread_count from public.my_chat_channels() where course_id = 'e0000000-0000-4000-8000-000000000001'), 2,
  'Sam has two unread messages in the RLS course''s channel');
select tests.clear_authentication();

-- The users tests create are just as real.
select tests.create_user('helper-user@test.local', 'instructor', '{"display_name":"Hel Per"}');
select is_empty($$ select pg_temp.sign_in_problems(array[tests.user_id('helper-user@test.local')]) $$,
  'tests.create_user writes a user a real Auth server signs in');
select is((select identity_data ->> 'email' from auth.identities where user_id = tests.user_id('helper-user@test.local')),
  'helper-user@test.local', 'with its email identity');
select is((select count(*) from public.user_roles where user_id = tests.user_id('helper-user@test.local') and role = 'instructor'),
  1::bigint, 'and the role asked for');

select * from finish();
rollback;
