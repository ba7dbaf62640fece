/**
 * The numbers of a benchmark, computed without I/O (test/unit/bench.test.ts):
 * latency percentiles from every successful operation's exact duration, the
 * ratios and overheads between scenarios at the same concurrency, and the
 * targets' verdicts.
 */
import type { CpuUse } from "./cpu.ts";
import type { ResourceUse } from "./resources.ts";
import type { Metric, TargetSpec } from "./set.ts";

export interface LatencySummary {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One load run (HTTP: bench/load.ts; SQL: bench/sql-load.ts; WebSocket: bench/subscription-load.ts). */
export interface LoadResult {
  connections: number;
  seconds: number;
  /** Successful operations: 2xx responses (HTTP), committed calls (SQL) or events delivered (WebSocket). */
  operations: number;
  /** Successful operations per second (requests/s or calls/s). */
  perSecond: number;
  latencyMs: LatencySummary;
  /**
   * Failed operations: non-2xx, socket errors and timeouts (HTTP); calls that
   * threw (SQL); events missed, unexpected or with errors, and the driver's
   * failed calls (WebSocket).
   */
  errors: number;
  /** How operations ended: HTTP status codes, "socket error", "timeout"; SQLSTATEs of failures. */
  outcomes: Record<string, number>;
  /** A sequence of requests (bench/load.ts): the same numbers per kind of request, in order. */
  parts?: PartResult[];
}

/** One kind of request of a sequence: its share of a run. */
export interface PartResult {
  kind: string;
  operations: number;
  perSecond: number;
  latencyMs: LatencySummary;
  errors: number;
  /** HTTP status codes, and `GraphQL <code>` for a 2xx answer that carries errors. */
  outcomes: Record<string, number>;
}

/** The p-th percentile (nearest rank) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

const roundMs = (ms: number) => Math.round(ms * 1000) / 1000;

/** Collects durations (ms) without allocating per sample. */
export class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  summary(): LatencySummary {
    const sorted = this.values.slice(0, this.count).sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      mean: roundMs(this.count === 0 ? NaN : sum / this.count),
      p50: roundMs(percentile(sorted, 50)),
      p95: roundMs(percentile(sorted, 95)),
      p99: roundMs(percentile(sorted, 99)),
      max: roundMs(sorted[sorted.length - 1] ?? NaN),
    };
  }
}

/** Operations per second, to one decimal. */
export function perSecond(operations: number, seconds: number): number {
  return seconds > 0 ? Math.round((operations / seconds) * 10) / 10 : 0;
}

/**
 * The code of a parsed GraphQL answer's first error (`extensions.code`, else
 * "error"), or null when it has no errors.
 */
