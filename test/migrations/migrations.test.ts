/**
 * Migrations from scratch: a new database migrates, migrating again changes
 * nothing, `graphile-migrate reset` rebuilds it, current.sql is idempotent, and the
 * committed schema files (data/schema.sql, data/schema.graphql) match what the
 * migrations produce.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import pg from "pg";
import {
  createScratchDatabase,
  dropDatabase,
  dropRoles,
  scratchPrefix,
  waitForIdle,
  type ScratchDatabase,
} from "../../src/db/scratch.ts";
import { migrateDatabase, resetDatabase, migrateSettings, latestCommittedHash } from "../../src/db/migrate.ts";
import {
  dumpSchemaGraphql,
  dumpSchemaSql,
  pgDumpMajor,
  SCHEMA_DUMP_PG_MAJOR,
  serverMajor,
} from "../../src/db/schema-dump.ts";
import { projectRoot } from "../../src/paths.ts";
import { run as gmRun } from "graphile-migrate";

async function fingerprint(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ f: string }>(
      `select md5(string_agg(x, E'\\n' order by x)) as f from (
         select format('%s.%s %s', n.nspname, c.relname, c.relkind) as x
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname like 'app\\_%'
         union all
         select p.oid::regprocedure::text || md5(p.prosrc)
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname like 'app\\_%'
         union all
         select format('%s %s %s', polrelid::regclass, polname, pg_get_expr(polqual, polrelid)) from pg_policy
       ) s`,
    );
    return rows[0]!.f;
  } finally {
    await client.end();
  }
}

describe("migrations", () => {
  let db: ScratchDatabase;
  const rootUrl = () => inject("template").rootUrl;

  beforeAll(async () => {
    db = await createScratchDatabase(rootUrl(), scratchPrefix("mig"));
  });
  afterAll(async () => {
    if (!db) return;
    await waitForIdle(rootUrl(), db.name);
    for (const name of [db.name, `${db.name}_shadow`]) await dropDatabase(rootUrl(), name);
    await dropRoles(rootUrl(), db.roles);
  });

  const options = () => ({ ownerUrl: db.ownerUrl, rootUrl: db.rootDbUrl, roles: db.roles, quiet: true });

  it("migrates a new database to the newest committed migration, and again without change", async () => {
    const before = await fingerprint(db.rootDbUrl);
    await migrateDatabase(options());
    expect(await fingerprint(db.rootDbUrl)).toBe(before);
    const client = new pg.Client({ connectionString: db.rootDbUrl });
    await client.connect();
    const { rows } = await client.query("select hash from graphile_migrate.migrations order by filename");
    await client.end();
    expect(rows.at(-1)).toEqual({ hash: latestCommittedHash() });
  });

  it("rebuilds the same schema after graphile-migrate reset", async () => {
    const before = await fingerprint(db.rootDbUrl);
    await resetDatabase({ ...options(), rootUrl: db.rootUrl });
    expect(await fingerprint(db.rootDbUrl)).toBe(before);
  });

  it("runs current.sql twice without error (it must stay idempotent)", async () => {
    const current = fs.readFileSync(path.join(projectRoot, "migrations", "current.sql"), "utf8");
    const settings = await migrateSettings(options());
    await gmRun(settings, current, "current.sql");
    await gmRun(settings, current, "current.sql");
    await migrateDatabase(options());
  });

  it("matches the committed data/schema.graphql", async () => {
    const expected = fs.readFileSync(path.join(projectRoot, "data", "schema.graphql"), "utf8");
    const actual = await dumpSchemaGraphql(db.authUrl, db.roles.visitor);
    expect(actual, "data/schema.graphql is stale: run `npm run schema:dump`").toBe(expected);
  });

  it("matches the committed data/schema.sql", async (testCtx) => {
    const server = await serverMajor(db.rootDbUrl);
    const dump = await pgDumpMajor();
    if (server !== SCHEMA_DUMP_PG_MAJOR || dump !== server) {
      const reason = `data/schema.sql is generated with PostgreSQL ${SCHEMA_DUMP_PG_MAJOR}'s pg_dump; here the server is ${server} and pg_dump ${dump ?? "missing"}`;
      if (process.env.CI === "true") throw new Error(`${reason} (not allowed under CI=true)`);
      testCtx.skip(reason);
    }
    const expected = fs.readFileSync(path.join(projectRoot, "data", "schema.sql"), "utf8");
    const actual = await dumpSchemaSql(db.rootDbUrl, db.roles);
    expect(actual, "data/schema.sql is stale: run `npm run schema:dump`").toBe(expected);

    // As if maintenance had run in other months (years before and after today,
    // whatever today is): the dump does not change: no child partition is in it.
    const client = new pg.Client({ connectionString: db.rootDbUrl });
    await client.connect();
    try {
      for (const month of ["2019-02-01", "2031-07-01"]) {
        const name = `audit_events_p${month.slice(0, 7).replace("-", "")}`;
        await client.query(
          `create table app_partitions.${name} partition of app_public.audit_events
             for values from ('${month} 00:00:00+00') to (('${month}'::date + interval '1 month')::timestamp at time zone 'UTC')`,
        );
      }
      expect(await dumpSchemaSql(db.rootDbUrl, db.roles)).toBe(expected);
    } finally {
      for (const name of ["audit_events_p201902", "audit_events_p203107"]) {
        await client.query(`drop table if exists app_partitions.${name}`);
      }
      await client.end();
    }
  });
});
