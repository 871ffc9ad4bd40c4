-- Demo platform for local development. Every account's password is "Password123!".
-- Runs after the migrations (`supabase db push --include-seed`, `supabase db reset`).
--
-- Users are written as Supabase Auth writes a confirmed email sign-up, so they sign in on a real
-- Auth server: '' (never NULL) in every token and change column GoTrue scans, a bcrypt hash, and
-- an `email` identity each (supabase/tests/database/seed.test.sql checks it).

insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current,
  phone_change, phone_change_token, reauthentication_token,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at
)
select
  '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
  extensions.crypt('Password123!', extensions.gen_salt('bf')), now(),
  '', '', '', '', '', '', '', '',
  '{"provider":"email","providers":["email"]}'::jsonb,
  jsonb_build_object('display_name', u.name), now(), now()
from (values
  ('a0000000-0000-4000-8000-000000000001'::uuid, 'admin@example.com', 'Ada Admin'),
  ('b0000000-0000-4000-8000-000000000001'::uuid, 'priya@example.com', 'Priya Raman'),
  ('b0000000-0000-4000-8000-000000000002'::uuid, 'marco@example.com', 'Marco Bianchi'),
  ('b0000000-0000-4000-8000-000000000003'::uuid, 'lena@example.com', 'Lena Fischer'),
  ('c0000000-0000-4000-8000-000000000001'::uuid, 'sam@example.com', 'Sam Student'),
  ('c0000000-0000-4000-8000-000000000002'::uuid, 'noor@example.com', 'Noor Haddad'),
  ('c0000000-0000-4000-8000-000000000003'::uuid, 'kenji@example.com', 'Kenji Sato')
) as u (id, email, name)
on conflict (id) do nothing;

insert into public.user_roles (user_id, role) values
  ('a0000000-0000-4000-8000-000000000001', 'admin'),
  ('b0000000-0000-4000-8000-000000000001', 'instructor'),
  ('b0000000-0000-4000-8000-000000000002', 'instructor'),
  ('b0000000-0000-4000-8000-000000000003', 'instructor')
on conflict do nothing;

update public.profiles set bio = 'Backend engineer teaching Postgres and API design.', timezone = 'Asia/Kolkata'
where id = 'b0000000-0000-4000-8000-000000000001';
update public.profiles set bio = 'Designer and illustrator.', timezone = 'Europe/Rome'
where id = 'b0000000-0000-4000-8000-000000000002';
update public.profiles set bio = 'Data scientist.', timezone = 'Europe/Berlin'
where id = 'b0000000-0000-4000-8000-000000000003';

