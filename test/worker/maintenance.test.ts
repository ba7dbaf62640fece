/**
 * Maintenance from the worker: the crontab runs the task every minute (the
 * embedded default has no pg_cron, so this is what maintains it), the task
 * re-creates a missing partition through the real graphile-worker runner, and it
 * stands aside while pg_cron has run maintenance in the last ten minutes. The
 * pg_cron side (`forgeline schedule`) is test/cli/schedule.test.ts.
 */
import { describe, expect, it } from "vitest";
import { parseCrontab, quickAddJob } from "graphile-worker";
import { runJobsOnce } from "../support/worker.ts";
import { useTestDatabase } from "../support/db.ts";
import { taskList, crontab } from "../../src/worker/tasks/index.ts";

describe("maintenance", () => {
  const t = useTestDatabase();

  it("runs every minute from the worker's crontab", () => {
    const items = parseCrontab(crontab).filter((i) => i.task === "maintenance__partitions");
    expect(items).toHaveLength(1);
    expect(crontab).toMatch(/^\* \* \* \* \* maintenance__partitions\b/m);
    // Any minute of any hour, day, month and weekday (no clock is consulted).
    for (const [min, hour, date, month, dow] of [
      [0, 0, 1, 1, 0],
      [1, 3, 15, 6, 3],
      [17, 12, 28, 2, 5],
      [59, 23, 31, 12, 6],
    ] as const) {
      expect(items[0]!.match({ min, hour, date, month, dow }), `${hour}:${min}`).toBe(true);
    }
  });

  it("re-creates a missing partition when the crontab's task runs", async () => {
    const { rows } = await t.root.query<{ name: string }>(
      `select c.relname as name from pg_inherits h join pg_class c on c.oid = h.inhrelid
        where h.inhparent = 'app_public.audit_events'::regclass order by c.relname desc limit 1`,
    );
    const newest = rows[0]!.name;
    await t.root.query(
      `alter table app_public.audit_events detach partition app_partitions.${newest}`,
    );
    await t.root.query(`drop table app_partitions.${newest}`);

    const pool = t.pool(t.db.ownerUrl, 2);
    try {
      await quickAddJob({ pgPool: pool }, "maintenance__partitions", {});
      await runJobsOnce(pool, taskList);
      const again = await t.root.query("select to_regclass($1) is not null as back", [
        `app_partitions.${newest}`,
      ]);
      expect(again.rows).toEqual([{ back: true }]);
      const failed = await t.root.query("select count(*)::int as n from graphile_worker.jobs");
      expect(failed.rows).toEqual([{ n: 0 }]);
    } finally {
      await pool.end();
    }
  });

  it("stands aside for ten minutes after pg_cron ran it (clock passed in)", async () => {
    try {
      await t.root.query("select app_private.record_maintenance_schedule('pg_cron', 'test-job')");
      await t.root.query(
        "update app_private.maintenance_state set scheduler_last_run_at = '2031-07-15 12:00:00+00'",
      );
      const elsewhere = async (at: string) =>
        (
          await t.root.query<{ elsewhere: boolean }>(
            "select app_private.maintenance_is_scheduled_elsewhere($1) as elsewhere",
            [at],
          )
        ).rows[0]!.elsewhere;
      expect(await elsewhere("2031-07-15 12:01:00+00")).toBe(true);
      expect(await elsewhere("2031-07-15 12:09:59+00")).toBe(true);
      expect(await elsewhere("2031-07-15 12:10:00+00")).toBe(false);
      expect(await elsewhere("2031-07-15 14:00:00+00")).toBe(false);
      // Nobody scheduled with pg_cron: the worker never stands aside.
      await t.root.query("select app_private.record_maintenance_schedule(null, null)");
      expect(await elsewhere("2031-07-15 12:01:00+00")).toBe(false);
    } finally {
      await t.root.query("select app_private.record_maintenance_schedule(null, null)");
    }
  });

  it("leaves maintenance to pg_cron while pg_cron runs it, and takes over when it stops", async () => {
    const pool = t.pool(t.db.ownerUrl, 2);
    const state = async () =>
      (
        await t.root.query<{ last_run_by: string }>(
          "select last_run_by from app_private.maintenance_state",
        )
      ).rows[0]?.last_run_by;
    const runTask = async () => {
      await quickAddJob({ pgPool: pool }, "maintenance__partitions", {});
      await runJobsOnce(pool, taskList);
    };
    try {
      await t.root.query("select app_private.record_maintenance_schedule('pg_cron', 'test-job')");
      await t.root.query("select app_private.run_maintenance(caller => 'pg_cron')");
      await runTask();
      expect(await state()).toBe("pg_cron");
      // pg_cron ran it nine minutes ago: still its job.
      await t.root.query(
        "update app_private.maintenance_state set scheduler_last_run_at = now() - interval '9 minutes'",
      );
      await runTask();
      expect(await state()).toBe("pg_cron");
      // Eleven minutes without a pg_cron run: the worker does it again.
      await t.root.query(
        "update app_private.maintenance_state set scheduler_last_run_at = now() - interval '11 minutes'",
      );
      await runTask();
      expect(await state()).toBe("worker");
    } finally {
      await t.root.query("select app_private.record_maintenance_schedule(null, null)");
      await pool.end();
    }
  });
});
