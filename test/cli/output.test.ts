/**
 * What the command prints, and where from:
 * - on a terminal, readable lines (`[forgeline] GraphQL API: http://…`); JSON lines
 *   when stdout is not a terminal or NODE_ENV=production; LOG_FORMAT overrides;
 * - no plain-text line in a JSON stream, and nothing on stderr but the one-line
 *   ConfigError;
 * - after migrating, how many migrations were applied, or that none were needed;
 * - `.env` in the working directory is read, and the environment wins over it;
 * - `--version` prints the package's version.
 * The terminal is a real pseudo-terminal (util-linux `script`), and Ctrl-C is
 * typed into it.
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/paths.ts";
import {
  CLI,
  cleanEnv,
  freePort,
  postgresOn,
  runForgeline,
  tempDir,
  type Exit,
} from "./helpers.ts";

const hasScript = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

interface TerminalRun {
  lines: string[];
  exited: Promise<Exit>;
  /** Resolves once a line matches. */
  line(pattern: RegExp): Promise<string>;
  /** Types into the terminal (e.g. "\x03": Ctrl-C, a SIGINT to its foreground group). */
  type(text: string): void;
}

/** `forgeline <args>` on a pseudo-terminal of its own, as a person at a terminal runs it. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv, cwd: string): TerminalRun {
  const command = ["exec", process.execPath, CLI, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["--quiet", "--return", "--command", command, "/dev/null"], {
    cwd,
    env: { ...env, SHELL: "/bin/sh", TERM: "xterm" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let rest = "";
  const waiters = new Set<() => void>();
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const parts = (rest + chunk).replace(ANSI, "").split(/\r?\n/);
    rest = parts.pop() ?? "";
    lines.push(...parts);
    waiters.forEach((w) => w());
  });
  let closed = false;
  const exited = new Promise<Exit>((resolve) =>
    child.once("close", (code, signal) => {
      closed = true;
      waiters.forEach((w) => w());
      resolve({ code, signal });
    }),
  );
  return {
    lines,
    exited,
    type: (text) => void child.stdin.write(text),
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => pattern.test(l));
          if (found !== undefined) {
            waiters.delete(check);
            resolve(found);
          } else if (closed) {
            waiters.delete(check);
            reject(new Error(`exited before printing ${pattern}:\n${lines.join("\n")}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Every non-empty line parses as a JSON object. */
function allJson(lines: string[]): boolean {
  return lines.every((l) => {
    try {
      return typeof JSON.parse(l) === "object";
    } catch {
      return false;
    }
  });
}

