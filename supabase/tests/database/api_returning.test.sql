-- Cross-cutting (no migration of its own): the recipes of docs/API.md, which write across domains.
-- What the docs/API.md recipes send through PostgREST when they ask for the row back:
-- insert(...).select(), update(...).select() and upsert(...) become INSERT/UPDATE ... RETURNING
-- (INSERT ... ON CONFLICT DO UPDATE for an upsert), run as the persona (tests.returned() wraps
-- them in a WITH, as PostgREST does). Postgres checks each new row against the table's SELECT
-- policies right then, before any AFTER trigger has run, so a row that becomes readable only
-- through a trigger-made membership (a course's owner, a session's host) fails with 42501 here
-- exactly as it would through the API. Recipe by recipe, for every table a recipe writes; plus
-- checks that making new rows readable to their creator widened nobody else's reads.
begin;
select plan(58);
select tests.catalog_fixture();
select tests.create_user('co@t', 'instructor');

-- ---------------------------------------------------------------- Identity: edit my profile
select tests.authenticate_as('none@t');
select is(tests.returned($$ update public.profiles set display_name = 'Sam S.', bio = 'Learning Postgres', timezone = 'Europe/Paris'
                            where id = auth.uid() returning display_name, timezone $$),
  '[{"display_name": "Sam S.", "timezone": "Europe/Paris"}]', 'profiles: the user gets their edited profile back');

-- ---------------------------------------------------------------- Teaching: create a course, its outline, publish it
select tests.authenticate_as('own@t');
select is(tests.returned($$ insert into public.courses (slug, title, level, list_price_amount, list_price_currency)
                            values ('intro-to-rls', 'Intro to RLS', 'beginner', 2900, 'USD') returning slug, status $$),
  '[{"slug": "intro-to-rls", "status": "draft"}]',
  'courses: an instructor gets their new course back (readable before the trigger makes them its instructor)');
select is(tests.returned(format($$ insert into public.sections (course_id, title, position) values (%L, 'Start here', 0)
                                   returning title $$, tests.course_id('intro-to-rls'))),
  '[{"title": "Start here"}]', 'sections: the instructor gets the new section back');
select is(tests.returned(format($$ insert into public.lessons (section_id, title, kind, position, duration_seconds, is_preview)
                                   select s.id, 'Why RLS', 'video', 0, 420, true from public.sections s where s.course_id = %L
                                   returning title, course_id = %L as in_course $$,
                                tests.course_id('intro-to-rls'), tests.course_id('intro-to-rls'))),
  '[{"title": "Why RLS", "in_course": true}]', 'lessons: the instructor gets the new lesson back, its course derived');
select is(tests.returned(format($$ insert into public.lesson_contents (lesson_id, video_url)
                                   values (%L, 'https://videos.example.com/why-rls.m3u8') returning video_url $$,
                                tests.lesson_id('intro-to-rls', 'Why RLS'))),
  '[{"video_url": "https://videos.example.com/why-rls.m3u8"}]', 'lesson_contents: the instructor gets the content back');
select is(tests.returned(format($$ insert into public.lesson_materials (lesson_id, title, storage_path)
                                   values (%L, 'Slides', %L) returning title $$,
                                tests.lesson_id('intro-to-rls', 'Why RLS'),
                                tests.course_id('intro-to-rls') || '/' || tests.lesson_id('intro-to-rls', 'Why RLS') || '/slides.pdf')),
  '[{"title": "Slides"}]', 'lesson_materials: the instructor gets the material back');
select is(tests.returned($$ update public.sections set title = 'Start here!' where title = 'Start here' returning title $$),
  '[{"title": "Start here!"}]', 'sections: an edit comes back');
select is(tests.returned($$ update public.lessons set duration_seconds = 480 where title = 'Why RLS' returning duration_seconds $$),
  '[{"duration_seconds": 480}]', 'lessons: an edit comes back');
select is(tests.returned(format($$ update public.lesson_contents set body = 'Notes' where lesson_id = %L returning body $$,
                                tests.lesson_id('intro-to-rls', 'Why RLS'))),
  '[{"body": "Notes"}]', 'lesson_contents: an edit comes back');
select is(tests.returned($$ update public.lesson_materials set title = 'Slides (v2)' where title = 'Slides' returning title $$),
  '[{"title": "Slides (v2)"}]', 'lesson_materials: an edit comes back');
select is(tests.returned($$ update public.courses set status = 'published' where slug = 'intro-to-rls' returning status $$),
  '[{"status": "published"}]', 'courses: publishing comes back');
select is(tests.returned($$ update public.courses set deleted_at = now() where slug = 'intro-to-rls' returning slug, deleted_at is not null as trashed $$),
  '[{"slug": "intro-to-rls", "trashed": true}]', 'courses: the owner moving it to the trash gets it back');
