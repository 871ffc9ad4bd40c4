-- The seeded users (and the test helpers' users) are rows a real Supabase Auth server can sign in:
-- GoTrue scans the token and change columns into plain strings (NULL makes every sign-in fail),
-- checks a bcrypt hash, and finds email users through their `email` identity.
begin;
select plan(7);

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
