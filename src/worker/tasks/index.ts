/**
 * The task list: one file per task in this folder, named `<entity>__<action>.ts`,
 * registered here by name, and the crontab that schedules the recurring ones.
 * A task that reaches the outside world gets what it reaches it through as a
 * dependency (TaskDependencies), so tests bind it to their own.
 */
import type { TaskList } from "graphile-worker";
import type { ArtifactStorage } from "../../storage/artifacts.ts";
import { configuredArtifactStorage } from "../../storage/index.ts";
import { maintenance__partitions } from "./maintenance__partitions.ts";
import { pipeline_artifacts__delete } from "./pipeline_artifacts__delete.ts";

export interface TaskDependencies {
  /** Where pipeline artifacts' objects are stored (src/storage/). */
  artifacts: ArtifactStorage;
}

/** Every task, bound to its dependencies (the worker's come from the configuration, src/worker/runner.ts). */
export function createTaskList(deps: TaskDependencies): TaskList {
  return {
    maintenance__partitions,
    pipeline_artifacts__delete: pipeline_artifacts__delete(deps.artifacts),
  };
}

/** Every task, with the dependencies of the environment's configuration (made on first use). */
export const taskList: TaskList = createTaskList({ artifacts: configuredArtifactStorage() });

/**
 * Maintenance every minute (partitions ahead, retention, rate-limit buckets and
 * the modules' steps: pipeline step and execution timeouts are enforced by it;
 * a run with nothing to do is cheap). Where pg_cron runs it (`forgeline
 * schedule`), the task stands aside; were both to run, every step is idempotent
 * and overlapping runs are serialised. `jobKey` keeps at most one queued run.
 */
export const crontab = [
  "* * * * * maintenance__partitions ?jobKey=maintenance__partitions&max=1",
].join("\n");
