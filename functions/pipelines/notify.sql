/*
 * Live status (issue #9 §5): after each statement that inserts or updates
 * executions or steps, one notification per organization on the channel
 * `pipelines:<organization id>`, its payload the ids of the executions the
 * statement touched, `{"executions": ["…", …]}` (in chunks of 100, well under
 * NOTIFY's 8000 bytes) — one per statement, not per row, and delivered only when
 * the transaction commits. The API's subscriptions listen on the channel of the
 * subscriber's own organization (from the verified token, never from the
 * query's arguments) and re-read the execution under the subscriber's RLS.
 *
 * Commits stay synchronous. PostgreSQL serialises every notifying commit (from
 * PreCommit_Notify to the end of the commit it holds one cluster-wide lock, so
 * such commits never share a WAL flush), which caps step and execution writes:
 * complete_step at 10 clients on a 2-core machine ran 640–720 calls/s with
 * synchronous commits, 880–960 with synchronous_commit off for notifying
 * transactions, and 1,150–1,290 with no NOTIFY at all (pgbench, 3 rounds).
 * Migration 000014 turned synchronous_commit off for them; 000015 turns it back
 * on: a runner told that its step completed (a deploy step, say) must not have
 * that forgotten by a crash of the server within the next ~600 ms, and even
 * asynchronous commits left the target (2,000 step writes/s) out of reach.
 *
 * The other designs, and why not (yet):
 *   - one NOTIFY per transaction instead of per statement: PostgreSQL already
 *     folds identical notifications of a transaction into one, and the lock is
 *     taken once per notifying transaction however many it sends, so nothing
 *     would change but the triggers' cost (~0.04 ms a statement) — and a
 *     deferred trigger is per row (constraint triggers cannot be per statement);
 *   - writers insert ids into an unlogged table that a notifier process drains
 *     and announces in batches: durable commits at the no-NOTIFY speed, but a
 *     process the database cannot run by itself (a poll loop in the API or the
 *     worker, whose interval adds to every event's latency, and without which no
 *     event arrives). The way to go when step writes must pass ~700/s a server.
 * Notifications enter the queue under that lock, in commit order, once the
 * commit is visible: a subscriber re-reading on an event sees the change.
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
