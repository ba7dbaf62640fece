/**
 * Superuser-only preparation of a Forgeline database: the three roles (DESIGN §2),
 * the database owned by the owner role, and migrations/afterReset.sql (extensions,
 * database grants). Every step is idempotent, so `forgeline migrate` can run it on
 * every deploy. A DBA without superuser access for the app can run the same SQL by
 * hand (README, "For DBAs") and call `forgeline migrate` without ROOT_DATABASE_URL.
 */
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { projectRoot } from "../paths.ts";
import { withClient } from "./pools.ts";

export interface Roles {
  owner: string;
  authenticator: string;
  visitor: string;
}

export interface SetupOptions {
  /** A superuser connection to any database on the server. */
  rootUrl: string;
  database: string;
  roles: Roles;
  ownerPassword?: string;
  authenticatorPassword?: string;
}

const ident = (name: string) => pg.escapeIdentifier(name);
const literal = (value: string) => pg.escapeLiteral(value);

/** The database a connection URL names. */
export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

export function databaseUrl(
  url: string,
  database: string,
  user?: string,
  password?: string,
): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  if (user !== undefined) u.username = encodeURIComponent(user);
  if (password !== undefined) u.password = encodeURIComponent(password);
  return u.toString();
}

/** Creates or updates the roles. Passwords, when given, are (re)set so a rotated secret applies. */
export async function ensureRoles(
  client: pg.ClientBase,
  options: Omit<SetupOptions, "rootUrl" | "database">,
): Promise<void> {
  const { roles } = options;
  const exists = async (role: string) =>
    (await client.query("select 1 from pg_roles where rolname = $1", [role])).rowCount === 1;
  const ensure = async (role: string, attributes: string, password?: string) => {
    const pw = password === undefined ? "" : ` password ${literal(password)}`;
    const verb = (await exists(role)) ? "alter" : "create";
    await client.query(`${verb} role ${ident(role)} with ${attributes}${pw}`);
  };
  await ensure(roles.owner, "login", options.ownerPassword);
  await ensure(roles.authenticator, "login noinherit", options.authenticatorPassword);
  await ensure(roles.visitor, "nologin");
  await client.query(`grant ${ident(roles.visitor)} to ${ident(roles.authenticator)}`);
  // Trusted code (worker jobs) runs tenant work with `set local role` to the visitor.
  await client.query(`grant ${ident(roles.visitor)} to ${ident(roles.owner)}`);
  // The DBA views (app_private.db_health_check) read other sessions' state and wait
  // events in pg_stat_activity, which PostgreSQL shows only to this built-in role.
  await client.query(`grant pg_read_all_stats to ${ident(roles.owner)}`);
}

/** Replaces graphile-migrate placeholders in superuser SQL. */
export function fillPlaceholders(sql: string, database: string, roles: Roles): string {
  const values: Record<string, string> = {
    ":DATABASE_NAME": ident(database),
    ":DATABASE_OWNER": ident(roles.owner),
    ":DATABASE_AUTHENTICATOR": ident(roles.authenticator),
    ":DATABASE_VISITOR": ident(roles.visitor),
  };
  return sql.replace(/:DATABASE_[A-Z]+\b/g, (m) => values[m] ?? m);
}

export async function setupDatabase(options: SetupOptions): Promise<void> {
  const { database, roles } = options;
  await withClient(options.rootUrl, async (client) => {
    // Serialise concurrent setups (API replicas, parallel test runs) on one server.
    await client.query("select pg_advisory_lock(hashtext('forgeline setup'))");
    try {
      await ensureRoles(client, options);
      const found = await client.query("select 1 from pg_database where datname = $1", [database]);
      if (found.rowCount === 0) {
        await client.query(
          `create database ${ident(database)} owner ${ident(roles.owner)} encoding 'UTF8'`,
        );
      }
    } finally {
      await client.query("select pg_advisory_unlock(hashtext('forgeline setup'))");
    }
  });
  const afterReset = fs.readFileSync(
    path.join(projectRoot, "migrations", "afterReset.sql"),
    "utf8",
  );
  await withClient(databaseUrl(options.rootUrl, database), (client) =>
    client.query(fillPlaceholders(afterReset, database, roles)).then(() => undefined),
  );
}
