/**
 * `forgeline bench`: loads the selected sets (bench/sets/*.ts, bench/registry.ts)
 * and runs them in three phases:
 *
 *   prepare  (bench/prepare.ts) a fresh scratch database, every set's dataset,
 *            tokens for the identities, the scenarios made concrete;
 *   measure  (bench/measure.ts) each server in a child process in turn, and the
 *            database-level scenarios, loaded at each concurrency;
 *   report   (bench/report.ts) the tables, the targets, bench/results/<time>.json.
 *
 * The scratch database, its roles, the children, the connections and the
 * embedded server (if one was started) are cleaned up at the end, on failure and
 * on Ctrl-C (press twice to exit without cleaning up); `--keep` leaves the
 * database for a look.
 */
import path from "node:path";
import { Cleanup } from "./cleanup.ts";
import { measure, type Control } from "./measure.ts";
import { prepare } from "./prepare.ts";
import { loadSets } from "./registry.ts";
import { NOISY, report } from "./report.ts";

export interface BenchOptions {
  quick: boolean;
  durationSeconds: number;
  connections: number[];
  keep: boolean;
  /** `--set`: comma-separated set names; absent: all. */
  sets?: string;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

export async function runBench(options: BenchOptions): Promise<void> {
  const started = new Date();
  // Before anything is created: an unknown set or a bad declaration costs nothing.
  const sets = await loadSets(options.sets);
  log(`sets: ${sets.map((s) => s.name).join(", ")}`);

  const cleanup = new Cleanup(log);
  const control: Control = { interrupted: false };
  const onSignal = (signal: NodeJS.Signals) => {
    if (control.interrupted) process.exit(130);
    control.interrupted = true;
    log(`${signal}: stopping and cleaning up (press again to exit at once)`);
    control.current?.stop();
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const warmupSeconds = options.quick ? 1 : 3;
    const prepared = await prepare(
      sets,
      {
        quick: options.quick,
        keep: options.keep,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        warmupSeconds,
        log,
      },
      cleanup,
    );
    const busy = prepared.busyBeforeLoad;
    if (busy !== null && busy > NOISY) {
      log(
        `warning: the machine is busy before the load (${busy} cores in use by other processes); ` +
          "the numbers will be noisy",
      );
    }
    const measurement = await measure(
      prepared,
      { durationSeconds: options.durationSeconds, warmupSeconds, log },
      cleanup,
      control,
    );
    if (control.interrupted) return await new Promise<never>(() => undefined);

    const file = report({
      started,
      options: { ...options, sets: sets.map((s) => s.name), warmupSeconds },
      prepared,
      measurement,
    });
    log(`results written to ${path.relative(process.cwd(), file)}`);
    if (options.keep) {
      const { db, databaseName: name, server } = prepared;
      log(`kept database ${name}:`);
      log(`  superuser: ${db.rootDbUrl}`);
      log(`  owner:     ${db.ownerUrl}`);
      log(`  api:       ${db.authUrl} (visitor role ${db.roles.visitor})`);
      log(`  drop it:   drop database ${name}; then drop its three roles ${name}_*`);
      if (server.embedded) log(`  (the embedded server's data stays in ${server.embedded.pgData})`);
    }
  } catch (e) {
    if (control.interrupted) return await new Promise<never>(() => undefined);
    throw e;
  } finally {
    if (!control.interrupted) {
      await cleanup.run();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}
