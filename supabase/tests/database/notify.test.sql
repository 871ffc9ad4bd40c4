-- Outbox, preferences, notifications and Realtime authorization.
begin;
select plan(37);
select tests.create_user('n1@test.local', 'student', '{"display_name":"Nia"}');
select tests.create_user('n2@test.local');
select tests.create_user('boss@test.local', 'admin');

-- ---------------------------------------------------------------- grants and reachability
select ok(not has_table_privilege('authenticated', 'private.email_outbox', 'select')
  and not has_table_privilege('service_role', 'private.email_outbox', 'select'), 'nobody reaches the outbox through the API');
select ok(has_function_privilege('service_role', 'public.claim_emails(integer, integer, text)', 'execute')
  and not has_function_privilege('authenticated', 'public.claim_emails(integer, integer, text)', 'execute')
  and not has_function_privilege('anon', 'public.claim_emails(integer, integer, text)', 'execute'), 'only the service claims emails');
select ok(not has_function_privilege('authenticated', 'public.fail_email(uuid, text, integer, boolean)', 'execute')
  and not has_function_privilege('authenticated', 'public.complete_email(uuid, text)', 'execute'), 'only the service records results');
select ok(not has_table_privilege('authenticated', 'public.notifications', 'insert'), 'users cannot create notifications');
select ok(not has_column_privilege('authenticated', 'public.notifications', 'title', 'update'), 'only read_at is editable');
select ok(exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'notifications'),
  'notifications are in the supabase_realtime publication');

-- ---------------------------------------------------------------- welcome email and preferences
select is((select count(*) from private.email_outbox where template = 'welcome' and to_user_id = tests.user_id('n1@test.local')),
  1::bigint, 'sign-up enqueues a welcome email');
select is((select row(category, payload ->> 'display_name', dedupe_key)::text from private.email_outbox
            where template = 'welcome' and to_user_id = tests.user_id('n1@test.local')),
  row('essential', 'Nia', 'welcome:' || tests.user_id('n1@test.local'))::text,
  'the welcome email is essential, greets the user by name and is keyed by the user');
delete from public.profiles where id = tests.user_id('n1@test.local');
insert into public.profiles (id, display_name) values (tests.user_id('n1@test.local'), 'Nia again');
select is((select count(*) from private.email_outbox where template = 'welcome' and to_user_id = tests.user_id('n1@test.local')),
  1::bigint, 'a profile created again does not welcome the user twice');
select tests.authenticate_as('n1@test.local');
select lives_ok($$ insert into public.email_preferences (reminders, marketing) values (false, false) $$, 'a user opts out of reminders');
select throws_ok(format($$ insert into public.email_preferences (user_id, reminders) values (%L, false) $$, tests.user_id('n2@test.local')),
  '42501', 'permission denied for table email_preferences', 'not for someone else');
select tests.authenticate_as('n2@test.local');
select is((select count(*) from public.email_preferences), 0::bigint, 'preferences are private');
select tests.clear_authentication();
select is(private.enqueue_email('webinar_reminder_24h', 'reminders', tests.user_id('n1@test.local'), '{}'), null,
  'an opted-out reminder is skipped');
select isnt(private.enqueue_email('receipt', 'essential', tests.user_id('n1@test.local'), '{}'), null,
  'essential email is always sent');
select is(private.enqueue_email('promo', 'marketing', tests.user_id('n2@test.local'), '{}'), null, 'marketing is opt-in');
select isnt(private.enqueue_email('weekly_digest', 'digest', tests.user_id('n2@test.local'), '{}'), null,
  'the weekly digest is sent by default');
update public.email_preferences set digest = false where user_id = tests.user_id('n1@test.local');
select is(private.enqueue_email('weekly_digest', 'digest', tests.user_id('n1@test.local'), '{}'), null,
  'and skipped once the user turns it off');
