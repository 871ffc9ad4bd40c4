-- Subscriptions: kept in step with Stripe's customer.subscription.* events, with entitlements to
-- the plan's courses until the end of the paid period (source 'subscription'). Renewals and
-- failed payments (invoice events) email the subscriber. Applied by stripe_apply_event(), so the
-- ledger, staleness and one-transaction rules hold here too.

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

grant select on public.subscriptions to authenticated;
grant select, insert, update, delete on public.subscriptions to service_role;
create policy "subscribers read theirs; sellers their plans'; admins all" on public.subscriptions for select to authenticated
  using (user_id = (select auth.uid()) or offer_id in (select private.managed_offer_ids()));

-- Applies a Stripe subscription object (created, updated or deleted). Returns 'applied' or 'stale'.
create function private.apply_subscription(object jsonb, created timestamptz, deleted boolean) returns text
language plpgsql
set search_path = ''
as $$
declare
  sub public.subscriptions;
  meta jsonb := coalesce(object -> 'metadata', '{}'::jsonb);
  period_end timestamptz := to_timestamp(coalesce((object ->> 'current_period_end')::bigint,
                                                  (object -> 'items' -> 'data' -> 0 ->> 'current_period_end')::bigint));
  state text := case when deleted then 'canceled' else object ->> 'status' end;
  c uuid;
begin
  select * into sub from public.subscriptions s where s.stripe_subscription_id = object ->> 'id' for update;
  if found and sub.last_event_at > created then
    return 'stale';
  end if;
  if not found then
    insert into public.subscriptions (user_id, offer_id, order_id, stripe_subscription_id, status, current_period_end,
                                      cancel_at_period_end, last_event_at)
    values ((meta ->> 'user_id')::uuid, (meta ->> 'offer_id')::uuid, nullif(meta ->> 'order_id', '')::uuid,
            object ->> 'id', state, period_end, coalesce((object ->> 'cancel_at_period_end')::boolean, false), created)
    returning * into sub;
  else
    update public.subscriptions s set status = state, current_period_end = period_end,
      cancel_at_period_end = coalesce((object ->> 'cancel_at_period_end')::boolean, false),
      last_event_at = created, updated_at = now()
    where s.id = sub.id returning * into sub;
  end if;

  if state in ('active', 'trialing') and period_end > now() then
    for c in select private.offer_course_ids(sub.offer_id) loop
      perform private.upsert_entitlement(sub.user_id, c, 'subscription', period_end, 'subscription:' || sub.stripe_subscription_id, null);
    end loop;
  elsif state in ('canceled', 'unpaid', 'incomplete_expired') then
    update public.entitlements e set revoked_at = now(), revoked_reason = 'subscription ' || state, updated_at = now()
    where e.user_id = sub.user_id and e.source = 'subscription'
      and e.external_ref = 'subscription:' || sub.stripe_subscription_id and e.revoked_at is null;
    if deleted then
      perform private.enqueue_email('subscription_cancelled', 'essential', sub.user_id,
        jsonb_build_object('subscription_id', sub.id, 'offer_id', sub.offer_id), 'subscription_cancelled:' || sub.id);
    end if;
  end if; -- past_due, incomplete: access stays until period_end, when the entitlement lapses
  return 'applied';
end;
$$;
revoke all on function private.apply_subscription(jsonb, timestamptz, boolean) from public;

-- A plan is "already owned" while its subscription is live (so a cancelled subscriber may come back).
create or replace function private.already_has_offer(offer_id uuid, user_id uuid) returns boolean
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
