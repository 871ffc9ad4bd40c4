-- pg_cron's calls to the service-only functions (send-emails, zoom-sync) carry the Vault key on the
-- apikey header, where the functions look for API keys (supabase/functions/_shared/auth.ts): a
-- secret key (sb_secret_...) is not a JWT, and a function refuses one sent as a bearer token, as
-- Supabase's own gateway does. A legacy service_role key (a JWT) goes on both headers, as before.
-- The Vault secret keeps its name, 'service_role_key', whichever of the two it holds.
create or replace function private.call_edge_function(name text) returns bigint
language plpgsql
set search_path = ''
as $$
declare
  project_url text;
  service_key text;
  headers jsonb;
  request_id bigint;
begin
  if call_edge_function.name !~ '^[a-z0-9][a-z0-9-]{0,62}$' then
    raise exception 'not a function name: %', left(call_edge_function.name, 64) using errcode = '22023';
  end if;
  if pg_catalog.to_regnamespace('net') is null or pg_catalog.to_regclass('vault.decrypted_secrets') is null then
    return null;
  end if;
  execute format('select decrypted_secret from %I.decrypted_secrets where name = $1', 'vault')
    into project_url using 'project_url';
  execute format('select decrypted_secret from %I.decrypted_secrets where name = $1', 'vault')
    into service_key using 'service_role_key';
  if project_url is null or service_key is null then
    return null;
  end if;
  headers := jsonb_build_object('content-type', 'application/json', 'apikey', service_key);
  if service_key ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' then
    headers := headers || jsonb_build_object('authorization', 'Bearer ' || service_key);
  end if;
  execute format('select %I.http_post(url := $1, body := $2, headers := $3)', 'net') into request_id
    using rtrim(project_url, '/') || '/functions/v1/' || call_edge_function.name, '{}'::jsonb, headers;
  return request_id;
end;
$$;
revoke all on function private.call_edge_function(text) from public;
