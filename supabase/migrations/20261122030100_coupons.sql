-- Coupons: discounts on what is sold.
--
-- A coupon takes a percentage, or a fixed amount in one currency, off a price, within a validity
-- window, with optional caps (redemptions in all, and per user), and optionally only on some
-- offers. Its owner (an instructor, for what they sell: private.managed_offer_ids()) and admins
-- manage it; shoppers never list codes, they only apply one when quoting or ordering. Coupons are
-- validated and priced only server-side (quote_offer(), the orders migration), where their uses
-- count against the caps: redeemed ones, and those reserved by pending orders.

create type public.coupon_kind as enum ('percent', 'amount');

create table public.coupons (
  id uuid primary key default gen_random_uuid(),
  code text not null constraint coupons_code_format check (code ~ '^[A-Z0-9_-]{3,40}$'),
  kind public.coupon_kind not null,
  percent_off integer constraint coupons_percent_range check (percent_off between 1 and 100),
  amount_off bigint constraint coupons_amount_positive check (amount_off > 0),
  currency text constraint coupons_currency_format check (currency ~ '^[A-Z]{3}$'),
  valid_from timestamptz not null default now(),
  valid_until timestamptz,
  max_redemptions integer constraint coupons_max_redemptions_positive check (max_redemptions > 0),
  max_per_user integer constraint coupons_max_per_user_positive check (max_per_user > 0),
  -- Paid orders that used it (for display); caps count paid uses plus the live reservations of
  -- pending orders (see the orders migration).
  redeemed_count integer not null default 0,
  owner_id uuid default auth.uid() references auth.users (id) on delete cascade,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  constraint coupons_code_key unique (code),
  constraint coupons_shape check (
    (kind = 'percent' and percent_off is not null and amount_off is null and currency is null)
    or (kind = 'amount' and amount_off is not null and currency is not null and percent_off is null)),
  constraint coupons_window check (valid_until is null or valid_until > valid_from)
);
create index coupons_owner_id_idx on public.coupons (owner_id);
alter table public.coupons enable row level security;

-- A coupon limited to some offers (none listed: any offer its owner may sell).
create table public.coupon_offers (
  coupon_id uuid not null references public.coupons (id) on delete cascade,
  offer_id uuid not null references public.offers (id) on delete cascade,
  primary key (coupon_id, offer_id)
);
create index coupon_offers_offer_id_idx on public.coupon_offers (offer_id);
alter table public.coupon_offers enable row level security;

-- Coupons: an instructor changing a coupon must still sell every offer it is limited to.
create function private.coupons_before_update() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if private.is_server_side() or private.is_admin() then
    return new;
  end if;
  if auth.uid() is null or exists (
    select 1 from public.coupon_offers co
    where co.coupon_id = new.id and co.offer_id not in (select private.managed_offer_ids())) then
    raise exception 'you can only discount what you sell' using errcode = '42501', detail = 'not_your_offer';
  end if;
  return new;
end;
$$;
revoke all on function private.coupons_before_update() from public;
create trigger coupons_before_update before update of valid_until, max_redemptions, max_per_user, is_active
  on public.coupons for each row execute function private.coupons_before_update();

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

-- Coupons: their owners (instructors, for what they sell) and admins manage and read them;
-- shoppers never list codes: they only apply one when quoting or ordering.
grant select, insert (code, kind, percent_off, amount_off, currency, valid_from, valid_until, max_redemptions,
                      max_per_user, is_active),
      update (valid_until, max_redemptions, max_per_user, is_active)
  on public.coupons to authenticated;
grant select, insert, delete on public.coupon_offers to authenticated;
grant select, insert, update, delete on public.coupons, public.coupon_offers to service_role;

create policy "owners and admins read coupons" on public.coupons for select to authenticated
  using (owner_id = (select auth.uid()) or (select private.is_admin()));
create policy "instructors and admins create coupons" on public.coupons for insert to authenticated
  with check ((select private.is_instructor()) and owner_id = (select auth.uid()));
create policy "owners and admins edit coupons" on public.coupons for update to authenticated
  using (owner_id = (select auth.uid()) or (select private.is_admin()))
  with check (owner_id = (select auth.uid()) or (select private.is_admin()));

create policy "owners and admins read coupon limits" on public.coupon_offers for select to authenticated
  using (coupon_id in (select c.id from public.coupons c));
create policy "owners limit coupons to offers they sell" on public.coupon_offers for insert to authenticated
  with check (coupon_id in (select c.id from public.coupons c) and offer_id in (select private.managed_offer_ids()));
create policy "owners remove coupon limits" on public.coupon_offers for delete to authenticated
  using (coupon_id in (select c.id from public.coupons c));
