/**
 * maintenance__partitions: routine maintenance from the worker's crontab, every
 * minute (DESIGN §5): `app_private.run_maintenance()` creates the coming months'
 * partitions, drops partitions past retention, forgets idle rate-limit buckets
 * and runs the modules' steps (pipeline step and execution timeouts, artifact
 * expiry), serialised against any overlapping run. Where pg_cron has the job
 * (`forgeline schedule`) and ran it in the last ten minutes, this run leaves it
 * to pg_cron; if pg_cron stops running it, the worker takes over on its own
 * within ten minutes. Runs with nothing to do log at debug level only (there is
 * one a minute). Cross-tenant maintenance: runs as the owner, not as a tenant.
 */
import type { Task } from "graphile-worker";

export const maintenance__partitions: Task = async (_payload, helpers) => {
  const elsewhere = await helpers.query<{ elsewhere: boolean }>(
    "select app_private.maintenance_is_scheduled_elsewhere() as elsewhere",
  );
  if (elsewhere.rows[0]?.elsewhere) {
    helpers.logger.debug("maintenance: pg_cron runs it on this database; skipped");
    return;
  }
  const { rows } = await helpers.query<{ line: string }>(
    "select line from app_private.run_maintenance(caller => 'worker') as line",
  );
  const done = rows.map((r) => r.line);
  if (done.length) helpers.logger.info(`maintenance: ${done.join("; ")}`, { done });
  else helpers.logger.debug("maintenance: nothing to do");
};
