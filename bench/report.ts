/**
 * The third phase of a run: the results. Up to three tables per set on stdout
 * (HTTP scenarios in requests/s, subscriptions over WebSocket in events
 * delivered/s, database-level ones in calls/s), the targets as met or missed
 * for the reader (nothing fails on a number), and everything (environment,
 * datasets, servers, every number) as JSON in bench/results/<timestamp>.json.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../src/paths.ts";
import { describeUrl } from "./database.ts";
import type { Measurement } from "./measure.ts";
import type { Prepared } from "./prepare.ts";
import { compareRuns, evaluateTargets, type RunRecord, type Target } from "./stats.ts";

/** Cores of unrelated work above which a run is marked as disturbed. */
export const NOISY = 0.2;

const fixed = (value: number | null | undefined, digits: number) =>
  value === null || value === undefined || Number.isNaN(value) ? "-" : value.toFixed(digits);

function table(runs: RunRecord[], throughput: string, connections = "conn"): string[] {
  const header = [
    "scenario",
    connections,
    throughput,
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "× baseline",
    "p50 cost",
    "cpu server",
    "cpu pg",
    "cpu load",
    "cpu other",
  ];
  const rows = runs.flatMap((r) => [
    [
      r.title,
      String(r.connections),
      fixed(r.load.perSecond, 1),
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
    ],
    // A sequence's kinds of request, each under the run it is part of.
    ...(r.load.parts ?? []).map((p) => [
      `  ↳ ${p.kind}`,
      String(r.connections),
      fixed(p.perSecond, 1),
      fixed(p.latencyMs.p50, 2),
      fixed(p.latencyMs.p95, 2),
      fixed(p.latencyMs.p99, 2),
      String(p.errors),
      ...Array<string>(6).fill(""),
    ]),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

/** Fleet runs (bench/fleet.ts): users, pacing, and what each run cost the machine. */
function fleetTable(runs: RunRecord[]): string[] {
  const header = [
    "scenario",
    "users",
    "pace",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "pooler waiting",
    "api rss MiB",
    "cpu api",
    "cpu pg",
    "cpu pgbouncer",
    "cpu load",
  ];
  const failures = (r: RunRecord) =>
    Object.entries(r.load.outcomes)
      .filter(([outcome]) => !/^2\d\d$/.test(outcome))
      .map(([outcome, n]) => `${outcome}×${n}`)
      .join(" ");
  const rows = runs.flatMap((r) => {
    const res = r.fleet!.resources;
    return [
      [
        r.title,
        String(r.connections),
        r.fleet!.intervalMs > 0 ? `every ${r.fleet!.intervalMs / 1000} s` : "closed",
        fixed(r.load.perSecond, 1),
        fixed(r.load.latencyMs.p50, 1),
        fixed(r.load.latencyMs.p95, 1),
        fixed(r.load.latencyMs.p99, 1),
        r.load.errors === 0 ? "0" : `${r.load.errors} (${failures(r)})`,
        res.pooler ? `${res.pooler.waitingMax} max, ${res.pooler.maxWaitMs} ms` : "-",
        res.apiRssMb ? `${res.apiRssMb.peak} (${res.apiProcesses} proc)` : "-",
        fixed(res.cpu.api, 2),
        fixed(res.cpu.postgres, 2),
        fixed(res.cpu.pgbouncer, 2),
        fixed(res.cpu.loadGenerator, 2),
      ],
      ...(r.load.parts ?? []).map((p) => [
        `  ↳ ${p.kind}`,
        "",
        "",
        fixed(p.perSecond, 1),
        fixed(p.latencyMs.p50, 1),
        fixed(p.latencyMs.p95, 1),
        fixed(p.latencyMs.p99, 1),
        String(p.errors),
        ...Array<string>(6).fill(""),
      ]),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

export function formatReport(
  runsBySet: Array<{ set: string; runs: RunRecord[] }>,
  goals: Target[],
  notes: string[],
): string {
  const out: string[] = [];
  for (const { set, runs } of runsBySet) {
    const http = runs.filter((r) => (r.kind === "api" || r.kind === "raw") && !r.fleet);
    const fleets = runs.filter((r) => r.fleet);
    const ws = runs.filter((r) => r.kind === "subscription");
    const sql = runs.filter((r) => r.kind === "sql");
    if (http.length > 0) out.push(`${set}: over HTTP`, ...table(http, "req/s"), "");
    if (fleets.length > 0) {
      out.push(`${set}: simultaneous users, each with its own token`, ...fleetTable(fleets), "");
    }
    if (ws.length > 0) {
      out.push(`${set}: subscriptions over WebSocket`, ...table(ws, "events/s", "subscribers"), "");
    }
    if (sql.length > 0) out.push(`${set}: in the database`, ...table(sql, "calls/s"), "");
  }
  out.push(
    "× baseline: throughput ÷ that of the scenario it is compared with, at the same concurrency",
    "(the raw SQL baseline; for SQL under RLS, the same statement with RLS bypassed).",
    "p50 cost: its median latency over that of the scenario it adds to (limits, rate limit).",
    ...(runsBySet.some(({ runs }) => runs.some((r) => r.kind === "subscription"))
      ? [
          "subscriptions: events/s = events delivered per second to all subscribers; latency = an",
          "event's arrival minus its write's commit; errors = events missed, unexpected or failed.",
        ]
      : []),
    ...(runsBySet.some(({ runs }) => runs.some((r) => r.fleet))
      ? [
          "simultaneous users: closed = each user sends its next request when it has the answer;",
          "every N s = each user sends one request every N s. pooler waiting = PgBouncer's clients",
          "waiting for a server connection (most at once, longest wait); api rss = the API",
          "processes' resident memory summed (peak); cpu = cores busy: the API processes, every",
          "PostgreSQL process, PgBouncer, and this process (the load generator).",
        ]
      : []),
    "cpu columns: cores busy during the run: server = the server under test (none in the",
    "database), pg = the bench database's PostgreSQL backends, load = this process (autocannon,",
    "or the pg clients), other = the rest of the machine; a run marked",
    `"!" shared the machine with more than ${NOISY} cores of other work and is not trustworthy.`,
    "",
    "targets (reported, never asserted):",
  );
  for (const goal of goals) {
    const verdict = goal.met === null ? "not measured" : goal.met ? "met" : "MISSED";
    const value = goal.value === null ? "-" : `${goal.value} ${goal.unit}`;
    const what = `${goal.set}: ${goal.description} at c=${goal.connections}`;
    out.push(`  ${what.padEnd(56)} ${value.padStart(14)}  ${verdict}`);
  }
  for (const note of notes) out.push("", `note: ${note}`);
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

function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: projectRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

export interface ReportContext {
  started: Date;
  options: Record<string, unknown>;
  prepared: Prepared;
  measurement: Measurement;
}

/** Compares, judges, prints the tables and writes the JSON; returns the file written. */
export function report({ started, options, prepared, measurement }: ReportContext): string {
  const { runs, servers } = measurement;
  const scenarios = prepared.sets.flatMap((s) => s.scenarios);
  compareRuns(runs, (key) => scenarios.find((s) => s.key === key));
  const goals = prepared.sets.flatMap((s) => evaluateTargets(s.set.name, s.set.targets, runs));
  const notes: string[] = [];
  for (const s of scenarios) {
    if (s.skipped !== undefined) notes.push(`${s.key} (${s.title}) was not run: ${s.skipped}`);
  }
  for (const [name, server] of Object.entries(servers)) {
    if (server.evidence && server.headersSeen?.length === 0) {
      notes.push(
        `${name} sent no header matching /${server.evidence}/: this build may lack what the ` +
          "variant turns on, and then it measured the same API as the plain one.",
      );
    }
  }
  const runsBySet = prepared.sets.map((s) => ({
    set: s.set.name,
    // Declaration order, whatever order the groups ran in.
    runs: s.scenarios.flatMap((p) => runs.filter((r) => r.key === p.key)),
  }));
  process.stdout.write(`\n${formatReport(runsBySet, goals, notes)}\n`);

  return writeResults(path.join(projectRoot, "bench", "results"), started, {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    options,
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      postgres: prepared.facts.version,
      postgresBuild: prepared.facts.full,
      database: {
        source: prepared.server.source,
        server: describeUrl(prepared.server.rootUrl),
        name: prepared.databaseName,
      },
      gitCommit: gitCommit(),
      machineBusyBeforeLoad: prepared.busyBeforeLoad,
      migrationHash: prepared.migrationHash,
      logLevel: process.env.LOG_LEVEL ?? "default",
    },
    sets: prepared.sets.map((s) => ({
      name: s.set.name,
      description: s.set.description,
      dataset: s.summary,
      scenarios: s.scenarios.map((p) => ({
        id: p.id,
        title: p.title,
        kind: p.kind,
        connections: p.connections,
        ...(p.via === "http"
          ? {
              server: p.server.name,
              path: p.path,
              ...(p.requests
                ? { requests: p.requests.map((r) => ({ kind: r.kind, body: r.body })) }
                : { body: p.body }),
              statements: p.statements,
            }
          : p.via === "ws"
            ? {
                server: p.server.name,
                path: p.path,
                query: p.plan.query,
                driver: {
                  runsAs: p.driverRunsAs,
                  perSecond: p.plan.perSecond,
                  statements: p.driverStatements,
                },
              }
            : {
                runsAs: p.runsAs,
                statements: p.statements,
                ...(p.rollback && { rollback: true }),
              }),
        sameAnswerAs: p.sameAnswerAs,
        ratioTo: p.ratioTo,
        overheadOver: p.overheadOver,
        ...(p.skipped !== undefined && { skipped: p.skipped }),
      })),
    })),
    servers,
    runs,
    targets: goals,
    notes,
  });
}
