-- What can be sold, and at what price (the first part of commerce).
--
-- An offer sells a course, a paid live session, a bundle of courses, or a subscription plan
-- (monthly or yearly; an instructor's plan covers their courses, a platform plan all courses or a
-- chosen set). Prices are integer minor units per currency, several currencies per offer.
-- Instructors price offers of their own courses and sessions; admins price everything. Coupons
-- (percent or fixed amount, validity window, redemption caps, optionally limited to some offers)
-- are validated and priced only server-side, by quote_offer(); checkout will charge its result.

create type public.offer_kind as enum ('course', 'session', 'bundle', 'plan');
create type public.plan_interval as enum ('month', 'year');
create type public.plan_scope as enum ('instructor', 'all_courses', 'selected_courses');

create table public.offers (
  id uuid primary key default gen_random_uuid(),
  kind public.offer_kind not null,
  title text not null constraint offers_title_length check (char_length(btrim(title)) between 3 and 160),
  course_id uuid references public.courses (id) on delete cascade,
  session_id uuid references public.live_sessions (id) on delete cascade,
  plan_interval public.plan_interval,
  plan_scope public.plan_scope,
  -- The instructor whose offer this is; null for platform offers (admins only).
  owner_id uuid default auth.uid() references auth.users (id) on delete cascade,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint offers_shape check (
    case kind
      when 'course' then course_id is not null and session_id is null and plan_interval is null and plan_scope is null
      when 'session' then session_id is not null and course_id is null and plan_interval is null and plan_scope is null
      when 'bundle' then course_id is null and session_id is null and plan_interval is null and plan_scope is null
      when 'plan' then course_id is null and session_id is null and plan_interval is not null and plan_scope is not null
    end),
  constraint offers_plan_owner check (kind <> 'plan' or (plan_scope = 'instructor') = (owner_id is not null))
);
create index offers_course_id_idx on public.offers (course_id);
create index offers_session_id_idx on public.offers (session_id);
create index offers_owner_id_idx on public.offers (owner_id);
alter table public.offers enable row level security;

