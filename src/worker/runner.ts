/**
 * The graphile-worker runner, connected as the owner role. It runs in the same
 * process as the API under `forgeline start`, or alone under `forgeline worker`.
 * Signals are handled by our CLI (graceful stop of everything), not by the worker.
 * Its log lines go to the process's JSON logger; finished jobs are counted in
 * forgeline_worker_jobs_total (src/server/metrics.ts).
 */
import { EventEmitter } from "node:events";
import type { Pool } from "pg";
import {
  Logger,
  parseCrontab,
  run,
  type Runner,
  type TaskList,
  type WorkerEvents,
} from "graphile-worker";
import { loadConfig } from "../config.ts";
import { logger } from "../logger.ts";
import { observeWorker } from "../metrics.ts";
import type { ArtifactStorage } from "../storage/artifacts.ts";
import { artifactStorageFor } from "../storage/index.ts";
import { createTaskList, crontab } from "./tasks/index.ts";

export interface WorkerOptions {
  pool: Pool;
  concurrency: number;
  /** Replaces the task list, and turns the crontab off (tests run their own tasks). */
  taskList?: TaskList;
  /**
   * The artifact storage the tasks use; default: the one the environment's
   * configuration names (ARTIFACT_STORAGE_DIR), made here at start-up.
   */
  artifacts?: ArtifactStorage;
  pollInterval?: number;
}

const workerLog = logger.child({ component: "worker" });

/**
 * graphile-worker's logger interface over pino (its "warning" is pino's "warn").
 * A job in its metadata is reduced to what identifies it: payloads can be large
 * and may carry what does not belong in logs.
 */
const workerLogger = new Logger((scope) => (level, message, meta) => {
  const { job, error, ...rest } = meta ?? {};
  const fields: Record<string, unknown> = { ...scope, ...rest };
  if (job && typeof job === "object") {
    const j = job as {
      id?: unknown;
      task_identifier?: unknown;
      attempts?: unknown;
      max_attempts?: unknown;
    };
    fields.job = {
      id: j.id,
      task: j.task_identifier,
      attempts: j.attempts,
      maxAttempts: j.max_attempts,
    };
  }
  if (error !== undefined) fields.err = error;
  switch (level as string) {
    case "error":
      workerLog.error(fields, message);
      break;
    case "warning":
      workerLog.warn(fields, message);
      break;
    case "info":
      // Maintenance runs every minute: its routine successes are debug, not 1,440 info lines a day.
      if ((fields.job as { task?: unknown } | undefined)?.task === "maintenance__partitions") {
        workerLog.debug(fields, message);
      } else {
        workerLog.info(fields, message);
      }
      break;
    default:
      workerLog.debug(fields, message);
  }
});

export async function startWorker(options: WorkerOptions): Promise<Runner> {
  // Our own emitter, observed before the runner starts, so no early job goes uncounted.
  const events = new EventEmitter() as WorkerEvents;
  observeWorker(events);
  return run({
    pgPool: options.pool,
    taskList:
      options.taskList ??
      createTaskList({ artifacts: options.artifacts ?? artifactStorageFor(loadConfig()) }),
    concurrency: options.concurrency,
    noHandleSignals: true,
    pollInterval: options.pollInterval ?? 2000,
    // Recurring maintenance belongs to the real task list only.
    parsedCronItems: options.taskList ? [] : parseCrontab(crontab),
    logger: workerLogger,
    events,
  });
}
