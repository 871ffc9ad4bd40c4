-- Profiles: created on sign-up from the metadata, read and edited by their owner (admins read
-- all), validated (time zone, lengths, avatar URL); no role column to escalate through.
begin;
select plan(33);

-- Personas: admin@test.local (Ada Admin), teach@test.local and other-teach@test.local (instructors),
-- s1@test.local and s2@test.local (students); their sign-up metadata is listed in tests/setup/helpers.sql.
select tests.personas_fixture();

-- ---------------------------------------------------------------- grants
select ok(has_table_privilege('authenticated', 'public.profiles', 'select'), 'authenticated may select profiles');
select ok(not has_table_privilege('authenticated', 'public.profiles', 'insert'), 'authenticated may not insert profiles');
select ok(not has_table_privilege('authenticated', 'public.profiles', 'delete'), 'authenticated may not delete profiles');
select ok(has_column_privilege('authenticated', 'public.profiles', 'display_name', 'update'), 'display_name is editable');
select ok(has_column_privilege('authenticated', 'public.profiles', 'timezone', 'update'), 'timezone is editable');
select ok(not has_column_privilege('authenticated', 'public.profiles', 'id', 'update'), 'id is not editable');
select ok(not has_column_privilege('authenticated', 'public.profiles', 'created_at', 'update'), 'created_at is not editable');
select ok(not has_table_privilege('anon', 'public.profiles', 'select'), 'anon may not read profiles');
select hasnt_column('public', 'profiles', 'role', 'profiles has no role column to escalate through');

-- ---------------------------------------------------------------- profile on sign-up
select is((select display_name from public.profiles where id = tests.user_id('admin@test.local')), 'Ada Admin',
  'sign-up creates a profile with display_name from the metadata');
select is((select display_name from public.profiles where id = tests.user_id('teach@test.local')), 'Tess Teacher',
  'Google-style full_name becomes the display name');
select is((select avatar_url from public.profiles where id = tests.user_id('teach@test.local')), 'https://img.example/t.png',
  'Google-style picture becomes the avatar');
select is((select display_name from public.profiles where id = tests.user_id('other-teach@test.local')), 'otto',
  'GitHub-style user_name becomes the display name');
select is((select avatar_url from public.profiles where id = tests.user_id('s1@test.local')), null,
  'an unsafe avatar URL in metadata is dropped without blocking sign-up');
select is((select display_name from public.profiles where id = tests.user_id('s2@test.local')), 's2',
  'without metadata, the email''s local part is the display name');

-- ---------------------------------------------------------------- profiles as each persona
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.profiles $$,
  '42501', 'permission denied for table profiles', 'anon: reading profiles is denied');
select tests.authenticate_as('s1@test.local');
select is((select array_agg(id) from public.profiles), array[tests.user_id('s1@test.local')],
  'a student reads only their own profile');
select is(tests.affected_rows($q$ update public.profiles set display_name = 'Sam Renamed', bio = 'hi' where id = tests.user_id('s1@test.local') $q$), 1::bigint, 'a student updates their own profile');
select is(tests.affected_rows($q$ update public.profiles set display_name = 'hacked' where id = tests.user_id('s2@test.local') $q$), 0::bigint, 'a student cannot update someone else''s profile');
select throws_ok($$ update public.profiles set id = gen_random_uuid() where id = auth.uid() $$,
  '42501', 'permission denied for table profiles', 'the profile id is not editable');
select throws_ok($$ update public.profiles set created_at = now() - interval '1 year' where id = auth.uid() $$,
  '42501', 'permission denied for table profiles', 'created_at is not editable');
select throws_ok($$ insert into public.profiles (id, display_name) values (gen_random_uuid(), 'x') $$,
  '42501', 'permission denied for table profiles', 'a student cannot insert profiles');
select throws_ok($$ delete from public.profiles where id = auth.uid() $$,
  '42501', 'permission denied for table profiles', 'a student cannot delete profiles');
select throws_ok($$ update public.profiles set timezone = 'Mars/Olympus' where id = auth.uid() $$, '22023',
  'unknown time zone "Mars/Olympus"', 'an unknown time zone is refused with 22023');
select throws_ok($$ update public.profiles set timezone = repeat('z', 1000000) where id = auth.uid() $$, '22023',
  format('unknown time zone "%s…"', repeat('z', 64)), 'a 1 MB time zone is refused without echoing it whole');
select throws_ok($$ update public.profiles set display_name = repeat('x', 81) where id = auth.uid() $$,
  '23514', 'new row for relation "profiles" violates check constraint "profiles_display_name_length"',
  'a display name over 80 characters is refused');
select throws_ok($$ update public.profiles set avatar_url = 'javascript:alert(1)' where id = auth.uid() $$,
  '23514', 'new row for relation "profiles" violates check constraint "profiles_avatar_url_valid"',
  'a non-http avatar URL is refused');
select lives_ok($$ update public.profiles set timezone = 'Asia/Kolkata' where id = auth.uid() $$, 'a valid time zone is accepted');
select is((select timezone from public.profiles where id = auth.uid()), 'Asia/Kolkata', 'and stored');
select tests.authenticate_as('teach@test.local');
select is((select count(*) from public.profiles), 1::bigint, 'an instructor reads only their own profile');
select tests.authenticate_as('admin@test.local');
select ok((select count(*) from public.profiles) >= 5, 'an admin reads every profile');
select is(tests.affected_rows($q$ update public.profiles set display_name = 'by admin' where id = tests.user_id('s2@test.local') $q$), 0::bigint, 'even an admin cannot edit someone else''s profile directly');
select tests.clear_authentication();
select is((select display_name from public.profiles where id = tests.user_id('s2@test.local')), 's2',
  'the other profile is unchanged');

select * from finish();
rollback;
