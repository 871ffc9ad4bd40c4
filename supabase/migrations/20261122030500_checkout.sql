-- Checkout: what the checkout function needs, service side: one Stripe customer per user, and the
-- Stripe Checkout Session recorded on its order. The order itself comes from create_order() (the
-- purchases migration), run as the buyer, so the price and the "already owned" check stay in the
-- database.

-- Stripe customer of each user: written by the checkout function (service side) only.
create table private.stripe_customers (
  user_id uuid primary key references auth.users (id) on delete cascade,
  customer_id text not null unique,
  created_at timestamptz not null default now()
);

create function public.stripe_customer_id(user_id uuid) returns text
language sql stable
security definer
set search_path = ''
as $$
  select sc.customer_id from private.stripe_customers sc where sc.user_id = stripe_customer_id.user_id
$$;

-- Records the user's customer; if another request stored one first, that one wins and is returned.
create function public.save_stripe_customer(user_id uuid, customer_id text) returns text
language sql
security definer
set search_path = ''
as $$
  insert into private.stripe_customers (user_id, customer_id)
  values (save_stripe_customer.user_id, save_stripe_customer.customer_id)
  on conflict (user_id) do nothing;
  select sc.customer_id from private.stripe_customers sc where sc.user_id = save_stripe_customer.user_id;
$$;

create function public.attach_checkout_session(order_id uuid, session_id text) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.orders o set stripe_checkout_session_id = attach_checkout_session.session_id, updated_at = now()
  where o.id = attach_checkout_session.order_id and o.status = 'pending';
  if not found then
    raise exception 'order % is not pending', attach_checkout_session.order_id using errcode = 'P0001', detail = 'order_not_pending';
  end if;
end;
$$;

revoke all on function public.stripe_customer_id(uuid) from public, anon, authenticated;
revoke all on function public.save_stripe_customer(uuid, text) from public, anon, authenticated;
revoke all on function public.attach_checkout_session(uuid, text) from public, anon, authenticated;
grant execute on function public.stripe_customer_id(uuid) to service_role;
grant execute on function public.save_stripe_customer(uuid, text) to service_role;
grant execute on function public.attach_checkout_session(uuid, text) to service_role;
