/**
 * Feature flags through the GraphQL API over HTTP: listed with their state for
 * the organization, toggled by admins (null returns to the default), refused to
 * members.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi } from "../support/api.ts";

describe("feature flags through the API", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);
  let org: OrgFixture;
  const tokenFor = (role: keyof OrgFixture["users"]) =>
    token({ orgId: org.orgId, userId: org.users[role] });

  beforeAll(async () => {
    org = await createOrg(t, "ops-api");
  });

  it("lists flags with their state here, and lets admins toggle them", async () => {
    const list = async () =>
      (
        await gql<{
          featureFlags: {
            nodes: Array<{ name: string; enabled: boolean; defaultEnabled: boolean }>;
          };
        }>(
          ctx,
          "{ featureFlags(first: 100, orderBy: NAME_ASC) { nodes { name enabled defaultEnabled } } }",
          {},
          await tokenFor("viewer"),
        )
      ).body.data?.featureFlags.nodes;
    expect(await list()).toEqual([
      { name: "advanced_analytics", enabled: false, defaultEnabled: false },
      { name: "ai_recommendations", enabled: false, defaultEnabled: false },
      { name: "new_task_management", enabled: true, defaultEnabled: true },
    ]);
    const set = await gql(
      ctx,
      `mutation { setFeatureFlag(input: { name: "ai_recommendations", enabled: true }) { featureFlag { name enabled } } }`,
      {},
      await tokenFor("admin"),
    );
    expect(set.body).toEqual({
      data: { setFeatureFlag: { featureFlag: { name: "ai_recommendations", enabled: true } } },
    });
    const asked = await gql(
      ctx,
      `{ featureEnabled(name: "ai_recommendations") }`,
      {},
      await tokenFor("member"),
    );
    expect(asked.body).toEqual({ data: { featureEnabled: true } });
    const refused = await gql(
      ctx,
      `mutation { setFeatureFlag(input: { name: "ai_recommendations", enabled: false }) { featureFlag { name } } }`,
      {},
      await tokenFor("member"),
    );
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("FL002");
    const unknown = await gql(
      ctx,
      `{ featureEnabled(name: "warp_drive") }`,
      {},
      await tokenFor("member"),
    );
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("FL010");
  });
});
