-- supautils, emulated. On hosted Supabase the supautils library (not packaged by Debian) decides
-- what `postgres` may do beyond plain PostgreSQL. This file emulates the parts a project's
-- migrations and tools meet:
--   privileged_extensions: `postgres` may CREATE and DROP these extensions; the command runs as
--     privileged_extensions_superuser (supabase_admin), so they belong to it;
--   extension custom scripts: after CREATE EXTENSION, the extension's after-create script runs as
--     the superuser (ansible/files/postgresql_extension_custom_scripts/<ext>/after-create.sql);
--   extensions_parameter_overrides: an extension named there is recorded in the schema named there,
--     whatever the statement says (pg_cron: pg_catalog);
--   policy_grants: `postgres` may create, alter and drop policies on the tables listed there,
--     which it does not own (storage.objects, realtime.messages, auth.users, ...), and on no others.
-- Everything else stays plain PostgreSQL: other untrusted extensions are refused with "permission
-- denied to create extension", policies on other tables with "must be owner of table".
--   privileged_role_allowed_configs, for PostgREST's `pgrst.*`: `postgres` may set PostgREST's
--     in-database settings (ALTER ROLE authenticator SET pgrst.db_pre_request = ...), which plain
--     PostgreSQL 15 reserves to superusers for a placeholder setting. Emulated with GRANT SET ON
--     PARAMETER for each setting PostgREST 12 reads from the database (supautils: `pgrst.*`).
-- Not emulated: reserved_roles and reserved_memberships (PostgreSQL 15's CREATEROLE lets `postgres`
-- grant itself a non-superuser role here; supautils forbids that on Supabase), ALTER and COMMENT ON
-- EXTENSION, the other privileged_role_allowed_configs, the TLE before-create script, and CREATE
-- EXTENSION inside a SECURITY DEFINER function (refused here: such a function may not change the
-- role).
--
-- The settings are supabase/postgres's ansible/files/postgresql_config/supautils.conf.j2, and the
-- scripts its postgresql_extension_custom_scripts/*/after-create.sql, written into the functions
-- below (not into postgresql.conf, where a placeholder setting would be changeable by any user).
--
-- How: event triggers. For CREATE or DROP EXTENSION by `postgres`, a SECURITY DEFINER trigger makes
-- `postgres` a member of supabase_admin for that one command and a second trigger switches the
-- command to supabase_admin (a SECURITY DEFINER function may not change the role); a dropped
-- extension must be privileged; at the end of the command a last trigger applies the schema
-- override and the after-create script, refuses extensions plain PostgreSQL would refuse, takes
-- the membership back and restores the role. For CREATE/ALTER/DROP POLICY, `postgres` is a member
-- of the owners of the listed tables for that one command; at its end the membership is taken
-- back and a policy on any other table is refused. A failing command rolls all of it back with its
-- transaction. Event trigger functions cannot be called directly, so none of this is reachable
-- outside the command it serves.
--
-- The functions live in pg_catalog, as server internals: a project's schemas, dumps, type
-- generation, advisors and lint never see them, as they never see the real library.

set client_min_messages = warning;

-- The supautils settings of supautils.conf.j2 this emulation honours, verbatim.
create or replace function pg_catalog.supautils_emulation_setting(name text) returns text
language sql immutable parallel safe
set search_path = pg_catalog
as $$
  select case name
    when 'privileged_role' then 'postgres'
    when 'privileged_extensions_superuser' then 'supabase_admin'
    when 'privileged_extensions' then
      'address_standardizer, address_standardizer_data_us, autoinc, bloom, btree_gin, btree_gist, '
      'citext, cube, dblink, dict_int, dict_xsyn, earthdistance, fuzzystrmatch, hstore, http, '
      'hypopg, index_advisor, insert_username, intarray, isn, ltree, moddatetime, orioledb, '
      'pg_cron, pg_graphql, pg_hashids, pg_jsonschema, pg_net, pg_partman, pg_repack, '
      'pg_stat_monitor, pg_stat_statements, pg_tle, pg_trgm, pg_walinspect, pgaudit, pgcrypto, '
      'pgjwt, pg_prewarm, pgmq, pgroonga, pgroonga_database, pgrouting, pgrowlocks, pgstattuple, '
      'pgsodium, pgtap, plcoffee, pljava, plls, plpgsql, plpgsql_check, plv8, postgis, '
      'postgis_raster, postgis_sfcgal, postgis_tiger_geocoder, postgis_topology, postgres_fdw, '
      'refint, rum, seg, sslinfo, supabase_vault, supautils, tablefunc, tcn, timescaledb, '
      'tsm_system_rows, tsm_system_time, unaccent, uuid-ossp, vector, wrappers'
    when 'extensions_parameter_overrides' then '{"pg_cron":{"schema":"pg_catalog"}}'
    when 'policy_grants' then
      '{"postgres":["auth.audit_log_entries","auth.identities","auth.refresh_tokens","auth.sessions",'
      '"auth.users","realtime.messages","storage.buckets","storage.migrations","storage.objects",'
      '"storage.s3_multipart_uploads","storage.s3_multipart_uploads_parts"]}'
  end
$$;

-- The after-create scripts of supabase/postgres, verbatim (null: the extension has none).
create or replace function pg_catalog.supautils_emulation_after_create(extname name) returns text
language sql immutable parallel safe
set search_path = pg_catalog
as $supautils$
  select case extname
    when 'dblink' then $script$
do $$
declare
  r record;
begin
  for r in (select oid, (aclexplode(proacl)).grantee from pg_proc where proname = 'dblink_connect_u') loop
   continue when r.grantee = 'supabase_admin'::regrole;
   execute(
     format(
       'revoke all on function %s(%s) from %s;', r.oid::regproc, pg_get_function_identity_arguments(r.oid), r.grantee::regrole
     )
   );
  end loop;
end
$$;
$script$
    when 'pg_cron' then $script$
grant usage on schema cron to postgres with grant option;
grant all on all functions in schema cron to postgres with grant option;

alter default privileges for user supabase_admin in schema cron grant all
    on sequences to postgres with grant option;
alter default privileges for user supabase_admin in schema cron grant all
    on tables to postgres with grant option;
alter default privileges for user supabase_admin in schema cron grant all
    on functions to postgres with grant option;

grant all privileges on all tables in schema cron to postgres with grant option;
revoke all on table cron.job from postgres;
grant select on table cron.job to postgres with grant option;
$script$
    when 'pg_tle' then $script$
grant pgtle_admin to postgres;
$script$
    when 'pgsodium' then $script$
grant execute on function pgsodium.crypto_aead_det_decrypt(bytea, bytea, uuid, bytea) to service_role;
grant execute on function pgsodium.crypto_aead_det_encrypt(bytea, bytea, uuid, bytea) to service_role;
grant execute on function pgsodium.crypto_aead_det_keygen to service_role;
$script$
    when 'postgis_tiger_geocoder' then $script$
-- These schemas are created by extension to house all tiger related functions, owned by supabase_admin
grant usage on schema tiger, tiger_data to postgres with grant option;
-- Give postgres permission to all existing entities, also allows postgres to grant other roles
grant all on all tables in schema tiger, tiger_data to postgres with grant option;
grant all on all routines in schema tiger, tiger_data to postgres with grant option;
grant all on all sequences in schema tiger, tiger_data to postgres with grant option;
-- Update default privileges so that new entities are also accessible by postgres
alter default privileges in schema tiger, tiger_data grant all on tables to postgres with grant option;
alter default privileges in schema tiger, tiger_data grant all on routines to postgres with grant option;
alter default privileges in schema tiger, tiger_data grant all on sequences to postgres with grant option;
$script$
    when 'postgres_fdw' then $script$
do $$
declare
  is_super boolean;
begin
  is_super = (
    select usesuper
    from pg_user
    where usename = 'postgres'
  );

  -- Need to be superuser to own FDWs, so we temporarily make postgres superuser.
  if not is_super then
    alter role postgres superuser;
  end if;

  alter foreign data wrapper postgres_fdw owner to postgres;

  if not is_super then
    alter role postgres nosuperuser;
  end if;
end $$;
$script$
  end
$supautils$;

-- The role a command runs as: the SET ROLE role, else the session user.
create or replace function pg_catalog.supautils_emulation_invoker() returns name
language sql stable
set search_path = pg_catalog
as $$
  select case current_setting('role') when 'none' then session_user else current_setting('role')::name end
$$;

-- ---------------------------------------------------------------------------------------------
-- CREATE EXTENSION, DROP EXTENSION
-- ---------------------------------------------------------------------------------------------

-- 1. (ddl_command_start) The state of the command, in a transaction-local setting written afresh
-- here each time. For the privileged role: a membership in the superuser for this command, and
-- the extensions it owns (it may drop those, privileged or not).
create or replace function pg_catalog.supautils_emulation_extension_grant() returns event_trigger
language plpgsql security definer
set search_path = pg_catalog
as $$
declare
  invoker name := supautils_emulation_invoker();
  su name := supautils_emulation_setting('privileged_extensions_superuser');
  granted boolean := false;
begin
  perform set_config('supautils_emulation.extension', '', true);
  if (select rolsuper from pg_roles where rolname = invoker) then
    -- Superusers create what they like; supautils still runs overrides and after-create scripts.
    perform set_config('supautils_emulation.extension',
      json_build_object('invoker', invoker, 'elevated', false)::text, true);
    return;
  end if;
  if invoker is distinct from supautils_emulation_setting('privileged_role') then
    return;
  end if;
  if not pg_has_role(invoker, su, 'member') then
    execute format('grant %I to %I', su, invoker);
    granted := true;
  end if;
  perform set_config('supautils_emulation.extension', json_build_object(
    'invoker', invoker, 'elevated', true, 'role', current_setting('role'), 'granted', granted,
    'owned', coalesce((select json_agg(e.extname) from pg_extension e where e.extowner = invoker::regrole), '[]')
  )::text, true);
end
$$;

-- 2. (ddl_command_start) The command runs as the superuser. Not SECURITY DEFINER: a SECURITY
-- DEFINER function may not change the role; the role set here outlives the function.
create or replace function pg_catalog.supautils_emulation_extension_switch() returns event_trigger
language plpgsql
set search_path = pg_catalog
as $$
begin
  if (nullif(current_setting('supautils_emulation.extension', true), '')::json ->> 'elevated')::boolean then
    perform set_config('role', supautils_emulation_setting('privileged_extensions_superuser'), true);
  end if;
end
$$;

-- 3. (sql_drop) The privileged role drops privileged extensions, and its own.
create or replace function pg_catalog.supautils_emulation_extension_dropped() returns event_trigger
language plpgsql
set search_path = pg_catalog
as $$
declare
  state json := nullif(current_setting('supautils_emulation.extension', true), '')::json;
  privileged text[] := regexp_split_to_array(supautils_emulation_setting('privileged_extensions'), '\s*,\s*');
  dropped text;
begin
  if not coalesce((state ->> 'elevated')::boolean, false) then
    return;
  end if;
  for dropped in select d.object_name from pg_event_trigger_dropped_objects() d where d.object_type = 'extension' loop
    if not (dropped = any (privileged))
       and not exists (select from json_array_elements_text(state -> 'owned') o where o = dropped) then
      raise exception 'must be owner of extension %', dropped using errcode = '42501';
    end if;
  end loop;
end
$$;

-- 4. (ddl_command_end) Still as the superuser: overrides and after-create scripts; plain
-- PostgreSQL's answer for extensions that are not privileged; then membership and role go back.
create or replace function pg_catalog.supautils_emulation_extension_finish() returns event_trigger
language plpgsql
set search_path = pg_catalog
as $$
declare
  state json := nullif(current_setting('supautils_emulation.extension', true), '')::json;
  elevated boolean := coalesce((state ->> 'elevated')::boolean, false);
  privileged text[] := regexp_split_to_array(supautils_emulation_setting('privileged_extensions'), '\s*,\s*');
  overrides jsonb := supautils_emulation_setting('extensions_parameter_overrides')::jsonb;
  ext record;
  target regnamespace;
  script text;
begin
  if state is null then
    return;
  end if;
  perform set_config('supautils_emulation.extension', '', true);
  if not (select rolsuper from pg_roles where rolname = current_user) then
    raise exception 'supautils emulation: the extension command did not run as a superuser';
  end if;
  for ext in
    select e.oid, e.extname, e.extversion, e.extnamespace, e.extrelocatable
    from pg_event_trigger_ddl_commands() c join pg_extension e on e.oid = c.objid
    where c.classid = 'pg_extension'::regclass and c.command_tag = 'CREATE EXTENSION'
  loop
    if elevated and not (ext.extname = any (privileged)) then
      if exists (select from pg_available_extension_versions v
                 where v.name = ext.extname and v.version = ext.extversion and (v.trusted or not v.superuser)) then
        -- Plain PostgreSQL lets the caller create a trusted extension, and owns it to the caller.
        update pg_extension set extowner = (state ->> 'invoker')::regrole where oid = ext.oid;
        insert into pg_shdepend (dbid, classid, objid, objsubid, refclassid, refobjid, deptype)
        select d.oid, 'pg_extension'::regclass, ext.oid, 0, 'pg_authid'::regclass, (state ->> 'invoker')::regrole, 'o'
        from pg_database d where d.datname = current_database();
      else
        raise exception 'permission denied to create extension "%"', ext.extname
          using errcode = '42501', hint = 'Must be superuser to create this extension.';
      end if;
    end if;
    target := to_regnamespace(overrides -> ext.extname ->> 'schema');
    if target is not null and target <> ext.extnamespace then
      if ext.extrelocatable then
        execute format('alter extension %I set schema %I', ext.extname, target);
      else
        -- Nothing of a non-relocatable extension lives in the schema it is recorded in unless its
        -- script says so (pg_cron's objects are in `cron`): only the record moves.
        update pg_extension set extnamespace = target where oid = ext.oid;
        delete from pg_depend
        where classid = 'pg_extension'::regclass and objid = ext.oid and refclassid = 'pg_namespace'::regclass;
        if target <> 'pg_catalog'::regnamespace then -- pg_catalog is pinned: no dependency row
          insert into pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
          values ('pg_extension'::regclass, ext.oid, 0, 'pg_namespace'::regclass, target, 0, 'n');
        end if;
      end if;
    end if;
    script := supautils_emulation_after_create(ext.extname);
    if script is not null then
      execute script;
    end if;
  end loop;
  if elevated then
    if (state ->> 'granted')::boolean then
      execute format('revoke %I from %I', current_user, state ->> 'invoker');
    end if;
    perform set_config('role', state ->> 'role', true);
  end if;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- CREATE / ALTER / DROP POLICY
-- ---------------------------------------------------------------------------------------------

-- 1. (ddl_command_start) Membership in the owners of the listed tables, for this command.
create or replace function pg_catalog.supautils_emulation_policy_grant() returns event_trigger
language plpgsql security definer
set search_path = pg_catalog
as $$
declare
  invoker name := supautils_emulation_invoker();
  tables jsonb := supautils_emulation_setting('policy_grants')::jsonb -> invoker;
  granted text[] := '{}';
  table_owner name;
begin
  perform set_config('supautils_emulation.policy', '', true);
  if tables is null or coalesce((select rolsuper from pg_roles where rolname = invoker), true) then
    return;
  end if;
  for table_owner in
    select distinct pg_get_userbyid(c.relowner)
    from jsonb_array_elements_text(tables) t(name) join pg_class c on c.oid = to_regclass(t.name)
    where not pg_has_role(invoker, c.relowner, 'usage')
  loop
    execute format('grant %I to %I', table_owner, invoker);
    granted := granted || table_owner::text;
  end loop;
  perform set_config('supautils_emulation.policy',
    jsonb_build_object('invoker', invoker, 'granted', granted, 'dropped', '[]'::jsonb)::text, true);
end
$$;

-- 2. (sql_drop) The tables of dropped policies, checked at the end of the command.
create or replace function pg_catalog.supautils_emulation_policy_dropped() returns event_trigger
language plpgsql security definer
set search_path = pg_catalog
as $$
declare
  state jsonb := nullif(current_setting('supautils_emulation.policy', true), '')::jsonb;
begin
  if state is null then
    return;
  end if;
  state := jsonb_set(state, '{dropped}', (state -> 'dropped') || coalesce((
    select jsonb_agg(format('%I.%I', d.address_names[1], d.address_names[2]))
    from pg_event_trigger_dropped_objects() d where d.object_type = 'policy'), '[]'::jsonb));
  perform set_config('supautils_emulation.policy', state::text, true);
end
$$;

-- 3. (ddl_command_end) The membership goes back; then a policy on a table the invoker does not
-- own by its own memberships must be on a listed table, or the command fails as in PostgreSQL.
create or replace function pg_catalog.supautils_emulation_policy_finish() returns event_trigger
language plpgsql security definer
set search_path = pg_catalog
as $$
declare
  state jsonb := nullif(current_setting('supautils_emulation.policy', true), '')::jsonb;
  invoker name;
  table_owner text;
  r record;
begin
  if state is null then
    return;
  end if;
  perform set_config('supautils_emulation.policy', '', true);
  invoker := state ->> 'invoker';
  for table_owner in select jsonb_array_elements_text(state -> 'granted') loop
    execute format('revoke %I from %I', table_owner, invoker);
  end loop;
  for r in
    select p.polrelid::regclass as tbl, 'table' as kind
    from pg_event_trigger_ddl_commands() c join pg_policy p on p.oid = c.objid
    where c.classid = 'pg_policy'::regclass
    union all
    select to_regclass(d), 'relation' from jsonb_array_elements_text(state -> 'dropped') d
  loop
    if r.tbl is not null
       and not pg_has_role(invoker, (select relowner from pg_class where oid = r.tbl), 'usage')
       and not exists (
         select from jsonb_array_elements_text(supautils_emulation_setting('policy_grants')::jsonb -> invoker) t(name)
         where to_regclass(t.name) = r.tbl
       ) then
      raise exception 'must be owner of % %', r.kind, (select relname from pg_class where oid = r.tbl)
        using errcode = '42501';
    end if;
  end loop;
end
$$;

-- Event triggers fire in name order; these names sort after the platform's own (issue_*,
-- pgrst_*), so the platform's triggers also run as the superuser, as under supautils.
drop event trigger if exists supautils_extension_1_grant;
drop event trigger if exists supautils_extension_2_switch;
drop event trigger if exists supautils_extension_3_dropped;
drop event trigger if exists supautils_extension_4_finish;
drop event trigger if exists supautils_policy_1_grant;
drop event trigger if exists supautils_policy_2_dropped;
drop event trigger if exists supautils_policy_3_finish;
create event trigger supautils_extension_1_grant on ddl_command_start
  when tag in ('CREATE EXTENSION', 'DROP EXTENSION') execute function pg_catalog.supautils_emulation_extension_grant();
create event trigger supautils_extension_2_switch on ddl_command_start
  when tag in ('CREATE EXTENSION', 'DROP EXTENSION') execute function pg_catalog.supautils_emulation_extension_switch();
create event trigger supautils_extension_3_dropped on sql_drop
  when tag in ('DROP EXTENSION') execute function pg_catalog.supautils_emulation_extension_dropped();
create event trigger supautils_extension_4_finish on ddl_command_end
  when tag in ('CREATE EXTENSION', 'DROP EXTENSION') execute function pg_catalog.supautils_emulation_extension_finish();
create event trigger supautils_policy_1_grant on ddl_command_start
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
  execute function pg_catalog.supautils_emulation_policy_grant();
create event trigger supautils_policy_2_dropped on sql_drop
  when tag in ('DROP POLICY') execute function pg_catalog.supautils_emulation_policy_dropped();
create event trigger supautils_policy_3_finish on ddl_command_end
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
  execute function pg_catalog.supautils_emulation_policy_finish();

-- privileged_role_allowed_configs' `pgrst.*`: PostgREST 12's in-database settings.
grant set on parameter
  pgrst.db_aggregates_enabled, pgrst.db_anon_role, pgrst.db_extra_search_path, pgrst.db_max_rows,
  pgrst.db_plan_enabled, pgrst.db_pre_config, pgrst.db_pre_request, pgrst.db_prepared_statements,
  pgrst.db_root_spec, pgrst.db_schemas, pgrst.db_tx_end, pgrst.db_use_legacy_gucs, pgrst.jwt_aud,
  pgrst.jwt_role_claim_key, pgrst.jwt_secret, pgrst.jwt_secret_is_base64,
  pgrst.jwt_cache_max_lifetime, pgrst.openapi_mode, pgrst.openapi_security_active,
  pgrst.openapi_server_proxy_uri, pgrst.raw_media_types, pgrst.server_cors_allowed_origins,
  pgrst.server_trace_header, pgrst.log_level
to postgres;
