/**
 * Cross-tenant isolation for every table the visitor can reach, discovered from
 * the catalog so that new tables are covered without new tests (their rows come
 * from one fixture file per module, test/fixtures/tenant-rows/): acting as the
 * owner of organization B, nothing of organization A can be seen, inserted,
 * updated or deleted, and A's rows are byte-for-byte unchanged afterwards.
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
import { loadFixtures } from "../fixtures/tenant-rows/index.ts";

interface TableInfo {
  schema: string;
  name: string;
  tenantColumn: string;
  updatable: string | null;
}

describe("cross-tenant isolation", () => {
  const t = useTestDatabase();
  let a: OrgFixture;
  let b: OrgFixture;
  let tables: TableInfo[];

  beforeAll(async () => {
    a = await createOrg(t, "tenant-a");
    b = await createOrg(t, "tenant-b");
    // Give both a row in every tenant table: one fixture per module.
    for (const fixture of await loadFixtures()) {
      for (const org of [a, b]) {
        await fixture.fill({
          t,
          org,
          asOwner: (fn) =>
            asActor(t, { orgId: org.orgId, userId: org.users.owner }, fn, { commit: true }),
          asService: (fn) => asService(t, org.orgId, fn, { commit: true }),
        });
      }
    }
    const { rows } = await t.root.query<TableInfo>(
      `select n.nspname as schema, c.relname as name,
              case when c.oid = 'app_public.organizations'::regclass then 'id' else 'organization_id' end as "tenantColumn",
              (select a.attname from pg_attribute a
                where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                  and has_column_privilege($1, c.oid, a.attnum, 'update')
                order by a.attnum limit 1) as updatable
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('app_public', 'app_hidden') and c.relkind in ('r', 'p')
          and (c.oid = 'app_public.organizations'::regclass
               or exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'organization_id'))
        order by 1, 2`,
      [t.db.roles.visitor],
    );
    tables = rows;
  });

  const snapshot = async (table: TableInfo, orgId: string) =>
    (
      await t.root.query(
        `select md5(coalesce(string_agg(x::text, ',' order by x::text), '')) as digest, count(*)::int as n
           from ${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)} x
          where ${pg.escapeIdentifier(table.tenantColumn)} = $1`,
        [orgId],
      )
    ).rows[0] as { digest: string; n: number };

  it("covers every tenant table", () => {
    expect(tables.map((x) => `${x.schema}.${x.name}`)).toEqual(
      expect.arrayContaining(["app_public.organizations", "app_public.users"]),
    );
  });

  it("shows, inserts, updates and deletes nothing of another organization", async () => {
    const actorB = { orgId: b.orgId, userId: b.users.owner };
    for (const table of tables) {
      const qualified = `${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)}`;
      const col = pg.escapeIdentifier(table.tenantColumn);
      const before = await snapshot(table, a.orgId);
      expect(
        before.n,
        `${qualified} has no rows of A to protect: add them to its module's fixture in test/fixtures/tenant-rows/`,
      ).toBeGreaterThan(0);

      const seen = await asActor(t, actorB, (c) =>
        c.query(`select * from ${qualified} where ${col} = $1`, [a.orgId]),
      );
      expect(seen.rowCount, `${qualified}: select`).toBe(0);

      // Inserting a row for A is refused by grants or by RLS's with-check.
      const insertCode = await sqlstate(
        asActor(t, actorB, (c) =>
          c.query(`insert into ${qualified} (${col}) values ($1)`, [a.orgId]),
        ),
      );
      expect(insertCode, `${qualified}: insert`).toBe("42501");

      if (table.updatable) {
        const upd = pg.escapeIdentifier(table.updatable);
        const updated = await asActor(t, actorB, (c) =>
          c.query(`update ${qualified} set ${upd} = ${upd} where ${col} = $1`, [a.orgId]),
        );
        expect(updated.rowCount, `${qualified}: update`).toBe(0);
      }
      const deleted = await asActor(t, actorB, (c) =>
        c
          .query(`delete from ${qualified} where ${col} = $1`, [a.orgId])
          .catch((e: { code?: string }) => {
            // No delete grant at all is as good as no rows deleted.
            if (e.code === "42501") return { rowCount: 0 };
            throw e;
          }),
      );
      expect(deleted.rowCount, `${qualified}: delete`).toBe(0);

      expect(await snapshot(table, a.orgId), `${qualified}: unchanged`).toEqual(before);
    }
  });

  it("resolves another organization's rows through no function either", async () => {
    const actorB = { orgId: b.orgId, userId: b.users.owner };
    const codes = await Promise.all([
      sqlstate(
        asActor(t, actorB, (c) =>
          c.query("select app_public.change_user_role($1, 'viewer')", [a.users.admin]),
        ),
      ),
      sqlstate(
        asActor(t, actorB, (c) => c.query("select app_public.remove_user($1)", [a.users.member])),
      ),
    ]);
    expect(codes).toEqual(["FL003", "FL003"]);
    // A token that names org A but a user of org B is not a member of A: it sees nothing.
    const mixed = await asActor(t, { orgId: a.orgId, userId: b.users.owner }, (c) =>
      c.query(
        "select (select count(*) from app_public.users)::int as users, (select count(*) from app_public.organizations)::int as orgs",
      ),
    );
    expect(mixed.rows[0]).toEqual({ users: 0, orgs: 0 });
  });

  it("shows nothing to an anonymous request", async () => {
    const anon = await asActor(t, null, (c) =>
      c.query(
        "select (select count(*) from app_public.users)::int as users, (select count(*) from app_public.organizations)::int as orgs",
      ),
    );
    expect(anon.rows[0]).toEqual({ users: 0, orgs: 0 });
  });
});
