-- Certificates: issued by the database when a course is completed (once), read by the holder and
-- the course's staff, verified by anyone through the public fields only, revoked and re-issued by
-- admins; the functions' service-only side (status lists, the PDF's state); the private bucket.
begin;
select plan(71);
select tests.catalog_fixture();

create temporary table cert_ids (who text primary key, id uuid);
grant select, insert on cert_ids to anon, authenticated, service_role;

-- ---------------------------------------------------------------- grants
select ok(has_table_privilege('authenticated', 'public.certificates', 'select'), 'signed-in users may read (RLS filters)');
select ok(not has_table_privilege('anon', 'public.certificates', 'select'), 'anon reads no certificate table');
select ok(not has_table_privilege('authenticated', 'public.certificates', 'insert')
  and not has_table_privilege('authenticated', 'public.certificates', 'update')
  and not has_table_privilege('authenticated', 'public.certificates', 'delete')
  and not has_table_privilege('anon', 'public.certificates', 'insert'),
  'no client inserts, updates or deletes certificates');
select ok(has_function_privilege('anon', 'public.verify_certificate(text)', 'execute')
  and has_function_privilege('authenticated', 'public.verify_certificate(text)', 'execute'),
  'anyone verifies a certificate');
select ok(not has_function_privilege('anon', 'public.revoke_certificate(uuid, text)', 'execute')
  and not has_function_privilege('anon', 'public.reissue_certificate(uuid)', 'execute')
  and has_function_privilege('authenticated', 'public.revoke_certificate(uuid, text)', 'execute')
  and has_function_privilege('authenticated', 'public.reissue_certificate(uuid)', 'execute'),
  'revoke and re-issue: signed-in callers only (the function checks for an admin)');
select ok(not has_function_privilege('authenticated', 'public.certificate_status_list(integer)', 'execute')
  and not has_function_privilege('anon', 'public.certificate_status_list(integer)', 'execute')
  and not has_function_privilege('authenticated', 'public.certificate_pdf_saved(uuid, text, timestamptz)', 'execute')
  and not has_function_privilege('anon', 'public.certificate_pdf_saved(uuid, text, timestamptz)', 'execute')
  and has_function_privilege('service_role', 'public.certificate_status_list(integer)', 'execute')
  and has_function_privilege('service_role', 'public.certificate_pdf_saved(uuid, text, timestamptz)', 'execute'),
  'the status lists and the PDF state: service role only');
select ok(not has_function_privilege('authenticated', 'private.issue_certificate(uuid, uuid)', 'execute')
  and not has_function_privilege('service_role', 'private.issue_certificate(uuid, uuid)', 'execute'),
  'nobody calls the issuing helper: only the completion trigger issues');

