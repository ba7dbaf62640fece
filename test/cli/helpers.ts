/**
 * The real `forgeline` command in a child process, as an operator runs it: Node
 * 24 (process.execPath) on src/cli/index.ts, with an environment of the test's
 * own (not the test runner's), a temporary working directory and DATA_DIR, and
 * free ports. Tests assert exit codes and output lines, never timings: every
 * wait below is bounded only so that a broken build fails instead of hanging.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { projectRoot } from "../../src/paths.ts";

export const CLI = path.join(projectRoot, "src", "cli", "index.ts");

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const made: string[] = [];

/** A fresh temporary folder, removed after the file's tests. */
export function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `forgeline-${label}-`));
  made.push(dir);
  return dir;
}

/** Only what a shell would hand the command, plus the test's variables. */
export function cleanEnv(vars: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C.UTF-8",
    // Plain lines in assertions: no colour codes even where a format is forced.
    NO_COLOR: "1",
  };
  for (const [key, value] of Object.entries(vars)) if (value !== undefined) env[key] = value;
  return env;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<Exit>;
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** stdout lines parsed as JSON (lines that are not JSON are returned as { raw }). */
  json(): Array<Record<string, unknown>>;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Its own process group (as a terminal's foreground job), so a test can signal the group. */
  detached?: boolean;
  /** The program to run instead of `node src/cli/index.ts` (e.g. npm). */
  command?: { file: string; args: string[] };
}

/** Children still running, and whether each leads its own process group. */
const running = new Map<ChildProcess, boolean>();

/** What a failed test may have left: its commands, their postgres servers, the folders. */
afterAll(async () => {
  for (const [child, detached] of running) {
    try {
      process.kill(detached ? -child.pid! : child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const dir of made) {
    for (const pid of postgresUnder(dir)) {
      process.kill(pid, "SIGQUIT");
      await waitForExit(pid, 10_000);
    }
  }
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function lines(stream: NodeJS.ReadableStream | null, into: string[], onLine: () => void): void {
  let rest = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    into.push(...parts);
    onLine();
  });
  stream?.on("end", () => {
    if (rest) into.push(rest);
    onLine();
  });
}

export function spawnForgeline(args: string[], options: SpawnOptions): Run {
  const file = options.command?.file ?? process.execPath;
  const argv = options.command?.args ?? [CLI, ...args];
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env,
    detached: options.detached ?? false,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.set(child, options.detached ?? false);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  lines(child.stdout, stdout, notify);
  lines(child.stderr, stderr, notify);
  let closed = false;
  const exited = new Promise<Exit>((resolve) =>
    child.once("close", (code, signal) => {
      running.delete(child);
      closed = true;
      notify();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout,
    stderr,
    exited,
    json: () =>
      stdout
        .filter((l) => l.trim() !== "")
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return { raw: l };
          }
        }),
    line(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = stdout.find((l) => pattern.test(l));
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (closed) {
            done();
            reject(
              new Error(
                `exited before printing ${pattern}:\n${stdout.join("\n")}\n${stderr.join("\n")}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${stdout.join("\n")}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs the command to its end. */
export async function runForgeline(
  args: string[],
  options: SpawnOptions,
): Promise<Exit & { stdout: string[]; stderr: string[] }> {
  const run = spawnForgeline(args, options);
  const exit = await run.exited;
  return { ...exit, stdout: run.stdout.filter(Boolean), stderr: run.stderr.filter(Boolean) };
}

/** Pids of postgres servers (postmasters) whose data folder passes `test` (from /proc). */
function postgresWhere(test: (pgData: string) => boolean): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const d = argv.indexOf("-D");
      if (path.basename(argv[0] ?? "") === "postgres" && d >= 0 && test(argv[d + 1] ?? "")) {
        found.push(Number(entry));
      }
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Pids of postgres servers running on `<dataDir>/postgres`. */
export function postgresOn(dataDir: string): number[] {
  const pgData = path.join(dataDir, "postgres");
  return postgresWhere((d) => d === pgData);
}

function postgresUnder(dir: string): number[] {
  return postgresWhere((d) => d.startsWith(`${dir}/`));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `pid` has exited; false if it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** Log lines (JSON) at error level, or any line that is not JSON. */
export function errorOrPlainLines(run: Run): string[] {
  return run
    .json()
    .filter((l) => "raw" in l || l.level === "error" || l.level === "fatal")
    .map((l) => JSON.stringify(l));
}
