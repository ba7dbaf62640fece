/**
 * A real API server on an ephemeral port over this test file's database, and a
 * small GraphQL-over-HTTP client. Tokens are minted with the same code the
 * `forgeline token` command uses.
 */
import { afterAll, beforeAll } from "vitest";
import type pg from "pg";
import { makePool } from "../../src/db/pools.ts";
import { makeVerifier, mintToken, type MintOptions } from "../../src/server/auth.ts";
import { startApiServer, type ApiServer } from "../../src/server/http.ts";
import { latestCommittedHash } from "../../src/db/migrate.ts";
import type { TestDb } from "./db.ts";

export const TEST_SECRET = "test-secret-that-is-long-enough-for-hs256!";
export const ISSUER = "forgeline";
export const AUDIENCE = "forgeline";

export interface TestApi {
  api: ApiServer;
  pool: pg.Pool;
  errors: unknown[];
}

export function useApi(t: TestDb): TestApi {
  const ctx = { errors: [] as unknown[] } as TestApi;
  beforeAll(async () => {
    ctx.pool = makePool(t.db.authUrl, 5, "test-api");
    ctx.api = await startApiServer({
      pool: ctx.pool,
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
    });
  });
  afterAll(async () => {
    await ctx.api?.close();
    await ctx.pool?.end();
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
