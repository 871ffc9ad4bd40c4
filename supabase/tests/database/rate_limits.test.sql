-- Rate limits: the config table, the token bucket and in-flight slots of private.take_token, the
-- db-pre-request hook's classification, admins' exemption, the reviews limit, grants.
begin;
select plan(50);
select tests.catalog_fixture();

-- ---------------------------------------------------------------- grants
select ok(not has_table_privilege('anon', 'public.rate_limits', 'select')
  and not has_table_privilege('anon', 'public.rate_limits', 'update'), 'anon: nothing on rate_limits');
select ok(has_table_privilege('authenticated', 'public.rate_limits', 'select')
  and not has_table_privilege('authenticated', 'public.rate_limits', 'insert')
  and not has_table_privilege('authenticated', 'public.rate_limits', 'delete'), 'authenticated: select, no insert or delete');
select ok(has_column_privilege('authenticated', 'public.rate_limits', 'capacity', 'update')
  and has_column_privilege('authenticated', 'public.rate_limits', 'refill_per_second', 'update')
  and not has_column_privilege('authenticated', 'public.rate_limits', 'kind', 'update')
  and not has_column_privilege('authenticated', 'public.rate_limits', 'bucket_class', 'update'),
  'only the numbers, exemption and description are editable: never the kind or the class');
select ok(not has_table_privilege('anon', 'private.rate_buckets', 'select')
  and not has_table_privilege('authenticated', 'private.rate_buckets', 'select')
  and not has_table_privilege('service_role', 'private.rate_buckets', 'select'), 'no API role reads the buckets');
select is((select relpersistence from pg_class where oid = 'private.rate_buckets'::regclass), 'u'::"char",
  'the buckets are an unlogged table');
select ok(not has_function_privilege('service_role', 'private.take_token(text, text, integer)', 'execute')
  and not has_function_privilege('authenticated', 'private.take_token(text, text, integer)', 'execute')
  and not has_function_privilege('anon', 'private.take_token(text, text, integer)', 'execute'),
  'private.take_token: no API role calls it directly');
select ok(has_function_privilege('service_role', 'public.take_rate_limit_token(text, text, integer)', 'execute')
  and not has_function_privilege('authenticated', 'public.take_rate_limit_token(text, text, integer)', 'execute')
  and not has_function_privilege('anon', 'public.take_rate_limit_token(text, text, integer)', 'execute'),
  'take_rate_limit_token: the service role (edge functions) only');
select ok(has_function_privilege('anon', 'public.check_request()', 'execute')
  and has_function_privilege('authenticated', 'public.check_request()', 'execute'),
  'the hook runs as the request''s role, anon or authenticated');

-- ---------------------------------------------------------------- the config, as admins see it
select is((select array_agg(bucket_class order by bucket_class) from public.rate_limits),
  array['chat_message', 'doubt', 'feedback', 'function:checkout', 'function:refund', 'read', 'review', 'search', 'start_attempt', 'write'],
  'one row a class of request');
select is((select array_agg(bucket_class order by bucket_class) from public.rate_limits where kind = 'in_flight'),
  array['read', 'search'], 'reads and the catalog search are limited by requests in flight');
select throws_ok($$ update public.rate_limits set refill_per_second = 1 where bucket_class = 'read' $$,
  '23514', 'new row for relation "rate_limits" violates check constraint "rate_limits_refill_valid"',
  'an in-flight class has no refill');
select throws_ok($$ update public.rate_limits set refill_per_second = 0.00001 where bucket_class = 'write' $$,
  '23514', 'new row for relation "rate_limits" violates check constraint "rate_limits_refill_valid"',
  'a bucket refills within a day (so idle buckets can be swept)');

select tests.authenticate_as('ent@t');
select is((select count(*) from public.rate_limits), 0::bigint, 'a student reads no limits');
select is(tests.affected_rows($q$ update public.rate_limits set capacity = 1000 $q$), 0::bigint, 'a student tunes nothing');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.rate_limits set capacity = 1000 $q$), 0::bigint, 'an instructor tunes nothing');
select tests.authenticate_as('admin@t');
select is((select count(*) from public.rate_limits), 10::bigint, 'an admin reads every limit');
select is(tests.affected_rows($q$ update public.rate_limits set capacity = 2, refill_per_second = 0.5 where bucket_class = 'write' $q$),
  1::bigint, 'an admin tunes a limit');
