/*
 * Live status (issue #9 §5): after each statement that inserts or updates
 * executions or steps, one notification per organization on the channel
 * `pipelines:<organization id>`, its payload the ids of the executions the
 * statement touched, `{"executions": ["…", …]}` (in chunks of 100, well under
 * NOTIFY's 8000 bytes) — one per statement, not per row, and delivered only when
 * the transaction commits. The API's subscriptions listen on the channel of the
 * subscriber's own organization (from the verified token, never from the
 * query's arguments) and re-read the execution under the subscriber's RLS.
 */
create or replace function app_private.tg_pipeline_executions__notify() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_notify('pipelines:' || c.organization_id::text,
                               pg_catalog.json_build_object('executions', c.ids)::text)
     from (select x.organization_id, pg_catalog.array_agg(x.id order by x.id) as ids
             from (select n.organization_id, n.id,
                          (pg_catalog.row_number() over (partition by n.organization_id order by n.id) - 1) / 100 as chunk
                     from (select distinct r.organization_id, r.id from new_rows r) n) x
            group by x.organization_id, x.chunk) c;
  return null;
end;
$$;
comment on function app_private.tg_pipeline_executions__notify() is
  E'Trigger function: one NOTIFY per organization and statement with the ids of the executions it changed.';

create or replace function app_private.tg_pipeline_steps__notify() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_notify('pipelines:' || c.organization_id::text,
                               pg_catalog.json_build_object('executions', c.ids)::text)
     from (select x.organization_id, pg_catalog.array_agg(x.execution_id order by x.execution_id) as ids
             from (select n.organization_id, n.execution_id,
                          (pg_catalog.row_number() over (partition by n.organization_id order by n.execution_id) - 1) / 100 as chunk
                     from (select distinct r.organization_id, r.execution_id from new_rows r) n) x
            group by x.organization_id, x.chunk) c;
  return null;
end;
$$;
comment on function app_private.tg_pipeline_steps__notify() is
  E'Trigger function: one NOTIFY per organization and statement with the ids of the executions whose steps it changed.';
