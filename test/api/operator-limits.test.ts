/**
 * Limits that protect the service are the operator's (DESIGN §8b). An owner used
 * to lift their own rate limit with `updateOrganization(settings: {rate_limit:
 * …})` (200 of 200 requests passed with the server at 20/min); now the override
 * lives in app_private.organization_limits, which the visitor cannot reach, and
 * the settings key is refused with FL011. The operator's override does apply.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createOrg, sqlstate, asActor, useTestDatabase, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi } from "../support/api.ts";

const UPDATE = `mutation($id: UUID!, $settings: JSON!) {
  updateOrganization(input: { rowId: $id, patch: { settings: $settings } }) { organization { settings } }
}`;
const READ = "query Orgs { organizations { totalCount } }";

describe("operator-owned limits", () => {
  const t = useTestDatabase();
  const ctx = useApi(t, { rateLimit: { perMinute: 20, anonymousPerMinute: 20 }, poolSize: 10 });
  let org: OrgFixture;
  let owner: string;

  beforeAll(async () => {
    org = await createOrg(t, "self-raiser");
    owner = await token({ orgId: org.orgId, userId: org.users.owner });
  });

  it("refuses a rate limit in an owner's organization settings (FL011) and keeps the server's", async () => {
    const res = await gql(
      ctx,
      UPDATE,
      { id: org.orgId, settings: { rate_limit: { requests_per_minute: 1e9 } } },
      owner,
    );
    expect(res.body.errors?.[0]?.extensions?.code).toBe("FL011");
    const { rows } = await t.root.query(
      "select settings from app_public.organizations where id = $1",
      [org.orgId],
    );
    expect(rows).toEqual([{ settings: {} }]);
    // Other settings are the owner's to change.
    const fine = await gql(ctx, UPDATE, { id: org.orgId, settings: { theme: "dark" } }, owner);
    expect(fine.body).toEqual({
      data: { updateOrganization: { organization: { settings: { theme: "dark" } } } },
    });

    const statuses = await Promise.all(
      Array.from({ length: 40 }, () => gql(ctx, READ, {}, owner).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(25);
  });

  it("is out of the visitor's reach, even for an owner", async () => {
    const actor = { orgId: org.orgId, userId: org.users.owner };
    expect(
      await sqlstate(
        asActor(t, actor, (c) =>
          c.query("select app_private.set_organization_limit($1, 1000000)", [org.orgId]),
        ),
      ),
    ).toBe("42501");
    expect(
      await sqlstate(
        asActor(t, actor, (c) => c.query("select * from app_private.organization_limits")),
      ),
    ).toBe("42501");
  });

  it("applies the operator's override, and clearing it restores the default", async () => {
    const other = await createOrg(t, "raised-by-operator");
    await t.root.query("select app_private.set_organization_limit($1, 100000, 'load test')", [
      other.orgId,
    ]);
    const bearer = await token({ orgId: other.orgId, userId: other.users.viewer });
    const raised = await gql(ctx, READ, {}, bearer);
    expect(raised.status).toBe(200);
    expect(raised.headers.get("ratelimit-limit")).toBe("100000");
    expect(
      await sqlstate(
        t.root.query("select app_private.set_organization_limit($1, 0)", [other.orgId]),
      ),
    ).toBe("FL005");
    expect(
      await sqlstate(
        t.root.query("select app_private.set_organization_limit(gen_random_uuid(), 10)"),
      ),
    ).toBe("FL003");
    await t.root.query("select app_private.set_organization_limit($1, null)", [other.orgId]);
    const { rows } = await t.root.query(
      "select count(*)::int as n from app_private.organization_limits where organization_id = $1",
      [other.orgId],
    );
    expect(rows).toEqual([{ n: 0 }]);
  });
});
