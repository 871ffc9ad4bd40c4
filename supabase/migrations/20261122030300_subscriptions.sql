-- Subscriptions: a buyer's plan, kept in step with Stripe's customer.subscription.* events, with
-- entitlements to the plan's courses until the end of the paid period (source subscription,
-- linked to the subscription). Applied by stripe_apply_event() (the stripe events migration), so
-- the ledger and one-transaction rules hold here too. A subscription our checkout did not create
-- (made in the Stripe Dashboard, or by another integration on the account) is ignored: its
-- metadata must name one of our orders, of the same user, for the same plan. Subscribers read
-- theirs, sellers those of their plans, admins all; no client writes them.

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

-- What each subscription entitlement is granted by.
alter table public.entitlements
  add constraint entitlements_subscription_id_fkey
    foreign key (subscription_id) references public.subscriptions (id) on delete cascade;

grant select on public.subscriptions to authenticated;
grant select, insert, update, delete on public.subscriptions to service_role;
create policy "subscribers read theirs; sellers their plans'; admins all" on public.subscriptions for select to authenticated
  using (user_id = (select auth.uid()) or offer_id in (select private.managed_offer_ids()));

-- A uuid from text, or null when it is not one (metadata from other integrations).
create function private.try_uuid(value text) returns uuid
language sql immutable
set search_path = ''
as $$
  select case when value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then value::uuid end
$$;
revoke all on function private.try_uuid(text) from public;

-- A whole number from text, or null.
create function private.try_bigint(value text) returns bigint
language sql immutable
set search_path = ''
as $$
  select case when value ~ '^-?[0-9]{1,18}$' then value::bigint end
$$;
revoke all on function private.try_bigint(text) from public;

-- Applies a Stripe subscription object (created, updated or deleted). Returns 'applied', 'stale'
-- (older than the last event applied to it) or 'ignored: <reason>'.
create function private.apply_subscription(object jsonb, created timestamptz, deleted boolean) returns text
language plpgsql
set search_path = ''
as $$
declare
  sub public.subscriptions;
  meta jsonb := coalesce(object -> 'metadata', '{}'::jsonb);
  buyer uuid := private.try_uuid(meta ->> 'user_id');
  plan uuid := private.try_uuid(meta ->> 'offer_id');
  paid_order public.orders;
  period_end timestamptz := to_timestamp(coalesce(private.try_bigint(object ->> 'current_period_end'),
                                                  private.try_bigint(object -> 'items' -> 'data' -> 0 ->> 'current_period_end')));
  state text := case when deleted then 'canceled' else object ->> 'status' end;
  c uuid;
begin
  if coalesce(object ->> 'id', '') = '' or state is null then
    return 'ignored: not a subscription';
  end if;
  select * into sub from public.subscriptions s where s.stripe_subscription_id = object ->> 'id' for update;
  if found and sub.last_event_at > created then
    return 'stale';
  end if;
  if not found then
    -- Ours only if its metadata names one of our orders, of that user, for that plan.
    select * into paid_order from public.orders o
    where o.id = private.try_uuid(meta ->> 'order_id') and o.user_id = buyer and o.offer_id = plan
      and exists (select 1 from public.offers x where x.id = o.offer_id and x.kind = 'plan');
    if not found then
      return 'ignored: not created by our checkout';
    end if;
    insert into public.subscriptions (user_id, offer_id, order_id, stripe_subscription_id, status, current_period_end,
                                      cancel_at_period_end, last_event_at)
    values (buyer, plan, paid_order.id, object ->> 'id', state, period_end,
            coalesce(object ->> 'cancel_at_period_end' = 'true', false), created)
    returning * into sub;
  else
    update public.subscriptions s set status = state, current_period_end = period_end,
      cancel_at_period_end = coalesce(object ->> 'cancel_at_period_end' = 'true', false),
      last_event_at = created, updated_at = now()
    where s.id = sub.id returning * into sub;
  end if;
  select * into paid_order from public.orders o where o.id = sub.order_id;

  if state in ('active', 'trialing') and period_end > now()
     and coalesce(paid_order.status::text, 'paid') not in ('needs_review', 'refunded', 'disputed') then
    for c in select private.offer_course_ids(sub.offer_id) loop
      perform private.grant_access(sub.user_id, c, 'subscription', period_end, subscription_id => sub.id);
    end loop;
  elsif state in ('canceled', 'unpaid', 'incomplete_expired') then
    perform private.revoke_access('subscription ' || state, subscription_id => sub.id);
    if deleted then
      perform private.enqueue_email('subscription_cancelled', 'essential', sub.user_id,
        jsonb_build_object('subscription_id', sub.id, 'offer_id', sub.offer_id), 'subscription_cancelled:' || sub.id);
    end if;
  end if; -- past_due, incomplete: access stays until period_end, when the entitlement lapses
  return 'applied';
end;
$$;
revoke all on function private.apply_subscription(jsonb, timestamptz, boolean) from public;
