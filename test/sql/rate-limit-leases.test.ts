/**
 * Token leases (src/server/rate-limit.ts over app_private.take_request_tokens):
 * two limiters, as two API replicas with their own pools, share one bucket and
 * together never admit more than the limit; a busy key costs one database call
 * per lease, not per request; low limits still take one token per call, and an
 * empty bucket is not asked again before a token can have come back.
 */
import { describe, expect, it } from "vitest";
import { leaseSize, makeRateLimiter } from "../../src/server/rate-limit.ts";
import { createOrg, useTestDatabase, type TestDb } from "../support/db.ts";

/** A real pool that counts the queries sent through it. */
function countingPool(t: TestDb, url: string) {
  const pool = t.pool(url, 5);
  let calls = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: typeof query }).query = (...args: unknown[]) => {
    calls += 1;
    return query(...args);
  };
  return { pool, calls: () => calls };
}

describe("rate-limit leases", () => {
  const t = useTestDatabase();

  it("sizes leases to a tenth of a second at the full rate", () => {
    expect([60, 1199, 1200, 6000, 60_000, 100_000_000].map(leaseSize)).toEqual([
      1, 1, 2, 10, 100, 100,
    ]);
  });

  it("never admits more than the limit across replicas", async () => {
    const org = await createOrg(t, "lease-burst");
    await t.root.query("select app_private.set_organization_limit($1, 1200)", [org.orgId]);
    const replicas = [countingPool(t, t.db.authUrl), countingPool(t, t.db.authUrl)];
    try {
      const limiters = replicas.map((r) =>
        makeRateLimiter(r.pool, { perMinute: 100, anonymousPerMinute: 10 })!,
      );
      const claims = { sub: "x", orgId: org.orgId, userId: org.users.viewer, role: null };
      // Warm both up so they know the limit and lease 2 at a time.
      const started = Date.now();
      const decisions = [
        ...(await Promise.all(limiters.map((limit) => limit(claims, "127.0.0.1")))),
        ...(await Promise.all(
          Array.from({ length: 1400 }, (_, i) => limiters[i % 2]!(claims, "127.0.0.1")),
        )),
      ];
      const allowed = decisions.filter((d) => d.allowed).length;
      // The bucket refills at 20 tokens a second while the burst runs.
      const refilled = Math.ceil(((Date.now() - started) / 1000) * 20);
      expect(allowed).toBeLessThanOrEqual(1200 + refilled);
      // Unspent tokens of each replica's last lease (at most 1 each) may be lost.
      expect(allowed).toBeGreaterThanOrEqual(1198);
      expect(decisions.every((d) => d.limit === 1200)).toBe(true);
    } finally {
      await Promise.all(replicas.map((r) => r.pool.end()));
    }
  });

  it("asks the database once per lease for a busy key", async () => {
    const org = await createOrg(t, "lease-busy");
    const replica = countingPool(t, t.db.authUrl);
    try {
      const limit = makeRateLimiter(replica.pool, { perMinute: 60_000, anonymousPerMinute: 10 })!;
      const claims = { sub: "x", orgId: org.orgId, userId: org.users.viewer, role: null };
      for (let i = 0; i < 201; i++) expect((await limit(claims, "127.0.0.1")).allowed).toBe(true);
      // One call to learn the limit, then leases of 100.
      expect(replica.calls()).toBe(3);
    } finally {
      await replica.pool.end();
    }
  });

  it("takes one token per call under a low limit", async () => {
    const replica = countingPool(t, t.db.authUrl);
    try {
      const limit = makeRateLimiter(replica.pool, { perMinute: 100, anonymousPerMinute: 3 })!;
      const results = [];
      for (let i = 0; i < 5; i++) results.push((await limit(undefined, "10.1.2.3")).allowed);
      expect(results).toEqual([true, true, true, false, false]);
      // One call per token; the first refusal is remembered until a token can be back.
      expect(replica.calls()).toBe(4);
    } finally {
      await replica.pool.end();
    }
  });
});