select ok(has_column_privilege('authenticated', 'public.email_preferences', 'digest', 'update')
  and has_column_privilege('authenticated', 'public.email_preferences', 'digest', 'insert'), 'users set their digest preference');
select isnt(private.enqueue_email('x', 'essential', tests.user_id('n2@test.local'), '{}', 'k1'), null, 'a deduped email ...');
select is(private.enqueue_email('x', 'essential', tests.user_id('n2@test.local'), '{}', 'k1'), null, '... is enqueued once');

-- ---------------------------------------------------------------- claiming, completing, failing
delete from private.email_outbox;
select private.enqueue_email('a', 'essential', tests.user_id('n2@test.local'), '{}');
select private.enqueue_email('b', 'essential', tests.user_id('n2@test.local'), '{}');
select tests.authenticate_as_service_role();
create temporary table claimed on commit drop as select * from public.claim_emails(10, 60, 'worker-1');
select is((select count(*) from claimed), 2::bigint, 'the sender claims due emails');
select is((select count(*) from public.claim_emails(10, 60, 'worker-2')), 0::bigint, 'a second sender gets none while leased');
select is(public.complete_email((select id from claimed where template = 'a'), 'msg_1'), true, 'a sent email is recorded');
select is(public.fail_email((select id from claimed where template = 'b'), 'HTTP 500'), 'pending', 'a failure goes back to pending');
select tests.clear_authentication();
select ok((select next_attempt_at > now() + interval '20 seconds' from private.email_outbox where template = 'b'), 'after a backoff');
update private.email_outbox set next_attempt_at = now(), attempts = max_attempts - 1 where template = 'b';
select tests.authenticate_as_service_role();
select is((select count(*) from public.claim_emails(10, 60, 'w')), 1::bigint, 'the last attempt is claimed');
select is(public.fail_email((select id from claimed where template = 'b'), 'HTTP 500 again'), 'dead',
  'and dead-lettered when it fails');

-- ---------------------------------------------------------------- notifications and Realtime
select tests.clear_authentication();
select private.notify(tests.user_id('n1@test.local'), 'test', 'Hello', null, null);
select tests.authenticate_as('n2@test.local');
select is((select count(*) from public.notifications), 0::bigint, 'users read only their own notifications');
select is(tests.affected_rows($q$ delete from public.notifications $q$), 0::bigint, 'nor delete anyone else''s');
select is(tests.affected_rows($q$ update public.email_preferences set reminders = true $q$), 0::bigint,
  'nor change anyone else''s email preferences');
select tests.authenticate_as('n1@test.local');
select is(tests.affected_rows($q$ update public.notifications set read_at = now() $q$), 1::bigint, 'users mark theirs read');
select set_config('realtime.topic', 'user:' || tests.user_id('n1@test.local'), true);
select lives_ok($$ insert into realtime.messages (topic, extension, event) values (realtime.topic(), 'presence', 'sync') $$,
  'a user may use their own topic');
select set_config('realtime.topic', 'user:' || tests.user_id('n2@test.local'), true);
select throws_ok($$ insert into realtime.messages (topic, extension, event) values (realtime.topic(), 'presence', 'sync') $$,
  '42501', 'new row violates row-level security policy for table "messages"', 'not someone else''s');
select is((select count(*) from realtime.messages), 0::bigint, 'nor read on it');
select tests.clear_authentication();
select is(private.alert_admins('Disk almost full', 'Storage is at 90%'), (select count(*)::integer from public.user_roles where role = 'admin'),
  'alert_admins counts one alert per admin');
select set_eq($$ select user_id from public.notifications where kind = 'system_alert' and title = 'Disk almost full' $$,
  $$ select user_id from public.user_roles where role = 'admin' $$, 'a system alert reaches every admin in the app, and nobody else');
select set_eq($$ select to_user_id from private.email_outbox where template = 'system_alert' and payload ->> 'subject' = 'Disk almost full' $$,
  $$ select user_id from public.user_roles where role = 'admin' $$, 'and by email');

select * from finish();
rollback;
