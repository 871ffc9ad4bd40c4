-- Deploy step (README, "Deploying to Supabase"): registers the rate-limit hook
-- public.check_request() (migration 20261122050000_rate_limits.sql) as PostgREST's db-pre-request
-- function, then has PostgREST reload its configuration. Run it as `postgres` after `supabase db
-- push`: Supabase's supautils lets `postgres` set `pgrst.*` settings on `authenticator`. The local
-- stack runs it after every migration run. Idempotent.
alter role authenticator set pgrst.db_pre_request = 'public.check_request';
notify pgrst, 'reload config';
