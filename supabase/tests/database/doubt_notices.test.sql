-- Doubt notices: a reply reaches the asker in the app and by email (their opt-out holds), an
-- accepted answer its author, and new questions reach the course's staff in one hourly digest.
begin;
select plan(20);
select tests.catalog_fixture();
select tests.create_user('co@t', 'instructor', '{"display_name":"Cora Co"}');
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('co@t'), 'co_instructor');
update private.email_outbox set status = 'sent' where status = 'pending'; -- the welcome emails
delete from private.doubt_digest_items; -- questions queued before this test (the seed's, if any)
update public.courses set doubts_peer_answers = true where id = tests.course_id('course-a');

create temporary table ids (k text primary key, id uuid) on commit drop;
grant select, insert on ids to anon, authenticated;
create function pg_temp.d(k text) returns uuid language sql as $$ select id from ids where ids.k = d.k $$;
-- The user's notifications of a kind, as "title | link", oldest first.
create function pg_temp.notes(email text, kind text) returns text[] language sql as $$
  select coalesce(array_agg(title || ' | ' || link order by created_at, title), '{}') from public.notifications
  where user_id = tests.user_id(email) and notifications.kind = notes.kind
$$;
create function pg_temp.emails(email text, template text) returns setof private.email_outbox language sql as $$
  select * from private.email_outbox o where o.to_user_id = tests.user_id(email) and o.template = emails.template
  and o.status = 'pending'
$$;
grant execute on function pg_temp.d(text) to anon, authenticated;

select ok(not has_table_privilege('authenticated', 'private.doubt_digest_items', 'select')
          and not has_function_privilege('authenticated', 'private.send_doubt_digests()', 'execute'),
  'the digest queue and its sender are not the API''s');
select is((select schedule from cron.job where jobname = 'doubt-digest'), '0 * * * *', 'pg_cron sends the digest hourly');

-- ---------------------------------------------------------------- a reply
select tests.authenticate_as('ent@t');
insert into ids select 'q', id from public.ask_doubt(tests.course_id('course-a'), 'Why no rows?', 'Select returns nothing.');
select public.answer_doubt(pg_temp.d('q'), 'One more detail: I use a view.');
select tests.clear_authentication();
select is(pg_temp.notes('ent@t', 'doubt_answered'), '{}'::text[], 'the asker''s own follow-up notifies nobody');
select tests.authenticate_as('own@t');
insert into ids select 'a_own', id from public.answer_doubt(pg_temp.d('q'), 'Views run as their owner: use security_invoker.');
select tests.clear_authentication();
select is(pg_temp.notes('ent@t', 'doubt_answered'), array['New answer: Why no rows? | /questions/' || pg_temp.d('q')],
  'a reply notifies the asker in the app');
select is((select row(category, payload ->> 'title', payload ->> 'answered_by', payload ->> 'by_staff', payload ->> 'course_title')::text
           from pg_temp.emails('ent@t', 'doubt_answered')),
  row('updates', 'Why no rows?', 'Olivia Owner', 'true', 'Postgres for Web Developers')::text,
  'and by email, an update naming the question, who answered and the course');
insert into public.email_preferences (user_id, updates) values (tests.user_id('ent@t'), false);
select tests.authenticate_as('drip@t');
insert into ids select 'a_drip', id from public.answer_doubt(pg_temp.d('q'), 'Try security_invoker = true.');
select tests.clear_authentication();
select is(cardinality(pg_temp.notes('ent@t', 'doubt_answered')), 2, 'another reply notifies the asker in the app');
select is((select count(*)::integer from pg_temp.emails('ent@t', 'doubt_answered')), 1,
  'but sends no email once they opted out of updates');

-- ---------------------------------------------------------------- an accepted answer
select tests.authenticate_as('ent@t');
select public.accept_doubt_answer(pg_temp.d('q'), pg_temp.d('a_drip'));
select tests.clear_authentication();
select is(pg_temp.notes('drip@t', 'doubt_answer_accepted'), array['Your answer was accepted: Why no rows? | /questions/' || pg_temp.d('q')],
  'an accepted answer notifies its author');
select tests.authenticate_as('own@t');
select public.accept_doubt_answer(pg_temp.d('q'), pg_temp.d('a_own'));
select tests.clear_authentication();
select is(pg_temp.notes('own@t', 'doubt_answer_accepted'), '{}'::text[], 'not when they accepted it themselves');

-- ---------------------------------------------------------------- the staff's digest
select tests.authenticate_as('ent@t');
insert into ids select 'p', id from public.ask_doubt(tests.course_id('course-a'), 'My grade', 'Private.', null, 'staff');
select tests.authenticate_as('drip@t');
insert into ids select 'spam', id from public.ask_doubt(tests.course_id('course-a'), 'Buy now', 'Spam.');
select tests.authenticate_as('own@t');
insert into ids select 'own', id from public.ask_doubt(tests.course_id('course-a'), 'Poll: pace of the course?', 'Too fast?');
select public.moderate_doubt('hide', pg_temp.d('spam'));
select tests.clear_authentication();
update public.doubts set created_at = now() - interval '3 minutes' where id = pg_temp.d('q');
update public.doubts set created_at = now() - interval '2 minutes' where id = pg_temp.d('p');
update public.doubts set created_at = now() - interval '1 minutes' where id = pg_temp.d('own');
select is((select count(*)::integer from private.doubt_digest_items), 4, 'each new question is queued for the digest');
select is((select count(*)::integer from pg_temp.emails('own@t', 'doubt_digest')), 0, 'no email goes out per question');
select is(private.send_doubt_digests(), 2, 'the hourly run sends one digest to each of the course''s staff');
select is((select payload from pg_temp.emails('own@t', 'doubt_digest')) - 'questions', '{"count": 2}'::jsonb,
  'the owner''s lists the visible questions but their own');
select is((select jsonb_path_query_array(payload, '$.questions[*].title') from pg_temp.emails('own@t', 'doubt_digest')),
  '["Why no rows?", "My grade"]'::jsonb, 'in the order they were asked, private ones included');
select is((select jsonb_path_query_array(payload, '$.questions[*].title') from pg_temp.emails('co@t', 'doubt_digest')),
  '["Why no rows?", "My grade", "Poll: pace of the course?"]'::jsonb, 'a co-instructor''s includes the owner''s question');
select is(pg_temp.notes('co@t', 'doubt_digest'), array['3 new questions | /teaching/questions'], 'with one notification');
select is((select count(*)::integer from private.email_outbox where template = 'doubt_digest' and to_user_id in
           (tests.user_id('other@t'), tests.user_id('admin@t'), tests.user_id('ent@t'))), 0,
  'nobody else gets one');
select is(private.send_doubt_digests(), 0, 'a question is sent once: the next run has nothing');

-- staff removed before the run hear of nothing
select tests.authenticate_as('ent@t');
select public.ask_doubt(tests.course_id('course-a'), 'Another one', 'Body.');
select tests.authenticate_as('own@t');
select public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('co@t'));
select tests.clear_authentication();
select is(private.send_doubt_digests(), 1, 'only the current staff get the next digest');
select is((select count(*)::integer from pg_temp.emails('co@t', 'doubt_digest')), 1, 'a removed co-instructor gets no new one');

select * from finish();
rollback;
