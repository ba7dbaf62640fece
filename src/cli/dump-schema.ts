/**
 * `forgeline dump-schema`: regenerates data/schema.sql and data/schema.graphql
 * from a throw-away database migrated from scratch on ROOT_DATABASE_URL (a
 * superuser URL; pg_dump of the same major version as the server must be on PATH).
 */
import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "../config.ts";
import { projectRoot } from "../paths.ts";
import { createScratchDatabase, dropDatabase, dropRoles, scratchPrefix } from "../db/scratch.ts";
import {
  dumpSchemaGraphql,
  dumpSchemaSql,
  pgDumpMajor,
  SCHEMA_DUMP_PG_MAJOR,
  serverMajor,
} from "../db/schema-dump.ts";
import { log } from "../runtime.ts";

export async function dumpSchemaCommand(): Promise<void> {
  const rootUrl = process.env.ROOT_DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (!rootUrl)
    throw new ConfigError(
      "ROOT_DATABASE_URL",
      "is required (a superuser URL) to build the schema files",
    );
  const major = await serverMajor(rootUrl);
  const dumpMajor = await pgDumpMajor();
  const db = await createScratchDatabase(rootUrl, scratchPrefix("dump"));
  try {
    const dir = path.join(projectRoot, "data");
    fs.mkdirSync(dir, { recursive: true });
    if (major === SCHEMA_DUMP_PG_MAJOR && dumpMajor === major) {
      fs.writeFileSync(path.join(dir, "schema.sql"), await dumpSchemaSql(db.rootDbUrl, db.roles));
      log("wrote data/schema.sql");
    } else {
      log(
        `skipped data/schema.sql: it is generated with PostgreSQL ${SCHEMA_DUMP_PG_MAJOR} and its pg_dump ` +
          `(server ${major}, pg_dump ${dumpMajor ?? "not found"})`,
      );
    }
    fs.writeFileSync(
      path.join(dir, "schema.graphql"),
      await dumpSchemaGraphql(db.authUrl, db.roles.visitor),
    );
    log("wrote data/schema.graphql");
  } finally {
    await dropDatabase(rootUrl, db.name);
    await dropRoles(rootUrl, db.roles);
  }
}
