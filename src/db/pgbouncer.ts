/**
 * A PgBouncer of our own, for the tests and the bench: the API behind a real
 * transaction pooler, as docker-compose.yml runs it in production.
 *
 * It listens on a Unix socket only, in a temporary folder of its own (no TCP port
 * to find or to collide on), pools in transaction mode, authenticates clients
 * with SCRAM against the users and passwords it is given, connects to the server
 * of `serverUrl` for any database name, and is stopped (and its folder removed)
 * by `stop()`. PgBouncer refuses to run as root: as root it runs as the
 * `postgres` system user, like the embedded server.
 *
 * Behind a transaction pooler (PgBouncer before 1.21) the API must not use
 * named prepared statements: set DATAPLAN_PG_PREPARED_STATEMENT_CACHE_SIZE=0 in
 * the API's environment (docker-compose.yml does). LISTEN needs a session: give
 * subscriptions a direct connection (AUTH_LISTEN_DATABASE_URL).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";

export interface PgBouncerOptions {
  /** The PostgreSQL server to pool (any database on it, by name). */
  serverUrl: string;
  /** Who may connect (and with what PgBouncer logs into the server). */
  users: Array<{ name: string; password: string }>;
  /** Server connections per database and user (PgBouncer's default_pool_size). */
  poolSize: number;
  /** Client connections PgBouncer accepts (max_client_conn). */
  maxClientConnections?: number;
  /** How long a client may wait for a server connection before PgBouncer fails its query (s). */
  queryWaitTimeoutSeconds?: number;
  log?: (line: string) => void;
}

/** PgBouncer's view of its pools, summed over them (SHOW POOLS). */
export interface PoolerStats {
  /** Client connections running a transaction on a server connection. */
  clientsActive: number;
  /** Client connections waiting for a server connection. */
  clientsWaiting: number;
  serversActive: number;
  serversIdle: number;
  /** The longest current wait of a client, in ms. */
  maxWaitMs: number;
}

export interface PgBouncer extends PoolerAddress {
  /** Its process (for CPU accounting). */
  pid: number | undefined;
  /** `url` (a server URL: user, password, database) rewritten to go through PgBouncer. */
  urlFor(url: string): string;
  stats(): Promise<PoolerStats>;
  /** PgBouncer's own log so far. */
  logText(): string;
  stop(): Promise<void>;
}

/** The pgbouncer binary: PGBOUNCER, else on PATH, else Debian's /usr/sbin/pgbouncer. */
export function findPgBouncer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PGBOUNCER) return fs.existsSync(env.PGBOUNCER) ? env.PGBOUNCER : undefined;
  const dirs = [...(env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, "pgbouncer");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

// Any port number works for a Unix socket (.s.PGSQL.<port> in our own folder).
const SOCKET_PORT = 6432;

/** Where a PgBouncer of startPgBouncer listens: its socket folder and port, and its admin console. */
export interface PoolerAddress {
  dir: string;
  port: number;
  /** The admin console (database `pgbouncer`), for SHOW and KILL. */
  adminUrl: string;
}

/**
 * Closes PgBouncer's server connections to `database` (PAUSE: once no
 * transaction runs, PgBouncer disconnects from the server), so that it can be
 * dropped without waiting for PgBouncer's idle server connections to time out.
 * Clients still connected stay connected; their next query would wait.
 */
export async function closePooledConnections(at: PoolerAddress, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: at.adminUrl });
  await client.connect();
  try {
    await client.query(`pause ${pg.escapeIdentifier(database)}`);
  } catch {
    // PgBouncer has no pool for it: nothing to close.
  } finally {
    await client.end();
  }
}

/** `url` (a server URL: user, password, database) rewritten to go through the pooler at `at`. */
export function pooledUrl(url: string, at: Pick<PoolerAddress, "dir" | "port">): string {
  const u = new URL(url);
  u.hostname = "localhost";
  u.port = String(at.port);
  u.searchParams.set("host", at.dir);
  return u.toString();
}

