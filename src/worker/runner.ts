/**
 * The graphile-worker runner, connected as the owner role. It runs in the same
 * process as the API under `forgeline start`, or alone under `forgeline worker`.
 * Signals are handled by our CLI (graceful stop of everything), not by the worker.
 */
import type { Pool } from "pg";
import { run, type Runner } from "graphile-worker";
import { taskList } from "./tasks/index.ts";

export interface WorkerOptions {
  pool: Pool;
  concurrency: number;
}

export async function startWorker(options: WorkerOptions): Promise<Runner> {
  return run({
    pgPool: options.pool,
    taskList,
    concurrency: options.concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    parsedCronItems: [],
  });
}
