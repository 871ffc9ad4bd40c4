-- realtime.messages and realtime.topic(), as supabase/realtime's tenant migrations leave them.
-- The Realtime server creates the daily partitions of realtime.messages (yesterday to three days
-- ahead); with no server here, the bootstrap creates them, the same way.
create schema if not exists realtime authorization supabase_admin;
grant all on schema realtime to supabase_realtime_admin with grant option;
grant usage on schema realtime to postgres with grant option;
grant usage on schema realtime to anon, authenticated, service_role;

set role supabase_realtime_admin;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb null,
  event text null,
  private boolean null default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  id uuid not null default gen_random_uuid(),
  constraint messages_pkey primary key (id, inserted_at)
) partition by range (inserted_at);
alter table realtime.messages enable row level security;

create or replace function realtime.topic() returns text as $$
select nullif(current_setting('realtime.topic', true), '')::text;
$$ language sql stable;

do $$
declare
  d date;
begin
  for d in select generate_series(current_date - 1, current_date + 3, interval '1 day')::date loop
    execute format(
      'create table if not exists realtime.%I partition of realtime.messages for values from (%L) to (%L)',
      'messages_' || to_char(d, 'YYYY_MM_DD'), d, d + 1
    );
  end loop;
end
$$;

reset role;

grant select, insert, update on realtime.messages to postgres, anon, authenticated, service_role;
grant all on realtime.messages to dashboard_user;
