-- Orders, pricing and fulfilment (the database half of checkout).
--
-- create_order() runs as the buyer. It prices the offer with quote_offer() (never a client price),
-- refuses what is not on sale (a draft, archived or deleted course, a closed session, a seller who
-- may no longer sell it) and what the buyer already has, and writes a pending order with a
-- snapshot of what it sells (order_lines). Under a lock it also reserves what is scarce until the
-- order's hold expires: the coupon use (capped coupons) and the seat (sessions with a capacity),
-- so parallel orders can't overrun either cap. Stripe's Checkout Session expires before the hold
-- does. A hold ends with its order: paid, failed or expired.
--
-- Fulfilment (private.fulfil_order) grants what the snapshot lists, whatever the offer says now,
-- redeems the coupon and enqueues the receipt, in one transaction. A course that was unpublished
-- between checkout and payment is still granted: the buyer paid. A seat that was lost meanwhile
-- (the hold lapsed and the session filled up, or the session was cancelled) is not given: the
-- order is refunded by itself (refund_pending with auto_refund_reason) and the buyer is told. A
-- zero total (a 100% coupon) is fulfilled at once, without Stripe. No client writes orders or
-- grants anything.

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

-- Stripe customer of each user: written by the checkout function (service side) only.
create table private.stripe_customers (
  user_id uuid primary key references auth.users (id) on delete cascade,
  customer_id text not null unique,
  created_at timestamptz not null default now()
);

-- Subscriptions, kept in step with Stripe's events by the subscriptions migration.
create table public.subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  offer_id uuid not null references public.offers (id) on delete restrict,
  order_id uuid references public.orders (id) on delete set null,
  stripe_subscription_id text not null constraint subscriptions_stripe_key unique,
  status text not null,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  last_event_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index subscriptions_user_id_idx on public.subscriptions (user_id);
create index subscriptions_offer_id_idx on public.subscriptions (offer_id);
create index subscriptions_order_id_idx on public.subscriptions (order_id);
alter table public.subscriptions enable row level security;

-- What granted each entitlement, and what each seat hold is for.
alter table public.entitlements
  add constraint entitlements_order_id_fkey foreign key (order_id) references public.orders (id) on delete cascade,
  add constraint entitlements_subscription_id_fkey
    foreign key (subscription_id) references public.subscriptions (id) on delete cascade;
alter table private.seat_holds
  add constraint seat_holds_order_id_fkey foreign key (order_id) references public.orders (id) on delete cascade;

grant select on public.orders, public.order_lines, public.coupon_redemptions, public.subscriptions to authenticated;
grant select, insert, update, delete on public.orders, public.order_lines, public.coupon_redemptions,
  public.subscriptions to service_role;
create policy "buyers read their orders; sellers their offers'; admins all" on public.orders for select to authenticated
  using (user_id = (select auth.uid()) or offer_id in (select private.managed_offer_ids()));
create policy "users read the lines of the orders they can read" on public.order_lines for select to authenticated
  using (order_id in (select o.id from public.orders o));
create policy "users read their coupon uses; coupon owners and admins theirs" on public.coupon_redemptions
  for select to authenticated
  using (user_id = (select auth.uid()) or coupon_id in (select c.id from public.coupons c));
create policy "subscribers read theirs; sellers their plans'; admins all" on public.subscriptions for select to authenticated
  using (user_id = (select auth.uid()) or offer_id in (select private.managed_offer_ids()));

-- ---------------------------------------------------------------------------------------------
-- What an offer sells, whether it is on sale, and whether the buyer has it already
-- ---------------------------------------------------------------------------------------------

-- The courses an offer gives access to: its course, its bundle, or a plan's courses by scope
-- (the courses an instructor owns, not those they co-teach; the whole catalog; or a chosen set;
-- plans only grant published courses).
create function private.offer_course_ids(offer_id uuid) returns setof uuid
language sql stable
set search_path = ''
as $$
  select o.course_id from public.offers o where o.id = offer_course_ids.offer_id and o.kind = 'course'
  union
  select oc.course_id from public.offer_courses oc join public.offers o on o.id = oc.offer_id
  where o.id = offer_course_ids.offer_id and o.kind = 'bundle'
  union
  select oc.course_id from public.offer_courses oc join public.offers o on o.id = oc.offer_id
  join public.courses c on c.id = oc.course_id and c.status = 'published' and c.deleted_at is null
  where o.id = offer_course_ids.offer_id and o.plan_scope = 'selected_courses'
  union
  select c.id from public.offers o
  join public.courses c on c.owner_id = o.owner_id and c.status = 'published' and c.deleted_at is null
  where o.id = offer_course_ids.offer_id and o.plan_scope = 'instructor'
  union
  select c.id from public.offers o cross join public.courses c
  where o.id = offer_course_ids.offer_id and o.plan_scope = 'all_courses' and c.status = 'published' and c.deleted_at is null
