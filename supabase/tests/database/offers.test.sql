-- Offers, prices and coupons: who may sell and price what (the course's staff now), what anyone
-- may see (offers on sale only), and server-side quotes.
begin;
select plan(68);
select tests.catalog_fixture();
select tests.create_user('co@t', 'instructor', '{"display_name":"Cora Co"}');

-- ---------------------------------------------------------------- grants
select ok(has_table_privilege('anon', 'public.offer_prices', 'select') and not has_table_privilege('anon', 'public.offer_prices', 'insert'),
  'anon reads prices, writes none');
select ok(not has_column_privilege('authenticated', 'public.offers', 'owner_id', 'update')
  and not has_column_privilege('authenticated', 'public.offers', 'course_id', 'update'),
  'an offer''s owner and course cannot be changed by clients');
select ok(not has_function_privilege('authenticated', 'private.sellable_offer_ids(uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.can_sell_offer(uuid, uuid)', 'execute'),
  'the seller rule is not callable by clients with another user''s id');

-- ---------------------------------------------------------------- instructors price their own courses
select tests.authenticate_as('own@t');
select lives_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Course A', %L) $$, tests.course_id('course-a')),
  'the owner sells their course');
select lives_ok($$ insert into public.offer_prices (offer_id, currency, amount)
  select id, c, a from public.offers, (values ('USD', 4900), ('EUR', 4500)) v(c, a) where title = 'Course A' $$, 'in two currencies');
select throws_ok($$ insert into public.offer_prices (offer_id, currency, amount) select id, 'GBP', 0 from public.offers where title = 'Course A' $$,
  '23514', 'new row for relation "offer_prices" violates check constraint "offer_prices_amount_positive"',
  'prices are positive minor units');
select throws_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Stolen', %L) $$, tests.course_id('course-b')),
  '42501', 'you can only sell your own courses', 'not someone else''s course');
select throws_ok($$ insert into public.offers (kind, title, plan_interval, plan_scope, owner_id) values ('plan', 'Everything', 'month', 'all_courses', null) $$,
  '42501', 'instructors sell only as themselves', 'instructors cannot create platform plans');
select throws_ok($$ insert into public.offers (kind, title, plan_interval, plan_scope) values ('plan', 'Chosen set', 'month', 'selected_courses') $$,
  '42501', 'only admins create platform plans', 'nor choose a platform set');
select lives_ok($$ insert into public.offers (kind, title, plan_interval, plan_scope) values ('plan', 'My courses monthly', 'month', 'instructor') $$,
  'an instructor plan covers their own courses');
select throws_ok($$ insert into public.offers (kind, title) values ('course', 'No course') $$, '23514',
  'new row for relation "offers" violates check constraint "offers_shape"', 'an offer''s shape is checked');
select lives_ok($$ insert into public.offers (kind, title) values ('bundle', 'My bundle') $$, 'a bundle');
insert into public.live_sessions (course_id, title, starts_at, is_published)
values (tests.course_id('course-a'), 'Course A office hours', now() + interval '1 day', true);
select throws_ok($$ insert into public.offers (kind, title, session_id)
  select 'session', 'Seat at office hours', id from public.live_sessions where title = 'Course A office hours' $$,
  '22023', 'a course''s sessions come with the course; only standalone sessions are sold',
  'a seat of a course''s session is not sold apart (its students get it with the course)');
select lives_ok(format($$ insert into public.offer_courses (offer_id, course_id) select id, %L from public.offers where title = 'My bundle' $$,
  tests.course_id('course-a')), 'of their own courses');
select throws_ok(format($$ insert into public.offer_courses (offer_id, course_id) select id, %L from public.offers where title = 'My bundle' $$,
  tests.course_id('course-b')), '42501', 'you can only bundle your own courses', 'not someone else''s');
select lives_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Draft offer', %L) $$, tests.course_id('course-draft')),
  'an owner may prepare an offer for a draft');
insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 2900 from public.offers where title = 'Draft offer';
select tests.authenticate_as('other@t');
select is(tests.affected_rows($q$ update public.offer_prices set amount = 1 where currency = 'USD' and offer_id in (select id from public.offers where title = 'Course A') $q$),
  0::bigint, 'another instructor cannot change the price');
select is(tests.affected_rows($q$ update public.offers set is_active = false where title = 'Course A' $q$), 0::bigint,
  'nor deactivate the offer');
select is(tests.affected_rows($q$ delete from public.offer_prices $q$), 0::bigint, 'nor remove prices of offers they do not manage');
select is(tests.affected_rows($q$ delete from public.offer_courses $q$), 0::bigint, 'nor what bundles they do not manage include');
select tests.authenticate_as('ent@t');
select throws_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Mine now', %L) $$, tests.course_id('course-a')),
  '42501', 'you can only sell your own courses', 'a student cannot create offers');
