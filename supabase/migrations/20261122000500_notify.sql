-- Email outbox, email preferences, in-app notifications.
--
-- Business events write an outbox row (and a notification) in their own transaction, so an event
-- can't exist without its email or the other way round. The send-emails function drains the
-- outbox: claim_emails() hands out due rows with `for update skip locked` and a lease, so two
-- senders never take the same row; complete_email()/fail_email() record the result, with
-- exponential backoff and a dead letter after max_attempts (the queue rules of the jobs
-- migration). A dedupe_key makes an email (a reminder, say) impossible to enqueue twice. Clients
-- can't reach the outbox at all.

create table private.email_outbox (
  id uuid primary key default gen_random_uuid(),
  template text not null,
  category text not null constraint email_outbox_category_valid
    check (category in ('essential', 'reminders', 'updates', 'digest', 'marketing')),
  to_user_id uuid references auth.users (id) on delete cascade,
  to_email text not null,
  payload jsonb not null default '{}'::jsonb,
  dedupe_key text constraint email_outbox_dedupe_key unique,
  status text not null default 'pending' constraint email_outbox_status_valid
    check (status in ('pending', 'sending', 'sent', 'dead')),
  attempts integer not null default 0,
  max_attempts integer not null default 6,
  next_attempt_at timestamptz not null default now(),
  locked_until timestamptz,
  locked_by text,
  last_error text,
  provider_message_id text,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index email_outbox_due_idx on private.email_outbox (next_attempt_at) where status in ('pending', 'sending');
create index email_outbox_to_user_id_idx on private.email_outbox (to_user_id);

create table public.email_preferences (
  user_id uuid primary key references auth.users (id) on delete cascade,
  reminders boolean not null default true,
  updates boolean not null default true,
  digest boolean not null default true,
  marketing boolean not null default false,
  updated_at timestamptz not null default now()
);
comment on table public.email_preferences is
  'Opt-outs for non-essential email, one column per category (digest: the weekly digest). Essential email (receipts, security, registrations) is always sent.';
alter table public.email_preferences enable row level security;

grant select, insert (reminders, updates, digest, marketing), update (reminders, updates, digest, marketing)
  on public.email_preferences to authenticated;
grant select, insert, update, delete on public.email_preferences to service_role;
alter table public.email_preferences alter column user_id set default auth.uid();
create policy "users read their email preferences" on public.email_preferences for select to authenticated
  using (user_id = (select auth.uid()));
create policy "users create their email preferences" on public.email_preferences for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "users change their email preferences" on public.email_preferences for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  title text not null,
  body text,
  link text,
  data jsonb not null default '{}'::jsonb,
  read_at timestamptz,
  created_at timestamptz not null default now()
);
create index notifications_user_id_created_at_idx on public.notifications (user_id, created_at desc);
alter table public.notifications enable row level security;

grant select, update (read_at), delete on public.notifications to authenticated;
grant select, insert, update, delete on public.notifications to service_role;
create policy "users read their notifications" on public.notifications for select to authenticated
  using (user_id = (select auth.uid()));
create policy "users mark their notifications read" on public.notifications for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "users delete their notifications" on public.notifications for delete to authenticated
  using (user_id = (select auth.uid()));

-- Frontends subscribe to their own rows (postgres_changes applies the policies above).
alter publication supabase_realtime add table public.notifications;

-- Realtime authorization for private channels: a user joins only `user:<own id>`.
create policy "users receive on their own topic" on realtime.messages for select to authenticated
  using ((select realtime.topic()) = 'user:' || (select auth.uid())::text
         and extension in ('broadcast', 'presence'));
create policy "users send presence on their own topic" on realtime.messages for insert to authenticated
  with check ((select realtime.topic()) = 'user:' || (select auth.uid())::text and extension = 'presence');

-- ---------------------------------------------------------------------------------------------
-- Writing events
-- ---------------------------------------------------------------------------------------------

-- Enqueues one email to a user, honouring their opt-outs for non-essential categories. Returns
-- the outbox id, or null when skipped (opted out, no email address, or dedupe_key already used).
create function private.enqueue_email(
  template text, category text, to_user_id uuid, payload jsonb, dedupe_key text default null
) returns uuid
language plpgsql
set search_path = ''
as $$
declare
  addr text;
  prefs public.email_preferences;
  result uuid;
