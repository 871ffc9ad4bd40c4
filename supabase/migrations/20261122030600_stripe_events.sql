-- Stripe webhook events, applied in the database.
--
-- stripe_apply_event() is the stripe-webhook function's only door. In one transaction it records
-- the event in a ledger (a duplicate changes nothing) and applies it; if anything fails, the whole
-- transaction, ledger row included, rolls back and Stripe retries.
--
-- Stripe delivers events more than once, out of order, and from every integration on the account,
-- so the rules are:
-- * Whatever the order of arrival, the end state is the same. A payment's refunds and disputes
--   are facts recorded on its order (amount_refunded only grows), so a refund that arrives before
--   checkout.session.completed still leaves the order refunded and grants nothing.
-- * Only what matches the order is honoured: a checkout session whose amount or currency differs
--   from the order's snapshot grants nothing; the order goes to needs_review, admins are alerted,
--   and the ledger says why.
-- * Events that are not ours (no or an unknown order id, another user's order, a subscription
--   created in the Dashboard) are answered 2xx and recorded as "ignored: <reason>".
-- * A paid order whose seat was lost answers 'refund_required': the function then refunds it
--   through Stripe (a redelivered event asks again until Stripe has confirmed the refund).

create table private.stripe_events (
  event_id text primary key,
  type text not null,
  created timestamptz not null,
  result text,
  order_id uuid,
  payment_intent text,
  -- Kept only for a charge event deferred until its payment's order is known.
  object jsonb,
  received_at timestamptz not null default now()
);
create index stripe_events_deferred_idx on private.stripe_events (payment_intent) where result like 'deferred%';

-- Invoice events of subscriptions: renewal receipts and failed payments (the status itself
-- follows customer.subscription.updated).
create function private.apply_invoice(event_type text, object jsonb) returns text
language plpgsql
set search_path = ''
as $$
declare
  sub record;
begin
  select s.id, s.user_id into sub from public.subscriptions s
  where s.stripe_subscription_id = coalesce(object ->> 'subscription',
                                            object -> 'parent' -> 'subscription_details' ->> 'subscription');
  if not found then
    return 'ignored: unknown subscription';
  end if;
  if event_type = 'invoice.paid' and object ->> 'billing_reason' = 'subscription_cycle' then
    perform private.enqueue_email('subscription_renewed', 'essential', sub.user_id,
      jsonb_build_object('amount', private.try_bigint(object ->> 'amount_paid'), 'currency', upper(object ->> 'currency')),
      'invoice_paid:' || (object ->> 'id'));
  elsif event_type = 'invoice.payment_failed' then
    perform private.enqueue_email('payment_failed', 'essential', sub.user_id,
      jsonb_build_object('order_id', sub.id, 'total', private.try_bigint(object ->> 'amount_due'),
                         'currency', upper(object ->> 'currency')),
      'invoice_failed:' || (object ->> 'id'));
  end if;
  return 'applied';
end;
$$;
revoke all on function private.apply_invoice(text, jsonb) from public;

-- A charge's refund or dispute, recorded on its order. Monotonic, so arrival order does not
-- matter: amount_refunded only grows, a full refund or a dispute revokes what the order granted.
create function private.apply_charge(event_type text, ord public.orders, object jsonb) returns text
language plpgsql
set search_path = ''
as $$
declare
  refunded bigint := coalesce(private.try_bigint(object ->> 'amount_refunded'), 0);
  charged bigint := coalesce(private.try_bigint(object ->> 'amount'), ord.total);
begin
  if event_type = 'charge.refunded' then
    update public.orders o
    set amount_refunded = greatest(o.amount_refunded, least(o.total, refunded)),
        status = case when o.status = 'disputed' then o.status
                      when refunded >= charged or o.status = 'refunded' then 'refunded'
                      else 'partially_refunded' end,
        updated_at = now()
    where o.id = ord.id
    returning * into ord;
    if ord.status = 'refunded' then
      perform private.revoke_order(ord.id, 'refunded');
    end if;
    perform private.enqueue_email('refund_issued', 'essential', ord.user_id,
      jsonb_build_object('order_id', ord.id, 'currency', ord.currency, 'amount_refunded', refunded),
      'refund:' || ord.id || ':' || refunded);
  elsif event_type = 'charge.dispute.created' then
    update public.orders set status = 'disputed', updated_at = now() where id = ord.id;
    perform private.revoke_order(ord.id, 'disputed');
    perform private.alert_admins('Payment disputed', 'Order ' || ord.id || ' is disputed; access is suspended.',
      jsonb_build_object('order_id', ord.id));
  else
    return 'ignored: unhandled event type';
  end if;
  return 'applied';
