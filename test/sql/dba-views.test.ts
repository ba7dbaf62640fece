/**
 * The owner-only DBA views (db_health_check, table_sizes, partition_counts): they
 * answer the owner and nobody else, about this database (a lock wait here is
 * counted while it lasts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asActor, createOrg, sqlstate, useTestDatabase, type OrgFixture } from "../support/db.ts";

describe("DBA views", () => {
  const t = useTestDatabase();
  let org: OrgFixture;
  const as = (o: OrgFixture, role: keyof OrgFixture["users"]) => ({
    orgId: o.orgId,
    userId: o.users[role],
  });

  beforeAll(async () => {
    org = await createOrg(t, "ops");
  });

  it("answer the owner and nobody else", async () => {
    const owner = await t.client(t.db.ownerUrl);
    try {
      const health = () =>
        owner.query<{ connections: string; locks_waiting: string; max_connections: number }>(
          "select * from app_private.db_health_check",
        );
      expect((await health()).rows[0]!.max_connections).toEqual(expect.any(Number));
      expect(Number((await health()).rows[0]!.connections)).toBeGreaterThanOrEqual(1);
      // A session of this database waiting on a row lock is counted, and only while it waits
      // (what other databases of the server do is not this database's health).
      const holder = await t.root.connect();
      const waiter = await t.root.connect();
      try {
        await holder.query("begin");
        await holder.query("select 1 from app_public.users where id = $1 for update", [
          org.users.viewer,
        ]);
        await waiter.query("begin");
        const waiting = waiter
          .query("select 1 from app_public.users where id = $1 for update", [org.users.viewer])
          .then(
            () => "granted",
            (e: Error) => e.message,
          );
        let seen = 0;
        for (let i = 0; i < 100 && seen === 0; i++) {
          seen = Number((await health()).rows[0]!.locks_waiting);
          if (seen === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(seen).toBe(1);
        await holder.query("rollback");
        expect(await waiting).toBe("granted");
        await waiter.query("rollback");
        expect((await health()).rows[0]!.locks_waiting).toBe("0");
      } finally {
        holder.release();
        waiter.release();
      }
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
