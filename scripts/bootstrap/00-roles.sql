-- Supabase platform roles, as the supabase/postgres image leaves them after its init scripts and
-- migrations (initial-schema, demote-postgres, alter_api_roles_for_inherit, ...). Runs as the
-- cluster superuser, supabase_admin. Idempotent.
do $$
declare
  r record;
begin
  for r in
    select * from (values
      ('anon',                    'nologin inherit'),
      ('authenticated',           'nologin inherit'),
      ('service_role',            'nologin inherit bypassrls'),
      ('authenticator',           'login noinherit'),
      ('postgres',                'login nosuperuser createdb createrole replication bypassrls'),
      ('supabase_auth_admin',     'login noinherit nocreaterole noreplication'),
      ('supabase_storage_admin',  'login noinherit createrole noreplication'),
      ('supabase_realtime_admin', 'login noinherit createrole replication'),
      ('dashboard_user',          'nologin nosuperuser createdb createrole replication')
    ) as t(name, attrs)
  loop
    if not exists (select 1 from pg_roles where rolname = r.name) then
      execute format('create role %I %s', r.name, r.attrs);
    else
      execute format('alter role %I %s', r.name, r.attrs);
    end if;
  end loop;
end
$$;

-- Local-only passwords, the same one `supabase start` uses.
alter role postgres password 'postgres';
alter role authenticator password 'postgres';
alter role supabase_auth_admin password 'postgres';
alter role supabase_storage_admin password 'postgres';
alter role supabase_realtime_admin password 'postgres';

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
grant anon, authenticated, service_role to supabase_realtime_admin;
grant authenticator to supabase_storage_admin;
grant pg_read_all_data, pg_signal_backend, pg_monitor to postgres;

-- On hosted Supabase, supautils' policy_grants let `postgres` create policies on
-- storage.objects and realtime.messages, which supabase_storage_admin and supabase_realtime_admin
-- own. Plain PostgreSQL has no supautils, so membership in the owner roles stands in for it (it
-- is also how those roles were granted to postgres before supautils took over).
grant supabase_storage_admin, supabase_realtime_admin to postgres;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_admin set search_path to "$user", public, auth, extensions;
alter role postgres set search_path to "$user", public, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = '60000';
alter role supabase_storage_admin set search_path = storage;
alter role supabase_realtime_admin set search_path = public, extensions, realtime;

-- migrate.sh makes postgres the database owner, so it owns `public` (through pg_database_owner).
alter database postgres owner to postgres;
grant all on database postgres to postgres;
grant create on database postgres to supabase_auth_admin, supabase_realtime_admin;
grant all on database postgres to dashboard_user;