select tests.authenticate_with_claims(jsonb_build_object('role', 'authenticated', 'aud', 'authenticated'));
select throws_ok(format($$ insert into public.offers (kind, title, course_id, owner_id) values ('course', 'No sub', %L, null) $$,
  tests.course_id('course-a')), '42501', 'sign in to sell', 'a token without a user id writes nothing (no trust in a missing claim)');
select tests.authenticate_as('admin@t');
select lives_ok($$ insert into public.offers (kind, title, plan_interval, plan_scope, owner_id) values ('plan', 'All access yearly', 'year', 'all_courses', null) $$,
  'an admin creates a platform plan');
select lives_ok(format($$ insert into public.offers (kind, title, owner_id) values ('bundle', 'Mixed bundle', null);
  insert into public.offer_courses (offer_id, course_id) select o.id, c.id from public.offers o, public.courses c
  where o.title = 'Mixed bundle' and c.slug in ('course-a', 'course-draft') $$), 'an admin bundles a published course with a draft');

-- ---------------------------------------------------------------- what anyone sees: offers on sale only
select tests.authenticate_as_anon();
select is((select array_agg(title order by title) from public.offers
           where title in ('All access yearly', 'Course A', 'My bundle', 'My courses monthly', 'Draft offer', 'Mixed bundle')),
  array['All access yearly', 'Course A', 'My bundle', 'My courses monthly'],
  'anon sees offers on sale: not the draft''s offer, nor a bundle holding a draft');
select is((select count(*) from public.offer_courses where offer_id = tests.offer_id('Mixed bundle')), 0::bigint,
  'nor what that bundle includes (no draft leaks through an offer)');
select is((select count(*) from public.offer_prices where offer_id = tests.offer_id('Draft offer')), 0::bigint, 'nor its prices');
select tests.authenticate_as('ent@t');
select is((select count(*) from public.offers where title in ('Draft offer', 'Mixed bundle')), 0::bigint,
  'a student sees neither');
select is((select count(*) from public.offer_courses where offer_id = tests.offer_id('Mixed bundle')), 0::bigint,
  'nor what the bundle includes');
select is((select count(*) from public.offer_prices where offer_id = tests.offer_id('Draft offer')), 0::bigint,
  'nor the draft''s prices');
select tests.authenticate_as('own@t');
select is((select count(*) from public.offers where title = 'Draft offer'), 1::bigint, 'its seller does');
select tests.clear_authentication();
update public.courses set deleted_at = now() where slug = 'course-b';
insert into public.offers (kind, title, course_id, owner_id) values ('course', 'Deleted course offer', tests.course_id('course-b'), tests.user_id('other@t'));
select tests.authenticate_as_anon();
select is((select count(*) from public.offers where title = 'Deleted course offer'), 0::bigint, 'an offer of a deleted course is gone');
select tests.clear_authentication();
update public.courses set deleted_at = null where slug = 'course-b';
update public.courses set status = 'archived' where slug = 'course-a';
select tests.authenticate_as_anon();
select is((select count(*) from public.offers where title in ('Course A', 'My bundle')), 0::bigint,
  'archiving a course takes its offers and the bundles holding it off the listing');
select tests.clear_authentication();
update public.courses set status = 'published' where slug = 'course-a';
select tests.authenticate_as_anon();
select is((select count(*) from public.offers where title in ('Course A', 'My bundle')), 2::bigint, 'publishing it again brings them back');
select tests.clear_authentication();

-- ---------------------------------------------------------------- bundles across owners are for admins
select tests.authenticate_as('other@t');
select lives_ok(format($$ select public.add_course_instructor(%L, %L) $$, tests.course_id('course-b'), tests.user_id('own@t')),
  'own@t also co-teaches course-b (owned by other@t)');
select tests.authenticate_as('own@t');
select throws_ok(format($$ insert into public.offer_courses (offer_id, course_id) values (%L, %L) $$, tests.offer_id('My bundle'), tests.course_id('course-b')),
  '42501', 'a bundle of courses with different owners is for admins only', 'teaching both is not enough to bundle two owners'' courses');

-- ---------------------------------------------------------------- a removed co-instructor loses the course's offers and coupons
select tests.authenticate_as('own@t');
select is(public.add_course_instructor(tests.course_id('course-a'), tests.user_id('co@t')), true, 'co@t joins course-a');
select tests.authenticate_as('co@t');
select lives_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Co offer', %L);
  insert into public.offer_prices (offer_id, currency, amount) select id, 'USD', 4000 from public.offers where title = 'Co offer' $$,
  tests.course_id('course-a')), 'the co-instructor sells the course');
