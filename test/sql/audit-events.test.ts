/**
 * app_public.audit_events: the generic statement-level trigger records who,
 * what and which request for every audited table, trusted actors by name; only
 * admins and owners of the organization read it; it is append-only for every
 * role, the owner included.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  asActor,
  asService,
  createOrg,
  sqlstate,
  useTestDatabase,
  type OrgFixture,
} from "../support/db.ts";

interface AuditRow {
  actor: string;
  actor_user_id: string | null;
  action: string;
  table_name: string;
  same_row: boolean;
  changes: Record<string, unknown>;
  request_id: string | null;
}

describe("audit log", () => {
  const t = useTestDatabase();
  let org: OrgFixture;
  let other: OrgFixture;
  const as = (o: OrgFixture, role: keyof OrgFixture["users"]) => ({
    orgId: o.orgId,
    userId: o.users[role],
  });

  beforeAll(async () => {
    org = await createOrg(t, "ops");
    other = await createOrg(t, "ops-other");
  });

  it("records inserts, changed columns of updates, and deletes, with actor and request id", async () => {
    const owner = { ...as(org, "owner"), requestId: "req-audit-1" };
    const events = await asActor(t, owner, async (c) => {
      const added = await c.query<{ id: string }>(
        "select id from app_public.add_user('eve@ops.test', 'Eve', 'member')",
      );
      const eve = added.rows[0]!.id;
      await c.query(
        "update app_public.users set name = 'Eve E.', settings = settings where id = $1",
        [eve],
      );
      await c.query("select app_public.remove_user($1)", [eve]);
      return (
        await c.query<AuditRow>(
          `select actor, actor_user_id, action, table_name, row_key ->> 'id' = $1 as same_row, changes, request_id
               from app_public.audit_events where request_id = 'req-audit-1' order by occurred_at, id`,
          [eve],
        )
      ).rows;
    });
    expect(events.map((e) => e.action)).toEqual(["insert", "update", "delete"]);
    for (const e of events) {
      expect(e).toMatchObject({
        actor: "user",
        actor_user_id: org.users.owner,
        table_name: "app_public.users",
        same_row: true,
        request_id: "req-audit-1",
      });
    }
    expect(events[0]!.changes).toMatchObject({
      email: { new: "eve@ops.test" },
      role: { new: "member" },
    });
    expect(events[0]!.changes).not.toHaveProperty("updated_at");
    // Only what changed, old and new.
    expect(events[1]!.changes).toEqual({ name: { old: "Eve", new: "Eve E." } });
    expect(events[2]!.changes).toMatchObject({ name: { old: "Eve E." } });
  });

  it("names trusted actors (a worker acting as the tenant's service) and their job", async () => {
    const rows = await asService(
      t,
      org.orgId,
      async (c) => {
        await c.query('update app_public.users set settings = \'{"tz": "UTC"}\' where id = $1', [
          org.users.member,
        ]);
        return (
          await c.query<{
            actor: string;
            actor_user_id: string | null;
            changes: unknown;
            request_id: string | null;
          }>(
            "select actor, actor_user_id, changes, request_id from app_public.audit_events where actor = 'worker'",
          )
        ).rows;
      },
      { requestId: "job-42" },
    );
    expect(rows).toEqual([
      {
        actor: "worker",
        actor_user_id: null,
        changes: { settings: { old: {}, new: { tz: "UTC" } } },
        request_id: "job-42",
      },
    ]);
  });

  it("is read by admins and owners of the organization only", async () => {
    const count = (role: keyof OrgFixture["users"]) =>
      asActor(
        t,
        as(org, role),
        async (c) =>
          (await c.query<{ n: number }>("select count(*)::int as n from app_public.audit_events"))
            .rows[0]!.n,
      );
    expect(await count("owner")).toBeGreaterThan(0);
    expect(await count("admin")).toBe(await count("owner"));
    expect(await count("member")).toBe(0);
    expect(await count("viewer")).toBe(0);
    const { rows } = await asActor(t, as(other, "owner"), (c) =>
      c.query("select count(*)::int as n from app_public.audit_events where organization_id = $1", [
        org.orgId,
      ]),
    );
    expect(rows).toEqual([{ n: 0 }]);
  });

  it("is append-only for everyone, the owner included", async () => {
    expect(
      await sqlstate(
        asActor(t, as(org, "owner"), (c) => c.query("delete from app_public.audit_events")),
      ),
    ).toBe("42501");
    expect(
      await sqlstate(
        asActor(t, as(org, "owner"), (c) =>
          c.query("update app_public.audit_events set actor = 'x'"),
        ),
      ),
    ).toBe("42501");
    const owner = await t.client(t.db.ownerUrl);
    try {
      expect(await sqlstate(owner.query("delete from app_public.audit_events"))).toBe("FL009");
      expect(await sqlstate(owner.query("update app_public.audit_events set actor = 'x'"))).toBe(
        "FL009",
      );
      expect(await sqlstate(owner.query("truncate app_public.audit_events"))).toBe("FL009");
    } finally {
      await owner.end();
    }
  });
});