-- ---------------------------------------------------------------- issued on completion, once
-- ent@t completes course-a through record_progress (l4's date dropped so it can be completed).
update public.lessons set available_at = null where title = 'l4';
select tests.authenticate_as('ent@t');
select public.record_progress(tests.lesson_id('course-a', t), true) from unnest(array['l1', 'l2', 'l3']) t;
select is((select count(*) from public.certificates), 0::bigint, 'no certificate before the course is complete');
select public.record_progress(tests.lesson_id('course-a', 'l4'), true);
select tests.clear_authentication();
insert into cert_ids select 'ent', id from public.certificates where user_id = tests.user_id('ent@t');

select is((select count(*) from public.certificates where user_id = tests.user_id('ent@t')), 1::bigint,
  'completing the course issued one certificate');
select results_eq(
  $$ select holder_name, course_title, issuer_name, course_id from public.certificates where id = (select id from cert_ids where who = 'ent') $$,
  $$ values ('Erin Entitled', 'Postgres for Web Developers', 'Olivia Owner', tests.course_id('course-a')) $$,
  'the certificate names the holder, the course and its owner as they are now');
select matches((select serial from public.certificates where id = (select id from cert_ids where who = 'ent')),
  '^[0-9A-F]{4}(-[0-9A-F]{4}){5}$', 'the serial is 96 random bits in six groups of four hex digits');
select ok((select issued_at = now() and revoked_at is null and pdf_path is null
           from public.certificates where id = (select id from cert_ids where who = 'ent')),
  'issued now, valid, no PDF yet');
select is((select count(*) from public.notifications
           where user_id = tests.user_id('ent@t') and kind = 'certificate_issued'
             and link = '/certificates/' || (select serial from public.certificates c join cert_ids i on i.id = c.id and i.who = 'ent')),
  1::bigint, 'the holder is notified, with a link to the certificate');
select is((select count(*) from private.email_outbox
           where to_user_id = tests.user_id('ent@t') and template = 'certificate_issued'
             and payload ->> 'course_title' = 'Postgres for Web Developers'),
  1::bigint, 'and emailed');

-- The rule fires again: the progress refreshed, a lesson recorded again, completion cleared and set.
select private.refresh_course_progress(tests.user_id('ent@t'), tests.course_id('course-a'), null);
select tests.authenticate_as('ent@t');
select public.record_progress(tests.lesson_id('course-a', 'l1'), true, 30);
select tests.clear_authentication();
update public.course_progress set completed_at = null where user_id = tests.user_id('ent@t');
select private.refresh_course_progress(tests.user_id('ent@t'), tests.course_id('course-a'), null);
select is((select count(*) from public.certificates where user_id = tests.user_id('ent@t')), 1::bigint,
  'issued once, however often the rule fires');
select is((select count(*) from public.notifications where user_id = tests.user_id('ent@t') and kind = 'certificate_issued'),
  1::bigint, 'and notified once');
select is((select count(*) from public.certificates where user_id = tests.user_id('drip@t')), 0::bigint,
  'a student who has not completed the course has none');

-- A second certificate (drip@t completes too): another serial, the next status index.
update public.lessons set drip_days = null where title = 'l3';
select tests.authenticate_as('drip@t');
select public.record_progress(tests.lesson_id('course-a', t), true) from unnest(array['l1', 'l2', 'l3', 'l4']) t;
select tests.clear_authentication();
insert into cert_ids select 'drip', id from public.certificates where user_id = tests.user_id('drip@t');
select isnt((select serial from public.certificates where id = (select id from cert_ids where who = 'drip')),
  (select serial from public.certificates where id = (select id from cert_ids where who = 'ent')), 'serials differ');
select cmp_ok((select status_index from public.certificates where id = (select id from cert_ids where who = 'drip')), '>',
  (select status_index from public.certificates where id = (select id from cert_ids where who = 'ent')),
  'each certificate has its own status list index');

-- ---------------------------------------------------------------- no client writes
select tests.authenticate_as('ent@t');
select throws_ok($$ insert into public.certificates (serial, user_id, course_id, holder_name, course_title, issuer_name)
                    values ('AAAA-AAAA-AAAA-AAAA-AAAA-AAAA', auth.uid(), tests.course_id('course-b'), 'Me', 'Free Intro to CSS', 'Me') $$,
  '42501', 'permission denied for table certificates', 'a student can''t issue themselves a certificate');
select throws_ok($$ update public.certificates set holder_name = 'Someone Else' $$,
  '42501', 'permission denied for table certificates', 'a holder can''t change their certificate');
select throws_ok($$ delete from public.certificates $$,
  '42501', 'permission denied for table certificates', 'nor delete it');
select tests.authenticate_as('own@t');
select throws_ok($$ update public.certificates set revoked_at = null $$,
  '42501', 'permission denied for table certificates', 'the course''s instructor can''t change one either');
select tests.authenticate_as('admin@t');
select throws_ok($$ insert into public.certificates (serial, user_id, course_id, holder_name, course_title, issuer_name)
                    values ('AAAA-AAAA-AAAA-AAAA-AAAA-AAAA', auth.uid(), tests.course_id('course-b'), 'Me', 'Free Intro to CSS', 'Me') $$,
  '42501', 'permission denied for table certificates', 'nor can an admin write one by hand');
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.certificates $$,
  '42501', 'permission denied for table certificates', 'anon reads no certificate row');

-- ---------------------------------------------------------------- who reads certificates
select tests.authenticate_as('ent@t');
select is((select array_agg(id) from public.certificates), array[(select id from cert_ids where who = 'ent')],
  'the holder reads their own certificate only');
select tests.authenticate_as('none@t');
select is((select count(*) from public.certificates), 0::bigint, 'a student without access reads none');
select tests.authenticate_as('own@t');
select is((select count(*) from public.certificates where course_id = tests.course_id('course-a')), 2::bigint,
  'the course''s instructor reads their course''s certificates');
select is((select count(*) from public.certificates where course_id <> tests.course_id('course-a')), 0::bigint,
  'and no other course''s (the seed''s certificates included)');
select tests.authenticate_as('other@t');
select is((select count(*) from public.certificates), 0::bigint, 'another course''s instructor reads none');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.certificates where course_id = tests.course_id('course-a')), 2::bigint,
  'an admin reads every certificate');

