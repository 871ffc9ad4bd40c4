-- Stripe webhook events, applied in the database (one-time payments).
--
-- stripe_apply_event() is the stripe-webhook function's only door: in one transaction it records
-- the event id in a ledger (a duplicate returns 'duplicate' and changes nothing), skips an event
-- older than the last one applied to its order ('stale'), and applies the effects: fulfilment,
-- failure, expiry, refunds (a full refund revokes access) and disputes (access suspended). If
-- anything fails, the whole transaction, ledger row included, rolls back and Stripe retries.

create table private.stripe_events (
  event_id text primary key,
  type text not null,
  created timestamptz not null,
  result text,
  received_at timestamptz not null default now()
);

-- Takes back what an order granted (refund or dispute).
create function private.revoke_order(order_id uuid, reason text) returns void
language plpgsql
set search_path = ''
as $$
declare
  ord public.orders;
  o public.offers;
  c uuid;
begin
  select * into ord from public.orders where id = revoke_order.order_id;
  select * into o from public.offers where id = ord.offer_id;
  if o.kind = 'session' then
    update public.live_session_registrations r set cancelled_at = now()
    where r.session_id = o.session_id and r.user_id = ord.user_id and r.cancelled_at is null;
  else
    for c in select private.offer_course_ids(o.id) loop
      update public.entitlements e set revoked_at = now(), revoked_reason = revoke_order.reason, updated_at = now()
      where e.user_id = ord.user_id and e.course_id = c and e.source = 'purchase'
        and e.external_ref = 'order:' || ord.id and e.revoked_at is null;
    end loop;
  end if;
end;
$$;
revoke all on function private.revoke_order(uuid, text) from public;

-- Invoice events of subscriptions: renewal receipts and failed payments (the status itself
-- follows customer.subscription.updated). Defined here, used by stripe_apply_event().
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
    return 'ignored';
  end if;
  if event_type = 'invoice.paid' and object ->> 'billing_reason' = 'subscription_cycle' then
    perform private.enqueue_email('subscription_renewed', 'essential', sub.user_id,
      jsonb_build_object('amount', (object ->> 'amount_paid')::bigint, 'currency', upper(object ->> 'currency')),
      'invoice_paid:' || (object ->> 'id'));
  elsif event_type = 'invoice.payment_failed' then
    perform private.enqueue_email('payment_failed', 'essential', sub.user_id,
      jsonb_build_object('order_id', sub.id, 'total', (object ->> 'amount_due')::bigint, 'currency', upper(object ->> 'currency')),
      'invoice_failed:' || (object ->> 'id'));
  end if;
  return 'applied';
end;
$$;
revoke all on function private.apply_invoice(text, jsonb) from public;

create function public.stripe_apply_event(event_id text, event_type text, created timestamptz, object jsonb)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  ord public.orders;
  outcome text := 'applied';
