/**
 * The rule every child partition follows, checked from the catalog instead of
 * being listed in data/schema.sql (where month names would go stale): each child
 * of a registered partitioned table lives in app_partitions, is named
 * `<parent>_pYYYYMM` after the UTC month its bounds cover, has RLS enabled, and
 * grants nothing to the API's roles; and this month's and the `premake` months
 * ahead exist.
 */
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";

interface Child {
  parent: string;
  schema: string;
  name: string;
  bound: string;
  rls: boolean;
  granted: boolean;
}

describe("partitions", () => {
  const t = useTestDatabase();

  const children = async () =>
    (
      await t.root.query<Child>(
        `select p.table_name::text as parent, n.nspname as schema, c.relname as name,
                pg_get_expr(c.relpartbound, c.oid) as bound, c.relrowsecurity as rls,
                exists (select 1 from aclexplode(c.relacl) a
                         where a.grantee in ($1::regrole, $2::regrole)) as granted
           from app_private.partitioned_tables p
           join pg_inherits h on h.inhparent = p.table_name
           join pg_class c on c.oid = h.inhrelid
           join pg_namespace n on n.oid = c.relnamespace
          order by 1, 3`,
        [t.db.roles.visitor, t.db.roles.authenticator],
      )
    ).rows;

  it("keeps every child in app_partitions, named after the month its bounds cover", async () => {
    const rows = await children();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const relname = row.parent.split(".")[1]!;
      const match = new RegExp(`^${relname}_p(\\d{4})(\\d{2})$`).exec(row.name);
      expect(match, `${row.schema}.${row.name}`).not.toBeNull();
      const [, year, month] = match!;
      const from = `${year}-${month}-01`;
      const next = new Date(Date.UTC(Number(year), Number(month), 1)).toISOString().slice(0, 10);
      expect(row.bound, row.name).toBe(
        `FOR VALUES FROM ('${from} 00:00:00+00') TO ('${next} 00:00:00+00')`,
      );
      expect(row).toMatchObject({ schema: "app_partitions", rls: true, granted: false });
    }
  });

  it("has this month's partition and the months ahead that the registry asks for", async () => {
    const { rows } = await t.root.query<{ parent: string; missing: string[] }>(
      `select p.table_name::text as parent,
              array(select to_char(m, 'YYYYMM')
                      from generate_series(date_trunc('month', now() at time zone 'UTC'),
                                           date_trunc('month', now() at time zone 'UTC')
                                             + make_interval(months => p.premake),
                                           interval '1 month') m
                     where to_regclass(format('app_partitions.%s_p%s', c.relname, to_char(m, 'YYYYMM'))) is null
                   ) as missing
         from app_private.partitioned_tables p join pg_class c on c.oid = p.table_name`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.missing.length > 0)).toEqual([]);
  });

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
    // Every registered table alike (the pipelines module's four as well).
    const counts = await t.root.query(
      "select distinct partitions, months_ahead from app_private.partition_counts",
    );
    expect(counts.rows).toEqual([{ partitions: 4, months_ahead: 3 }]);
  });
});
