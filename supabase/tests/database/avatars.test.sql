-- The avatars bucket and its policies on storage.objects.
begin;
select plan(15);

select tests.create_user('s1@test.local');
select tests.create_user('s2@test.local');

select is((select row(public, file_size_limit, allowed_mime_types)::text from storage.buckets where id = 'avatars'),
  row(true, 2097152::bigint, array['image/png', 'image/jpeg', 'image/webp', 'image/gif'])::text,
  'avatars is public, 2 MiB, images only');

-- s2 already has an avatar
select tests.authenticate_as('s2@test.local');
insert into storage.objects (bucket_id, name, owner_id) values ('avatars', tests.user_id('s2@test.local') || '/me.png', auth.uid()::text);

select tests.authenticate_as('s1@test.local');
select lives_ok(format($$ insert into storage.objects (bucket_id, name, owner_id) values ('avatars', %L, auth.uid()::text) $$,
  tests.user_id('s1@test.local') || '/me.png'), 'a user uploads into their own folder');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('avatars', %L) $$,
  tests.user_id('s2@test.local') || '/evil.png'),
  '42501', 'new row violates row-level security policy for table "objects"', 'a user cannot upload into someone else''s folder');
select throws_ok($$ insert into storage.objects (bucket_id, name) values ('avatars', 'me.png') $$,
  '42501', 'new row violates row-level security policy for table "objects"', 'a user cannot upload at the bucket root');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('other', %L) $$,
  tests.user_id('s1@test.local') || '/me.png'),
  '42501', 'new row violates row-level security policy for table "objects"', 'these policies grant nothing in other buckets');
select is((select array_agg(name) from storage.objects where bucket_id = 'avatars'),
  array[tests.user_id('s1@test.local') || '/me.png'], 'a user lists only their own avatar files');
select is(tests.affected_rows($q$ update storage.objects set metadata = '{"v":2}' where bucket_id = 'avatars' $q$), 1::bigint, 'a user updates only their own avatar file');
select throws_ok(format($$ update storage.objects set name = %L where name = %L $$,
  tests.user_id('s2@test.local') || '/moved.png', tests.user_id('s1@test.local') || '/me.png'),
  '42501', 'new row violates row-level security policy for table "objects"',
  'a user cannot move a file into someone else''s folder');
select set_config('storage.allow_delete_query', 'true', true); -- what the Storage API sets
select is(tests.affected_rows($q$ delete from storage.objects where bucket_id = 'avatars' and name like tests.user_id('s2@test.local') || '/%' $q$), 0::bigint, 'a user cannot delete someone else''s avatar');
select is(tests.affected_rows($q$ delete from storage.objects where bucket_id = 'avatars' $q$), 1::bigint, 'a user deletes their own avatar');

select tests.authenticate_as_anon();
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('avatars', %L) $$,
  tests.user_id('s1@test.local') || '/anon.png'),
  '42501', 'new row violates row-level security policy for table "objects"', 'anon cannot upload avatars');
select is((select count(*) from storage.objects where bucket_id = 'avatars'), 0::bigint,
  'anon lists no objects (public files are served by URL)');

select tests.clear_authentication();
select is((select count(*) from storage.objects where bucket_id = 'avatars'), 1::bigint, 's2''s avatar is still there');
select ok(exists (select 1 from pg_policies where schemaname = 'storage' and tablename = 'objects'
  and policyname = 'users upload avatars to their own folder' and roles = '{authenticated}'), 'the upload policy names its role');
select is((select count(*) from pg_policies where schemaname = 'storage' and tablename = 'objects'
  and coalesce(qual, '') || coalesce(with_check, '') like '%avatars%'), 4::bigint, 'four avatar policies: select, insert, update, delete');

select * from finish();
rollback;
