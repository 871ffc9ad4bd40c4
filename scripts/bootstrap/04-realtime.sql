-- The parts of the `realtime` schema a project uses from SQL: realtime.messages (Broadcast and
-- Presence authorization), realtime.topic(), and realtime.send(), send_binary() and
-- broadcast_changes() (Broadcast from the database), as a fresh tenant gets them from
-- supabase/realtime priv/repo/tenant_db_dump_15.sql (schema, owners, grants, default privileges).
-- The schema itself comes from supabase/postgres
-- migrations/db/migrations/20211118015519_create-realtime-schema.sql and
-- 20211130151719_update-realtime-permissions.sql. The Realtime server creates the daily
-- partitions of realtime.messages (yesterday to three days ahead); with no server here, this
-- file creates them, owned by supabase_realtime_admin, the same way.
create schema if not exists realtime authorization supabase_admin;
grant usage on schema realtime to postgres with grant option;
grant usage on schema realtime to anon, authenticated, service_role;
grant all on schema realtime to supabase_realtime_admin with grant option;
alter default privileges for role supabase_admin in schema realtime
  grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime
  grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime
  grant all on functions to postgres, dashboard_user;

set role supabase_realtime_admin;

create table if not exists realtime.messages (
    topic text not null,
    extension text not null,
    payload jsonb,
    event text,
    private boolean default false,
    updated_at timestamp without time zone default now() not null,
    inserted_at timestamp without time zone default now() not null,
    id uuid default gen_random_uuid() not null,
    binary_payload bytea,
    constraint messages_pkey primary key (id, inserted_at)
)
partition by range (inserted_at);
do $$
begin
  if not exists (select from pg_constraint where conname = 'messages_payload_exclusive'
                 and conrelid = 'realtime.messages'::regclass) then
    alter table realtime.messages
      add constraint messages_payload_exclusive check (((payload is null) or (binary_payload is null))) not valid;
  end if;
end
$$;
create index if not exists messages_inserted_at_topic_index on only realtime.messages
  using btree (inserted_at desc, topic) where ((extension = 'broadcast'::text) and (private is true));
alter table realtime.messages enable row level security;

CREATE OR REPLACE FUNCTION realtime.topic() RETURNS text
    LANGUAGE sql STABLE
    AS $$
select nullif(current_setting('realtime.topic', true), '')::text;
$$;

CREATE OR REPLACE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
  generated_id uuid;
  final_payload jsonb;
BEGIN
  BEGIN
    generated_id := gen_random_uuid();

    -- Check if payload has an 'id' key, if not, add the generated UUID
    IF payload ? 'id' THEN
      final_payload := payload;
    ELSE
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    END IF;

    -- Set the topic configuration
    EXECUTE format('SET LOCAL realtime.topic TO %L', topic);

    INSERT INTO realtime.messages (id, payload, event, topic, private, extension)
    VALUES (generated_id, final_payload, event, topic, private, 'broadcast');
  EXCEPTION
    WHEN OTHERS THEN
      RAISE WARNING 'WarnSendingBroadcastMessage: %', SQLERRM;
  END;
END;
$$;

CREATE OR REPLACE FUNCTION realtime.send_binary(payload bytea, event text, topic text, private boolean DEFAULT true) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
  generated_id uuid;
BEGIN
  BEGIN
    generated_id := gen_random_uuid();

    EXECUTE format('SET LOCAL realtime.topic TO %L', topic);

    INSERT INTO realtime.messages (id, binary_payload, event, topic, private, extension)
    VALUES (generated_id, payload, event, topic, private, 'broadcast');
  EXCEPTION
    WHEN OTHERS THEN
      RAISE WARNING 'WarnSendingBroadcastMessage: %', SQLERRM;
  END;
END;
$$;

CREATE OR REPLACE FUNCTION realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text, table_schema text, new record, old record, level text DEFAULT 'ROW'::text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    -- Declare a variable to hold the JSONB representation of the row
    row_data jsonb := '{}'::jsonb;
BEGIN
    IF level = 'STATEMENT' THEN
        RAISE EXCEPTION 'function can only be triggered for each row, not for each statement';
    END IF;
    -- Check the operation type and handle accordingly
    IF operation = 'INSERT' OR operation = 'UPDATE' OR operation = 'DELETE' THEN
        row_data := jsonb_build_object('old_record', OLD, 'record', NEW, 'operation', operation, 'table', table_name, 'schema', table_schema);
        PERFORM realtime.send (row_data, event_name, topic_name);
    ELSE
        RAISE EXCEPTION 'Unexpected operation type: %', operation;
    END IF;
EXCEPTION
    WHEN OTHERS THEN
        RAISE EXCEPTION 'Failed to process the row: %', SQLERRM;
END;

$$;

grant all on function realtime.topic() to postgres, dashboard_user;
grant all on function realtime.send(payload jsonb, event text, topic text, private boolean) to postgres, dashboard_user;
grant all on function realtime.send_binary(payload bytea, event text, topic text, private boolean) to postgres, dashboard_user;
grant all on function realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text,
  table_schema text, new record, old record, level text) to postgres, dashboard_user;
grant all on table realtime.messages to postgres, dashboard_user;
grant select, insert, update on table realtime.messages to anon, authenticated, service_role;

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
