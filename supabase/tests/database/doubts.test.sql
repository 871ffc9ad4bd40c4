-- Q&A (doubts): who asks, reads, answers, accepts, votes, edits, moderates, deletes and searches,
-- for the six personas, with every denial.
begin;
select plan(114);
select tests.catalog_fixture();

create temporary table ids (k text primary key, id uuid) on commit drop;
grant select, insert on ids to anon, authenticated;
create function pg_temp.d(k text) returns uuid language sql as $$ select id from ids where ids.k = d.k $$;
-- The titles of course-a's questions the current role reads, sorted.
create function pg_temp.titles() returns text[] language sql as $$
  select coalesce(array_agg(title order by title), '{}') from public.doubts where course_id = tests.course_id('course-a')
$$;
-- The bodies of a question's answers the current role reads, sorted.
create function pg_temp.answers(k text) returns text[] language sql as $$
  select coalesce(array_agg(body order by body), '{}') from public.doubt_answers where doubt_id = pg_temp.d(k)
$$;
grant execute on function pg_temp.d(text), pg_temp.titles(), pg_temp.answers(text) to anon, authenticated;

-- ---------------------------------------------------------------- grants
select ok(has_table_privilege('authenticated', 'public.doubts', 'select')
          and has_table_privilege('authenticated', 'public.doubts', 'delete')
          and not has_table_privilege('authenticated', 'public.doubts', 'insert')
          and not has_table_privilege('authenticated', 'public.doubts', 'update')
          and not has_table_privilege('authenticated', 'public.doubt_answers', 'insert')
          and not has_table_privilege('authenticated', 'public.doubt_answers', 'update')
          and not has_table_privilege('authenticated', 'public.doubt_votes', 'insert')
          and not has_table_privilege('authenticated', 'public.doubt_votes', 'update'),
  'authenticated reads and deletes posts and votes; every write goes through an RPC');
select ok(not has_table_privilege('anon', 'public.doubts', 'select') and not has_table_privilege('anon', 'public.doubt_answers', 'select')
          and not has_table_privilege('anon', 'public.doubt_votes', 'select'), 'anon holds no grant on the Q&A tables');
select ok(has_column_privilege('authenticated', 'public.courses', 'doubts_peer_answers', 'update'),
  'instructors may change the course''s peer-answers setting (RLS: their own courses)');
select is(array(select p.proname::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                where n.nspname = 'public' and p.proname in ('ask_doubt', 'edit_doubt', 'answer_doubt', 'edit_doubt_answer',
                  'accept_doubt_answer', 'vote_doubt', 'moderate_doubt', 'search_doubts')
                  and has_function_privilege('authenticated', p.oid, 'execute')
                  and not has_function_privilege('anon', p.oid, 'execute') order by 1),
  array['accept_doubt_answer', 'answer_doubt', 'ask_doubt', 'edit_doubt', 'edit_doubt_answer', 'moderate_doubt',
        'search_doubts', 'vote_doubt'],
  'every Q&A RPC is for authenticated, none for anon');
select ok(not has_function_privilege('authenticated', 'private.doubt_visible(public.doubts)', 'execute')
          and not has_function_privilege('authenticated', 'private.send_doubt_digests()', 'execute'),
  'the private helpers are not the API''s');

-- ---------------------------------------------------------------- asking
select tests.authenticate_as('ent@t');
select lives_ok($$ insert into ids select 'pub', id from public.ask_doubt(tests.course_id('course-a'),
  'Why does my policy hide every row?', 'I enabled RLS and now select returns nothing.', tests.lesson_id('course-a', 'l2')) $$,
  'a student with access asks about an open lesson');
select lives_ok($$ insert into ids select 'priv', id from public.ask_doubt(tests.course_id('course-a'),
  'Can I get more time?', 'I was ill this week.', null, 'staff') $$,
  'and asks the staff privately');
select is((select row(author_name, visibility, user_id = tests.user_id('ent@t'), answer_count, vote_count)::text
           from public.doubts where id = pg_temp.d('pub')),
  row('Erin Entitled', 'course'::public.doubt_visibility, true, 0, 0)::text, 'the question records its author''s name');
