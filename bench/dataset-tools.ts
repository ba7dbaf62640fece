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
 *
 * With several clients, the batches are split into as many contiguous runs,
 * one per client, run at once: a set-based insert keeps one core busy, and
 * contiguous runs keep the clients apart (in time-ordered data, in different
 * partitions, so they do not queue for the same index pages).
 */
export async function inBatches(
  client: pg.ClientBase | readonly pg.ClientBase[],
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
  const clients: readonly pg.ClientBase[] = Array.isArray(client)
    ? client
    : [client as pg.ClientBase];
  const batches: Array<[number, number]> = [];
  for (let from = 1; from <= count; from += batch)
    batches.push([from, Math.min(count, from + batch - 1)]);
  const bar = progressBar(label, rowsIn(1, count));
  let done = 0;
  await Promise.all(
    clients.map(async (c, lane) => {
      const first = Math.floor((lane * batches.length) / clients.length);
      const end = Math.floor(((lane + 1) * batches.length) / clients.length);
      for (const [from, to] of batches.slice(first, end)) {
        await c.query("begin");
        if (skipTriggers) await c.query("set local session_replication_role = replica");
        await c.query(sql, [from, to, ...extra]);
        await c.query("commit");
        done += rowsIn(from, to);
        bar.update(done);
      }
    }),
  );
  bar.finish();
}
