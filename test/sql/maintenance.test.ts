/**
 * app_private.run_maintenance(at): the one entry point of routine maintenance,
 * tested with the clock passed in (so nothing here depends on today's date):
 * partitions are made ahead of the clock, old ones are dropped whole by
 * retention, two overlapping runs both succeed and do the work once, and every
 * partition, old or new, refuses truncate and delete like its parent. DDL is
 * transactional, so tests that move the clock far roll back what they made.
 */
import { describe, expect, it } from "vitest";
import type pg from "pg";
import { sqlstate, useTestDatabase } from "../support/db.ts";

describe("maintenance", () => {
  const t = useTestDatabase();

  /** Runs `fn` on one connection inside a transaction that is rolled back. */
  async function rolledBack<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await t.root.connect();
    try {
      await client.query("begin");
      return await fn(client);
    } finally {
      await client.query("rollback");
      client.release();
    }
  }

  /** run_maintenance at `at`, or at the server's clock when `at` is undefined. */
  const lines = async (c: pg.PoolClient | pg.Pool, at?: string) =>
    (
      await (at === undefined
        ? c.query<{ line: string }>(
            "select line from app_private.run_maintenance(caller => 'test') as line",
          )
        : c.query<{ line: string }>(
            "select line from app_private.run_maintenance($1, 'test') as line",
            [at],
          ))
    ).rows.map((r) => r.line);

  it("creates the month of the clock it is given and the months ahead, once", async () => {
    await rolledBack(async (c) => {
      expect(await lines(c, "2031-07-15 12:00:00+00")).toEqual(
        expect.arrayContaining([
          "created app_partitions.audit_events_p203107",
          "created app_partitions.audit_events_p203108",
          "created app_partitions.audit_events_p203109",
          "created app_partitions.audit_events_p203110",
        ]),
      );
      expect(await lines(c, "2031-07-15 12:00:00+00")).toEqual([]);
      const state = await c.query("select last_run_by from app_private.maintenance_state");
      expect(state.rows).toEqual([{ last_run_by: "test" }]);
    });
  });

  it("drops whole partitions past retention, counted back from the clock", async () => {
    await rolledBack(async (c) => {
      await lines(c, "2030-01-15 00:00:00+00"); // 2030-01 … 2030-04
      await c.query(
        `insert into app_public.audit_events (organization_id, occurred_at, actor, action)
         values (gen_random_uuid(), '2030-01-20 10:00:00+00', 'system', 'old')`,
      );
      // 13 months of retention at 2031-03-15: months ending before 2030-02-15 go.
      const done = await lines(c, "2031-03-15 00:00:00+00");
      const dropped = done.filter((l) => l.startsWith("dropped")).sort();
      expect(dropped).toContain("dropped app_partitions.audit_events_p203001");
      expect(dropped).not.toContain("dropped app_partitions.audit_events_p203002");
      const left = await c.query(
        "select to_regclass('app_partitions.audit_events_p203001') as gone, to_regclass('app_partitions.audit_events_p203002') is not null as kept",
      );
      expect(left.rows).toEqual([{ gone: null, kept: true }]);
    });
  });

  /**
   * Polls until backend `pid` waits for a lock that `holder`'s backend holds
   * (pg_blocking_pids), up to 30 s; false if it never does.
   */
  async function waitsForLock(pid: number, holder: pg.PoolClient): Promise<boolean> {
    const holderPid = (await holder.query<{ pid: number }>("select pg_backend_pid() as pid"))
      .rows[0]!.pid;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const { rows } = await t.root.query<{ blocked: boolean }>(
        `select a.wait_event_type = 'Lock' and $2::int = any (pg_blocking_pids(a.pid)) as blocked
           from pg_stat_activity a where a.pid = $1`,
        [pid, holderPid],
      );
      if (rows[0]?.blocked) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  it("lets two overlapping runs both succeed, doing the work once", async () => {
    // Today's clock, with the newest partition ahead missing: there is work to do.
    const { rows } = await t.root.query<{ name: string }>(
      `select c.relname as name from pg_inherits h join pg_class c on c.oid = h.inhrelid
        where h.inhparent = 'app_public.audit_events'::regclass order by 1 desc limit 1`,
    );
    const newest = rows[0]!.name;
    await t.root.query(`drop table app_partitions.${newest}`);
    const first = await t.root.connect();
    const second = await t.root.connect();
    try {
      await first.query("begin");
      expect(await lines(first)).toContain(`created app_partitions.${newest}`);
      // The second run starts while the first has not committed: it waits on the
      // maintenance lock, then finds everything done (without the lock it would
      // not see the uncommitted table and fail to create it again).
      const pid = (await second.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!
        .pid;
      const waiting = lines(second);
      waiting.catch(() => undefined); // awaited below; not unhandled if an expect fails first
      // Commit only once the second run is seen waiting for a lock the first holds;
      // a second run that never waits (no lock taken, or taken too late) fails here
      // instead of passing by luck after the first has committed.
      expect(await waitsForLock(pid, first), "the second run waits for the first's lock").toBe(
        true,
      );
      await first.query("commit");
      expect((await waiting).filter((l) => l.startsWith("created"))).toEqual([]);
      const back = await t.root.query("select to_regclass($1) is not null as back", [
        `app_partitions.${newest}`,
      ]);
      expect(back.rows).toEqual([{ back: true }]);
    } finally {
      await first.query("rollback").catch(() => undefined);
      first.release();
      second.release();
    }
  });

  it("guards every partition like its parent: no truncate or delete, even for the owner", async () => {
    const owner = await t.client(t.db.ownerUrl);
    // An event of today, in this month's partition, made before this test.
    const { rows } = await owner.query<{ name: string }>(
      `insert into app_public.audit_events (organization_id, actor, action)
       values (gen_random_uuid(), 'system', 'kept')
       returning 'app_partitions.audit_events_p' || to_char(occurred_at at time zone 'UTC', 'YYYYMM') as name`,
    );
    const existing = rows[0]!.name;
    expect(await sqlstate(owner.query(`truncate ${existing}`))).toBe("FL009");
    expect(await sqlstate(owner.query(`delete from ${existing}`))).toBe("FL009");
    const kept = await owner.query(
      `select count(*)::int as n from ${existing} where action = 'kept'`,
    );
    expect(kept.rows).toEqual([{ n: 1 }]);
    // One made by maintenance now gets the same guard.
    await owner.query("begin");
    try {
      await owner.query("select app_private.maintain_partitions('2032-11-02 00:00:00+00')");
      expect(await sqlstate(owner.query("truncate app_partitions.audit_events_p203211"))).toBe(
        "FL009",
      );
    } finally {
      await owner.query("rollback");
    }
  });
});