begin
  insert into private.stripe_events (event_id, type, created)
  values (stripe_apply_event.event_id, stripe_apply_event.event_type, stripe_apply_event.created)
  on conflict (event_id) do nothing;
  if not found then
    return 'duplicate';
  end if;

  if stripe_apply_event.event_type in ('customer.subscription.created', 'customer.subscription.updated',
                                       'customer.subscription.deleted') then
    outcome := private.apply_subscription(stripe_apply_event.object, stripe_apply_event.created,
                                         stripe_apply_event.event_type = 'customer.subscription.deleted');
    update private.stripe_events se set result = outcome where se.event_id = stripe_apply_event.event_id;
    return outcome;
  end if;
  if stripe_apply_event.event_type in ('invoice.paid', 'invoice.payment_failed') then
    outcome := private.apply_invoice(stripe_apply_event.event_type, stripe_apply_event.object);
    update private.stripe_events se set result = outcome where se.event_id = stripe_apply_event.event_id;
    return outcome;
  end if;

  -- The order: from our metadata (sessions, payment intents) or the payment intent id (charges).
  if stripe_apply_event.event_type like 'checkout.session.%' then
    select * into ord from public.orders
    where id = nullif(stripe_apply_event.object -> 'metadata' ->> 'order_id', '')::uuid for update;
  elsif stripe_apply_event.event_type like 'charge.%' then
    select * into ord from public.orders
    where stripe_payment_intent_id = coalesce(stripe_apply_event.object ->> 'payment_intent', '-') for update;
  else
    outcome := 'ignored';
  end if;
  if outcome = 'applied' and ord.id is null then
    outcome := 'ignored';
  end if;
  if outcome = 'applied' and ord.last_event_at is not null and ord.last_event_at > stripe_apply_event.created then
    outcome := 'stale';
  end if;

  if outcome = 'applied' then
    update public.orders set last_event_at = stripe_apply_event.created,
      stripe_payment_intent_id = coalesce(stripe_payment_intent_id, stripe_apply_event.object ->> 'payment_intent')
    where id = ord.id;
    case stripe_apply_event.event_type
      when 'checkout.session.completed' then
        if stripe_apply_event.object ->> 'mode' = 'subscription' then
          -- Access follows the subscription's own events; the order records the purchase.
          if ord.status = 'pending' then
            perform private.mark_order_paid(ord.id, stripe_apply_event.object ->> 'subscription');
          end if;
        elsif stripe_apply_event.object ->> 'payment_status' in ('paid', 'no_payment_required') then
          perform private.fulfil_order(ord.id);
        end if; -- 'unpaid': an async method, settled by the async_payment events
      when 'checkout.session.async_payment_succeeded' then
        perform private.fulfil_order(ord.id);
      when 'checkout.session.async_payment_failed' then
        update public.orders set status = 'failed', updated_at = now() where id = ord.id and status = 'pending';
        perform private.enqueue_email('payment_failed', 'essential', ord.user_id,
          jsonb_build_object('order_id', ord.id, 'total', ord.total, 'currency', ord.currency), 'payment_failed:' || ord.id);
      when 'checkout.session.expired' then
        update public.orders set status = 'expired', updated_at = now() where id = ord.id and status = 'pending';
      when 'charge.refunded' then
        if (stripe_apply_event.object ->> 'amount_refunded')::bigint >= (stripe_apply_event.object ->> 'amount')::bigint then
          update public.orders set status = 'refunded', amount_refunded = total, updated_at = now() where id = ord.id;
          perform private.revoke_order(ord.id, 'refunded');
        else
          update public.orders set status = 'partially_refunded',
            amount_refunded = least(total, (stripe_apply_event.object ->> 'amount_refunded')::bigint), updated_at = now()
          where id = ord.id;
        end if;
        perform private.enqueue_email('refund_issued', 'essential', ord.user_id,
          jsonb_build_object('order_id', ord.id, 'currency', ord.currency,
                             'amount_refunded', (stripe_apply_event.object ->> 'amount_refunded')::bigint),
          'refund:' || ord.id || ':' || (stripe_apply_event.object ->> 'amount_refunded'));
      when 'charge.dispute.created' then
        update public.orders set status = 'disputed', updated_at = now() where id = ord.id;
        perform private.revoke_order(ord.id, 'disputed');
        perform private.alert_admins('Payment disputed', 'Order ' || ord.id || ' is disputed; access is suspended.',
          jsonb_build_object('order_id', ord.id));
      else
        outcome := 'ignored';
    end case;
  end if;
  update private.stripe_events se set result = outcome where se.event_id = stripe_apply_event.event_id;
  return outcome;
end;
$$;
comment on function public.stripe_apply_event(text, text, timestamptz, jsonb) is
  'Service role only: applies one verified Stripe event, exactly once, in one transaction.';
revoke all on function public.stripe_apply_event(text, text, timestamptz, jsonb) from public, anon, authenticated;
grant execute on function public.stripe_apply_event(text, text, timestamptz, jsonb) to service_role;
