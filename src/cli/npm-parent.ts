/**
 * An orphaned `npm start` notices that npm is gone and stops cleanly.
 *
 * How npm 11 runs the script here (checked on this machine, npm 11.19, Debian's
 * /bin/sh = dash 0.5.12): `npm start` spawns `sh -c "node src/cli/index.ts start"`,
 * and dash does not exec the last command of a `-c` string, so the tree is
 * npm → sh → node, all in npm's process group. (With `--script-shell=bash`, bash
 * execs and it is npm → node.) npm forwards SIGINT and SIGTERM to sh only; sh waits
 * for node on SIGINT (the terminal's Ctrl-C reaches node directly) but dies of
 * SIGTERM. So when npm is killed (`kill -9`, or SIGTERM from a supervisor that
 * started `npm start`), node is left running, holding the API port and the
 * embedded server, and the next start fails.
 *
 * This module finds the npm process that started us, when it did (npm's script
 * environment is set, and our parent is npm, or a shell whose parent is npm), and
 * polls that it still runs. A process started by a process manager, nohup, a
 * shell or a test has no npm ancestor of this shape and is never watched. Linux
 * only (it reads /proc); elsewhere nothing is watched.
 */
import fs from "node:fs";
import path from "node:path";

interface ProcessInfo {
  pid: number;
  ppid: number;
  /** R, S, … Z for a zombie: exited, not yet reaped by its parent. */
  state: string;
  /** Start time in clock ticks since boot: tells a reused pid from the process we saw. */
  startTime: string;
  argv: string[];
}

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return {
      pid,
      state: fields[0] ?? "",
      ppid: Number(fields[1]),
      startTime: fields[19] ?? "",
      argv,
    };
  } catch {
    return undefined;
  }
}

const SHELLS = new Set(["sh", "dash", "bash", "zsh", "ksh", "mksh", "ash", "busybox"]);

/** npm sets its title ("npm start"), which replaces argv; an untitled npm runs npm-cli.js. */
function isNpm(info: ProcessInfo): boolean {
  return (
    /^npm( |$)/.test(info.argv[0] ?? "") ||
    path.basename(info.argv[0] ?? "") === "npm" ||
    info.argv.some((arg) => path.basename(arg) === "npm-cli.js")
  );
}

function isShell(info: ProcessInfo): boolean {
  return SHELLS.has(path.basename(info.argv[0] ?? ""));
}

/** The npm process that runs this one as a package script, if any. */
export function npmParent(): ProcessInfo | undefined {
  if (!process.env.npm_lifecycle_event) return undefined;
  const parent = processInfo(process.ppid);
  if (!parent) return undefined;
  if (isNpm(parent)) return parent;
  if (!isShell(parent)) return undefined;
  const grandparent = processInfo(parent.ppid);
  return grandparent && isNpm(grandparent) ? grandparent : undefined;
}

/**
 * Calls `onGone` once when the npm process that started this one has exited.
 * Returns a function that stops watching. Does nothing when npm did not start us.
 */
export function watchNpmParent(onGone: (npmPid: number) => void, intervalMs = 1000): () => void {
  const npm = npmParent();
  if (!npm) return () => undefined;
  const timer = setInterval(() => {
    const now = processInfo(npm.pid);
    if (now && now.state !== "Z" && now.startTime === npm.startTime) return;
    clearInterval(timer);
    onGone(npm.pid);
  }, intervalMs);
  // Never what keeps the process alive.
  timer.unref();
  return () => clearInterval(timer);
}
