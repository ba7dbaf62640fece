/**
 * One database-level load run: N pg connections of the bench process, each
 * calling `call` in a loop (the next call starts when the previous one has
 * committed) until the time is up. No HTTP: what it measures is the database's
 * work plus the protocol round trips, as a pooled server sees them.
 *
 * A call's latency is its whole transaction (begin … commit) as the client sees
 * it; percentiles come from every successful call. A call that throws is an
 * error, counted by SQLSTATE, never as throughput; a connection that fails
 * with something other than a SQL error (it is broken) stops looping.
 */
import type pg from "pg";
import type { RunningLoad } from "./load.ts";
import { LatencyRecorder, perSecond, type LoadResult } from "./stats.ts";

export type SqlCall = (client: pg.Client) => Promise<unknown>;

const isSqlError = (e: unknown): e is { code: string } =>
  typeof e === "object" &&
  e !== null &&
  typeof (e as { code?: unknown }).code === "string" &&
  /^[0-9A-Z]{5}$/.test((e as { code: string }).code);

export function runSqlLoad(
  clients: pg.Client[],
  call: SqlCall,
  durationSeconds: number,
): RunningLoad {
  const latencies = new LatencyRecorder();
  const outcomes: Record<string, number> = {};
  let errors = 0;
  let stopped = false;
  const started = performance.now();
  const deadline = started + durationSeconds * 1000;

  const loop = async (client: pg.Client) => {
    while (!stopped && performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await call(client);
        latencies.add(performance.now() - t0);
      } catch (e) {
        errors++;
        const code = isSqlError(e) ? e.code : "connection error";
        outcomes[code] = (outcomes[code] ?? 0) + 1;
        if (!isSqlError(e)) return;
      }
    }
  };

  const result = Promise.all(clients.map(loop)).then((): LoadResult => {
    const seconds = (performance.now() - started) / 1000;
    if (latencies.count > 0) outcomes.ok = latencies.count;
    return {
      connections: clients.length,
      seconds: Math.round(seconds * 1000) / 1000,
      operations: latencies.count,
      perSecond: perSecond(latencies.count, seconds),
      latencyMs: latencies.summary(),
      errors,
      outcomes,
    };
  });
  return {
    result,
    stop: () => {
      stopped = true;
    },
  };
}
