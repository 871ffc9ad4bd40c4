-- Rate limits: protection from floods, for the REST API, for what humans do through RPCs, and for
-- edge functions, all decided in Postgres so every PostgREST and function instance agrees.
--
-- One table of limits (public.rate_limits, one row a class of request, admins tune them) and one
-- helper, private.take_token(class, subject, cost), that everything calls. A class is one of two
-- kinds:
--   bucket:    a token bucket per (class, subject) in an UNLOGGED table: `capacity` tokens, refilled
--              at `refill_per_second`; one upsert a request takes a token or finds none. Writes,
--              start_attempt, reviews and the edge functions are limited this way.
--   in_flight: at most `capacity` requests of one subject at once, held by transaction-scoped
--              advisory locks. For reads: PostgREST runs GET/HEAD and stable RPCs (search_courses,
--              even by POST) in READ ONLY transactions, where no counter can be written, so a
--              read is limited by how many of one caller's run together (its share of PostgREST's
--              connection pool), not by a rate.
-- Over the limit the helper raises PT429 (detail rate_limited) with the seconds to wait in its
-- hint; under PostgREST it raises PostgREST's own SQLSTATE 'PGRST' instead, with the same body
-- ({code: PT429, details: rate_limited, ...}) and status 429 plus a `Retry-After` header: PostgREST
-- drops `response.headers` when a request fails, and honours the headers of a PGRST error only.
-- Admins are exempt where the class says so (checked only once a limit is reached).
--
-- public.check_request() is PostgREST's db-pre-request function: it classifies each request (reads,
-- catalog search, writes, start_attempt) and takes from the caller's budget: per user (`sub`), or
-- per client IP (the first x-forwarded-for address) for anon. The service role is not limited.
-- It is registered the way a Supabase project does it, `alter role authenticator set
-- pgrst.db_pre_request` then `notify pgrst, 'reload config'`, which supautils lets `postgres` run
-- (authenticator is a reserved role whose `pgrst.*` settings the privileged role may change), in
-- supabase/deploy/db_pre_request.sql: a deploy step after `supabase db push` (README), because a
-- role's settings are the cluster's, not the database's (every database of the cluster would
-- call the hook, and a database built from the migrations without PostgREST has no use for it).
--
-- Idle buckets are swept daily (every class refills within a day, so a swept bucket was full).

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.rate_limits (
  bucket_class text primary key
    constraint rate_limits_bucket_class_format check (bucket_class ~ '^[a-z][a-z0-9_]*(:[a-z0-9_-]+)?$'),
  kind text not null constraint rate_limits_kind_valid check (kind in ('bucket', 'in_flight')),
  capacity integer not null constraint rate_limits_capacity_range check (capacity between 1 and 100000),
  refill_per_second double precision,
  admins_exempt boolean not null default true,
  description text not null default '',
  updated_at timestamptz not null default now(),
  constraint rate_limits_refill_valid check (
    case kind
      when 'bucket' then refill_per_second > 0 and capacity / refill_per_second <= 86400
      else refill_per_second is null
    end)
);
comment on table public.rate_limits is
  'Rate limits by class of request. bucket: capacity tokens refilled at refill_per_second (full within a day); in_flight: at most capacity requests at once. Admins tune them.';
alter table public.rate_limits enable row level security;

insert into public.rate_limits (bucket_class, kind, capacity, refill_per_second, admins_exempt, description) values
  ('read', 'in_flight', 8, null, true, 'REST reads (GET, HEAD, stable RPCs): requests of one caller running at once'),
  ('search', 'in_flight', 2, null, true, 'Catalog search (search_courses): searches of one caller running at once'),
  ('write', 'bucket', 60, 1, true, 'REST writes (POST, PATCH, PUT, DELETE, volatile RPCs): 60 at once, then 1 a second'),
  ('start_attempt', 'bucket', 10, 0.1, true, 'Starting quiz attempts: 10 at once, then 1 every 10 seconds'),
  ('review', 'bucket', 5, 5.0 / 3600, true, 'Course reviews written: 5 at once, then 5 an hour'),
  ('function:checkout', 'bucket', 10, 0.1, true, 'The checkout function: 10 at once, then 1 every 10 seconds'),
  ('function:refund', 'bucket', 20, 0.2, false, 'The refund function (admins only, not exempt): 20 at once, then 1 every 5 seconds');

-- One row a (class, subject): the tokens left at updated_at. Unlogged: it is lost in a crash,
-- which only refills every bucket.
create unlogged table private.rate_buckets (
  bucket_class text not null,
  subject text not null,
  tokens double precision not null,
  updated_at timestamptz not null,
  primary key (bucket_class, subject)
);
create index rate_buckets_updated_at_idx on private.rate_buckets (updated_at);