end;
$$;
revoke all on function private.apply_charge(text, public.orders, jsonb) from public;

-- A checkout session's payment, checked against the order's snapshot. Returns null when it
-- matches; otherwise the order goes to needs_review (nothing granted; a subscription it started
-- grants nothing either), admins are alerted, and the mismatch is returned for the ledger.
create function private.check_payment(ord public.orders, object jsonb) returns text
language plpgsql
set search_path = ''
as $$
declare
  amount bigint := private.try_bigint(object ->> 'amount_total');
  cur text := upper(object ->> 'currency');
  problem text;
begin
  if amount is not distinct from ord.total and cur is not distinct from ord.currency then
    return null;
  end if;
  problem := format('mismatch: charged %s %s, the order is %s %s',
                    coalesce(amount::text, '?'), coalesce(left(cur, 10), '?'), ord.total, ord.currency);
  update public.orders set status = 'needs_review', review_reason = problem, updated_at = now() where id = ord.id;
  perform private.revoke_access(problem, subscription_id => s.id)
  from public.subscriptions s where s.order_id = ord.id;
  perform private.alert_admins('Payment does not match its order',
    'Order ' || ord.id || ': ' || problem || '. Nothing was granted; review and refund it.',
    jsonb_build_object('order_id', ord.id));
  return problem;
end;
$$;
revoke all on function private.check_payment(public.orders, jsonb) from public;

-- checkout.session.* events of our orders.
create function private.apply_checkout(event_type text, created timestamptz, ord public.orders, object jsonb)
returns text
language plpgsql
set search_path = ''
as $$
declare
  problem text;
  d record;
begin
  if event_type in ('checkout.session.completed', 'checkout.session.async_payment_succeeded') then
    if ord.paid_at is not null or ord.status = 'needs_review' then
      return 'ignored: order already ' || ord.status;
    end if;
    problem := private.check_payment(ord, object);
    if problem is not null then
      return problem;
    end if;
    if object ->> 'mode' = 'subscription' then
      -- Access follows the subscription's own events; the order records the purchase.
      perform private.mark_order_paid(ord.id, object ->> 'subscription');
    elsif event_type = 'checkout.session.async_payment_succeeded'
          or object ->> 'payment_status' in ('paid', 'no_payment_required') then
      ord := private.fulfil_order(ord.id);
      if ord.status = 'refund_pending' and ord.auto_refund_reason is not null then
        return 'refund_required';
      end if;
    else
      -- 'unpaid': an async method; the seat and coupon stay held until it settles.
      update public.orders set hold_expires_at = null, updated_at = now() where id = ord.id and status = 'pending';
    end if;
    -- Charge events that came before we knew this payment's order.
    for d in select * from private.stripe_events e
             where e.payment_intent = apply_checkout.object ->> 'payment_intent' and e.result like 'deferred%'
             order by e.created loop
      select * into ord from public.orders where id = ord.id;
      update private.stripe_events set result = private.apply_charge(d.type, ord, d.object) || ' (deferred)',
        order_id = ord.id, object = null
      where event_id = d.event_id;
    end loop;
    return 'applied';
  elsif event_type in ('checkout.session.async_payment_failed', 'checkout.session.expired') then
    if ord.status <> 'pending' then
      return case when ord.last_event_at > created then 'stale' else 'ignored: order already ' || ord.status end;
    end if;
    if event_type = 'checkout.session.expired' then
      update public.orders set status = 'expired', updated_at = now() where id = ord.id;
    else
      update public.orders set status = 'failed', updated_at = now() where id = ord.id;
      perform private.enqueue_email('payment_failed', 'essential', ord.user_id,
        jsonb_build_object('order_id', ord.id, 'total', ord.total, 'currency', ord.currency), 'payment_failed:' || ord.id);
    end if;
    return 'applied';
  end if;
  return 'ignored: unhandled event type';
end;
$$;
revoke all on function private.apply_checkout(text, timestamptz, public.orders, jsonb) from public;

