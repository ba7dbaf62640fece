/**
 * A real API server on an ephemeral port over this test file's database, and a
 * small GraphQL-over-HTTP client. Tokens are minted with the same code the
 * `forgeline token` command uses. The server logs (JSON, debug level) into
 * `logs` instead of stdout, so tests can read what it said about a request.
 *
 * In the vitest project "api-via-pgbouncer" the API's pool goes through the run's
 * PgBouncer (transaction pooling) and subscriptions' LISTEN gets a direct
 * connection, as in production; in the other project both are direct.
 */
import { afterAll, beforeAll, inject } from "vitest";
import type pg from "pg";
import { pino } from "pino";
import { makePool } from "../../src/db/pools.ts";
import { makeVerifier, mintToken, type MintOptions } from "../../src/server/auth.ts";
import { startApiServer, type ApiServer } from "../../src/server/http.ts";
import {
  makeRateLimiter,
  type RateLimiter,
  type RateLimitOptions,
} from "../../src/server/rate-limit.ts";
import { latestCommittedHash } from "../../src/db/migrate.ts";
import { pooledUrl } from "../../src/db/pgbouncer.ts";
import type { TestDb } from "./db.ts";

/** The run's PgBouncer, in the project that runs the API behind it (else null). */
export const pgbouncer = inject("pgbouncer");

/** The URL the API's pool connects with: through PgBouncer in that project, else direct. */
export function apiPoolUrl(t: TestDb): string {
  return pgbouncer ? pooledUrl(t.db.authUrl, pgbouncer) : t.db.authUrl;
}

/** Behind PgBouncer, a direct pool for subscriptions' LISTEN (it needs a session). */
export function listenPoolFor(t: TestDb): pg.Pool | undefined {
  return pgbouncer ? makePool(t.db.authUrl, 2, "test-api-listen") : undefined;
}

export const TEST_SECRET = "test-secret-that-is-long-enough-for-hs256!";
export const ISSUER = "forgeline";
export const AUDIENCE = "forgeline";

export interface TestApi {
  api: ApiServer;
  pool: pg.Pool;
  errors: unknown[];
  /** The server's log lines, parsed. */
  logs: Array<Record<string, unknown>>;
}

export interface TestApiOptions {
  /** Charge requests to a rate limit (app_private.take_request_tokens) with these limits. */
  rateLimit?: RateLimitOptions;
  /** A limiter of the test's own (instead of `rateLimit`). */
  limiter?: RateLimiter;
  trustProxy?: boolean;
  poolSize?: number;
}

export function useApi(t: TestDb, options: TestApiOptions = {}): TestApi {
  const ctx = { errors: [] as unknown[], logs: [] as Array<Record<string, unknown>> } as TestApi;
  let listenPool: pg.Pool | undefined;
  beforeAll(async () => {
    ctx.pool = makePool(apiPoolUrl(t), options.poolSize ?? 5, "test-api");
    listenPool = listenPoolFor(t);
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => void ctx.logs.push(JSON.parse(line) as Record<string, unknown>) },
    );
    ctx.api = await startApiServer({
      pool: ctx.pool,
      listenPool,
      visitorRole: t.db.roles.visitor,
      verify: await makeVerifier({
        kind: "secret",
        algorithm: "HS256",
        secret: TEST_SECRET,
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
      graphiql: true,
      host: "127.0.0.1",
      port: 0,
      expectedMigration: latestCommittedHash(),
      logError: (_message, error) => ctx.errors.push(error),
      logger,
      rateLimit:
        options.limiter ?? (options.rateLimit && makeRateLimiter(ctx.pool, options.rateLimit)),
      trustProxy: options.trustProxy,
    });
  });
  afterAll(async () => {
    await ctx.api?.close();
    await ctx.pool?.end();
    await listenPool?.end();
  });
  return ctx;
}

export function token(claims: Partial<MintOptions> & { secret?: string } = {}): Promise<string> {
  return mintToken({
    secret: TEST_SECRET,
    issuer: ISSUER,
    audience: AUDIENCE,
    sub: "tester",
    ...claims,
  });
}

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

export async function gql<T = Record<string, unknown>>(
  ctx: TestApi,
  query: string,
  variables: Record<string, unknown> = {},
  bearer?: string,
  headers: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const res = await fetch(`${ctx.api.url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as GqlResponse<T>["body"],
  };
}