select throws_ok($$ select public.ask_doubt(tests.course_id('course-a'), 'Later lesson?', 'body', tests.lesson_id('course-a', 'l4')) $$,
  'P0001', 'this lesson is not open yet', 'not about a lesson that is not open for them yet');
select is(tests.error_detail($$ select public.ask_doubt(tests.course_id('course-a'), 'Later lesson?', 'body', tests.lesson_id('course-a', 'l4')) $$),
  'lesson_not_open', 'machine code lesson_not_open');
select throws_ok($$ select public.ask_doubt(tests.course_id('course-a'), 'Other course?', 'body', tests.lesson_id('course-b', 'b1')) $$,
  '22023', 'that lesson is not part of this course', 'nor about another course''s lesson');
select throws_ok($$ select public.ask_doubt(tests.course_id('course-a'), 'ab', 'body') $$,
  '22023', 'a title takes 3 to 200 characters', 'a title is 3 to 200 characters');
select throws_ok($$ select public.ask_doubt(tests.course_id('course-a'), 'A title', '   ') $$,
  '22023', 'a post takes 1 to 20000 characters', 'a body is not blank');
select throws_ok($$ select public.ask_doubt(tests.course_id('course-a'), null, 'body') $$,
  '22023', 'a question needs a title and a body', 'a title is required');
select throws_ok($$ select public.ask_doubt('00000000-0000-4000-8000-000000000000', 'A title', 'body') $$,
  'PT404', 'course not found', 'an unknown course is not found');
select tests.authenticate_as('none@t');
select throws_ok($$ select public.ask_doubt(tests.course_id('course-a'), 'Can I ask?', 'body') $$,
  '42501', 'you do not have access to this course', 'a student without access cannot ask');
select tests.authenticate_as('other@t');
select throws_ok($$ select public.ask_doubt(tests.course_id('course-a'), 'Can I ask?', 'body') $$,
  '42501', 'you do not have access to this course', 'nor another course''s instructor');
select tests.authenticate_as_anon();
select throws_ok($$ select public.ask_doubt(tests.course_id('course-a'), 'Can I ask?', 'body') $$,
  '42501', 'permission denied for function ask_doubt', 'nor anon');
select tests.authenticate_as('drip@t');
select lives_ok($$ insert into ids select 'drip', id from public.ask_doubt(tests.course_id('course-a'),
  'Is a view checked with RLS?', 'Views run as their owner, right?') $$, 'another student asks too');

-- ---------------------------------------------------------------- readers: the six personas
select tests.authenticate_as('ent@t');
select is(pg_temp.titles(), array['Can I get more time?', 'Is a view checked with RLS?', 'Why does my policy hide every row?'],
  'the asker reads the course''s questions and their private one');
select tests.authenticate_as('drip@t');
select is(pg_temp.titles(), array['Is a view checked with RLS?', 'Why does my policy hide every row?'],
  'another student does not see a question asked privately to staff');
select tests.authenticate_as('none@t');
select is(pg_temp.titles(), '{}'::text[], 'a student without access reads none');
select tests.authenticate_as_anon();
select throws_ok($$ select pg_temp.titles() $$, '42501', 'permission denied for table doubts', 'anon reads none');
select tests.authenticate_as('own@t');
select is(cardinality(pg_temp.titles()), 3, 'the course''s instructor reads all of them');
select tests.authenticate_as('other@t');
select is(pg_temp.titles(), '{}'::text[], 'another course''s instructor reads none');
select tests.authenticate_as('admin@t');
select is(cardinality(pg_temp.titles()), 3, 'an admin reads all of them');

-- ---------------------------------------------------------------- answering
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.answer_doubt(pg_temp.d('pub'), 'Add a policy for select.') $$,
  '42501', 'only the course''s staff answer questions in this course', 'students do not answer each other unless the course allows it');
select throws_ok($$ select public.answer_doubt(pg_temp.d('priv'), 'Sure.') $$,
  'PT404', 'question not found', 'a private question is not found by another student');
select tests.authenticate_as('own@t');
select lives_ok($$ insert into ids select 'a_own', id from public.answer_doubt(pg_temp.d('pub'), 'RLS denies by default: add a select policy.') $$,
  'the course''s instructor answers');
