--! Previous: sha1:44f299d37011a4b3f62e556bfadcb60cfcc09428
--! Hash: sha1:950a5f8b1e8e76c27024d33b616c3e0af0a989b2
--! Message: Operations core: audit log, feature flags, rate-limit buckets, partitions, DBA views

-- Operations core (issue #3): audit log, feature flags, rate-limit buckets,
-- partition maintenance and DBA views. Idempotent: drops first, in reverse order.

drop view if exists app_private.partition_counts;
drop view if exists app_private.table_sizes;
drop view if exists app_private.db_health_check;
drop function if exists app_private.prune_rate_limit_buckets();
drop function if exists app_private.charge_request(uuid, text, integer, integer);
drop table if exists app_private.rate_limit_buckets;
drop function if exists app_public.set_feature_flag(text, boolean);
drop function if exists app_public.feature_flags_enabled(app_public.feature_flags);
drop function if exists app_public.feature_enabled(text);
drop table if exists app_public.organization_feature_flags;
drop table if exists app_public.feature_flags;
drop trigger if exists _800_audit_insert on app_public.users;
drop trigger if exists _800_audit_update on app_public.users;
drop trigger if exists _800_audit_delete on app_public.users;
drop trigger if exists _800_audit_insert on app_public.organizations;
drop trigger if exists _800_audit_update on app_public.organizations;
drop trigger if exists _800_audit_delete on app_public.organizations;
drop function if exists app_private.apply_retention();
drop function if exists app_private.maintain_partitions();
drop table if exists app_private.partitioned_tables;
drop table if exists app_public.audit_events;
drop sequence if exists app_private.audit_events_id_seq;
drop function if exists app_private.tg_audit_events__append_only();
drop function if exists app_private.enable_audit(regclass, text[]);
drop function if exists app_private.tg__audit();
drop function if exists app_private.jsonb_pick(jsonb, text[]);

-------------------------------------------------------------------------------
-- Audit log
-------------------------------------------------------------------------------
create sequence app_private.audit_events_id_seq;

create table app_public.audit_events (
  organization_id uuid not null,
  occurred_at timestamptz not null default now(),
  id bigint not null default nextval('app_private.audit_events_id_seq'),
  actor_user_id uuid,
  actor text not null check (actor ~ '^[a-z][a-z0-9_-]{0,31}$'),
  action text not null check (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
  table_name text,
  row_key jsonb not null default '{}',
  changes jsonb not null default '{}',
  request_id text,
  primary key (organization_id, occurred_at, id)
) partition by range (occurred_at);
alter table app_public.audit_events enable row level security;

create index on app_public.audit_events (organization_id, table_name, occurred_at);
create index on app_public.audit_events (organization_id, actor_user_id, occurred_at);
create index audit_events_row_key_idx on app_public.audit_events using gin (row_key jsonb_path_ops);
create index on app_public.audit_events (organization_id, request_id);

--! Included audit/tg__audit.sql
/*
 * tg__audit: the one generic audit trigger. Statement-level, over transition
 * tables, so a bulk change costs one insert into app_public.audit_events. Tables
 * opt in with one line, `select app_private.enable_audit('app_public.x')`, which
 * creates the three triggers (a trigger with transition tables serves one event)
 * and passes the table's tenant column, key columns and the columns never to
 * record (secrets, timestamps). Who and why come from the request's settings:
 * jwt.claims.user_id, forgeline.actor (worker, webhook, …) and forgeline.request_id.
 */
create or replace function app_private.jsonb_pick(j jsonb, keys text[]) returns jsonb
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  select coalesce(pg_catalog.jsonb_object_agg(k, j -> k), '{}'::jsonb)
    from pg_catalog.unnest(keys) k;
$$;
comment on function app_private.jsonb_pick(jsonb, text[]) is
  E'The given keys of a JSON object (a row''s key columns, for audit events).';

create or replace function app_private.tg__audit() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the visitor has no insert grant on audit_events; this is its only writer.
declare
  v_org_column text := tg_argv[0];
  v_keys text[] := pg_catalog.string_to_array(tg_argv[1], ',');
  v_omit text[] := pg_catalog.string_to_array(coalesce(tg_argv[2], ''), ',');
  v_user uuid := app_public.current_user_id();
  v_actor text := coalesce(
    nullif(pg_catalog.current_setting('forgeline.actor', true), ''),
    case when v_user is not null then 'user' else 'system' end);
  v_request text := nullif(pg_catalog.current_setting('forgeline.request_id', true), '');
  v_table text := pg_catalog.format('%I.%I', tg_table_schema, tg_table_name);
begin
  if tg_op = 'INSERT' then
    insert into app_public.audit_events
      (organization_id, actor_user_id, actor, action, table_name, row_key, changes, request_id)
    select (r.j ->> v_org_column)::uuid, v_user, v_actor, 'insert', v_table,
           app_private.jsonb_pick(r.j, v_keys),
           (select coalesce(pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('new', e.value)), '{}')
              from pg_catalog.jsonb_each(r.j - v_omit) e),
           v_request
      from (select pg_catalog.to_jsonb(n) as j from new_rows n) r;
  elsif tg_op = 'DELETE' then
    insert into app_public.audit_events
      (organization_id, actor_user_id, actor, action, table_name, row_key, changes, request_id)
    select (r.j ->> v_org_column)::uuid, v_user, v_actor, 'delete', v_table,
           app_private.jsonb_pick(r.j, v_keys),
           (select coalesce(pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('old', e.value)), '{}')
              from pg_catalog.jsonb_each(r.j - v_omit) e),
           v_request
      from (select pg_catalog.to_jsonb(o) as j from old_rows o) r;
  else
    insert into app_public.audit_events
      (organization_id, actor_user_id, actor, action, table_name, row_key, changes, request_id)
    select (n.j ->> v_org_column)::uuid, v_user, v_actor, 'update', v_table, n.k, d.changes, v_request
      from (select pg_catalog.to_jsonb(x) as j, app_private.jsonb_pick(pg_catalog.to_jsonb(x), v_keys) as k from new_rows x) n
      join (select pg_catalog.to_jsonb(x) as j, app_private.jsonb_pick(pg_catalog.to_jsonb(x), v_keys) as k from old_rows x) o
        on o.k operator(pg_catalog.=) n.k
     cross join lateral (
       select pg_catalog.jsonb_object_agg(ne.key, pg_catalog.jsonb_build_object('old', oe.value, 'new', ne.value)) as changes
         from pg_catalog.jsonb_each(n.j - v_omit) ne
         join pg_catalog.jsonb_each(o.j - v_omit) oe on oe.key = ne.key
        where oe.value is distinct from ne.value) d
     where d.changes is not null;  -- an update that changed nothing recordable is no event
  end if;
  return null;