select is(tests.returned($$ update public.courses set deleted_at = null where slug = 'intro-to-rls' returning slug, deleted_at $$),
  '[{"slug": "intro-to-rls", "deleted_at": null}]', 'courses: and restoring it');
select is(public.add_course_instructor(tests.course_id('intro-to-rls'), tests.user_id('co@t')), true, 'co@t co-teaches it');
select tests.authenticate_as('co@t');
select is(tests.returned($$ update public.courses set subtitle = 'Policies first' where slug = 'intro-to-rls' returning subtitle $$),
  '[{"subtitle": "Policies first"}]', 'courses: a co-instructor''s edit comes back');
select tests.authenticate_as('admin@t');
select is(tests.returned($$ insert into public.courses (slug, title) values ('admin-course', 'An admin''s course') returning slug $$),
  '[{"slug": "admin-course"}]', 'courses: an admin gets their new course back');
select is(tests.returned($$ insert into public.categories (slug, name) values ('t-data', 'Data') returning slug $$),
  '[{"slug": "t-data"}]', 'categories: an admin gets the new category back');
select is(tests.returned($$ update public.categories set name = 'Data & AI' where slug = 't-data' returning name $$),
  '[{"name": "Data & AI"}]', 'categories: and an edit');
-- nobody else reads a draft because its owner now reads it through owner_id
select tests.authenticate_as('other@t');
select is((select count(*) from public.courses where slug in ('course-draft', 'admin-course')), 0::bigint,
  'another instructor still does not read someone else''s drafts');
select tests.authenticate_as_anon();
select is((select count(*) from public.courses where slug = 'course-draft'), 0::bigint, 'nor does anon');

-- ---------------------------------------------------------------- Write a review
select tests.authenticate_as('ent@t');
select is(tests.returned(format($$ insert into public.reviews (course_id, rating, body) values (%L, 5, 'Superb.') returning rating, body $$,
                                tests.course_id('course-a'))),
  '[{"rating": 5, "body": "Superb."}]', 'reviews: a student gets their review back');
select is(tests.returned(format($$ update public.reviews set rating = 4 where course_id = %L returning rating $$, tests.course_id('course-a'))),
  '[{"rating": 4}]', 'reviews: and an edit');

-- ---------------------------------------------------------------- Live sessions: schedule, then cancel
select tests.authenticate_as('own@t');
select is(tests.returned($$ insert into public.live_sessions (title, starts_at, duration_minutes, timezone, capacity)
                            values ('Unlisted office hours', now() + interval '7 days', 45, 'Europe/Paris', 100) returning title, is_published $$),
  '[{"title": "Unlisted office hours", "is_published": false}]',
  'live_sessions: an instructor gets their unpublished standalone session back (before the trigger makes them its host)');
select is(tests.returned($$ insert into public.live_sessions (title, starts_at, is_published)
                            values ('Office hours', now() + interval '7 days', true) returning title $$),
  '[{"title": "Office hours"}]', 'live_sessions: and a published one');
select is(tests.returned(format($$ insert into public.live_sessions (course_id, title, starts_at) values (%L, 'Draft course Q&A', now() + interval '7 days')
                                   returning title $$, tests.course_id('course-draft'))),
  '[{"title": "Draft course Q&A"}]', 'live_sessions: and a session of their draft course');
select is((select count(*) from public.live_session_hosts h join public.live_sessions s on s.id = h.session_id
           where s.title = 'Unlisted office hours' and h.user_id = auth.uid()), 1::bigint, 'the creator hosts it');
select is(tests.returned($$ update public.live_sessions set status = 'cancelled' where title = 'Unlisted office hours' returning status $$),
  '[{"status": "cancelled"}]', 'live_sessions: the host gets the cancelled session back');
select tests.authenticate_as('other@t');
select is((select count(*) from public.live_sessions where title in ('Unlisted office hours', 'Draft course Q&A')), 0::bigint,
  'another instructor does not read those unpublished sessions');
