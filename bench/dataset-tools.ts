/**
 * Tools for a set's dataset builder (bench/sets/*.ts): set-based SQL written as
 * the superuser in batches (with a progress bar), and deterministic ids, so two
 * runs build the same data and a set knows its ids without a lookup.
 */
import type pg from "pg";
import { progressBar } from "./progress.ts";

/** SQL: a deterministic version-4-shaped UUID from a text expression (md5 of it). */
export function uuidOf(key: string): string {
  return `overlay(overlay(md5(${key}) placing '4' from 13) placing '8' from 17)::uuid`;
}

/**
 * Runs `sql` for units 1..`count` in batches of `batch` ($1 = first, $2 = last,
 * then `extra`), one transaction each, moving a progress bar of
 * `rowsIn(1, count)` rows. With `skipTriggers` (superuser only), the batch runs
 * with session_replication_role = replica: no triggers, foreign-key triggers
 * included, so the builder must keep the data valid itself.
 */
export async function inBatches(
  client: pg.ClientBase,
  options: {
    label: string;
    count: number;
    rowsIn: (from: number, to: number) => number;
    sql: string;
    extra?: unknown[];
    batch?: number;
    skipTriggers?: boolean;
  },
): Promise<void> {
  const { label, count, rowsIn, sql, extra = [], batch = 1_000, skipTriggers = true } = options;
  const bar = progressBar(label, rowsIn(1, count));
  let done = 0;
  for (let from = 1; from <= count; from += batch) {
    const to = Math.min(count, from + batch - 1);
    await client.query("begin");
    if (skipTriggers) await client.query("set local session_replication_role = replica");
    await client.query(sql, [from, to, ...extra]);
    await client.query("commit");
    done += rowsIn(from, to);
    bar.update(done);
  }
  bar.finish();
}
