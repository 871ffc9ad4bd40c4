-- Offers: what can be sold, and who may sell it (the first part of commerce).
--
-- An offer sells a course, a paid live session, a bundle of courses, or a subscription plan
-- (monthly or yearly; an instructor's plan covers their courses, a platform plan all courses or a
-- chosen set). Prices are integer minor units per currency, several currencies per offer. What an
-- offer gives access to (private.offer_course_ids()) and whether it can be bought now
-- (private.require_on_sale()) are stated here, for pricing, purchases and subscriptions.
--
-- Who may price, sell or discount a course is decided by the course's staff *now*, not by who
-- created a row: private.sellable_offer_ids() is that one rule. It decides every write to offers,
-- their courses and prices (and to coupons: the coupons migration), and it is asked again before
-- anything is sold (an offer sells only while its owner may sell it; a coupon applies only to
-- offers its owner may sell). A co-instructor removed from a course therefore loses its offers
-- and coupons at once, and their offers are taken off sale. An offer spanning courses of
-- different owners is for admins only.

create type public.offer_kind as enum ('course', 'session', 'bundle', 'plan');
create type public.plan_interval as enum ('month', 'year');
create type public.plan_scope as enum ('instructor', 'all_courses', 'selected_courses');

create table public.offers (
  id uuid primary key default gen_random_uuid(),
  kind public.offer_kind not null,
  title text not null constraint offers_title_length check (char_length(btrim(title)) between 3 and 160),
  course_id uuid references public.courses (id) on delete cascade,
  session_id uuid references public.live_sessions (id) on delete cascade,
  plan_interval public.plan_interval,
  plan_scope public.plan_scope,
  -- The instructor whose offer this is; null for platform offers (admins only).
  owner_id uuid default auth.uid() references auth.users (id) on delete cascade,
  is_active boolean not null default true,
  -- On sale and visible to anyone: active, and everything it sells is public (kept by triggers).
  listed boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint offers_shape check (
    case kind
      when 'course' then course_id is not null and session_id is null and plan_interval is null and plan_scope is null
      when 'session' then session_id is not null and course_id is null and plan_interval is null and plan_scope is null
      when 'bundle' then course_id is null and session_id is null and plan_interval is null and plan_scope is null
      when 'plan' then course_id is null and session_id is null and plan_interval is not null and plan_scope is not null
    end),
  constraint offers_plan_owner check (kind <> 'plan' or (plan_scope = 'instructor') = (owner_id is not null))
);
create index offers_course_id_idx on public.offers (course_id);
create index offers_session_id_idx on public.offers (session_id);
create index offers_owner_id_idx on public.offers (owner_id);
create index offers_listed_idx on public.offers (id) where listed;
alter table public.offers enable row level security;

