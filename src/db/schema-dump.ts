/**
 * The generated, committed views of the schema: data/schema.sql (pg_dump of our
 * schemas, role names replaced by their migration placeholders, version noise
 * removed) and data/schema.graphql (PostGraphile's schema, sorted). Tests
 * regenerate both from a freshly migrated database and fail on any drift.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { lexicographicSortSchema, printSchema } from "postgraphile/graphql";
import { makePreset } from "../server/preset.ts";
import type { Roles } from "./setup.ts";
import { withClient } from "./pools.ts";

const exec = promisify(execFile);

/** The major version pg_dump produces SQL for; schema.sql is generated with this one. */
export const SCHEMA_DUMP_PG_MAJOR = 15;

/** Where every child partition lives (DESIGN §2); its tables stay out of data/schema.sql. */
export const PARTITIONS_SCHEMA = "app_partitions";

export async function pgDumpMajor(): Promise<number | null> {
  try {
    const { stdout } = await exec("pg_dump", ["--version"]);
    const m = /(\d+)(?:\.\d+)?/.exec(stdout);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export async function serverMajor(url: string): Promise<number> {
  const { rows } = await withClient(url, (client) =>
    client.query<{ v: string }>("select current_setting('server_version_num') as v"),
  );
  return Math.floor(Number(rows[0]?.v) / 10000);
}

export function sanitizeDump(dump: string, roles: Roles): string {
  const byRole: Array<[string, string]> = [
    [roles.authenticator, ":DATABASE_AUTHENTICATOR"],
    [roles.visitor, ":DATABASE_VISITOR"],
    [roles.owner, ":DATABASE_OWNER"],
  ];
  let out = dump
    .split("\n")
    .filter((line) => !/^\\(un)?restrict\b/.test(line))
    .filter((line) => !/^-- Dumped (from|by) /.test(line))
    .join("\n");
  for (const [name, placeholder] of byRole) {
    out = out.replace(new RegExp(`(?<![\\w$])"?${name}"?(?![\\w$])`, "g"), placeholder);
  }
  return `${out.replace(/\n{3,}/g, "\n\n").trim()}\n`;
}

/**
 * pg_dump --schema-only of our schemas (the worker's and migrate's own are left
 * out). Child partitions are left out too: they are named by month
 * (`audit_events_p202612`), made by maintenance, and a dump that listed them
 * would go stale at every month change. The schema `app_partitions` itself stays;
 * what its children must look like is checked as a rule instead
 * (test/sql/partitions.test.ts).
 */
export async function dumpSchemaSql(databaseUrl: string, roles: Roles): Promise<string> {
  const { stdout } = await exec(
    "pg_dump",
    [
      "--schema-only",
      "--no-owner",
      "--exclude-schema=graphile_worker",
      "--exclude-schema=graphile_migrate",
      "--exclude-schema=public",
      `--exclude-table=${PARTITIONS_SCHEMA}.*`,
      "--dbname",
      databaseUrl,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return sanitizeDump(stdout, roles);
}

/** PostGraphile's schema for the database, printed in a stable order. */
export async function dumpSchemaGraphql(authUrl: string, visitorRole: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: authUrl, max: 2 });
  const pgl = postgraphile(makePreset({ pool, visitorRole, graphiql: false }));
  try {
    const { schema } = await pgl.getSchemaResult();
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await pgl.release();
    await pool.end();
  }
}