-- Records on a locked order what an event of its payment says: the payment intent (the first one
-- named is kept) and the event's time (last_event_at only moves forward; stale checks read it).
create function private.note_order_event(order_id uuid, payment_intent text, created timestamptz) returns void
language sql
set search_path = ''
as $$
  update public.orders o
  set stripe_payment_intent_id = coalesce(o.stripe_payment_intent_id, note_order_event.payment_intent),
      last_event_at = greatest(o.last_event_at, note_order_event.created)
  where o.id = note_order_event.order_id
$$;
revoke all on function private.note_order_event(uuid, text, timestamptz) from public;

create function public.stripe_apply_event(event_id text, event_type text, created timestamptz, object jsonb)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  ord public.orders;
  prev private.stripe_events;
  pi text := stripe_apply_event.object ->> 'payment_intent';
  meta_order uuid := private.try_uuid(stripe_apply_event.object -> 'metadata' ->> 'order_id');
  outcome text;
begin
  insert into private.stripe_events (event_id, type, created)
  values (stripe_apply_event.event_id, stripe_apply_event.event_type, stripe_apply_event.created)
  on conflict (event_id) do nothing;
  if not found then
    select * into prev from private.stripe_events e where e.event_id = stripe_apply_event.event_id;
    if prev.result = 'refund_required' and exists (
      select 1 from public.orders o where o.id = prev.order_id and o.status = 'refund_pending'
        and o.auto_refund_reason is not null) then
      return 'refund_required'; -- Stripe redelivered: ask for the refund again (idempotent)
    end if;
    return 'duplicate';
  end if;

  if stripe_apply_event.event_type in ('customer.subscription.created', 'customer.subscription.updated',
                                       'customer.subscription.deleted') then
    outcome := private.apply_subscription(stripe_apply_event.object, stripe_apply_event.created,
                                         stripe_apply_event.event_type = 'customer.subscription.deleted');
  elsif stripe_apply_event.event_type in ('invoice.paid', 'invoice.payment_failed') then
    outcome := private.apply_invoice(stripe_apply_event.event_type, stripe_apply_event.object);
  elsif stripe_apply_event.event_type like 'checkout.session.%' then
    select * into ord from public.orders where id = meta_order for update;
    if meta_order is null then
      outcome := 'ignored: not our checkout session';
    elsif ord.id is null then
      outcome := 'ignored: unknown order';
    elsif stripe_apply_event.object -> 'metadata' ->> 'user_id' is distinct from ord.user_id::text then
      outcome := 'ignored: the order belongs to another user';
    else
      perform private.note_order_event(ord.id, pi, stripe_apply_event.created);
      outcome := private.apply_checkout(stripe_apply_event.event_type, stripe_apply_event.created, ord,
                                        stripe_apply_event.object);
    end if;
  elsif stripe_apply_event.event_type in ('charge.refunded', 'charge.dispute.created') then
    -- The order: by its payment intent, or by our metadata (Stripe copies the payment intent's
    -- metadata onto its charge), which also finds it before checkout.session.completed arrives.
    select * into ord from public.orders where stripe_payment_intent_id = coalesce(pi, '-') for update;
    if ord.id is null and meta_order is not null then
      select * into ord from public.orders
      where id = meta_order and (stripe_payment_intent_id is null or stripe_payment_intent_id = pi) for update;
    end if;
    if ord.id is null and pi is not null then
      update private.stripe_events e set payment_intent = pi, object = stripe_apply_event.object
      where e.event_id = stripe_apply_event.event_id;
      outcome := 'deferred: no order for this payment yet';
    elsif ord.id is null then
      outcome := 'ignored: not our payment';
    else
      perform private.note_order_event(ord.id, pi, stripe_apply_event.created);
      outcome := private.apply_charge(stripe_apply_event.event_type, ord, stripe_apply_event.object);
    end if;
  else
    outcome := 'ignored: unhandled event type';
  end if;

  update private.stripe_events e set result = outcome, order_id = ord.id where e.event_id = stripe_apply_event.event_id;
  return outcome;
end;
$$;
comment on function public.stripe_apply_event(text, text, timestamptz, jsonb) is
  'Service role only: applies one verified Stripe event, exactly once, in one transaction. Returns applied, duplicate, stale, refund_required, deferred: …, ignored: … or mismatch: ….';
revoke all on function public.stripe_apply_event(text, text, timestamptz, jsonb) from public, anon, authenticated;
grant execute on function public.stripe_apply_event(text, text, timestamptz, jsonb) to service_role;
