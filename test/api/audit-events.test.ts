/**
 * The audit log through the GraphQL API over HTTP, as admins and owners read it
 * (newest first, filtered by table, with the request id); members see none of it.
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

describe("audit events through the API", () => {
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
});