select is((select by_staff from public.doubt_answers where id = pg_temp.d('a_own')), true, 'flagged as a staff answer');
select lives_ok($$ update public.courses set doubts_peer_answers = true where id = tests.course_id('course-a') $$,
  'the instructor lets students answer each other');
select tests.authenticate_as('drip@t');
select lives_ok($$ insert into ids select 'a_drip', id from public.answer_doubt(pg_temp.d('pub'), 'Check auth.uid() is not null.') $$,
  'then another student answers');
select is((select by_staff from public.doubt_answers where id = pg_temp.d('a_drip')), false, 'not a staff answer');
select tests.authenticate_as('ent@t');
select lives_ok($$ insert into ids select 'a_ent', id from public.answer_doubt(pg_temp.d('pub'), 'Thanks, that was it.') $$,
  'the asker follows up');
select throws_ok($$ select public.answer_doubt(pg_temp.d('pub'), '') $$, '22023', 'a post takes 1 to 20000 characters',
  'an empty answer is refused');
select tests.authenticate_as('other@t');
select throws_ok($$ select public.answer_doubt(pg_temp.d('pub'), 'Let me help.') $$, 'PT404', 'question not found',
  'another course''s instructor cannot answer');
select tests.authenticate_as('none@t');
select throws_ok($$ select public.answer_doubt(pg_temp.d('pub'), 'Let me help.') $$, 'PT404', 'question not found',
  'nor a student without access');
select is(pg_temp.answers('pub'), '{}'::text[], 'who cannot read a question reads none of its answers');
select tests.authenticate_as('drip@t');
select is(cardinality(pg_temp.answers('pub')), 3, 'a reader of the question reads its answers');
select is((select answer_count from public.doubts where id = pg_temp.d('pub')), 3, 'the question counts them');

-- ---------------------------------------------------------------- accepting
select throws_ok($$ select public.accept_doubt_answer(pg_temp.d('pub'), pg_temp.d('a_drip')) $$,
  '42501', 'only the asker or the course''s staff accept an answer', 'another student cannot accept');
select tests.authenticate_as('ent@t');
select is((select accepted_answer_id from public.accept_doubt_answer(pg_temp.d('pub'), pg_temp.d('a_own'))), pg_temp.d('a_own'),
  'the asker accepts an answer');
select throws_ok($$ select public.accept_doubt_answer(pg_temp.d('drip'), pg_temp.d('a_own')) $$,
  '42501', 'only the asker or the course''s staff accept an answer', 'not on someone else''s question');
select tests.authenticate_as('own@t');
select throws_ok($$ select public.accept_doubt_answer(pg_temp.d('drip'), pg_temp.d('a_own')) $$,
  'PT404', 'answer not found', 'an answer of another question is not found');
select is((select accepted_answer_id from public.accept_doubt_answer(pg_temp.d('pub'), pg_temp.d('a_drip'))), pg_temp.d('a_drip'),
  'staff accept another (one accepted answer at a time)');
select is((select accepted_answer_id from public.accept_doubt_answer(pg_temp.d('pub'), null)), null::uuid, 'or none');
select tests.authenticate_as('ent@t');
select lives_ok($$ select public.accept_doubt_answer(pg_temp.d('pub'), pg_temp.d('a_own')) $$, 'the asker accepts again');

-- ---------------------------------------------------------------- votes
select tests.authenticate_as('drip@t');
select is(public.vote_doubt(doubt_id => pg_temp.d('pub')), 1, 'a reader votes for a question');
select throws_ok($$ select public.vote_doubt(doubt_id => pg_temp.d('pub')) $$,
  'PT409', 'you already voted for this', 'voting twice is refused');
select is(tests.error_detail($$ select public.vote_doubt(doubt_id => pg_temp.d('pub')) $$), 'already_voted', 'machine code already_voted');
select throws_ok($$ select public.vote_doubt(answer_id => pg_temp.d('a_drip')) $$,
  '42501', 'you cannot vote for your own post', 'never for one''s own answer');
select is(public.vote_doubt(answer_id => pg_temp.d('a_own')), 1, 'a reader votes for an answer');
select throws_ok($$ select public.vote_doubt(pg_temp.d('pub'), pg_temp.d('a_own')) $$,
  '22023', 'vote for a question or for an answer', 'one target at a time');
