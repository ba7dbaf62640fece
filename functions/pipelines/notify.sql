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
 * A transaction that notifies commits with synchronous_commit = off (set here,
 * for that transaction only, when a notification was queued). Why: PostgreSQL
 * serialises every notifying commit — from PreCommit_Notify to the end of the
 * commit it holds one cluster-wide lock, so such commits never share a WAL
 * flush and each waits for its own. Measured with pgbench on this 2-core machine
 * (one-row update, 10 clients, 8 s × 3 rounds, noisy): 1,380–2,340 tps with
 * pg_notify against 2,650–5,020 without; with pg_notify and synchronous_commit
 * off, 3,340–5,760. Every step or execution write notifies, so without this
 * they could never pass one commit per WAL flush: complete_step at 10 clients
 * (3 rounds) ran 640–720 calls/s with synchronous commits, 880–960 with this,
 * and 1,150–1,290 with no NOTIFY at all (what a notifier process, below, could
 * give at most).
 *
 * What it risks: COMMIT returns before the commit's WAL is on disk. If the
 * server crashes (PostgreSQL or the machine) within about 3 × wal_writer_delay
 * (600 ms by default) of such a commit, the transaction may be lost — all of it
 * (the rows, the jobs it enqueued, its audit events), never a part, and the
 * database stays consistent. A runner was told its step started or completed
 * when it did not: the step then times out (maintenance) and is retried or fails
 * by its policy, as with a runner that died. Any later synchronous commit on the
 * server flushes everything before it, so a graphile-worker job that writes
 * pipelines is durable once the job is recorded complete. Transactions that
 * touch no execution or step keep synchronous_commit as it was.
 *
 * The other designs, and why not:
 *   - one NOTIFY per transaction instead of per statement: PostgreSQL already
 *     folds identical notifications of a transaction into one, and the lock is
 *     taken once per notifying transaction however many it sends, so nothing
 *     would change but the triggers' cost (~0.04 ms a statement) — and a
 *     deferred trigger is per row (constraint triggers cannot be per statement);
 *   - writers insert ids into an unlogged table that a notifier process drains
 *     and announces in batches: durable commits at full speed, but a process the
 *     database cannot run by itself (a poll loop in the API or worker, whose
 *     interval adds to every event's latency, and without which no event
 *     arrives). The route to take if every step write must be synchronous.
 * The subscription's guarantees are unchanged: notifications still enter the
 * queue under that lock, in commit order, after the commit is visible.
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
  if found then
    -- A notifying commit holds the cluster-wide notify lock through its WAL flush: see above.
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
  end if;
  return null;
end;
$$;
comment on function app_private.tg_pipeline_executions__notify() is
  E'Trigger function: one NOTIFY per organization and statement with the ids of the executions it changed; the transaction then commits asynchronously.';

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
  if found then
    -- A notifying commit holds the cluster-wide notify lock through its WAL flush: see above.
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
  end if;
  return null;
end;
$$;
comment on function app_private.tg_pipeline_steps__notify() is
  E'Trigger function: one NOTIFY per organization and statement with the ids of the executions whose steps it changed; the transaction then commits asynchronously.';
