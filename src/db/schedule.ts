/**
 * pg_cron scheduling of the maintenance entry point (DESIGN §5). pg_cron lives in
 * one database per server, named by `cron.database_name`; our jobs are created
 * there with cron.schedule_in_database. This is a command for operators, never
 * part of a migration: shadow and test databases cannot have pg_cron.
 *
 * Two kinds of job, both named `forgeline-…` in cron.job:
 *
 * - `forgeline-maintenance:<database>`, one per database: runs
 *   app_private.run_maintenance() every minute (pipeline step and execution
 *   timeouts are enforced by it) in that database as its owner role.
 * - `forgeline-purge-job-run-details`, one per server: pg_cron writes a row into
 *   cron.job_run_details for every run and never deletes any (a minutely job adds
 *   1,440 a day), so once a day this deletes the rows of forgeline's jobs older
 *   than 7 days. Only forgeline's: another application on the same server keeps
 *   its history. Every forgeline database on the server shares it, so it is
 *   removed only with the last `forgeline-maintenance:` job.
 *
 * Both are idempotent: scheduling again updates the job in place (same jobid),
 * whoever owned it before, and leaves one job per name. Schedule and unschedule
 * take an advisory lock in pg_cron's database, so two of them at once (two
 * databases of one server) cannot leave a purge job without maintenance jobs or
 * maintenance jobs without a purge job.
 */
import type pg from "pg";
import { databaseUrl } from "./setup.ts";
import { withClient } from "./pools.ts";

/** What pg_cron runs: the one maintenance entry point, naming itself as the caller. */
export const MAINTENANCE_SQL = "select app_private.run_maintenance(caller => 'pg_cron')";

/** Every minute: maintenance enforces pipeline timeouts, and is cheap when there is nothing to do. */
export const MAINTENANCE_SCHEDULE = "* * * * *";

const MAINTENANCE_JOB_PREFIX = "forgeline-maintenance:";

export function maintenanceJobName(database: string): string {
  return `${MAINTENANCE_JOB_PREFIX}${database}`;
}

/** The per-server job that keeps cron.job_run_details small. */
export const PURGE_JOB_NAME = "forgeline-purge-job-run-details";

/** Daily, at a quiet minute (pg_cron's clock: GMT unless cron.timezone says otherwise). */
export const PURGE_SCHEDULE = "43 3 * * *";

/** How long the run details of forgeline's jobs are kept. */
export const RUN_DETAILS_KEPT = "7 days";

/**
 * What the purge job runs, in pg_cron's database: the run details of every
 * `forgeline-…` job (every database's, its own included) older than
 * RUN_DETAILS_KEPT. A run that never ended counts from its start.
 */
export const PURGE_SQL =
  "delete from cron.job_run_details d using cron.job j" +
  " where j.jobid = d.jobid and j.jobname like 'forgeline-%'" +
  ` and coalesce(d.end_time, d.start_time) < now() - interval '${RUN_DETAILS_KEPT}'`;

/** Serialises schedule and unschedule of every forgeline database on the server (an advisory lock key). */
export const SCHEDULE_LOCK = "forgeline.schedule";

/** Tells our database who schedules its maintenance (the worker reads it to stand aside). */
async function recordSchedule(rootUrl: string, database: string, jobName: string | null) {
  await withClient(databaseUrl(rootUrl, database), (c) =>
    c.query("select app_private.record_maintenance_schedule($1, $2)", [
      jobName ? "pg_cron" : null,
      jobName,
    ]),
  );
}

export interface CronJob {
  jobId: number;
  jobName: string;
  schedule: string;
  command: string;
  /** The database the job runs in. */
  database: string;
  /** The role it runs as. */
  username: string;
}

export type ScheduleResult =
  | {
      scheduled: true;
      /** pg_cron's database, where cron.job is. */
      cronDatabase: string;
      maintenance: CronJob;
      purge: CronJob;
    }
  | {
      scheduled: false;
      /** Why not: pg_cron is unavailable. */
      reason: string;
    };

/** A schedule pg_cron refused (SQLSTATE 22023, "invalid schedule"). */
export class InvalidScheduleError extends Error {
  readonly schedule: string;
  constructor(schedule: string) {
    super(`"${schedule}" is not a schedule pg_cron accepts`);
    this.schedule = schedule;
    this.name = "InvalidScheduleError";
  }
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

/** Why pg_cron cannot take jobs on this server, or null when it can (and its database). */
async function cronAvailable(
  rootUrl: string,
): Promise<{ cronDb: string; reason?: undefined } | { cronDb?: undefined; reason: string }> {
  const cronDb = await cronDatabase(rootUrl);
  if (!cronDb) return { reason: "pg_cron is not in shared_preload_libraries on this server" };
  const created = await withClient(databaseUrl(rootUrl, cronDb), async (c) => {
    const { rowCount } = await c.query("select 1 from pg_extension where extname = 'pg_cron'");
    return rowCount !== 0;
  });
  if (!created) return { reason: `the pg_cron extension is not created in database "${cronDb}"` };
  return { cronDb };
}

/** Runs `fn` in one transaction in pg_cron's database, holding the schedule lock. */
async function inCronDatabase<T>(
  rootUrl: string,
  cronDb: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  return withClient(databaseUrl(rootUrl, cronDb), async (c) => {
    await c.query("begin");
    try {
      await c.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [SCHEDULE_LOCK]);
      const result = await fn(c);
      await c.query("commit");
      return result;
    } catch (e) {
      await c.query("rollback").catch(() => undefined);
      throw e;
    }
  });
}