select throws_ok($$ select public.vote_doubt(doubt_id => pg_temp.d('priv')) $$,
  'PT404', 'question not found', 'not for a question they cannot read');
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.vote_doubt(doubt_id => pg_temp.d('pub')) $$,
  '42501', 'you cannot vote for your own post', 'never for one''s own question');
select is(public.vote_doubt(answer_id => pg_temp.d('a_own')), 2, 'votes add up');
select is((select count(*)::integer from public.doubt_votes), 1, 'a user reads only their own votes');
select tests.authenticate_as('none@t');
select throws_ok($$ select public.vote_doubt(answer_id => pg_temp.d('a_own')) $$,
  'PT404', 'answer not found', 'a non-member cannot vote');
select tests.authenticate_as('drip@t');
select is(tests.affected_rows($$ delete from public.doubt_votes where doubt_id = pg_temp.d('pub') $$), 1::bigint,
  'a vote is withdrawn by deleting it');
select is((select vote_count from public.doubts where id = pg_temp.d('pub')), 0, 'and the count follows');
select tests.authenticate_as('ent@t');
select is(tests.affected_rows($$ delete from public.doubt_votes $$), 1::bigint, 'users delete only their own votes');

-- ---------------------------------------------------------------- editing
select tests.authenticate_as('ent@t');
select is((select title from public.edit_doubt(pg_temp.d('pub'), title => 'Why does my policy hide all rows?')),
  'Why does my policy hide all rows?', 'the author edits within the window');
select isnt((select edited_at from public.doubts where id = pg_temp.d('pub')), null, 'marked edited');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.edit_doubt(pg_temp.d('pub'), body => 'hijacked') $$,
  '42501', 'only its author edits a post', 'nobody else edits a question');
select throws_ok($$ select public.edit_doubt_answer(pg_temp.d('a_own'), 'hijacked') $$,
  '42501', 'only its author edits a post', 'nor an answer');
select lives_ok($$ select public.edit_doubt_answer(pg_temp.d('a_drip'), 'Check that auth.uid() is not null.') $$,
  'an answer''s author edits it within the window');
select tests.clear_authentication();
update public.doubts set created_at = now() - interval '31 minutes' where id = pg_temp.d('pub');
update public.doubt_answers set created_at = now() - interval '31 minutes' where id = pg_temp.d('a_drip');
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.edit_doubt(pg_temp.d('pub'), body => 'too late') $$,
  'P0001', 'the edit window has closed: posts can be edited for 30 minutes', 'editing after the window is refused');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.edit_doubt_answer(pg_temp.d('a_drip'), 'too late') $$,
  'P0001', 'the edit window has closed: posts can be edited for 30 minutes', 'for answers too');
select tests.authenticate_as('none@t');
select throws_ok($$ select public.edit_doubt(pg_temp.d('pub'), body => 'x') $$, 'PT404', 'question not found',
  'a non-member does not find it');

-- ---------------------------------------------------------------- moderation
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.moderate_doubt('hide', pg_temp.d('pub')) $$,
  '42501', 'only the course''s staff moderate its questions', 'students do not moderate');
select tests.authenticate_as('other@t');
select throws_ok($$ select public.moderate_doubt('hide', pg_temp.d('pub')) $$,
  'PT404', 'question not found', 'nor another course''s instructor');
select tests.authenticate_as('own@t');
select lives_ok($$ select public.moderate_doubt('hide', answer_id => pg_temp.d('a_drip'), reason => 'off topic') $$,
  'the instructor hides an answer');
select is((select answer_count from public.doubts where id = pg_temp.d('pub')), 2, 'it no longer counts');
select tests.authenticate_as('ent@t');
select is(pg_temp.answers('pub'), array['RLS denies by default: add a select policy.', 'Thanks, that was it.'],
  'a hidden answer is gone for students');