insert into public.coupons (code, kind, percent_off) values ('COGIFT', 'percent', 100);
insert into public.coupons (code, kind, percent_off) values ('COLIMITED', 'percent', 50);
insert into public.coupon_offers (coupon_id, offer_id) select id, tests.offer_id('Co offer') from public.coupons where code = 'COLIMITED';
select is((public.quote_offer(tests.offer_id('Course A'), 'USD', 'COGIFT')).total, 0::bigint,
  'while on the staff, their coupon discounts the course''s offers');
select tests.authenticate_as('own@t');
select is(public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('co@t')), true, 'the owner removes co@t');
select tests.clear_authentication();
select is((select is_active from public.offers where title = 'Co offer'), false, 'co@t''s offer is taken off sale at once');
select tests.authenticate_as('co@t');
select is(tests.affected_rows($q$ update public.offer_prices set amount = 1 where offer_id = tests.offer_id('Co offer') $q$), 0::bigint,
  'co@t can no longer change its price');
select is(tests.affected_rows($q$ update public.offers set is_active = true where title = 'Co offer' $q$), 0::bigint,
  'nor put it back on sale');
select throws_ok(format($$ insert into public.offer_prices (offer_id, currency, amount) values (%L, 'GBP', 1) $$, tests.offer_id('Co offer')),
  '42501', 'new row violates row-level security policy for table "offer_prices"', 'nor add a price');
select throws_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Comeback', %L) $$, tests.course_id('course-a')),
  '42501', 'you can only sell your own courses', 'nor create a new offer of the course');
select throws_ok($$ select public.quote_offer(tests.offer_id('Course A'), 'USD', 'COGIFT') $$,
  'P0001', 'this coupon does not apply to this offer', 'their coupon no longer discounts the course');
select tests.authenticate_as('own@t');
select is(tests.affected_rows($q$ update public.offers set title = 'Co offer (taken over)' where title = 'Co offer' $q$), 1::bigint,
  'the course''s staff now manage that offer');
select tests.authenticate_as('admin@t');
select is(tests.affected_rows($q$ update public.offer_prices set amount = 4100 where offer_id = tests.offer_id('Co offer (taken over)') $q$), 1::bigint,
  'and admins');

-- ---------------------------------------------------------------- who may sell what, asked directly
select tests.clear_authentication();
create function pg_temp.sellable(email text) returns text[] language sql as $$
  select coalesce(array_agg(o.title order by o.title), '{}') from public.offers o
  where o.id in (select private.sellable_offer_ids(tests.user_id(email)))
    and o.title in ('Course A', 'My courses monthly', 'My bundle', 'Draft offer', 'All access yearly', 'Mixed bundle',
                    'Deleted course offer', 'Co offer (taken over)')
$$;
select is(pg_temp.sellable('admin@t'), array['All access yearly', 'Co offer (taken over)', 'Course A', 'Deleted course offer',
  'Draft offer', 'Mixed bundle', 'My bundle', 'My courses monthly'], 'sellable_offer_ids: an admin sells every offer');
select is(pg_temp.sellable('own@t'), array['Co offer (taken over)', 'Course A', 'Deleted course offer', 'Draft offer',
  'Mixed bundle', 'My bundle', 'My courses monthly'],
  'own@t: what their courses and course-b (which they co-teach) sell, their plan, and bundles of their own courses; no platform plan');
select is(pg_temp.sellable('other@t'), array['Deleted course offer'], 'another course''s instructor: only what their course sells');
select is(pg_temp.sellable('co@t'), '{}'::text[], 'a removed co-instructor: nothing, not even the offer they created');
select is(pg_temp.sellable('ent@t'), '{}'::text[], 'a student: nothing');
select ok(has_function_privilege('authenticated', 'private.owner_sells_offer(uuid, public.offer_kind, uuid, uuid, public.plan_scope)', 'execute')
  and not has_function_privilege('anon', 'private.owner_sells_offer(uuid, public.offer_kind, uuid, uuid, public.plan_scope)', 'execute'),
  'owner_sells_offer(): authenticated only (the offers read policy calls it)');
