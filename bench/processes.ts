/**
 * The servers under test, each in a child process of its own so the load
 * generator (autocannon, in the bench process) never shares their event loop.
 * A child listens on a port picked here, writes its output to a log file (not a
 * pipe the bench process would have to drain while measuring), and counts as
 * started once GET /readyz answers 200.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { readProcessCpu } from "./cpu.ts";

export interface ChildServer {
  name: string;
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  logFile: string;
  /** CPU seconds (user + system) the process has used so far; null where /proc is missing. */
  cpuSeconds(): number | null;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface ChildServerOptions {
  name: string;
  /** Arguments to this Node binary (a script and its arguments). */
  args: string[];
  /** Extra environment; HOST and PORT are added here. */
  env: NodeJS.ProcessEnv;
  logDir: string;
  cwd: string;
  timeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function tail(file: string, bytes = 4000): string {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text.slice(-bytes).trim();
  } catch {
    return "(no output)";
  }
}

export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  fs.mkdirSync(options.logDir, { recursive: true });
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const out = fs.openSync(logFile, "w");
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, options.args, {
      cwd: options.cwd,
      env: { ...options.env, HOST: "127.0.0.1", PORT: String(port) },
      stdio: ["ignore", out, out],
    });
  } finally {
    fs.closeSync(out); // the child holds its own copy
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.once("error", () => resolve(null));
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const stop = async () => {
    if (hasExited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    while (true) {
      if (hasExited) throw new Error(`${options.name} exited while starting`);
      if (Date.now() > deadline)
        throw new Error(`${options.name} was not ready within the timeout`);
      const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (e) {
    await stop();
    throw new Error(
      `${e instanceof Error ? e.message : String(e)}; its output (${logFile}):\n${tail(logFile)}`,
      { cause: e },
    );
  }
  const pid = child.pid!;
  return {
    name: options.name,
    url,
    pid,
    logFile,
    cpuSeconds: () => readProcessCpu(pid),
    stop,
  };
}
