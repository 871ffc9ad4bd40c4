-- Orders and fulfilment (the database half of checkout).
--
-- create_order() runs as the buyer: it prices the offer with quote_offer() (never a client
-- price), refuses an offer the buyer already has, and writes a pending order. The checkout
-- function then opens the Stripe session for that order. Fulfilment (private.fulfil_order) grants
-- what was bought — course entitlements, bundle entitlements, a session seat — redeems the coupon
-- and enqueues the receipt, in one transaction; a zero total (free offer or 100% coupon) is
-- fulfilled at once, without Stripe. No client writes orders or grants anything.

create type public.order_status as enum (
  'pending', 'paid', 'failed', 'expired', 'refund_pending', 'refunded', 'partially_refunded', 'disputed');

create table public.orders (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete restrict,
  offer_id uuid not null references public.offers (id) on delete restrict,
  currency text not null constraint orders_currency_format check (currency ~ '^[A-Z]{3}$'),
  subtotal bigint not null constraint orders_subtotal_valid check (subtotal >= 0),
  discount bigint not null default 0 constraint orders_discount_valid check (discount >= 0 and discount <= subtotal),
  total bigint not null constraint orders_total_valid check (total = subtotal - discount),
  coupon_id uuid references public.coupons (id) on delete set null,
  status public.order_status not null default 'pending',
  amount_refunded bigint not null default 0 constraint orders_refund_valid check (amount_refunded between 0 and total),
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
alter table public.orders enable row level security;

-- Stripe customer of each user: written by the checkout function (service side) only.
create table private.stripe_customers (
  user_id uuid primary key references auth.users (id) on delete cascade,
  customer_id text not null unique,
  created_at timestamptz not null default now()
);

grant select on public.orders to authenticated;
grant select, insert, update, delete on public.orders to service_role;
create policy "buyers read their orders; sellers their offers'; admins all" on public.orders for select to authenticated
  using (user_id = (select auth.uid()) or offer_id in (select private.managed_offer_ids()));

-- ---------------------------------------------------------------------------------------------
-- What an offer grants, and whether the buyer has it already
-- ---------------------------------------------------------------------------------------------

-- The courses an offer gives access to (plans: by scope; an instructor's or the whole catalog's
-- published courses).
create function private.offer_course_ids(offer_id uuid) returns setof uuid
language sql stable
set search_path = ''
as $$
  select o.course_id from public.offers o where o.id = offer_course_ids.offer_id and o.kind = 'course'
  union
  select oc.course_id from public.offer_courses oc join public.offers o on o.id = oc.offer_id
  where o.id = offer_course_ids.offer_id and (o.kind = 'bundle' or o.plan_scope = 'selected_courses')
  union
  select ci.course_id from public.offers o join public.course_instructors ci on ci.user_id = o.owner_id
  join public.courses c on c.id = ci.course_id and c.status = 'published' and c.deleted_at is null
  where o.id = offer_course_ids.offer_id and o.plan_scope = 'instructor'
  union
  select c.id from public.offers o cross join public.courses c
  where o.id = offer_course_ids.offer_id and o.plan_scope = 'all_courses' and c.status = 'published' and c.deleted_at is null
$$;
revoke all on function private.offer_course_ids(uuid) from public;

create function private.already_has_offer(offer_id uuid, user_id uuid) returns boolean
language sql stable
set search_path = ''
as $$
  select case o.kind
    when 'session' then exists (select 1 from public.live_session_registrations r
                                where r.session_id = o.session_id and r.user_id = already_has_offer.user_id
                                  and r.cancelled_at is null)
    when 'plan' then exists (select 1 from public.orders ord
                             where ord.offer_id = o.id and ord.user_id = already_has_offer.user_id and ord.status = 'paid'
                               and ord.stripe_subscription_id is not null)
    else not exists (
      select 1 from private.offer_course_ids(o.id) c
      where not exists (select 1 from public.entitlements e
                        where e.user_id = already_has_offer.user_id and e.course_id = c and private.is_active(e)))
  end
  from public.offers o where o.id = already_has_offer.offer_id
$$;
revoke all on function private.already_has_offer(uuid, uuid) from public;

-- ---------------------------------------------------------------------------------------------
-- Fulfilment
-- ---------------------------------------------------------------------------------------------

-- What every paid order gets, whatever it bought: status paid, its coupon redeemed, the receipt
-- enqueued and a notification. (Subscription orders get only this; their access follows the
-- subscription's own events.)
create function private.mark_order_paid(order_id uuid, subscription_id text) returns public.orders
language plpgsql
set search_path = ''
as $$
declare
  ord public.orders;
  title text;
begin
  update public.orders o set status = 'paid', paid_at = now(), updated_at = now(),
    stripe_subscription_id = coalesce(mark_order_paid.subscription_id, o.stripe_subscription_id)
  where o.id = mark_order_paid.order_id
  returning * into ord;
  select x.title into title from public.offers x where x.id = ord.offer_id;
  if ord.coupon_id is not null then
    insert into public.coupon_redemptions (coupon_id, user_id, offer_id) values (ord.coupon_id, ord.user_id, ord.offer_id);
    update public.coupons c set redeemed_count = c.redeemed_count + 1 where c.id = ord.coupon_id;
  end if;
  perform private.enqueue_email('purchase_receipt', 'essential', ord.user_id,
    jsonb_build_object('order_id', ord.id, 'title', title, 'currency', ord.currency, 'subtotal', ord.subtotal,
                       'discount', ord.discount, 'total', ord.total, 'paid_at', ord.paid_at),
    'receipt:' || ord.id);
  perform private.notify(ord.user_id, 'purchase', 'Purchase complete: ' || title, null, '/orders/' || ord.id,
    jsonb_build_object('order_id', ord.id));
  return ord;
end;
$$;
revoke all on function private.mark_order_paid(uuid, text) from public;

-- Grants what the order bought, then marks it paid (coupon, receipt, notification).
-- Idempotent: a paid order is returned as is.
create function private.fulfil_order(order_id uuid) returns public.orders
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  ord public.orders;
  o public.offers;
  c uuid;
begin
  select * into ord from public.orders where id = fulfil_order.order_id for update;
  if not found then
    raise exception 'order not found' using errcode = 'P0002';
  end if;
  if ord.status = 'paid' then
    return ord;
  end if;
  select * into o from public.offers where id = ord.offer_id;
  if o.kind = 'session' then
    perform private.register_user(o.session_id, ord.user_id, 'purchase', false);
  elsif o.kind in ('course', 'bundle') then
    for c in select private.offer_course_ids(o.id) loop
      perform private.upsert_entitlement(ord.user_id, c, 'purchase', null, 'order:' || ord.id, null);
    end loop;
  else
    raise exception 'subscriptions are fulfilled by their Stripe events' using errcode = 'P0001', detail = 'plan_needs_stripe';
  end if;
  return private.mark_order_paid(ord.id, null);
end;
$$;
revoke all on function private.fulfil_order(uuid) from public;

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
  q public.offer_quote;
  ord public.orders;
begin
  if uid is null then
    raise exception 'sign in to buy' using errcode = '42501';
  end if;
  q := public.quote_offer(create_order.offer_id, create_order.currency, create_order.coupon_code);
  if private.already_has_offer(q.offer_id, uid) then
    raise exception 'you already have this' using errcode = 'P0001', detail = 'already_owned';
  end if;
  insert into public.orders (user_id, offer_id, currency, subtotal, discount, total, coupon_id)
  values (uid, q.offer_id, q.currency, q.subtotal, q.discount, q.total, q.coupon_id)
  returning * into ord;
  if ord.total = 0 then
    ord := private.fulfil_order(ord.id);
  end if;
  return ord;
end;
$$;
comment on function public.create_order(uuid, text, text) is
  'Creates the caller''s pending order at the database price (after a coupon); fulfils a zero total at once.';
revoke all on function public.create_order(uuid, text, text) from public, anon;
grant execute on function public.create_order(uuid, text, text) to authenticated;
