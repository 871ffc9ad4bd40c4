-- The doubts bucket: posters write only their own folder of a question they may post in, readers
-- of a post read its attached files, staff their course's, and no path trick reaches another folder.
begin;
select plan(45);
select tests.catalog_fixture();

create temporary table ids (k text primary key, id uuid) on commit drop;
grant select, insert on ids to anon, authenticated;
create function pg_temp.d(k text) returns uuid language sql as $$ select id from ids where ids.k = d.k $$;
-- A path in a question's folders: <course-a>/<question>/<rest>
create function pg_temp.p(k text, rest text) returns text language sql as $$
  select tests.course_id('course-a') || '/' || pg_temp.d(k) || '/' || rest
$$;
-- A user's folder of a question, with a file.
create function pg_temp.mine(k text, email text, file text) returns text language sql as $$
  select pg_temp.p(k, tests.user_id(email) || '/' || file)
$$;
create function pg_temp.files() returns text[] language sql as $$
  select coalesce(array_agg(storage.filename(name) order by storage.filename(name)), '{}') from storage.objects
  where bucket_id = 'doubts'
$$;
grant execute on function pg_temp.d(text), pg_temp.p(text, text), pg_temp.mine(text, text, text), pg_temp.files()
  to anon, authenticated;

select is((select row(public, file_size_limit, allowed_mime_types)::text from storage.buckets where id = 'doubts'),
  row(false, 10485760, '{image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain}'::text[])::text,
  'doubts is a private bucket of images, PDFs and text up to 10 MiB');

select tests.authenticate_as('ent@t');
insert into ids select 'pub', id from public.ask_doubt(tests.course_id('course-a'), 'Screenshot attached', 'See the error.');
insert into ids select 'priv', id from public.ask_doubt(tests.course_id('course-a'), 'My grade', 'Private.', null, 'staff');

-- ---------------------------------------------------------------- the asker's own folder
select lives_ok($$ select tests.upload('doubts', pg_temp.mine('pub', 'ent@t', 'error.png'), 'image/png') $$,
  'the asker uploads to their own folder of their question');
select lives_ok($$ select tests.upload('doubts', pg_temp.mine('pub', 'ent@t', 'draft.png'), 'image/png') $$,
  'another file, not attached');
select lives_ok($$ select tests.upload('doubts', pg_temp.mine('priv', 'ent@t', 'grade.pdf')) $$,
  'and to their private question');
select lives_ok($$ select tests.upload('doubts', pg_temp.mine('pub', 'ent@t', 'x%2F..%2Fy.png'), 'image/png') $$,
  'an encoded slash in a file name is only a name, in their own folder');

-- ---------------------------------------------------------------- no path trick reaches another folder
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.mine('pub', 'drip@t', 'evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'another user''s folder is refused');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.p('pub', tests.user_id('ent@t') || '/../' || tests.user_id('drip@t') || '/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'so is climbing out with ..');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.p('pub', '../' || tests.user_id('drip@t') || '/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and .. in place of the user id');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.p('pub', tests.user_id('ent@t') || '/..')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and a file named ..');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.p('pub', tests.user_id('drip@t') || '%2Fevil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and another user''s id with an encoded slash');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.p('pub', upper(tests.user_id('ent@t')::text) || '/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and their own id in capitals');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, '/' || pg_temp.mine('pub', 'ent@t', 'evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and a leading slash');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.mine('pub', 'ent@t', 'sub/evil.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and a sub-folder');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.mine('pub', 'ent@t', '')),
  '42501', 'new row violates row-level security policy for table "objects"', 'and an empty file name');
select throws_ok($$ select tests.upload('doubts', 'evil.pdf') $$,
  '42501', 'new row violates row-level security policy for table "objects"', 'and the bucket''s root');
select throws_ok(format($$ select tests.upload('doubts', %L) $$,
  tests.course_id('course-b') || '/' || pg_temp.d('pub') || '/' || tests.user_id('ent@t') || '/evil.pdf'),
  '42501', 'new row violates row-level security policy for table "objects"', 'and the question under another course');
select throws_ok(format($$ select tests.upload('doubts', %L) $$,
  tests.course_id('course-a') || '/00000000-0000-4000-8000-000000000000/' || tests.user_id('ent@t') || '/evil.pdf'),
  '42501', 'new row violates row-level security policy for table "objects"', 'and a question that does not exist');
select throws_ok(format($$ select tests.upload('doubts', %L) $$,
  tests.course_id('course-a') || '/not-a-uuid/' || tests.user_id('ent@t') || '/evil.pdf'),
  '42501', 'new row violates row-level security policy for table "objects"', 'and a malformed path: refused, not an error');

-- ---------------------------------------------------------------- who else may post files
select tests.authenticate_as('drip@t');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.mine('pub', 'drip@t', 'hint.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'another student may not while the course keeps answers to staff');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.mine('priv', 'drip@t', 'hint.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'nor in a question they cannot read');
select tests.clear_authentication();
update public.courses set doubts_peer_answers = true where id = tests.course_id('course-a');
select tests.authenticate_as('drip@t');
select lives_ok($$ select tests.upload('doubts', pg_temp.mine('pub', 'drip@t', 'hint.pdf')) $$,
  'they may once the course lets students answer');
