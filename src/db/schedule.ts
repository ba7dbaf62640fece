/**
 * pg_cron scheduling of the maintenance functions (DESIGN §5). pg_cron lives in
 * one database per server, named by `cron.database_name`; jobs for our database
 * are created there with cron.schedule_in_database, to run as our owner role.
 * This is a command for operators, never part of a migration: shadow and test
 * databases cannot have pg_cron.
 */
import { databaseUrl } from "./setup.ts";
import { withClient } from "./pools.ts";

/** What pg_cron runs: the one maintenance entry point, naming itself as the caller. */
export const MAINTENANCE_SQL = "select app_private.run_maintenance(caller => 'pg_cron')";

/** Tells our database who schedules its maintenance (the worker reads it to stand aside). */
async function recordSchedule(rootUrl: string, database: string, jobName: string | null) {
  await withClient(databaseUrl(rootUrl, database), (c) =>
    c.query("select app_private.record_maintenance_schedule($1, $2)", [
      jobName ? "pg_cron" : null,
      jobName,
    ]),
  );
}

export interface ScheduleResult {
  scheduled: boolean;
  /** Why not, when pg_cron is unavailable. */
  reason?: string;
  jobName?: string;
  jobId?: number;
  cronDatabase?: string;
}

export function maintenanceJobName(database: string): string {
  return `forgeline-maintenance:${database}`;
}

/** Finds pg_cron's database on the server of `rootUrl` (a superuser URL); null without pg_cron. */
export async function cronDatabase(rootUrl: string): Promise<string | null> {
  return withClient(rootUrl, async (c) => {
    const { rows } = await c.query<{ db: string | null; preloaded: boolean }>(
      `select current_setting('cron.database_name', true) as db,
              'pg_cron' = any(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) as preloaded`,
    );
    const row = rows[0];
    if (!row?.preloaded) return null;
    return row.db || "postgres";
  });
}

/** Schedules (or reschedules) hourly maintenance of `database` with pg_cron. */
export async function scheduleMaintenance(
  rootUrl: string,
  database: string,
  owner: string,
  schedule = "17 * * * *",
): Promise<ScheduleResult> {
  const cronDb = await cronDatabase(rootUrl);
  if (!cronDb) {
    return {
      scheduled: false,
      reason: "pg_cron is not in shared_preload_libraries on this server",
    };
  }
  return withClient(databaseUrl(rootUrl, cronDb), async (c) => {
    const ext = await c.query("select 1 from pg_extension where extname = 'pg_cron'");
    if (ext.rowCount === 0) {
      return {
        scheduled: false,
        reason: `the pg_cron extension is not created in database "${cronDb}"`,
      };
    }
    const jobName = maintenanceJobName(database);
    const { rows } = await c.query<{ id: string }>(
      "select cron.schedule_in_database($1, $2, $3, $4, $5, true) as id",
      [jobName, schedule, MAINTENANCE_SQL, database, owner],
    );
    await recordSchedule(rootUrl, database, jobName);
    return { scheduled: true, jobName, jobId: Number(rows[0]!.id), cronDatabase: cronDb };
  });
}

/** Removes the maintenance job of `database`, if any. */
export async function unscheduleMaintenance(rootUrl: string, database: string): Promise<boolean> {
  const cronDb = await cronDatabase(rootUrl);
  if (!cronDb) return false;
  return withClient(databaseUrl(rootUrl, cronDb), async (c) => {
    const { rows } = await c.query<{ n: string }>(
      "select count(cron.unschedule(jobid)) as n from cron.job where jobname = $1",
      [maintenanceJobName(database)],
    );
    await recordSchedule(rootUrl, database, null);
    return Number(rows[0]?.n ?? 0) > 0;
  });
}
