/**
 * Catalog rules that every future table must follow too (DESIGN §2–§3 and
 * docs/adding-a-module.md): RLS on every table in our schemas, tenant-consistent
 * keys, no partitions outside app_partitions, hardened security-definer
 * functions, no grants the API's roles should not have, policies that call only
 * plpgsql or inlinable SQL functions and only in their wrapped `(select …)`
 * form, numbered triggers, timestamps kept by the database, foreign keys backed
 * by tenant-led (non-partial) indexes, and a planner
 * decision (n_distinct) for every tenant table. New tables are covered without
 * new tests: a module that breaks a rule fails here, naming the object.
 */
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";

const OUR_SCHEMAS = ["app_public", "app_hidden", "app_private", "app_partitions"];

describe("catalog", () => {
  const t = useTestDatabase();

  it("has RLS enabled on every table in our schemas", async () => {
    const { rows } = await t.root.query<{ name: string; rls: boolean }>(
      `select format('%I.%I', n.nspname, c.relname) as name, c.relrowsecurity as rls
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any($1) and c.relkind in ('r', 'p')
        order by 1`,
      [OUR_SCHEMAS],
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.filter((r) => !r.rls).map((r) => r.name)).toEqual([]);
  });

  it("includes organization_id in every tenant table's primary key, unique constraints and foreign keys to tenant tables", async () => {
    const { rows } = await t.root.query<{ tbl: string; con: string; type: string }>(
      `select format('%I.%I', n.nspname, c.relname) as tbl, k.conname as con, k.contype::text as type
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped
         join pg_constraint k on k.conrelid = c.oid and k.contype in ('p', 'u', 'f')
        where n.nspname = any($1) and c.relkind in ('r', 'p')
          and not (a.attnum = any(k.conkey))
          -- A reference to a global table (feature_flags, say) has no tenant to include;
          -- one to the tenant root or to another tenant table must carry organization_id.
          and not (k.contype = 'f' and k.confrelid <> 'app_public.organizations'::regclass
                   and not exists (select 1 from pg_attribute fa
                                    where fa.attrelid = k.confrelid and fa.attname = 'organization_id'))`,
      [OUR_SCHEMAS],
    );
    expect(rows).toEqual([]);
    // And every tenant table has a primary key at all.
    const { rows: keyless } = await t.root.query<{ tbl: string }>(
      `select format('%I.%I', n.nspname, c.relname) as tbl
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any($1) and c.relkind in ('r', 'p')
          and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p')`,
      [OUR_SCHEMAS],
    );
    expect(keyless).toEqual([]);
  });

  it("keeps every partition in app_partitions", async () => {
    const { rows } = await t.root.query(
      `select format('%I.%I', n.nspname, c.relname) as name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relispartition and n.nspname <> 'app_partitions' and n.nspname = any($1)`,
      [OUR_SCHEMAS],
    );
    expect(rows).toEqual([]);
  });

  it("partitions by month on the one timestamptz column of the primary key, and registers the table for maintenance", async () => {
    // The GraphQL surface hides that column from the keys (plugins/surface.ts finds
    // it by this rule), and maintenance creates and drops only registered tables' months.
    const { rows } = await t.root.query<{ tbl: string }>(
      `select c.oid::regclass::text as tbl
         from pg_partitioned_table p
         join pg_class c on c.oid = p.partrelid
         join pg_namespace n on n.oid = c.relnamespace
         join pg_constraint k on k.conrelid = c.oid and k.contype = 'p'
        where n.nspname = any($1)
          and not (p.partstrat = 'r' and p.partnatts = 1
                   and p.partattrs[0] = any (k.conkey)
                   and (select array_agg(a.attnum) from pg_attribute a
                         where a.attrelid = c.oid and a.attnum = any (k.conkey)
                           and a.atttypid = 'timestamptz'::regtype) = array[p.partattrs[0]]
                   and exists (select 1 from app_private.partitioned_tables r where r.table_name = c.oid))`,
      [OUR_SCHEMAS],
    );
    expect(rows).toEqual([]);
  });

  it("pins search_path on every security definer function", async () => {
    const { rows } = await t.root.query<{ fn: string }>(
      `select p.oid::regprocedure::text as fn
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any($1) and p.prosecdef
          and not coalesce('search_path=pg_catalog, pg_temp' = any(p.proconfig), false)`,
      [OUR_SCHEMAS],
    );
    expect(rows).toEqual([]);
  });

  it("gives the visitor nothing in app_private and app_partitions", async () => {
    const { rows } = await t.root.query(
      `select n.nspname, has_schema_privilege($1, n.oid, 'usage') as usage
         from pg_namespace n where n.nspname in ('app_private', 'app_partitions') order by 1`,
      [t.db.roles.visitor],
    );
    expect(rows).toEqual([
      { nspname: "app_partitions", usage: false },
      { nspname: "app_private", usage: false },
    ]);
    const { rows: fns } = await t.root.query(
      `select p.oid::regprocedure::text as fn
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'app_private' and has_function_privilege($1, p.oid, 'execute')`,
      [t.db.roles.visitor],
    );
    expect(fns).toEqual([]);
  });

  it("grants insert and update only with column lists", async () => {
    // A table-wide insert/update grant shows up as a table privilege; column grants do not.
    const { rows } = await t.root.query(
      `select table_schema, table_name, privilege_type
         from information_schema.role_table_grants
        where grantee = $1 and privilege_type in ('INSERT', 'UPDATE')`,
      [t.db.roles.visitor],
    );
    expect(rows).toEqual([]);
  });

  it("documents every exposed table, column and function", async () => {
    const { rows } = await t.root.query(
      `select format('%I.%I', n.nspname, c.relname) as object
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'app_public' and c.relkind in ('r', 'p', 'v') and obj_description(c.oid, 'pg_class') is null
       union all
       select format('%I.%I.%I', n.nspname, c.relname, a.attname)
         from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'app_public' and c.relkind in ('r', 'p', 'v') and a.attnum > 0 and not a.attisdropped
          and col_description(c.oid, a.attnum) is null
       union all
       select p.oid::regprocedure::text
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'app_public' and obj_description(p.oid, 'pg_proc') is null`,
    );
    expect(rows).toEqual([]);
  });

  /**
   * The functions policies call (pg_depend records every function a policy's
   * expressions use, through sub-selects too), with what decides their cost and
   * their name as pg_get_expr prints it.
   */
  async function policyFunctions() {
    const { rows } = await t.root.query<{
      fn: string;
      name: string;
      language: string;
      definer: boolean;
      config: string[] | null;
      returns_set: boolean;
      policies: string[];
    }>(
      `select p.oid::regprocedure::text as fn, format('%I.%I', n.nspname, p.proname) as name,
              l.lanname as language, p.prosecdef as definer, p.proconfig as config,
              p.proretset as returns_set,
              array_agg(distinct format('%s.%s', pol.polrelid::regclass, pol.polname)) as policies
         from pg_policy pol
         join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = pol.oid
         join pg_proc p on p.oid = d.refobjid and d.refclassid = 'pg_proc'::regclass
         join pg_namespace n on n.oid = p.pronamespace
         join pg_language l on l.oid = p.prolang
        group by 1, 2, 3, 4, 5, 6
        order by 1`,
    );
    return rows;
  }

  it("calls only plpgsql or inlinable language sql functions in policies", async () => {
    // Every query pays for the functions its policies call (DESIGN §3): a plpgsql
    // function's plans are cached per session, and a language sql function is
    // inlined only without security definer, a SET clause or a set result;
    // otherwise it is planned again in every query that calls it.
    const fns = await policyFunctions();
    // pg_depend does record them (built-ins are pinned and never appear).
    expect(fns.map((f) => f.fn)).toEqual(
      expect.arrayContaining([
        "app_public.current_org_id()",
        "app_public.current_user_id()",
        "app_public.current_user_role()",
      ]),
    );
    const slow = fns
      .filter(
        (f) =>
          !(
            f.language === "plpgsql" ||
            (f.language === "sql" && !f.definer && f.config === null && !f.returns_set)
          ),
      )
      .map(
        (f) =>
          `${f.fn} (${f.language}${f.definer ? ", security definer" : ""}), in ${f.policies.join(", ")}`,
      );
    expect(slow).toEqual([]);
  });

  it("calls every function in policies only in its uncorrelated (select …) form", async () => {
    // `organization_id = (select app_public.current_org_id())` runs the function once
    // per query (an InitPlan); unwrapped, or given a column of the row, it runs per row.
    // pg_get_expr prints the wrapped form as `( SELECT schema.fn(<constants>) AS fn)`.
    const fns = await policyFunctions();
    const client = await t.root.connect();
    let rows: Array<{ policy: string; expr: string }>;
    try {
      // Every name printed schema-qualified, as policyFunctions() names them.
      await client.query("begin; set local search_path = pg_catalog");
      ({ rows } = await client.query<{ policy: string; expr: string }>(
        `select format('%s.%s', polrelid::regclass, polname) as policy,
                coalesce(pg_get_expr(polqual, polrelid), '') || ' ' ||
                coalesce(pg_get_expr(polwithcheck, polrelid), '') as expr
           from pg_policy`,
      ));
      await client.query("rollback");
    } finally {
      client.release();
    }
    expect(rows.length).toBeGreaterThan(0);
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    // A constant as pg_get_expr prints it: 'member'::app_public.user_role, 42, NULL, true.
    const constant = String.raw`(?:'(?:[^']|'')*'(?:::[\w."]+(?: [a-z ]+)?(?:\[\])?)?|-?\d+(?:\.\d+)?|NULL|true|false)`;
    const args = String.raw`(?:${constant}(?:, ${constant})*)?`;
    const unwrapped: string[] = [];
    for (const { policy, expr } of rows) {
      for (const fn of fns) {
        const name = escape(fn.name);
        const calls = expr.match(new RegExp(String.raw`(?<![\w."])${name}\(`, "g"))?.length ?? 0;
        const wrapped =
          expr.match(new RegExp(String.raw`\( SELECT ${name}\(${args}\) AS \w+\)`, "g"))?.length ??
          0;
        if (calls !== wrapped) unwrapped.push(`${policy}: ${fn.fn}`);
      }
    }
    expect(unwrapped).toEqual([]);
  });

  it("names every trigger _NNN_<what>, the number giving its firing order", async () => {
    const { rows } = await t.root.query<{ trigger: string }>(
      `select format('%s %s', tg.tgrelid::regclass, tg.tgname) as trigger
         from pg_trigger tg join pg_class c on c.oid = tg.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any($1) and not tg.tgisinternal and tg.tgparentid = 0
          and tg.tgname !~ '^_[0-9]{3}_[a-z0-9_]+$'`,
      [OUR_SCHEMAS],
    );
    expect(rows).toEqual([]);
  });

  it("keeps updated_at with the _100_timestamps trigger on every table that has one", async () => {
    const { rows } = await t.root.query<{ tbl: string }>(
      `select c.oid::regclass::text as tbl
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attname = 'updated_at' and not a.attisdropped
        where n.nspname = any($1) and c.relkind in ('r', 'p') and not c.relispartition
          and not exists (select 1 from pg_trigger tg
                           where tg.tgrelid = c.oid and tg.tgname = '_100_timestamps'
                             and tg.tgfoid = 'app_private.tg__timestamps()'::regprocedure)`,
      [OUR_SCHEMAS],
    );
    expect(rows).toEqual([]);
  });

  it("backs every foreign key with an index led by its columns (organization_id first)", async () => {
    // An unindexed reference makes every delete of the referenced row scan the
    // referencing table, and the tenant's index serves the policies too.
    const { rows } = await t.root.query<{ fk: string }>(
      `select format('%s %s', k.conrelid::regclass, k.conname) as fk
         from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        where k.contype = 'f' and n.nspname = any($1) and not c.relispartition
          and not exists (
            select 1 from pg_index i
             where i.indrelid = k.conrelid
               and i.indpred is null -- a partial index cannot serve every row's check
               and (i.indkey::int2[])[0:cardinality(k.conkey) - 1] operator(pg_catalog.@>) k.conkey
               and k.conkey operator(pg_catalog.@>) (i.indkey::int2[])[0:cardinality(k.conkey) - 1]
               and (cardinality(k.conkey) = 1
                    or i.indkey[0] = (select a.attnum from pg_attribute a
                                       where a.attrelid = k.conrelid and a.attname = 'organization_id')))`,
      [OUR_SCHEMAS],
    );
    expect(rows).toEqual([]);
  });

  it("states the planner's decision (n_distinct) for organization_id on every tenant table", async () => {
    // See docs/adding-a-module.md: the policy's tenant value is invisible at
    // planning time, so each tenant table says how large a tenant to plan for.
    const { rows } = await t.root.query<{ tbl: string }>(
      `select c.oid::regclass::text as tbl
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped
        where n.nspname = any($1) and c.relkind in ('r', 'p')
          and not exists (select 1 from unnest(a.attoptions) o where o like 'n\\_distinct=%')`,
      [OUR_SCHEMAS],
    );
    expect(rows).toEqual([]);
  });

  it("lets the authenticator execute nothing in app_private but the rate-limit bucket", async () => {
    const { rows } = await t.root.query<{ fn: string }>(
      `select p.oid::regprocedure::text as fn
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'app_private' and has_function_privilege($1, p.oid, 'execute')`,
      [t.db.roles.authenticator],
    );
    expect(rows.map((r) => r.fn)).toEqual([
      "app_private.take_request_tokens(uuid,text,integer,integer,integer)",
    ]);
  });
});
