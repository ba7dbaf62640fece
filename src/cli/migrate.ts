/**
 * `forgeline migrate`: for DBAs and deploys. With ROOT_DATABASE_URL it first
 * creates/updates the roles, the database and the extensions; then it applies
 * graphile-worker's schema and our committed migrations as the owner. Without
 * DATABASE_URL it migrates the embedded database. Safe to run twice.
 */
import { loadConfig, rolesOf } from "../config.ts";
import { resolveDatabase } from "../db/resolve.ts";
import { describeMigration, migrateDatabase } from "../db/migrate.ts";
import { logger, routeConsoleToLogger } from "../logger.ts";
import { exitOnSignals, log } from "../runtime.ts";

export async function migrateCommand(): Promise<void> {
  // stdout is the log: what graphile-migrate prints with console.* joins it.
  routeConsoleToLogger();
  exitOnSignals();
  const config = loadConfig();
  const postgresLog = logger.child({ component: "postgres" });
  const resolved = await resolveDatabase(config, (line) => postgresLog.info(line), {
    setup: true,
  });
  try {
    const db = resolved.database;
    const result = await migrateDatabase({
      ownerUrl: db.ownerUrl,
      rootUrl: db.rootUrl,
      shadowUrl: db.shadowUrl,
      roles: rolesOf(db),
    });
    log(describeMigration(result));
  } finally {
    await resolved.embedded?.stop();
  }
}