-- The courses a bundle, or a platform plan limited to a chosen set, includes.
create table public.offer_courses (
  offer_id uuid not null references public.offers (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  primary key (offer_id, course_id)
);
create index offer_courses_course_id_idx on public.offer_courses (course_id);
alter table public.offer_courses enable row level security;

create table public.offer_prices (
  offer_id uuid not null references public.offers (id) on delete cascade,
  currency text not null constraint offer_prices_currency_format check (currency ~ '^[A-Z]{3}$'),
  amount bigint not null constraint offer_prices_amount_positive check (amount > 0 and amount <= 100000000),
  primary key (offer_id, currency)
);
alter table public.offer_prices enable row level security;

-- ---------------------------------------------------------------------------------------------
-- Who may sell what: the course's staff now
-- ---------------------------------------------------------------------------------------------

-- Offers `user_id` may price, sell and discount now. Admins: every offer. Instructors: a course
-- they teach; a session they host; their own instructor plan (while they hold the instructor
-- role); a bundle whose courses they all teach and which all have one owner (an empty bundle:
-- its creator). Platform plans and bundles across owners: admins only. Deleted courses count only
-- for their owner, as everywhere else.
create function private.sellable_offer_ids(user_id uuid) returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select o.id from public.offers o
  where private.is_admin(sellable_offer_ids.user_id)
  union
  select o.id from public.offers o
  where o.kind = 'course' and o.course_id in (select private.instructed_course_ids(sellable_offer_ids.user_id))
  union
  select o.id from public.offers o
  join public.live_session_hosts h on h.session_id = o.session_id and h.user_id = sellable_offer_ids.user_id
  where o.kind = 'session'
  union
  select o.id from public.offers o
  where o.kind = 'plan' and o.plan_scope = 'instructor' and o.owner_id = sellable_offer_ids.user_id
    and private.is_instructor(sellable_offer_ids.user_id)
  union
  select o.id from public.offers o
  where o.kind = 'bundle'
    and (o.owner_id = sellable_offer_ids.user_id or exists (select 1 from public.offer_courses oc where oc.offer_id = o.id))
    and not exists (
      select 1 from public.offer_courses oc
      where oc.offer_id = o.id
        and oc.course_id not in (select private.instructed_course_ids(sellable_offer_ids.user_id)))
    and (select count(distinct c.owner_id) from public.offer_courses oc join public.courses c on c.id = oc.course_id
         where oc.offer_id = o.id) <= 1
$$;

-- The same rule for one offer.
create function private.can_sell_offer(offer_id uuid, user_id uuid) returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select can_sell_offer.user_id is not null
     and can_sell_offer.offer_id in (select private.sellable_offer_ids(can_sell_offer.user_id))
$$;

-- Offers the caller manages (policies): the rule above, for the caller.
create function private.managed_offer_ids() returns setof uuid
language sql stable
security definer
set search_path = ''
as $$
  select private.sellable_offer_ids((select auth.uid()))
$$;

-- The same rule for an offer the caller owns, read from the offer's own values: what the read
-- policy needs when the offer is not in the table yet. supabase-js's insert(...).select() is
-- INSERT ... RETURNING, which checks the new row against the read policy before it is stored, so
-- managed_offer_ids(), which reads the table, can't find it. For a stored offer it says no more
-- than sellable_offer_ids(): a bundle counts here only while it holds no course (the set checks
-- the courses it holds).
create function private.owner_sells_offer(offer_id uuid, kind public.offer_kind, course_id uuid, session_id uuid,
                                          plan_scope public.plan_scope)
returns boolean
language sql stable
security definer
set search_path = ''
as $$
  select case owner_sells_offer.kind
    when 'course' then owner_sells_offer.course_id in (select private.instructed_course_ids((select auth.uid())))
    when 'session' then owner_sells_offer.session_id in (select private.hosted_session_ids())
    when 'plan' then owner_sells_offer.plan_scope = 'instructor' and private.is_instructor()
    when 'bundle' then not exists (select 1 from public.offer_courses oc where oc.offer_id = owner_sells_offer.offer_id)
    else false
  end
$$;

-- Whether anyone may see the offer (offers.listed): active, and everything it sells is public: a
-- course, or every course of a bundle or chosen set (at least one), published and not deleted; a
-- session published and not cancelled or ended. Drafts never show through an offer. (Buying also
-- needs the session still to come and the seller still allowed: private.require_on_sale.)
create function private.offer_is_listed(o public.offers) returns boolean
language sql stable
set search_path = ''
as $$
  select o.is_active
    and (o.course_id is null or exists (select 1 from public.courses c where c.id = o.course_id
                                        and c.status = 'published' and c.deleted_at is null))
    and (o.session_id is null or exists (select 1 from public.live_sessions s where s.id = o.session_id
                                         and s.is_published and s.status in ('scheduled', 'live')))
    and ((o.kind <> 'bundle' and o.plan_scope is distinct from 'selected_courses')
         or exists (select 1 from public.offer_courses oc where oc.offer_id = o.id))
    and not exists (select 1 from public.offer_courses oc join public.courses c on c.id = oc.course_id
                    where oc.offer_id = o.id and (c.status <> 'published' or c.deleted_at is not null))
$$;

-- Recomputes offers.listed where it changed (offer_courses, courses and sessions call it).
create function private.refresh_offers_listed(offer_ids uuid[]) returns void
language sql
security definer
set search_path = ''
as $$
  update public.offers o set listed = private.offer_is_listed(o)
  where o.id = any (refresh_offers_listed.offer_ids) and o.listed is distinct from private.offer_is_listed(o)
$$;

revoke all on function private.sellable_offer_ids(uuid) from public;
revoke all on function private.can_sell_offer(uuid, uuid) from public;
revoke all on function private.managed_offer_ids() from public;
revoke all on function private.offer_is_listed(public.offers) from public;
revoke all on function private.refresh_offers_listed(uuid[]) from public;
revoke all on function private.owner_sells_offer(uuid, public.offer_kind, uuid, uuid, public.plan_scope) from public;
grant execute on function private.managed_offer_ids() to authenticated, service_role;
grant execute on function private.owner_sells_offer(uuid, public.offer_kind, uuid, uuid, public.plan_scope)
  to authenticated, service_role;

-- Whether the seller rules below decide a write to offers or what they include: not for
-- server-side writers (service_role, postgres) and admins, who pass; a caller without a user id
-- never passes (raises), whatever role the token claims.
create function private.seller_rules_apply() returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  if private.is_server_side() or private.is_admin() then
    return false;
  end if;
  perform private.require_signed_in('sell');
  return true;
end;
$$;

-- Whether `user_id` may put the course on sale, alone or in a bundle: a course they teach
-- (private.instructed_course_ids) that is not in the trash (its owner still sees a trashed one,
-- but sells it no more).
create function private.sells_course(course_id uuid, user_id uuid) returns boolean
language sql stable
set search_path = ''
as $$
  select exists (select 1 from public.courses c
                 where c.id = sells_course.course_id and c.deleted_at is null
                   and c.id in (select private.instructed_course_ids(sells_course.user_id)))
$$;
revoke all on function private.seller_rules_apply() from public;
revoke all on function private.sells_course(uuid, uuid) from public;

-- What an API caller may write (private.seller_rules_apply() says who is checked).
create function private.offers_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  new.listed := private.offer_is_listed(new);
  if tg_op = 'UPDATE' then
    new.updated_at := now();
  end if;
  if tg_op = 'INSERT' and exists (select 1 from public.live_sessions s where s.id = new.session_id and s.course_id is not null) then
    raise exception 'a course''s sessions come with the course; only standalone sessions are sold'
      using errcode = '22023', detail = 'session_sold_with_course';
  end if;
  if not private.seller_rules_apply() then
    return new;
  end if;
  if tg_op = 'UPDATE' then
    return new; -- only title and is_active are writable, by those who manage the offer (policy)
  end if;
  if new.owner_id is distinct from uid then
    raise exception 'instructors sell only as themselves' using errcode = '42501', detail = 'seller_not_self';
  end if;
  if new.kind = 'plan' and new.plan_scope <> 'instructor' then
    raise exception 'only admins create platform plans' using errcode = '42501', detail = 'admin_only';
  end if;
  if new.course_id is not null and not private.sells_course(new.course_id, uid) then
    raise exception 'you can only sell your own courses' using errcode = '42501', detail = 'not_your_course';
  end if;
  if new.session_id is not null and not exists (
    select 1 from public.live_session_hosts h where h.session_id = new.session_id and h.user_id = uid) then
    raise exception 'you can only sell your own sessions' using errcode = '42501',
      detail = 'not_your_session';
  end if;
  return new;
end;
$$;
revoke all on function private.offers_before_write() from public;
create trigger offers_before_write before insert or update on public.offers
  for each row execute function private.offers_before_write();

-- Bundle courses: the caller teaches the course, and the bundle keeps a single owner.
create function private.offer_courses_before_write() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not private.seller_rules_apply() then
    return new;
  end if;
  if exists (select 1 from public.offers o where o.id = new.offer_id and o.kind <> 'bundle') then
    raise exception 'only admins choose the courses of a plan' using errcode = '42501', detail = 'admin_only';
  end if;
  if not private.sells_course(new.course_id, auth.uid()) then
    raise exception 'you can only bundle your own courses' using errcode = '42501',
      detail = 'not_your_course';
  end if;
  if exists (select 1 from public.offer_courses oc join public.courses c on c.id = oc.course_id
             where oc.offer_id = new.offer_id
               and c.owner_id <> (select c2.owner_id from public.courses c2 where c2.id = new.course_id)) then
    raise exception 'a bundle of courses with different owners is for admins only' using errcode = '42501',
      detail = 'bundle_mixed_owners';
  end if;
  return new;
end;
$$;
revoke all on function private.offer_courses_before_write() from public;
create trigger offer_courses_before_write before insert or update on public.offer_courses
  for each row execute function private.offer_courses_before_write();

-- offers.listed follows what the offer sells: its bundle's courses, its course, its session.
create function private.offer_courses_refresh_listed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.refresh_offers_listed(array[coalesce(new.offer_id, old.offer_id)]);
  return null;
end;
$$;
create function private.courses_refresh_offers_listed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.refresh_offers_listed(array(
    select o.id from public.offers o where o.course_id = new.id
    union
    select oc.offer_id from public.offer_courses oc where oc.course_id = new.id));
  return null;
end;
$$;
create function private.sessions_refresh_offers_listed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.refresh_offers_listed(array(select o.id from public.offers o where o.session_id = new.id));
  return null;
end;
$$;
revoke all on function private.offer_courses_refresh_listed() from public;
revoke all on function private.courses_refresh_offers_listed() from public;
revoke all on function private.sessions_refresh_offers_listed() from public;
create trigger offer_courses_refresh_listed after insert or delete on public.offer_courses
  for each row execute function private.offer_courses_refresh_listed();
create trigger courses_refresh_offers_listed after update of status, deleted_at on public.courses
  for each row when (old.status is distinct from new.status or old.deleted_at is distinct from new.deleted_at)
  execute function private.courses_refresh_offers_listed();
create trigger live_sessions_refresh_offers_listed after update of is_published, status on public.live_sessions
  for each row when (old.is_published is distinct from new.is_published or old.status is distinct from new.status)
  execute function private.sessions_refresh_offers_listed();

-- Staff removed from a course or a session, or an instructor or admin losing the role: the offers
-- they own and may no longer sell are taken off sale at once. (Sales check the rule again anyway.)
create function private.take_unsellable_offers_off_sale() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.offers o set is_active = false, updated_at = now()
  where o.owner_id = old.user_id and o.is_active and not private.can_sell_offer(o.id, o.owner_id);
  return null;
end;
$$;
revoke all on function private.take_unsellable_offers_off_sale() from public;
create trigger course_instructors_offers_off_sale after delete on public.course_instructors
  for each row execute function private.take_unsellable_offers_off_sale();
create trigger live_session_hosts_offers_off_sale after delete on public.live_session_hosts
  for each row execute function private.take_unsellable_offers_off_sale();
create trigger user_roles_offers_off_sale after delete on public.user_roles
  for each row execute function private.take_unsellable_offers_off_sale();

-- ---------------------------------------------------------------------------------------------
-- Grants and policies
-- ---------------------------------------------------------------------------------------------

grant select on public.offers, public.offer_courses, public.offer_prices to anon, authenticated;
grant insert (kind, title, course_id, session_id, plan_interval, plan_scope, owner_id, is_active),
      update (title, is_active) on public.offers to authenticated;
grant insert, delete on public.offer_courses to authenticated;
-- update of every column, so a seller's `upsert` (INSERT ... ON CONFLICT (offer_id, currency) DO
-- UPDATE, which sets every column it sends) works; the policies keep both the old and the new row
-- on offers the caller manages, so an update can do no more than a delete and an insert could.
grant insert, update (offer_id, currency, amount), delete on public.offer_prices to authenticated;
grant select, insert, update, delete on public.offers, public.offer_courses, public.offer_prices to service_role;

