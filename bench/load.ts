/**
 * One load run: autocannon against a URL on 127.0.0.1 for a bounded time with N
 * connections, each sending the same POST with its Authorization header, one
 * request at a time (no pipelining).
 *
 * Latency percentiles are computed here from every 2xx response's duration
 * (autocannon's own histogram rounds to whole milliseconds, too coarse for a
 * 10 % difference on a 2 ms median). Anything that is not a 2xx response —
 * another status, a socket error, a timeout — is an error and is reported, never
 * counted as throughput.
 */
import autocannon from "autocannon";

export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  /** 2xx responses. */
  requests: number;
  requestsPerSecond: number;
  latencyMs: { mean: number; p50: number; p95: number; p99: number; max: number };
  /** Non-2xx responses + socket errors + timeouts. */
  errors: number;
  statusCodes: Record<string, number>;
  socketErrors: number;
  timeouts: number;
}

/** The p-th percentile (nearest rank) of ascending `sorted`. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export interface RunningLoad {
  result: Promise<LoadResult>;
  /** Ends the run early (Ctrl-C); the result covers what was done. */
  stop(): void;
}

export function runLoad(
  request: LoadRequest,
  connections: number,
  durationSeconds: number,
): RunningLoad {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const statusCodes: Record<string, number> = {};
  let non2xx = 0;

  let finish: (error: unknown, summary: autocannon.Result | undefined) => void = () => undefined;
  const started = performance.now();
  // Created first: autocannon may call back synchronously on bad options.
  const result = new Promise<LoadResult>((resolve, reject) => {
    finish = (error, summary) => {
      if (error || !summary) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const seconds = (performance.now() - started) / 1000;
      const sorted = latencies.slice(0, count).sort();
      let sum = 0;
      for (const value of sorted) sum += value;
      resolve({
        connections,
        seconds: round(seconds),
        requests: count,
        requestsPerSecond: Math.round((count / seconds) * 10) / 10,
        latencyMs: {
          mean: round(sum / Math.max(1, count)),
          p50: round(percentile(sorted, 50)),
          p95: round(percentile(sorted, 95)),
          p99: round(percentile(sorted, 99)),
          max: round(sorted[sorted.length - 1] ?? NaN),
        },
        errors: non2xx + summary.errors,
        statusCodes,
        socketErrors: summary.errors - summary.timeouts,
        timeouts: summary.timeouts,
      });
    };
  });
  const instance = autocannon(
    {
      url: request.url,
      method: "POST",
      headers: request.headers,
      body: request.body,
      connections,
      pipelining: 1,
      duration: durationSeconds,
      timeout: 10,
    },
    (error: unknown, summary) => finish(error, summary),
  );
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode < 200 || statusCode >= 300) {
      non2xx++;
      return;
    }
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = responseTime;
  });

  return { result, stop: () => instance.stop() };
}
