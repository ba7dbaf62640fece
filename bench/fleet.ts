/**
 * A fleet of simulated users for the scale scenarios: N HTTP clients, each
 * with its own keep-alive connection (an agent with one socket) and its own
 * bearer token, each sending its sequence of requests in turn, one at a time.
 *
 * Client i starts at step i of its sequence (so a mix of three reads and a create
 * is that mix from the first second), then goes round and round.
 *
 *   closed  each client sends its next request as soon as the answer arrives
 *           (the most the fleet can get out of the server: throughput, and the
 *           latency that N waiting clients make);
 *   paced   each client sends one request every `intervalMs` (its first after
 *           a random offset within one interval): N users each acting every few
 *           seconds, an offered load of N / interval, whose latency is the
 *           server's answer time at that load, not a queue of N.
 *
 * Every answer is classified as bench/load.ts does (a 2xx without GraphQL errors
 * is a success; a 503 with Retry-After is an error named "503"), and a user told
 * to retry later (503 or 429 with Retry-After) waits that long before its next
 * request, as a well-behaved client does (otherwise a closed loop turns every
 * refusal into an immediate retry, a storm of refusals); socket errors
 * and timeouts are counted, and latency percentiles come from the exact
 * durations of the successes. autocannon cannot give each connection its own
 * header, which is why this exists.
 */
import http from "node:http";
import { LatencyRecorder, outcomeOf, PartTally, perSecond, type LoadResult } from "./stats.ts";

export interface FleetStep {
  kind: string;
  body: string;
}

export interface FleetOptions {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  clients: number;
  /** Client i's token (null: anonymous). */
  token: (client: number) => string | null;
  /** Client i's requests, sent in turn, round and round (each kind counted apart). */
  sequence: (client: number) => FleetStep[];
  durationSeconds: number;
  /** 0: closed loop; else each client starts a request every `intervalMs`. */
  intervalMs: number;
  /** A request unanswered this long is a timeout (its socket is dropped). */
  timeoutMs: number;
}

export interface RunningFleet {
  result: Promise<LoadResult>;
  /** Ends the run early; the result covers what was done. */
  stop(): void;
}

export function runFleet(options: FleetOptions): RunningFleet {
  const target = new URL(options.url);
  const latencies = new LatencyRecorder();
  const outcomes: Record<string, number> = {};
  const sequences = Array.from({ length: options.clients }, (_, i) => options.sequence(i));
  const kinds = sequences[0]?.map((s) => s.kind) ?? [];
  const tally = new PartTally(kinds);
  let errors = 0;
  let stopped = false;
  const agents: http.Agent[] = [];
  // Pending waits: cleared and resolved at once by stop().
  const waits = new Map<NodeJS.Timeout, () => void>();
  const count = (outcome: string) => (outcomes[outcome] = (outcomes[outcome] ?? 0) + 1);

  /** Resolves with the seconds a 503/429 answer's Retry-After asks to wait, else 0. */
  const send = (client: number, step: number, agent: http.Agent): Promise<number> =>
    new Promise((resolve) => {
      const { body } = sequences[client]![step]!;
      const token = options.token(client);
      const started = performance.now();
      let settled = false;
      const done = (ok: boolean, outcome: string, retryAfter = 0) => {
        if (settled) return;
        settled = true;
        count(outcome);
        const ms = performance.now() - started;
        tally.record(step, ok, outcome, ms);
        if (ok) latencies.add(ms);
        else errors++;
        resolve(retryAfter);
      };
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            ...(token && { authorization: `Bearer ${token}` }),
          },
          timeout: options.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const answer = outcomeOf(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"));
            const retryAfter =
              res.statusCode === 503 || res.statusCode === 429
                ? Number(res.headers["retry-after"] ?? 0) || 0
                : 0;
            done(answer.ok, answer.outcome, retryAfter);
          });
          res.on("error", () => done(false, "socket error"));
        },
      );
      req.on("timeout", () => {
        req.destroy();
        done(false, "timeout");
      });
      req.on("error", () => done(false, "socket error"));
      req.end(body);
    });

  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const timer = setTimeout(() => {
        waits.delete(timer);
        resolve();
      }, ms);
      waits.set(timer, resolve);
    });

  const client = async (i: number): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const steps = sequences[i]!.length;
    if (options.intervalMs > 0) await sleep(Math.random() * options.intervalMs);
    // Client i starts at step i of its sequence, so that the fleet's mix is the
    // sequence's from the first second (not every client's first request at once).
    for (let n = i % steps; !stopped && performance.now() < deadline; n++) {
      const at = performance.now();
      const retryAfter = await send(i, n % steps, agent);
      if (retryAfter > 0) {
        // As a well-behaved client does: wait as long as the server asked.
        if (performance.now() + retryAfter * 1000 >= deadline) break;
        await sleep(retryAfter * 1000);
        continue;
      }
      if (options.intervalMs > 0) {
        // The next request's time; none at or after the deadline (a timer may fire a
        // little early, so the deadline is not left to the loop's condition).
        const next = at + options.intervalMs;
        if (next >= deadline) break;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
      }
    }
  };

  const stop = () => {
    stopped = true;
    for (const [timer, resolve] of waits) {
      clearTimeout(timer);
      resolve();
    }
    waits.clear();
  };
  const result = Promise.all(Array.from({ length: options.clients }, (_, i) => client(i))).then(
    () => {
      const seconds = (performance.now() - started) / 1000;
      for (const agent of agents) agent.destroy();
      return {
        connections: options.clients,
        seconds: Math.round(seconds * 1000) / 1000,
        operations: latencies.count,
        perSecond: perSecond(latencies.count, seconds),
        latencyMs: latencies.summary(),
        errors,
        outcomes,
        parts: tally.results(Math.round(seconds * 1000) / 1000),
      };
    },
  );
  return { result, stop };
}
