/**
 * Start-up failures an operator fixes with a variable end the real command with
 * exit code 2 and one line on stderr naming that variable, and no stack trace
 * (nor any error-level log line) anywhere: a closed database port, an unknown
 * role or database, a wrong password, the API port taken, a HOST that is not
 * this machine's, a JWT_PUBLIC_KEY that is no key.
 */
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EmbeddedPostgres } from "../../src/db/embedded.ts";
import { cleanEnv, freePort, runForgeline, tempDir } from "./helpers.ts";

const JWT_SECRET = "a-test-secret-that-is-long-enough-for-hs256";

/** Runs `forgeline <command>` with `vars` and returns what an operator sees. */
async function failure(command: string, vars: Record<string, string>) {
  const dir = tempDir("startup");
  const result = await runForgeline([command], {
    cwd: dir,
    env: cleanEnv({ DATA_DIR: `${dir}/data`, PORT: "0", ...vars }),
  });
  const notJson = result.stdout.filter((l) => !l.startsWith("{"));
  const errorLogs = result.stdout.filter((l) => /"level":"(error|fatal)"/.test(l));
  return { code: result.code, stderr: result.stderr, noise: [...notJson, ...errorLogs] };
}

function expectOneLine(
  outcome: Awaited<ReturnType<typeof failure>>,
  variable: string,
  rest: RegExp = /./,
) {
  expect(outcome.stderr).toEqual([
    expect.stringMatching(new RegExp(`^Invalid configuration: ${variable} `)),
  ]);
  expect(outcome.stderr[0]).toMatch(rest);
  expect(outcome.noise).toEqual([]);
  expect(outcome.code).toBe(2);
}

/** A URL on the tests' server (TEST_DATABASE_URL or the embedded test server) with changes. */
function onTestServer(change: (u: URL) => void): string {
  const u = new URL(inject("template").rootUrl);
  change(u);
  return u.toString();
}

describe("database URLs", () => {
  it("names DATABASE_URL when nothing listens on its port", async () => {
    const url = `postgres://app_owner@127.0.0.1:${await freePort()}/app`;
    const outcome = await failure("start", {
      DATABASE_URL: url,
      AUTH_DATABASE_URL: url.replace("app_owner", "app_auth"),
      JWT_SECRET,
    });
    expectOneLine(outcome, "DATABASE_URL", /connection refused/);
  });

  it("names DATABASE_URL when its role does not exist", async () => {
    const url = onTestServer((u) => {
      u.username = "fl_no_such_role";
      u.password = "some-password";
    });
    const outcome = await failure("start", {
      DATABASE_URL: url,
      AUTH_DATABASE_URL: url,
      JWT_SECRET,
    });
    // A trusting server says so; one that checks passwords does not tell a missing role.
    expectOneLine(
      outcome,
      "DATABASE_URL",
      /role "fl_no_such_role" does not exist|password authentication failed for user "fl_no_such_role"/,
    );
  });

  it("names DATABASE_URL when its database does not exist", async () => {
    const url = onTestServer((u) => (u.pathname = "/fl_no_such_database"));
    const outcome = await failure("worker", { DATABASE_URL: url, AUTH_DATABASE_URL: url });
    expectOneLine(outcome, "DATABASE_URL", /database "fl_no_such_database", which does not exist/);
  });

  it("names ROOT_DATABASE_URL when that one is wrong", async () => {
    const url = onTestServer((u) => (u.pathname = "/fl_no_such_database"));
    const outcome = await failure("migrate", {
      DATABASE_URL: onTestServer(() => undefined),
      AUTH_DATABASE_URL: onTestServer(() => undefined),
      ROOT_DATABASE_URL: url,
    });
    expectOneLine(outcome, "ROOT_DATABASE_URL", /does not exist/);
  });

  describe("on a server that checks passwords", () => {
    let server: EmbeddedPostgres;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      server = new EmbeddedPostgres({
        dataDir: tempDir("password-server"),
        port,
        superuser: "postgres",
        password: "the-right-password",
        log: () => undefined,
      });
      await server.start();
    });
    afterAll(() => server?.stop());

    it("names DATABASE_URL for a wrong password", async () => {
      const url = `postgres://postgres:wrong@127.0.0.1:${port}/postgres`;
      const outcome = await failure("start", {
        DATABASE_URL: url,
        AUTH_DATABASE_URL: url,
        JWT_SECRET,
      });
      expectOneLine(outcome, "DATABASE_URL", /password authentication failed for user "postgres"/);
      expect(outcome.stderr[0]).not.toContain("wrong");
    });

    it("names DATABASE_URL when it carries no password", async () => {
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      const outcome = await failure("worker", { DATABASE_URL: url, AUTH_DATABASE_URL: url });
      expectOneLine(outcome, "DATABASE_URL", /has no password for user "postgres"/);
    });

    it("names AUTH_DATABASE_URL for the API's wrong password", async () => {
      const good = `postgres://postgres:the-right-password@127.0.0.1:${port}/postgres`;
      const outcome = await failure("serve", {
        DATABASE_URL: good,
        AUTH_DATABASE_URL: good.replace("the-right-password", "wrong"),
        JWT_SECRET,
      });
      expectOneLine(outcome, "AUTH_DATABASE_URL", /password authentication failed/);
    });
  });
});

describe("the API's address", () => {
  let taken: Server;
  let takenPort: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    takenPort = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it("names PORT when another program listens there (EADDRINUSE)", async () => {
    const outcome = await failure("start", {
      PORT: String(takenPort),
      EMBEDDED_PG_PORT: String(await freePort()),
    });
    expectOneLine(outcome, "PORT", new RegExp(`${takenPort} is already in use on 127.0.0.1`));
  });

  it("names HOST when it does not resolve", async () => {
    const outcome = await failure("start", {
      HOST: "no-such-host.invalid",
      EMBEDDED_PG_PORT: String(await freePort()),
    });
    expectOneLine(outcome, "HOST", /does not resolve/);
  });

  it("names HOST when it is not an address of this machine", async () => {
    // 192.0.2.0/24 is TEST-NET-1: never assigned to a machine.
    const outcome = await failure("start", {
      HOST: "192.0.2.1",
      EMBEDDED_PG_PORT: String(await freePort()),
    });
    expectOneLine(outcome, "HOST", /not an address of this machine/);
  });

  it("names METRICS_PORT for the worker's metrics server", async () => {
    const url = onTestServer(() => undefined);
    const outcome = await failure("worker", {
      DATABASE_URL: url,
      AUTH_DATABASE_URL: url,
      METRICS_PORT: String(takenPort),
    });
    expectOneLine(outcome, "METRICS_PORT", /already in use/);
  });
});

describe("token keys", () => {
  it("names JWT_PUBLIC_KEY when it is not a key", async () => {
    const outcome = await failure("start", {
      JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----",
      EMBEDDED_PG_PORT: String(await freePort()),
    });
    expectOneLine(outcome, "JWT_PUBLIC_KEY", /is not an RSA public key/);
  });
});
