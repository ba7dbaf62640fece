/**
 * Limits while an operation runs, and the production settings, over real HTTP
 * with servers configured for the test: a statement past the transaction's
 * statement_timeout is cancelled by PostgreSQL and answered FL907 (a warning,
 * not an error log line); an answer over the size bound is replaced by FL908;
 * Grafast's planning budget gives FL909, and so does its execution budget (for
 * what had not started when it ran out); the list depth follows its setting
 * (GRAPHQL_MAX_LIST_DEPTH); in production, "Did you mean …?"
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

describe("an operation past Grafast's execution budget", () => {
  const t = useTestDatabase();
  beforeAll(async () => {
    // A mutation that sleeps: mutation fields run one after the other, so the
    // second one's first step starts after the first one's sleep.
    await t.root.query(`
      create function app_public.test_sleep_volatile(seconds double precision) returns boolean
        language sql volatile as $$ select pg_sleep(seconds) is not null $$;
      grant execute on function app_public.test_sleep_volatile(double precision) to ${t.db.roles.visitor};
    `);
  });
  const ctx = useCustomApi(t, { settings: { limits: { executionTimeoutMs: 100 } } });

  it("is answered FL909 for what runs after the budget ran out", async () => {
    // Grafast checks its budget before each phase of asynchronous steps. The first
    // field sleeps 0.5 s, past the 0.1 s budget: the second field, which starts
    // only after it, is refused (so is what the first had left to do, its payload).
    // Deterministic: the sleep is longer than the budget.
    const res = await gql(
      ctx,
      `mutation {
         slow: testSleepVolatile(input: { seconds: 0.5 }) { result }
         next: testSleepVolatile(input: { seconds: 0 }) { result } }`,
    );
    expect(res.body.data?.next).toBeNull();
    const errors = res.body.errors ?? [];
    expect(errors.map((e) => (e as { path?: unknown }).path)).toContainEqual(["next"]);
    expect(new Set(errors.map((e) => e.extensions?.code))).toEqual(new Set(["FL909"]));
    expect(ctx.errors).toEqual([]);
    // Within the budget the same document answers both.
    const quick = await gql(
      ctx,
      `mutation {
         slow: testSleepVolatile(input: { seconds: 0 }) { result }
         next: testSleepVolatile(input: { seconds: 0 }) { result } }`,
    );
    expect(quick.body).toEqual({ data: { slow: { result: true }, next: { result: true } } });
  });
});

describe("lists nested past GRAPHQL_MAX_LIST_DEPTH", () => {
  const t = useTestDatabase();
  const ctx = useCustomApi(t, { settings: { limits: { maxListDepth: 2 } } });
  const lists = (inner: string) =>
    `{ projects(first: 1) { nodes { repositories(first: 1) { nodes { ${inner} } } } } }`;

  it("are refused at the configured depth (2 here) with FL902, and pass within it", async () => {
    const three = await gql(ctx, lists("pipelines(first: 1) { nodes { name } }"));
    expect(codes(three)).toEqual(["FL902"]);
    expect(three.body.errors?.[0]?.message).toMatch(
      /operation list depth 3 exceeds maximum of 2\.$/,
    );
    const two = await gql(ctx, lists("fullName"));
    expect(two.body).toEqual({ data: { projects: { nodes: [] } } });
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
