/**
 * Prometheus metrics: one registry per process, served at GET /metrics by the API
 * server (src/server/http.ts) or, for `forgeline worker` alone, by the small
 * server of src/runtime.ts (METRICS_PORT).
 *
 *   forgeline_http_requests_total{operation,status}            counter
 *   forgeline_http_request_duration_seconds{operation,status}  histogram
 *   forgeline_graphql_errors_total{code}                       counter
 *   forgeline_rate_limit_rejections_total                      counter
 *   forgeline_overload_rejections_total{reason}                counter (queue_full|queue_timeout)
 *   forgeline_api_requests{state}                              gauge (in_flight|queued), at scrape
 *   forgeline_db_pool_connections{pool,state}                  gauge (total|idle|waiting)
 *   forgeline_worker_jobs_total{task,outcome}                  counter (success|failure)
 *   forgeline_worker_jobs_queued{task}                         gauge, read at scrape time
 *   forgeline_worker_queue_oldest_seconds                      gauge, read at scrape time
 *   forgeline_process_*, forgeline_nodejs_*                    prom-client's defaults
 *
 * Under `forgeline serve --processes N` (src/cli/cluster.ts) a scrape reaches one
 * of the processes, which answers for all of them: counters and histograms
 * summed over the processes, gauges summed too (pool connections, requests in
 * flight), plus forgeline_api_processes (how many answered).
 *
 * Label values a client could choose are bounded: operation names must be
 * 1–64 characters of [A-Za-z0-9_] (else `invalid`), and after MAX_OPERATIONS
 * distinct names every new one is `other`, so random names cannot grow the
 * series without limit.
 */
import type { ServerResponse } from "node:http";
import type { Admission } from "./server/admission.ts";
import type { Pool } from "pg";
import type { WorkerEvents } from "graphile-worker";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { logger } from "./logger.ts";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "forgeline_" });

const LABEL_VALUE = /^[A-Za-z0-9_]{1,64}$/;
export const MAX_OPERATIONS = 500;
const seenOperations = new Set<string>();

/** The `operation` label for a GraphQL operation name (null/empty: `anonymous`). */
export function operationLabel(name: string | null | undefined): string {
  if (name === null || name === undefined || name === "") return "anonymous";
  if (!LABEL_VALUE.test(name)) return "invalid";
  if (seenOperations.has(name)) return name;
  if (seenOperations.size >= MAX_OPERATIONS) return "other";
  seenOperations.add(name);
  return name;
}

const httpRequests = new Counter({
  name: "forgeline_http_requests_total",
  help: "HTTP requests by GraphQL operation name (or route) and status code.",
  labelNames: ["operation", "status"] as const,
  registers: [registry],
});

