/**
 * maintenance__partitions: routine maintenance from the worker's hourly crontab
 * (DESIGN §5): `app_private.run_maintenance()` creates the coming months'
 * partitions, drops partitions past retention and forgets idle rate-limit
 * buckets, serialised against any overlapping run. Where pg_cron has the job
 * (`forgeline schedule`) and ran it in the last two hours, this run leaves it to
 * pg_cron; if pg_cron stops running it, the worker takes over on its own.
 * Cross-tenant maintenance: runs as the owner, not as a tenant.
 */
import type { Task } from "graphile-worker";

export const maintenance__partitions: Task = async (_payload, helpers) => {
  const elsewhere = await helpers.query<{ elsewhere: boolean }>(
    "select app_private.maintenance_is_scheduled_elsewhere() as elsewhere",
  );
  if (elsewhere.rows[0]?.elsewhere) {
    helpers.logger.info("maintenance: pg_cron runs it on this database; skipped");
    return;
  }
  const { rows } = await helpers.query<{ line: string }>(
    "select line from app_private.run_maintenance(caller => 'worker') as line",
  );
  const done = rows.map((r) => r.line);
  helpers.logger.info(
    done.length ? `maintenance: ${done.join("; ")}` : "maintenance: nothing to do",
    { done },
  );
};
