-- Jobs: how background work starts.
--
-- pg_cron (created by the foundation migration) runs the jobs the migrations schedule, each with
-- the domain it serves: plain SQL ones directly (session reminders, expiring orders), and those
-- that need a secret or a third party (sending email, cancelling Zoom registrants) through an edge
-- function, which private.call_edge_function() starts where the platform can: on hosted Supabase,
-- with pg_net and Vault. Elsewhere (our local stack) the call does nothing, and `npm run
-- emails:send` and `npm run zoom:sync` do those jobs.
--
-- Those two functions drain queues the same way: the email outbox (the notify migration) and the
-- zoom-sync queue (zoom sync). How a job is claimed with a lease, and how a failed attempt is
-- retried with backoff or dead-lettered, is stated once, here, for both.

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

-- ---------------------------------------------------------------------------------------------
-- Queues: claimed with a lease, retried with backoff, dead-lettered
-- ---------------------------------------------------------------------------------------------

-- A queue is a private table of jobs with these columns: id, status ('pending', the status of a
-- job being worked on, and final ones), attempts, max_attempts, next_attempt_at, locked_until,
-- locked_by and last_error. A job is due when it waits, or its lease ran out while it was being
-- worked on, and its next attempt has come. Each queue's own RPCs (claim_emails, fail_email;
-- claim_zoom_sync, fail_zoom_sync) call these with their table and their working status; the SQL
-- is built with format() from those two, so one statement serves every queue.

-- Hands out up to batch_size due jobs (at least 1, at most max_batch), oldest first, each to one
-- caller only (`for update skip locked`), marked `running` (the queue's working status) and
-- leased for lease_seconds (at least 10): a drainer that dies before recording the outcome gives
-- the job back when the lease ends. Returns the ids it claimed.
create function private.claim_jobs(queue regclass, running text, batch_size integer, max_batch integer,
                                   lease_seconds integer, worker text)
returns setof uuid
language plpgsql
set search_path = ''
as $$
begin
  return query execute format(
    'update %1$s j
     set status = %2$L, attempts = j.attempts + 1,
         locked_until = now() + make_interval(secs => greatest($1, 10)), locked_by = $2
     where j.id in (
       select d.id from %1$s d
       where d.status in (''pending'', %2$L) and d.next_attempt_at <= now()
         and (d.locked_until is null or d.locked_until < now())
       order by d.next_attempt_at
       limit least(greatest($3, 1), $4)
       for update skip locked)
     returning j.id', claim_jobs.queue, claim_jobs.running)
  using claim_jobs.lease_seconds, claim_jobs.worker, claim_jobs.batch_size, claim_jobs.max_batch;
end;
$$;
revoke all on function private.claim_jobs(regclass, text, integer, integer, integer, text) from public;

-- Records a failed attempt of a job being worked on (status `running`): it waits again, due after
-- retry_after_seconds (a 429's Retry-After), else after an exponential backoff (30 s, 1, 2, 4, 8
-- min, ... at most an hour); it is dead-lettered after max_attempts, or at once when the failure
-- is permanent. Returns the new status, or null when the job was not being worked on (its lease
-- ran out and someone else has it, or it is finished).
create function private.fail_job(queue regclass, running text, id uuid, error text, retry_after_seconds integer,
                                 permanent boolean)
returns text
language plpgsql
set search_path = ''
as $$
declare
  status text;
begin
  execute format(
    'update %1$s j
     set status = case when $3 or j.attempts >= j.max_attempts then ''dead'' else ''pending'' end,
         last_error = left($2, 2000), locked_until = null,
         next_attempt_at = now() + make_interval(secs => coalesce($4,
           least(30 * power(2, greatest(j.attempts, 1) - 1), 3600)::integer))
     where j.id = $1 and j.status = %2$L
     returning j.status', fail_job.queue, fail_job.running)
  into status
  using fail_job.id, fail_job.error, fail_job.permanent, fail_job.retry_after_seconds;
  return status;
end;
$$;
revoke all on function private.fail_job(regclass, text, uuid, text, integer, boolean) from public;