-- More students
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current,
  phone_change, phone_change_token, reauthentication_token,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at
)
select '00000000-0000-0000-0000-000000000000',
  ('c0000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid, 'authenticated', 'authenticated',
  'student' || lpad(n::text, 2, '0') || '@example.com',
  extensions.crypt('Password123!', extensions.gen_salt('bf')), now(),
  '', '', '', '', '', '', '', '',
  '{"provider":"email","providers":["email"]}'::jsonb,
  jsonb_build_object('display_name', (array['Ana Lima', 'Ben Okafor', 'Chloé Martin', 'Dev Patel', 'Eva Novak',
    'Felix Wong', 'Grace Kim', 'Hugo Silva', 'Iris Berg'])[n - 3]), now(), now()
from generate_series(4, 12) n
on conflict (id) do nothing;

-- One `email` identity per user, as Auth creates at sign-up (provider_id is the user id).
insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id,
  jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
  'email', now(), now(), now()
from auth.users u
where u.email like '%@example.com'
on conflict (provider_id, provider) do nothing;

-- ---------------------------------------------------------------------------------------------
-- Catalog
-- ---------------------------------------------------------------------------------------------
insert into public.categories (id, parent_id, slug, name, position) values
  ('d0000000-0000-4000-8000-000000000001', null, 'development', 'Development', 0),
  ('d0000000-0000-4000-8000-000000000002', null, 'design', 'Design', 1),
  ('d0000000-0000-4000-8000-000000000003', null, 'business', 'Business', 2),
  ('d0000000-0000-4000-8000-000000000011', 'd0000000-0000-4000-8000-000000000001', 'web-development', 'Web development', 0),
  ('d0000000-0000-4000-8000-000000000012', 'd0000000-0000-4000-8000-000000000001', 'databases', 'Databases', 1),
  ('d0000000-0000-4000-8000-000000000013', 'd0000000-0000-4000-8000-000000000001', 'data-science', 'Data science', 2),
  ('d0000000-0000-4000-8000-000000000021', 'd0000000-0000-4000-8000-000000000002', 'ui-ux', 'UI & UX', 0),
  ('d0000000-0000-4000-8000-000000000022', 'd0000000-0000-4000-8000-000000000002', 'illustration', 'Illustration', 1),
  ('d0000000-0000-4000-8000-000000000031', 'd0000000-0000-4000-8000-000000000003', 'marketing', 'Marketing', 0),
  ('d0000000-0000-4000-8000-000000000032', 'd0000000-0000-4000-8000-000000000003', 'productivity', 'Productivity', 1)
on conflict (id) do nothing;

create temporary table seed_courses (
  n int, slug text, title text, subtitle text, owner uuid, category uuid, level public.course_level,
  language text, is_free boolean, price bigint, currency text, sequential boolean, drip boolean,
  sections text[], tags text[]
) on commit drop;
insert into seed_courses values
  (1, 'postgres-rls-in-practice', 'Postgres Row Level Security in Practice', 'Secure multi-tenant apps with policies that scale',
   'b0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000012', 'intermediate', 'en', false, 4900, 'USD', false, false,
   '{"Policies from first principles","Performance at scale","Testing with pgTAP"}', '{postgres,security,supabase}'),
  (2, 'sql-for-beginners', 'SQL for Absolute Beginners', 'Query data with confidence in one weekend',
   'b0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000012', 'beginner', 'en', true, null, null, false, false,
   '{"Your first query","Joins without fear","Aggregates and grouping"}', '{sql,postgres}'),
  (3, 'building-apis-with-supabase', 'Building APIs with Supabase', 'From schema to production with RLS, RPCs and Edge Functions',
   'b0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000011', 'intermediate', 'en', false, 6900, 'USD', false, false,
   '{"Designing the schema","RPCs and security definer","Edge Functions and webhooks"}', '{supabase,api,typescript}'),
  (4, 'modern-css-layouts', 'Modern CSS Layouts', 'Grid, flexbox and container queries',
   'b0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000011', 'beginner', 'en', false, 2900, 'EUR', false, false,
   '{"Flexbox","Grid","Responsive without media queries"}', '{css,frontend}'),
  (5, 'ui-design-fundamentals', 'UI Design Fundamentals', 'Typography, colour and spacing that work',
   'b0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000021', 'beginner', 'en', true, null, null, false, false,
   '{"Typography","Colour","Layout and rhythm"}', '{design,ui}'),
  (6, 'figma-for-teams', 'Figma for Product Teams', 'Design systems, components and handoff',
   'b0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000021', 'intermediate', 'it', false, 3900, 'EUR', false, false,
   '{"Components","Variables and modes","Developer handoff"}', '{figma,design-systems}'),
  (7, 'digital-illustration-basics', 'Digital Illustration Basics', 'Sketch, ink and colour on a tablet',
   'b0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000022', 'beginner', 'en', false, 2500, 'EUR', false, false,
   '{"Sketching","Line art","Colouring"}', '{illustration,procreate}'),
  (8, 'python-for-data-analysis', 'Python for Data Analysis', 'pandas, notebooks and clean data',
   'b0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000013', 'beginner', 'de', false, 5900, 'EUR', false, false,
   '{"Python refresher","pandas essentials","Cleaning real data"}', '{python,pandas,data}'),
  (9, 'machine-learning-foundations', 'Machine Learning Foundations', 'The maths and the code, in order',
   'b0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000013', 'advanced', 'en', false, 8900, 'EUR', true, false,
   '{"Linear models","Trees and ensembles","Evaluation"}', '{ml,python}'),
  (10, 'data-visualisation-with-d3', 'Data Visualisation with D3', 'Charts that tell the story, one week at a time',
   'b0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000013', 'intermediate', 'en', false, 4500, 'EUR', false, true,
   '{"Scales and axes","Interaction","Storytelling"}', '{d3,javascript,dataviz}'),
  (11, 'content-marketing-playbook', 'The Content Marketing Playbook', 'Plan, write and measure content that sells',
   'b0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000031', 'all_levels', 'en', false, 1900, 'USD', false, false,
   '{"Strategy","Writing","Measuring"}', '{marketing,writing}'),
  (12, 'deep-work-for-developers', 'Deep Work for Developers', 'Focus, flow and sustainable pace',
   'b0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000032', 'all_levels', 'en', true, null, null, false, false,
   '{"Attention","Systems","Habits"}', '{productivity}'),
  (13, 'advanced-query-tuning', 'Advanced Query Tuning', 'EXPLAIN, indexes and the planner (coming soon)',
   'b0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000012', 'advanced', 'en', false, 7900, 'USD', false, false,
   '{"Reading EXPLAIN"}', '{postgres,performance}');

insert into public.courses (id, slug, title, subtitle, description, level, language, category_id, owner_id,
                            is_free, list_price_amount, list_price_currency, requires_sequential, tags, thumbnail_path)
select ('e0000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid, slug, title, subtitle,
       subtitle || '. ' || 'A hands-on course with exercises, real projects and a certificate of completion.',
       level, language, category, owner, is_free, price, currency, sequential, tags,
       'e0000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0') || '/cover.jpg'
from seed_courses
on conflict (id) do nothing;

-- Three lessons per section; the first lesson of a course is a preview; drip courses open
-- section 2 after 7 days and section 3 after 14.
insert into public.sections (id, course_id, title, position)
select ('f' || lpad(sc.n::text, 3, '0') || '0000-0000-4000-8000-00000000000' || s.i)::uuid,
       ('e0000000-0000-4000-8000-0000000000' || lpad(sc.n::text, 2, '0'))::uuid, s.title, s.i - 1
from seed_courses sc cross join lateral unnest(sc.sections) with ordinality as s (title, i)
on conflict (id) do nothing;

insert into public.lessons (section_id, title, kind, position, duration_seconds, is_preview, drip_days)
select sec.id,
       sec.title || ' — ' || (array['Overview', 'Walkthrough', 'Exercise'])[k],
       (array['video', 'text', 'file'])[k]::public.lesson_kind,
       k - 1, 180 + 120 * k + 60 * sec.position,
       sec.position = 0 and k = 1,
       case when sc.drip and sec.position > 0 then 7 * sec.position end
from public.sections sec
join seed_courses sc on sec.course_id = ('e0000000-0000-4000-8000-0000000000' || lpad(sc.n::text, 2, '0'))::uuid
cross join generate_series(1, 3) k
where not exists (select 1 from public.lessons l where l.section_id = sec.id);

insert into public.lesson_contents (lesson_id, body, video_url)
select l.id,
       '## ' || l.title || E'\n\nIn this lesson we work through ' || lower(l.title) || ' step by step.',
       case when l.kind = 'video' then 'https://videos.example.com/' || l.id || '.m3u8' end
from public.lessons l
where l.course_id in (select c.id from public.courses c where c.slug in (select slug from seed_courses))
on conflict (lesson_id) do nothing;

insert into public.lesson_materials (lesson_id, title, storage_path, mime_type, size_bytes)
select l.id, 'Exercise files', l.course_id || '/' || l.id || '/exercise.zip', 'application/zip', 1048576
from public.lessons l
where l.kind = 'file' and l.course_id in (select c.id from public.courses c where c.slug in (select slug from seed_courses))
on conflict (storage_path) do nothing;

-- Their objects in the private course-materials bucket, as Storage records an upload (the rows,
-- not the bytes), so createSignedUrl signs them for whoever may read the lesson: the
-- storage.objects policies decide, as for a real upload.
insert into storage.objects (bucket_id, name, metadata)
select 'course-materials', m.storage_path,
       jsonb_build_object('size', m.size_bytes, 'mimetype', m.mime_type, 'cacheControl', 'max-age=3600')
from public.lesson_materials m
on conflict (bucket_id, name) do nothing;

update public.courses set status = 'published', published_at = now() - (interval '9 days' * (13 - n))
from seed_courses sc
where courses.slug = sc.slug and sc.n <= 12 and courses.status = 'draft';

-- Co-instructors
insert into public.course_instructors (course_id, user_id, role) values
  ('e0000000-0000-4000-8000-000000000011', 'b0000000-0000-4000-8000-000000000001', 'co_instructor'),
  ('e0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000003', 'co_instructor')
on conflict do nothing;

-- ---------------------------------------------------------------------------------------------
-- Offers: every paid published course on sale at its list price, sold by its owner; the USD
-- courses also in EUR.
-- ---------------------------------------------------------------------------------------------
insert into public.offers (id, kind, title, course_id, owner_id)
select ('0f000000-0000-4000-8000-0000000000' || lpad(sc.n::text, 2, '0'))::uuid, 'course', sc.title,
       ('e0000000-0000-4000-8000-0000000000' || lpad(sc.n::text, 2, '0'))::uuid, sc.owner
from seed_courses sc
where not sc.is_free and sc.n <= 12
on conflict (id) do nothing;

insert into public.offer_prices (offer_id, currency, amount)
select o.id, c.list_price_currency, c.list_price_amount
from public.offers o join public.courses c on c.id = o.course_id
where o.id in (select ('0f000000-0000-4000-8000-0000000000' || lpad(sc.n::text, 2, '0'))::uuid from seed_courses sc)
union all
select o.id, 'EUR', (round(c.list_price_amount * 0.92 / 100) * 100)::bigint
from public.offers o join public.courses c on c.id = o.course_id
where o.id in (select ('0f000000-0000-4000-8000-0000000000' || lpad(sc.n::text, 2, '0'))::uuid from seed_courses sc)
  and c.list_price_currency = 'USD'
on conflict do nothing;

-- ---------------------------------------------------------------------------------------------
-- The shop a newcomer clicks through and buys from. Fixed ids, listed in the README's seed
-- section (docs and tests name them): a bundle, two subscription plans, coupons (one capped), and
-- upcoming live sessions (free, paid, one paid with only two seats, one for a course's students).
-- Times are relative to when the seed runs; sessions start at least two days later.
-- ---------------------------------------------------------------------------------------------

-- Priya's two paid courses as a bundle, cheaper than both (USD 49 + 69), in USD and EUR.
insert into public.offers (id, kind, title, owner_id) values
  ('0f000000-0000-4000-8000-000000000101', 'bundle', 'Supabase Backend Bundle', 'b0000000-0000-4000-8000-000000000001')
on conflict (id) do nothing;
insert into public.offer_courses (offer_id, course_id) values
  ('0f000000-0000-4000-8000-000000000101', 'e0000000-0000-4000-8000-000000000001'),
  ('0f000000-0000-4000-8000-000000000101', 'e0000000-0000-4000-8000-000000000003')
on conflict do nothing;

-- Subscription plans: Priya's monthly plan (the published courses she owns) and the platform's
-- yearly all-access plan (every published course; admins sell platform plans).
insert into public.offers (id, kind, title, plan_interval, plan_scope, owner_id) values
  ('0f000000-0000-4000-8000-000000000201', 'plan', 'Priya Raman: all my courses, monthly', 'month', 'instructor',
   'b0000000-0000-4000-8000-000000000001'),
  ('0f000000-0000-4000-8000-000000000202', 'plan', 'All-access pass, yearly', 'year', 'all_courses', null)
on conflict (id) do nothing;

-- Upcoming live sessions. Standalone ones are free or sold by an offer; a course's session is
-- free and open to the course's students (they are registered automatically). The creator hosts.
insert into public.live_sessions (id, course_id, title, description, starts_at, duration_minutes, timezone, capacity,
                                  is_published, is_free, created_by) values
  ('5e000000-0000-4000-8000-000000000001', null, 'Ask me anything: Postgres and Supabase',
   'Bring your schema and your questions. Free for everyone, registration required.',
   date_trunc('day', now()) + interval '3 days 13 hours', 60, 'Asia/Kolkata', 100, true, true,
   'b0000000-0000-4000-8000-000000000001'),
  ('5e000000-0000-4000-8000-000000000002', null, 'Live masterclass: review my RLS policies',
   'Priya reviews two attendees'' policies live. Only two seats.',
   date_trunc('day', now()) + interval '10 days 13 hours', 90, 'Asia/Kolkata', 2, true, false,
   'b0000000-0000-4000-8000-000000000001'),
  ('5e000000-0000-4000-8000-000000000003', null, 'Figma live critique',
   'Marco critiques portfolio pieces live.',
   date_trunc('day', now()) + interval '7 days 16 hours', 60, 'Europe/Rome', 25, true, false,
   'b0000000-0000-4000-8000-000000000002'),
  ('5e000000-0000-4000-8000-000000000004', 'e0000000-0000-4000-8000-000000000010', 'D3 office hours',
   'Questions on this week''s charts, for students of Data Visualisation with D3.',
   date_trunc('day', now()) + interval '5 days 17 hours', 45, 'Europe/Berlin', null, true, true,
   'b0000000-0000-4000-8000-000000000003')
on conflict (id) do nothing;

insert into public.offers (id, kind, title, session_id, owner_id) values
  ('0f000000-0000-4000-8000-000000000301', 'session', 'Live masterclass: review my RLS policies',
   '5e000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001'),
  ('0f000000-0000-4000-8000-000000000302', 'session', 'Figma live critique',
   '5e000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000002')
on conflict (id) do nothing;

insert into public.offer_prices (offer_id, currency, amount) values
  ('0f000000-0000-4000-8000-000000000101', 'USD', 9900),
  ('0f000000-0000-4000-8000-000000000101', 'EUR', 8900),
  ('0f000000-0000-4000-8000-000000000201', 'USD', 1900),
  ('0f000000-0000-4000-8000-000000000201', 'EUR', 1700),
  ('0f000000-0000-4000-8000-000000000202', 'USD', 19900),
  ('0f000000-0000-4000-8000-000000000202', 'EUR', 17900),
  ('0f000000-0000-4000-8000-000000000301', 'USD', 2900),
  ('0f000000-0000-4000-8000-000000000301', 'EUR', 2700),
  ('0f000000-0000-4000-8000-000000000302', 'EUR', 1500)
on conflict do nothing;

-- Coupons. WELCOME10: 10% off anything Priya sells, once per buyer. EARLYBIRD: 25% off the
-- bundle only, for the first three buyers. MARCO5: EUR 5 off anything Marco sells.
insert into public.coupons (id, code, kind, percent_off, amount_off, currency, valid_from, valid_until,
                            max_redemptions, max_per_user, owner_id) values
  ('cc000000-0000-4000-8000-000000000001', 'WELCOME10', 'percent', 10, null, null, now() - interval '1 day', null,
   null, 1, 'b0000000-0000-4000-8000-000000000001'),
  ('cc000000-0000-4000-8000-000000000002', 'EARLYBIRD', 'percent', 25, null, null, now() - interval '1 day',
   now() + interval '60 days', 3, 1, 'b0000000-0000-4000-8000-000000000001'),
  ('cc000000-0000-4000-8000-000000000003', 'MARCO5', 'amount', null, 500, 'EUR', now() - interval '1 day', null,
   null, null, 'b0000000-0000-4000-8000-000000000002')
on conflict (id) do nothing;
insert into public.coupon_offers (coupon_id, offer_id) values
  ('cc000000-0000-4000-8000-000000000002', '0f000000-0000-4000-8000-000000000101')
on conflict do nothing;

-- ---------------------------------------------------------------------------------------------
-- Students: enrolments, purchases (paid orders), progress, reviews
-- ---------------------------------------------------------------------------------------------
create temporary table seed_enrolments on commit drop as
select u.id as user_id, c.id as course_id, c.is_free,
       now() - make_interval(days => 3 + ((row_number() over (order by u.email, c.slug)) * 7 % 40)::int) as starts_at
from auth.users u
join public.courses c on c.status = 'published'
  and (abs(hashtext(u.id::text || c.id::text)) % 3 = 0 or (u.email = 'sam@example.com' and c.slug in
       ('postgres-rls-in-practice', 'sql-for-beginners', 'data-visualisation-with-d3')))
where u.email like 'student%@example.com' or u.email in ('sam@example.com', 'noor@example.com', 'kenji@example.com');

insert into public.entitlements (user_id, course_id, source, starts_at)
select se.user_id, se.course_id, 'free', se.starts_at from seed_enrolments se where se.is_free
on conflict do nothing;

insert into public.orders (id, user_id, offer_id, title, currency, subtotal, total, status, paid_at, created_at,
                           updated_at)
select md5('seed-order:' || se.user_id || ':' || se.course_id)::uuid, se.user_id, o.id, o.title, p.currency,
       p.amount, p.amount, 'paid', se.starts_at, se.starts_at, se.starts_at
from seed_enrolments se
join public.offers o on o.course_id = se.course_id and o.kind = 'course'
join public.courses c on c.id = se.course_id
join public.offer_prices p on p.offer_id = o.id and p.currency = c.list_price_currency
where not se.is_free
on conflict (id) do nothing;

insert into public.order_lines (order_id, course_id)
select md5('seed-order:' || se.user_id || ':' || se.course_id)::uuid, se.course_id
from seed_enrolments se
where not se.is_free and exists (select 1 from public.orders o
                                 where o.id = md5('seed-order:' || se.user_id || ':' || se.course_id)::uuid)
on conflict do nothing;

insert into public.entitlements (user_id, course_id, source, order_id, starts_at)
select o.user_id, l.course_id, 'purchase', o.id, o.paid_at
from public.orders o join public.order_lines l on l.order_id = o.id
where o.id in (select md5('seed-order:' || se.user_id || ':' || se.course_id)::uuid from seed_enrolments se)
on conflict do nothing;

-- Noor bought a seat in the two-seat masterclass: one seat is left.
insert into public.orders (id, user_id, offer_id, title, currency, subtotal, total, status, paid_at, created_at,
                           updated_at)
values ('0d000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000002',
        '0f000000-0000-4000-8000-000000000301', 'Live masterclass: review my RLS policies', 'USD', 2900, 2900, 'paid',
        now() - interval '2 days', now() - interval '2 days', now() - interval '2 days')
on conflict (id) do nothing;
insert into public.order_lines (order_id, session_id)
values ('0d000000-0000-4000-8000-000000000001', '5e000000-0000-4000-8000-000000000002')
on conflict do nothing;
select private.register_user('5e000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000002',
                             'purchase', true);

-- Progress: each student completed a share of the open lessons of each course.
insert into public.lesson_progress (user_id, lesson_id, course_id, completed_at, time_spent_seconds, last_position_seconds)
select e.user_id, l.id, l.course_id, e.starts_at + make_interval(days => l.position + 1), l.duration_seconds, l.duration_seconds
from public.entitlements e
join public.lessons l on l.course_id = e.course_id
join public.sections s on s.id = l.section_id
where (s.position * 3 + l.position) < abs(hashtext(e.user_id::text || e.course_id::text)) % 10
  and coalesce(private.lesson_opens_at(l.available_at, l.drip_days, e.starts_at), '-infinity') <= now()
on conflict do nothing;

select private.refresh_course_progress(e.user_id, e.course_id, null) from public.entitlements e;

insert into public.reviews (course_id, user_id, rating, body)
select cp.course_id, cp.user_id, 3 + abs(hashtext('rating' || cp.user_id::text || cp.course_id::text)) % 3,
       (array['Clear explanations and great exercises.', 'Exactly what I needed, well paced.',
              'Good content; a few videos could be shorter.', 'The projects made it click for me.'])
       [1 + abs(hashtext(cp.course_id::text || cp.user_id::text)) % 4]
from public.course_progress cp
where cp.percent >= 30
on conflict do nothing;

-- ---------------------------------------------------------------------------------------------
-- Homework: an assignment a newcomer can look at, and a graded submission. Course 01's last
-- section gets an optional assignment lesson (so the course's progress figures stay as they were):
-- due in 14 days, late work taken for 7 more days at 10% off, 100 points, 60 to pass; PDF, PNG,
-- JPEG or text, up to 3 files of 10 MiB. Sam submitted a PDF (its Storage object's row) and Priya
-- graded it 85, a pass, which completed the lesson and notified him.
-- ---------------------------------------------------------------------------------------------
insert into public.lessons (id, section_id, title, kind, position, duration_seconds, is_required)
values ('1e000000-0000-4000-8000-000000000001', 'f0010000-0000-4000-8000-000000000003',
        'Testing with pgTAP — Assignment: test your policies', 'assignment', 3, 0, false)
on conflict (id) do nothing;

insert into public.assignments (id, lesson_id, instructions, due_at, late_until, late_penalty_percent, max_points,
                                pass_points, max_files, max_file_bytes, allowed_mime_types)
values ('a5000000-0000-4000-8000-000000000001', '1e000000-0000-4000-8000-000000000001',
        E'Write two policies for a `notes` table (owners read and write their own notes; admins read all) and a pgTAP file that proves them for anon, the owner, another user and an admin.\n\nHand in the SQL as text, or a PDF of it with a screenshot of the test run.',
        date_trunc('day', now()) + interval '14 days 18 hours', date_trunc('day', now()) + interval '21 days 18 hours', 10,
        100, 60, 3, 10485760, '{application/pdf,image/png,image/jpeg,text/plain}')
on conflict (id) do nothing;

insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
values ('submissions',
        'e0000000-0000-4000-8000-000000000001/a5000000-0000-4000-8000-000000000001/c0000000-0000-4000-8000-000000000001/notes-policies.pdf',
        'c0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
        '{"size": 48213, "mimetype": "application/pdf", "cacheControl": "max-age=3600"}')
on conflict (bucket_id, name) do nothing;

insert into public.submissions (id, assignment_id, course_id, user_id, attempt, body, files, is_late, is_latest, submitted_at,
                                raw_points, late_penalty_percent, points, passed, feedback, graded_by, graded_at)
values ('5b000000-0000-4000-8000-000000000001', 'a5000000-0000-4000-8000-000000000001',
        'e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 1,
        'Policies and tests attached. The anon case was the tricky one.',
        jsonb_build_array(jsonb_build_object(
          'path', 'e0000000-0000-4000-8000-000000000001/a5000000-0000-4000-8000-000000000001/c0000000-0000-4000-8000-000000000001/notes-policies.pdf',
          'name', 'notes-policies.pdf', 'size', 48213, 'mime_type', 'application/pdf')),
        false, true, now() - interval '3 days', 85, 0, 85, true,
        'Solid policies and a clear test. Wrap auth.uid() in a select so it runs once per statement.',
        'b0000000-0000-4000-8000-000000000001', now() - interval '2 days')
on conflict (id) do nothing;

insert into public.lesson_progress (user_id, lesson_id, course_id, completed_at)
values ('c0000000-0000-4000-8000-000000000001', '1e000000-0000-4000-8000-000000000001',
        'e0000000-0000-4000-8000-000000000001', now() - interval '2 days')
on conflict do nothing;

select private.notify(s.user_id, 'submission_graded', 'Graded: ' || l.title, '85 of 100 points, passed', '/lessons/' || l.id,
                      jsonb_build_object('assignment_id', s.assignment_id, 'submission_id', s.id, 'course_id', s.course_id,
                                         'lesson_id', l.id, 'points', s.points, 'max_points', 100, 'passed', true))
from public.submissions s join public.lessons l on l.id = '1e000000-0000-4000-8000-000000000001'
where s.id = '5b000000-0000-4000-8000-000000000001'
  and not exists (select 1 from public.notifications n where n.user_id = s.user_id and n.kind = 'submission_graded');

-- A quiz a newcomer can take: "Check your RLS knowledge", an optional quiz lesson closing the last
-- section of Postgres Row Level Security in Practice (Sam has the course). Unlimited attempts, 15
-- minutes, pass at 70%, answers shown after submitting, the best attempt counts. Five questions
-- from Priya's bank, one of them an essay she grades by hand. Fixed ids (docs/API.md names them).
-- ---------------------------------------------------------------------------------------------
insert into public.lessons (id, section_id, title, kind, position, duration_seconds, is_required)
select '9a000000-0000-4000-8000-000000000101', 'f0010000-0000-4000-8000-000000000003', 'Check your RLS knowledge',
       'quiz', 4, 900, false
where not exists (select 1 from public.lessons l where l.id = '9a000000-0000-4000-8000-000000000101');
insert into public.quizzes (id, lesson_id, instructions, max_attempts, time_limit_seconds, pass_percent, reveal, grading)
values ('9a000000-0000-4000-8000-000000000001', '9a000000-0000-4000-8000-000000000101',
        'Five questions on policies. 15 minutes; take it as often as you like, your best attempt counts.',
        null, 900, 70, 'after_submit', 'best')
on conflict (id) do nothing;
insert into public.questions (id, course_id, kind, prompt, points, feedback, created_by) values
  ('9b000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'single_choice',
   'Which statement turns row level security on for a table?', 1, 'RLS is a table property, switched on by ALTER TABLE.',
   'b0000000-0000-4000-8000-000000000001'),
  ('9b000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000001', 'true_false',
   'A table with RLS enabled and no policy returns every row to the authenticated role.', 1,
   'No policy means no row: RLS denies by default.', 'b0000000-0000-4000-8000-000000000001'),
  ('9b000000-0000-4000-8000-000000000003', 'e0000000-0000-4000-8000-000000000001', 'short_answer',
   'Which function returns the id of the user making the request?', 1, 'auth.uid() reads the sub claim of the JWT.',
   'b0000000-0000-4000-8000-000000000001'),
  ('9b000000-0000-4000-8000-000000000004', 'e0000000-0000-4000-8000-000000000001', 'numeric',
   'How many policies does a table need so that anon can select and authenticated can insert?', 1,
   'One policy per command and role set: a select policy for anon, an insert policy for authenticated.',
   'b0000000-0000-4000-8000-000000000001'),
  ('9b000000-0000-4000-8000-000000000005', 'e0000000-0000-4000-8000-000000000001', 'essay',
   'Why wrap auth.uid() in a subselect inside a policy?', 2, null, 'b0000000-0000-4000-8000-000000000001')
on conflict (id) do nothing;
insert into public.question_options (id, question_id, course_id, position, label, feedback) values
  ('9c000000-0000-4000-8000-000000000011', '9b000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001',
   0, 'alter table t enable row level security', 'Yes.'),
  ('9c000000-0000-4000-8000-000000000012', '9b000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001',
   1, 'create policy rls on t', 'A policy does nothing until RLS is on.'),
  ('9c000000-0000-4000-8000-000000000013', '9b000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001',
   2, 'grant rls on t to authenticated', 'There is no such grant.'),
  ('9c000000-0000-4000-8000-000000000021', '9b000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000001',
   0, 'True', null),
  ('9c000000-0000-4000-8000-000000000022', '9b000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000001',
   1, 'False', null)
on conflict (id) do nothing;
insert into private.question_keys (question_id, correct_option_ids, accepted_answers, numeric_answer, tolerance) values
  ('9b000000-0000-4000-8000-000000000001', '{9c000000-0000-4000-8000-000000000011}', '{}', null, 0),
  ('9b000000-0000-4000-8000-000000000002', '{9c000000-0000-4000-8000-000000000022}', '{}', null, 0),
  ('9b000000-0000-4000-8000-000000000003', '{}', '{auth.uid(),auth.uid}', null, 0),
  ('9b000000-0000-4000-8000-000000000004', '{}', '{}', 2, 0),
  ('9b000000-0000-4000-8000-000000000005', '{}', '{}', null, 0)
on conflict (question_id) do nothing;
insert into public.quiz_questions (quiz_id, question_id, position)
select '9a000000-0000-4000-8000-000000000001', q.id, row_number() over (order by q.id) - 1
from public.questions q where q.id::text like '9b000000-%'
  and not exists (select 1 from public.quiz_questions x where x.quiz_id = '9a000000-0000-4000-8000-000000000001');

-- Gradebook: in the RLS course the homework counts double the quiz (weights per lesson; default 1).
-- Sam's row shows his graded homework (85) and the quiz he has not taken yet.
insert into public.gradebook_weights (lesson_id, weight)
values ('1e000000-0000-4000-8000-000000000001', 2)
on conflict (lesson_id) do nothing;

-- Certificates: the students who completed a course above got theirs when their progress was
-- computed (the certificates migration issues them). Each is dated at the student's last lesson,
-- with its notification. Sam's (Modern CSS Layouts) and Kenji's (Figma for Product Teams) have
-- fixed ids and serials, for docs/API.md: verify 7C3A-91F0-2B6D-E845-0A1C-5F93 as anyone.
update public.certificates c
set issued_at = coalesce((select max(lp.completed_at) from public.lesson_progress lp
                          where lp.user_id = c.user_id and lp.course_id = c.course_id), c.issued_at);
update public.notifications n set created_at = c.issued_at
from public.certificates c
where n.kind = 'certificate_issued' and n.data ->> 'certificate_id' = c.id::text;
update public.certificates c
set id = 'ce000000-0000-4000-8000-000000000001', serial = '7C3A-91F0-2B6D-E845-0A1C-5F93'
where c.user_id = 'c0000000-0000-4000-8000-000000000001' and c.course_id = 'e0000000-0000-4000-8000-000000000004'
  and c.id <> 'ce000000-0000-4000-8000-000000000001';
update public.certificates c
set id = 'ce000000-0000-4000-8000-000000000002', serial = 'B81D-5E27-C940-3FA6-D1E8-07B2'
where c.user_id = (select u.id from auth.users u where u.email = 'kenji@example.com')
  and c.course_id = 'e0000000-0000-4000-8000-000000000006' and c.id <> 'ce000000-0000-4000-8000-000000000002';

-- ---------------------------------------------------------------------------------------------
-- Q&A (doubts) on Postgres Row Level Security in Practice, where students may answer each other.
-- Sam asked about the walkthrough lesson: Priya answered (accepted) and so did Kenji. Kenji's
-- question about views waits for an answer. Sam asked the staff privately about the homework
-- deadline, and Priya answered. Fixed ids (docs/API.md names them).
-- ---------------------------------------------------------------------------------------------
update public.courses set doubts_peer_answers = true where id = 'e0000000-0000-4000-8000-000000000001';

insert into public.doubts (id, course_id, lesson_id, user_id, author_name, title, body, visibility, created_at,
                           last_activity_at)
select v.id::uuid, 'e0000000-0000-4000-8000-000000000001',
       (select l.id from public.lessons l
        where l.course_id = 'e0000000-0000-4000-8000-000000000001' and l.title = v.lesson),
       v.user_id::uuid, coalesce(p.display_name, ''), v.title, v.body, v.visibility::public.doubt_visibility,
       now() - v.age::interval, now() - v.age::interval
from (values
  ('dd000000-0000-4000-8000-000000000001', 'Policies from first principles — Walkthrough',
   'c0000000-0000-4000-8000-000000000001', 'Why does select return no rows after I enable RLS?',
   'I ran `alter table notes enable row level security` and now every select returns an empty list, even for my own notes. What am I missing?',
   'course', '5 days'),
  ('dd000000-0000-4000-8000-000000000002', null, 'c0000000-0000-4000-8000-000000000003',
   'Do views bypass row level security?',
   'I built a view over notes and students can see each other''s rows through it. Is that expected?', 'course', '2 days'),
  ('dd000000-0000-4000-8000-000000000003', null, 'c0000000-0000-4000-8000-000000000001',
   'Can I hand in the assignment a few days late?',
   'I am travelling next week. Would a late submission still be graded?', 'staff', '1 day')
) as v (id, lesson, user_id, title, body, visibility, age)
join public.profiles p on p.id = v.user_id::uuid
on conflict (id) do nothing;

insert into public.doubt_answers (id, doubt_id, course_id, user_id, author_name, by_staff, body, created_at)
select v.id::uuid, v.doubt_id::uuid, 'e0000000-0000-4000-8000-000000000001', v.user_id::uuid, coalesce(p.display_name, ''),
       v.by_staff, v.body, now() - v.age::interval
from (values
  ('da000000-0000-4000-8000-000000000001', 'dd000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', true,
   'RLS denies every row until a policy allows it. Add one: `create policy "owners read their notes" on notes for select to authenticated using (user_id = (select auth.uid()));`',
   '4 days'),
  ('da000000-0000-4000-8000-000000000002', 'dd000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000003', false,
   'Also check that you are signed in: auth.uid() is null for anon, so the policy matches nothing.', '4 days'),
  ('da000000-0000-4000-8000-000000000003', 'dd000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001', true,
   'Yes: late work is taken for 7 days after the due date, at 10% off.', '20 hours')
) as v (id, doubt_id, user_id, by_staff, body, age)
join public.profiles p on p.id = v.user_id::uuid
on conflict (id) do nothing;

update public.doubts set accepted_answer_id = 'da000000-0000-4000-8000-000000000001',
                         last_activity_at = now() - interval '4 days'
where id = 'dd000000-0000-4000-8000-000000000001' and accepted_answer_id is null;

-- Kenji and Ana voted for Sam's question, Ana for Priya's answer, Sam for Kenji's.
insert into public.doubt_votes (course_id, doubt_id, answer_id, user_id) values
  ('e0000000-0000-4000-8000-000000000001', 'dd000000-0000-4000-8000-000000000001', null, 'c0000000-0000-4000-8000-000000000003'),
  ('e0000000-0000-4000-8000-000000000001', 'dd000000-0000-4000-8000-000000000001', null, 'c0000000-0000-4000-8000-000000000004'),
  ('e0000000-0000-4000-8000-000000000001', null, 'da000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000004'),
  ('e0000000-0000-4000-8000-000000000001', null, 'da000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001')
on conflict do nothing;

-- The seeded questions are days old: the staff's hourly digest of new questions leaves them out.
delete from private.doubt_digest_items where doubt_id::text like 'dd000000-%';

-- Platform feedback: Sam's idea (planned, with Ada's reply), Noor's bug report (new, waiting for
-- triage) and Priya's note about the course editor (done). Only each author and the admins read them.
insert into public.feedback (id, user_id, category, rating, body, page, status, reply, replied_at, triaged_by, triaged_at, created_at)
values
  ('fb000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'idea', 4,
   'Could lessons have a dark mode? I study late at night.', '/courses/building-apis-with-supabase', 'planned',
   'Thanks, Sam! Dark mode is planned for the next release.', now() - interval '2 days',
   'a0000000-0000-4000-8000-000000000001', now() - interval '2 days', now() - interval '5 days'),
  ('fb000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000002', 'bug', 2,
   'The video player restarts from the beginning when I switch tabs.', '/lessons', 'new',
   null, null, null, null, now() - interval '1 day'),
  ('fb000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001', 'content', 5,
   'Reordering lessons by drag and drop saves me a lot of time.', '/teach', 'done',
   null, null, 'a0000000-0000-4000-8000-000000000001', now() - interval '3 days', now() - interval '10 days')
on conflict (id) do nothing;

-- Chat: every course has its channel (made with the course). In Postgres Row Level Security in
-- Practice, Priya, Sam and Kenji have talked; Sam read up to Priya's welcome, so two messages are
-- unread for him. Kenji subscribes to Priya's monthly plan (paid 10 days ago), which opened their
-- direct channel; they have exchanged two messages there. Fixed message ids (docs/API.md).
-- ---------------------------------------------------------------------------------------------
insert into public.orders (id, user_id, offer_id, title, currency, subtotal, total, status, paid_at, created_at, updated_at)
values ('0d000000-0000-4000-8000-000000000201', 'c0000000-0000-4000-8000-000000000003',
        '0f000000-0000-4000-8000-000000000201', 'Priya Raman: all my courses, monthly', 'USD', 1900, 1900, 'paid',
        now() - interval '10 days', now() - interval '10 days', now() - interval '10 days')
on conflict (id) do nothing;
insert into public.subscriptions (id, user_id, offer_id, order_id, stripe_subscription_id, status, current_period_end,
                                  last_event_at, created_at, updated_at)
values ('5c000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000003',
        '0f000000-0000-4000-8000-000000000201', '0d000000-0000-4000-8000-000000000201', 'sub_seed_kenji_priya', 'active',
        date_trunc('day', now()) + interval '20 days', now() - interval '10 days', now() - interval '10 days',
        now() - interval '10 days')
on conflict (id) do nothing;
select private.grant_access('c0000000-0000-4000-8000-000000000003', c, 'subscription',
                            date_trunc('day', now()) + interval '20 days',
                            subscription_id => '5c000000-0000-4000-8000-000000000001')
from private.offer_course_ids('0f000000-0000-4000-8000-000000000201') c
where not exists (select 1 from public.entitlements e where e.subscription_id = '5c000000-0000-4000-8000-000000000001');

insert into public.chat_messages (id, channel_id, course_id, sender_id, sender_name, body, created_at)
select v.id::uuid, ch.id, ch.course_id, v.sender::uuid, p.display_name, v.body, now() - v.ago::interval
from (values
  ('c4000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001',
   'Welcome to the course channel! Ask here about the lessons; I answer every weekday.', '6 days'),
  ('c4000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001',
   'Does a policy with only a USING clause also check rows on INSERT?', '2 days'),
  ('c4000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001',
   'No: INSERT checks WITH CHECK. Without one, Postgres uses the USING expression as the check.', '1 day'),
  ('c4000000-0000-4000-8000-000000000004', 'c0000000-0000-4000-8000-000000000003',
   'That cleared up my update policy too, thanks!', '20 hours')
) v (id, sender, body, ago)
join public.chat_channels ch on ch.kind = 'course' and ch.course_id = 'e0000000-0000-4000-8000-000000000001'
join public.profiles p on p.id = v.sender::uuid
on conflict (id) do nothing;

insert into public.chat_messages (id, channel_id, sender_id, sender_name, body, created_at)
select v.id::uuid, ch.id, v.sender::uuid, p.display_name, v.body, now() - v.ago::interval
from (values
  ('c4000000-0000-4000-8000-000000000101', 'c0000000-0000-4000-8000-000000000003',
   'Hi Priya, I just subscribed. Could you suggest an order for your courses?', '9 days'),
  ('c4000000-0000-4000-8000-000000000102', 'b0000000-0000-4000-8000-000000000001',
   'Welcome, Kenji! Start with SQL for Absolute Beginners, then the RLS course.', '8 days')
) v (id, sender, body, ago)
join public.chat_channels ch on ch.kind = 'direct' and ch.user_a = 'b0000000-0000-4000-8000-000000000001'
                             and ch.user_b = 'c0000000-0000-4000-8000-000000000003'
join public.profiles p on p.id = v.sender::uuid
on conflict (id) do nothing;

insert into public.chat_members (channel_id, user_id, course_id, last_read_at)
select ch.id, 'c0000000-0000-4000-8000-000000000001', ch.course_id, now() - interval '5 days'
from public.chat_channels ch where ch.kind = 'course' and ch.course_id = 'e0000000-0000-4000-8000-000000000001'
on conflict (channel_id, user_id) do nothing;
