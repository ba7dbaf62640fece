/**
 * One HTTP load run: autocannon against a URL on 127.0.0.1 for a bounded time
 * with N connections, each sending the same POST with its Authorization header,
 * one request at a time (no pipelining).
 *
 * Latency percentiles are computed here from every 2xx response's duration
 * (autocannon's own histogram rounds to whole milliseconds, too coarse for a
 * 10 % difference on a 2 ms median). Anything that is not a 2xx response —
 * another status, a socket error, a timeout — is an error and is reported, never
 * counted as throughput.
 *
 * A request with a `sequence` sends several bodies instead of one: autocannon's
 * `requests`, which each connection cycles through (request 1, 2, …, n, 1, …),
 * so the mix on the wire is the sequence's. Each answer is then classified by
 * the kind of the request it answers (autocannon calls the request's
 * `onResponse` just before it reports the response, in the same tick), and a
 * 2xx answer carrying GraphQL `errors` is an error too (`GraphQL <code>`):
 * the result has the totals and, in `parts`, the same numbers per kind. Socket
 * errors and timeouts belong to no answer and are counted in the totals only.
 */
import autocannon from "autocannon";
import { LatencyRecorder, outcomeOf, PartTally, perSecond, type LoadResult } from "./stats.ts";

/** One request of a sequence: its kind (the report's unit) and its JSON body. */
export interface SequenceStep {
  kind: string;
  body: string;
}

export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  /** The body of every request; ignored when `sequence` is given. */
  body: string;
  /** Bodies sent in turn by each connection, round and round. */
  sequence?: SequenceStep[];
}

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
  const latencies = new LatencyRecorder();
  const outcomes: Record<string, number> = {};
  let non2xx = 0;
  const sequence = request.sequence;
  const tally = sequence ? new PartTally(sequence.map((step) => step.kind)) : null;
  // Set by a sequence request's onResponse, read by the "response" event that follows it.
  let answered: { index: number; ok: boolean; outcome: string } | null = null;

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
      const socketErrors = summary.errors - summary.timeouts;
      if (socketErrors > 0) outcomes["socket error"] = socketErrors;
      if (summary.timeouts > 0) outcomes.timeout = summary.timeouts;
      resolve({
        connections,
        seconds: Math.round(seconds * 1000) / 1000,
        operations: latencies.count,
        perSecond: perSecond(latencies.count, seconds),
        latencyMs: latencies.summary(),
        errors: non2xx + summary.errors,
        outcomes,
        ...(tally && { parts: tally.results(Math.round(seconds * 1000) / 1000) }),
      });
    };
  });
  const path = new URL(request.url).pathname;
  const instance = autocannon(
    {
      url: request.url,
      method: "POST",
      headers: request.headers,
      body: request.body,
      ...(sequence && {
        requests: sequence.map((step, index) => ({
          method: "POST" as const,
          path,
          headers: request.headers,
          body: step.body,
          onResponse: (status: number, body: string) => {
            answered = { index, ...outcomeOf(status, body) };
          },
        })),
      }),
      connections,
      pipelining: 1,
      duration: durationSeconds,
      timeout: 10,
    },
    (error: unknown, summary) => finish(error, summary),
  );
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    if (tally) {
      const answer = answered;
      answered = null;
      if (!answer) return;
      tally.record(answer.index, answer.ok, answer.outcome, responseTime);
      outcomes[answer.outcome] = (outcomes[answer.outcome] ?? 0) + 1;
      if (answer.ok) latencies.add(responseTime);
      else non2xx++;
      return;
    }
    outcomes[statusCode] = (outcomes[statusCode] ?? 0) + 1;
    if (statusCode < 200 || statusCode >= 300) {
      non2xx++;
      return;
    }
    latencies.add(responseTime);
  });

  return { result, stop: () => instance.stop() };
}