-- a co-instructor removed from a course stops reading the unpublished sessions they created there
-- (the offers section below walks the same steps on purpose: each table's RETURNING is its own case)
select tests.authenticate_as('co@t');
select is(tests.returned(format($$ insert into public.live_sessions (course_id, title, starts_at) values (%L, 'Co Q&A', now() + interval '7 days')
                                   returning title $$, tests.course_id('intro-to-rls'))),
  '[{"title": "Co Q&A"}]', 'live_sessions: a co-instructor gets their course session back');
select tests.authenticate_as('own@t');
select is(public.remove_course_instructor(tests.course_id('intro-to-rls'), tests.user_id('co@t')), true, 'the owner removes co@t');
select tests.authenticate_as('co@t');
select is((select count(*) from public.live_sessions where title = 'Co Q&A'), 0::bigint,
  'the removed co-instructor no longer reads the unpublished session they created');

-- ---------------------------------------------------------------- Notifications and email preferences
select tests.authenticate_as('none@t');
select is(tests.returned($$ insert into public.email_preferences (reminders, updates, marketing) values (false, true, false)
                            on conflict (user_id) do update set reminders = excluded.reminders, updates = excluded.updates,
                              marketing = excluded.marketing
                            returning reminders, updates, marketing $$),
  '[{"reminders": false, "updates": true, "marketing": false}]', 'email_preferences: the first upsert creates the row and returns it');
select is(tests.returned($$ insert into public.email_preferences (reminders, updates, marketing) values (true, false, true)
                            on conflict (user_id) do update set reminders = excluded.reminders, updates = excluded.updates,
                              marketing = excluded.marketing
                            returning reminders, updates, marketing $$),
  '[{"reminders": true, "updates": false, "marketing": true}]', 'email_preferences: the next upsert updates it and returns it');
select tests.clear_authentication();
select private.notify(tests.user_id('none@t'), 'test', 'Hello', null, null);
select tests.authenticate_as('none@t');
select is(tests.returned($$ update public.notifications set read_at = now() where read_at is null returning title, read_at is not null as read $$),
  '[{"title": "Hello", "read": true}]', 'notifications: marking read returns the notification');

-- ---------------------------------------------------------------- Homework: set an assignment
select tests.authenticate_as('own@t');
select is(tests.returned(format($$ insert into public.lessons (section_id, title, kind, position)
                                   select s.id, 'Assignment: explain a slow query', 'assignment', 9 from public.sections s
                                   where s.course_id = %L and s.position = 0 returning kind $$, tests.course_id('course-draft'))),
  '[{"kind": "assignment"}]', 'lessons: the instructor gets the new assignment lesson back');
select is(tests.returned(format($$ insert into public.assignments (lesson_id, max_points, pass_points) values (%L, 20, 12)
                                   returning course_id = %L as in_course, max_points $$,
                                tests.lesson_id('course-draft', 'Assignment: explain a slow query'), tests.course_id('course-draft'))),
  '[{"in_course": true, "max_points": 20.00}]', 'assignments: the instructor gets the new assignment back, its course derived');

-- ---------------------------------------------------------------- Offers, prices and coupons
select tests.authenticate_as('own@t');
select is(tests.returned(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Course A offer', %L) returning title, listed $$,
                                tests.course_id('course-a'))),
  '[{"title": "Course A offer", "listed": true}]', 'offers: the seller gets an offer on sale back');
select is(tests.returned(format($$ insert into public.offers (kind, title, course_id) values ('course', 'Draft offer', %L) returning title, listed $$,
                                tests.course_id('course-draft'))),
  '[{"title": "Draft offer", "listed": false}]', 'offers: and the offer of a draft, not on sale yet');
select is(tests.returned(format($$ insert into public.offers (kind, title, course_id, is_active) values ('course', 'Paused offer', %L, false)
                                   returning title, listed $$, tests.course_id('course-a'))),
  '[{"title": "Paused offer", "listed": false}]', 'offers: and an inactive offer');
select is(tests.returned($$ insert into public.offers (kind, title) values ('bundle', 'My bundle') returning title, listed $$),
  '[{"title": "My bundle", "listed": false}]', 'offers: and an empty bundle');
select is(tests.returned($$ insert into public.offers (kind, title, plan_interval, plan_scope) values ('plan', 'My monthly', 'month', 'instructor')
                            returning title $$),
  '[{"title": "My monthly"}]', 'offers: and an instructor plan');
select is(tests.returned($$ insert into public.offer_prices (offer_id, currency, amount)
                            select id, c, a from public.offers, (values ('USD', 4900), ('EUR', 4500)) v(c, a) where title = 'Draft offer'
                            returning currency, amount $$),
  '[{"currency": "USD", "amount": 4900}, {"currency": "EUR", "amount": 4500}]', 'offer_prices: both prices come back');
select is(tests.returned(format($$ insert into public.offer_courses (offer_id, course_id) values (%L, %L) returning course_id = %L as added $$,
                                tests.offer_id('My bundle'), tests.course_id('course-a'), tests.course_id('course-a'))),
  '[{"added": true}]', 'offer_courses: the bundled course comes back');