create policy "anyone reads offers on sale" on public.offers for select to anon
  using (listed);
-- Those they manage: every offer for admins; for its owner, a new offer too (see owner_sells_offer()).
create policy "users read offers on sale and the ones they manage" on public.offers for select to authenticated
  using (listed or (select private.is_admin()) or id in (select private.managed_offer_ids())
         or (owner_id = (select auth.uid()) and private.owner_sells_offer(id, kind, course_id, session_id, plan_scope)));
create policy "instructors and admins create offers" on public.offers for insert to authenticated
  with check ((select private.is_instructor()));
create policy "the course's staff and admins edit offers" on public.offers for update to authenticated
  using (id in (select private.managed_offer_ids())) with check (id in (select private.managed_offer_ids()));

create policy "anyone reads what offers on sale include" on public.offer_courses for select to anon
  using (offer_id in (select o.id from public.offers o where o.listed));
create policy "users read what offers they can see include" on public.offer_courses for select to authenticated
  using (offer_id in (select o.id from public.offers o where o.listed) or offer_id in (select private.managed_offer_ids()));
create policy "the course's staff and admins set what offers include" on public.offer_courses for insert to authenticated
  with check (offer_id in (select private.managed_offer_ids()));
create policy "the course's staff and admins remove what offers include" on public.offer_courses for delete to authenticated
  using (offer_id in (select private.managed_offer_ids()));

