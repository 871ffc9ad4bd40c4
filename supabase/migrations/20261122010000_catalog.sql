-- Catalog: categories, courses and their instructors.
--
-- A course has an owner plus co-instructors (course_instructors). Anyone may browse published
-- courses; instructors manage only their own; admins manage all. Courses are soft-deleted
-- (deleted_at). Whether a course is free or paid lives here (is_free, list price in minor units);
-- the commerce migrations sell it. Instructor names are copied onto the course (instructors,
-- search_document) by triggers, so catalog reads and search need no joins.
-- Who may create and edit a course is decided in the course staff migration; who may see one in
-- the access migration, which owns the "has access" notion.

create type public.course_level as enum ('beginner', 'intermediate', 'advanced', 'all_levels');
create type public.course_status as enum ('draft', 'published', 'archived');
create type public.course_instructor_role as enum ('owner', 'co_instructor');

-- ---------------------------------------------------------------------------------------------
-- Categories (a tree)
-- ---------------------------------------------------------------------------------------------

create table public.categories (
  id uuid primary key default gen_random_uuid(),
  parent_id uuid references public.categories (id) on delete restrict,
  slug text not null
    constraint categories_slug_key unique
    constraint categories_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 80),
  name text not null constraint categories_name_length check (char_length(btrim(name)) between 1 and 80),
  position integer not null default 0,
  created_at timestamptz not null default now(),
  constraint categories_not_own_parent check (parent_id <> id)
);
create index categories_parent_id_idx on public.categories (parent_id);
alter table public.categories enable row level security;

create function private.categories_no_cycle() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.parent_id is not null and exists (
    with recursive up as (
      select c.id, c.parent_id from public.categories c where c.id = new.parent_id
      union
      select c.id, c.parent_id from public.categories c join up on c.id = up.parent_id
    )
    select 1 from up where up.id = new.id
  ) then
    raise exception 'a category cannot be inside itself' using errcode = '22023', detail = 'category_cycle';
  end if;
  return new;
end;
$$;
revoke all on function private.categories_no_cycle() from public;
create trigger categories_no_cycle before insert or update of parent_id on public.categories
  for each row execute function private.categories_no_cycle();

-- ---------------------------------------------------------------------------------------------
-- Courses
-- ---------------------------------------------------------------------------------------------

create table public.courses (
  id uuid primary key default gen_random_uuid(),
  slug text not null
    constraint courses_slug_key unique
    constraint courses_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 120),
  title text not null constraint courses_title_length check (char_length(btrim(title)) between 3 and 160),
  subtitle text constraint courses_subtitle_length check (char_length(subtitle) <= 240),
  description text constraint courses_description_length check (char_length(description) <= 20000),
  level public.course_level not null default 'all_levels',
  language text not null default 'en'
    constraint courses_language_format check (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
  category_id uuid references public.categories (id) on delete set null,
  -- A path in the public course-media bucket: <course id>/<file name>.
  thumbnail_path text constraint courses_thumbnail_path_format check (thumbnail_path ~ '^[0-9a-f-]{36}/[^/]+$'),
  tags text[] not null default '{}' constraint courses_tags_limit check (cardinality(tags) <= 20),
  status public.course_status not null default 'draft',
  published_at timestamptz,
  deleted_at timestamptz,
  is_free boolean not null default false,
  -- Display price for the catalog, in minor units. Commerce offers carry the prices actually charged.
  list_price_amount bigint constraint courses_list_price_amount_positive check (list_price_amount > 0),
  list_price_currency text constraint courses_list_price_currency_format check (list_price_currency ~ '^[A-Z]{3}$'),
  requires_sequential boolean not null default false,
  owner_id uuid not null default auth.uid() references auth.users (id) on delete restrict,
  instructors jsonb not null default '[]'::jsonb,
  rating_avg numeric(3, 2),
  rating_count integer not null default 0,
  search_document tsvector,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint courses_price_consistent check (
    (list_price_amount is null) = (list_price_currency is null)
    and not (is_free and list_price_amount is not null)
  )
);
comment on column public.courses.instructors is
  'Public instructor cards [{id, display_name, avatar_url, role}], kept in step by triggers.';
create index courses_category_id_idx on public.courses (category_id);
create index courses_owner_id_idx on public.courses (owner_id);
create index courses_published_at_idx on public.courses (published_at desc, id)
  where status = 'published' and deleted_at is null;
alter table public.courses enable row level security;

