-- Profiles: the public face of each user.
--
-- Every auth user gets a profile, created by a trigger from the sign-up metadata (email sign-up,
-- Google, GitHub). Users read and edit the editable fields of their own; admins read every
-- profile. A time zone must be a real IANA name. Roles are not on the profile: they live in
-- user_roles (the roles migration), which no client can write.

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null default ''
    constraint profiles_display_name_length check (char_length(display_name) <= 80),
  avatar_url text
    constraint profiles_avatar_url_valid check (avatar_url ~ '^https?://' and char_length(avatar_url) <= 2048),
  bio text
    constraint profiles_bio_length check (char_length(bio) <= 2000),
  timezone text not null default 'UTC',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.profiles is 'Public-facing profile of each user. Users edit their own editable fields.';
alter table public.profiles enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Profiles: created on sign-up, validated on update
-- ---------------------------------------------------------------------------------------------

create function private.handle_new_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  meta jsonb := coalesce(new.raw_user_meta_data, '{}'::jsonb);
  name text;
  avatar text;
begin
  -- Email sign-up sends display_name; Google sends full_name/name/picture; GitHub user_name/avatar_url.
  name := coalesce(
    nullif(btrim(meta ->> 'display_name'), ''),
    nullif(btrim(meta ->> 'full_name'), ''),
    nullif(btrim(meta ->> 'name'), ''),
    nullif(btrim(meta ->> 'user_name'), ''),
    nullif(split_part(coalesce(new.email, ''), '@', 1), ''),
    ''
  );
  avatar := coalesce(meta ->> 'avatar_url', meta ->> 'picture');
  if avatar !~ '^https?://' or char_length(avatar) > 2048 then
    avatar := null; -- never let bad metadata block a sign-up
  end if;
  insert into public.profiles (id, display_name, avatar_url)
  values (new.id, left(name, 80), avatar)
  on conflict (id) do nothing;
  return new;
end;
$$;
revoke all on function private.handle_new_user() from public;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_user();

create function private.profiles_before_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.timezone is distinct from old.timezone
     and not exists (select 1 from pg_catalog.pg_timezone_names tz where tz.name = new.timezone) then
    -- The name is cut short in the message: an error never echoes unbounded input.
    raise exception 'unknown time zone "%"',
      case when char_length(new.timezone) > 64 then left(new.timezone, 64) || '…' else new.timezone end
      using errcode = '22023', detail = 'unknown_time_zone',
            hint = 'Use an IANA time zone name such as Europe/Paris.';
  end if;
  new.updated_at := now();
  return new;
end;
$$;
revoke all on function private.profiles_before_update() from public;

create trigger profiles_before_update
  before update on public.profiles
  for each row execute function private.profiles_before_update();

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

grant select on public.profiles to authenticated;
grant update (display_name, avatar_url, bio, timezone) on public.profiles to authenticated;
grant select, insert, update, delete on public.profiles to service_role;

create policy "users read their own profile; admins read all"
  on public.profiles for select to authenticated
  using (id = (select auth.uid()) or (select private.is_admin()));

create policy "users update their own profile"
  on public.profiles for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));
