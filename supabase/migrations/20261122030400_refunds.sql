-- Refunds (admins). request_refund() runs as the admin: it checks the role against user_roles,
-- validates the amount, and marks the order refund_pending; the refund function then asks Stripe.
-- Access is revoked only when Stripe confirms (charge.refunded, in stripe_apply_event). Audited.

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
  select * into ord from public.orders o where o.id = request_refund.order_id for update;
  if not found then
    raise exception 'order not found' using errcode = 'P0002';
  end if;
  if ord.status not in ('paid', 'partially_refunded', 'refund_pending') or ord.stripe_payment_intent_id is null then
    raise exception 'only paid Stripe orders can be refunded' using errcode = 'P0001', detail = 'not_refundable';
  end if;
  remaining := ord.total - ord.amount_refunded;
  if request_refund.amount is not null and (request_refund.amount <= 0 or request_refund.amount > remaining) then
    raise exception 'the refund must be between 1 and % (minor units)', remaining using errcode = '22023';
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