select throws_ok($$ update public.rate_limits set kind = 'bucket' where bucket_class = 'read' $$,
  '42501', 'permission denied for table rate_limits', 'not even an admin changes a class''s kind');
select tests.clear_authentication();

-- ---------------------------------------------------------------- the token bucket
-- 'write' is now 2 tokens, refilled at 0.5 a second; now() does not move inside this transaction.
select lives_ok($$ select private.take_token('write', 'subject-a') $$, 'a new bucket starts full: first token');
select lives_ok($$ select private.take_token('write', 'subject-a') $$, 'second token');
select throws_ok($$ select private.take_token('write', 'subject-a') $$,
  'PT429', 'Too many requests. Please wait a moment and try again.', 'an empty bucket refuses');
select is(tests.error_detail($$ select private.take_token('write', 'subject-a') $$), 'rate_limited',
  'its machine code');
select is((select tokens from private.rate_buckets where bucket_class = 'write' and subject = 'subject-a'), 0::double precision,
  'a refused request changed nothing');
select lives_ok($$ select private.take_token('write', 'subject-b') $$, 'each subject has its own bucket');
select tests.authenticate_as_service_role();
select lives_ok($$ select public.take_rate_limit_token('write', 'subject-b') $$, 'the service role takes through the public wrapper');
select throws_ok($$ select public.take_rate_limit_token('write', 'subject-b') $$,
  'PT429', 'Too many requests. Please wait a moment and try again.', 'and is refused the same way');
select tests.clear_authentication();
-- A minute ago the bucket had half a token: 30 s of refill (15 tokens) fill it to its capacity (2).
update private.rate_buckets set tokens = 0.5, updated_at = now() - interval '60 seconds'
where bucket_class = 'write' and subject = 'subject-a';
select lives_ok($$ select private.take_token('write', 'subject-a', 2) $$, 'refilled with time, up to the capacity');
select is((select tokens from private.rate_buckets where bucket_class = 'write' and subject = 'subject-a'), 0::double precision,
  'the cost is taken from the refilled bucket, capped at its capacity');
-- Half a token left 0 s ago: one more token is 1 s away at 0.5 a second... rounded up.
update private.rate_buckets set tokens = 0.25, updated_at = now() where bucket_class = 'write' and subject = 'subject-a';
create temporary table caught (hint text) on commit drop;
do $$
declare h text;
begin
  perform private.take_token('write', 'subject-a');
exception when sqlstate 'PT429' then
  get stacked diagnostics h = pg_exception_hint;
  insert into caught values (h);
end $$;
select is((select hint from caught), 'Retry after 2 seconds.', 'the hint says how long to wait: (1 - 0.25) / 0.5 s, rounded up');

select throws_ok($$ select private.take_token('nope', 'subject-a') $$,
  '22023', 'unknown rate limit class', 'an unknown class is refused');
select throws_ok($$ select private.take_token('write', 'subject-a', 3) $$,
  '22023', 'cost must be between 1 and the capacity of the class', 'a cost over the capacity is refused');
select throws_ok($$ select private.take_token('write', '') $$,
  '22023', 'a rate limit needs a subject', 'a subject is required');

-- Under PostgREST (request.method set) the same refusal is a PGRST error: status 429, Retry-After.
select set_config('request.method', 'POST', true);
select throws_ok($$ select private.take_token('write', 'subject-a') $$, 'PGRST',
  '{"code" : "PT429", "message" : "Too many requests. Please wait a moment and try again.", "details" : "rate_limited", "hint" : "Retry after 2 seconds."}',
  'under PostgREST: the PT429 body, and status 429 with a Retry-After header');
select is(tests.error_detail($$ select private.take_token('write', 'subject-a') $$),
  '{"status" : 429, "headers" : {"Retry-After" : "2"}}', 'the status and the header, for PostgREST');
select set_config('request.method', '', true);

-- ---------------------------------------------------------------- admins exempt, where the class says
update private.rate_buckets set tokens = 0, updated_at = now() where bucket_class = 'write';
insert into private.rate_buckets values ('write', tests.user_id('admin@t')::text, 0, now()),
  ('function:refund', tests.user_id('admin@t')::text, 0, now()), ('write', tests.user_id('own@t')::text, 0, now());