const httpDuration = new Histogram({
  name: "forgeline_http_request_duration_seconds",
  help: "HTTP request duration in seconds, by GraphQL operation name (or route) and status code.",
  labelNames: ["operation", "status"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export function observeHttpRequest(operation: string, status: number, seconds: number): void {
  const labels = { operation, status: String(status) };
  httpRequests.inc(labels);
  httpDuration.observe(labels, seconds);
}

const graphqlErrors = new Counter({
  name: "forgeline_graphql_errors_total",
  help: "GraphQL errors returned to clients, by extensions.code (GRAPHQL_VALIDATION: the document or its variables were refused).",
  labelNames: ["code"] as const,
  registers: [registry],
});

export function countGraphqlError(code: unknown): void {
  graphqlErrors.inc({
    code: typeof code === "string" && LABEL_VALUE.test(code) ? code : "OTHER",
  });
}

export const rateLimitRejections = new Counter({
  name: "forgeline_rate_limit_rejections_total",
  help: "Requests refused with HTTP 429 by the per-tenant rate limit.",
  registers: [registry],
});

export const overloadRejections = new Counter({
  name: "forgeline_overload_rejections_total",
  help: "GraphQL requests answered 503 because the API was at capacity: the wait queue was full, or the request waited API_QUEUE_TIMEOUT_MS.",
  labelNames: ["reason"] as const,
  registers: [registry],
});

const admissions = new Set<Admission>();

new Gauge({
  name: "forgeline_api_requests",
  help: "GraphQL requests past the admission gate (in_flight) and waiting for a place (queued).",
  labelNames: ["state"] as const,
  registers: [registry],
  collect() {
    let inFlight = 0;
    let queued = 0;
    for (const admission of admissions) {
      inFlight += admission.inFlight();
      queued += admission.queued();
    }
    this.set({ state: "in_flight" }, inFlight);
    this.set({ state: "queued" }, queued);
  },
});

/** Reports an API server's admission gate until the returned function is called. */
export function registerAdmission(admission: Admission): () => void {
  admissions.add(admission);
  return () => void admissions.delete(admission);
}

const pools = new Map<string, Pool>();

new Gauge({
  name: "forgeline_db_pool_connections",
  help: "Connections of each database pool: total (open), idle, and waiting (callers queued for one).",
  labelNames: ["pool", "state"] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [name, pool] of pools) {
      this.set({ pool: name, state: "total" }, pool.totalCount);
      this.set({ pool: name, state: "idle" }, pool.idleCount);
      this.set({ pool: name, state: "waiting" }, pool.waitingCount);
    }
  },
});

/** Reports `pool` under `name` until the returned function is called. */
export function registerPool(name: string, pool: Pool): () => void {
  pools.set(name, pool);
  return () => {
    if (pools.get(name) === pool) pools.delete(name);
  };
}

const workerJobs = new Counter({
  name: "forgeline_worker_jobs_total",
  help: "Job attempts finished by this process's worker, by task and outcome (success|failure; each failed attempt counts).",
  labelNames: ["task", "outcome"] as const,
  registers: [registry],
});

/** Counts the finished jobs a runner reports on `events` (the listeners go with it). */
export function observeWorker(events: WorkerEvents): void {
  events.on("job:success", ({ job }) => {
    workerJobs.inc({ task: job.task_identifier, outcome: "success" });
  });
  events.on("job:error", ({ job }) => {
    workerJobs.inc({ task: job.task_identifier, outcome: "failure" });
  });
}

// The queue is read at scrape time with one query on the worker's (owner) pool:
// jobs that can run now (not locked, attempts left, run_at reached), by task. Every
// task graphile-worker has seen gets a row, so a drained queue reports 0 rather
// than dropping the series. `is_available and run_at <= now()` is the predicate of
// graphile-worker's own main index (jobs_main_index), so this stays cheap.
const QUEUE_SQL = `
  select tasks.identifier as task,
         count(jobs.id)::integer as queued,
         coalesce(extract(epoch from now() - min(jobs.run_at)), 0)::float8 as oldest_seconds
    from graphile_worker._private_tasks as tasks
    left join graphile_worker._private_jobs as jobs
      on jobs.task_id = tasks.id and jobs.is_available and jobs.run_at <= now()
   group by tasks.identifier`;

interface QueueRow {
  task: string;
  queued: number;
  oldest_seconds: number;
}

let queuePool: Pool | undefined;
let queueRead: Promise<QueueRow[] | undefined> | undefined;

/**
 * One query per scrape even though two gauges need it: both collect functions
 * run concurrently in registry.metrics() and share the read in flight.
 */
function readQueue(): Promise<QueueRow[] | undefined> {
  const pool = queuePool;
  if (!pool) return Promise.resolve(undefined);
  queueRead ??= pool
    .query<QueueRow>(QUEUE_SQL)
    .then(
      ({ rows }) => rows,
      (e: unknown) => {
        logger.warn({ err: e }, "metrics: could not read graphile-worker's queue");
        return undefined;
      },
    )
    .finally(() => {
      queueRead = undefined;
    });
  return queueRead;
}

// Created when a worker's queue is registered and removed with it, so a process
// without a worker (an API replica) reports no queue rather than an empty one.
function makeQueueGauges(): Gauge[] {
  return [
    new Gauge({
      name: "forgeline_worker_jobs_queued",
      help: "Jobs ready to run now (not locked, run_at reached, attempts left), by task.",
      labelNames: ["task"] as const,
      registers: [registry],
      async collect() {
        const rows = await readQueue();
        this.reset();
        for (const row of rows ?? []) this.set({ task: row.task }, row.queued);
      },
    }),
    new Gauge({
      name: "forgeline_worker_queue_oldest_seconds",
      help: "Age in seconds of the oldest job ready to run (time since its run_at); 0 when none waits.",
      registers: [registry],
      async collect() {
        const rows = await readQueue();
        if (!rows) {
          this.reset();
          return;
        }
        this.set(rows.reduce((oldest, row) => Math.max(oldest, row.oldest_seconds), 0));
      },
    }),
  ];
}

let queueGauges: Gauge[] = [];

/** Reads graphile-worker's queue through `pool` (the owner's) until unregistered. */
export function registerWorkerQueue(pool: Pool): () => void {
  queuePool = pool;
  if (queueGauges.length === 0) queueGauges = makeQueueGauges();
  return () => {
    if (queuePool !== pool) return;
    queuePool = undefined;
    registry.removeSingleMetric("forgeline_worker_jobs_queued");
    registry.removeSingleMetric("forgeline_worker_queue_oldest_seconds");
    queueGauges = [];
  };
}

/** Where a scrape's text comes from: this process's registry, or (in a cluster) every process's. */
let metricsText: () => Promise<string> = () => registry.metrics();

/** Makes scrapes answer with `source` (src/cli/cluster.ts: the whole cluster's metrics). */
export function setMetricsSource(source: () => Promise<string>): void {
  metricsText = source;
}

/** Answers a scrape: the registry in Prometheus text format. */
export async function sendMetrics(res: ServerResponse): Promise<void> {
  const body = Buffer.from(await metricsText(), "utf8");
  res.writeHead(200, {
    "Content-Type": registry.contentType,
    "Content-Length": String(body.length),
    "Cache-Control": "no-store",
  });
  res.end(body);
}
