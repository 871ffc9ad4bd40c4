-- Jobs: how background work starts.
--
-- pg_cron (created by the foundation migration) runs the jobs the migrations schedule, each with
-- the domain it serves: plain SQL ones directly (session reminders, expiring orders), and those
-- that need a secret or a third party (sending email, cancelling Zoom registrants) through an edge
-- function, which private.call_edge_function() starts where the platform can: on hosted Supabase,
-- with pg_net and Vault. Elsewhere (our local stack) the call does nothing, and `npm run
-- emails:send` and `npm run zoom:sync` do those jobs.

-- How pg_cron starts an edge function (send-emails, zoom-sync): where pg_net and Vault
-- exist (hosted Supabase), a POST to <project_url>/functions/v1/<name> with the project's key,
-- both read from Vault at each run. The key is the secret key (Vault secret 'secret_key',
-- sb_secret_...), sent in the `apikey` header: it is no JWT, so never as a bearer (Supabase's
-- "Migrating to publishable and secret API keys", Database Webhooks and pg_net). A project still on
-- the legacy service_role key (Vault secret 'service_role_key', a JWT) sends that as
-- `Authorization: Bearer`, as before, until 'secret_key' exists; then the secret key wins. Anywhere
-- else (our local stack, where `npm run emails:send` and `npm run zoom:sync` do the job), or
-- without the secrets, it does nothing. Its SQL is dynamic and built with format(), so it compiles
-- and lints without pg_net or Vault. Returns pg_net's request id, or null when it did nothing.
create function private.call_edge_function(name text) returns bigint
language plpgsql
set search_path = ''
as $$
declare
  project_url text;
  secret_key text;
  service_role_key text;
  headers jsonb := jsonb_build_object('content-type', 'application/json');
  request_id bigint;
begin
  if call_edge_function.name !~ '^[a-z0-9][a-z0-9-]{0,62}$' then
    raise exception 'not a function name: %', left(call_edge_function.name, 64) using errcode = '22023',
      detail = 'invalid_function_name';
  end if;
  if pg_catalog.to_regnamespace('net') is null or pg_catalog.to_regclass('vault.decrypted_secrets') is null then
    return null;
  end if;
  execute format('select decrypted_secret from %I.decrypted_secrets where name = $1', 'vault')
    into project_url using 'project_url';
  execute format('select decrypted_secret from %I.decrypted_secrets where name = $1', 'vault')
    into secret_key using 'secret_key';
  if secret_key is null then
    execute format('select decrypted_secret from %I.decrypted_secrets where name = $1', 'vault')
      into service_role_key using 'service_role_key';
  end if;
  if project_url is null or (secret_key is null and service_role_key is null) then
    return null;
  end if;
  if secret_key is not null then
    headers := headers || jsonb_build_object('apikey', secret_key);
  else
    headers := headers || jsonb_build_object('authorization', 'Bearer ' || service_role_key);
  end if;
  execute format('select %I.http_post(url := $1, body := $2, headers := $3)', 'net') into request_id
    using rtrim(project_url, '/') || '/functions/v1/' || call_edge_function.name, '{}'::jsonb, headers;
  return request_id;
end;
$$;
revoke all on function private.call_edge_function(text) from public;

-- pg_net where the platform offers it (hosted Supabase); our local stack has none.
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net with schema extensions;
  end if;
end
$$;
