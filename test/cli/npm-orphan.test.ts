/**
 * `kill -9` of the npm wrapper: npm 11 runs the script as npm → sh → node (dash
 * does not exec a `-c` command), so node and the embedded server used to keep
 * running, holding the ports, and the next start failed with an EADDRINUSE stack
 * trace. Now the orphaned process notices that npm is gone and stops cleanly, and
 * the next start on the same ports and data works. Only an npm parent counts:
 * a process under a shell, nohup or a process manager is never watched.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/paths.ts";
import {
  cleanEnv,
  errorOrPlainLines,
  freePort,
  postgresOn,
  spawnForgeline,
  tempDir,
  waitForExit,
  type Run,
} from "./helpers.ts";

/** Pids of `pid`'s descendants whose command line matches `pattern`. */
function descendants(pid: number, pattern: RegExp): number[] {
  const children = (p: number): number[] => {
    try {
      return fs
        .readFileSync(`/proc/${p}/task/${p}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  };
  const found: number[] = [];
  const walk = (p: number) => {
    for (const c of children(p)) {
      const argv = fs.readFileSync(`/proc/${c}/cmdline`, "utf8").split("\0").join(" ");
      if (pattern.test(argv)) found.push(c);
      walk(c);
    }
  };
  walk(pid);
  return found;
}

/** npm's own banner lines ("> forgeline@0.1.0 start") are not ours to judge. */
function ourProblems(run: Run): string[] {
  return errorOrPlainLines(run).filter((l) => !/^\{"raw":"(> .*)?"\}$/.test(l));
}

// It reads /proc, as src/cli/npm-parent.ts does: Linux only.
const linux = fs.existsSync("/proc/self/stat");

describe.runIf(linux)("an orphaned npm start", () => {
  it(
    "stops cleanly when npm is killed, and the next start works",
    { timeout: 180_000 },
    async () => {
      const dir = tempDir("npm");
      // Fixed ports: a first start left running would make the second one fail.
      const env = cleanEnv({
        DATA_DIR: `${dir}/data`,
        PORT: String(await freePort()),
        EMBEDDED_PG_PORT: String(await freePort()),
      });
      const npm = spawnForgeline([], {
        cwd: projectRoot,
        env,
        detached: true,
        command: { file: "npm", args: ["start"] },
      });
      await npm.line(/GraphQL API: http:\/\//);
      const [node] = descendants(npm.child.pid!, /^node src\/cli\/index\.ts start/);
      // npm → sh → node here (dash does not exec); npm → node where the shell execs.
      expect(node).toBeDefined();

      process.kill(npm.child.pid!, "SIGKILL");
      expect(await waitForExit(node!)).toBe(true);
      await npm.exited; // the output pipe closes once sh and node are gone
      expect(
        npm.stdout.some((l) => /npm \(pid \d+\), which started this process, is gone/.test(l)),
      ).toBe(true);
      expect(npm.stdout.some((l) => l.includes('"msg":"stopped cleanly"'))).toBe(true);
      expect(ourProblems(npm)).toEqual([]);
      expect(postgresOn(`${dir}/data`)).toEqual([]);

      const again = spawnForgeline(["start"], { cwd: dir, env, detached: true });
      await again.line(/GraphQL API: http:\/\//);
      process.kill(-again.child.pid!, "SIGINT");
      expect(await again.exited).toEqual({ code: 0, signal: null });
      expect(errorOrPlainLines(again)).toEqual([]);
      expect(postgresOn(`${dir}/data`)).toEqual([]);
    },
  );
});

describe.runIf(linux)("who counts as the npm parent", () => {
  // A script that prints the pid npmParent() finds, or "none".
  const probeDir = tempDir("npm-probe");
  const probe = path.join(probeDir, "probe.ts");
  fs.writeFileSync(
    probe,
    `import { npmParent } from ${JSON.stringify(path.join(projectRoot, "src/cli/npm-parent.ts"))};\n` +
      `console.log(npmParent()?.pid ?? "none");\n`,
  );
  fs.writeFileSync(
    path.join(probeDir, "package.json"),
    JSON.stringify({
      name: "probe",
      private: true,
      type: "module",
      scripts: { probe: `node ${probe}` },
    }),
  );
  // npm runs scripts on the Node found first on PATH: make it this one (Node 24).
  const env = cleanEnv({ PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` });
  const npmRun = (...args: string[]) =>
    execFileSync("npm", ["run", "--silent", ...args, "probe"], {
      cwd: probeDir,
      env,
      encoding: "utf8",
    }).trim();

  it("is npm behind its sh -c (the default script shell)", () => {
    expect(npmRun()).toMatch(/^\d+$/);
  });

  it("is npm itself when the script shell execs the command", () => {
    expect(npmRun("--script-shell=bash")).toMatch(/^\d+$/);
  });

  it("is nobody under a plain shell or nohup, even with npm's variables inherited", () => {
    const inherited = { ...env, npm_lifecycle_event: "start" };
    const node = JSON.stringify(process.execPath);
    const viaShell = execFileSync("sh", ["-c", `${node} ${probe}; true`], {
      env: inherited,
      encoding: "utf8",
    });
    const viaNohup = execFileSync("nohup", [process.execPath, probe], {
      env: inherited,
      encoding: "utf8",
    });
    expect([viaShell.trim(), viaNohup.trim()]).toEqual(["none", "none"]);
  });
});
