-- Platform feedback: who sends it, who reads it (the author and admins, nobody else), triage and
-- the reply the author sees.
begin;
select plan(43);
select tests.catalog_fixture();

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('anon', 'public.feedback', 'select')
  and not has_table_privilege('anon', 'public.feedback', 'insert'), 'anon: no access to feedback');
select ok(has_table_privilege('authenticated', 'public.feedback', 'select')
  and not has_table_privilege('authenticated', 'public.feedback', 'insert')
  and not has_table_privilege('authenticated', 'public.feedback', 'update'),
  'authenticated: select only (writes go through send_feedback and triage_feedback)');
select ok(not has_function_privilege('anon', 'public.send_feedback(text, integer, text, text)', 'execute')
  and has_function_privilege('authenticated', 'public.send_feedback(text, integer, text, text)', 'execute'),
  'send_feedback: authenticated only');
select ok(not has_function_privilege('anon', 'public.triage_feedback(uuid, text, text)', 'execute')
  and has_function_privilege('authenticated', 'public.triage_feedback(uuid, text, text)', 'execute'),
  'triage_feedback: authenticated only (admins, decided inside)');

-- ---------------------------------------------------------------- sending
select tests.authenticate_as_anon();
select throws_ok($$ select public.send_feedback('idea', 5, 'hi') $$,
  '42501', 'permission denied for function send_feedback', 'anon cannot send feedback');
select tests.authenticate_with_claims('{"role":"authenticated"}');
select throws_ok($$ select public.send_feedback('idea', 5, 'hi') $$,
  '42501', 'sign in to send feedback', 'a request without a user cannot send feedback');

select tests.authenticate_as('ent@t');
select is(tests.returned($$ select category, rating, body, page, status, reply
                            from public.send_feedback('idea', 4, '  Dark mode please.  ', '/courses/course-a') $$),
  '[{"category":"idea","rating":4,"body":"Dark mode please.","page":"/courses/course-a","status":"new","reply":null}]'::jsonb,
  'a student sends feedback (trimmed), new and without a reply');
select is((select user_id from public.feedback where body = 'Dark mode please.'), tests.user_id('ent@t'),
  'feedback is the caller''s');
select throws_ok($$ select public.send_feedback('rant', 4, 'x') $$,
  '22023', 'category must be one of bug, idea, content, billing, other', 'an unknown category is refused');
select is(tests.error_detail($$ select public.send_feedback('rant', 4, 'x') $$), 'invalid_feedback_category',
  'invalid_feedback_category');
select throws_ok($$ select public.send_feedback('bug', 0, 'x') $$,
  '22023', 'rating must be between 1 and 5', 'a rating below 1 is refused');
select throws_ok($$ select public.send_feedback('bug', 6, 'x') $$,
  '22023', 'rating must be between 1 and 5', 'a rating above 5 is refused');
select is(tests.error_detail($$ select public.send_feedback('bug', null, 'x') $$), 'invalid_rating', 'invalid_rating');
select throws_ok($$ select public.send_feedback('bug', 3, '   ') $$,
  '22023', 'write what you want to tell us', 'blank feedback is refused');
select is(tests.error_detail($$ select public.send_feedback('bug', 3, null) $$), 'empty_feedback', 'empty_feedback');
select throws_ok($$ select public.send_feedback('bug', 3, repeat('x', 5001)) $$,
  '22023', 'feedback is limited to 5000 characters', 'feedback over 5000 characters is refused');
select is(tests.error_detail($$ select public.send_feedback('bug', 3, repeat('x', 5001)) $$), 'feedback_body_too_long',
  'feedback_body_too_long');
select throws_ok($$ select public.send_feedback('bug', 3, 'x', repeat('p', 2001)) $$,
  '22023', 'the page address is limited to 2000 characters', 'a page over 2000 characters is refused');
select is(tests.error_detail($$ select public.send_feedback('bug', 3, 'x', repeat('p', 2001)) $$), 'page_too_long', 'page_too_long');
select is((select count(*) from public.feedback), 1::bigint, 'refused feedback wrote nothing');
select throws_ok($$ insert into public.feedback (user_id, category, rating, body) values (auth.uid(), 'bug', 1, 'direct') $$,
  '42501', 'permission denied for table feedback', 'no direct insert: send_feedback is the one door');

select tests.authenticate_as('own@t');
select lives_ok($$ select public.send_feedback('bug', 2, 'The editor loses my draft.', '/teach') $$,
  'an instructor sends feedback too');

