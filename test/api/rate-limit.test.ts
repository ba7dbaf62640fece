/**
 * Per-tenant rate limits over real HTTP, charged in PostgreSQL by
 * app_private.take_request_tokens: a burst of N parallel requests against an
 * organization's limit of M admits exactly M and answers the rest with 429,
 * Retry-After and a RATE_LIMITED error; other organizations are unaffected;
 * anonymous requests are limited per client address; a limiter that cannot answer
 * lets requests through (fail open) and says so in the log.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase, createOrg, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi, type GqlResponse, type TestApi } from "../support/api.ts";

async function rejections(ctx: TestApi): Promise<number> {
  const text = await (await fetch(`${ctx.api.url}/metrics`)).text();
  const m = /^forgeline_rate_limit_rejections_total (\S+)$/m.exec(text);
  return Number(m?.[1] ?? 0);
}

const query = "query Orgs { organizations(first: 10) { nodes { name } } }";

function tally(responses: GqlResponse[]) {
  return {
    ok: responses.filter((r) => r.status === 200).length,
    limited: responses.filter((r) => r.status === 429).length,
  };
}

describe("rate limits", () => {
  const t = useTestDatabase();
  const ctx = useApi(t, {
    rateLimit: { perMinute: 1000, anonymousPerMinute: 3 },
    poolSize: 20,
  });
  let a: OrgFixture;
  let b: OrgFixture;

  beforeAll(async () => {
    a = await createOrg(t, "limited-a");
    b = await createOrg(t, "limited-b");
    await t.root.query("select app_private.set_organization_limit($1, 5)", [a.orgId]);
  });

  it("admits exactly the organization's limit out of a parallel burst", async () => {
    const before = await rejections(ctx);
    const bearer = await token({ orgId: a.orgId, userId: a.users.viewer });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => gql(ctx, query, {}, bearer)),
    );
    expect(tally(responses)).toEqual({ ok: 5, limited: 15 });

    for (const res of responses.filter((r) => r.status === 200)) {
      expect(res.body).toEqual({ data: { organizations: { nodes: [{ name: "limited-a" }] } } });
      expect(res.headers.get("ratelimit-limit")).toBe("5");
      expect(Number(res.headers.get("ratelimit-remaining"))).toBeLessThan(5);
    }
    for (const res of responses.filter((r) => r.status === 429)) {
      const retryAfter = Number(res.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(res.headers.get("ratelimit-remaining")).toBe("0");
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/^Too many requests: /) as unknown,
        extensions: { code: "RATE_LIMITED", retryAfter },
      });
    }
    // Remaining counts down across the admitted requests: 4, 3, 2, 1, 0 in some order.
    expect(
      responses
        .filter((r) => r.status === 200)
        .map((r) => Number(r.headers.get("ratelimit-remaining")))
        .sort(),
    ).toEqual([0, 1, 2, 3, 4]);
    expect((await rejections(ctx)) - before).toBe(15);
  });

  it("leaves other organizations alone", async () => {
    const bearer = await token({ orgId: b.orgId, userId: b.users.viewer });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => gql(ctx, query, {}, bearer)),
    );
    expect(tally(responses)).toEqual({ ok: 20, limited: 0 });
    expect(responses[0]!.headers.get("ratelimit-limit")).toBe("1000");
    // …and the limited organization is still limited.
    const again = await gql(ctx, query, {}, await token({ orgId: a.orgId, userId: a.users.owner }));
    expect(again.status).toBe(429);
  });

  it("limits anonymous requests per client address", async () => {
    const before = await rejections(ctx);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => gql(ctx, "{ __typename }")),
    );
    expect(tally(responses)).toEqual({ ok: 3, limited: 3 });
    const refused = responses.find((r) => r.status === 429)!;
    expect(refused.body.errors?.[0]?.message).toMatch(/client address/);
    expect(refused.headers.get("ratelimit-limit")).toBe("3");
    // A token without an organization is charged to its address too.
    const orgless = await gql(ctx, "{ __typename }", {}, await token({ sub: "newcomer" }));
    expect(orgless.status).toBe(429);
    expect((await rejections(ctx)) - before).toBe(4);
    // Organizations are charged to their own bucket, not the address's.
    const member = await gql(
      ctx,
      query,
      {},
      await token({ orgId: b.orgId, userId: b.users.member }),
    );
    expect(member.status).toBe(200);
  });

  it("charges only /graphql", async () => {
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${ctx.api.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${ctx.api.url}/metrics`)).status).toBe(200);
    }
  });
});

describe("rate limits behind a proxy", () => {
  const t = useTestDatabase();
  const ctx = useApi(t, {
    rateLimit: { perMinute: 1000, anonymousPerMinute: 2 },
    trustProxy: true,
  });

  it("charges anonymous requests to the first X-Forwarded-For address when trusted", async () => {
    const from = (forwardedFor: string) =>
      gql(ctx, "{ __typename }", {}, undefined, { "x-forwarded-for": forwardedFor });
    const first = await Promise.all([1, 2, 3].map(() => from("203.0.113.7, 10.0.0.1")));
    expect(tally(first)).toEqual({ ok: 2, limited: 1 });
    const other = await Promise.all([1, 2].map(() => from("203.0.113.8")));
    expect(tally(other)).toEqual({ ok: 2, limited: 0 });
    // Not an address: the socket's address is charged instead.
    const junk = await Promise.all([1, 2, 3].map(() => from("not-an-ip")));
    expect(tally(junk)).toEqual({ ok: 2, limited: 1 });
  });
});

describe("rate limits when the limiter fails", () => {
  const t = useTestDatabase();
  const ctx = useApi(t, {
    limiter: () => Promise.reject(new Error("connection refused (simulated)")),
  });

  it("admits the request (fail open) and logs a warning", async () => {
    const res = await gql(ctx, "{ __typename }", {}, undefined, { "x-request-id": "fail-open-1" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { __typename: "Query" } });
    expect(res.headers.get("ratelimit-limit")).toBeNull();
    expect(ctx.logs.find((l) => l.requestId === "fail-open-1" && l.level === 40)).toMatchObject({
      msg: expect.stringMatching(/rate limit check failed/) as unknown,
      err: { message: "connection refused (simulated)" },
    });
  });
});
