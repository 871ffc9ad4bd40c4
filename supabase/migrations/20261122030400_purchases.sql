-- Purchases: buying an offer, and fulfilling what was paid (the database half of checkout).
--
-- create_order() runs as the buyer. It prices the offer with quote_offer() (never a client price),
-- refuses what is not on sale (a draft, archived or deleted course, a closed session, a seller who
-- may no longer sell it) and what the buyer already has, and writes a pending order with a
-- snapshot of what it sells (order_lines). Under a lock it also reserves what is scarce until the
-- order's hold expires: the coupon use (capped coupons) and the seat (sessions with a capacity),
-- so parallel orders can't overrun either cap. Stripe's Checkout Session expires before the hold
-- does.
--
-- Fulfilment (private.fulfil_order) grants what the snapshot lists, whatever the offer says now,
-- redeems the coupon and enqueues the receipt, in one transaction. A course that was unpublished
-- between checkout and payment is still granted: the buyer paid. A seat that was lost meanwhile
-- (the hold lapsed and the session filled up, or the session was cancelled) is not given: the
-- order is refunded by itself (refund_pending with auto_refund_reason) and the buyer is told. A
-- zero total (a 100% coupon) is fulfilled at once, without Stripe. A confirmed refund or a
-- dispute takes back what the order granted (private.revoke_order). No client writes orders or
-- grants anything.

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

-- ---------------------------------------------------------------------------------------------
-- Fulfilment, and taking it back
-- ---------------------------------------------------------------------------------------------

-- The order, locked for the rest of the transaction (fulfilment, refunds); raises when there is
-- none.
create function private.lock_order(order_id uuid, out ord public.orders)
language plpgsql
set search_path = ''
as $$
begin
  select * into ord from public.orders o where o.id = lock_order.order_id for update;
  if not found then
    raise exception 'order not found' using errcode = 'PT404', detail = 'order_not_found';
  end if;
end;
$$;
revoke all on function private.lock_order(uuid) from public;

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
  ord := private.lock_order(fulfil_order.order_id);
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

-- Buyers: a pending order for an offer, priced by the database. A zero total is fulfilled at once.
create function public.create_order(offer_id uuid, currency text, coupon_code text default null)
returns public.orders
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  uid uuid := private.require_signed_in('buy');
  o public.offers;
  s public.live_sessions;
  q public.offer_quote;
  ord public.orders;
  wanted_code text := nullif(upper(btrim(create_order.coupon_code)), '');
begin
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
