-- Cross-cutting (no migration of its own): rules over the whole schema, whichever migration wrote it.
-- Security meta-tests: rules every table and function must follow, checked over the whole schema
-- so later migrations can't forget them.
begin;
select plan(10);

-- The schemas the Data API can reach are the ones config.toml's [api].schemas lists (the project's
-- API settings when hosted), which no database setting records. What the API can use of ours is
-- what anon and authenticated have USAGE on, outside Supabase's own schemas and our pgTAP helpers;
-- scripts/api_schemas_test.ts checks that config.toml exposes exactly that, plus graphql_public.
create temporary table platform_schemas (name text) on commit drop;
insert into platform_schemas values ('information_schema'), ('auth'), ('storage'), ('realtime'), ('extensions'),
  ('graphql'), ('graphql_public'), ('cron'), ('net'), ('vault'), ('pgbouncer'), ('pgsodium'), ('pgsodium_masks'),
  ('supabase_functions'), ('supabase_migrations'), ('tests');
create temporary table exposed_schemas on commit drop as
  select n.nspname::text as name from pg_namespace n
  where n.nspname !~ '^pg_' and n.nspname not in (select name from platform_schemas)
    and (has_schema_privilege('anon', n.oid, 'usage') or has_schema_privilege('authenticated', n.oid, 'usage'));
create temporary table our_schemas on commit drop as
  select name from exposed_schemas union select 'private';

select is(array(select name from exposed_schemas order by name), array['public'],
  'public is the one schema of ours the API roles may use');

select is_empty($$
  select format('%I.%I', n.nspname, c.relname)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p') and n.nspname in (select name from exposed_schemas)
    and not c.relrowsecurity
$$, 'every table in an exposed schema has RLS enabled');

select is_empty($$
  select format('%I.%I', n.nspname, c.relname)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p') and n.nspname in (select name from exposed_schemas)
    and not exists (select 1 from pg_policy p where p.polrelid = c.oid)
$$, 'every table in an exposed schema has at least one policy');

select is_empty($$
  select format('%I.%I: %s', n.nspname, c.relname, priv)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  cross join unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) priv
  where c.relkind in ('r', 'p', 'v', 'm') and n.nspname in (select name from our_schemas)
    and has_table_privilege('anon', c.oid, priv)
$$, 'anon holds no insert, update, delete or truncate grant on any of our tables');

select is_empty($$
  select format('%I.%I: %s', n.nspname, c.relname, priv)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  cross join unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) priv
  where c.relkind in ('r', 'p') and n.nspname in (select name from exposed_schemas)
    and has_table_privilege('anon', c.oid, priv)
  union all
  select format('%I.%I.%I: %s', n.nspname, c.relname, a.attname, priv)
  from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
  cross join unnest(array['INSERT', 'UPDATE']) priv
  where c.relkind in ('r', 'p') and n.nspname in (select name from exposed_schemas) and a.attnum > 0
    and not a.attisdropped and has_column_privilege('anon', c.oid, a.attnum, priv)
$$, 'anon cannot write any column of an exposed table either');

select is_empty($$
  select p.oid::regprocedure::text
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in (select name from our_schemas)
    and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
    and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
$$, 'every function in our schemas has a fixed search_path');

