/**
 * A real API server like test/support/api.ts's useApi, with API settings of the
 * test's own (limits, introspection, suggestions, CORS) and optionally a pool on
 * another URL (a proxy the test can close). Not a test file: shared by the
 * hardening tests in this folder.
 */
import { afterAll, beforeAll } from "vitest";
import type pg from "pg";
import { pino } from "pino";
import { defaultApiSettings, type ApiLimits, type ApiSettings } from "../../src/config.ts";
import { makePool } from "../../src/db/pools.ts";
import { makeVerifier } from "../../src/server/auth.ts";
import { startApiServer } from "../../src/server/http.ts";
import { makeRateLimiter, type RateLimitOptions } from "../../src/server/rate-limit.ts";
import { latestCommittedHash } from "../../src/db/migrate.ts";
import type { TestDb } from "../support/db.ts";
import {
  apiPoolUrl,
  AUDIENCE,
  ISSUER,
  listenPoolFor,
  TEST_SECRET,
  type TestApi,
} from "../support/api.ts";

export interface CustomApiOptions {
  /** Settings over the development defaults; `limits` is merged key by key. */
  settings?: Partial<Omit<ApiSettings, "limits">> & { limits?: Partial<ApiLimits> };
  rateLimit?: RateLimitOptions;
  /** The pool's connection string (default: the authenticator's URL), read at start. */
  poolUrl?: () => string;
  /** The API pool's size (default 5). */
  poolSize?: number;
}

export function settingsWith(overrides: CustomApiOptions["settings"] = {}): ApiSettings {
  const base = defaultApiSettings();
  return { ...base, ...overrides, limits: { ...base.limits, ...overrides.limits } };
}

export function useCustomApi(t: TestDb, options: CustomApiOptions = {}): TestApi {
  const ctx = { errors: [] as unknown[], logs: [] as Array<Record<string, unknown>> } as TestApi;
  let pool: pg.Pool | undefined;
  let listenPool: pg.Pool | undefined;
  beforeAll(async () => {
    pool = makePool(options.poolUrl?.() ?? apiPoolUrl(t), options.poolSize ?? 5, "test-custom-api");
    listenPool = listenPoolFor(t);
    ctx.pool = pool;
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => void ctx.logs.push(JSON.parse(line) as Record<string, unknown>) },
    );
    ctx.api = await startApiServer({
      pool,
      listenPool,
      visitorRole: t.db.roles.visitor,
      verify: await makeVerifier({
        kind: "secret",
        algorithm: "HS256",
        secret: TEST_SECRET,
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
      graphiql: false,
      host: "127.0.0.1",
      port: 0,
      expectedMigration: latestCommittedHash(),
      logError: (_message, error) => ctx.errors.push(error),
      logger,
      rateLimit: options.rateLimit && makeRateLimiter(pool, options.rateLimit),
      settings: settingsWith(options.settings),
    });
  });
  afterAll(async () => {
    await ctx.api?.close();
    await pool?.end();
    await listenPool?.end();
  });
  return ctx;
}

/** Every log line at error level (50) or above. */
export function errorLines(ctx: TestApi): Array<Record<string, unknown>> {
  return ctx.logs.filter((l) => typeof l.level === "number" && l.level >= 50);
}