-- ---------------------------------------------------------------- verify_certificate (anyone)
select tests.clear_authentication();
create temporary table ent_serial as select serial from public.certificates where id = (select id from cert_ids where who = 'ent');
grant select on ent_serial to anon, authenticated;
select tests.authenticate_as_anon();
select is((select to_jsonb(v) - 'issued_at' from public.verify_certificate((select serial from ent_serial)) v),
  jsonb_build_object('holder_name', 'Erin Entitled', 'course_title', 'Postgres for Web Developers',
                     'issuer', 'Olivia Owner', 'status', 'valid', 'revoked_at', null),
  'anon verifies a certificate: holder, course, issuer, status and nothing else');
select ok((select issued_at = now() from public.verify_certificate((select serial from ent_serial))), 'and its issue date');
select is((select status from public.verify_certificate(lower(' ' || (select serial from ent_serial) || ' '))), 'valid',
  'the serial is read in any case, surrounding spaces ignored');
select throws_ok($$ select * from public.verify_certificate('0000-0000-0000-0000-0000-0000') $$,
  'PT404', 'certificate not found', 'an unknown serial reveals nothing');
select throws_ok($$ select * from public.verify_certificate('not a serial; drop table x') $$,
  'PT404', 'certificate not found', 'a malformed serial gets the same answer');
select throws_ok($$ select * from public.verify_certificate(null) $$,
  'PT404', 'certificate not found', 'so does no serial');
select is(tests.error_detail($$ select * from public.verify_certificate('0000') $$), 'certificate_not_found',
  'the machine code is certificate_not_found');
select tests.authenticate_as('none@t');
select is((select holder_name from public.verify_certificate((select serial from ent_serial))), 'Erin Entitled',
  'any signed-in user verifies too');

-- ---------------------------------------------------------------- revoking (admins)
select tests.authenticate_as_anon();
select throws_ok($$ select public.revoke_certificate((select id from cert_ids where who = 'ent'), 'fraud') $$,
  '42501', 'permission denied for function revoke_certificate', 'anon can''t revoke');
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.revoke_certificate((select id from cert_ids where who = 'ent'), 'fraud') $$,
  '42501', 'only admins can revoke certificates', 'the holder can''t revoke');
select tests.authenticate_as('none@t');
select throws_ok($$ select public.revoke_certificate((select id from cert_ids where who = 'ent'), 'fraud') $$,
  '42501', 'only admins can revoke certificates', 'a student without access can''t');
select tests.authenticate_as('own@t');
select throws_ok($$ select public.revoke_certificate((select id from cert_ids where who = 'ent'), 'fraud') $$,
  '42501', 'only admins can revoke certificates', 'the course''s instructor can''t');
select tests.authenticate_as('other@t');
select throws_ok($$ select public.revoke_certificate((select id from cert_ids where who = 'ent'), 'fraud') $$,
  '42501', 'only admins can revoke certificates', 'another instructor can''t');
select is(tests.error_detail($$ select public.revoke_certificate((select id from cert_ids where who = 'ent'), 'fraud') $$),
  'admin_only', 'the machine code is admin_only');
select tests.authenticate_as('admin@t');
select throws_ok($$ select public.revoke_certificate((select id from cert_ids where who = 'ent'), '  ') $$,
  '22023', 'give a reason for the revocation (at most 500 characters)', 'a reason is required');
select throws_ok($$ select public.revoke_certificate((select id from cert_ids where who = 'ent'), repeat('x', 501)) $$,
  '22023', 'give a reason for the revocation (at most 500 characters)', 'of at most 500 characters');
select throws_ok($$ select public.revoke_certificate('00000000-0000-4000-8000-000000000000', 'fraud') $$,
  'PT404', 'certificate not found', 'an unknown certificate');
select is((select revoked_at from public.certificates where id = (select id from cert_ids where who = 'ent')), null,
  'nothing was revoked by the refused calls');

select tests.clear_authentication();
select is((select revoked from public.certificate_status_list(0)) @> array[(select status_index from public.certificates c join cert_ids i on i.id = c.id and i.who = 'ent')],
  false, 'a valid certificate''s bit is not set in its status list');
select tests.authenticate_as('admin@t');
select is((select (r).revocation_reason from (select public.revoke_certificate((select id from cert_ids where who = 'ent'), ' Plagiarised final project ') r) x),
  'Plagiarised final project', 'an admin revokes with a reason');
