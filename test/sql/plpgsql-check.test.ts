/**
 * Lints every plpgsql function and trigger function in our schemas with the
 * plpgsql_check extension (Debian's postgresql-15-plpgsql-check, installed by
 * .ci/run): an error (a wrong column, an ambiguous name, a type mismatch) fails
 * the run; warnings are listed. A server without the extension (the embedded
 * default) skips with one line, except under CI=true, where the skip fails.
 * Trigger functions are checked against a table that uses them, with the
 * transition tables their triggers name.
 */
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";

interface Finding {
  fn: string;
  level: string;
  message: string;
  lineno: number | null;
}

describe("plpgsql_check", () => {
  const t = useTestDatabase();

  it("finds no errors in any plpgsql function of ours", async (ctx) => {
    const { rows: available } = await t.root.query(
      "select 1 from pg_available_extensions where name = 'plpgsql_check'",
    );
    if (available.length === 0) {
      const reason = "plpgsql_check is not available on this server";
      if (process.env.CI === "true") throw new Error(`${reason} (not allowed under CI=true)`);
      ctx.skip(reason);
    }
    await t.root.query("create extension if not exists plpgsql_check");
    const { rows } = await t.root.query<Finding>(
      `with ours as (
         select p.oid, p.prorettype = 'trigger'::regtype as is_trigger
           from pg_proc p
           join pg_namespace n on n.oid = p.pronamespace
           join pg_language l on l.oid = p.prolang
          where n.nspname in ('app_public', 'app_hidden', 'app_private') and l.lanname = 'plpgsql'),
       -- One table per trigger function, and the transition tables of all its triggers there.
       uses as (
         select tg.tgfoid as oid, tg.tgrelid as relid,
                max(tg.tgoldtable::text) as oldtable, max(tg.tgnewtable::text) as newtable,
                row_number() over (partition by tg.tgfoid order by tg.tgrelid) as pick
           from pg_trigger tg where not tg.tgisinternal
          group by tg.tgfoid, tg.tgrelid),
       targets as (
         select o.oid, 0::oid as relid, null::text as oldtable, null::text as newtable
           from ours o where not o.is_trigger
         union all
         select o.oid, u.relid, u.oldtable, u.newtable
           from ours o join uses u on u.oid = o.oid and u.pick = 1
          where o.is_trigger)
       select x.oid::regprocedure::text as fn, r.level, r.message, r.lineno
         from targets x
        cross join lateral plpgsql_check_function_tb(
          x.oid, x.relid, oldtable => x.oldtable, newtable => x.newtable) r
        order by 1, 4`,
    );
    const errors = rows.filter((r) => r.level === "error");
    const warnings = rows.filter((r) => r.level !== "error");
    if (warnings.length) {
      console.log(
        `plpgsql_check warnings:\n${warnings.map((w) => `  ${w.fn}:${w.lineno ?? "?"} ${w.level}: ${w.message}`).join("\n")}`,
      );
    }
    expect(errors).toEqual([]);
    // Every trigger function in use was checked (one not attached to any table is not).
    const { rows: unchecked } = await t.root.query(
      `select p.oid::regprocedure::text as fn from pg_proc p
         join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
        where n.nspname in ('app_public', 'app_hidden', 'app_private') and l.lanname = 'plpgsql'
          and p.prorettype = 'trigger'::regtype
          and not exists (select 1 from pg_trigger tg where tg.tgfoid = p.oid)`,
    );
    expect(unchecked).toEqual([]);
  });
});
