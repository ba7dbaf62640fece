/**
 * `npm run test:db`: the pgTAP suites in test/db/, run by pg_prove against a
 * scratch database of their own (fresh roles, all migrations applied, pgTAP and
 * test/db/_helpers.sql installed as the superuser). The server is
 * TEST_DATABASE_URL or the embedded one (test/support/server.ts). A server
 * without pgTAP, or a machine without pg_prove, skips the suites with one line —
 * and fails under CI=true, where a skip would hide missing coverage (DESIGN §7).
 * The database and its roles are dropped whatever happens; the exit code is
 * pg_prove's.
 *
 * Arguments that name suites or folders under test/db run only those
 * (`npm run test:db -- test/db/operations/audit_events.test.sql test/db/tasks`);
 * the others go to pg_prove (`npm run test:db -- --verbose`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "../src/paths.ts";
import { withClient } from "../src/db/pools.ts";
import { fillPlaceholders } from "../src/db/setup.ts";
import {
  createScratchDatabase,
  dropDatabase,
  dropRoles,
  scratchPrefix,
  scratchRoles,
  waitForIdle,
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

async function hasPgTap(rootUrl: string): Promise<boolean> {
  return withClient(
    rootUrl,
    async (client) =>
      (await client.query("select 1 from pg_available_extensions where name = 'pgtap'"))
        .rowCount === 1,
  );
}

/**
 * Ctrl-C or SIGTERM while the suites run must not skip the cleanup: the signal is
 * passed on to pg_prove (if it is running) and the run ends through the usual
 * `finally` blocks instead of dying on the spot.
 */
let interrupted: NodeJS.Signals | undefined;
let running: ChildProcess | undefined;
function onSignal(signal: NodeJS.Signals) {
  if (!interrupted) console.error(`${signal}: stopping, then dropping the scratch database`);
  interrupted = signal;
  running?.kill(signal);
}

/** Every `.test.sql` file under test/db, relative to the project root, sorted. */
function suiteFiles(): string[] {
  return fs
    .readdirSync(path.join(projectRoot, suitesDir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".test.sql"))
    .map((file) => path.join(suitesDir, file))
    .sort();
}

/**
 * The command line split into the suites to run (every suite when no argument
 * names one: a path, from the current folder, to a suite or a folder under
 * test/db) and the arguments for pg_prove.
 */
function parseArguments(args: string[]): { files: string[]; extra: string[] } {
  const all = suiteFiles();
  const selected = new Set<string>();
  const extra: string[] = [];
  for (const arg of args) {
    const relative = path.relative(projectRoot, path.resolve(arg));
    const inside = relative === suitesDir || relative.startsWith(suitesDir + path.sep);
    if (arg.startsWith("-") || !inside) {
      extra.push(arg);
      continue;
    }
    const matches = all.filter((f) => f === relative || f.startsWith(relative + path.sep));
    if (matches.length === 0) throw new Error(`No *.test.sql suite at ${arg}`);
    for (const file of matches) selected.add(file);
  }
  return { files: selected.size > 0 ? [...selected].sort() : all, extra };
}

/**
 * Streams pg_prove's output; resolves with its exit code. The suites are listed
 * rather than found with `--recurse --ext .test.sql`: pg_prove hands that suffix
 * to its pgTAP source handler, which compares it with a file's last extension
 * only (`.sql`), so every suite would fall through to the Perl handler. With
 * `--ext .sql` the handler claims them, and _helpers.sql stays out of the list.
 */
function runPgProve(
  pgProve: string,
  dbUrl: string,
  files: string[],
  extra: string[],
): Promise<number> {
  const args = ["--dbname", dbUrl, "--ext", ".sql", "--failures", ...extra, ...files];
  const child = spawn(pgProve, args, { cwd: projectRoot, stdio: "inherit" });
  running = child;
  return new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      running = undefined;
      resolve(code ?? 1);
    });
  });
}

/** Set when the scratch database or its roles could not be dropped: the run then fails. */
let leftovers = false;

async function runSuites(server: TestServer, pgProve: string): Promise<number> {
  const prefix = scratchPrefix("tap");
  // The names createScratchDatabase gives, known up front so that a run that
  // fails half-way through creating them still drops what it made.
  const roles = scratchRoles(prefix);
  const { files, extra } = parseArguments(process.argv.slice(2));
  if (files.length === 0) throw new Error(`No *.test.sql files under ${suitesDir}`);
  try {
    const db = await createScratchDatabase(server.rootUrl, prefix);
    const helpers = fillPlaceholders(fs.readFileSync(helpersFile, "utf8"), db.name, db.roles);
    await withClient(db.rootDbUrl, async (client) => {
      await client.query("create extension pgtap");
      await client.query(helpers).catch((error: unknown) => {
        throw new Error(`${path.join(suitesDir, "_helpers.sql")} failed to install`, {
          cause: error,
        });
      });
    });
    if (interrupted) return 1;
    return await runPgProve(pgProve, db.rootDbUrl, files, extra);
  } finally {
    try {
      await waitForIdle(server.rootUrl, prefix);
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
  if (!pgProve) return skip("pg_prove is not on PATH");
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
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