select tests.clear_authentication();
select ok((select revoked_at = now() and revoked_by = tests.user_id('admin@t') and changed_at = now()
           from public.certificates where id = (select id from cert_ids where who = 'ent')),
  'the revocation is dated and signed by the admin');
select is((select count(*) from public.notifications where kind = 'certificate_revoked'
           and user_id in (tests.user_id('ent@t'), tests.user_id('own@t'))), 2::bigint,
  'the holder and the course owner are notified');
select is((select array_agg(payload ->> 'recipient' order by payload ->> 'recipient') from private.email_outbox
           where template = 'certificate_revoked' and payload ->> 'reason' = 'Plagiarised final project'
             and to_user_id in (tests.user_id('ent@t'), tests.user_id('own@t'))),
  array['holder', 'owner'], 'and emailed');
select is((select count(*) from public.audit_log where action = 'certificate.revoked'
           and target_id = (select id from cert_ids where who = 'ent')::text), 1::bigint, 'the revocation is audited');
select is((select revoked from public.certificate_status_list(0)) @> array[(select status_index from public.certificates c join cert_ids i on i.id = c.id and i.who = 'ent')],
  true, 'the revoked certificate''s bit is set in its status list');
select is((select size from public.certificate_status_list(0)), 131072, 'a status list holds 131,072 entries');
select is((select revoked from public.certificate_status_list(1)), '{}'::integer[], 'the next list has no revocation yet');

select tests.authenticate_as('admin@t');
select throws_ok($$ select public.revoke_certificate((select id from cert_ids where who = 'ent'), 'again') $$,
  'PT409', 'this certificate is already revoked', 'revocation is final: a second one is refused');
select tests.authenticate_as_anon();
select results_eq($$ select status, revoked_at from public.verify_certificate((select serial from ent_serial)) $$,
  $$ values ('revoked', now()) $$, 'verification says revoked, with the date, and not the reason');

-- ---------------------------------------------------------------- re-issuing (admins)
select tests.clear_authentication();
update public.profiles set display_name = 'Dora Dripping-Ñúñez' where id = tests.user_id('drip@t');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.reissue_certificate((select id from cert_ids where who = 'drip')) $$,
  '42501', 'only admins can re-issue certificates', 'the holder can''t re-issue');
select tests.authenticate_as('own@t');
select throws_ok($$ select public.reissue_certificate((select id from cert_ids where who = 'drip')) $$,
  '42501', 'only admins can re-issue certificates', 'the instructor can''t');
select tests.authenticate_as('admin@t');
select throws_ok($$ select public.reissue_certificate((select id from cert_ids where who = 'ent')) $$,
  'P0001', 'a revoked certificate cannot be re-issued', 'a revoked certificate stays revoked');
select throws_ok($$ select public.reissue_certificate('00000000-0000-4000-8000-000000000000') $$,
  'PT404', 'certificate not found', 'an unknown certificate');
select is((select (r).holder_name from (select public.reissue_certificate((select id from cert_ids where who = 'drip')) r) x),
  'Dora Dripping-Ñúñez', 'an admin re-issues a certificate with the holder''s name as it is now');

-- ---------------------------------------------------------------- the PDF's state (service role)
select tests.authenticate_as_service_role();
select is(public.certificate_pdf_saved((select id from cert_ids where who = 'drip'), 'x/stale.pdf', now() - interval '1 day'),
  false, 'a PDF of an earlier state is not recorded');
select is(public.certificate_pdf_saved((select id from cert_ids where who = 'drip'), 'x/current.pdf',
  (select changed_at from public.certificates where id = (select id from cert_ids where who = 'drip'))),
  true, 'a PDF of the current state is');
select tests.clear_authentication();
select is((select pdf_path from public.certificates where id = (select id from cert_ids where who = 'drip')), 'x/current.pdf',
  'and its path kept');

-- ---------------------------------------------------------------- the private bucket
select ok((select not public from storage.buckets where id = 'certificates'), 'the certificates bucket is private');
insert into storage.objects (bucket_id, name, owner_id) values ('certificates', (select id from cert_ids where who = 'drip') || '/x.pdf', tests.user_id('drip@t')::text);
select tests.authenticate_as('drip@t');
select is((select count(*) from storage.objects where bucket_id = 'certificates'), 0::bigint,
  'not even the holder lists or reads the bucket (the function signs a URL)');
select throws_ok($$ insert into storage.objects (bucket_id, name) values ('certificates', 'forged.pdf') $$,
  '42501', 'new row violates row-level security policy for table "objects"', 'nor writes a file into it');

select * from finish();
rollback;
