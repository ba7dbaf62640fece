/**
 * `forgeline serve --processes N`: N API processes on one port, so one host uses
 * all of its cores (Node's cluster module: the primary accepts connections and
 * hands them round-robin to the workers; each worker is a whole API server with
 * its own pool of API_POOL_SIZE connections).
 *
 * The primary runs no API itself. It checks what a worker would fail on first
 * (the configuration, the port), starts one worker and waits for it to serve (so
 * a start-up mistake is reported once, not N times), then the rest; it prints the
 * start-up lines once, when all of them serve. A worker that dies later is replaced (after 1 s, longer if
 * it keeps dying). On SIGINT/SIGTERM (or when its npm parent is gone) it asks
 * every worker to stop, each drains its requests, and it exits when all have; a
 * second signal ends them at once. A worker whose primary is gone stops too.
 *
 * What must hold across processes lives in PostgreSQL (the rate limit's buckets,
 * every rule); /metrics, answered by whichever worker gets the scrape, reports the
 * whole cluster (src/metrics.ts): the worker asks the primary, which collects every
 * worker's registry over IPC (prom-client's AggregatorRegistry) and sums them.
 */
import cluster, { type Worker } from "node:cluster";
import { constants } from "node:os";
import { AggregatorRegistry } from "prom-client";
import { ConfigError, type Config } from "../config.ts";
import { logger } from "../logger.ts";
import { assertCanListen } from "../preflight.ts";
import { registry, setMetricsSource } from "../metrics.ts";
import { watchNpmParent } from "./npm-parent.ts";

/** What a worker tells the primary once it serves. */
interface ReadyMessage {
  type: "forgeline:ready";
  url: string;
  graphiql: boolean;
}
interface StopMessage {
  type: "forgeline:stop";
}
interface MetricsRequest {
  type: "forgeline:metrics-request";
  id: number;
}
interface MetricsResponse {
  type: "forgeline:metrics-response";
  id: number;
  text?: string;
  error?: string;
}
type Message = ReadyMessage | StopMessage | MetricsRequest | MetricsResponse;

function isMessage(m: unknown): m is Message {
  return (
    typeof m === "object" &&
    m !== null &&
    typeof (m as { type?: unknown }).type === "string" &&
    (m as { type: string }).type.startsWith("forgeline:")
  );
}

const log = (line: string) => logger.info(line);

/** The number of API processes `serve` runs: `--processes` when given, else API_PROCESSES. */
export function processesOf(flag: string | undefined, config: Config): number {
  if (flag === undefined) return config.env.API_PROCESSES;
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new ConfigError("--processes", `must be a whole number from 1 to 64 (got "${flag}")`);
  }
  return n;
}

/**
 * The primary of `serve --processes N` (N ≥ 2). Resolves never: the process
 * exits when the workers have stopped.
 */