-- Security definer functions the API roles may execute, and why each one is safe: one row a function
-- and role, alike on purpose (the list is the reviewed allow-list).
create temporary table definer_allow_list (name text, role text, reason text) on commit drop;
insert into definer_allow_list values
  ('public.grant_role', 'authenticated', 'admin-only RPC; require_admin() checks user_roles, not the token'),
  ('public.revoke_role', 'authenticated', 'admin-only RPC; require_admin(); refuses to remove the last admin'),
  ('public.admin_grant_course_access', 'authenticated', 'admin-only RPC; require_admin(); audited'),
  ('public.admin_revoke_course_access', 'authenticated', 'admin-only RPC; require_admin(); audited'),
  ('public.set_review_hidden', 'authenticated', 'admin-only RPC; require_admin(); audited'),
  ('public.enrol_free', 'authenticated', 'enrols only the caller, only in free published courses'),
  ('public.add_course_instructor', 'authenticated', 'course owner or admin only; target must be an instructor'),
  ('public.remove_course_instructor', 'authenticated', 'course owner or admin only; never the owner'),
  ('public.record_progress', 'authenticated', 'writes only the caller''s progress, only for open lessons they can access'),
  ('public.course_outline', 'anon', 'outline of a course the caller may see; raises not found otherwise'),
  ('public.course_outline', 'authenticated', 'outline of a course the caller may see, with their own state'),
  ('public.my_dashboard', 'authenticated', 'returns only the caller''s own courses and progress'),
  ('public.search_courses', 'anon', 'read-only; returns published, non-deleted courses only (public rows)'),
  ('public.search_courses', 'authenticated', 'read-only; returns published, non-deleted courses only (public rows)'),
  ('private.is_admin', 'authenticated', 'policy helper: whether the caller holds the admin role (reads user_roles, whose own policy calls it)'),
  ('private.is_instructor', 'authenticated', 'policy helper: whether the caller holds the instructor or admin role'),
  ('private.staffed_course_ids', 'authenticated', 'policy helper: the caller''s own course ids (teaching or hosting)'),
  ('private.entitled_course_ids', 'authenticated', 'policy helper: the caller''s own course ids (breaks RLS recursion)'),
  ('private.managed_course_ids', 'authenticated', 'policy helper: the caller''s own course ids, all for admins (breaks RLS recursion)'),
  ('private.accessible_course_ids', 'authenticated', 'policy helper: union of the two above'),
  ('private.has_course_access', 'anon', 'policy helper: a boolean about the caller only'),
  ('private.has_course_access', 'authenticated', 'policy helper: a boolean about the caller only'),
  ('private.lesson_is_open', 'authenticated', 'policy helper: a boolean about the caller only'),
  ('private.hosted_session_ids', 'authenticated', 'policy helper: the caller''s own session ids (breaks RLS recursion)'),
  ('private.registered_session_ids', 'authenticated', 'policy helper: the caller''s own session ids'),
  ('private.managed_session_ids', 'authenticated', 'policy helper: the caller''s own session ids, all for admins'),
  ('private.can_manage_session', 'authenticated', 'policy helper: a boolean about the caller only'),
  ('public.register_for_session', 'authenticated', 'registers only the caller; free or own-course sessions; capacity under lock'),
  ('public.cancel_registration', 'authenticated', 'cancels only the caller''s own registration'),
  ('public.session_join_link', 'authenticated', 'hosts and admins; registrants with access now (private.join_role), inside the join window; raises otherwise'),
  ('public.zoom_session', 'authenticated', 'returns a session only to those who may manage it; raises otherwise'),
  ('public.zoom_join_info', 'authenticated', 'the caller''s own join data, only when private.join_role() lets them join now; raises otherwise'),
  ('public.quote_offer', 'authenticated', 'read-only price computation; reads coupons shoppers may not list, reveals no code'),
  ('private.managed_offer_ids', 'authenticated', 'policy helper: the caller''s own offer ids (all for admins)'),
  ('private.owner_sells_offer', 'authenticated', 'policy helper: a boolean about the caller only, from the offer''s own values'),
  ('public.request_refund', 'authenticated', 'admin-only RPC; require_admin(); audited; Stripe confirms before access is revoked'),
  ('public.create_order', 'authenticated', 'the caller''s own pending order at the database price; grants nothing unless the total is 0'),
  ('public.submit_assignment', 'authenticated', 'the caller''s own submission, with access, the lesson open, before the cut-off, files from their own folder'),
  ('public.grade_submission', 'authenticated', 'the course''s staff and admins only (can_manage_course), never their own submission'),
  ('private.may_upload_submission', 'authenticated', 'storage policy helper: a boolean about the caller''s own folder only'),
  ('public.save_question', 'authenticated', 'the course''s staff only (can_manage_course); writes the key to private.question_keys'),
  ('public.question_bank', 'authenticated', 'the course''s staff only (can_manage_course); the keys of their own course'),
  ('public.start_attempt', 'authenticated', 'the caller''s own attempt; access, lesson state, window and attempts checked under a (user, quiz) lock; no keys'),
  ('public.save_answer', 'authenticated', 'the caller''s own attempt in progress, before its deadline; never reads a key'),
  ('public.submit_attempt', 'authenticated', 'the caller''s own attempt; reveals only what the quiz''s settings allow'),
  ('public.attempt_review', 'authenticated', 'the caller''s own attempt (what the settings allow) or the staff''s course''s'),
  ('public.grade_answer', 'authenticated', 'the course''s staff only (can_manage_course), never their own answers'),
  ('public.quiz_item_stats', 'authenticated', 'the course''s staff only (can_manage_course); aggregates'),
  ('public.verify_certificate', 'anon', 'read-only; the public fields of one certificate by its unguessable serial; unknown and malformed alike raise not found'),
  ('public.verify_certificate', 'authenticated', 'read-only; the public fields of one certificate by its unguessable serial'),
  ('public.revoke_certificate', 'authenticated', 'admin-only RPC; require_admin(); audited'),
  ('public.reissue_certificate', 'authenticated', 'admin-only RPC; require_admin(); audited'),
  ('public.gradebook', 'authenticated', 'read-only; the course''s staff (can_manage_course) read its students, a student only their own row'),
  ('public.gradebook_items', 'authenticated', 'read-only; the course''s graded lessons and weights, for its staff and its students only'),
  ('public.gradebook_csv', 'authenticated', 'read-only; the course''s staff only (can_manage_course)'),
  ('public.ask_doubt', 'authenticated', 'the caller''s own question, in a course they have access to, about a lesson open to them'),
  ('public.edit_doubt', 'authenticated', 'the caller''s own question, within the edit window, not locked or hidden; files from their own folder'),
  ('public.answer_doubt', 'authenticated', 'a question the caller may read and post in (private.doubt_post_refusal); files from their own folder'),
  ('public.edit_doubt_answer', 'authenticated', 'the caller''s own answer, within the edit window, not moderated'),
  ('public.accept_doubt_answer', 'authenticated', 'the asker or the course''s staff (can_manage_course), on a question they may read'),
  ('public.vote_doubt', 'authenticated', 'the caller''s own vote, once, on a post they may read, never their own'),
  ('public.moderate_doubt', 'authenticated', 'the course''s staff and admins only (can_manage_course); audited'),
  ('public.search_doubts', 'authenticated', 'read-only; a course the caller has access to, only the questions the read policy shows them'),
  ('private.may_upload_doubt_file', 'authenticated', 'storage policy helper: a boolean about the caller''s own folder only'),
  ('private.may_read_doubt_file', 'authenticated', 'storage policy helper: a boolean about a post the caller may read'),
  ('public.send_feedback', 'authenticated', 'writes only the caller''s own feedback (require_signed_in)'),
  ('public.triage_feedback', 'authenticated', 'admin-only RPC; require_admin(); audited'),
  ('private.chat_readable_channel_ids', 'authenticated', 'policy helper: the caller''s own channel ids (their courses'' channels, all course channels for admins, their direct channels)'),
  ('private.may_upload_chat_file', 'authenticated', 'storage policy helper: a boolean about the caller''s own folder of a channel they may post in'),
  ('private.may_receive_chat_topic', 'authenticated', 'Realtime policy helper: a boolean about the caller and one topic'),
  ('private.may_send_chat_topic', 'authenticated', 'Realtime policy helper: a boolean about the caller and one topic'),
  ('public.open_direct_channel', 'authenticated', 'only with a user the caller is linked to (course staff and student, subscription); same error for unknown users'),
  ('public.mark_chat_read', 'authenticated', 'the caller''s own read marker, in a channel they read'),
  ('public.mute_chat_member', 'authenticated', 'the course''s staff and admins only (can_manage_course), never staff; audited'),
  ('public.send_chat_message', 'authenticated', 'as the caller, in a channel they may post in now (private.chat_refusal), files from their own folder'),
  ('public.edit_chat_message', 'authenticated', 'the author only, within 15 minutes, while they may post'),
  ('public.delete_chat_message', 'authenticated', 'the author, or the course''s staff and admins (can_manage_course); audited'),
  ('public.my_chat_channels', 'authenticated', 'read-only; the caller''s own readable channels and their own markers'),
  ('public.check_request', 'anon', 'PostgREST''s db-pre-request hook: takes from the caller''s own rate limit only'),
  ('public.check_request', 'authenticated', 'PostgREST''s db-pre-request hook: takes from the caller''s own rate limit only'),
  ('public.verify_audit_chain', 'authenticated', 'admin-only RPC; require_admin(); reads the audit log only');

select is_empty($$
  select n.nspname || '.' || p.proname || ' executable by ' || r
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  cross join unnest(array['anon', 'authenticated']) r
  where n.nspname in (select name from our_schemas) and p.prosecdef
    and has_function_privilege(r, p.oid, 'execute')
    and (n.nspname || '.' || p.proname, r) not in (select a.name, a.role from definer_allow_list a)
$$, 'no security definer function is executable by anon or authenticated unless allow-listed');

select ok(not has_schema_privilege('anon', 'private', 'usage') and not has_schema_privilege('authenticated', 'private', 'usage'),
  'API roles have no USAGE on the private schema');

select is_empty($$
  select p.oid::regprocedure::text
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in (select name from our_schemas)
    and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
    and has_function_privilege('public', p.oid, 'execute')
$$, 'PUBLIC may execute none of our functions: each one is granted on purpose');

-- PostgREST answers 500 to every P0xxx but P0001, so "not found" is raised as PT404 (HTTP 404).
select is_empty($$
  select p.oid::regprocedure::text
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in (select name from our_schemas) and p.prosrc ~ 'P0002'
$$, 'no function of ours raises P0002, which PostgREST turns into a 500: not found is PT404');

select * from finish();
rollback;