create policy "anyone reads the prices of offers on sale" on public.offer_prices for select to anon
  using (offer_id in (select o.id from public.offers o where o.listed));
create policy "users read the prices of offers they can see" on public.offer_prices for select to authenticated
  using (offer_id in (select o.id from public.offers o where o.listed) or offer_id in (select private.managed_offer_ids()));
create policy "the course's staff and admins add prices" on public.offer_prices for insert to authenticated
  with check (offer_id in (select private.managed_offer_ids()));
create policy "the course's staff and admins change prices" on public.offer_prices for update to authenticated
  using (offer_id in (select private.managed_offer_ids())) with check (offer_id in (select private.managed_offer_ids()));
create policy "the course's staff and admins remove prices" on public.offer_prices for delete to authenticated
  using (offer_id in (select private.managed_offer_ids()));

-- ---------------------------------------------------------------------------------------------
-- What an offer sells, and whether it can be bought now
-- ---------------------------------------------------------------------------------------------

-- The courses an offer gives access to: its course, its bundle, or a plan's courses by scope
-- (the courses an instructor owns, not those they co-teach; the whole catalog; or a chosen set;
-- plans only grant published courses).
create function private.offer_course_ids(offer_id uuid) returns setof uuid
language sql stable
set search_path = ''
as $$
  select o.course_id from public.offers o where o.id = offer_course_ids.offer_id and o.kind = 'course'
  union
  select oc.course_id from public.offer_courses oc join public.offers o on o.id = oc.offer_id
  where o.id = offer_course_ids.offer_id and o.kind = 'bundle'
  union
  select oc.course_id from public.offer_courses oc join public.offers o on o.id = oc.offer_id
  join public.courses c on c.id = oc.course_id and c.status = 'published' and c.deleted_at is null
  where o.id = offer_course_ids.offer_id and o.plan_scope = 'selected_courses'
  union
  select c.id from public.offers o
  join public.courses c on c.owner_id = o.owner_id and c.status = 'published' and c.deleted_at is null
  where o.id = offer_course_ids.offer_id and o.plan_scope = 'instructor'
  union
  select c.id from public.offers o cross join public.courses c
  where o.id = offer_course_ids.offer_id and o.plan_scope = 'all_courses' and c.status = 'published' and c.deleted_at is null