select tests.authenticate_as('drip@t');
select is(cardinality(pg_temp.answers('pub')), 3, 'but its author still reads it');
select tests.authenticate_as('own@t');
select is(cardinality(pg_temp.answers('pub')), 3, 'and so do staff');
select lives_ok($$ select public.moderate_doubt('hide', pg_temp.d('drip'), reason => 'duplicate') $$, 'the instructor hides a question');
select tests.authenticate_as('ent@t');
select is(pg_temp.titles(), array['Can I get more time?', 'Why does my policy hide all rows?'], 'a hidden question is gone for students');
select tests.authenticate_as('drip@t');
select is(pg_temp.titles(), array['Is a view checked with RLS?', 'Why does my policy hide all rows?'], 'but its author reads it');
select throws_ok($$ select public.edit_doubt(pg_temp.d('drip'), body => 'x') $$, 'P0001',
  'this question was hidden by the course''s staff', 'and cannot edit it');
select tests.authenticate_as('own@t');
select is(cardinality(pg_temp.titles()), 3, 'staff still read it');
select tests.clear_authentication();
select is((select count(*)::integer from public.audit_log where target_id = pg_temp.d('drip')::text and action = 'doubt.hidden'
           and details ->> 'title' = 'Is a view checked with RLS?' and details ->> 'reason' = 'duplicate'), 1,
  'the audit log keeps what was hidden and why');
select tests.authenticate_as('own@t');
select lives_ok($$ select public.moderate_doubt('lock', pg_temp.d('pub')) $$, 'the instructor locks a question');
select tests.authenticate_as('drip@t');
select throws_ok($$ select public.answer_doubt(pg_temp.d('pub'), 'one more') $$, 'P0001', 'this question is locked',
  'a locked question takes no answers');
select throws_ok($$ select public.vote_doubt(doubt_id => pg_temp.d('pub')) $$, 'P0001', 'this question is locked',
  'nor votes');
select tests.authenticate_as('admin@t');
select lives_ok($$ select public.moderate_doubt('unlock', pg_temp.d('pub')) $$, 'an admin unlocks it');
select throws_ok($$ select public.moderate_doubt('lock', answer_id => pg_temp.d('a_own')) $$,
  '22023', 'answers are hidden or shown; lock their question', 'answers are not locked');
select throws_ok($$ select public.moderate_doubt('hide') $$,
  '22023', 'name an action and a question or an answer', 'a target is required');

-- staff removed from a course lose moderation at once
select tests.clear_authentication();
insert into public.course_instructors (course_id, user_id, role) values (tests.course_id('course-a'), tests.user_id('other@t'), 'co_instructor');
select tests.authenticate_as('other@t');
select lives_ok($$ select public.moderate_doubt('show', pg_temp.d('drip')) $$, 'a co-instructor moderates');
select tests.authenticate_as('own@t');
select public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('other@t'));
select tests.authenticate_as('other@t');
select throws_ok($$ select public.moderate_doubt('hide', pg_temp.d('drip')) $$, 'PT404', 'question not found',
  'removed, they moderate nothing at once');
select is(pg_temp.titles(), '{}'::text[], 'and read nothing');

-- ---------------------------------------------------------------- deleting
select tests.authenticate_as('drip@t');
select is(tests.affected_rows($$ delete from public.doubts where id = pg_temp.d('pub') $$), 0::bigint,
  'a student cannot delete someone else''s question');
select tests.authenticate_as('ent@t');
select throws_ok($$ delete from public.doubts where id = pg_temp.d('pub') $$, 'P0001',
  'others answered this question: ask the course''s staff to remove it', 'nor their own once others answered it');
select lives_ok($$ insert into ids select 'gone', id from public.ask_doubt(tests.course_id('course-a'), 'Never mind', 'Found it.') $$,
  'a question nobody answered');
select is(tests.affected_rows($$ delete from public.doubts where id = pg_temp.d('gone') $$), 1::bigint,
  'its author deletes it');
select tests.authenticate_as('drip@t');
select is(tests.affected_rows($$ delete from public.doubt_answers where id = pg_temp.d('a_own') $$), 0::bigint,
  'a student cannot delete someone else''s answer');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($$ delete from public.doubt_answers where id = pg_temp.d('a_drip') $$), 1::bigint,
  'staff delete an answer');
select is(tests.affected_rows($$ delete from public.doubts where id = pg_temp.d('drip') $$), 1::bigint,
  'and a question');
