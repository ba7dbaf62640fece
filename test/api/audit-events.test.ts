/**
 * The audit log through the GraphQL API over HTTP, as admins and owners read it
 * (newest first, filtered by table, with the request id); members see none of it.
 * The request id stored is the client's x-request-id when well-formed (1–64 of
 * A–Z a–z 0–9 . _ -), else a fresh uuid, the same the response echoes.
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

  it("stores a well-formed x-request-id as sent, and a fresh uuid for a malformed one", async () => {
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const admin = await tokenFor("admin");
    /** Renames the viewer with the header `sent`; the request id its audit event stored, and the one echoed. */
    const renameWith = async (sent: string, name: string) => {
      const res = await gql(
        ctx,
        `mutation($id: UUID!, $name: String!) { updateUser(input: { rowId: $id, patch: { name: $name } }) { user { name } } }`,
        { id: org.users.viewer, name },
        admin,
        { "x-request-id": sent },
      );
      expect(res.body.errors).toBeUndefined();
      const { rows } = await t.root.query<{ request_id: string | null }>(
        `select request_id from app_public.audit_events
          where organization_id = $1 and table_name = 'app_public.users' and changes -> 'name' ->> 'new' = $2`,
        [org.orgId, name],
      );
      expect(rows).toHaveLength(1);
      return { stored: rows[0]!.request_id, echoed: res.headers.get("x-request-id") };
    };

    const longest = `r${"0123456789".repeat(6)}abc`; // 64 characters: the longest allowed
    for (const good of ["req-2024.07_01", longest]) {
      expect(await renameWith(good, `Good ${good.length}`)).toEqual({ stored: good, echoed: good });
    }
    for (const [bad, name] of [
      [`${longest}d`, "Too long (65)"],
      ["two words", "With a space"],
      ["<script>", "Markup"],
      ["req\u00e9", "Not ASCII"],
    ] as const) {
      const { stored, echoed } = await renameWith(bad, name);
      expect(stored, name).toMatch(UUID);
      // The fresh id is the request's own: the one echoed to the client and logged.
      expect(echoed, name).toBe(stored);
    }
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