-- The courses a bundle, or a platform plan limited to a chosen set, includes.
create table public.offer_courses (
  offer_id uuid not null references public.offers (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  primary key (offer_id, course_id)
);
create index offer_courses_course_id_idx on public.offer_courses (course_id);
alter table public.offer_courses enable row level security;

create table public.offer_prices (
  offer_id uuid not null references public.offers (id) on delete cascade,
  currency text not null constraint offer_prices_currency_format check (currency ~ '^[A-Z]{3}$'),
  amount bigint not null constraint offer_prices_amount_positive check (amount > 0 and amount <= 100000000),
  primary key (offer_id, currency)
);
alter table public.offer_prices enable row level security;

create type public.coupon_kind as enum ('percent', 'amount');

create table public.coupons (
  id uuid primary key default gen_random_uuid(),
  code text not null constraint coupons_code_format check (code ~ '^[A-Z0-9_-]{3,40}$'),
  kind public.coupon_kind not null,
  percent_off integer constraint coupons_percent_range check (percent_off between 1 and 100),
  amount_off bigint constraint coupons_amount_positive check (amount_off > 0),
  currency text constraint coupons_currency_format check (currency ~ '^[A-Z]{3}$'),
  valid_from timestamptz not null default now(),
  valid_until timestamptz,
  max_redemptions integer constraint coupons_max_redemptions_positive check (max_redemptions > 0),
  max_per_user integer constraint coupons_max_per_user_positive check (max_per_user > 0),
  redeemed_count integer not null default 0,
  owner_id uuid default auth.uid() references auth.users (id) on delete cascade,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  constraint coupons_code_key unique (code),
  constraint coupons_shape check (
    (kind = 'percent' and percent_off is not null and amount_off is null and currency is null)
    or (kind = 'amount' and amount_off is not null and currency is not null and percent_off is null)),
  constraint coupons_window check (valid_until is null or valid_until > valid_from)
);
create index coupons_owner_id_idx on public.coupons (owner_id);
alter table public.coupons enable row level security;

-- A coupon limited to some offers (none listed: any offer its owner may discount).
create table public.coupon_offers (
  coupon_id uuid not null references public.coupons (id) on delete cascade,
  offer_id uuid not null references public.offers (id) on delete cascade,
  primary key (coupon_id, offer_id)
);
create index coupon_offers_offer_id_idx on public.coupon_offers (offer_id);
alter table public.coupon_offers enable row level security;

-- Written by fulfilment (service side) only; counted against the caps.
create table public.coupon_redemptions (
  id uuid primary key default gen_random_uuid(),
  coupon_id uuid not null references public.coupons (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  offer_id uuid references public.offers (id) on delete set null,
  redeemed_at timestamptz not null default now()
);
create index coupon_redemptions_coupon_user_idx on public.coupon_redemptions (coupon_id, user_id);
create index coupon_redemptions_user_id_idx on public.coupon_redemptions (user_id);
create index coupon_redemptions_offer_id_idx on public.coupon_redemptions (offer_id);
alter table public.coupon_redemptions enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Who may price what
-- ---------------------------------------------------------------------------------------------

-- Offers the caller may manage: admins all; instructors the offers they own, provided the course
-- or session they sell is theirs (checked on write by offers_before_write).
create function private.managed_offer_ids() returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select o.id from public.offers o where private.is_admin() or o.owner_id = (select auth.uid())
$$;
revoke all on function private.managed_offer_ids() from public;
grant execute on function private.managed_offer_ids() to authenticated, service_role;

create function private.offers_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  if tg_op = 'UPDATE' then
    new.updated_at := now();
  end if;
  if private.is_admin() or uid is null then
    return new; -- admins and service-side code price anything
  end if;
  if new.owner_id is distinct from uid then
    raise exception 'instructors sell only as themselves' using errcode = '42501';
  end if;
  if new.kind = 'plan' and new.plan_scope <> 'instructor' then
    raise exception 'only admins create platform plans' using errcode = '42501';
  end if;
  if new.course_id is not null and not exists (
    select 1 from public.course_instructors ci where ci.course_id = new.course_id and ci.user_id = uid) then
    raise exception 'you can only sell your own courses' using errcode = '42501';
  end if;
  if new.session_id is not null and not exists (
    select 1 from public.live_session_hosts h where h.session_id = new.session_id and h.user_id = uid) then
    raise exception 'you can only sell your own sessions' using errcode = '42501';
  end if;
  return new;
end;
$$;
revoke all on function private.offers_before_write() from public;
create trigger offers_before_write before insert or update on public.offers
  for each row execute function private.offers_before_write();

-- Bundle and selected-set courses must be the instructor's own.
create function private.offer_courses_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not private.is_admin() and auth.uid() is not null and not exists (
    select 1 from public.course_instructors ci where ci.course_id = new.course_id and ci.user_id = auth.uid()) then
    raise exception 'you can only bundle your own courses' using errcode = '42501';
  end if;
  return new;
end;
$$;
revoke all on function private.offer_courses_before_write() from public;
create trigger offer_courses_before_write before insert or update on public.offer_courses
  for each row execute function private.offer_courses_before_write();

grant select on public.offers, public.offer_courses, public.offer_prices to anon, authenticated;
grant insert (kind, title, course_id, session_id, plan_interval, plan_scope, owner_id, is_active),
      update (title, is_active) on public.offers to authenticated;
grant insert, delete on public.offer_courses to authenticated;
grant insert, update (amount), delete on public.offer_prices to authenticated;
grant select, insert, update, delete on public.offers, public.offer_courses, public.offer_prices to service_role;

create policy "anyone reads active offers" on public.offers for select to anon using (is_active);
create policy "users read active offers and the ones they manage" on public.offers for select to authenticated
  using (is_active or id in (select private.managed_offer_ids()));
create policy "instructors and admins create offers" on public.offers for insert to authenticated
  with check ((select private.is_instructor()));
create policy "owners and admins edit offers" on public.offers for update to authenticated
  using (id in (select private.managed_offer_ids())) with check (id in (select private.managed_offer_ids()));

create policy "anyone reads what offers include" on public.offer_courses for select to anon, authenticated using (true);
create policy "owners and admins set what offers include" on public.offer_courses for insert to authenticated
  with check (offer_id in (select private.managed_offer_ids()));
create policy "owners and admins remove what offers include" on public.offer_courses for delete to authenticated
  using (offer_id in (select private.managed_offer_ids()));

create policy "anyone reads prices" on public.offer_prices for select to anon, authenticated using (true);
create policy "owners and admins add prices" on public.offer_prices for insert to authenticated
  with check (offer_id in (select private.managed_offer_ids()));
create policy "owners and admins change prices" on public.offer_prices for update to authenticated
  using (offer_id in (select private.managed_offer_ids())) with check (offer_id in (select private.managed_offer_ids()));
create policy "owners and admins remove prices" on public.offer_prices for delete to authenticated
  using (offer_id in (select private.managed_offer_ids()));

-- Coupons: their owners (instructors, for their offers) and admins manage and read them;
-- shoppers never list codes: they only apply one through quote_offer().
grant select, insert (code, kind, percent_off, amount_off, currency, valid_from, valid_until, max_redemptions,
                      max_per_user, is_active),
      update (valid_until, max_redemptions, max_per_user, is_active)
  on public.coupons to authenticated;
grant select, insert, delete on public.coupon_offers to authenticated;
grant select on public.coupon_redemptions to authenticated;
grant select, insert, update, delete on public.coupons, public.coupon_offers, public.coupon_redemptions to service_role;

create policy "owners and admins read coupons" on public.coupons for select to authenticated
  using (owner_id = (select auth.uid()) or (select private.is_admin()));
create policy "instructors and admins create coupons" on public.coupons for insert to authenticated
  with check ((select private.is_instructor()) and owner_id = (select auth.uid()));
create policy "owners and admins edit coupons" on public.coupons for update to authenticated
  using (owner_id = (select auth.uid()) or (select private.is_admin()))
  with check (owner_id = (select auth.uid()) or (select private.is_admin()));

create policy "owners and admins read coupon limits" on public.coupon_offers for select to authenticated
  using (coupon_id in (select c.id from public.coupons c));
create policy "owners limit coupons to their offers" on public.coupon_offers for insert to authenticated
  with check (coupon_id in (select c.id from public.coupons c) and offer_id in (select private.managed_offer_ids()));
create policy "owners remove coupon limits" on public.coupon_offers for delete to authenticated
  using (coupon_id in (select c.id from public.coupons c));

create policy "users read their redemptions; coupon owners and admins theirs" on public.coupon_redemptions
  for select to authenticated
  using (user_id = (select auth.uid()) or coupon_id in (select c.id from public.coupons c));

-- ---------------------------------------------------------------------------------------------
-- Pricing, server-side
-- ---------------------------------------------------------------------------------------------

-- The price of an offer in a currency, with a coupon applied when valid for this user and offer.
-- Raises with a reason code when the coupon can't be used. This is the only price checkout charges.
create type public.offer_quote as (
  offer_id uuid, currency text, subtotal bigint, discount bigint, total bigint, coupon_id uuid
);

create function public.quote_offer(offer_id uuid, currency text, coupon_code text default null)
returns public.offer_quote
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  o public.offers;
  price bigint;
  c public.coupons;
  uid uuid := auth.uid();
  off bigint := 0;
begin
  select * into o from public.offers where id = quote_offer.offer_id and is_active;
  if not found then
    raise exception 'offer not found' using errcode = 'P0002';
  end if;
  select p.amount into price from public.offer_prices p
  where p.offer_id = o.id and p.currency = upper(quote_offer.currency);
  if price is null then
    raise exception 'this offer has no price in %', upper(coalesce(quote_offer.currency, '?'))
      using errcode = 'P0001', detail = 'currency_not_offered';
  end if;
  if nullif(btrim(quote_offer.coupon_code), '') is not null then
    select * into c from public.coupons where code = upper(btrim(quote_offer.coupon_code));
    if not found or not c.is_active then
      raise exception 'this coupon code is not valid' using errcode = 'P0001', detail = 'coupon_invalid';
    end if;
    if now() < c.valid_from or (c.valid_until is not null and now() >= c.valid_until) then
      raise exception 'this coupon has expired or is not valid yet' using errcode = 'P0001', detail = 'coupon_expired';
    end if;
    if c.max_redemptions is not null and c.redeemed_count >= c.max_redemptions then
      raise exception 'this coupon has been used up' using errcode = 'P0001', detail = 'coupon_used_up';
    end if;
    if c.max_per_user is not null and uid is not null and (
      select count(*) from public.coupon_redemptions r where r.coupon_id = c.id and r.user_id = uid) >= c.max_per_user then
      raise exception 'you have already used this coupon' using errcode = 'P0001', detail = 'coupon_used_by_you';
    end if;
    if exists (select 1 from public.coupon_offers co where co.coupon_id = c.id)
       and not exists (select 1 from public.coupon_offers co where co.coupon_id = c.id and co.offer_id = o.id) then
      raise exception 'this coupon does not apply to this offer' using errcode = 'P0001', detail = 'coupon_not_applicable';
    end if;
    if not exists (select 1 from public.coupon_offers co where co.coupon_id = c.id)
       and c.owner_id is not null and c.owner_id is distinct from o.owner_id
       and not exists (select 1 from public.user_roles ur where ur.user_id = c.owner_id and ur.role = 'admin') then
      raise exception 'this coupon does not apply to this offer' using errcode = 'P0001', detail = 'coupon_not_applicable';
    end if;
    if c.kind = 'amount' and c.currency <> upper(quote_offer.currency) then
      raise exception 'this coupon is for prices in %', c.currency using errcode = 'P0001', detail = 'coupon_currency';
    end if;
    off := case c.kind when 'percent' then (price * c.percent_off + 50) / 100 else least(c.amount_off, price) end;
  end if;
  return (o.id, upper(quote_offer.currency), price, off, price - off, c.id)::public.offer_quote;
end;
$$;
comment on function public.quote_offer(uuid, text, text) is
  'The price of an offer in a currency after a coupon, computed server-side. Raises P0001 with a reason when a coupon can''t be used.';
revoke all on function public.quote_offer(uuid, text, text) from public;
grant execute on function public.quote_offer(uuid, text, text) to authenticated, service_role;
