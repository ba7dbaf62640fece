/**
 * Limits while an operation runs, and the production settings, over real HTTP
 * with servers configured for the test: a statement past the transaction's
 * statement_timeout is cancelled by PostgreSQL and answered FL907 (a warning,
 * not an error log line); an answer over the size bound is replaced by FL908;
 * Grafast's planning budget gives FL909; in production, "Did you mean …?"
 * suggestions are gone and introspection needs a token (FL910); it can be off.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createOrg, useTestDatabase, type OrgFixture, type TestDb } from "../support/db.ts";
import { gql, token, type GqlResponse } from "../support/api.ts";
import { errorLines, useCustomApi } from "./custom-api.ts";

const codes = (res: GqlResponse) => (res.body.errors ?? []).map((e) => e.extensions?.code);

/**
 * A query that sleeps in PostgreSQL, exposed by PostGraphile as Query.testSleep:
 * created in this file's database before the server builds its schema.
 */
function useSleepFunction(t: TestDb) {
  beforeAll(async () => {
    await t.root.query(`
      create function app_public.test_sleep(seconds double precision) returns boolean
        language sql stable as $$ select pg_sleep(seconds) is not null $$;
      grant execute on function app_public.test_sleep(double precision) to ${t.db.roles.visitor};
    `);
  });
}

describe("a statement past the statement timeout", () => {
  const t = useTestDatabase();
  useSleepFunction(t);
  const ctx = useCustomApi(t, { settings: { limits: { statementTimeoutMs: 100 } } });
  let org: OrgFixture;

  beforeAll(async () => {
    org = await createOrg(t, "slow");
  });

  it("is cancelled by PostgreSQL and answered FL907, logged as a warning only", async () => {
    const viewer = await token({ orgId: org.orgId, userId: org.users.viewer });
    const res = await gql(ctx, "{ testSleep(seconds: 30) }", {}, viewer, {
      "x-request-id": "slow-1",
    });
    expect(codes(res)).toEqual(["FL907"]);
    expect(ctx.errors).toEqual([]);
    expect(errorLines(ctx)).toEqual([]);
    expect(ctx.logs.find((l) => l.requestId === "slow-1" && l.level === 40)).toMatchObject({
      err: { code: "57014" },
    });
    // Under the timeout the same query answers.
    const quick = await gql(ctx, "{ testSleep(seconds: 0.001) }", {}, viewer);
    expect(quick.body).toEqual({ data: { testSleep: true } });
  });
});

describe("an answer over the size bound", () => {
  const t = useTestDatabase();
  const ctx = useCustomApi(t, { settings: { limits: { maxResponseBytes: 2048 } } });

  it("is replaced by FL908", async () => {
    const big = await gql(ctx, `{ __type(name: "Query") { fields { name description } } }`);
    expect(codes(big)).toEqual(["FL908"]);
    expect(big.body.data).toBeUndefined();
    const small = await gql(ctx, "{ __typename }");
    expect(small.body).toEqual({ data: { __typename: "Query" } });
  });
});

describe("an operation over Grafast's planning budget", () => {
  const t = useTestDatabase();
  const ctx = useCustomApi(t, { settings: { limits: { planningTimeoutMs: 0 } } });

  it("is answered FL909", async () => {
    const res = await gql(ctx, "{ users(first: 1) { nodes { email } } }");
    expect(codes(res)).toEqual(["FL909"]);
    expect(ctx.errors).toEqual([]);
  });
});

describe("production settings", () => {
  const t = useTestDatabase();
  const ctx = useCustomApi(t, {
    settings: { hideSuggestions: true, introspection: "authenticated" },
  });

  it("leaves graphql-js's suggestions out of validation and variable errors", async () => {
    const field = await gql(ctx, "{ userz { totalCount } }");
    expect(codes(field)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(field.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const value = await gql(
      ctx,
      "query($r: UserRole!) { users(first: 1, condition: { role: $r }) { totalCount } }",
      { r: "ownr" },
    );
    expect(codes(value)).toEqual(["BAD_USER_INPUT"]);
    expect(value.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it("lets only callers with a verified token introspect", async () => {
    const query = "{ __schema { queryType { name } } }";
    expect(codes(await gql(ctx, query))).toEqual(["FL910"]);
    expect(
      codes(await gql(ctx, `query { ...F } fragment F on Query { __type(name: "User") { name } }`)),
    ).toEqual(["FL910"]);
    const signedIn = await gql(ctx, query, {}, await token({ sub: "developer" }));
    expect(signedIn.body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    // __typename is not introspection.
    expect((await gql(ctx, "{ __typename }")).body).toEqual({ data: { __typename: "Query" } });
  });
});

describe("introspection turned off", () => {
  const t = useTestDatabase();
  const ctx = useCustomApi(t, { settings: { introspection: "off" } });

  it("refuses it even with a token", async () => {
    const res = await gql(
      ctx,
      "{ __schema { queryType { name } } }",
      {},
      await token({ sub: "x" }),
    );
    expect(codes(res)).toEqual(["FL910"]);
  });
});
