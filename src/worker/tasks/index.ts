/**
 * The task list: one file per task in this folder, named `<entity>__<action>.ts`,
 * registered here by name. Later modules add their tasks (Codegen runs, GitHub,
 * Linear and Slack calls) to this map.
 */
import type { TaskList } from "graphile-worker";

export const taskList: TaskList = {};
