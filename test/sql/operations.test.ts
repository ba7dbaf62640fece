/**
 * Issue #3's SQL: the audit log (generic trigger, who/what/request, append-only,
 * admins-only reading), feature flags (defaults, overrides, roles, audit), monthly
 * partitions and retention, the shared rate-limit bucket under a concurrent burst,
 * and the owner-only DBA views.
 */
import { beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
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

describe("operations core (SQL)", () => {
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

  describe("audit log", () => {
    it("records inserts, changed columns of updates, and deletes, with actor and request id", async () => {
      const events = await asActor(t, as(org, "owner"), async (c) => {
        await c.query("select set_config('forgeline.request_id', 'req-audit-1', true)");
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

    it("names trusted actors (a worker acting as the tenant's service)", async () => {
      const rows = await asService(t, org.orgId, async (c) => {
        await c.query('update app_public.users set settings = \'{"tz": "UTC"}\' where id = $1', [
          org.users.member,
        ]);
        return (
          await c.query<{ actor: string; actor_user_id: string | null; changes: unknown }>(
            "select actor, actor_user_id, changes from app_public.audit_events where actor = 'worker'",
          )
        ).rows;
      });
      expect(rows).toEqual([
        {
          actor: "worker",
          actor_user_id: null,
          changes: { settings: { old: {}, new: { tz: "UTC" } } },
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
        c.query(
          "select count(*)::int as n from app_public.audit_events where organization_id = $1",
          [org.orgId],
        ),
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

  describe("partitions and retention", () => {
    it("keeps audit events in monthly partitions in app_partitions, created ahead", async () => {
      const { rows } = await t.root.query(
        `select count(*)::int as n, bool_and(n.nspname = 'app_partitions') as all_hidden, bool_and(c.relrowsecurity) as rls
           from pg_inherits h join pg_class c on c.oid = h.inhrelid join pg_namespace n on n.oid = c.relnamespace
          where h.inhparent = 'app_public.audit_events'::regclass`,
      );
      expect(rows).toEqual([{ n: 4, all_hidden: true, rls: true }]);
      expect((await t.root.query("select * from app_private.maintain_partitions()")).rows).toEqual(
        [],
      );
      const counts = await t.root.query(
        "select partitions, months_ahead from app_private.partition_counts",
      );
      expect(counts.rows).toEqual([{ partitions: 4, months_ahead: 3 }]);
    });
  });

  describe("feature flags", () => {
    it("answers from the global default until an admin overrides it, per organization", async () => {
      const enabled = (o: OrgFixture, name: string) =>
        asActor(
          t,
          as(o, "viewer"),
          async (c) =>
            (await c.query<{ on: boolean }>("select app_public.feature_enabled($1) as on", [name]))
              .rows[0]!.on,
        );
      expect(await enabled(org, "advanced_analytics")).toBe(false);
      expect(await enabled(org, "new_task_management")).toBe(true);
      await asActor(
        t,
        as(org, "admin"),
        (c) => c.query("select app_public.set_feature_flag('advanced_analytics', true)"),
        { commit: true },
      );
      expect(await enabled(org, "advanced_analytics")).toBe(true);
      expect(await enabled(other, "advanced_analytics")).toBe(false);
      const listed = await asActor(t, as(org, "member"), (c) =>
        c.query(
          "select f.name, app_public.feature_flags_enabled(f) as on from app_public.feature_flags f order by name",
        ),
      );
      expect(listed.rows).toEqual([
        { name: "advanced_analytics", on: true },
        { name: "ai_recommendations", on: false },
        { name: "new_task_management", on: true },
      ]);
      await asActor(
        t,
        as(org, "owner"),
        (c) => c.query("select app_public.set_feature_flag('advanced_analytics', null)"),
        { commit: true },
      );
      expect(await enabled(org, "advanced_analytics")).toBe(false);
      const audited = await t.root.query(
        "select action from app_public.audit_events where organization_id = $1 and table_name = 'app_public.organization_feature_flags' order by occurred_at, id",
        [org.orgId],
      );
      expect(audited.rows).toEqual([{ action: "insert" }, { action: "delete" }]);
    });

    it("lets only admins and owners toggle, and refuses unknown flags", async () => {
      expect(
        await sqlstate(
          asActor(t, as(org, "member"), (c) =>
            c.query("select app_public.set_feature_flag('ai_recommendations', true)"),
          ),
        ),
      ).toBe("FL002");
      expect(
        await sqlstate(
          asActor(t, as(org, "admin"), (c) =>
            c.query("select app_public.set_feature_flag('no_such_flag', true)"),
          ),
        ),
      ).toBe("FL010");
      expect(
        await sqlstate(
          asActor(t, as(org, "viewer"), (c) =>
            c.query("select app_public.feature_enabled('no_such_flag')"),
          ),
        ),
      ).toBe("FL010");
      expect(
        await sqlstate(
          asActor(t, as(org, "owner"), (c) =>
            c.query("insert into app_public.feature_flags (name, description) values ('x', 'y')"),
          ),
        ),
      ).toBe("42501");
    });
  });

  describe("rate-limit buckets", () => {
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

  describe("DBA views", () => {
    it("answer the owner and nobody else", async () => {
      const owner = await t.client(t.db.ownerUrl);
      try {
        const health = await owner.query<{ connections: string; locks_waiting: string }>(
          "select * from app_private.db_health_check",
        );
        expect(health.rows[0]).toMatchObject({
          locks_waiting: "0",
          max_connections: expect.any(Number) as unknown,
        });
        expect(Number(health.rows[0]!.connections)).toBeGreaterThanOrEqual(1);
        const sizes = await owner.query<{ table_name: string; partitioned: boolean }>(
          "select table_name, partitioned from app_private.table_sizes",
        );
        expect(sizes.rows).toEqual(
          expect.arrayContaining([
            { table_name: "users", partitioned: false },
            { table_name: "audit_events", partitioned: true },
          ]),
        );
      } finally {
        await owner.end();
      }
      for (const view of ["db_health_check", "table_sizes", "partition_counts"]) {
        expect(
          await sqlstate(
            asActor(t, as(org, "owner"), (c) => c.query(`select * from app_private.${view}`)),
          ),
        ).toBe("42501");
      }
    });
  });
});