select is(tests.returned($$ insert into public.coupons (code, kind, percent_off, max_redemptions, valid_until)
                            values ('LAUNCH20', 'percent', 20, 100, now() + interval '60 days') returning code $$),
  '[{"code": "LAUNCH20"}]', 'coupons: the new coupon comes back');
select is(tests.returned($$ insert into public.coupon_offers (coupon_id, offer_id)
                            select c.id, o.id from public.coupons c, public.offers o where c.code = 'LAUNCH20' and o.title = 'Draft offer'
                            returning offer_id = tests.offer_id('Draft offer') as limited $$),
  '[{"limited": true}]', 'coupon_offers: the coupon limit comes back');
select is(tests.returned($$ update public.offers set title = 'Draft offer (early bird)' where title = 'Draft offer' returning title $$),
  '[{"title": "Draft offer (early bird)"}]', 'offers: an edit comes back');
select is(tests.returned($$ update public.offer_prices set amount = 3900 where currency = 'USD' and offer_id = tests.offer_id('Draft offer (early bird)')
                            returning amount $$),
  '[{"amount": 3900}]', 'offer_prices: a new price comes back');
-- upsert(..., { onConflict: "offer_id,currency" }): PostgREST sets every column it sends
select is(tests.returned($$ insert into public.offer_prices (offer_id, currency, amount)
                            values (tests.offer_id('Draft offer (early bird)'), 'USD', 3500), (tests.offer_id('Draft offer (early bird)'), 'GBP', 3000)
                            on conflict (offer_id, currency) do update
                              set offer_id = excluded.offer_id, currency = excluded.currency, amount = excluded.amount
                            returning currency, amount $$),
  '[{"currency": "USD", "amount": 3500}, {"currency": "GBP", "amount": 3000}]',
  'offer_prices: an upsert sets one price and adds another, both come back');
select tests.authenticate_as('other@t');
select throws_ok($$ insert into public.offer_prices (offer_id, currency, amount)
                    values (tests.offer_id('Draft offer (early bird)'), 'USD', 1)
                    on conflict (offer_id, currency) do update
                      set offer_id = excluded.offer_id, currency = excluded.currency, amount = excluded.amount $$,
  '42501', 'new row violates row-level security policy for table "offer_prices"', 'offer_prices: another instructor''s upsert on an offer they do not manage is refused');
select is(tests.affected_rows($q$ update public.offer_prices set offer_id = tests.offer_id('Draft offer (early bird)')
                                 where offer_id = tests.offer_id('Draft offer (early bird)') $q$), 0::bigint,
  'offer_prices: another instructor moves no price of an offer they do not manage');
select tests.authenticate_as('own@t');
select is(tests.returned($$ update public.coupons set max_redemptions = 50 where code = 'LAUNCH20' returning max_redemptions $$),
  '[{"max_redemptions": 50}]', 'coupons: an edit comes back');
select tests.authenticate_as('admin@t');
select is(tests.returned($$ insert into public.offers (kind, title, plan_interval, plan_scope, owner_id)
                            values ('plan', 'Chosen set yearly', 'year', 'selected_courses', null) returning title $$),
  '[{"title": "Chosen set yearly"}]', 'offers: an admin gets a platform plan of a chosen set back (not on sale while empty)');
select is(tests.returned($$ insert into public.offers (kind, title, owner_id) values ('bundle', 'Platform bundle', null) returning title $$),
  '[{"title": "Platform bundle"}]', 'offers: and a platform bundle');
-- nobody else reads what is not on sale because its creator now reads it from the row
select tests.authenticate_as('other@t');
select is((select count(*) from public.offers where title in ('Draft offer (early bird)', 'Paused offer', 'Chosen set yearly', 'Platform bundle')),
  0::bigint, 'another instructor reads none of the offers that are not on sale');
-- an offer's owner who leaves the course's staff stops reading it, as before (the same steps as for
-- live_sessions above, on purpose)
select tests.authenticate_as('own@t');
select is(public.add_course_instructor(tests.course_id('course-a'), tests.user_id('co@t')), true, 'co@t co-teaches course-a');
select tests.authenticate_as('co@t');
select is(tests.returned(format($$ insert into public.offers (kind, title, course_id, is_active) values ('course', 'Co paused offer', %L, false)
                                   returning title $$, tests.course_id('course-a'))),
  '[{"title": "Co paused offer"}]', 'offers: a co-instructor gets their inactive offer back');
select tests.authenticate_as('own@t');
select is(public.remove_course_instructor(tests.course_id('course-a'), tests.user_id('co@t')), true, 'the owner removes co@t');
select tests.authenticate_as('co@t');
select is((select count(*) from public.offers where title = 'Co paused offer'), 0::bigint,
  'the removed co-instructor no longer reads the offer they created');

select * from finish();
rollback;