select tests.authenticate_as('own@t');
select lives_ok($$ select tests.upload('doubts', pg_temp.mine('pub', 'own@t', 'fix.pdf')) $$, 'the course''s staff may');
select tests.authenticate_as('none@t');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.mine('pub', 'none@t', 'x.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'a student without access may not');
select tests.authenticate_as('other@t');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.mine('pub', 'other@t', 'x.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'nor another course''s instructor');
select tests.authenticate_as_anon();
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('doubts', %L) $$, pg_temp.mine('pub', 'ent@t', 'anon.pdf')),
  '42501', 'new row violates row-level security policy for table "objects"', 'nor anon');

-- ---------------------------------------------------------------- attaching
select tests.authenticate_as('ent@t');
select is((select jsonb_path_query_array(files, '$[*].name') from public.edit_doubt(pg_temp.d('pub'),
             files => array[pg_temp.mine('pub', 'ent@t', 'error.png'), pg_temp.mine('pub', 'ent@t', 'error.png')])),
  '["error.png"]'::jsonb, 'the asker attaches an uploaded file (each once)');
select throws_ok(format($$ select public.edit_doubt(%L, files => array[%L]) $$, pg_temp.d('pub'), pg_temp.mine('pub', 'drip@t', 'hint.pdf')),
  '22023', 'a file is not in your folder for this question', 'not someone else''s file');
select throws_ok(format($$ select public.edit_doubt(%L, files => array[%L]) $$, pg_temp.d('pub'), pg_temp.mine('priv', 'ent@t', 'grade.pdf')),
  '22023', 'a file is not in your folder for this question', 'nor their file of another question');
select throws_ok(format($$ select public.edit_doubt(%L, files => array[%L]) $$, pg_temp.d('pub'), pg_temp.mine('pub', 'ent@t', 'missing.png')),
  '22023', 'a file was not found: upload it first', 'nor a file not uploaded');
select throws_ok(format($$ select public.edit_doubt(%L, files => array(select %L || n from generate_series(1, 6) n)) $$,
    pg_temp.d('pub'), pg_temp.mine('pub', 'ent@t', 'f')),
  '22023', 'a post takes at most 5 files', 'nor more than 5 files');
select lives_ok($$ select public.edit_doubt(pg_temp.d('priv'), files => array[pg_temp.mine('priv', 'ent@t', 'grade.pdf')]) $$,
  'the private question gets its file');
select tests.authenticate_as('drip@t');
select is((select jsonb_path_query_array(files, '$[*].path') from public.answer_doubt(pg_temp.d('pub'), 'See the PDF.',
             array[pg_temp.mine('pub', 'drip@t', 'hint.pdf')])),
  jsonb_build_array(pg_temp.mine('pub', 'drip@t', 'hint.pdf')), 'an answer carries its author''s files');

-- ---------------------------------------------------------------- readers: the six personas
select tests.authenticate_as('ent@t');
select is(pg_temp.files(), array['draft.png', 'error.png', 'grade.pdf', 'hint.pdf', 'x%2F..%2Fy.png'],
  'the asker reads their own folders and files attached to what they read');
select tests.authenticate_as('drip@t');
select is(pg_temp.files(), array['error.png', 'hint.pdf'],
  'another student reads their own and the files attached to posts they read, not unattached ones or a private question''s');
select tests.authenticate_as('none@t');
select is(pg_temp.files(), '{}'::text[], 'a student without access reads none');
select tests.authenticate_as_anon();
select is(pg_temp.files(), '{}'::text[], 'anon reads none');
select tests.authenticate_as('own@t');
select is(pg_temp.files(), array['draft.png', 'error.png', 'fix.pdf', 'grade.pdf', 'hint.pdf', 'x%2F..%2Fy.png'],
  'the instructor reads every folder of their course');
select tests.authenticate_as('other@t');
select is(pg_temp.files(), '{}'::text[], 'another course''s instructor reads none');
select tests.authenticate_as('admin@t');
select is(cardinality(pg_temp.files()), 6, 'an admin reads every folder');

-- ---------------------------------------------------------------- moderation reaches the files
select tests.authenticate_as('own@t');
select public.moderate_doubt('hide', answer_id => (select id from public.doubt_answers where doubt_id = pg_temp.d('pub')));
select tests.authenticate_as('ent@t');
select is(pg_temp.files(), array['draft.png', 'error.png', 'grade.pdf', 'x%2F..%2Fy.png'], 'a hidden answer''s files are gone for students');
select tests.authenticate_as('own@t');
select public.moderate_doubt('lock', pg_temp.d('pub'));
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select tests.upload('doubts', %L) $$, pg_temp.mine('pub', 'ent@t', 'late.png')),
  '42501', 'new row violates row-level security policy for table "objects"', 'a locked question takes no files');

-- ---------------------------------------------------------------- files stay as they were
select is(tests.affected_rows($q$ update storage.objects set metadata = '{"size": 1}' where bucket_id = 'doubts' $q$), 0::bigint,
  'a poster cannot replace their files');
select set_config('storage.allow_delete_query', 'true', true);
select is(tests.affected_rows($q$ delete from storage.objects where bucket_id = 'doubts' $q$), 0::bigint, 'nor delete them');
select set_config('storage.allow_delete_query', 'false', true);

-- ---------------------------------------------------------------- staff removed from a course lose them at once
select tests.clear_authentication();
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('other@t'), 'co_instructor');
select tests.authenticate_as('other@t');
select is(cardinality(pg_temp.files()), 6, 'a co-instructor reads the course''s folders');
select tests.authenticate_as('own@t');
select public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t'));
select tests.authenticate_as('other@t');
select is(pg_temp.files(), '{}'::text[], 'removed, they read none at once');

select * from finish();
rollback;
