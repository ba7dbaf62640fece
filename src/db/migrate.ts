/**
 * Brings a database's schema up to date, as the owner role: graphile-worker's
 * own schema first (our triggers enqueue jobs into it), then our committed
 * migrations through graphile-migrate, configured from `.gmrc` with the
 * connection strings and role placeholders filled in from our configuration.
 * Safe to run any number of times.
 */
import path from "node:path";
import fs from "node:fs";
import { migrate as gmMigrate, reset as gmReset, type Settings } from "graphile-migrate";
import JSON5 from "json5";
import { createRequire } from "node:module";
import { projectRoot } from "../paths.ts";
import type { Roles } from "./setup.ts";

export interface MigrateOptions {
  ownerUrl: string;
  rootUrl?: string;
  shadowUrl?: string;
  roles: Roles;
  quiet?: boolean;
}

const workerCli = path.join(
  path.dirname(createRequire(import.meta.url).resolve("graphile-worker")),
  "cli.js",
);

const quietLogger = async () => {
  const { Logger } = await import("@graphile/logger");
  return new Logger(() => (level: string, message: string) => {
    if (level === "error") console.error(message);
  });
};

/** graphile-migrate settings: `.gmrc` plus our connection strings and placeholders. */
export async function migrateSettings(options: MigrateOptions): Promise<Settings> {
  const fromFile = JSON5.parse<Settings>(fs.readFileSync(path.join(projectRoot, ".gmrc"), "utf8"));
  return {
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
    ...(options.quiet ? { logger: await quietLogger() } : {}),
  };
}

export async function migrateDatabase(options: MigrateOptions): Promise<void> {
  await gmMigrate(await migrateSettings(options));
}

/** Drops and recreates the database from scratch (tests and development only). */
export async function resetDatabase(options: MigrateOptions): Promise<void> {
  await gmReset(await migrateSettings(options), false);
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
