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
  -- The API validates x-request-id before setting it; trusted code might not, and
  -- a log must not store whatever it is handed: anything else is recorded as null.
  v_request text := case when pg_catalog.current_setting('forgeline.request_id', true)
                              ~ '^[A-Za-z0-9._-]{1,64}$'
                         then pg_catalog.current_setting('forgeline.request_id', true) end;
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
