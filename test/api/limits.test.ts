/**
 * Operation limits with the default settings, over real HTTP: the denial-of-
 * service documents of the hardening issue (2,500 aliases of totalCount, eight
 * levels of users → organization → users, a huge page, `first: -1`, a
 * token-heavy document, a costly nest of pages given by variables, fragments
 * spread into each other a million times) are refused
 * with their codes before anything is planned, each within 2 s (they took
 * 10–47 s before the limits), while /healthz keeps answering as fast; lists
 * nested too deep are refused on their own (GRAPHQL_MAX_LIST_DEPTH);
 * legitimate documents (GraphiQL's full introspection query, small pages) pass.
 * Also: every error a client sees has `extensions.code` (syntax, validation,
 * variables, engine input errors), required function arguments are required in
 * GraphQL, and a delete… of a row the caller cannot see is FL003, not a logged
 * internal error.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { getIntrospectionQuery } from "postgraphile/graphql";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi, type GqlResponse } from "../support/api.ts";

const codes = (res: GqlResponse) => (res.body.errors ?? []).map((e) => e.extensions?.code);

/** The first error's code, after checking that the operation produced no data. */
const refusedWith = (res: GqlResponse) => {
  expect(res.body.data ?? null).toBeNull();
  return codes(res)[0];
};

const ALIASES_2500 = `{ ${Array.from({ length: 2500 }, (_, i) => `a${i}: users { totalCount }`).join(" ")} }`;
const ALIASES_50 = `{ ${Array.from({ length: 50 }, (_, i) => `a${i}: users { totalCount }`).join(" ")} }`;
const TOKENS_5000 = `{ ${"__typename ".repeat(5000)}}`;

/** users → organization → users … `levels` times, without pages (as the attack sent it). */
function nested(levels: number): string {
  let inner = "rowId";
  for (let i = 0; i < levels; i++) inner = `users { nodes { rowId organization { ${inner} } } }`;
  return `{ ${inner} }`;
}

