/**
 * What a scale run costs the machine, sampled while it runs (Linux /proc): CPU
 * in cores of the API (the server process and every process under it: the
 * primary and the workers of `serve --processes N`), of PostgreSQL (every
 * `postgres` process on this machine), of PgBouncer and of the load generator
 * (this process); the API processes' resident memory; and PgBouncer's queue
 * (clients waiting for a server connection, and the longest wait). It says
 * where the limit is: the API's CPU, the database's, or the pooler.
 */
import fs from "node:fs";
import { readProcessCpu } from "./cpu.ts";
import type { PgBouncer } from "../src/db/pgbouncer.ts";

export interface ResourceUse {
  /** Cores busy over the run (1.0 = one core for the whole run). */
  cpu: {
    api: number | null;
    postgres: number | null;
    pgbouncer: number | null;
    loadGenerator: number;
    machine: number | null;
  };
  /** Resident memory of the API processes, summed, in MiB: the highest sample and the last. */
  apiRssMb: { peak: number; end: number } | null;
  apiProcesses: number;
  /** PgBouncer's clients waiting for a server connection: the most at once, the mean; the longest wait. */
  pooler: { waitingMax: number; waitingMean: number; maxWaitMs: number } | null;
}

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = byParent.get(ppid) ?? [];
      list.push(Number(entry));
      byParent.set(ppid, list);
    } catch {
      // gone
    }
  }
  return byParent;
}

/** `pid` and every process under it. */
export function processTree(pid: number): number[] {
  const byParent = children();
  const found: number[] = [];
  const visit = (p: number) => {
    found.push(p);
    for (const c of byParent.get(p) ?? []) visit(c);
  };
  visit(pid);
  return found;
}

function pidsNamed(name: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim() === name) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

function rssMb(pid: number): number {
  try {
    const line = fs
      .readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.replace(/\D+/g, "")) / 1024 : 0;
  } catch {
    return 0;
  }
}

function machineBusy(): number | null {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    return (total - (values[3] ?? 0) - (values[4] ?? 0)) / 100;
  } catch {
    return null;
  }
}

/** CPU seconds per pid: a process that appears later counts from zero, one that goes keeps its last. */
class CpuLedger {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private seen = false;
  observe(pids: number[], name?: string): void {
    for (const pid of pids) {
      const seconds = readProcessCpu(pid, name);
      if (seconds === null) continue;
      if (!this.first.has(pid)) this.first.set(pid, this.seen ? 0 : seconds);
      this.last.set(pid, seconds);
    }
    this.seen = true;
  }
  used(): number {
    let sum = 0;
    for (const [pid, end] of this.last) sum += end - (this.first.get(pid) ?? 0);
    return sum;
  }
}

export interface Sampling {
  stop(): Promise<ResourceUse>;
}

export function sampleResources(options: {
  apiPid: number | null;
  pgbouncer?: PgBouncer;
  intervalMs?: number;
}): Sampling {
  const onLinux = fs.existsSync("/proc/self/stat");
  const api = new CpuLedger();
  const postgres = new CpuLedger();
  const pooler = new CpuLedger();
  const startedWall = performance.now();
  const startedSelf = process.cpuUsage();
  const startedMachine = machineBusy();
  let peak = 0;
  let end = 0;
  let processes = 0;
  const waiting: number[] = [];
  let maxWaitMs = 0;
  let inFlight: Promise<void> = Promise.resolve();

  const sample = async () => {
    if (onLinux) {
      if (options.apiPid !== null) {
        const tree = processTree(options.apiPid);
        api.observe(tree);
        end = tree.reduce((sum, pid) => sum + rssMb(pid), 0);
        peak = Math.max(peak, end);
        processes = Math.max(processes, tree.length);
      }
      postgres.observe(pidsNamed("postgres"), "postgres");
      if (options.pgbouncer?.pid) pooler.observe([options.pgbouncer.pid]);
    }
    if (options.pgbouncer) {
      const stats = await options.pgbouncer.stats().catch(() => null);
      if (stats) {
        waiting.push(stats.clientsWaiting);
        maxWaitMs = Math.max(maxWaitMs, stats.maxWaitMs);
      }
    }
  };
  inFlight = sample();
  const timer = setInterval(() => {
    inFlight = inFlight.then(sample);
  }, options.intervalMs ?? 250);

  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      await sample();
      const wall = (performance.now() - startedWall) / 1000;
      const cores = (seconds: number) => Math.round((seconds / wall) * 100) / 100;
      const self = process.cpuUsage(startedSelf);
      const machine = machineBusy();
      return {
        cpu: {
          api: onLinux && options.apiPid !== null ? cores(api.used()) : null,
          postgres: onLinux ? cores(postgres.used()) : null,
          pgbouncer: onLinux && options.pgbouncer ? cores(pooler.used()) : null,
          loadGenerator: cores((self.user + self.system) / 1e6),
          machine:
            machine !== null && startedMachine !== null ? cores(machine - startedMachine) : null,
        },
        apiRssMb:
          onLinux && options.apiPid !== null
            ? { peak: Math.round(peak), end: Math.round(end) }
            : null,
        apiProcesses: processes,
        pooler: options.pgbouncer
          ? {
              waitingMax: waiting.length ? Math.max(...waiting) : 0,
              waitingMean:
                Math.round(
                  (waiting.reduce((a, b) => a + b, 0) / Math.max(1, waiting.length)) * 10,
                ) / 10,
              maxWaitMs: Math.round(maxWaitMs),
            }
          : null,
      };
    },
  };
}
