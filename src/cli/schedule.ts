/**
 * `forgeline schedule`: registers maintenance of the configured database with
 * pg_cron, every minute (pipeline timeouts are enforced by it), plus the server's
 * daily purge of forgeline's old cron.job_run_details rows (src/db/schedule.ts).
 * Needs ROOT_DATABASE_URL, a superuser URL. Running it again updates the jobs in
 * place; `--remove` takes this database's job out, and the purge job with the
 * last forgeline maintenance job on the server. Without pg_cron it says so and
 * exits 0: the worker's crontab runs the same maintenance every minute.
 */
import { ConfigError, loadConfig } from "../config.ts";
import {
  InvalidScheduleError,
  MAINTENANCE_SCHEDULE,
  PURGE_JOB_NAME,
  RUN_DETAILS_KEPT,
  scheduleMaintenance,
  unscheduleMaintenance,
} from "../db/schedule.ts";
import { EMBEDDED_DATABASE, EMBEDDED_OWNER } from "../db/resolve.ts";
import { databaseNameOf } from "../db/setup.ts";
import { logger } from "../logger.ts";
import { log } from "../runtime.ts";

const FALLBACK = "the worker's crontab runs maintenance every minute";

export async function scheduleCommand(options: { remove?: boolean; cron?: string }): Promise<void> {
  const config = loadConfig();
  const rootUrl = config.database?.rootUrl;
  if (!rootUrl) {
    if (!config.database) {
      log(`embedded database: no pg_cron; ${FALLBACK}`);
      return;
    }
    throw new ConfigError(
      "ROOT_DATABASE_URL",
      "is required to schedule with pg_cron (a superuser URL)",
    );
  }
  const database = databaseNameOf(config.database!.ownerUrl) || EMBEDDED_DATABASE;
  if (options.remove) {
    await remove(rootUrl, database);
    return;
  }
  const schedule = options.cron?.trim() || MAINTENANCE_SCHEDULE;
  let result;
  try {
    result = await scheduleMaintenance(
      rootUrl,
      database,
      config.database?.ownerRole ?? EMBEDDED_OWNER,
      schedule,
    );
  } catch (e) {
    if (e instanceof InvalidScheduleError) throw new ConfigError("--cron", e.message);
    throw e;
  }
  if (!result.scheduled) {
    log(`not scheduled: ${result.reason}; ${FALLBACK} instead`);
    return;
  }
  const { maintenance: m, purge: p, cronDatabase } = result;
  const every = m.schedule === MAINTENANCE_SCHEDULE ? "every minute" : `at "${m.schedule}"`;
  log(
    `scheduled pg_cron job ${m.jobId} "${m.jobName}" in database ${cronDatabase}: ` +
      `app_private.run_maintenance() in database ${m.database} as ${m.username}, ${every}`,
  );
  log(
    `scheduled pg_cron job ${p.jobId} "${p.jobName}" in database ${cronDatabase}: ` +
      `deletes forgeline's cron.job_run_details older than ${RUN_DETAILS_KEPT}, daily ("${p.schedule}"); ` +
      "one per server, shared by its forgeline databases",
  );
  if (m.schedule !== MAINTENANCE_SCHEDULE) {
    logger.warn(
      `--cron "${m.schedule}" is not every minute: pipeline step and execution timeouts ` +
        "are enforced only when maintenance runs (the worker runs it too whenever pg_cron " +
        "has not for 10 minutes)",
    );
  }
}

async function remove(rootUrl: string, database: string): Promise<void> {
  const result = await unscheduleMaintenance(rootUrl, database);
  if (result.cronDatabase === null) {
    log(`no pg_cron on this server: nothing to remove; ${FALLBACK}`);
    return;
  }
  log(
    result.removed
      ? `removed the pg_cron maintenance job of ${database} (and its run details) from database ${result.cronDatabase}; ${FALLBACK}`
      : `no pg_cron maintenance job for ${database}`,
  );
  if (result.purge === "removed") {
    log(
      `removed pg_cron job "${PURGE_JOB_NAME}": no forgeline maintenance job is left on this server`,
    );
  } else if (result.purge === "kept") {
    log(
      `kept pg_cron job "${PURGE_JOB_NAME}": ${result.otherMaintenanceJobs} other forgeline ` +
        `database${result.otherMaintenanceJobs === 1 ? "" : "s"} on this server still use it`,
    );
  }
}
