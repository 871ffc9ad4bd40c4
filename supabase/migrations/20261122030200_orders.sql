-- Orders: what a buyer ordered, at what price, and who may read it.
--
-- An order records an offer at the price quote_offer() computes (never a client price), with a
-- snapshot of what it sells (order_lines) and the coupon use it reserved (coupon_redemptions).
-- While pending it holds what is scarce until hold_expires_at: the coupon use (capped coupons) and
-- the seat (sessions with a capacity, private.seat_holds). A hold ends with its order: paid,
-- failed or expired; pg_cron expires pending orders whose hold lapsed. Buyers read their orders,
-- sellers the orders of their offers, admins all; no client writes them. Creating and fulfilling
-- orders: the purchases migration.

create type public.order_status as enum (
  'pending', 'paid', 'failed', 'expired', 'refund_pending', 'refunded', 'partially_refunded', 'disputed',
  'needs_review');

create table public.orders (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete restrict,
  offer_id uuid not null references public.offers (id) on delete restrict,
  -- The offer's title when the order was made (receipts).
  title text not null,
  currency text not null constraint orders_currency_format check (currency ~ '^[A-Z]{3}$'),
  subtotal bigint not null constraint orders_subtotal_valid check (subtotal >= 0),
  discount bigint not null default 0 constraint orders_discount_valid check (discount >= 0 and discount <= subtotal),
  total bigint not null constraint orders_total_valid check (total = subtotal - discount),
  coupon_id uuid references public.coupons (id) on delete set null,
  status public.order_status not null default 'pending',
  -- While pending, the coupon use and the seat are held until then (null: until the payment settles).
  hold_expires_at timestamptz,
  amount_refunded bigint not null default 0 constraint orders_refund_valid check (amount_refunded between 0 and total),
  -- Why the order needs an admin's review (needs_review), e.g. Stripe charged another amount.
  review_reason text,
  -- Why the platform refunds the order by itself (seat_lost, session_closed, already_owned); null otherwise.
  auto_refund_reason text,
  stripe_checkout_session_id text constraint orders_checkout_session_key unique,
  stripe_payment_intent_id text constraint orders_payment_intent_key unique,
  stripe_subscription_id text,
  paid_at timestamptz,
  last_event_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index orders_user_id_idx on public.orders (user_id, created_at desc);
create index orders_offer_id_idx on public.orders (offer_id);
create index orders_coupon_id_idx on public.orders (coupon_id);
create index orders_pending_hold_idx on public.orders (hold_expires_at) where status = 'pending';
alter table public.orders enable row level security;

-- What an order sells, fixed when it is created: its courses, or its session.
create table public.order_lines (
  order_id uuid not null references public.orders (id) on delete cascade,
  course_id uuid references public.courses (id) on delete restrict,
  session_id uuid references public.live_sessions (id) on delete restrict,
  constraint order_lines_one_item check ((course_id is null) <> (session_id is null)),
  constraint order_lines_course_key unique (order_id, course_id),
  constraint order_lines_session_key unique (order_id, session_id)
);
create index order_lines_course_id_idx on public.order_lines (course_id);
create index order_lines_session_id_idx on public.order_lines (session_id);
alter table public.order_lines enable row level security;

-- Coupon uses: reserved by create_order (redeemed_at null), redeemed when the order is paid. A
-- use counts against the caps once redeemed, or while its order is pending with a live hold.
create table public.coupon_redemptions (
  id uuid primary key default gen_random_uuid(),
  coupon_id uuid not null references public.coupons (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  offer_id uuid references public.offers (id) on delete set null,
  order_id uuid constraint coupon_redemptions_order_key unique references public.orders (id) on delete cascade,
  reserved_at timestamptz not null default now(),
  redeemed_at timestamptz default now()
);
create index coupon_redemptions_coupon_user_idx on public.coupon_redemptions (coupon_id, user_id);
create index coupon_redemptions_user_id_idx on public.coupon_redemptions (user_id);
create index coupon_redemptions_offer_id_idx on public.coupon_redemptions (offer_id);
alter table public.coupon_redemptions enable row level security;

-- What each purchase entitlement was paid by, and what each seat hold is for.
alter table public.entitlements
  add constraint entitlements_order_id_fkey foreign key (order_id) references public.orders (id) on delete cascade;
alter table private.seat_holds
  add constraint seat_holds_order_id_fkey foreign key (order_id) references public.orders (id) on delete cascade;

grant select on public.orders, public.order_lines, public.coupon_redemptions to authenticated;
grant select, insert, update, delete on public.orders, public.order_lines, public.coupon_redemptions to service_role;
create policy "buyers read their orders; sellers their offers'; admins all" on public.orders for select to authenticated
  using (user_id = (select auth.uid()) or offer_id in (select private.managed_offer_ids()));
create policy "users read the lines of the orders they can read" on public.order_lines for select to authenticated
  using (order_id in (select o.id from public.orders o));
create policy "users read their coupon uses; coupon owners and admins theirs" on public.coupon_redemptions
  for select to authenticated
  using (user_id = (select auth.uid()) or coupon_id in (select c.id from public.coupons c));

-- ---------------------------------------------------------------------------------------------
-- What counts against a coupon's caps, and the price
-- ---------------------------------------------------------------------------------------------

-- Uses of a coupon that count against its caps (all users, or one): redeemed, or reserved by a
-- pending order whose hold is live.
create function private.coupon_uses(coupon_id uuid, user_id uuid default null) returns integer
language sql stable
set search_path = ''
as $$
  select count(*)::integer from public.coupon_redemptions r left join public.orders o on o.id = r.order_id
  where r.coupon_id = coupon_uses.coupon_id
    and (coupon_uses.user_id is null or r.user_id = coupon_uses.user_id)
    and (r.redeemed_at is not null
         or (o.status = 'pending' and (o.hold_expires_at is null or o.hold_expires_at > now())))
$$;
revoke all on function private.coupon_uses(uuid, uuid) from public;

-- The price of an offer in a currency, with a coupon applied when valid for this user and offer.
-- Raises with a reason code when the offer is not on sale or the coupon can't be used. This is the
-- only price checkout charges.
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
  cur text := upper(btrim(quote_offer.currency));
  wanted_code text := nullif(upper(btrim(quote_offer.coupon_code)), '');
  price bigint;
  c public.coupons;
  uid uuid := auth.uid();
  off bigint := 0;
begin
  if cur is null or cur !~ '^[A-Z]{3}$' then
    raise exception 'currency must be a three-letter code such as USD' using errcode = '22023',
      detail = 'invalid_currency';
  end if;
  o := private.require_on_sale(quote_offer.offer_id);
  select p.amount into price from public.offer_prices p where p.offer_id = o.id and p.currency = cur;
  if price is null then
    raise exception 'this offer has no price in %', cur using errcode = 'P0001', detail = 'currency_not_offered';
  end if;
  if wanted_code is not null then
    select * into c from public.coupons x where x.code = left(wanted_code, 40);
    if not found or not c.is_active then
      raise exception 'this coupon code is not valid' using errcode = 'P0001', detail = 'coupon_invalid';
    end if;
    if now() < c.valid_from or (c.valid_until is not null and now() >= c.valid_until) then
      raise exception 'this coupon has expired or is not valid yet' using errcode = 'P0001', detail = 'coupon_expired';
    end if;
    if (exists (select 1 from public.coupon_offers co where co.coupon_id = c.id)
        and not exists (select 1 from public.coupon_offers co where co.coupon_id = c.id and co.offer_id = o.id))
       or (c.owner_id is not null and not private.can_sell_offer(o.id, c.owner_id)) then
      raise exception 'this coupon does not apply to this offer' using errcode = 'P0001', detail = 'coupon_not_applicable';
    end if;
    if c.max_redemptions is not null and private.coupon_uses(c.id) >= c.max_redemptions then
      raise exception 'this coupon has been used up' using errcode = 'P0001', detail = 'coupon_used_up';
    end if;
    if c.max_per_user is not null and uid is not null and private.coupon_uses(c.id, uid) >= c.max_per_user then
      raise exception 'you have already used this coupon' using errcode = 'P0001', detail = 'coupon_used_by_you';
    end if;
    if c.kind = 'amount' and c.currency <> cur then
      raise exception 'this coupon is for prices in %', c.currency using errcode = 'P0001', detail = 'coupon_currency';
    end if;
    off := case c.kind when 'percent' then (price * c.percent_off + 50) / 100 else least(c.amount_off, price) end;
  end if;
  return (o.id, cur, price, off, price - off, c.id)::public.offer_quote;
end;
$$;
comment on function public.quote_offer(uuid, text, text) is
  'The price of an offer in a currency after a coupon, computed server-side. Raises P0001 with a reason when the offer is not on sale or a coupon can''t be used.';
revoke all on function public.quote_offer(uuid, text, text) from public;
grant execute on function public.quote_offer(uuid, text, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Holds
-- ---------------------------------------------------------------------------------------------

-- How long a pending order holds its seat and coupon use. The checkout function makes Stripe's
-- Checkout Session expire a few minutes earlier (Stripe accepts 30 minutes to 24 hours).
create function private.order_hold() returns interval
language sql immutable
set search_path = ''
as $$ select interval '35 minutes' $$;
revoke all on function private.order_hold() from public;

-- A seat hold follows its order: it ends when the order stops pending, and lasts as long as the
-- order's hold.
create function private.orders_follow_holds() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status <> 'pending' then
    delete from private.seat_holds h where h.order_id = new.id;
  else
    update private.seat_holds h set expires_at = new.hold_expires_at where h.order_id = new.id;
  end if;
  return null;
end;
$$;
revoke all on function private.orders_follow_holds() from public;
create trigger orders_follow_holds after update of status, hold_expires_at on public.orders
  for each row when (old.status is distinct from new.status or old.hold_expires_at is distinct from new.hold_expires_at)
  execute function private.orders_follow_holds();

-- Pending orders whose hold lapsed an hour ago are expired (pg_cron). Their holds already count for
-- nothing; this keeps the status honest. Stripe's own checkout.session.expired does the same.
create function private.expire_lapsed_orders() returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  n integer;
begin
  update public.orders o set status = 'expired', updated_at = now()
  where o.status = 'pending' and o.hold_expires_at < now() - interval '1 hour';
  get diagnostics n = row_count;
  return n;
end;
$$;
revoke all on function private.expire_lapsed_orders() from public;

select cron.schedule('expire-orders', '*/10 * * * *', 'select private.expire_lapsed_orders()');