begin
  select u.email into addr from auth.users u where u.id = enqueue_email.to_user_id;
  if addr is null or addr = '' then
    return null;
  end if;
  select * into prefs from public.email_preferences p where p.user_id = enqueue_email.to_user_id;
  if found and ((enqueue_email.category = 'reminders' and not prefs.reminders)
                or (enqueue_email.category = 'updates' and not prefs.updates)
                or (enqueue_email.category = 'digest' and not prefs.digest)
                or (enqueue_email.category = 'marketing' and not prefs.marketing)) then
    return null;
  end if;
  if not found and enqueue_email.category = 'marketing' then
    return null; -- marketing is opt-in
  end if;
  insert into private.email_outbox (template, category, to_user_id, to_email, payload, dedupe_key)
  values (enqueue_email.template, enqueue_email.category, enqueue_email.to_user_id, addr,
          coalesce(enqueue_email.payload, '{}'::jsonb), enqueue_email.dedupe_key)
  on conflict on constraint email_outbox_dedupe_key do nothing
  returning id into result;
  return result;
end;
$$;
revoke all on function private.enqueue_email(text, text, uuid, jsonb, text) from public;

create function private.notify(user_id uuid, kind text, title text, body text, link text, data jsonb default '{}'::jsonb)
returns uuid
language sql
set search_path = ''
as $$
  insert into public.notifications (user_id, kind, title, body, link, data)
  values (notify.user_id, notify.kind, notify.title, notify.body, notify.link, coalesce(notify.data, '{}'::jsonb))
  returning id
$$;
revoke all on function private.notify(uuid, text, text, text, text, jsonb) from public;

-- A system alert to every admin (email and notification).
create function private.alert_admins(subject text, message text, data jsonb default '{}'::jsonb) returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  admin uuid;
  n integer := 0;
begin
  for admin in select ur.user_id from public.user_roles ur where ur.role = 'admin' loop
    perform private.enqueue_email('system_alert', 'essential', admin,
      jsonb_build_object('subject', alert_admins.subject, 'message', alert_admins.message, 'data', alert_admins.data));
    perform private.notify(admin, 'system_alert', alert_admins.subject, alert_admins.message, null, alert_admins.data);
    n := n + 1;
  end loop;
  return n;
end;
$$;
revoke all on function private.alert_admins(text, text, jsonb) from public;

-- Welcome email for every new user.
create function private.welcome_new_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.enqueue_email('welcome', 'essential', new.id,
    jsonb_build_object('display_name', new.display_name), 'welcome:' || new.id);
  return null;
end;
$$;
revoke all on function private.welcome_new_user() from public;
create trigger profiles_welcome after insert on public.profiles
  for each row execute function private.welcome_new_user();

-- ---------------------------------------------------------------------------------------------
-- The sender's side (service_role only)
-- ---------------------------------------------------------------------------------------------

create function public.claim_emails(batch_size integer default 50, lease_seconds integer default 120, worker text default null)
returns table (id uuid, template text, category text, to_user_id uuid, to_email text, payload jsonb,
               attempts integer, max_attempts integer, created_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
declare
  claimed uuid[] := array(select private.claim_jobs('private.email_outbox', 'sending', claim_emails.batch_size, 500,
                                                    claim_emails.lease_seconds, claim_emails.worker));
begin
  return query
    select o.id, o.template, o.category, o.to_user_id, o.to_email, o.payload, o.attempts, o.max_attempts, o.created_at
    from private.email_outbox o where o.id = any (claimed);
end;
$$;

create function public.complete_email(id uuid, provider_message_id text) returns boolean
language sql
security definer
set search_path = ''
as $$
  update private.email_outbox o
  set status = 'sent', sent_at = now(), provider_message_id = complete_email.provider_message_id,
      locked_until = null, last_error = null
  where o.id = complete_email.id and o.status = 'sending'
  returning true
$$;

-- Records a failed attempt (private.fail_job: backoff, then the dead letter), dead-lettered at once
-- when the failure is permanent (the provider rejected the message itself).
create function public.fail_email(id uuid, error text, retry_after_seconds integer default null,
                                  permanent boolean default false) returns text
language sql
security definer
set search_path = ''
as $$
  select private.fail_job('private.email_outbox', 'sending', fail_email.id, fail_email.error,
                          fail_email.retry_after_seconds, fail_email.permanent)
$$;

revoke all on function public.claim_emails(integer, integer, text) from public, anon, authenticated;
revoke all on function public.complete_email(uuid, text) from public, anon, authenticated;
revoke all on function public.fail_email(uuid, text, integer, boolean) from public, anon, authenticated;
grant execute on function public.claim_emails(integer, integer, text) to service_role;
grant execute on function public.complete_email(uuid, text) to service_role;
grant execute on function public.fail_email(uuid, text, integer, boolean) to service_role;

-- pg_cron starts the send-emails drain every minute (on hosted Supabase; `npm run emails:send`
-- locally): private.call_edge_function() is a no-op where pg_net or Vault is absent.
select cron.schedule('send-emails', '* * * * *', 'select private.call_edge_function(''send-emails'')');