$$;
revoke all on function private.offer_course_ids(uuid) from public;

-- Raises with a stable reason unless the offer can be bought now: active, its owner may still sell
-- it, every course it sells is published and not deleted, and its session is still to come. (What
-- offers.listed says, checked afresh, plus the time and the seller rules.)
create function private.require_on_sale(offer_id uuid) returns public.offers
language plpgsql stable
set search_path = ''
as $$
declare
  o public.offers;
begin
  select * into o from public.offers x where x.id = require_on_sale.offer_id and x.is_active;
  if not found then
    raise exception 'offer not found' using errcode = 'PT404', detail = 'offer_not_found';
  end if;
  if o.owner_id is not null and not private.can_sell_offer(o.id, o.owner_id) then
    raise exception 'this offer is no longer on sale' using errcode = 'P0001', detail = 'offer_not_available';
  end if;
  if o.kind = 'session' and not exists (
    select 1 from public.live_sessions s where s.id = o.session_id and s.is_published and s.status = 'scheduled'
      and s.starts_at + make_interval(mins => s.duration_minutes) > now()) then
    raise exception 'this session is not open for sale' using errcode = 'P0001', detail = 'session_not_available';
  end if;
  if (o.kind = 'bundle' or o.plan_scope = 'selected_courses')
     and not exists (select 1 from public.offer_courses oc where oc.offer_id = o.id) then
    raise exception 'this offer is no longer on sale' using errcode = 'P0001', detail = 'offer_not_available';
  end if;
  if exists (
    select 1 from public.courses c
    where (c.id = o.course_id or c.id in (select oc.course_id from public.offer_courses oc where oc.offer_id = o.id))
      and (c.status <> 'published' or c.deleted_at is not null)) then
    raise exception 'this offer includes a course that is not available' using errcode = 'P0001',
      detail = 'course_not_available';
  end if;
  return o;
end;
$$;
revoke all on function private.require_on_sale(uuid) from public;