select lives_ok(format($$ select private.take_token('write', %L) $$, tests.user_id('admin@t')), 'an admin is exempt from the write limit');
select throws_ok(format($$ select private.take_token('write', %L) $$, tests.user_id('own@t')),
  'PT429', 'Too many requests. Please wait a moment and try again.', 'an instructor is not');
select throws_ok(format($$ select private.take_token('function:refund', %L) $$, tests.user_id('admin@t')),
  'PT429', 'Too many requests. Please wait a moment and try again.', 'refunds do not exempt admins');

-- ---------------------------------------------------------------- reviews (through the API only)
insert into private.rate_buckets values ('review', tests.user_id('ent@t')::text, 0, now());
select tests.authenticate_as('ent@t');
select throws_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 5) $$, tests.course_id('course-a')),
  'PT429', 'Too many requests. Please wait a moment and try again.', 'a student out of review tokens cannot review');
select tests.authenticate_as('drip@t');
select lives_ok(format($$ insert into public.reviews (course_id, rating) values (%L, 5) $$, tests.course_id('course-a')),
  'another student can');
select tests.clear_authentication();
select is((select count(*) from public.reviews r where r.user_id = tests.user_id('ent@t')), 0::bigint, 'the refused review was not written');

-- ---------------------------------------------------------------- the hook: whose budget, which class
-- As PostgREST calls it: the request's role, claims, method, path and headers set. A write takes a
-- token of the caller's bucket of its class; a read one of the caller's slots of its class.
delete from private.rate_buckets;
select tests.authenticate_as('ent@t');
select set_config('request.method', 'POST', true);
select set_config('request.path', '/rpc/start_attempt', true);
select lives_ok($$ select public.check_request() $$, 'the hook lets a write within the budget through');
select tests.clear_authentication();
select is(array(select bucket_class || ' ' || subject from private.rate_buckets),
  array['start_attempt ' || tests.user_id('ent@t')], 'start_attempt spends its own budget, the signed-in caller''s');
select set_config('request.method', 'POST', true);
select set_config('request.path', '/reviews', true);
select tests.authenticate_as_anon();
select set_config('request.headers', '{"x-forwarded-for": "203.0.113.7, 10.0.0.1"}', true);
select lives_ok($$ select public.check_request() $$, 'anon writes within its budget');
select set_config('request.headers', '{}', true);
select lives_ok($$ select public.check_request() $$, 'anon without a forwarded address');
select tests.authenticate_as_service_role();
select lives_ok($$ select public.check_request() $$, 'the service role');
select tests.clear_authentication();
select is(array(select bucket_class || ' ' || subject from private.rate_buckets where bucket_class = 'write' order by subject),
  array['write ip:203.0.113.7', 'write ip:unknown'],
  'other writes share the write budget; anon spends its client address''s; the service role is not limited');
update private.rate_buckets set tokens = 0 where subject = 'ip:unknown';
select tests.authenticate_as_anon();
select throws_ok($$ select public.check_request() $$, 'PGRST',
  '{"code" : "PT429", "message" : "Too many requests. Please wait a moment and try again.", "details" : "rate_limited", "hint" : "Retry after 2 seconds."}',
  'the hook refuses a write over the caller''s budget: 429, Retry-After');
select tests.clear_authentication();
-- PostgREST runs reads in READ ONLY transactions (the rest of this file too).
set transaction read only;
select tests.authenticate_as('ent@t');
select set_config('request.method', 'GET', true);
select set_config('request.path', '/rpc/search_courses', true);
select lives_ok($$ select public.check_request() $$, 'a search passes the hook in a read-only transaction');
select set_config('request.path', '/courses', true);
select lives_ok($$ select public.check_request() $$, 'so does a read');
select tests.clear_authentication();
select is(array(select l.objid::text from pg_locks l where l.locktype = 'advisory' and l.pid = pg_backend_pid() and l.objsubid = 2
                  and l.classid::int in (hashtext('search:' || tests.user_id('ent@t')), hashtext('read:' || tests.user_id('ent@t')))
                order by l.classid::int = hashtext('read:' || tests.user_id('ent@t'))),
  array['1', '1'], 'each holds a slot of its class (search, read) of the caller until the transaction ends');

select * from finish();
rollback;
