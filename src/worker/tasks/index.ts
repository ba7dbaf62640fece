/**
 * The task list: one file per task in this folder, named `<entity>__<action>.ts`,
 * registered here by name, and the crontab that schedules the recurring ones.
 */
import type { TaskList } from "graphile-worker";
import { maintenance__partitions } from "./maintenance__partitions.ts";

export const taskList: TaskList = {
  maintenance__partitions,
};

/**
 * Hourly maintenance (partitions ahead, retention, rate-limit buckets). Where
 * pg_cron schedules the same functions (`forgeline schedule`), both may run: every
 * step is idempotent. `jobKey` keeps at most one queued run.
 */
export const crontab = [
  "17 * * * * maintenance__partitions ?jobKey=maintenance__partitions&max=1",
].join("\n");