const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = findPgBouncer();
  if (!binary) {
    throw new Error(
      "pgbouncer is not installed (Debian: apt-get install pgbouncer; or set PGBOUNCER to its path)",
    );
  }
  const log = options.log ?? (() => undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "forgeline-pgbouncer-"));
  fs.chmodSync(dir, 0o755);
  const server = new URL(options.serverUrl);
  const admin = { name: "forgeline_pooler_admin", password: randomBytes(12).toString("hex") };
  const users = [...options.users, admin];
  fs.writeFileSync(
    path.join(dir, "users.txt"),
    users.map((u) => `${quote(u.name)} ${quote(u.password)}`).join("\n") + "\n",
    { mode: 0o600 },
  );
  const { serverUser } = await import("./embedded.ts");
  const runAs = serverUser(log);
  const ini = [
    "[databases]",
    // Every database of the server, by the name the client asks for.
    `* = host=${server.hostname.replace(/^\[|\]$/g, "")} port=${server.port || "5432"}`,
    "[pgbouncer]",
    "listen_addr =",
    `unix_socket_dir = ${dir}`,
    `listen_port = ${SOCKET_PORT}`,
    "auth_type = scram-sha-256",
    `auth_file = ${path.join(dir, "users.txt")}`,
    "pool_mode = transaction",
    `default_pool_size = ${options.poolSize}`,
    "min_pool_size = 0",
    "reserve_pool_size = 0",
    `max_client_conn = ${options.maxClientConnections ?? 5000}`,
    `query_wait_timeout = ${options.queryWaitTimeoutSeconds ?? 120}`,
    // After a failed login to the server (e.g. it was at max_connections), try again soon.
    "server_login_retry = 1",
    `admin_users = ${admin.name}`,
    `stats_users = ${admin.name}`,
    "ignore_startup_parameters = extra_float_digits,options",
    `logfile = ${path.join(dir, "pgbouncer.log")}`,
    `pidfile = ${path.join(dir, "pgbouncer.pid")}`,
    "log_connections = 0",
    "log_disconnections = 0",
    ...(runAs ? [`user = ${runAs.name}`] : []),
  ].join("\n");
  const iniPath = path.join(dir, "pgbouncer.ini");
  fs.writeFileSync(iniPath, ini + "\n");
  if (runAs) {
    for (const file of [dir, ...fs.readdirSync(dir).map((f) => path.join(dir, f))]) {
      fs.chownSync(file, runAs.uid, runAs.gid);
    }
  }
  const child: ChildProcess = spawn(binary, [iniPath], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );

  const logText = () => {
    try {
      return fs.readFileSync(path.join(dir, "pgbouncer.log"), "utf8") + output;
    } catch {
      return output;
    }
  };
  const urlFor = (url: string) => pooledUrl(url, { dir, port: SOCKET_PORT });
  const adminUrl = urlFor(`postgres://${admin.name}:${admin.password}@localhost/pgbouncer`);
  const stop = async () => {
    if (!exited) {
      child.kill("SIGINT"); // PgBouncer: SIGINT is a safe shutdown; SIGTERM is immediate
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  // Ready when its admin console answers.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) {
      const text = logText();
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`pgbouncer exited at start-up:\n${text}`);
    }
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      await client.query("show version");
      await client.end();
      break;
    } catch (e) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `pgbouncer did not answer within 15 s: ${e instanceof Error ? e.message : String(e)}`,
          { cause: e },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  log(`pgbouncer (transaction pooling, ${options.poolSize} per pool) on ${dir}`);

  return {
    dir,
    port: SOCKET_PORT,
    adminUrl,
    pid: child.pid,
    urlFor,
    logText,
    stop,
    async stats() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        const { rows } = await client.query<Record<string, string | number>>("show pools");
        const sum = (column: string) =>
          rows
            .filter((r) => r.database !== "pgbouncer")
            .reduce((total, r) => total + Number(r[column] ?? 0), 0);
        const maxWaitMs = rows.reduce(
          (max, r) =>
            Math.max(max, Number(r.maxwait ?? 0) * 1000 + Number(r.maxwait_us ?? 0) / 1000),
          0,
        );
        return {
          clientsActive: sum("cl_active"),
          clientsWaiting: sum("cl_waiting"),
          serversActive: sum("sv_active"),
          serversIdle: sum("sv_idle"),
          maxWaitMs,
        };
      } finally {
        await client.end();
      }
    },
  };
}