/** Fragments spread into each other twice, 20 deep: a million fields in about 200 tokens. */
const FRAGMENT_BOMB = [
  "query Bomb { ...F0 }",
  ...Array.from({ length: 20 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`),
  "fragment F20 on Query { users { totalCount } }",
].join("\n");

/** How long a refused attack, or /healthz during one, may take: they took 10–47 s unlimited. */
const ATTACK_BOUND_MS = 2_000;

const PAGES = `query Pages($orgs: Int!, $users: Int!) {
  organizations(first: $orgs) { nodes { name users(first: $users) { nodes { email name role } } } }
}`;

describe("operation limits", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);
  let a: OrgFixture;
  let b: OrgFixture;
  let viewer: string;

  beforeAll(async () => {
    a = await createOrg(t, "limits-a");
    b = await createOrg(t, "limits-b");
    viewer = await token({ orgId: a.orgId, userId: a.users.viewer });
  });

  it("refuses each attack with its code within 2 s, while /healthz keeps answering as fast", async () => {
    const attacks: Array<[string, string, Record<string, unknown>, string]> = [
      ["2,500 aliases of totalCount (81 KB)", ALIASES_2500, {}, "FL903"],
      ["50 aliases", ALIASES_50, {}, "FL901"],
      ["8 levels of users → organization", nested(8), {}, "FL902"],
      ["a huge page", "{ users(first: 100000) { nodes { email } } }", {}, "FL905"],
      ["first: -1", "{ users(first: -1) { nodes { email } } }", {}, "FL905"],
      [
        "first: $n = -1",
        "query($n: Int) { users(first: $n) { nodes { email } } }",
        { n: -1 },
        "FL905",
      ],
      ["a token-heavy document", TOKENS_5000, {}, "FL903"],
      ["100 × 100 pages through variables", PAGES, { orgs: 100, users: 100 }, "FL904"],
      ["a fragment bomb", FRAGMENT_BOMB, {}, "FL904"],
    ];
    expect(Buffer.byteLength(ALIASES_2500)).toBeLessThan(100_000);
    const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      const start = performance.now();
      const result = await work();
      return [result, performance.now() - start];
    };
    const seen: Array<[string, unknown]> = [];
    const slow: string[] = [];
    for (const [name, query, variables] of attacks) {
      // Three copies at once, with /healthz asked again and again meanwhile.
      let inFlight = true;
      const probes: Array<[number, number]> = [];
      const probing = (async () => {
        do {
          const [res, ms] = await timed(() => fetch(`${ctx.api.url}/healthz`));
          probes.push([res.status, ms]);
        } while (inFlight);
      })();
      const results = await Promise.all(
        [1, 2, 3].map(() => timed(() => gql(ctx, query, variables, viewer))),
      );
      inFlight = false;
      await probing;
      seen.push([name, refusedWith(results[0]![0])]);
      for (const [res, ms] of results) {
        expect(res.status).toBe(200);
        if (ms >= ATTACK_BOUND_MS) slow.push(`${name}: refused after ${Math.round(ms)} ms`);
      }
      expect(probes.length).toBeGreaterThan(0);
      for (const [status, ms] of probes) {
        expect(status).toBe(200);
        if (ms >= ATTACK_BOUND_MS) slow.push(`${name}: /healthz took ${Math.round(ms)} ms`);
      }
    }
    expect(seen).toEqual(attacks.map(([name, , , code]) => [name, code]));
    // Before the limits these took 10–47 s and held /healthz as long; refused, each
    // takes milliseconds. The bound is generous (shared, slow CI machines).
    expect(slow).toEqual([]);
    // Refused before planning: nothing reached the database, nothing was logged as an error.
    expect(ctx.errors).toEqual([]);
  });

  it("refuses a field nested in itself past the self-referential limit, within the depth limit", async () => {
    const res = await gql(
      ctx,
      `{ users(first: 5) { nodes { organization { users(first: 5) { nodes { organization {
           users(first: 5) { nodes { rowId } } } } } } } } }`,
      {},
      viewer,
    );
    expect(refusedWith(res)).toBe("FL902");
  });

  it("refuses lists nested past GRAPHQL_MAX_LIST_DEPTH (4) on their own, within the depth limit", async () => {
    // Five different connections, one page each: no alias, no field nested in itself,
    // within the depth limit and the cost: only the nesting of lists is too much.
    const lists = (inner: string) =>
      `{ projects(first: 1) { nodes { repositories(first: 1) { nodes { pipelines(first: 1) { nodes {
           executions(first: 1) { nodes { ${inner} } } } } } } } } }`;
    const five = await gql(ctx, lists("steps(first: 1) { nodes { name } }"), {}, viewer);
    expect(refusedWith(five)).toBe("FL902");
    // @graphile/depth-limit names the limit that was passed (revealDetails), and it is this one only.
    expect(five.body.errors?.[0]?.message).toMatch(
      /exceeds operation depth limits: operation list depth 5 exceeds maximum of 4\.$/,
    );
    const four = await gql(ctx, lists("branch"), {}, viewer);
    expect(four.body).toEqual({ data: { projects: { nodes: [] } } });
  });

  it("prices pages by their variables: the same document with small pages runs", async () => {
    const res = await gql(ctx, PAGES, { orgs: 10, users: 10 }, viewer);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toMatchObject({ organizations: { nodes: [{ name: "limits-a" }] } });
  });

  it("requires first or last on a connection that selects nodes or edges, not for totalCount", async () => {
    expect(refusedWith(await gql(ctx, "{ users { nodes { email } } }", {}, viewer))).toBe("FL906");
    expect(refusedWith(await gql(ctx, "{ users { edges { cursor } } }", {}, viewer))).toBe("FL906");
    const nullVariable = await gql(
      ctx,
      "query($n: Int) { users(first: $n) { ...Items } } fragment Items on UserConnection { nodes { email } }",
      { n: null },
      viewer,
    );
    expect(refusedWith(nullVariable)).toBe("FL906");
    const counted = await gql(ctx, "{ users { totalCount } }", {}, viewer);
    expect(counted.body).toEqual({ data: { users: { totalCount: 4 } } });
    const last = await gql(
      ctx,
      "{ users(last: 1, orderBy: EMAIL_ASC) { nodes { email } } }",
      {},
      viewer,
    );
    expect(last.body).toEqual({ data: { users: { nodes: [{ email: "viewer@limits-a.test" }] } } });
  });

  it("refuses offsets out of range and offset with last", async () => {
    for (const query of [
      "{ users(first: 1, offset: 10000000) { nodes { email } } }",
      "{ users(first: 1, offset: -1) { nodes { email } } }",
      "{ users(last: 1, offset: 1) { nodes { email } } }",
    ]) {
      expect(refusedWith(await gql(ctx, query, {}, viewer))).toBe("FL905");
    }
  });

  it("lets GraphiQL's (Ruru's) full introspection query through the default limits", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const res = await gql(ctx, query);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toMatchObject({ __schema: { queryType: { name: "Query" } } });
  });

  it("gives every GraphQL error a code: syntax, validation, variables, engine input", async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["{ users( }", {}, "GRAPHQL_PARSE_FAILED"],
      ["{ userz { totalCount } }", {}, "GRAPHQL_VALIDATION_FAILED"],
      ["query($n: Int) { users(first: $n) { totalCount } }", { n: "many" }, "BAD_USER_INPUT"],
      ["query($n: Int!) { users(first: $n) { totalCount } }", {}, "BAD_USER_INPUT"],
      ["query A { __typename } query B { __typename }", {}, "GRAPHQL_VALIDATION_FAILED"],
      [`{ users(first: 1, after: "not-a-cursor") { nodes { email } } }`, {}, "BAD_USER_INPUT"],
    ];
    for (const [query, variables, code] of cases) {
      const res = await gql(ctx, query, variables, viewer);
      expect([query, codes(res)]).toEqual([query, [code]]);
    }
    const unknownOperation = await fetch(`${ctx.api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: "query A { __typename }", operationName: "B" }),
    });
    const body = (await unknownOperation.json()) as GqlResponse["body"];
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(ctx.errors).toEqual([]);
  });

  it("makes function arguments without a default required in GraphQL", async () => {
    const res = await gql(
      ctx,
      `mutation { addUser(input: { name: "No Email" }) { user { rowId } } }`,
      {},
      await token({ orgId: a.orgId, userId: a.users.admin }),
    );
    expect(codes(res)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    const { rows } = await t.root.query(
      "select count(*)::int as n from app_public.users where organization_id = $1",
      [a.orgId],
    );
    expect(rows).toEqual([{ n: 4 }]);
  });

  it("answers a delete of a missing or hidden row with FL003, and logs no error", async () => {
    const owner = await token({ orgId: a.orgId, userId: a.users.owner });
    const del = (id: string) =>
      gql(
        ctx,
        `mutation($id: UUID!) { deleteOrganization(input: { rowId: $id }) { organization { rowId } } }`,
        { id },
        owner,
      );
    const before = ctx.logs.length;
    expect(codes(await del("00000000-0000-4000-8000-000000000000"))).toEqual(["FL003"]);
    expect(codes(await del(b.orgId))).toEqual(["FL003"]);
    const { rows } = await t.root.query(
      "select count(*)::int as n from app_public.organizations where id = $1",
      [b.orgId],
    );
    expect(rows).toEqual([{ n: 1 }]);
    expect(ctx.errors).toEqual([]);
    expect(ctx.logs.slice(before).filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});
