/**
 * maintenance__partitions: the worker's share of DESIGN §5 maintenance, run from
 * the crontab (hourly) where pg_cron does not schedule it: create the coming
 * months' partitions, drop partitions past retention, forget idle rate-limit
 * buckets. Each step is an idempotent SQL function, so running it again (or
 * alongside pg_cron) changes nothing. Cross-tenant maintenance: runs as the owner.
 */
import type { Task } from "graphile-worker";

export const maintenance__partitions: Task = async (_payload, helpers) => {
  const created = await helpers.query<{ r: string }>(
    "select r from app_private.maintain_partitions() as r",
  );
  const dropped = await helpers.query<{ r: string }>(
    "select r from app_private.apply_retention() as r",
  );
  const pruned = await helpers.query<{ n: string }>(
    "select app_private.prune_rate_limit_buckets() as n",
  );
  helpers.logger.info(
    `maintenance: ${created.rows.length} partition(s) created, ${dropped.rows.length} dropped, ` +
      `${pruned.rows[0]?.n ?? 0} idle rate-limit bucket(s) pruned`,
    { created: created.rows.map((r) => r.r), dropped: dropped.rows.map((r) => r.r) },
  );
};