-- ---------------------------------------------------------------------------------------------
-- Policies and grants: admins read and tune the limits (not the kind: the hook relies on it)
-- ---------------------------------------------------------------------------------------------

create policy "admins read rate limits" on public.rate_limits for select to authenticated
  using ((select private.is_admin()));
create policy "admins tune rate limits" on public.rate_limits for update to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));

revoke all on public.rate_limits from public, anon, authenticated;
grant select on public.rate_limits to authenticated;
grant update (capacity, refill_per_second, admins_exempt, description) on public.rate_limits to authenticated;
revoke all on private.rate_buckets from public, anon, authenticated;

create function private.rate_limits_before_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
revoke all on function private.rate_limits_before_update() from public;
create trigger rate_limits_before_update before update on public.rate_limits
  for each row execute function private.rate_limits_before_update();

-- ---------------------------------------------------------------------------------------------
-- The helper
-- ---------------------------------------------------------------------------------------------

-- Refuses a request over its limit: PT429 rate_limited, the wait in the hint; under PostgREST
-- (request.method set) the same body as a PGRST error, so the response is 429 with Retry-After.
create function private.raise_rate_limited(retry_after integer) returns void
language plpgsql
set search_path = ''
as $$
begin
  if coalesce(current_setting('request.method', true), '') <> '' then
    raise sqlstate 'PGRST' using
      message = pg_catalog.json_build_object(
        'code', 'PT429',
        'message', 'Too many requests. Please wait a moment and try again.',
        'details', 'rate_limited',
        'hint', pg_catalog.format('Retry after %s seconds.', retry_after))::text,
      detail = pg_catalog.json_build_object(
        'status', 429,
        'headers', pg_catalog.json_build_object('Retry-After', retry_after::text))::text;
  end if;
  raise exception 'Too many requests. Please wait a moment and try again.'
    using errcode = 'PT429', detail = 'rate_limited', hint = pg_catalog.format('Retry after %s seconds.', retry_after);
end;
$$;
revoke all on function private.raise_rate_limited(integer) from public;

-- Takes `cost` tokens of `subject`'s bucket of `bucket_class` (a user id, or 'ip:<address>'), or
-- one of its in-flight slots until the transaction ends; raises rate_limited when there is none,
-- unless the subject is an admin and the class exempts admins.
create function private.take_token(bucket_class text, subject text, cost integer default 1) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  lim public.rate_limits;
  key integer;
  left_tokens double precision;
  since timestamptz;
  wait integer;
begin
  select * into lim from public.rate_limits l where l.bucket_class = take_token.bucket_class;
  if not found then
    raise exception 'unknown rate limit class' using errcode = '22023', detail = 'unknown_rate_limit_class';
  end if;
  if subject is null or subject = '' then
    raise exception 'a rate limit needs a subject' using errcode = '22023', detail = 'rate_limit_subject_missing';
  end if;

  if lim.kind = 'in_flight' then
    key := pg_catalog.hashtext(take_token.bucket_class || ':' || take_token.subject);
    for slot in 1..lim.capacity loop
      if pg_catalog.pg_try_advisory_xact_lock(key, slot) then
        return;
      end if;
    end loop;
    wait := 1;
  else
    if cost is null or cost < 1 or cost > lim.capacity then
      raise exception 'cost must be between 1 and the capacity of the class'
        using errcode = '22023', detail = 'invalid_rate_limit_cost';
    end if;
    -- The one write of a granted request: a new bucket starts full; an existing one is refilled
    -- for the time since its last grant, then charged, only if that covers the cost. A refused
    -- request changes nothing (and returns no row).
    insert into private.rate_buckets as b (bucket_class, subject, tokens, updated_at)
    values (take_token.bucket_class, take_token.subject, lim.capacity - cost, now())
    on conflict on constraint rate_buckets_pkey do update
      set tokens = least(lim.capacity::double precision,
                         b.tokens + greatest(0, extract(epoch from now() - b.updated_at)) * lim.refill_per_second) - cost,
          updated_at = now()
      where least(lim.capacity::double precision,
                  b.tokens + greatest(0, extract(epoch from now() - b.updated_at)) * lim.refill_per_second) >= cost
    returning b.tokens into left_tokens;
    if found then
      return;
    end if;
    select b.tokens, b.updated_at into left_tokens, since from private.rate_buckets b
    where b.bucket_class = take_token.bucket_class and b.subject = take_token.subject;
    left_tokens := least(lim.capacity, left_tokens + greatest(0, extract(epoch from now() - since)) * lim.refill_per_second);
    wait := greatest(1, ceil((cost - left_tokens) / lim.refill_per_second))::integer;
  end if;

  if lim.admins_exempt and subject ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     and private.is_admin(subject::uuid) then
    return;
  end if;
  perform private.raise_rate_limited(wait);
