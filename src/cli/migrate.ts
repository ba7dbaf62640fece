/**
 * `forgeline migrate`: for DBAs and deploys. With ROOT_DATABASE_URL it first
 * creates/updates the roles, the database and the extensions; then it applies
 * graphile-worker's schema and our committed migrations as the owner. Without
 * DATABASE_URL it migrates the embedded database. Safe to run twice.
 */
import { loadConfig } from "../config.ts";
import { resolveDatabase } from "../db/resolve.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { log } from "../runtime.ts";

export async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const resolved = await resolveDatabase(config, (line) => console.error(`[postgres] ${line}`), {
    setup: true,
  });
  try {
    const db = resolved.database;
    await migrateDatabase({
      ownerUrl: db.ownerUrl,
      rootUrl: db.rootUrl,
      shadowUrl: db.shadowUrl,
      roles: { owner: db.ownerRole, authenticator: db.authenticatorRole, visitor: db.visitorRole },
    });
    log("migrations applied; the database is current");
  } finally {
    await resolved.embedded?.stop();
  }
}