select tests.clear_authentication();
select is(array(select action || ':' || (details ->> 'by_author') from public.audit_log
                where target_id in (pg_temp.d('gone')::text, pg_temp.d('a_drip')::text, pg_temp.d('drip')::text) and action like '%deleted'
                order by action, details ->> 'by_author'),
  array['doubt.deleted:false', 'doubt.deleted:true', 'doubt_answer.deleted:false'], 'every delete is audited, with who did it');
select is((select details ->> 'body' from public.audit_log where target_id = pg_temp.d('a_drip')::text and action = 'doubt_answer.deleted'),
  'Check that auth.uid() is not null.', 'with what was deleted');

-- ---------------------------------------------------------------- search
select tests.authenticate_as('ent@t');
select lives_ok($$ insert into ids select 'q' || n, id from generate_series(1, 3) n,
  lateral public.ask_doubt(tests.course_id('course-a'), 'Index question ' || n, 'How do indexes help policies, case ' || n) $$,
  'three more questions');
select tests.clear_authentication();
update public.doubts set created_at = now() - make_interval(mins => 4 - right(title, 1)::int) where title like 'Index question _';
select tests.authenticate_as('ent@t');
select is(array(select title from public.search_doubts(tests.course_id('course-a'), q => 'policy')),
  array['Why does my policy hide all rows?'], 'full text finds a question by its words');
select is(array(select title from public.search_doubts(tests.course_id('course-a'), q => 'indexes policies case 2')),
  array['Index question 2'], 'in the body too');
select is(array(select title from public.search_doubts(tests.course_id('course-a'), unanswered => true, page_size => 10)),
  array['Can I get more time?', 'Index question 3', 'Index question 2', 'Index question 1'], 'unanswered, newest first');
select tests.authenticate_as('drip@t');
select is(array(select title from public.search_doubts(tests.course_id('course-a'), unanswered => true)),
  array['Index question 3', 'Index question 2', 'Index question 1'], 'a private question stays invisible in a search');
select is(array(select title from public.search_doubts(tests.course_id('course-a'), mine => true)), '{}'::text[],
  '"mine" is the caller''s own');
select is(array(select title from public.search_doubts(tests.course_id('course-a'), page_size => 2)
                union all
                select title from public.search_doubts(tests.course_id('course-a'), page_size => 2,
                  after => (select cursor from public.search_doubts(tests.course_id('course-a'), page_size => 2) offset 1))),
  array['Index question 3', 'Index question 2', 'Index question 1', 'Why does my policy hide all rows?'],
  'keyset pagination: the next page starts after the last cursor');
select throws_ok($$ select public.search_doubts(tests.course_id('course-a'), after => 'nope') $$,
  '22023', 'invalid cursor', 'a malformed cursor is refused');
select throws_ok($$ select public.search_doubts(tests.course_id('course-a'), page_size => 0) $$,
  '22023', 'page_size must be between 1 and 100', 'so is a page size out of range');
select throws_ok(format($$ select public.search_doubts(tests.course_id('course-a'), q => %L) $$, repeat('a ', 30)),
  '22023', 'the search is too long: use at most 200 characters and 20 words', 'and an over-long search');
select tests.authenticate_as('none@t');
select throws_ok($$ select public.search_doubts(tests.course_id('course-a')) $$,
  '42501', 'you do not have access to this course', 'a non-member cannot search a course''s questions');
select tests.authenticate_as('own@t');
select is((select count(*)::integer from public.search_doubts(tests.course_id('course-a'), page_size => 100)), 5,
  'staff search every question');

-- ---------------------------------------------------------------- questions per hour (rate_limits 'doubt')
select tests.clear_authentication();
insert into private.rate_buckets (bucket_class, subject, tokens, updated_at)
values ('doubt', tests.user_id('ent@t')::text, 0, now())
on conflict (bucket_class, subject) do update set tokens = 0, updated_at = now();
select tests.authenticate_as('ent@t');
select throws_ok($$ select public.ask_doubt(tests.course_id('course-a'), 'One more question?', 'body') $$,
  'PT429', 'Too many requests. Please wait a moment and try again.', 'a student who asked too many questions this hour waits');
select is(tests.error_detail($$ select public.ask_doubt(tests.course_id('course-a'), 'One more question?', 'body') $$),
  'rate_limited', 'rate_limited');

select * from finish();
rollback;