create table public.course_instructors (
  course_id uuid not null references public.courses (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.course_instructor_role not null default 'co_instructor',
  added_at timestamptz not null default now(),
  primary key (course_id, user_id)
);
create index course_instructors_user_id_idx on public.course_instructors (user_id);
alter table public.course_instructors enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Denormalized instructor cards and search fields
-- ---------------------------------------------------------------------------------------------

create function private.refresh_course_instructors(course_id uuid) returns void
language sql
security definer
set search_path = ''
as $$
  update public.courses c
  set instructors = coalesce((
    select jsonb_agg(jsonb_build_object('id', p.id, 'display_name', p.display_name,
                                        'avatar_url', p.avatar_url, 'role', ci.role)
                     order by ci.role, ci.added_at)
    from public.course_instructors ci join public.profiles p on p.id = ci.user_id
    where ci.course_id = c.id
  ), '[]'::jsonb)
  where c.id = refresh_course_instructors.course_id
$$;
revoke all on function private.refresh_course_instructors(uuid) from public;

create function private.course_instructors_changed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.refresh_course_instructors(coalesce(new.course_id, old.course_id));
  return null;
end;
$$;
revoke all on function private.course_instructors_changed() from public;
create trigger course_instructors_changed after insert or update or delete on public.course_instructors
  for each row execute function private.course_instructors_changed();

create function private.profile_name_changed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.refresh_course_instructors(ci.course_id)
  from public.course_instructors ci where ci.user_id = new.id;
  return null;
end;
$$;
revoke all on function private.profile_name_changed() from public;
create trigger profiles_name_changed after update of display_name, avatar_url on public.profiles
  for each row when (old.display_name is distinct from new.display_name or old.avatar_url is distinct from new.avatar_url)
  execute function private.profile_name_changed();

create function private.courses_before_write() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  names text := coalesce((select string_agg(i ->> 'display_name', ' ') from jsonb_array_elements(new.instructors) i), '');
begin
  new.search_document :=
    setweight(to_tsvector('simple', coalesce(new.title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(new.subtitle, '') || ' ' || names || ' ' || array_to_string(new.tags, ' ')), 'B') ||
    setweight(to_tsvector('simple', coalesce(new.description, '')), 'C');
  if tg_op = 'UPDATE' then
    new.updated_at := now();
  end if;
  return new;
end;
$$;
revoke all on function private.courses_before_write() from public;
create trigger courses_before_write before insert or update on public.courses
  for each row execute function private.courses_before_write();

-- Moving a course to the trash (or back) is for its owner and admins, not co-instructors.
create function private.courses_trash_rules() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not private.is_server_side() and not (old.owner_id = (select auth.uid()) or private.is_admin()) then
    raise exception 'only the course owner or an admin can delete or restore a course'
      using errcode = '42501', detail = 'not_course_owner';
  end if;
  return new;
end;
$$;
revoke all on function private.courses_trash_rules() from public;
create trigger courses_trash_rules before update of deleted_at on public.courses
  for each row when (old.deleted_at is distinct from new.deleted_at)
  execute function private.courses_trash_rules();

-- The owner is the course's first instructor.
create function private.courses_add_owner() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.course_instructors (course_id, user_id, role) values (new.id, new.owner_id, 'owner')
  on conflict (course_id, user_id) do update set role = 'owner';
  return null;
end;
$$;
revoke all on function private.courses_add_owner() from public;
create trigger courses_add_owner after insert on public.courses
  for each row execute function private.courses_add_owner();

-- ---------------------------------------------------------------------------------------------
-- Grants (the courses' policies: course staff for writes, access for reads)
-- ---------------------------------------------------------------------------------------------

grant select on public.categories to anon, authenticated;
grant insert (parent_id, slug, name, position), update (parent_id, slug, name, position), delete
  on public.categories to authenticated;
grant select, insert, update, delete on public.categories to service_role;

create policy "anyone reads categories" on public.categories for select to anon, authenticated using (true);
create policy "admins add categories" on public.categories for insert to authenticated
  with check ((select private.is_admin()));
create policy "admins edit categories" on public.categories for update to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));
create policy "admins delete categories" on public.categories for delete to authenticated
  using ((select private.is_admin()));

grant select on public.courses to anon, authenticated;
grant insert (slug, title, subtitle, description, level, language, category_id, thumbnail_path, tags,
              is_free, list_price_amount, list_price_currency, requires_sequential)
  on public.courses to authenticated;
grant update (slug, title, subtitle, description, level, language, category_id, thumbnail_path, tags,
              status, is_free, list_price_amount, list_price_currency, requires_sequential, deleted_at)
  on public.courses to authenticated;
grant select, insert, update, delete on public.courses to service_role;

grant select on public.course_instructors to anon, authenticated;
grant select, insert, update, delete on public.course_instructors to service_role;
