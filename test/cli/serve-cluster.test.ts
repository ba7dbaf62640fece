/**
 * `forgeline serve --processes N`: N API processes on one port behind one
 * primary, checked on the real command. The scrape of /metrics that one process
 * answers counts every process's requests; a process that dies is replaced; a
 * SIGTERM to the primary drains them all and exits 0; mistakes are one line.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { mintToken } from "../../src/server/auth.ts";
import { useTestDatabase } from "../support/db.ts";
import { cleanEnv, runForgeline, spawnForgeline, tempDir } from "./helpers.ts";

const SECRET = "serve-cluster-secret-long-enough-for-hs256";

function childrenOf(pid: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** A counter's value for the given labels in Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels = ""): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

describe("forgeline serve --processes", () => {
  const t = useTestDatabase();
  const env = () =>
    cleanEnv({
      DATABASE_URL: t.db.ownerUrl,
      AUTH_DATABASE_URL: t.db.authUrl,
      DATABASE_VISITOR: t.db.roles.visitor,
      JWT_SECRET: SECRET,
      PORT: "0",
      LOG_FORMAT: "json",
    });

  it("serves from several processes on one port, counts them as one, replaces a dead one, stops cleanly", async () => {
    const run = spawnForgeline(["serve", "--processes", "2"], {
      cwd: tempDir("serve-cluster"),
      env: env(),
    });
    const started = await run.line(/GraphQL API: http:\/\//);
    const base = /GraphQL API: (http:\/\/[^ ]+)\/graphql/.exec(started)![1]!;
    expect(started).toContain("2 processes");
    // The primary printed the start-up lines once, not once per process.
    expect(run.stdout.filter((l) => l.includes("GraphQL API:"))).toHaveLength(1);
    const workers = childrenOf(run.child.pid!);
    expect(workers).toHaveLength(2);

    const bearer = await mintToken({
      secret: SECRET,
      issuer: "forgeline",
      audience: "forgeline",
      sub: "c",
    });
    const ask = async () => {
      // A new connection each time, so that the requests are spread over the processes.
      const res = await fetch(`${base}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${bearer}`,
          connection: "close",
        },
        body: JSON.stringify({
          query: "query ClusterProbe { currentOrgId }",
          operationName: "ClusterProbe",
        }),
      });
      expect(res.status).toBe(200);
      await res.json();
    };
    for (let i = 0; i < 20; i++) await ask();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(sample(metrics, "forgeline_api_processes")).toBe(2);
    expect(
      sample(metrics, "forgeline_http_requests_total", '{operation="ClusterProbe",status="200"}'),
    ).toBe(20);

    // A process that dies is replaced; the API keeps answering meanwhile.
    process.kill(workers[0]!, "SIGKILL");
    await ask();
    await expect
      .poll(() => childrenOf(run.child.pid!).filter((p) => p !== workers[0]).length, {
        timeout: 60_000,
        interval: 200,
      })
      .toBe(2);
    await run.line(/died \(SIGKILL\): starting another/);
    await expect
      .poll(
        async () =>
          sample(await (await fetch(`${base}/metrics`)).text(), "forgeline_api_processes"),
        { timeout: 60_000, interval: 250 },
      )
      .toBe(2);

    run.child.kill("SIGTERM");
    const exit = await run.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(run.stdout.filter((l) => l.includes("stopped cleanly")).length).toBeGreaterThanOrEqual(
      3,
    );
    expect(childrenOf(run.child.pid!)).toEqual([]);
  });

  it("says in one line what is wrong with --processes", async () => {
    const cwd = tempDir("serve-cluster-bad");
    const bad = await runForgeline(["serve", "--processes", "0"], { cwd, env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toEqual([expect.stringMatching(/^Invalid configuration: --processes /)]);
    const embedded = await runForgeline(["serve", "--processes", "2"], {
      cwd,
      env: cleanEnv({ PORT: "0", DATA_DIR: tempDir("serve-cluster-data") }),
    });
    expect(embedded.code).toBe(2);
    expect(embedded.stderr).toEqual([
      expect.stringMatching(/^Invalid configuration: DATABASE_URL /),
    ]);
  });
});