end;
$$;
comment on function app_private.tg__audit() is
  E'Trigger function: records inserted, updated (changed columns only) and deleted rows in audit_events.';

create or replace function app_private.enable_audit(target regclass, omit text[] default '{updated_at,created_at}')
  returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org_column text;
  v_keys text;
  v_args text;
begin
  select case when exists (select 1 from pg_catalog.pg_attribute a
                            where a.attrelid = enable_audit.target and a.attname = 'organization_id'
                              and not a.attisdropped)
              then 'organization_id' else 'id' end
    into v_org_column;
  select pg_catalog.string_agg(a.attname, ',' order by k.ord)
    into v_keys
    from pg_catalog.pg_index i
    cross join lateral pg_catalog.unnest(i.indkey) with ordinality k(attnum, ord)
    join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
   where i.indrelid = enable_audit.target and i.indisprimary;
  if v_keys is null then
    raise exception 'Table % has no primary key to audit by', enable_audit.target using errcode = 'FL005';
  end if;
  v_args := pg_catalog.format('%L, %L, %L', v_org_column, v_keys, pg_catalog.array_to_string(enable_audit.omit, ','));
  execute pg_catalog.format(
    'create trigger _800_audit_insert after insert on %s referencing new table as new_rows
       for each statement execute function app_private.tg__audit(%s)', enable_audit.target, v_args);
  execute pg_catalog.format(
    'create trigger _800_audit_update after update on %s referencing old table as old_rows new table as new_rows
       for each statement execute function app_private.tg__audit(%s)', enable_audit.target, v_args);
  execute pg_catalog.format(
    'create trigger _800_audit_delete after delete on %s referencing old table as old_rows
       for each statement execute function app_private.tg__audit(%s)', enable_audit.target, v_args);
end;
$$;
comment on function app_private.enable_audit(regclass, text[]) is
  E'Opts a table into the audit log (one line per table in a migration); `omit` lists columns never recorded.';

create or replace function app_private.tg_audit_events__append_only() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception 'Audit events cannot be changed or deleted'
    using errcode = 'FL009',
          hint = 'Old events leave only with their monthly partition (app_private.apply_retention).';
end;
$$;
comment on function app_private.tg_audit_events__append_only() is
  E'Trigger function: refuses update, delete and truncate of audit events, for every role.';
--! EndIncluded audit/tg__audit.sql
create trigger _100_append_only
  before update or delete on app_public.audit_events
  for each row execute function app_private.tg_audit_events__append_only();
create trigger _100_append_only_truncate
  before truncate on app_public.audit_events
  for each statement execute function app_private.tg_audit_events__append_only();

create policy select_admin on app_public.audit_events for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin'
);
grant select on app_public.audit_events to :DATABASE_VISITOR;

comment on table app_public.audit_events is
  E'@behavior -insert -update -delete\nWho changed what in the organization: one event per inserted, updated or deleted row of an audited table, or per named business action. Append-only; admins and owners read it. Order by `OCCURRED_AT_DESC` for newest first.';
comment on column app_public.audit_events.organization_id is E'The organization the event belongs to.';
comment on column app_public.audit_events.occurred_at is E'When it happened (the transaction''s time).';
comment on column app_public.audit_events.id is E'Orders events within the same instant.';
comment on column app_public.audit_events.actor_user_id is E'@behavior +filterBy\nThe user who acted, when a user did.';
comment on column app_public.audit_events.actor is E'Who acted: `user`, or trusted code such as `worker`, `webhook`, `system`.';
comment on column app_public.audit_events.action is E'`insert`, `update`, `delete`, or a named business action.';
comment on column app_public.audit_events.table_name is E'@behavior +filterBy\nThe table changed, schema-qualified.';
comment on column app_public.audit_events.row_key is E'@behavior +filterBy\nThe changed row''s primary key, e.g. {"organization_id": "…", "id": "…"}.';
comment on column app_public.audit_events.changes is E'Changed columns: {"column": {"old": …, "new": …}}. Secrets are never recorded.';
comment on column app_public.audit_events.request_id is E'@behavior +filterBy\nThe API request (x-request-id) that made the change.';

--! Included maintenance/partitions.sql
/*
 * Monthly partitions and retention (DESIGN §5). Partitioned tables register in
 * app_private.partitioned_tables with their retention and how many months to
 * create ahead. maintain_partitions() creates the current month and `premake`
 * months ahead, as app_partitions.<table>_pYYYYMM (never in an exposed schema: a
 * partition there would be readable past the parent's RLS). apply_retention()
 * detaches and drops whole partitions whose month ended before the retention
 * window; it never deletes row by row. Both run as the owner, from the worker's
 * crontab or pg_cron (`forgeline schedule`), and return what they did.
 */
create or replace function app_private.maintain_partitions() returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_table record;
  v_month date;
  v_name text;
begin
  for v_table in
    select p.table_name::regclass as parent, c.relname, p.premake
      from app_private.partitioned_tables p
      join pg_catalog.pg_class c on c.oid = p.table_name
  loop
    for i in 0 .. v_table.premake loop
      v_month := (pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC') + pg_catalog.make_interval(months => i))::date;
      v_name := pg_catalog.format('%s_p%s', v_table.relname, pg_catalog.to_char(v_month, 'YYYYMM'));
      if pg_catalog.to_regclass(pg_catalog.format('app_partitions.%I', v_name)) is null then
        execute pg_catalog.format(
          'create table app_partitions.%I partition of %s for values from (%L) to (%L)',
          v_name, v_table.parent,
          (v_month::timestamp at time zone 'UTC'),
          ((v_month + interval '1 month')::timestamp at time zone 'UTC'));
        execute pg_catalog.format('alter table app_partitions.%I enable row level security', v_name);
        return next pg_catalog.format('created app_partitions.%I', v_name);
      end if;
    end loop;
  end loop;
end;
$$;
comment on function app_private.maintain_partitions() is
  E'Creates the monthly partitions of every registered table for this month and the months ahead; returns what it created.';

create or replace function app_private.apply_retention() returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_part record;
begin
  for v_part in
    select p.table_name::regclass as parent, c.oid::regclass as part, c.relname,
           pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') as month
      from app_private.partitioned_tables p
      join pg_catalog.pg_inherits h on h.inhparent = p.table_name
      join pg_catalog.pg_class c on c.oid = h.inhrelid
     where p.retention is not null
       and c.relname ~ '_p[0-9]{6}$'
       and (pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') + interval '1 month')
           <= (pg_catalog.now() at time zone 'UTC') - p.retention
     order by 4
  loop
    execute pg_catalog.format('alter table %s detach partition %s', v_part.parent, v_part.part);
    execute pg_catalog.format('drop table %s', v_part.part);
    return next pg_catalog.format('dropped app_partitions.%I', v_part.relname);
  end loop;
end;
$$;
comment on function app_private.apply_retention() is
  E'Detaches and drops whole partitions older than each registered table''s retention; returns what it dropped.';
--! EndIncluded maintenance/partitions.sql
create table app_private.partitioned_tables (
  table_name regclass primary key,
  retention interval check (retention > interval '0'),
  premake integer not null default 3 check (premake between 1 and 24)
);
alter table app_private.partitioned_tables enable row level security;
comment on table app_private.partitioned_tables is
  E'Monthly-partitioned tables: how long their partitions are kept and how many months are created ahead.';

insert into app_private.partitioned_tables (table_name, retention, premake)
values ('app_public.audit_events', interval '13 months', 3);
select app_private.maintain_partitions();

select app_private.enable_audit('app_public.organizations');
select app_private.enable_audit('app_public.users');

-------------------------------------------------------------------------------
-- Feature flags
-------------------------------------------------------------------------------
create table app_public.feature_flags (
  name text primary key check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  description text not null,
  default_enabled boolean not null default false,
  created_at timestamptz not null default now()
);
alter table app_public.feature_flags enable row level security;
create policy select_all on app_public.feature_flags for select using (true);
grant select on app_public.feature_flags to :DATABASE_VISITOR;
comment on table app_public.feature_flags is
  E'@behavior -insert -update -delete\nA feature that organizations can have on or off; `enabled` is its state for the current organization.';
comment on column app_public.feature_flags.name is E'The flag''s name, as `featureEnabled(name:)` takes it.';
comment on column app_public.feature_flags.description is E'What the flag turns on.';
comment on column app_public.feature_flags.default_enabled is E'The state for organizations without an override.';
comment on column app_public.feature_flags.created_at is E'When the flag was introduced.';

insert into app_public.feature_flags (name, description, default_enabled) values
  ('new_task_management', 'The new task management experience (task trees with dependencies).', true),
  ('advanced_analytics', 'Advanced analytics: anomaly detection, DORA metrics, estimates.', false),
  ('ai_recommendations', 'AI improvement recommendations with measured effectiveness.', false);

create table app_public.organization_feature_flags (
  organization_id uuid not null references app_public.organizations (id) on delete cascade,
  flag_name text not null references app_public.feature_flags (name) on delete cascade,
  enabled boolean not null,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, flag_name),
  foreign key (organization_id, updated_by)
    references app_public.users (organization_id, id) on delete set null (updated_by)
);
alter table app_public.organization_feature_flags enable row level security;
create index on app_public.organization_feature_flags (flag_name);
create index on app_public.organization_feature_flags (organization_id, updated_by);
create trigger _100_timestamps
  before insert or update on app_public.organization_feature_flags
  for each row execute function app_private.tg__timestamps();
select app_private.enable_audit('app_public.organization_feature_flags');
create policy select_member on app_public.organization_feature_flags for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null
);
grant select on app_public.organization_feature_flags to :DATABASE_VISITOR;
comment on table app_public.organization_feature_flags is
  E'@behavior -insert -update -delete\nAn organization''s override of a feature flag''s default; set with `setFeatureFlag`.';
comment on column app_public.organization_feature_flags.organization_id is E'The organization.';
comment on column app_public.organization_feature_flags.flag_name is E'The feature flag.';
comment on column app_public.organization_feature_flags.enabled is E'On or off for this organization.';
comment on column app_public.organization_feature_flags.updated_by is E'The user who last set it.';
comment on column app_public.organization_feature_flags.created_at is E'When the override was first set.';
comment on column app_public.organization_feature_flags.updated_at is E'When the override last changed.';

--! Included flags/feature_flags.sql
/*
 * Feature flags: global defaults in app_public.feature_flags, per-organization
 * overrides in app_public.organization_feature_flags. feature_enabled(name) is
 * the one answer SQL and GraphQL use; set_feature_flag() is how owners and admins
 * change an override (null clears it). Overrides are audited like any table.
 */
create or replace function app_public.feature_enabled(name text) returns boolean
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_default boolean;
  v_override boolean;
begin
  select f.default_enabled into v_default from app_public.feature_flags f where f.name = feature_enabled.name;
  if not found then
    raise exception 'Unknown feature flag "%"', feature_enabled.name using errcode = 'FL010';
  end if;
  select o.enabled into v_override
    from app_public.organization_feature_flags o
   where o.organization_id = app_public.current_org_id() and o.flag_name = feature_enabled.name;
  return coalesce(v_override, v_default);
end;
$$;
comment on function app_public.feature_enabled(text) is
  E'Whether a feature is on for the current organization: its override if set, else the global default. Unknown names raise FL010.';

create or replace function app_public.feature_flags_enabled(f app_public.feature_flags) returns boolean
  language sql stable
as $$
  select coalesce(
    (select o.enabled from app_public.organization_feature_flags o
      where o.organization_id = app_public.current_org_id() and o.flag_name = f.name),
    f.default_enabled);
$$;
comment on function app_public.feature_flags_enabled(app_public.feature_flags) is
  E'Whether this feature is on for the current organization.';

create or replace function app_public.set_feature_flag(name text, enabled boolean)
  returns app_public.feature_flags
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: overrides are written only here, after the role check below.
declare
  v_flag app_public.feature_flags;
begin
  perform app_private.require_role('admin');
  select * into v_flag from app_public.feature_flags f where f.name = set_feature_flag.name;
  if not found then
    raise exception 'Unknown feature flag "%"', set_feature_flag.name using errcode = 'FL010';
  end if;
  if set_feature_flag.enabled is null then
    delete from app_public.organization_feature_flags o
     where o.organization_id = app_public.current_org_id() and o.flag_name = v_flag.name;
  else
    insert into app_public.organization_feature_flags as o (organization_id, flag_name, enabled, updated_by)
    values (app_public.current_org_id(), v_flag.name, set_feature_flag.enabled, app_public.current_user_id())
    on conflict (organization_id, flag_name) do update
      set enabled = excluded.enabled, updated_by = excluded.updated_by
      where o.enabled is distinct from excluded.enabled;
  end if;
  return v_flag;
end;
$$;
comment on function app_public.set_feature_flag(text, boolean) is
  E'@resultFieldName featureFlag\nTurns a feature on or off for the current organization (admins and owners); null returns it to the global default.';
--! EndIncluded flags/feature_flags.sql

-------------------------------------------------------------------------------
-- Rate limits (state shared by every API replica)
-------------------------------------------------------------------------------
create unlogged table app_private.rate_limit_buckets (
  key text primary key,
  tokens double precision not null,
  updated_at timestamptz not null
);
alter table app_private.rate_limit_buckets enable row level security;
comment on table app_private.rate_limit_buckets is
  E'Token buckets of the API rate limit (unlogged: losing them on a crash only refills them).';

--! Included ratelimit/charge_request.sql
/*
 * charge_request: the per-tenant rate limit, shared by every API replica. A token
 * bucket per key (`org:<id>`, or `addr:<client address>` for anonymous requests)
 * lives in the unlogged app_private.rate_limit_buckets; one upsert refills it for
 * the time elapsed and takes a token if one is there. The row lock of
 * `on conflict do update` serialises concurrent requests on a key, so a burst is
 * never over-admitted. An organization's limit is the caller's default unless its
 * settings say {"rate_limit": {"requests_per_minute": N}}. Called by the API
 * (as the authenticator, before GraphQL) through src/server/rate-limit.ts.
 */
create or replace function app_private.charge_request(
  org_id uuid,
  key text,
  default_per_minute integer,
  anonymous_per_minute integer
) returns table (allowed boolean, retry_after_ms integer, lim integer, remaining integer)
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the authenticator may charge a bucket, not read or write the table.
declare
  v_limit integer;
  v_rate double precision;
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_tokens double precision;
  v_seen timestamptz;
begin
  if charge_request.org_id is null then
    v_limit := charge_request.anonymous_per_minute;
  else
    select case when pg_catalog.jsonb_typeof(o.settings #> '{rate_limit,requests_per_minute}') = 'number'
                 and (o.settings #>> '{rate_limit,requests_per_minute}')::numeric between 1 and 1000000000
                then (o.settings #>> '{rate_limit,requests_per_minute}')::numeric::integer end
      into v_limit
      from app_public.organizations o where o.id = charge_request.org_id;
    v_limit := coalesce(v_limit, charge_request.default_per_minute);
  end if;
  v_rate := v_limit / 60.0;

  insert into app_private.rate_limit_buckets as b (key, tokens, updated_at)
  values (charge_request.key, v_limit - 1, v_now)
  on conflict on constraint rate_limit_buckets_pkey do update
     set tokens = least(v_limit::double precision,
                        b.tokens + greatest(0, extract(epoch from v_now - b.updated_at)) * v_rate) - 1,
         updated_at = greatest(b.updated_at, v_now)
   where least(v_limit::double precision,
               b.tokens + greatest(0, extract(epoch from v_now - b.updated_at)) * v_rate) >= 1
  returning b.tokens into v_tokens;
  if v_tokens is not null then
    return query select true, 0, v_limit, greatest(0, pg_catalog.floor(v_tokens))::integer;
    return;
  end if;

  select b.tokens, b.updated_at into v_tokens, v_seen
    from app_private.rate_limit_buckets b where b.key = charge_request.key;
  v_tokens := least(v_limit::double precision, v_tokens + greatest(0, extract(epoch from v_now - v_seen)) * v_rate);
  return query select false, greatest(1, pg_catalog.ceil((1 - v_tokens) / v_rate * 1000))::integer, v_limit, 0;
end;
$$;
comment on function app_private.charge_request(uuid, text, integer, integer) is
  E'Takes one request from the key''s token bucket; says whether it was allowed and when to retry.';

create or replace function app_private.prune_rate_limit_buckets() returns bigint
  language sql volatile
  set search_path = pg_catalog, pg_temp
as $$
  -- A bucket idle for an hour is full again: forgetting it changes nothing.
  with gone as (
    delete from app_private.rate_limit_buckets b
     where b.updated_at < pg_catalog.now() - interval '1 hour'
    returning 1)
  select pg_catalog.count(*) from gone;
$$;
comment on function app_private.prune_rate_limit_buckets() is
  E'Removes rate-limit buckets idle for an hour (they would be full again); returns how many.';
--! EndIncluded ratelimit/charge_request.sql
grant usage on schema app_private to :DATABASE_AUTHENTICATOR;
grant execute on function app_private.charge_request(uuid, text, integer, integer) to :DATABASE_AUTHENTICATOR;

-------------------------------------------------------------------------------
-- DBA views (owner only: no grants)
-------------------------------------------------------------------------------
create view app_private.db_health_check as
select
  (select count(*) from pg_catalog.pg_stat_activity where datname = current_database()) as connections,
  (select count(*) from pg_catalog.pg_stat_activity where datname = current_database() and state = 'active') as active_connections,
  current_setting('max_connections')::integer as max_connections,
  (select count(*) from pg_catalog.pg_stat_activity
    where datname = current_database() and state <> 'idle' and now() - query_start > interval '5 minutes') as long_running_queries,
  (select count(*) from pg_catalog.pg_locks where not granted) as locks_waiting,
  (select max(extract(epoch from replay_lag)) from pg_catalog.pg_stat_replication) as replication_lag_seconds,
  pg_catalog.pg_database_size(current_database()) as database_bytes,
  now() as checked_at;
comment on view app_private.db_health_check is
  E'One row: connections (all, active, limit), queries running over 5 minutes, waiting locks, replication lag in seconds (null without replicas), database size.';

create view app_private.table_sizes as
select n.nspname as schema_name,
       c.relname as table_name,
       c.relkind = 'p' as partitioned,
       coalesce(sum(pg_catalog.pg_total_relation_size(t.relid)), 0)::bigint as total_bytes,
       coalesce(sum(pg_catalog.pg_relation_size(t.relid)), 0)::bigint as table_bytes,
       coalesce(sum(pg_catalog.pg_indexes_size(t.relid)), 0)::bigint as index_bytes,
       coalesce(sum(greatest(tc.reltuples, 0)), 0)::bigint as estimated_rows
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  -- A partitioned table is the sum of its tree; pg_partition_tree() says nothing of plain tables.
  cross join lateral (
    select pt.relid from pg_catalog.pg_partition_tree(c.oid) pt where c.relkind = 'p'
    union all
    select c.oid::regclass where c.relkind = 'r') t
  join pg_catalog.pg_class tc on tc.oid = t.relid
 where n.nspname in ('app_public', 'app_hidden', 'app_private', 'graphile_worker')
   and c.relkind in ('r', 'p') and not c.relispartition
 group by n.nspname, c.relname, c.relkind
 order by total_bytes desc;
comment on view app_private.table_sizes is
  E'Size of every table (partitioned tables summed over their partitions): total, heap, indexes, estimated rows.';

create view app_private.partition_counts as
select p.table_name::text as table_name,
       count(h.inhrelid)::integer as partitions,
       min(pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM')) as oldest_month,
       max(pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM')) as newest_month,
       (extract(year from age(max(pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM')),
                              date_trunc('month', now())::date)) * 12
        + extract(month from age(max(pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM')),
                                 date_trunc('month', now())::date)))::integer as months_ahead,
       p.retention,
       p.premake
  from app_private.partitioned_tables p
  left join pg_catalog.pg_inherits h on h.inhparent = p.table_name
  left join pg_catalog.pg_class c on c.oid = h.inhrelid
 group by p.table_name, p.retention, p.premake;
comment on view app_private.partition_counts is
  E'Per partitioned table: how many monthly partitions exist, the oldest and newest month, and how many months ahead are ready.';