$$;
revoke all on function private.offer_course_ids(uuid) from public;

-- Raises with a stable reason unless the offer can be bought now: active, its owner may still sell
-- it, every course it sells is published and not deleted, and its session is still to come. (What
-- offers.listed says, checked afresh, plus the time and the seller rules.)
create function private.require_on_sale(offer_id uuid) returns public.offers
language plpgsql stable
set search_path = ''
as $$
declare
  o public.offers;
begin
  select * into o from public.offers x where x.id = require_on_sale.offer_id and x.is_active;
  if not found then
    raise exception 'offer not found' using errcode = 'PT404', detail = 'offer_not_found';
  end if;
  if o.owner_id is not null and not private.can_sell_offer(o.id, o.owner_id) then
    raise exception 'this offer is no longer on sale' using errcode = 'P0001', detail = 'offer_not_available';
  end if;
  if o.kind = 'session' and not exists (
    select 1 from public.live_sessions s where s.id = o.session_id and s.is_published and s.status = 'scheduled'
      and s.starts_at + make_interval(mins => s.duration_minutes) > now()) then
    raise exception 'this session is not open for sale' using errcode = 'P0001', detail = 'session_not_available';
  end if;
  if (o.kind = 'bundle' or o.plan_scope = 'selected_courses')
     and not exists (select 1 from public.offer_courses oc where oc.offer_id = o.id) then
    raise exception 'this offer is no longer on sale' using errcode = 'P0001', detail = 'offer_not_available';
  end if;
  if exists (
    select 1 from public.courses c
    where (c.id = o.course_id or c.id in (select oc.course_id from public.offer_courses oc where oc.offer_id = o.id))
      and (c.status <> 'published' or c.deleted_at is not null)) then
    raise exception 'this offer includes a course that is not available' using errcode = 'P0001',
      detail = 'course_not_available';
  end if;
  return o;
end;
$$;
revoke all on function private.require_on_sale(uuid) from public;

-- A plan is owned while its subscription is live (so a cancelled subscriber may come back); a
-- seat while registered; courses when every one of them is already accessible.
create function private.already_has_offer(offer_id uuid, user_id uuid) returns boolean
language sql stable
set search_path = ''
as $$
  select case o.kind
    when 'session' then exists (select 1 from public.live_session_registrations r
                                where r.session_id = o.session_id and r.user_id = already_has_offer.user_id
                                  and r.cancelled_at is null)
    when 'plan' then exists (select 1 from public.subscriptions s
                             where s.offer_id = o.id and s.user_id = already_has_offer.user_id
                               and s.status in ('active', 'trialing', 'past_due'))
    else not exists (
      select 1 from private.offer_course_ids(o.id) c
      where not exists (select 1 from public.entitlements e
                        where e.user_id = already_has_offer.user_id and e.course_id = c and private.is_active(e)))
  end
  from public.offers o where o.id = already_has_offer.offer_id
$$;
revoke all on function private.already_has_offer(uuid, uuid) from public;

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

-- ---------------------------------------------------------------------------------------------
-- Pricing, server-side
-- ---------------------------------------------------------------------------------------------

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
-- Holds, fulfilment and revocation
-- ---------------------------------------------------------------------------------------------

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

