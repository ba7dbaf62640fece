/**
 * `forgeline schedule`: registers hourly maintenance of the configured database
 * with pg_cron (needs ROOT_DATABASE_URL, a superuser URL). Without pg_cron it
 * says so and exits 0: the worker's crontab runs the same maintenance hourly.
 */
import { ConfigError, loadConfig } from "../config.ts";
import { scheduleMaintenance, unscheduleMaintenance } from "../db/schedule.ts";
import { EMBEDDED_DATABASE, EMBEDDED_OWNER } from "../db/resolve.ts";
import { databaseNameOf } from "../db/setup.ts";
import { log } from "../runtime.ts";

export async function scheduleCommand(options: { remove?: boolean; cron?: string }): Promise<void> {
  const config = loadConfig();
  const rootUrl = config.database?.rootUrl;
  if (!rootUrl) {
    if (!config.database) {
      log("embedded database: no pg_cron; the worker's crontab runs maintenance hourly");
      return;
    }
    throw new ConfigError(
      "ROOT_DATABASE_URL",
      "is required to schedule with pg_cron (a superuser URL)",
    );
  }
  const database = databaseNameOf(config.database!.ownerUrl) || EMBEDDED_DATABASE;
  if (options.remove) {
    const removed = await unscheduleMaintenance(rootUrl, database);
    log(
      removed
        ? `removed the pg_cron maintenance job of ${database}`
        : `no pg_cron maintenance job for ${database}`,
    );
    return;
  }
  const result = await scheduleMaintenance(
    rootUrl,
    database,
    config.database?.ownerRole ?? EMBEDDED_OWNER,
    options.cron,
  );
  if (!result.scheduled) {
    log(`not scheduled: ${result.reason}; the worker's crontab runs maintenance hourly instead`);
    return;
  }
  log(
    `scheduled pg_cron job ${result.jobId} "${result.jobName}" in database ${result.cronDatabase}`,
  );
}
