/**
 * Throw-away databases on a server we have superuser access to: each gets its
 * own three roles (named after it, so parallel runs on one shared server never
 * collide), is prepared by setupDatabase and migrated. Used by the tests (a
 * migrated template per run, cloned per test file) and by `dump-schema`.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { databaseUrl, setupDatabase, type Roles } from "./setup.ts";
import { migrateDatabase } from "./migrate.ts";
import { withClient } from "./pools.ts";

export interface ScratchDatabase {
  name: string;
  roles: Roles;
  passwords: { owner: string; authenticator: string };
  rootUrl: string;
  /** Superuser connection to this database. */
  rootDbUrl: string;
  ownerUrl: string;
  authUrl: string;
}

export function scratchPrefix(label: string): string {
  return `fl_${label}_${process.pid.toString(36)}${randomBytes(3).toString("hex")}`;
}

/**
 * The three roles of the scratch database named `prefix`. Pure, so a caller can
 * know them before anything is created and drop them after a failed creation.
 */
export function scratchRoles(prefix: string): Roles {
  return {
    owner: `${prefix}_owner`,
    authenticator: `${prefix}_auth`,
    visitor: `${prefix}_visitor`,
  };
}

export function urlsFor(
  db: Omit<ScratchDatabase, "rootDbUrl" | "ownerUrl" | "authUrl">,
  name = db.name,
) {
  return {
    rootDbUrl: databaseUrl(db.rootUrl, name),
    ownerUrl: databaseUrl(db.rootUrl, name, db.roles.owner, db.passwords.owner),
    authUrl: databaseUrl(db.rootUrl, name, db.roles.authenticator, db.passwords.authenticator),
  };
}

/** Creates roles + database, sets it up and applies all migrations. */
export async function createScratchDatabase(
  rootUrl: string,
  prefix: string,
): Promise<ScratchDatabase> {
  const roles = scratchRoles(prefix);
  const passwords = {
    owner: randomBytes(12).toString("hex"),
    authenticator: randomBytes(12).toString("hex"),
  };
  const base = { name: prefix, roles, passwords, rootUrl };
  await setupDatabase({
    rootUrl,
    database: prefix,
    roles,
    ownerPassword: passwords.owner,
    authenticatorPassword: passwords.authenticator,
  });
  const db = { ...base, ...urlsFor(base) };
  await migrateDatabase({ ownerUrl: db.ownerUrl, rootUrl: db.rootDbUrl, roles, quiet: true });
  // graphile-migrate keeps its pool open briefly after migrating: a clone of this
  // database (or a forced drop) must wait for it to go.
  await waitForIdle(rootUrl, db.name);
  return db;
}

/** Waits (up to 5 s) until nobody else is connected to `database`. */
export async function waitForIdle(rootUrl: string, database: string): Promise<void> {
  await withClient(rootUrl, async (client) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const { rowCount } = await client.query(
        "select 1 from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
        [database],
      );
      if (rowCount === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}

/** A copy of `template` (which must have no open connections). */
export async function cloneDatabase(
  template: ScratchDatabase,
  name: string,
): Promise<ScratchDatabase> {
  await withClient(template.rootUrl, (client) =>
    client.query(
      `create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(template.name)} owner ${pg.escapeIdentifier(template.roles.owner)}`,
    ),
  );
  return { ...template, name, ...urlsFor(template, name) };
}

export async function dropDatabase(rootUrl: string, name: string): Promise<void> {
  await withClient(rootUrl, (client) =>
    client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`),
  );
}

/** Drops the roles of a prefix once their databases are gone. */
export async function dropRoles(rootUrl: string, roles: Roles): Promise<void> {
  await withClient(rootUrl, async (client) => {
    for (const role of [roles.authenticator, roles.owner, roles.visitor]) {
      await client.query(`drop role if exists ${pg.escapeIdentifier(role)}`);
    }
  });
}
