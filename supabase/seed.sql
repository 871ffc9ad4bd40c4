-- Demo platform for local development. Every account's password is "Password123!".
-- Runs after the migrations (`supabase db push --include-seed`, `supabase db reset`).

insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at
)
select
  '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
  extensions.crypt('Password123!', extensions.gen_salt('bf')), now(),
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
