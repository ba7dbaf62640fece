/**
 * app_private.rate_limit_buckets through take_request_tokens, as the API's
 * authenticator calls it: a concurrent burst admits exactly the limit, each
 * organization has its own bucket, and idle buckets are pruned.
 */
import { beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createOrg, sqlstate, useTestDatabase, type OrgFixture } from "../support/db.ts";

describe("rate-limit buckets", () => {
  const t = useTestDatabase();
  let org: OrgFixture;
  let other: OrgFixture;

  beforeAll(async () => {
    org = await createOrg(t, "ops");
    other = await createOrg(t, "ops-other");
  });

  const charge = (
    pool: pg.Pool,
    orgId: string | null,
    key: string,
    perMinute = 600,
    anonymous = 60,
  ) =>
    pool.query<{ allowed: boolean; retry_after_ms: number; lim: number; remaining: number }>(
      `select granted > 0 as allowed, retry_after_ms, lim, remaining
           from app_private.take_request_tokens($1, $2, $3, $4, 1)`,
      [orgId, key, perMinute, anonymous],
    );

  it("admits exactly the limit from a concurrent burst, as the authenticator", async () => {
    await t.root.query("select app_private.set_organization_limit($1, 5)", [org.orgId]);
    const pool = t.pool(t.db.authUrl, 10);
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => charge(pool, org.orgId, `org:${org.orgId}`)),
      );
      const rows = results.map((r) => r.rows[0]!);
      expect(rows.filter((r) => r.allowed)).toHaveLength(5);
      const refused = rows.filter((r) => !r.allowed);
      expect(refused).toHaveLength(15);
      // One token comes back every 12 s at 5 per minute.
      for (const r of refused) {
        expect(r.lim).toBe(5);
        expect(r.retry_after_ms).toBeGreaterThan(10_000);
        expect(r.retry_after_ms).toBeLessThanOrEqual(12_000);
      }
      // Another organization has its own bucket and the default limit.
      expect((await charge(pool, other.orgId, `org:${other.orgId}`)).rows[0]).toMatchObject({
        allowed: true,
        lim: 600,
        remaining: 599,
      });
      // Anonymous callers get the anonymous limit.
      expect((await charge(pool, null, "addr:10.0.0.1")).rows[0]).toMatchObject({
        allowed: true,
        lim: 60,
      });
      // The authenticator may charge, but not read the buckets.
      expect(await sqlstate(pool.query("select * from app_private.rate_limit_buckets"))).toBe(
        "42501",
      );
    } finally {
      await pool.end();
    }
  });

  it("refills with time and forgets idle buckets", async () => {
    await t.root.query(
      "insert into app_private.rate_limit_buckets values ('addr:old', 0, now() - interval '2 hours')",
    );
    expect((await charge(t.root, null, "addr:old", 600, 60)).rows[0]).toMatchObject({
      allowed: true,
      remaining: 59,
    });
    await t.root.query(
      "update app_private.rate_limit_buckets set refilled_at = now() - interval '2 hours' where key = 'addr:old'",
    );
    const pruned = await t.root.query<{ n: string }>(
      "select app_private.prune_rate_limit_buckets() as n",
    );
    expect(Number(pruned.rows[0]!.n)).toBeGreaterThanOrEqual(1);
  });
});