-- ---------------------------------------------------------------- reading: the author and admins only
select tests.authenticate_as('ent@t');
select is(array(select body from public.feedback), array['Dark mode please.'], 'a student reads only their own feedback');
select tests.authenticate_as('own@t');
select is(array(select body from public.feedback), array['The editor loses my draft.'],
  'an instructor reads only their own feedback, not their students''');
select tests.authenticate_as('other@t');
select is((select count(*) from public.feedback), 0::bigint, 'another instructor reads none');
select tests.authenticate_as('none@t');
select is((select count(*) from public.feedback), 0::bigint, 'a student without access reads none');
select tests.authenticate_as_anon();
select throws_ok($$ select count(*) from public.feedback $$,
  '42501', 'permission denied for table feedback', 'anon reads none');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.feedback where user_id in (tests.user_id('ent@t'), tests.user_id('own@t'))), 2::bigint,
  'an admin reads everyone''s feedback');

-- ---------------------------------------------------------------- triage
select tests.authenticate_as('ent@t');
select throws_ok(format($$ select public.triage_feedback(%L, 'planned') $$, (select id from public.feedback)),
  '42501', 'only admins can triage feedback', 'the author cannot triage their own feedback');
select throws_ok($$ update public.feedback set status = 'done' $$,
  '42501', 'permission denied for table feedback', 'no direct update');
select tests.authenticate_as('own@t');
select throws_ok(format($$ select public.triage_feedback(%L, 'planned') $$,
  (select f.id from public.feedback f where f.user_id = auth.uid())),
  '42501', 'only admins can triage feedback', 'an instructor cannot triage');

select tests.authenticate_as('admin@t');
select is(tests.returned(format($$ select status, reply, triaged_by = auth.uid() as by_me, replied_at is not null as replied
                                    from public.triage_feedback(%L, 'planned', '  On the roadmap for spring.  ') $$,
                                 (select id from public.feedback where body = 'Dark mode please.'))),
  '[{"status":"planned","reply":"On the roadmap for spring.","by_me":true,"replied":true}]'::jsonb,
  'an admin plans it and replies');
select throws_ok(format($$ select public.triage_feedback(%L, 'maybe') $$, (select id from public.feedback where body = 'Dark mode please.')),
  '22023', 'status must be one of new, planned, done, declined', 'an unknown status is refused');
select throws_ok(format($$ select public.triage_feedback(%L, 'done', repeat('r', 5001)) $$,
  (select id from public.feedback where body = 'Dark mode please.')),
  '22023', 'a reply is limited to 5000 characters', 'a reply over 5000 characters is refused');
select throws_ok($$ select public.triage_feedback('00000000-0000-4000-8000-000000000000', 'done') $$,
  'PT404', 'feedback not found', 'unknown feedback is not found');
select is((select details ->> 'status' from public.audit_log where action = 'feedback.triage'), 'planned', 'triage is audited');
select is(tests.returned(format($$ select status, reply from public.triage_feedback(%L, 'done') $$,
                                 (select id from public.feedback where body = 'Dark mode please.'))),
  '[{"status":"done","reply":"On the roadmap for spring."}]'::jsonb, 'a status change without a reply keeps the reply');

select tests.authenticate_as('ent@t');
select is((select row(status, reply)::text from public.feedback), row('done', 'On the roadmap for spring.')::text,
  'the author sees the status and the reply');
select is((select count(*) from public.notifications where kind = 'feedback_replied' and body = 'On the roadmap for spring.'),
  1::bigint, 'the reply notified the author once (the status change alone did not)');
select is(tests.affected_rows($$ delete from public.feedback $$), 0::bigint, 'an author cannot delete feedback');

select tests.authenticate_as('admin@t');
select is(tests.affected_rows(format($$ delete from public.feedback where id = %L $$,
  (select id from public.feedback where body = 'The editor loses my draft.'))), 1::bigint, 'an admin deletes feedback (spam)');

-- ---------------------------------------------------------------- feedback per day (rate_limits 'feedback')
select tests.clear_authentication();
insert into private.rate_buckets (bucket_class, subject, tokens, updated_at)
values ('feedback', tests.user_id('ent@t')::text, 0, now())
on conflict (bucket_class, subject) do update set tokens = 0, updated_at = now();
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.send_feedback('idea', 5, 'Again and again') $$,
  'PT429', 'Too many requests. Please wait a moment and try again.', 'a person who sent too much feedback today waits');
select is((select count(*) from public.feedback where body = 'Again and again'), 0::bigint, 'and nothing was stored');

select * from finish();
rollback;