async function jobsNamed(c: pg.Client, name: string): Promise<CronJob[]> {
  const { rows } = await c.query<{
    jobid: string;
    jobname: string;
    schedule: string;
    command: string;
    database: string;
    username: string;
  }>(
    `select jobid, jobname, schedule, command, database, username
       from cron.job where jobname = $1 order by jobid`,
    [name],
  );
  return rows.map((r) => ({
    jobId: Number(r.jobid),
    jobName: r.jobname,
    schedule: r.schedule,
    command: r.command,
    database: r.database,
    username: r.username,
  }));
}

/** Removes jobs and the run details pg_cron kept of them. */
async function removeJobs(c: pg.Client, jobs: CronJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const ids = jobs.map((j) => j.jobId);
  await c.query("select cron.unschedule(id) from unnest($1::bigint[]) as id", [ids]);
  await c.query("delete from cron.job_run_details where jobid = any($1::bigint[])", [ids]);
}

/**
 * Creates the job named `job.jobName`, or updates the existing one in place. pg_cron's
 * own upsert is keyed by (name, role), so a job of an earlier owner role would be kept
 * beside the new one; here the name alone decides, and any extra job of that name goes.
 */
async function putJob(c: pg.Client, job: Omit<CronJob, "jobId">): Promise<CronJob> {
  const [existing, ...extra] = await jobsNamed(c, job.jobName);
  let jobId: number;
  try {
    if (existing) {
      jobId = existing.jobId;
      await c.query("select cron.alter_job($1, $2, $3, $4, $5, true)", [
        jobId,
        job.schedule,
        job.command,
        job.database,
        job.username,
      ]);
    } else {
      const { rows } = await c.query<{ id: string }>(
        "select cron.schedule_in_database($1, $2, $3, $4, $5, true) as id",
        [job.jobName, job.schedule, job.command, job.database, job.username],
      );
      jobId = Number(rows[0]!.id);
    }
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === "22023" && /invalid schedule/i.test(err.message ?? "")) {
      throw new InvalidScheduleError(job.schedule);
    }
    throw e;
  }
  await removeJobs(c, extra);
  return { ...job, jobId };
}

/**
 * Schedules (or reschedules) maintenance of `database` with pg_cron, every minute
 * unless `schedule` says otherwise, and the server's daily purge of forgeline's run
 * details. `rootUrl` is a superuser URL; the maintenance job runs as `owner`.
 */
export async function scheduleMaintenance(
  rootUrl: string,
  database: string,
  owner: string,
  schedule = MAINTENANCE_SCHEDULE,
): Promise<ScheduleResult> {
  const available = await cronAvailable(rootUrl);
  if (available.reason !== undefined) return { scheduled: false, reason: available.reason };
  const { cronDb } = available;
  const jobs = await inCronDatabase(rootUrl, cronDb, async (c) => {
    const maintenance = await putJob(c, {
      jobName: maintenanceJobName(database),
      schedule,
      command: MAINTENANCE_SQL,
      database,
      username: owner,
    });
    const { rows } = await c.query<{ me: string }>("select current_user as me");
    const purge = await putJob(c, {
      jobName: PURGE_JOB_NAME,
      schedule: PURGE_SCHEDULE,
      command: PURGE_SQL,
      database: cronDb,
      username: rows[0]!.me,
    });
    return { maintenance, purge };
  });
  await recordSchedule(rootUrl, database, jobs.maintenance.jobName);
  return { scheduled: true, cronDatabase: cronDb, ...jobs };
}

export interface UnscheduleResult {
  /** pg_cron's database; null without pg_cron (nothing was done). */
  cronDatabase: string | null;
  /** Whether `database` had a maintenance job (now removed). */
  removed: boolean;
  /** What became of the per-server purge job. */
  purge: "removed" | "kept" | "absent";
  /** Maintenance jobs of other databases still on the server (they keep the purge job). */
  otherMaintenanceJobs: number;
}

/**
 * Removes the maintenance job of `database` (and its run details), and the purge
 * job too when no forgeline maintenance job is left on the server.
 */
export async function unscheduleMaintenance(
  rootUrl: string,
  database: string,
): Promise<UnscheduleResult> {
  const available = await cronAvailable(rootUrl);
  if (available.reason !== undefined) {
    // Nothing to remove, but the worker need not wait for a pg_cron that is gone.
    await recordSchedule(rootUrl, database, null);
    return { cronDatabase: null, removed: false, purge: "absent", otherMaintenanceJobs: 0 };
  }
  const { cronDb } = available;
  const result = await inCronDatabase(rootUrl, cronDb, async (c) => {
    const ours = await jobsNamed(c, maintenanceJobName(database));
    await removeJobs(c, ours);
    const { rows } = await c.query<{ n: number }>(
      "select count(*)::int as n from cron.job where starts_with(jobname, $1)",
      [MAINTENANCE_JOB_PREFIX],
    );
    const others = rows[0]!.n;
    const purges = await jobsNamed(c, PURGE_JOB_NAME);
    let purge: UnscheduleResult["purge"] = purges.length > 0 ? "kept" : "absent";
    if (others === 0 && purges.length > 0) {
      await removeJobs(c, purges);
      purge = "removed";
    }
    return { removed: ours.length > 0, purge, otherMaintenanceJobs: others };
  });
  await recordSchedule(rootUrl, database, null);
  return { cronDatabase: cronDb, ...result };
}
