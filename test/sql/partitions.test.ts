/**
 * The rule every child partition follows, checked from the catalog instead of
 * being listed in data/schema.sql (where month names would go stale): each child
 * of a registered partitioned table lives in app_partitions, is named
 * `<parent>_pYYYYMM` after the UTC month its bounds cover, has RLS enabled, and
 * grants nothing to the API's roles; and the month's and the `premake` months
 * ahead exist, the month being the one the migrations ran in (not the test's).
 * maintain_partitions() and apply_retention() are also called directly (by
 * migrations, by the module recipe), not only through
 * run_maintenance(): two such calls that overlap both succeed, the second
 * waiting for the first and then finding nothing left to do.
 */
import type pg from "pg";
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

  /**
   * The clock of the checks below: when this database's migrations ran, as
   * graphile-migrate recorded it (`now()` of the migrations' transactions, the
   * clock they created the partitions with). A test that compared `now()` with
   * a template migrated when the run started failed whenever the run crossed a
   * month end; read from the database itself, both sides use one timestamp,
   * whenever the test runs.
   */
  const migratedAt = "(select max(date) from graphile_migrate.migrations)";

  it("has the month's partition and the months ahead that the registry asks for", async () => {
    const { rows } = await t.root.query<{ parent: string; missing: string[] }>(
      `select p.table_name::text as parent,
              array(select to_char(m, 'YYYYMM')
                      from generate_series(date_trunc('month', ${migratedAt} at time zone 'UTC'),
                                           date_trunc('month', ${migratedAt} at time zone 'UTC')
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
    expect(
      (await t.root.query(`select * from app_private.maintain_partitions(${migratedAt})`)).rows,
    ).toEqual([]);
    // Every registered table alike (the pipelines module's four as well): the
    // newest partition is `premake` months after the month of the clock.
    const counts = await t.root.query(
      `select distinct c.partitions,
              (extract(year from age(c.newest_month, m.month)) * 12
               + extract(month from age(c.newest_month, m.month)))::int as months_ahead
         from app_private.partition_counts c,
              (select date_trunc('month', ${migratedAt} at time zone 'UTC')::date as month) m`,
    );
    expect(counts.rows).toEqual([{ partitions: 4, months_ahead: 3 }]);
  });
});

describe("partition maintenance called directly", () => {
  const t = useTestDatabase();

  /**
   * Runs `sql` on a first connection inside a transaction that stays open while
   * the same `sql` runs on a second connection (which waits on a lock, or fails,
   * or finishes); then the first commits. Returns each call's lines, or the
   * SQLSTATE it failed with.
   */
  async function overlapping(sql: string): Promise<[string[] | string, string[] | string]> {
    const lines = (c: pg.PoolClient) =>
      c.query<{ line: string }>(sql).then(
        (r) => r.rows.map((row) => row.line),
        (e: { code?: string }) => String(e.code),
      );
    const first = await t.root.connect();
    const second = await t.root.connect();
    try {
      await first.query("begin");
      const firstLines = await lines(first);
      const pid = (await second.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!
        .pid;
      let done = false;
      const secondLines = lines(second).finally(() => (done = true));
      for (let i = 0; i < 200 && !done; i++) {
        const { rows } = await t.root.query<{ w: string | null }>(
          "select wait_event_type as w from pg_stat_activity where pid = $1",
          [pid],
        );
        if (rows[0]?.w === "Lock") break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await first.query("commit");
      return [firstLines, await secondLines];
    } finally {
      await first.query("rollback").catch(() => undefined);
      first.release();
      second.release();
    }
  }

  /** Detaches and drops the partitions that `lines` say were created, referencing tables first. */
  async function dropCreated(lines: string[]) {
    const names = lines.map((l) => l.replace(/^created /, ""));
    const { rows } = await t.root.query<{ parent: string; part: string }>(
      `select p.table_name::text as parent, c.oid::regclass::text as part
         from app_private.partitioned_tables p
         join pg_inherits h on h.inhparent = p.table_name
         join pg_class c on c.oid = h.inhrelid
        where c.oid::regclass::text = any($1)
        order by p.drop_order, 2`,
      [names],
    );
    for (const { parent, part } of rows) {
      await t.root.query(`alter table ${parent} detach partition ${part}`);
      await t.root.query(`drop table ${part}`);
    }
  }

  it("lets two overlapping maintain_partitions() calls both succeed, creating each partition once", async () => {
    const [first, second] = await overlapping(
      "select line from app_private.maintain_partitions('2033-05-10 00:00:00+00') as line",
    );
    try {
      expect(first).toContain("created app_partitions.audit_events_p203305");
      expect(second).toEqual([]);
    } finally {
      if (Array.isArray(first)) await dropCreated(first);
    }
  });

  it("lets two overlapping apply_retention() calls both succeed, dropping each partition once", async () => {
    await t.root.query("select app_private.maintain_partitions('2020-03-10 00:00:00+00')");
    const [first, second] = await overlapping(
      "select line from app_private.apply_retention('2022-01-01 00:00:00+00') as line",
    );
    expect(first).toContain("dropped app_partitions.audit_events_p202003");
    expect(second).toEqual([]);
    const { rows } = await t.root.query(
      "select to_regclass('app_partitions.audit_events_p202006') as left",
    );
    expect(rows).toEqual([{ left: null }]);
  });
});
