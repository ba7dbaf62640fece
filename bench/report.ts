/**
 * The results: one table on stdout, and everything (environment, dataset, every
 * number) as JSON in bench/results/<timestamp>.json. The targets are printed as
 * met or missed for the reader; nothing fails on a number.
 */
import fs from "node:fs";
import path from "node:path";
import type { CpuUse } from "./cpu.ts";
import type { LoadResult } from "./load.ts";
import type { Scenario } from "./scenarios.ts";

export interface RunRecord {
  scenario: string;
  title: string;
  connections: number;
  load: LoadResult;
  cpu: CpuUse;
  /** CPU milliseconds per request (cores ÷ requests/s), where measured. */
  cpuMsPerRequest: { server: number | null; postgres: number | null; loadGenerator: number };
  /** requests/s ÷ the `ratioTo` scenario's at the same concurrency. */
  ratio?: { to: string; value: number };
  /** p50 ÷ the `overheadOver` scenario's p50 at the same concurrency, − 1, in %. */
  p50Overhead?: { over: string; percent: number };
}

export interface Target {
  description: string;
  value: number | null;
  unit: string;
  met: boolean | null;
}

/** Fills in each run's ratio and overhead from the runs it is compared with. */
export function compare(runs: RunRecord[], scenarios: Scenario[]): void {
  const find = (id: string, connections: number) =>
    runs.find((r) => r.scenario === id && r.connections === connections);
  for (const run of runs) {
    const scenario = scenarios.find((s) => s.id === run.scenario);
    const base = scenario?.ratioTo && find(scenario.ratioTo, run.connections);
    if (scenario?.ratioTo && base && base.load.requestsPerSecond > 0) {
      run.ratio = {
        to: scenario.ratioTo,
        value: Math.round((run.load.requestsPerSecond / base.load.requestsPerSecond) * 100) / 100,
      };
    }
    const over = scenario?.overheadOver && find(scenario.overheadOver, run.connections);
    if (scenario?.overheadOver && over && over.load.latencyMs.p50 > 0) {
      run.p50Overhead = {
        over: scenario.overheadOver,
        percent: Math.round((run.load.latencyMs.p50 / over.load.latencyMs.p50 - 1) * 1000) / 10,
      };
    }
  }
}

/** The targets, at concurrency 10 (null when that run is missing). */
export function targets(runs: RunRecord[]): Target[] {
  const at10 = (id: string) => runs.find((r) => r.scenario === id && r.connections === 10);
  const graphql = at10("graphql");
  const limited = at10("graphql-rate-limited");
  const check = (value: number | undefined, ok: (v: number) => boolean) =>
    value === undefined ? { value: null, met: null } : { value, met: ok(value) };
  return [
    {
      description: "GraphQL list ≥ 1,000 req/s at c=10",
      unit: "req/s",
      ...check(graphql?.load.requestsPerSecond, (v) => v >= 1000),
    },
    {
      description: "GraphQL list p95 ≤ 10 ms at c=10",
      unit: "ms",
      ...check(graphql?.load.latencyMs.p95, (v) => v <= 10),
    },
    {
      description: "GraphQL ≥ 0.6 × raw baseline req/s at c=10",
      unit: "×",
      ...check(graphql?.ratio?.value, (v) => v >= 0.6),
    },
    {
      description: "rate-limit charge ≤ 10 % on p50 at c=10",
      unit: "%",
      ...check(limited?.p50Overhead?.percent, (v) => v <= 10),
    },
  ];
}

/** Cores of unrelated work above which a run is marked as disturbed. */
export const NOISY = 0.2;

const fixed = (value: number | null | undefined, digits: number) =>
  value === null || value === undefined || Number.isNaN(value) ? "-" : value.toFixed(digits);

export function formatTable(runs: RunRecord[], goals: Target[]): string {
  const header = [
    "scenario",
    "conn",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "× baseline",
    "p50 cost",
    "cpu api",
    "cpu pg",
    "cpu load",
    "cpu other",
  ];
  const rows = runs.map((r) => [
    r.title,
    String(r.connections),
    fixed(r.load.requestsPerSecond, 1),
    fixed(r.load.latencyMs.p50, 2),
    fixed(r.load.latencyMs.p95, 2),
    fixed(r.load.latencyMs.p99, 2),
    String(r.load.errors),
    r.ratio ? `${r.ratio.value.toFixed(2)}×` : "",
    r.p50Overhead ? `${r.p50Overhead.percent >= 0 ? "+" : ""}${r.p50Overhead.percent}%` : "",
    fixed(r.cpu.server, 2),
    fixed(r.cpu.postgres, 2),
    fixed(r.cpu.loadGenerator, 2),
    `${fixed(r.cpu.other, 2)}${(r.cpu.other ?? 0) > NOISY ? " !" : ""}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  out.push(
    "",
    "cpu columns: cores busy during the run: api = the server under test, pg = its PostgreSQL",
    "backends, load = this process (autocannon), other = the rest of the machine; a run marked",
    `"!" shared the machine with more than ${NOISY} cores of other work and is not trustworthy.`,
    "",
    "targets (reported, never asserted):",
  );
  for (const goal of goals) {
    const verdict = goal.met === null ? "not measured" : goal.met ? "met" : "MISSED";
    const value = goal.value === null ? "-" : `${goal.value} ${goal.unit}`;
    out.push(`  ${goal.description.padEnd(44)} ${value.padStart(12)}  ${verdict}`);
  }
  return out.join("\n");
}

/** ISO 8601 basic format (no colons, so the name is valid on every file system). */
export function fileTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

export function writeResults(dir: string, started: Date, report: unknown): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${fileTimestamp(started)}.json`);
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