select tests.set_claims_of('own@t');
select is(array[private.owner_sells_offer(gen_random_uuid(), 'course', tests.course_id('course-a'), null, null),
                private.owner_sells_offer(gen_random_uuid(), 'course', '00000000-0000-4000-8000-000000000000', null, null),
                private.owner_sells_offer(gen_random_uuid(), 'session', null,
                  (select id from public.live_sessions where title = 'Course A office hours'), null),
                private.owner_sells_offer(gen_random_uuid(), 'plan', null, null, 'instructor'),
                private.owner_sells_offer(gen_random_uuid(), 'plan', null, null, 'all_courses'),
                private.owner_sells_offer(gen_random_uuid(), 'bundle', null, null, null),
                private.owner_sells_offer(tests.offer_id('My bundle'), 'bundle', null, null, null)],
  array[true, false, true, true, false, true, false],
  'owner_sells_offer, for a new offer of an instructor: their course, a session they host, their plan, an empty bundle; not the rest');
select tests.set_claims_of('ent@t');
select is(array[private.owner_sells_offer(gen_random_uuid(), 'course', tests.course_id('course-a'), null, null),
                private.owner_sells_offer(gen_random_uuid(), 'plan', null, null, 'instructor')],
  array[false, false], 'for a student: neither a course they learn from nor a plan');
-- The instructor rule is read from user_roles: losing the role takes their plan off sale at once.
select tests.clear_authentication();
delete from public.user_roles where user_id = tests.user_id('own@t') and role = 'instructor';
select is(pg_temp.sellable('own@t'), array['Co offer (taken over)', 'Course A', 'Deleted course offer', 'Draft offer',
  'Mixed bundle', 'My bundle'], 'without the instructor role own@t no longer sells their plan (their courses still)');
select is((select is_active from public.offers where title = 'My courses monthly'), false, 'and the plan is off sale');

-- ---------------------------------------------------------------- the trigger helpers: who is checked, who sells a course
select ok(not has_function_privilege('anon', 'private.seller_rules_apply()', 'execute')
  and not has_function_privilege('authenticated', 'private.seller_rules_apply()', 'execute'),
  'seller_rules_apply(): not callable by clients (the triggers call it)');
select ok(not has_function_privilege('anon', 'private.sells_course(uuid, uuid)', 'execute')
  and not has_function_privilege('authenticated', 'private.sells_course(uuid, uuid)', 'execute'),
  'sells_course(): not callable by clients (it answers about any user)');
-- The triggers are security definer and run for the API roles; so does this stand-in.
create function pg_temp.seller_rules_apply() returns boolean language sql security definer set search_path = '' as $$
  select private.seller_rules_apply()
$$;
grant execute on function pg_temp.seller_rules_apply() to authenticated, service_role;
select tests.clear_authentication();
select is(pg_temp.seller_rules_apply(), false, 'seller_rules_apply: postgres (migrations, the seed) is not checked');
select tests.authenticate_as_service_role();
select is(pg_temp.seller_rules_apply(), false, 'nor is service_role');
select tests.authenticate_as('admin@t');
select is(pg_temp.seller_rules_apply(), false, 'nor an admin');
select tests.authenticate_as('other@t');
select is(pg_temp.seller_rules_apply(), true, 'an instructor is checked');
select tests.authenticate_with_claims(jsonb_build_object('role', 'authenticated', 'aud', 'authenticated'));
select throws_ok($$ select pg_temp.seller_rules_apply() $$, '42501', 'sign in to sell',
  'a token without a user id is refused, not let through');
select tests.clear_authentication();
select is(array[private.sells_course(tests.course_id('course-b'), tests.user_id('other@t')),
                private.sells_course(tests.course_id('course-b'), tests.user_id('own@t')),
                private.sells_course(tests.course_id('course-a'), tests.user_id('other@t')),
                private.sells_course(tests.course_id('course-a'), tests.user_id('co@t')),
                private.sells_course(tests.course_id('course-a'), tests.user_id('ent@t')),
                private.sells_course(null, tests.user_id('other@t')),
                private.sells_course(tests.course_id('course-b'), null)],
  array[true, true, false, false, false, false, false],
  'sells_course: its owner and a co-instructor; not another instructor, a removed co-instructor, a student, nor nulls');
update public.courses set deleted_at = now() where slug = 'course-b';
select is(array[private.sells_course(tests.course_id('course-b'), tests.user_id('other@t')),
                tests.course_id('course-b') in (select private.instructed_course_ids(tests.user_id('other@t')))],
  array[false, true], 'a course in the trash is sold by no one, though its owner still teaches it');
select tests.authenticate_as('other@t');
select throws_ok(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Trashed', %L) $$, tests.course_id('course-b')),
  '42501', 'you can only sell your own courses', 'so its owner cannot put it on sale');
select tests.clear_authentication();
update public.courses set deleted_at = null where slug = 'course-b';

select * from finish();
rollback;
