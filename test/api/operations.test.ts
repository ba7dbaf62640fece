/**
 * Issue #3 through the GraphQL API over HTTP: the audit log as admins and owners
 * read it (newest first, filtered), members see none of it; feature flags listed
 * with their state for the organization, toggled by admins, refused to members.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi } from "../support/api.ts";

interface AuditPage {
  auditEvents: {
    nodes: Array<{
      action: string;
      tableName: string;
      actorUserId: string | null;
      changes: unknown;
      requestId: string | null;
    }>;
  };
}

describe("operations through the API", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);
  let org: OrgFixture;
  const tokenFor = (role: keyof OrgFixture["users"]) =>
    token({ orgId: org.orgId, userId: org.users[role] });

  beforeAll(async () => {
    org = await createOrg(t, "ops-api");
  });

  it("shows admins the audit log newest first, filtered by table, with the request id", async () => {
    const rename = await gql(
      ctx,
      `mutation($id: UUID!) { updateUser(input: { rowId: $id, patch: { name: "Renamed" } }) { user { name } } }`,
      { id: org.users.viewer },
      await tokenFor("admin"),
      { "x-request-id": "audit-through-api" },
    );
    expect(rename.body.errors).toBeUndefined();
    const res = await gql<AuditPage>(
      ctx,
      `{ auditEvents(orderBy: [OCCURRED_AT_DESC, ROW_ID_DESC], first: 3, filter: { tableName: { equalTo: "app_public.users" } }) {
           nodes { action tableName actorUserId changes requestId } } }`,
      {},
      await tokenFor("admin"),
    );
    expect(res.body.data?.auditEvents.nodes[0]).toEqual({
      action: "update",
      tableName: "app_public.users",
      actorUserId: org.users.admin,
      changes: { name: { old: "viewer of ops-api", new: "Renamed" } },
      requestId: "audit-through-api",
    });
    expect(res.body.data?.auditEvents.nodes.slice(1).every((n) => n.action === "insert")).toBe(
      true,
    );
  });

  it("shows members no audit events", async () => {
    const res = await gql<AuditPage>(
      ctx,
      "{ auditEvents(first: 10) { nodes { action } } }",
      {},
      await tokenFor("member"),
    );
    expect(res.body).toEqual({ data: { auditEvents: { nodes: [] } } });
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
