-- The `storage` schema as the supabase/postgres image creates it and supabase/storage's tenant
-- migrations leave storage.buckets, storage.objects, the path helpers and the triggers on those
-- tables. supabase_storage_admin owns them; anon, authenticated and service_role hold every
-- privilege and RLS decides; `postgres` holds every privilege with grant option, USAGE (with
-- grant option) on the schema and no CREATE. Sources:
--   supabase/postgres migrations/db/init-scripts/00000000000002-storage-schema.sql  schema, default privileges
--   supabase/postgres migrations/db/init-scripts/00000000000003-post-setup.sql      dashboard_user
--   supabase/storage migrations/tenant/*.sql (0002-storage-schema, 0011, 0036, 0055-prevent-direct-deletes,
--     0060, 0061, ...; definitions as the last of them leaves them)
--   2025 platform changes (revoke_admin_roles_from_postgres,
--     grant_storage_schema_to_postgres_with_grant_option,
--     tmp_grant_storage_tables_to_postgres_with_grant_option)
create schema if not exists storage authorization supabase_admin;
grant usage on schema storage to postgres with grant option;
grant usage on schema storage to anon, authenticated, service_role;
grant all on schema storage to supabase_storage_admin;
grant all on schema storage to dashboard_user;
-- init-scripts/...-storage-schema.sql runs as postgres: these default privileges are postgres's own
-- (postgres cannot create anything in `storage`, so they never apply).
alter default privileges for role postgres in schema storage
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema storage
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema storage
  grant all on sequences to postgres, anon, authenticated, service_role;

set role supabase_storage_admin;

do $$
begin
  if not exists (select from pg_type where typname = 'buckettype' and typnamespace = 'storage'::regnamespace) then
    create type storage.buckettype as enum ('STANDARD', 'ANALYTICS', 'VECTOR');
  end if;
end
$$;

create table if not exists storage.buckets (
    id text not null,
    name text not null,
    owner uuid,
    created_at timestamp with time zone default now(),
    updated_at timestamp with time zone default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[],
    owner_id text,
    type storage.buckettype default 'STANDARD'::storage.buckettype not null,
    versioning_status text default 'DISABLED'::text not null,
    constraint buckets_pkey primary key (id),
    constraint buckets_versioning_dark_check check ((versioning_status = 'DISABLED'::text)),
    constraint buckets_versioning_standard_only_check
      check (((type = 'STANDARD'::storage.buckettype) or (versioning_status = 'DISABLED'::text))),
    constraint buckets_versioning_status_check
      check ((versioning_status = any (array['DISABLED'::text, 'ENABLED'::text, 'SUSPENDED'::text])))
);
comment on column storage.buckets.owner is 'Field is deprecated, use owner_id instead';
create unique index if not exists bname on storage.buckets using btree (name);
alter table storage.buckets enable row level security;

create table if not exists storage.objects (
    id uuid default gen_random_uuid() not null,
    bucket_id text,
    name text,
    owner uuid,
    created_at timestamp with time zone default now(),
    updated_at timestamp with time zone default now(),
    last_accessed_at timestamp with time zone default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/'::text)) stored,
    version text,
    owner_id text,
    user_metadata jsonb,
    archived_at timestamp with time zone,
    is_delete_marker boolean default false not null,
    is_versioned boolean default false not null,
    constraint objects_pkey primary key (id),
    constraint "objects_bucketId_fkey" foreign key (bucket_id) references storage.buckets(id)
);
comment on column storage.objects.owner is 'Field is deprecated, use owner_id instead';
create unique index if not exists bucketid_objname on storage.objects using btree (bucket_id, name);
create index if not exists idx_objects_bucket_id_name on storage.objects using btree (bucket_id, name collate "C");
create index if not exists idx_objects_bucket_id_name_lower on storage.objects using btree (bucket_id, lower(name) collate "C");
create index if not exists name_prefix_search on storage.objects using btree (name text_pattern_ops);
alter table storage.objects enable row level security;

CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
    _parts text[];
BEGIN
    -- Split on "/" to get path segments
    SELECT string_to_array(name, '/') INTO _parts;
    -- Return everything except the last segment
    RETURN _parts[1 : array_length(_parts,1) - 1];
END
$$;

CREATE OR REPLACE FUNCTION storage.filename(name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
    _parts text[];
BEGIN
    SELECT string_to_array(name, '/') INTO _parts;
    RETURN _parts[array_length(_parts, 1)];
END
$$;

CREATE OR REPLACE FUNCTION storage.extension(name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
    _parts text[];
    _filename text;
BEGIN
    -- Split on "/" to get path segments
    SELECT string_to_array(name, '/') INTO _parts;
    -- Get the last path segment (the actual filename)
    SELECT _parts[array_length(_parts, 1)] INTO _filename;
    -- Extract extension: reverse, split on '.', then reverse again
    RETURN reverse(split_part(reverse(_filename), '.', 1));
END
$$;

CREATE OR REPLACE FUNCTION storage.update_updated_at_column() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW; 
END;
$$;

CREATE OR REPLACE FUNCTION storage.enforce_bucket_name_length() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
    if length(new.name) > 100 then
        raise exception 'bucket name "%" is too long (% characters). Max is 100.', new.name, length(new.name);
    end if;
    return new;
end;
$$;

-- Rows in these tables describe files in object storage, so the Storage API, not SQL, deletes them.
CREATE OR REPLACE FUNCTION storage.protect_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Check if storage.allow_delete_query is set to 'true'
    IF COALESCE(current_setting('storage.allow_delete_query', true), 'false') != 'true' THEN
        RAISE EXCEPTION 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
            USING HINT = 'This prevents accidental data loss from orphaned objects.',
                  ERRCODE = '42501';
    END IF;
    RETURN NULL;
END;
$$;

create or replace trigger enforce_bucket_name_length_trigger before insert or update of name on storage.buckets
  for each row execute function storage.enforce_bucket_name_length();
create or replace trigger protect_buckets_delete before delete on storage.buckets
  for each statement execute function storage.protect_delete();
create or replace trigger protect_objects_delete before delete on storage.objects
  for each statement execute function storage.protect_delete();
create or replace trigger update_objects_updated_at before update on storage.objects
  for each row execute function storage.update_updated_at_column();

grant all on function storage.foldername(name text), storage.filename(name text), storage.extension(name text)
  to anon, authenticated, service_role, dashboard_user, postgres;
grant all on table storage.buckets, storage.objects to anon, authenticated, service_role;
grant all on table storage.buckets, storage.objects to postgres with grant option;

reset role;
