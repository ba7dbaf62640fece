/**
 * Where the CPU goes during a run, from Linux's /proc: the server process under
 * test, the bench process itself (the load generator), the PostgreSQL backends
 * serving the bench database, and the whole machine. Everything is null where
 * /proc is missing (macOS) or the PostgreSQL server is on another machine.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** User + system CPU seconds of a process (all its threads), or null. */
export function readProcessCpu(pid: number, expectName?: string): number | null {
  try {
    if (expectName && !fs.readFileSync(`/proc/${pid}/comm`, "utf8").startsWith(expectName)) {
      return null;
    }
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores), or null. */
function readMachineCpu(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
    return { busy: (total - idle) / clockTicks(), total: total / clockTicks() };
  } catch {
    return null;
  }
}

export interface CpuSnapshot {
  wall: number;
  machine: { busy: number; total: number } | null;
  self: number;
  /** false for a database-level run: there is no server process to measure. */
  hasServer: boolean;
  server: number | null;
  postgres: Map<number, number>;
}

/** CPU used during a run, in cores (1.0 = one core busy for the whole run). */
export interface CpuUse {
  server: number | null;
  loadGenerator: number;
  postgres: number | null;
  /** Every core's busy time (the three above plus anything else on the machine). */
  machine: number | null;
  /** machine − server − postgres − load generator: other processes (noise when high). */
  other: number | null;
}

/** `serverPid`: the server under test; null for a database-level run (no server). */
export function cpuSnapshot(serverPid: number | null, postgresPids: number[]): CpuSnapshot {
  const usage = process.cpuUsage();
  const postgres = new Map<number, number>();
  for (const pid of postgresPids) {
    const seconds = readProcessCpu(pid, "postgres");
    if (seconds !== null) postgres.set(pid, seconds);
  }
  return {
    wall: performance.now() / 1000,
    machine: readMachineCpu(),
    self: (usage.user + usage.system) / 1e6,
    hasServer: serverPid !== null,
    server: serverPid === null ? null : readProcessCpu(serverPid),
    postgres,
  };
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const wall = after.wall - before.wall;
  const per = (seconds: number) => Math.round((seconds / wall) * 100) / 100;
  // Backends alive at the end; one that connected during the run counts from zero. One that
  // closed during the run is lost (the pools only close idle connections).
  let postgres: number | null = null;
  for (const [pid, end] of after.postgres) {
    postgres = (postgres ?? 0) + (end - (before.postgres.get(pid) ?? 0));
  }
  const server =
    before.server !== null && after.server !== null ? per(after.server - before.server) : null;
  const loadGenerator = per(after.self - before.self);
  const machine =
    before.machine && after.machine ? per(after.machine.busy - before.machine.busy) : null;
  return {
    server,
    loadGenerator,
    postgres: postgres === null ? null : per(postgres),
    machine,
    other:
      machine === null || (server === null && before.hasServer) || postgres === null
        ? null
        : Math.max(
            0,
            Math.round((machine - (server ?? 0) - per(postgres) - loadGenerator) * 100) / 100,
          ),
  };
}

/** Cores the machine keeps busy over `seconds` while the bench does nothing. */
export async function idleLoad(seconds: number): Promise<number | null> {
  const before = readMachineCpu();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = readMachineCpu();
  if (!before || !after) return null;
  return Math.round(((after.busy - before.busy) / seconds) * 100) / 100;
}
