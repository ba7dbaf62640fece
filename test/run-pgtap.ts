/**
 * `npm run test:db`: the pgTAP suites in test/db/, run by pg_prove against a
 * scratch database of their own (fresh roles, all migrations applied, pgTAP and
 * test/db/_helpers.sql installed as the superuser). The server is
 * TEST_DATABASE_URL or the embedded one (test/support/server.ts). A server
 * without pgTAP, or a machine without pg_prove, skips the suites with one line —
 * and fails under CI=true, where a skip would hide missing coverage (DESIGN §7).
 * The database and its roles are dropped whatever happens; the exit code is
 * pg_prove's.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { projectRoot } from "../src/paths.ts";
import { fillPlaceholders, type Roles } from "../src/db/setup.ts";
import {
  createScratchDatabase,
  dropDatabase,
  dropRoles,
  scratchPrefix,
} from "../src/db/scratch.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const suitesDir = path.join("test", "db");
const helpersFile = path.join(projectRoot, suitesDir, "_helpers.sql");

/** Says why the suites cannot run; a failure under CI, a skip elsewhere. */
function skip(reason: string): number {
  console.log(`${reason}: skipping ${suitesDir} suites`);
  return process.env.CI === "true" ? 1 : 0;
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function hasPgTap(rootUrl: string): Promise<boolean> {
  return withClient(
    rootUrl,
    async (client) =>
      (await client.query("select 1 from pg_available_extensions where name = 'pgtap'"))
        .rowCount === 1,
  );
}

/** pg_prove's exit code; SIGINT/SIGTERM are passed on so cleanup still runs after it exits. */
function runPgProve(pgProve: string, dbUrl: string): Promise<number> {
  const args = ["--dbname", dbUrl, "--recurse", "--ext", ".test.sql", "--failures", suitesDir];
  const child = spawn(pgProve, args, { cwd: projectRoot, stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** Set when the scratch database or its roles could not be dropped: the run then fails. */
let leftovers = false;

async function runSuites(server: TestServer, pgProve: string): Promise<number> {
  const prefix = scratchPrefix("tap");
  // The names createScratchDatabase gives, known up front so that a run that
  // fails half-way through creating them still drops what it made.
  const roles: Roles = {
    owner: `${prefix}_owner`,
    authenticator: `${prefix}_auth`,
    visitor: `${prefix}_visitor`,
  };
  try {
    const db = await createScratchDatabase(server.rootUrl, prefix);
    const helpers = fillPlaceholders(fs.readFileSync(helpersFile, "utf8"), db.name, db.roles);
    await withClient(db.rootDbUrl, async (client) => {
      await client.query("create extension pgtap");
      await client.query(helpers);
    });
    return await runPgProve(pgProve, db.rootDbUrl);
  } finally {
    try {
      await dropDatabase(server.rootUrl, prefix);
      await dropRoles(server.rootUrl, roles);
    } catch (error) {
      leftovers = true;
      console.error(`Could not drop the scratch database ${prefix} or its roles:`, error);
    }
  }
}

async function main(): Promise<number> {
  const pgProve = findOnPath("pg_prove");
  if (!pgProve)
    return skip("pg_prove is not on PATH (install pg_prove / TAP::Parser::SourceHandler::pgTAP)");
  const server = await startTestServer();
  try {
    if (!(await hasPgTap(server.rootUrl))) return skip("pgTAP is not available on this server");
    return await runSuites(server, pgProve);
  } finally {
    await server.embedded?.stop();
  }
}

main().then(
  (code) => process.exit(leftovers && code === 0 ? 1 : code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
