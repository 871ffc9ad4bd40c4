-- Refunds. Admins: request_refund() runs as the admin, checks the role against user_roles,
-- validates the amount and marks the order refund_pending; the refund function then asks Stripe.
-- Audited. The platform: an order that can't be honoured (its seat was lost before the payment
-- arrived) is marked refund_pending by fulfilment, and the stripe-webhook function refunds it in
-- full through claim_auto_refund() (service only). Either way, access is revoked only when Stripe
-- confirms (charge.refunded, in stripe_apply_event).

create function public.request_refund(order_id uuid, amount bigint default null)
returns table (payment_intent text, refund_amount bigint, currency text)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  ord public.orders;
  remaining bigint;
begin
  perform private.require_admin('refund orders');
  ord := private.lock_order(request_refund.order_id);
  if ord.status not in ('paid', 'partially_refunded', 'refund_pending', 'needs_review')
     or ord.stripe_payment_intent_id is null then
    raise exception 'only paid Stripe orders can be refunded' using errcode = 'P0001', detail = 'not_refundable';
  end if;
  remaining := ord.total - ord.amount_refunded;
  if request_refund.amount is not null and (request_refund.amount <= 0 or request_refund.amount > remaining) then
    raise exception 'the refund must be between 1 and % (minor units)', remaining using errcode = '22023',
      detail = 'invalid_refund_amount';
  end if;
  update public.orders o set status = 'refund_pending', updated_at = now() where o.id = ord.id;
  perform private.audit('order.refund_requested', 'order', ord.id::text,
    jsonb_build_object('amount', coalesce(request_refund.amount, remaining), 'currency', ord.currency));
  return query select ord.stripe_payment_intent_id, coalesce(request_refund.amount, remaining), ord.currency;
end;
$$;
comment on function public.request_refund(uuid, bigint) is
  'Admins only: marks a paid order refund_pending and returns what to refund; the refund function asks Stripe.';
revoke all on function public.request_refund(uuid, bigint) from public, anon;
grant execute on function public.request_refund(uuid, bigint) to authenticated;

-- What to refund for an order the platform refunds by itself (auto_refund_reason set), until
-- Stripe confirms; no rows otherwise.
create function public.claim_auto_refund(order_id uuid)
returns table (payment_intent text, refund_amount bigint, currency text, reason text)
language sql
stable
security definer
set search_path = ''
as $$
  select o.stripe_payment_intent_id, o.total - o.amount_refunded, o.currency, o.auto_refund_reason
  from public.orders o
  where o.id = claim_auto_refund.order_id and o.status = 'refund_pending' and o.auto_refund_reason is not null
    and o.stripe_payment_intent_id is not null and o.total > o.amount_refunded
$$;
comment on function public.claim_auto_refund(uuid) is
  'Service role only: the refund owed for an order the platform refunds by itself (a lost seat).';
revoke all on function public.claim_auto_refund(uuid) from public, anon, authenticated;
grant execute on function public.claim_auto_refund(uuid) to service_role;
