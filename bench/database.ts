/**
 * The PostgreSQL server and the throw-away database a benchmark runs on.
 *
 * The server is BENCH_DATABASE_URL, ROOT_DATABASE_URL or TEST_DATABASE_URL (a
 * superuser URL, first one set wins), else an embedded server of the bench's own
 * in .data/bench on its own port (src/db/scratch-server.ts, shared with the
 * tests), so a benchmark never touches the development database. On it, every run
 * creates a fresh scratch database with its own three roles and all migrations
 * (src/db/scratch.ts), and drops both at the end.
 */
import path from "node:path";
import { projectRoot } from "../src/paths.ts";
import { startScratchServer, type ScratchServer } from "../src/db/scratch-server.ts";
import {
  createScratchDatabase,
  dropDatabase,
  dropRoles,
  scratchPrefix,
  scratchRoles,
  type ScratchDatabase,
} from "../src/db/scratch.ts";

export type BenchServer = ScratchServer;

export const benchDataDir = path.join(projectRoot, ".data", "bench");

export function startBenchServer(log: (line: string) => void): Promise<BenchServer> {
  return startScratchServer({
    urlVariables: ["BENCH_DATABASE_URL", "ROOT_DATABASE_URL", "TEST_DATABASE_URL"],
    dataDir: benchDataDir,
    portVariable: "BENCH_EMBEDDED_PG_PORT",
    defaultPort: 54349,
    password: "forgeline-bench",
    log: (line) => log(`[bench-postgres] ${line}`),
  });
}

/** A fresh name, known before anything is created so a failed creation can still be dropped. */
export function benchDatabaseName(): string {
  return scratchPrefix("bench");
}

export function createBenchDatabase(rootUrl: string, name: string): Promise<ScratchDatabase> {
  return createScratchDatabase(rootUrl, name);
}

/** Drops the database and its roles; each step tolerates what a failed creation left out. */
export async function dropBenchDatabase(rootUrl: string, name: string): Promise<void> {
  await dropDatabase(rootUrl, name);
  // The roles createScratchDatabase named after the database.
  await dropRoles(rootUrl, scratchRoles(name));
}

/** host:port/database of a URL, without its credentials (for reports). */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
}