-- What every paid order gets, whatever it bought: marked paid (a partial refund that came first
-- stays recorded), its coupon use redeemed, the receipt enqueued and a notification.
-- (Subscription orders get only this; their access follows the subscription's own events.)
create function private.mark_order_paid(order_id uuid, subscription_id text) returns public.orders
language plpgsql
set search_path = ''
as $$
declare
  ord public.orders;
begin
  update public.orders o
  set status = case when o.status = 'partially_refunded' then o.status else 'paid' end,
      paid_at = coalesce(o.paid_at, now()), updated_at = now(),
      stripe_subscription_id = coalesce(mark_order_paid.subscription_id, o.stripe_subscription_id)
  where o.id = mark_order_paid.order_id
  returning * into ord;
  if ord.coupon_id is not null then
    insert into public.coupon_redemptions as r (coupon_id, user_id, offer_id, order_id, redeemed_at)
    values (ord.coupon_id, ord.user_id, ord.offer_id, ord.id, now())
    on conflict on constraint coupon_redemptions_order_key do update set redeemed_at = now()
      where r.redeemed_at is null;
    if found then
      update public.coupons c set redeemed_count = c.redeemed_count + 1 where c.id = ord.coupon_id;
    end if;
  end if;
  perform private.enqueue_email('purchase_receipt', 'essential', ord.user_id,
    jsonb_build_object('order_id', ord.id, 'title', ord.title, 'currency', ord.currency, 'subtotal', ord.subtotal,
                       'discount', ord.discount, 'total', ord.total, 'paid_at', ord.paid_at),
    'receipt:' || ord.id);
  perform private.notify(ord.user_id, 'purchase', 'Purchase complete: ' || ord.title, null, '/orders/' || ord.id,
    jsonb_build_object('order_id', ord.id));
  return ord;
end;
$$;
revoke all on function private.mark_order_paid(uuid, text) from public;

-- The seat a paid order bought, if it can still be given: null when the buyer is registered,
-- otherwise why not (session_closed: cancelled or over; seat_lost: the hold lapsed and the
-- session filled up meanwhile).
create function private.give_seat(order_id uuid, session_id uuid, user_id uuid) returns text
language plpgsql
set search_path = ''
as $$
declare
  s public.live_sessions;
  held boolean;
begin
  select * into s from public.live_sessions x where x.id = give_seat.session_id for update;
  if s.status in ('ended', 'cancelled') or s.starts_at + make_interval(mins => s.duration_minutes) < now() then
    return 'session_closed';
  end if;
  held := exists (select 1 from private.seat_holds h where h.order_id = give_seat.order_id
                  and (h.expires_at is null or h.expires_at > now()));
  if not held and s.capacity is not null and private.seats_taken(s.id, give_seat.order_id) >= s.capacity then
    return 'seat_lost';
  end if;
  perform private.register_user(s.id, give_seat.user_id, 'purchase', false);
  return null;
end;
$$;
revoke all on function private.give_seat(uuid, uuid, uuid) from public;

-- Grants what the order's snapshot lists, then marks it paid. Idempotent: an order already paid
-- for is returned as is. Paid after a full refund or a dispute (events out of order): the payment
-- is recorded, nothing is granted. The order refunds itself (refund_pending, auto_refund_reason)
-- when what it sells can't be given: its seat was lost or its session closed, or it had been
-- replaced or had expired and another order already gave the buyer what it sells.
create function private.fulfil_order(order_id uuid) returns public.orders
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  ord public.orders;
  o public.offers;
  l public.order_lines;
  reason text;
begin
  select * into ord from public.orders where id = fulfil_order.order_id for update;
  if not found then
    raise exception 'order not found' using errcode = 'PT404', detail = 'order_not_found';
  end if;
  if ord.paid_at is not null then
    return ord;
  end if;
  if ord.status in ('refunded', 'disputed', 'refund_pending', 'needs_review') then
    update public.orders set paid_at = now(), updated_at = now() where id = ord.id returning * into ord;
    return ord;
  end if;
  select * into o from public.offers where id = ord.offer_id;
  if o.kind = 'plan' then
    raise exception 'subscriptions are fulfilled by their Stripe events' using errcode = 'P0001', detail = 'plan_needs_stripe';
  end if;
  -- Paid for an order that was replaced or had expired, while another order already gave the buyer
  -- what it sells (a second checkout tab, say): that second payment is refunded.
  if ord.status in ('expired', 'failed') and private.already_has_offer(o.id, ord.user_id) then
    reason := 'already_owned';
  end if;
  for l in select * from public.order_lines x where x.order_id = ord.id and x.session_id is not null loop
    exit when reason is not null;
    reason := private.give_seat(ord.id, l.session_id, ord.user_id);
  end loop;
  if reason is not null then
    update public.orders set status = 'refund_pending', paid_at = now(), auto_refund_reason = reason, updated_at = now()
    where id = ord.id returning * into ord;
    perform private.enqueue_email('order_auto_refund', 'essential', ord.user_id,
      jsonb_build_object('order_id', ord.id, 'title', ord.title, 'reason', reason, 'currency', ord.currency,
                         'total', ord.total),
      'auto_refund:' || ord.id);
    perform private.notify(ord.user_id, 'order_auto_refund', 'We are refunding your order: ' || ord.title,
      case reason when 'seat_lost' then 'The last seat was taken before your payment arrived.'
                  when 'already_owned' then 'You already have this; the second payment is refunded.'
                  else 'The session is no longer taking place.' end,
      '/orders/' || ord.id, jsonb_build_object('order_id', ord.id, 'reason', reason));
    return ord;
  end if;
  for l in select * from public.order_lines x where x.order_id = ord.id and x.course_id is not null loop
    perform private.grant_access(ord.user_id, l.course_id, 'purchase', order_id => ord.id);
  end loop;
  return private.mark_order_paid(ord.id, null);
end;
$$;
revoke all on function private.fulfil_order(uuid) from public;

-- Takes back what an order granted (refund or dispute): its entitlements, and the seats it bought.
create function private.revoke_order(order_id uuid, reason text) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.revoke_access(revoke_order.reason, order_id => revoke_order.order_id);
  update public.live_session_registrations r set cancelled_at = now()
  from public.order_lines l join public.orders o on o.id = l.order_id
  where l.order_id = revoke_order.order_id and r.session_id = l.session_id and r.user_id = o.user_id
    and r.source = 'purchase' and r.cancelled_at is null;
end;
$$;
revoke all on function private.revoke_order(uuid, text) from public;

-- ---------------------------------------------------------------------------------------------
-- Buying
-- ---------------------------------------------------------------------------------------------

-- How long a pending order holds its seat and coupon use. The checkout function makes Stripe's
-- Checkout Session expire a few minutes earlier (Stripe accepts 30 minutes to 24 hours).
create function private.order_hold() returns interval
language sql immutable
set search_path = ''
as $$ select interval '35 minutes' $$;
revoke all on function private.order_hold() from public;

-- Buyers: a pending order for an offer, priced by the database. A zero total is fulfilled at once.
create function public.create_order(offer_id uuid, currency text, coupon_code text default null)
returns public.orders
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := auth.uid();
  o public.offers;
  s public.live_sessions;
  q public.offer_quote;
  ord public.orders;
  wanted_code text := nullif(upper(btrim(create_order.coupon_code)), '');
begin
  if uid is null then
    raise exception 'sign in to buy' using errcode = '42501', detail = 'not_signed_in';
  end if;
  select * into o from public.offers x where x.id = create_order.offer_id and x.is_active;
  if not found then
    raise exception 'offer not found' using errcode = 'PT404', detail = 'offer_not_found';
  end if;
  -- Scarce things are locked before they are counted: the session, then the coupon (fulfilment
  -- takes them in the same order), so parallel orders serialize here.
  if o.kind = 'session' then
    select * into s from public.live_sessions x where x.id = o.session_id for update;
  end if;
  if wanted_code is not null then
    perform 1 from public.coupons c where c.code = left(wanted_code, 40) for update;
  end if;
  if private.already_has_offer(o.id, uid) then
    raise exception 'you already have this' using errcode = 'P0001', detail = 'already_owned';
  end if;
  -- A retry reuses the buyer's live pending order of this offer (same currency and coupon), so
  -- opening checkout twice never holds two seats or two coupon uses, nor charges twice. A retry
  -- with another currency or coupon replaces it, unless its payment is already under way.
  select * into ord from public.orders x
  where x.user_id = uid and x.offer_id = o.id and x.status = 'pending'
    and (x.hold_expires_at is null or x.hold_expires_at > now())
  order by x.created_at desc limit 1
  for update;
  if found then
    if ord.hold_expires_at is null then
      raise exception 'a payment for this is already being processed' using errcode = 'P0001',
        detail = 'payment_in_progress', hint = 'Wait for it to complete or fail.';
    end if;
    if ord.currency = upper(btrim(create_order.currency))
       and ord.coupon_id is not distinct from (select c.id from public.coupons c where c.code = left(wanted_code, 40)) then
      return ord;
    end if;
    update public.orders x set status = 'expired', updated_at = now() where x.id = ord.id;
  end if;
  q := public.quote_offer(o.id, create_order.currency, create_order.coupon_code);
  if o.kind = 'session' and s.capacity is not null and private.seats_taken(s.id) >= s.capacity then
    raise exception 'this session is full' using errcode = 'P0001', detail = 'session_full';
  end if;

  insert into public.orders (user_id, offer_id, title, currency, subtotal, discount, total, coupon_id, hold_expires_at)
  values (uid, o.id, o.title, q.currency, q.subtotal, q.discount, q.total, q.coupon_id, now() + private.order_hold())
  returning * into ord;
  if o.kind in ('course', 'bundle') then
    insert into public.order_lines (order_id, course_id) select ord.id, c from private.offer_course_ids(o.id) c;
  elsif o.kind = 'session' then
    insert into public.order_lines (order_id, session_id) values (ord.id, s.id);
    insert into private.seat_holds (order_id, session_id, user_id, expires_at)
    values (ord.id, s.id, uid, ord.hold_expires_at);
  end if;
  if q.coupon_id is not null then
    insert into public.coupon_redemptions (coupon_id, user_id, offer_id, order_id, redeemed_at)
    values (q.coupon_id, uid, o.id, ord.id, null);
  end if;
  if ord.total = 0 then
    ord := private.fulfil_order(ord.id);
  end if;
  return ord;
end;
$$;
comment on function public.create_order(uuid, text, text) is
  'Creates the caller''s pending order at the database price (after a coupon), holding its seat and coupon use; a retry returns the same pending order; fulfils a zero total at once.';
revoke all on function public.create_order(uuid, text, text) from public, anon;
grant execute on function public.create_order(uuid, text, text) to authenticated;

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
