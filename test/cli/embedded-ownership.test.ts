/**
 * The embedded default owns only what it started (DESIGN §1):
 * - with EMBEDDED_PG_PORT taken by a server it did not start (here the test
 *   server, which trusts local connections), `start` stops with one line naming
 *   the variable and creates nothing on that server;
 * - a postmaster.pid left by a crash whose pid now belongs to another program
 *   (and names another server's port) is stale: that process is not signalled,
 *   that server is not joined;
 * - Ctrl-C (SIGINT to the whole foreground process group, as a terminal sends it)
 *   reaches Forgeline only: the API and the worker drain, the embedded server
 *   stops last, nothing is logged as an error and no server is left running.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import {
  alive,
  cleanEnv,
  errorOrPlainLines,
  freePort,
  postgresOn,
  spawnForgeline,
  tempDir,
} from "./helpers.ts";

async function catalog(rootUrl: string): Promise<{ roles: string[]; databases: string[] }> {
  const client = new pg.Client({ connectionString: rootUrl });
  await client.connect();
  try {
    const roles = await client.query<{ name: string }>(
      "select rolname as name from pg_roles order by 1",
    );
    const databases = await client.query<{ name: string }>(
      "select datname as name from pg_database order by 1",
    );
    return { roles: roles.rows.map((r) => r.name), databases: databases.rows.map((r) => r.name) };
  } finally {
    await client.end();
  }
}

/** If the command did create its roles and database there after all, take them away again. */
async function removeWhatAppeared(
  rootUrl: string,
  before: { roles: string[]; databases: string[] },
  visitor: string,
): Promise<void> {
  const client = new pg.Client({ connectionString: rootUrl });
  await client.connect();
  try {
    if (!before.databases.includes("forgeline")) {
      await client.query("drop database if exists forgeline with (force)");
    }
    for (const role of ["forgeline_owner", "forgeline_authenticator", visitor]) {
      if (!before.roles.includes(role)) {
        await client.query(`drop role if exists ${client.escapeIdentifier(role)}`);
      }
    }
  } finally {
    await client.end();
  }
}

describe("the embedded server", () => {
  it(
    "refuses a port held by a server it did not start, and touches nothing there",
    { timeout: 120_000 },
    async () => {
      // The tests' server: TEST_DATABASE_URL (the machine's PostgreSQL, trust auth) or
      // the tests' own embedded one; either way not this command's.
      const { rootUrl } = inject("template");
      const port = new URL(rootUrl).port || "5432";
      const before = await catalog(rootUrl);
      const dir = tempDir("foreign");
      // A visitor role of this test's own: the embedded setup would create it there.
      const visitor = `fl_probe_${process.pid}_visitor`;
      const run = spawnForgeline(["start"], {
        cwd: dir,
        env: cleanEnv({
          DATA_DIR: `${dir}/data`,
          PORT: String(await freePort()),
          EMBEDDED_PG_PORT: port,
          DATABASE_VISITOR: visitor,
        }),
      });
      // Serving from that server is the failure this test exists for: stop at once.
      const serving = run.line(/GraphQL API: http:\/\//).then(
        () => run.child.kill("SIGKILL"),
        () => undefined,
      );
      const exit = await run.exited;
      await serving;
      try {
        expect(exit.code).toBe(2);
        expect(run.stderr.filter(Boolean)).toEqual([
          expect.stringMatching(
            new RegExp(`^Invalid configuration: EMBEDDED_PG_PORT ${port} is taken`),
          ),
        ]);
        // Whatever was logged before the refusal was no error (and no stack trace).
        expect(errorOrPlainLines(run)).toEqual([]);
        const after = await catalog(rootUrl);
        // Other test files create and drop their own fl_… roles and databases meanwhile.
        const ours = (names: string[]) => names.filter((n) => n.startsWith("forgeline"));
        expect(ours(after.roles)).toEqual(ours(before.roles));
        expect(ours(after.databases)).toEqual(ours(before.databases));
        expect(after.roles).not.toContain(visitor);
        expect(postgresOn(`${dir}/data`)).toEqual([]);
      } finally {
        await removeWhatAppeared(rootUrl, before, visitor);
      }
    },
  );

  it(
    "treats a stale postmaster.pid as stale: it neither signals nor joins the process it names",
    { timeout: 120_000 },
    async () => {
      const { rootUrl } = inject("template");
      const dir = tempDir("stale-pid");
      const visitor = `fl_probe_${process.pid}_stale`;
      const env = cleanEnv({
        DATA_DIR: `${dir}/data`,
        PORT: "0",
        EMBEDDED_PG_PORT: String(await freePort()),
        DATABASE_VISITOR: visitor,
      });
      // A cluster of its own first.
      const first = spawnForgeline(["start"], { cwd: dir, env, detached: true });
      await first.line(/GraphQL API: http:\/\//);
      process.kill(-first.child.pid!, "SIGINT");
      await first.exited;
      expect(fs.existsSync(`${dir}/data/postgres/PG_VERSION`)).toBe(true);
      // Then a crash's leftover: a pid file whose pid now belongs to another program
      // (a child of this test), naming the port of a server that is not ours.
      const stranger = spawn("sleep", ["600"], { stdio: "ignore" });
      const pidFile = `${dir}/data/postgres/postmaster.pid`;
      const before = await catalog(rootUrl);
      fs.writeFileSync(
        pidFile,
        [stranger.pid, `${dir}/data/postgres`, "0", new URL(rootUrl).port || "5432", "", ""].join(
          "\n",
        ),
      );
      try {
        const run = spawnForgeline(["start"], { cwd: dir, env, detached: true });
        await run.line(/GraphQL API: http:\/\//);
        process.kill(-run.child.pid!, "SIGINT");
        expect((await run.exited).code).toBe(0);
        expect(alive(stranger.pid!)).toBe(true);
        expect((await catalog(rootUrl)).roles).not.toContain(visitor);
        expect(errorOrPlainLines(run)).toEqual([]);
        expect(run.stdout.some((l) => l.includes("removing a stale"))).toBe(true);
      } finally {
        stranger.kill("SIGKILL");
        await removeWhatAppeared(rootUrl, before, visitor);
      }
    },
  );

  it(
    "stops cleanly on Ctrl-C to the whole process group, the database last",
    { timeout: 120_000 },
    async () => {
      const dir = tempDir("ctrl-c");
      const run = spawnForgeline(["start"], {
        cwd: dir,
        detached: true,
        env: cleanEnv({
          DATA_DIR: `${dir}/data`,
          PORT: "0",
          EMBEDDED_PG_PORT: String(await freePort()),
        }),
      });
      await run.line(/GraphQL API: http:\/\//);
      expect(postgresOn(`${dir}/data`)).not.toEqual([]);
      // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
      process.kill(-run.child.pid!, "SIGINT");
      const exit = await run.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(run.stdout.some((l) => l.includes('"msg":"stopped cleanly"'))).toBe(true);
      expect(errorOrPlainLines(run)).toEqual([]);
      expect(run.stderr.filter(Boolean)).toEqual([]);
      expect(postgresOn(`${dir}/data`)).toEqual([]);
    },
  );
});
