/**
 * Running graphile-worker jobs in tests. `runOnce` resolves once every job that
 * can run has run, but graphile-worker 0.18 records a job's outcome (completed,
 * or failed until its next attempt) without awaiting it first: a check made
 * right after can still see the job locked. runJobsOnce waits, in a bounded
 * poll, until no job is held by a one-time worker (`otpool-…`).
 */
import { expect } from "vitest";
import { runOnce, type TaskList } from "graphile-worker";
import type pg from "pg";

/** Polls `check` until it is true (up to `tries` × `everyMs`); whether it became true. */
export async function eventually(
  check: () => Promise<boolean>,
  tries = 400,
  everyMs = 50,
): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return false;
}

/** Runs every job that can run now with `taskList`, and waits until their outcomes are recorded. */
export async function runJobsOnce(pool: pg.Pool, taskList: TaskList): Promise<void> {
  await runOnce({ pgPool: pool, taskList });
  const held = async () =>
    (
      await pool.query<{ n: number }>(
        "select count(*)::int as n from graphile_worker._private_jobs where locked_by like 'otpool-%'",
      )
    ).rows[0]!.n;
  expect(await eventually(async () => (await held()) === 0)).toBe(true);
}
