/**
 * Brings a database's schema up to date, as the owner role: graphile-worker's
 * own schema first (our triggers enqueue jobs into it), then our committed
 * migrations through graphile-migrate, configured from `.gmrc` with the
 * connection strings and role placeholders filled in from our configuration.
 * Safe to run any number of times; says how many migrations it applied.
 *
 * graphile-migrate's messages go to the process logger (at debug when `quiet`).
 * Its connection pools outlive a migration by 200 ms and call process.exit(1) when
 * an idle connection breaks, which happened when a start-up failure right after
 * migrating stopped the embedded server ("An error occurred in the PgPool" hid the
 * real error): they are released as soon as the migration is done.
 */
import path from "node:path";
import fs from "node:fs";
import {
  Logger,
  migrate as gmMigrate,
  reset as gmReset,
  type LogLevel,
  type Settings,
} from "graphile-migrate";
import JSON5 from "json5";
import { createRequire } from "node:module";
import { logger } from "../logger.ts";
import { projectRoot } from "../paths.ts";
import { withClient } from "./pools.ts";
import type { Roles } from "./setup.ts";

export interface MigrateOptions {
  ownerUrl: string;
  rootUrl?: string;
  shadowUrl?: string;
  roles: Roles;
  /** graphile-migrate's progress lines at debug level (`start`, `seed`, tests). */
  quiet?: boolean;
}

/** What a migration run did. */
export interface MigrateResult {
  /** Committed migrations this run applied (0: the database was current). */
  applied: number;
  /** The newest migration in the database afterwards, e.g. "000005"; null when there is none. */
  current: string | null;
}

const require = createRequire(import.meta.url);
const workerCli = path.join(path.dirname(require.resolve("graphile-worker")), "cli.js");
// Pinned graphile-migrate (2.0.0-rc.3): the module whose pools its commands share.
const gmPools = require("graphile-migrate/dist/pgReal.js") as { clearAllPools(): void };

const migrateLog = logger.child({ component: "migrate" });

function migrateLogger(quiet: boolean): Logger {
  return new Logger(() => (level: LogLevel, message: string, meta) => {
    const err = meta?.error;
    const fields = err === undefined ? {} : { err };
    switch (level as string) {
      case "error":
        migrateLog.error(fields, message);
        break;
      case "warning":
        migrateLog.warn(fields, message);
        break;
      case "info":
        if (quiet) migrateLog.debug(fields, message);
        else migrateLog.info(fields, message);
        break;
      default:
        migrateLog.debug(fields, message);
    }
  });
}

/** graphile-migrate settings: `.gmrc` plus our connection strings and placeholders. */
export function migrateSettings(options: MigrateOptions): Promise<Settings> {
  const fromFile = JSON5.parse<Settings>(fs.readFileSync(path.join(projectRoot, ".gmrc"), "utf8"));
  return Promise.resolve({
    ...fromFile,
    connectionString: options.ownerUrl,
    rootConnectionString: options.rootUrl,
    shadowConnectionString: options.shadowUrl,
    databaseOwner: options.roles.owner,
    migrationsFolder: path.join(projectRoot, "migrations"),
    placeholders: {
      ...fromFile.placeholders,
      ":DATABASE_AUTHENTICATOR": options.roles.authenticator,
      ":DATABASE_VISITOR": options.roles.visitor,
    },
    // The same action as .gmrc's, with absolute paths: this process may not have
    // node_modules/.bin on its PATH (e.g. `node src/cli/index.ts migrate` in a container).
    beforeAllMigrations: [
      {
        _: "command",
        command: `"${process.execPath}" "${workerCli}" --schema-only --connection "$GM_DBURL"`,
      },
    ],
    logger: migrateLogger(options.quiet ?? false),
  });
}

/** How many committed migrations the database has recorded, and the newest. */
async function migrationState(ownerUrl: string): Promise<{ count: number; newest: string | null }> {
  return withClient(ownerUrl, async (client) => {
    const { rows } = await client.query<{ present: boolean }>(
      "select to_regclass('graphile_migrate.migrations') is not null as present",
    );
    if (!rows[0]?.present) return { count: 0, newest: null };
    const state = await client.query<{ count: number; newest: string | null }>(
      "select count(*)::int as count, max(filename) as newest from graphile_migrate.migrations",
    );
    return state.rows[0] ?? { count: 0, newest: null };
  });
}

export async function migrateDatabase(options: MigrateOptions): Promise<MigrateResult> {
  const before = await migrationState(options.ownerUrl);
  try {
    await gmMigrate(await migrateSettings(options));
  } finally {
    gmPools.clearAllPools();
  }
  const after = await migrationState(options.ownerUrl);
  return {
    applied: after.count - before.count,
    current: after.newest?.replace(/\.sql$/, "") ?? null,
  };
}

/** The line a person reads after migrating: what was done, and where the database is. */
export function describeMigration(result: MigrateResult): string {
  const at = result.current ? ` (the database is at migration ${result.current})` : "";
  if (result.applied === 0) return `database schema: no migrations needed${at}`;
  const noun = result.applied === 1 ? "migration" : "migrations";
  return `database schema: applied ${result.applied} committed ${noun}${at}`;
}

/** Drops and recreates the database from scratch (tests and development only). */
export async function resetDatabase(options: MigrateOptions): Promise<void> {
  try {
    await gmReset(await migrateSettings(options), false);
  } finally {
    gmPools.clearAllPools();
  }
}

/** Hash of the newest committed migration: what a current database reports. */
export function latestCommittedHash(): string | null {
  const dir = path.join(projectRoot, "migrations", "committed");
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".sql"))
        .sort()
    : [];
  const last = files.at(-1);
  if (!last) return null;
  const header = fs.readFileSync(path.join(dir, last), "utf8").match(/^--! Hash: (\S+)$/m);
  return header?.[1] ?? null;
}
