/**
 * Maintenance scheduling: the worker's hourly task re-creates missing partitions
 * through the real graphile-worker runner, and `forgeline schedule`'s pg_cron path
 * registers, re-registers and removes the job (where the server has pg_cron; under
 * CI=true it must).
 */
import { describe, expect, it } from "vitest";
import pg from "pg";
import { quickAddJob, runOnce } from "graphile-worker";
import { useTestDatabase } from "../support/db.ts";
import { taskList, crontab } from "../../src/worker/tasks/index.ts";
import {
  cronDatabase,
  MAINTENANCE_SQL,
  maintenanceJobName,
  scheduleMaintenance,
  unscheduleMaintenance,
} from "../../src/db/schedule.ts";
import { databaseUrl } from "../../src/db/setup.ts";

describe("maintenance", () => {
  const t = useTestDatabase();

  it("is in the worker's crontab and re-creates a missing partition when it runs", async () => {
    expect(crontab).toMatch(/^\S+ \S+ \S+ \S+ \S+ maintenance__partitions\b/);
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
      await runOnce({ pgPool: pool, taskList });
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

  it("leaves maintenance to pg_cron while pg_cron runs it, and takes over when it stops", async () => {
    const pool = t.pool(t.db.ownerUrl, 2);
    const state = async () =>
      (
        await t.root.query<{ last_run_by: string }>(
          "select last_run_by from app_private.maintenance_state",
        )
      ).rows[0]?.last_run_by;
    try {
      await t.root.query("select app_private.record_maintenance_schedule('pg_cron', 'test-job')");
      await t.root.query("select app_private.run_maintenance(caller => 'pg_cron')");
      await quickAddJob({ pgPool: pool }, "maintenance__partitions", {});
      await runOnce({ pgPool: pool, taskList });
      expect(await state()).toBe("pg_cron");
      // pg_cron has not run it for three hours: the worker does it again.
      await t.root.query(
        "update app_private.maintenance_state set scheduler_last_run_at = now() - interval '3 hours'",
      );
      await quickAddJob({ pgPool: pool }, "maintenance__partitions", {});
      await runOnce({ pgPool: pool, taskList });
      expect(await state()).toBe("worker");
    } finally {
      await t.root.query("select app_private.record_maintenance_schedule(null, null)");
    }
  });

  it("schedules hourly maintenance with pg_cron in cron.database_name", async (ctx) => {
    const rootUrl = t.db.rootUrl;
    const cronDb = await cronDatabase(rootUrl);
    if (!cronDb) {
      if (process.env.CI === "true") throw new Error("pg_cron must be preloaded on the CI server");
      ctx.skip("pg_cron is not preloaded on this server");
    }
    const first = await scheduleMaintenance(rootUrl, t.db.name, t.db.roles.owner);
    try {
      expect(first).toMatchObject({
        scheduled: true,
        jobName: maintenanceJobName(t.db.name),
        cronDatabase: cronDb,
      });
      const again = await scheduleMaintenance(rootUrl, t.db.name, t.db.roles.owner, "7 * * * *");
      expect(again.jobId).toBe(first.jobId);
      const client = new pg.Client({ connectionString: databaseUrl(rootUrl, cronDb!) });
      await client.connect();
      try {
        const { rows } = await client.query(
          "select schedule, command, database, username, active from cron.job where jobname = $1",
          [maintenanceJobName(t.db.name)],
        );
        expect(rows).toEqual([
          {
            schedule: "7 * * * *",
            command: MAINTENANCE_SQL,
            database: t.db.name,
            username: t.db.roles.owner,
            active: true,
          },
        ]);
      } finally {
        await client.end();
      }
      // And our database knows, so the worker's crontab stands aside.
      const recorded = await t.root.query(
        "select scheduler, scheduled_job from app_private.maintenance_state",
      );
      expect(recorded.rows).toEqual([
        { scheduler: "pg_cron", scheduled_job: maintenanceJobName(t.db.name) },
      ]);
    } finally {
      expect(await unscheduleMaintenance(rootUrl, t.db.name)).toBe(true);
    }
    expect(await unscheduleMaintenance(rootUrl, t.db.name)).toBe(false);
    const cleared = await t.root.query("select scheduler from app_private.maintenance_state");
    expect(cleared.rows).toEqual([{ scheduler: null }]);
  });
});