export function graphqlErrorCode(answer: unknown): string | null {
  const errors = (answer as { errors?: Array<{ extensions?: { code?: unknown } }> } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return null;
  const code = errors[0]?.extensions?.code;
  return typeof code === "string" && code !== "" ? code : "error";
}

/**
 * The code of a GraphQL answer's first error (`extensions.code`, else
 * "error"), or null when the answer has no errors. Only bodies that mention
 * `"errors":` are parsed, so a load generator can call it on every answer.
 */
export function graphqlErrorOf(body: string): string | null {
  if (!body.includes('"errors":')) return null;
  try {
    return graphqlErrorCode(JSON.parse(body));
  } catch {
    return null;
  }
}

/**
 * How one HTTP answer of a sequence ended: a success (a 2xx without GraphQL
 * errors), or an error named by its status code or its GraphQL error code.
 */
export function outcomeOf(status: number, body: string): { ok: boolean; outcome: string } {
  if (status < 200 || status >= 300) return { ok: false, outcome: String(status) };
  const code = graphqlErrorOf(body);
  return code === null
    ? { ok: true, outcome: String(status) }
    : { ok: false, outcome: `GraphQL ${code}` };
}

/**
 * Counts and times the answers of a sequence per kind of request. `kinds[i]` is
 * the kind of the sequence's i-th request; requests of the same kind are added
 * together, the kinds kept in their first order.
 */
export class PartTally {
  private readonly kindOf: string[];
  private readonly parts = new Map<
    string,
    { latencies: LatencyRecorder; errors: number; outcomes: Record<string, number> }
  >();

  constructor(kinds: readonly string[]) {
    this.kindOf = [...kinds];
    for (const kind of kinds) {
      if (!this.parts.has(kind)) {
        this.parts.set(kind, { latencies: new LatencyRecorder(), errors: 0, outcomes: {} });
      }
    }
  }

  /** One answer to the sequence's request `index`. */
  record(index: number, ok: boolean, outcome: string, ms: number): void {
    const part = this.parts.get(this.kindOf[index] ?? "");
    if (!part) return;
    part.outcomes[outcome] = (part.outcomes[outcome] ?? 0) + 1;
    if (ok) part.latencies.add(ms);
    else part.errors++;
  }

  results(seconds: number): PartResult[] {
    return [...this.parts].map(([kind, p]) => ({
      kind,
      operations: p.latencies.count,
      perSecond: perSecond(p.latencies.count, seconds),
      latencyMs: p.latencies.summary(),
      errors: p.errors,
      outcomes: p.outcomes,
    }));
  }
}

export interface RunRecord {
  /** `<set>/<scenario id>` */
  key: string;
  set: string;
  scenario: string;
  kind: "api" | "raw" | "sql" | "subscription";
  title: string;
  connections: number;
  load: LoadResult;
  cpu: CpuUse;
  /** CPU milliseconds per operation (cores ÷ operations/s), where measured. */
  cpuMsPerOperation: { server: number | null; postgres: number | null; loadGenerator: number };
  /** throughput ÷ the `ratioTo` scenario's at the same concurrency. */
  ratio?: { to: string; value: number };
  /** p50 ÷ the `overheadOver` scenario's p50 at the same concurrency, − 1, in %. */
  p50Overhead?: { over: string; percent: number };
  /** A fleet run (bench/fleet.ts): how it was paced, and what it cost the machine (bench/resources.ts). */
  fleet?: { intervalMs: number; resources: ResourceUse };
}

/** CPU ms per operation from cores busy and operations/s; null when unknown. */
export function cpuMsPer(cores: number | null, operationsPerSecond: number): number | null {
  if (cores === null || operationsPerSecond <= 0) return null;
  return Math.round((cores / operationsPerSecond) * 1e6) / 1e3;
}

/** What a scenario is compared with (ids in its own set). */
export interface Comparisons {
  ratioTo?: string;
  overheadOver?: string;
}

/** Fills in each run's ratio and p50 overhead from the runs it is compared with. */
export function compareRuns(
  runs: RunRecord[],
  comparisonsOf: (key: string) => Comparisons | undefined,
): void {
  const find = (set: string, id: string, connections: number) =>
    runs.find((r) => r.set === set && r.scenario === id && r.connections === connections);
  for (const run of runs) {
    const { ratioTo, overheadOver } = comparisonsOf(run.key) ?? {};
    const base = ratioTo ? find(run.set, ratioTo, run.connections) : undefined;
    if (ratioTo && base && base.load.perSecond > 0) {
      run.ratio = {
        to: ratioTo,
        value: Math.round((run.load.perSecond / base.load.perSecond) * 100) / 100,
      };
    }
    const over = overheadOver ? find(run.set, overheadOver, run.connections) : undefined;
    if (overheadOver && over && over.load.latencyMs.p50 > 0) {
      run.p50Overhead = {
        over: overheadOver,
        percent: Math.round((run.load.latencyMs.p50 / over.load.latencyMs.p50 - 1) * 1000) / 10,
      };
    }
  }
}

export interface Target {
  set: string;
  description: string;
  scenario: string;
  connections: number;
  metric: Metric;
  atLeast?: number;
  atMost?: number;
  value: number | null;
  unit: string;
  /** null: not measured (the run is missing, or has no such number). */
  met: boolean | null;
}

function metricOf(run: RunRecord, metric: Metric): number | undefined {
  switch (metric) {
    case "throughput":
      return run.load.perSecond;
    case "p50":
    case "p95":
    case "p99":
      return run.load.latencyMs[metric];
    case "ratio":
      return run.ratio?.value;
    case "p50Overhead":
      return run.p50Overhead?.percent;
    case "errors":
      return run.load.errors;
    case "throughputVs":
      return undefined; // needs another run: evaluateTargets
  }
}

/** What a run's throughput counts: requests (HTTP), calls (SQL) or events delivered (WebSocket). */
export function throughputUnit(kind: RunRecord["kind"] | undefined): string {
  return kind === "sql" ? "calls/s" : kind === "subscription" ? "events/s" : "req/s";
}

export function unitOf(metric: Metric, kind: RunRecord["kind"] | undefined): string {
  switch (metric) {
    case "throughput":
      return throughputUnit(kind);
    case "p50":
    case "p95":
    case "p99":
      return "ms";
    case "ratio":
      return "×";
    case "p50Overhead":
      return "%";
    case "errors":
      return "errors";
    case "throughputVs":
      return "×";
  }
}

/** Each target's value and verdict from the runs of its set. */
export function evaluateTargets(set: string, specs: TargetSpec[], runs: RunRecord[]): Target[] {
  return specs.map((spec) => {
    const run = runs.find(
      (r) => r.set === set && r.scenario === spec.scenario && r.connections === spec.connections,
    );
    const other =
      spec.relativeTo === undefined
        ? undefined
        : runs.find(
            (r) =>
              r.set === set && r.scenario === spec.scenario && r.connections === spec.relativeTo,
          );
    const raw =
      spec.metric === "throughputVs"
        ? run && other && other.load.perSecond > 0
          ? Math.round((run.load.perSecond / other.load.perSecond) * 100) / 100
          : undefined
        : run
          ? metricOf(run, spec.metric)
          : undefined;
    const value = raw === undefined || Number.isNaN(raw) ? null : raw;
    const met =
      value === null
        ? null
        : (spec.atLeast === undefined || value >= spec.atLeast) &&
          (spec.atMost === undefined || value <= spec.atMost);
    return { set, ...spec, value, unit: unitOf(spec.metric, run?.kind), met };
  });
}