describe.runIf(hasScript)("on a terminal", () => {
  it(
    "prints readable lines, says what it migrated, and stops on Ctrl-C",
    { timeout: 120_000 },
    async () => {
      const dir = tempDir("terminal");
      const env = cleanEnv({
        DATA_DIR: `${dir}/data`,
        PORT: "0",
        EMBEDDED_PG_PORT: String(await freePort()),
      });
      delete env.NO_COLOR; // colours on: the lines must read well through them too
      const run = onTerminal(["start"], env, dir);
      const api = await run.line(/GraphQL API: http:\/\//);
      expect(api).toMatch(/^\[forgeline\] GraphQL API: http:\/\/127\.0\.0\.1:\d+\/graphql /);
      expect(run.lines).toContainEqual(
        expect.stringMatching(
          /^\[forgeline\] database schema: applied \d+ committed migrations \(the database is at migration \d{6}\)$/,
        ),
      );
      expect(run.lines).toContainEqual(expect.stringMatching(/^\[postgres\] initialising/));
      expect(run.lines.join("\n")).not.toContain("database schema is up to date");
      run.type("\x03");
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(run.lines).toContain("[forgeline] stopped cleanly");
      expect(run.lines.filter((l) => l.startsWith("{"))).toEqual([]);
      expect(run.lines.filter((l) => /\b(ERROR|error)\b/.test(l))).toEqual([]);
      expect(postgresOn(`${dir}/data`)).toEqual([]);

      // The same data again: nothing to migrate, and it says so.
      const again = await runForgeline(["migrate"], { cwd: dir, env: cleanEnv(env) });
      expect(again.code).toBe(0);
      const messages = again.stdout.map((l) => (JSON.parse(l) as { msg: string }).msg);
      expect(messages).toContainEqual(
        expect.stringMatching(/^database schema: no migrations needed \(the database is at/),
      );
    },
  );

  it("writes JSON on a terminal in production, or with LOG_FORMAT=json", async () => {
    const dir = tempDir("formats");
    for (const vars of [{ NODE_ENV: "production" }, { LOG_FORMAT: "json" }]) {
      const run = onTerminal(["schedule"], cleanEnv({ DATA_DIR: `${dir}/data`, ...vars }), dir);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      const lines = run.lines.filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      expect(allJson(lines)).toBe(true);
    }
  });
});

describe("not on a terminal", () => {
  it("writes only JSON lines on stdout and nothing on stderr, [postgres] lines included", async () => {
    const dir = tempDir("json");
    const result = await runForgeline(["migrate"], {
      cwd: dir,
      env: cleanEnv({ DATA_DIR: `${dir}/data`, EMBEDDED_PG_PORT: String(await freePort()) }),
    });
    expect(result.code).toBe(0);
    expect(allJson(result.stdout)).toBe(true);
    expect(result.stderr).toEqual([]);
    const parsed = result.stdout.map((l) => JSON.parse(l) as { component?: string; msg: string });
    expect(parsed.some((l) => l.component === "postgres" && l.msg.startsWith("initialising"))).toBe(
      true,
    );
    expect(parsed.some((l) => /^database schema: applied \d+/.test(l.msg))).toBe(true);
  });

  it("writes readable lines with LOG_FORMAT=pretty", async () => {
    const dir = tempDir("pretty");
    const result = await runForgeline(["schedule"], {
      cwd: dir,
      env: cleanEnv({ DATA_DIR: `${dir}/data`, LOG_FORMAT: "pretty" }),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toEqual([
      "[forgeline] embedded database: no pg_cron; the worker's crontab runs maintenance every minute",
    ]);
  });
});

describe("what libraries print with console.*", () => {
  it("becomes log lines in the same stream (start, serve, worker, migrate route it)", () => {
    const logger = JSON.stringify(path.join(projectRoot, "src/logger.ts"));
    const script =
      `const { routeConsoleToLogger } = await import(${logger});\n` +
      `routeConsoleToLogger();\n` +
      `console.log("Schema constructed in %d ms", 12);\n` +
      `console.warn("[WARNING] a library warning");\n` +
      `console.error("Unexpected error occurred:", new Error("boom"));\n`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      env: cleanEnv({}),
      encoding: "utf8",
    });
    const lines = out
      .trim()
      .split("\n")
      .map(
        (l) => JSON.parse(l) as { level: string; component: string; msg: string; err?: unknown },
      );
    expect(lines.map(({ level, component, msg }) => ({ level, component, msg }))).toEqual([
      { level: "info", component: "console", msg: "Schema constructed in 12 ms" },
      { level: "warn", component: "console", msg: "[WARNING] a library warning" },
      { level: "error", component: "console", msg: "Unexpected error occurred: boom" },
    ]);
    expect(lines[2]?.err).toMatchObject({
      message: "boom",
      stack: expect.stringContaining("Error: boom") as unknown,
    });
  });
});

describe(".env", () => {
  it("is read from the working directory, and the environment wins over it", async () => {
    const dir = tempDir("dotenv");
    fs.writeFileSync(
      path.join(dir, ".env"),
      "# a comment\nLOG_FORMAT=pretty\nPORT=not-a-port\nDATA_DIR=from-the-file\n",
    );
    const result = await runForgeline(["schedule"], {
      cwd: dir,
      // PORT from the environment: the file's invalid one must not be used.
      env: cleanEnv({ PORT: "0" }),
    });
    expect(result.stderr).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toEqual([
      "[forgeline] embedded database: no pg_cron; the worker's crontab runs maintenance every minute",
    ]);
  });

  it("stops the command when it sets a bad value nobody overrides", async () => {
    const dir = tempDir("dotenv-bad");
    fs.writeFileSync(path.join(dir, ".env"), "PORT=not-a-port\n");
    const result = await runForgeline(["schedule"], { cwd: dir, env: cleanEnv({}) });
    expect(result.code).toBe(2);
    expect(result.stderr).toEqual([expect.stringMatching(/^Invalid configuration: PORT /)]);
  });
});

describe("--version", () => {
  it("prints the package's version", async () => {
    const { version } = JSON.parse(
      fs.readFileSync(path.join(projectRoot, "package.json"), "utf8"),
    ) as { version: string };
    const result = await runForgeline(["--version"], {
      cwd: tempDir("version"),
      env: cleanEnv({}),
    });
    expect(result).toMatchObject({ code: 0, stdout: [version], stderr: [] });
  });
});
