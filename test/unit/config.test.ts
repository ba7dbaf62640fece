/**
 * Configuration: every bad or missing value is refused with one line naming the
 * variable, both from loadConfig and from the real command.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, jwtConfig, loadConfig } from "../../src/config.ts";
import { projectRoot } from "../../src/paths.ts";

const exec = promisify(execFile);
const owner = "postgres://app_owner:pw@db:5432/app";
const auth = "postgres://app_auth:pw@db:5432/app";

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.variable;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  it("defaults to the embedded database in development", () => {
    const config = loadConfig({});
    expect(config.database).toBeUndefined();
    expect(config.env.PORT).toBe(5678);
    expect(config.graphiql).toBe(true);
  });

  it("derives roles from the connection strings", () => {
    const config = loadConfig({
      DATABASE_URL: owner,
      AUTH_DATABASE_URL: auth,
      JWT_SECRET: "x".repeat(32),
    });
    expect(config.database).toMatchObject({
      ownerRole: "app_owner",
      authenticatorRole: "app_auth",
      visitorRole: "forgeline_visitor",
    });
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://x@y/z" }, "DATABASE_URL"],
    [{ DATABASE_URL: owner }, "AUTH_DATABASE_URL"],
    [{ AUTH_DATABASE_URL: auth }, "DATABASE_URL"],
    [
      { DATABASE_URL: owner, AUTH_DATABASE_URL: "postgres://app_auth@db/other" },
      "AUTH_DATABASE_URL",
    ],
    [{ DATABASE_URL: "postgres://db/app", AUTH_DATABASE_URL: auth }, "DATABASE_URL"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    [{ JWT_SECRET: "x".repeat(32), JWT_JWKS_URL: "https://idp/jwks" }, "JWT_SECRET"],
    [{ JWT_SECRET: "x".repeat(32), JWT_ALGORITHM: "RS256" }, "JWT_ALGORITHM"],
    [{ NODE_ENV: "staging" }, "NODE_ENV"],
    [{ DATABASE_VISITOR: "Robert'); drop" }, "DATABASE_VISITOR"],
    [{ WORKER_CONCURRENCY: "0" }, "WORKER_CONCURRENCY"],
    [{ API_POOL_SIZE: "none" }, "API_POOL_SIZE"],
    [{ GRAPHIQL: "maybe" }, "GRAPHIQL"],
    [{ LOG_FORMAT: "yaml" }, "LOG_FORMAT"],
  ])("refuses %j naming %s", (env, variable) => {
    expect(refusal(env)).toBe(variable);
  });

  it("needs a JWT key when DATABASE_URL is set", () => {
    const config = loadConfig({ DATABASE_URL: owner, AUTH_DATABASE_URL: auth });
    expect(() => jwtConfig(config)).toThrow(ConfigError);
    expect(jwtConfig(config, "y".repeat(40))).toMatchObject({ kind: "secret", algorithm: "HS256" });
  });

  it("stops the command with one clear line and exit code 2", async () => {
    const node = process.execPath;
    const result = await exec(node, [path.join(projectRoot, "src/cli/index.ts"), "serve"], {
      env: { ...process.env, PORT: "not-a-port" },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^Invalid configuration: PORT /),
    ]);
  });
});