end;
$$;
comment on function private.take_token(text, text, integer) is
  'Takes cost tokens (bucket) or a slot until commit (in_flight) of subject''s budget of a class; raises PT429 rate_limited when none is left.';
revoke all on function private.take_token(text, text, integer) from public;

-- The same for edge functions, which run it as the service role (checkout, refund: `takeToken` in
-- _shared/db.ts), so every instance spends the same buckets.
create function public.take_rate_limit_token(bucket_class text, subject text, cost integer default 1) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.take_token(bucket_class, subject, cost);
end;
$$;
comment on function public.take_rate_limit_token(text, text, integer) is
  'Service only: takes from subject''s budget of a class (edge functions); raises PT429 rate_limited when none is left.';
revoke all on function public.take_rate_limit_token(text, text, integer) from public, anon, authenticated;
grant execute on function public.take_rate_limit_token(text, text, integer) to service_role;

-- ---------------------------------------------------------------------------------------------
-- PostgREST's db-pre-request hook
-- ---------------------------------------------------------------------------------------------

-- Runs before every REST request, so it is one function with nothing nested on its common path (a
-- read within its slots): each call of a function with `set search_path` costs a settings save
-- and restore. Whose budget: the user's id (`sub`), or for anon 'ip:' and the client address (the
-- first address of x-forwarded-for, which Supabase's gateway sets; 'ip:unknown' without one); the
-- service role is not limited. Which class: a read (PostgREST's READ ONLY transactions) is `read`,
-- or `search` for the catalog search, and takes an in-flight slot here; a write is `write`, or
-- `start_attempt`, and takes a token through take_token (as does a read over its slots, which
-- take_token refuses, or lets an exempt admin through).
create function public.check_request() returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  claims json := coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::json;
  subject text := claims ->> 'sub';
  read_only boolean := current_setting('transaction_read_only') = 'on';
  path text := current_setting('request.path', true);
  request_class text;
  slots integer;
  key integer;
begin
  if subject is null or subject = '' then
    if claims ->> 'role' = 'service_role' then
      return;
    end if;
    subject := 'ip:' || coalesce(nullif(pg_catalog.btrim(pg_catalog.split_part(
      current_setting('request.headers', true)::json ->> 'x-forwarded-for', ',', 1)), ''), 'unknown');
  end if;
  request_class := case
    when read_only then case when path = '/rpc/search_courses' then 'search' else 'read' end
    when path = '/rpc/start_attempt' then 'start_attempt'
    else 'write'
  end;
  if read_only then
    select l.capacity into slots from public.rate_limits l where l.bucket_class = request_class;
    key := pg_catalog.hashtext(request_class || ':' || subject);
    for slot in 1..coalesce(slots, 0) loop
      if pg_catalog.pg_try_advisory_xact_lock(key, slot) then
        return;
      end if;
    end loop;
  end if;
  perform private.take_token(request_class, subject);
end;
$$;
comment on function public.check_request() is
  'PostgREST''s db-pre-request hook (rate limits); PostgREST calls it before every request.';
revoke all on function public.check_request() from public;
grant execute on function public.check_request() to anon, authenticated, service_role;

-- Registered for PostgREST by supabase/deploy/db_pre_request.sql, a deploy step (README), not here.

-- ---------------------------------------------------------------------------------------------
-- What humans do: reviews written (through the API; the seed and server-side work are not limited)
-- ---------------------------------------------------------------------------------------------

create function private.reviews_rate_limit() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not private.is_server_side() then
    perform private.take_token('review', new.user_id::text);
  end if;
  return new;
end;
$$;
revoke all on function private.reviews_rate_limit() from public;
create trigger reviews_rate_limit before insert on public.reviews
  for each row execute function private.reviews_rate_limit();

-- ---------------------------------------------------------------------------------------------
-- Sweeping idle buckets (full again by now)
-- ---------------------------------------------------------------------------------------------

create function private.sweep_rate_buckets() returns integer
language sql
set search_path = ''
as $$
  with swept as (
    delete from private.rate_buckets b where b.updated_at < now() - interval '1 day' returning 1
  )
  select count(*)::integer from swept
$$;
revoke all on function private.sweep_rate_buckets() from public;

select cron.schedule('sweep-rate-buckets', '17 3 * * *', 'select private.sweep_rate_buckets()');