export async function runClusterPrimary(processes: number, config: Config): Promise<void> {
  if (!config.database) {
    throw new ConfigError(
      "DATABASE_URL",
      "is required to run several API processes (--processes / API_PROCESSES); the embedded default runs one: use `forgeline start`",
    );
  }
  await assertCanListen({
    host: config.env.HOST,
    port: config.env.PORT,
    hostVariable: "HOST",
    portVariable: "PORT",
  });

  const aggregator = new AggregatorRegistry();
  const ready = new Set<Worker>();
  const living = new Set<Worker>();
  let stopping = false;
  let started = false;
  let restartDelayMs = 500;
  let exitCode = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    living.add(worker);
    const bornAt = Date.now();
    worker.on("message", (m: unknown) => {
      if (!isMessage(m)) return;
      if (m.type === "forgeline:ready") {
        ready.add(worker);
        onReady(m);
      } else if (m.type === "forgeline:metrics-request") {
        aggregator.clusterMetrics().then(
          (text) => {
            const summary =
              "# HELP forgeline_api_processes API processes whose metrics this scrape sums.\n" +
              "# TYPE forgeline_api_processes gauge\n" +
              `forgeline_api_processes ${ready.size}\n`;
            send(worker, { type: "forgeline:metrics-response", id: m.id, text: text + summary });
          },
          (e: unknown) =>
            send(worker, {
              type: "forgeline:metrics-response",
              id: m.id,
              error: e instanceof Error ? e.message : String(e),
            }),
        );
      }
    });
    worker.on("exit", (code, signal) => {
      const wasReady = ready.delete(worker);
      living.delete(worker);
      if (stopping) {
        if (code !== 0) exitCode = 1;
        if (living.size === 0) {
          log("stopped cleanly");
          process.exit(exitCode);
        }
        return;
      }
      if (!started) {
        // The first worker could not start: it said why (one line); so does the primary's exit code.
        logger.error(`the API process could not start (exit code ${code ?? signal})`);
        stopAll();
        process.exit(code && code > 0 ? code : 1);
      }
      const lived = Date.now() - bornAt;
      restartDelayMs = lived > 30_000 ? 1000 : Math.min(restartDelayMs * 2, 30_000);
      logger.error(
        `API process ${worker.process.pid} ${wasReady ? "died" : "failed to start"} (${signal ?? `exit code ${code}`}): starting another in ${restartDelayMs / 1000} s`,
      );
      setTimeout(() => {
        if (!stopping) fork();
      }, restartDelayMs).unref();
    });
    return worker;
  };

  let announced = false;
  const onReady = (m: ReadyMessage) => {
    if (!started) {
      // The first one started: the configuration works; start the others.
      started = true;
      for (let i = 1; i < processes; i++) fork();
    }
    if (announced || ready.size < processes) return;
    announced = true;
    log(`GraphQL API: ${m.url}/graphql (POST; bearer token optional), ${processes} processes`);
    if (m.graphiql) log(`Ruru (GraphiQL): ${m.url}/graphiql`);
    log(`health: ${m.url}/healthz  readiness: ${m.url}/readyz  metrics: ${m.url}/metrics`);
  };

  const stopAll = () => {
    for (const worker of living) send(worker, { type: "forgeline:stop" });
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: ending the API processes now`);
      for (const worker of living) worker.process.kill("SIGKILL");
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    stopping = true;
    if (!started) {
      logger.warn(`${signal} during start-up: exiting`);
      for (const worker of living) worker.process.kill("SIGTERM");
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    log(`${signal} received: stopping the API processes (in-flight requests finish first)`);
    // A terminal's Ctrl-C reached the workers too (one process group); asking again is harmless.
    stopAll();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  watchNpmParent((npmPid) => {
    logger.warn(`npm (pid ${npmPid}), which started this process, is gone`);
    onSignal("SIGTERM");
  });

  fork();
  await new Promise<never>(() => undefined);
}

function send(worker: Worker, message: Message): void {
  if (worker.isConnected()) worker.send(message);
}

/** In a worker of `serve --processes N`: what links it to the primary. */
export interface ClusterWorkerLink {
  /** Tells the primary this worker serves at `url`. */
  ready(url: string, graphiql: boolean): void;
}

/**
 * Sets up a cluster worker: scrapes of /metrics answer for the whole cluster,
 * and `onStop` is called when the primary asks this worker to stop or is gone.
 */
export function joinCluster(onStop: (reason: string, exitCode: number) => void): ClusterWorkerLink {
  // Answer the primary's requests for this process's registry.
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry();
  let nextId = 0;
  const pending = new Map<
    number,
    { resolve: (text: string) => void; reject: (e: Error) => void }
  >();
  process.on("message", (m: unknown) => {
    if (!isMessage(m)) return;
    if (m.type === "forgeline:stop") onStop("stop requested by the primary process", 0);
    else if (m.type === "forgeline:metrics-response") {
      const waiter = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) waiter?.reject(new Error(`cluster metrics: ${m.error}`));
      else waiter?.resolve(m.text ?? "");
    }
  });
  process.on("disconnect", () => onStop("the primary process is gone", 1));
  setMetricsSource(
    () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error("cluster metrics: the primary process did not answer in 10 s"));
        }, 10_000);
        pending.set(id, {
          resolve: (text) => {
            clearTimeout(timer);
            resolve(text);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        process.send?.({ type: "forgeline:metrics-request", id } satisfies MetricsRequest);
      }),
  );
  return {
    ready(url, graphiql) {
      process.send?.({ type: "forgeline:ready", url, graphiql } satisfies ReadyMessage);
    },
  };
}

/** Whether this process is a worker of `serve --processes N`. */
export const isClusterWorker = (): boolean => cluster.isWorker;
