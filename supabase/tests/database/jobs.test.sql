-- Jobs: private.call_edge_function(), the way pg_cron starts an edge function: only a function
-- name goes into the URL; without pg_net and Vault (our local stack) it does nothing; with them
-- (stand-ins here, as on hosted Supabase) it posts with the secret key, or the legacy key.
begin;
select plan(12);

select ok(not has_function_privilege('service_role', 'private.call_edge_function(text)', 'execute')
  and not has_function_privilege('authenticated', 'private.call_edge_function(text)', 'execute'), 'only pg_cron''s owner starts the drain');
select is(private.call_edge_function('send-emails'), null::bigint, 'without pg_net and Vault, starting a function does nothing');
select throws_ok($$ select private.call_edge_function('../admin') $$, '22023', 'not a function name: ../admin',
  'only a function name goes into the URL');
select is(private.call_edge_function('zoom-sync'), null::bigint, 'without pg_net the call does nothing');
-- With pg_net and Vault (stand-ins here, as on hosted Supabase) it posts to zoom-sync with the service key.
create schema net;
create table net.requests (id bigserial primary key, url text, body jsonb, headers jsonb);
create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
                              headers jsonb default '{"Content-Type": "application/json"}', timeout_milliseconds integer default 5000)
returns bigint language sql as $$
  insert into net.requests (url, body, headers) values (url, body, headers) returning id
$$;
create schema if not exists vault;
create table vault.decrypted_secrets (name text, decrypted_secret text);
select is(private.call_edge_function('zoom-sync'), null::bigint, 'without the secrets it does nothing');
insert into vault.decrypted_secrets values ('project_url', 'https://abc.supabase.co');
select is(private.call_edge_function('zoom-sync'), null::bigint, 'nor with the project URL alone');
create function pg_temp.last_post() returns text language sql as $$
  select row(url, body, headers)::text from net.requests order by id desc limit 1
$$;
-- The expected request is written out at each step on purpose: each states what is sent then.
insert into vault.decrypted_secrets values ('secret_key', 'sb_secret_from_vault');
select isnt(private.call_edge_function('zoom-sync'), null::bigint, 'with a secret key it posts');
select is(pg_temp.last_post(),
  row('https://abc.supabase.co/functions/v1/zoom-sync', '{}'::jsonb,
      '{"content-type": "application/json", "apikey": "sb_secret_from_vault"}'::jsonb)::text,
  'to the zoom-sync function, with the secret key from Vault in the apikey header (no bearer: it is no JWT)');
insert into vault.decrypted_secrets values ('service_role_key', 'legacy-service-role-jwt');
select isnt(private.call_edge_function('zoom-sync'), null::bigint, 'with both keys in Vault it posts');
select is(pg_temp.last_post(),
  row('https://abc.supabase.co/functions/v1/zoom-sync', '{}'::jsonb,
      '{"content-type": "application/json", "apikey": "sb_secret_from_vault"}'::jsonb)::text,
  'the secret key wins over a legacy service_role key still in Vault');
delete from vault.decrypted_secrets where name = 'secret_key';
select isnt(private.call_edge_function('zoom-sync'), null::bigint, 'with only the legacy key it posts');
select is(pg_temp.last_post(),
  row('https://abc.supabase.co/functions/v1/zoom-sync', '{}'::jsonb,
      '{"content-type": "application/json", "authorization": "Bearer legacy-service-role-jwt"}'::jsonb)::text,
  'a project with only the legacy service_role key in Vault sends it as the bearer, as before');

select * from finish();
rollback;
