/**
 * Start-up checks that turn the usual operator mistakes into one line naming the
 * variable to change (a ConfigError, which the CLI prints and exits 2 with)
 * instead of a stack trace: a port another program holds, a HOST that is not an
 * address of this machine, a database URL whose server, role, database or
 * password is wrong. `start` runs them before it boots or migrates anything, so
 * a mistake costs a second, not a migrated database; the same mappings are
 * applied where the real listen or connect happens, for what changes in between.
 *
 * Messages name hosts, ports, users and databases, never passwords.
 */
import { createServer } from "node:net";
import pg from "pg";
import { ConfigError } from "./config.ts";

/** What a listen failure is about: the variables that set its host and port. */
export interface ListenTarget {
  host: string;
  port: number;
  hostVariable: string;
  portVariable: string;
}

/**
 * The one-line error for a failed listen on `target`, or undefined when `e` is
 * not one an operator fixes with a variable (then it is a bug, and keeps its stack).
 */
export function listenError(e: unknown, target: ListenTarget): ConfigError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const { host, port, hostVariable, portVariable } = target;
  switch (code) {
    case "EADDRINUSE":
      return new ConfigError(
        portVariable,
        `${port} is already in use on ${host} by another program: stop it, or choose another ${portVariable}` +
          (portVariable === "PORT" ? " (0 picks a free one)" : ""),
      );
    case "EACCES":
      return new ConfigError(
        portVariable,
        `${port} on ${host} needs privileges this process does not have: choose a port above 1023`,
      );
    case "EADDRNOTAVAIL":
      return new ConfigError(
        hostVariable,
        `${host} is not an address of this machine (use 127.0.0.1, 0.0.0.0 or one of its interfaces)`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NONAME":
      return new ConfigError(hostVariable, `${host} does not resolve to an address (${code})`);
    default:
      return undefined;
  }
}

/**
 * The error listening on host:port would give now, or undefined when it would
 * work. It binds and closes at once; nothing can connect in between.
 */
export async function bindError(
  host: string,
  port: number,
): Promise<NodeJS.ErrnoException | undefined> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return undefined;
}

/** Throws the one-line error if this process could not listen on `target` now. */
export async function assertCanListen(target: ListenTarget): Promise<void> {
  const e = await bindError(target.host, target.port);
  if (e) throw listenError(e, target) ?? e;
}

const CONNECT_TIMEOUT_MS = 10_000;

function whereOf(url: string): { host: string; port: string; user: string; database: string } {
  const u = new URL(url);
  return {
    host: u.hostname || "localhost",
    port: u.port || "5432",
    user: decodeURIComponent(u.username),
    database: decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username),
  };
}

/**
 * The one-line error for a failed connection to `url` (the value of `variable`).
 * Every failure of a bare connect-and-`select 1` is about the URL or the server
 * it names, so each one maps to the variable; codes we know get their remedy.
 */
export function connectionError(e: unknown, variable: string, url: string): ConfigError {
  const { host, port, user, database } = whereOf(url);
  const at = `${host}:${port}`;
  const err = e as (Error & { code?: string }) | undefined;
  const message = err?.message ?? String(e);
  switch (err?.code) {
    case "ECONNREFUSED":
      return new ConfigError(
        variable,
        `cannot connect to ${at}: connection refused (is PostgreSQL running there, on that port?)`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
      return new ConfigError(variable, `names host "${host}", which does not resolve`);
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new ConfigError(variable, `cannot reach ${at} (${err.code})`);
    case "28P01":
      return new ConfigError(
        variable,
        `password authentication failed for user "${user}" on ${at}: check the password in ${variable}`,
      );
    case "28000":
      // "role … does not exist", or no pg_hba.conf entry for this host/user/database.
      return new ConfigError(variable, `is refused by ${at}: ${message}`);
    case "3D000":
      return new ConfigError(
        variable,
        `names database "${database}", which does not exist on ${at}` +
          (variable === "ROOT_DATABASE_URL"
            ? ""
            : " (forgeline migrate with ROOT_DATABASE_URL creates it; see the README's For DBAs)"),
      );
    default:
      // pg's own words when the server asks for a password the URL does not carry.
      if (/client password must be a string/.test(message)) {
        return new ConfigError(
          variable,
          `has no password for user "${user}", and ${at} asks for one (postgres://user:password@host/database)`,
        );
      }
      if (/timeout/i.test(message)) {
        return new ConfigError(
          variable,
          `no answer from ${at} within ${CONNECT_TIMEOUT_MS / 1000} s (host, port or firewall?)`,
        );
      }
      return new ConfigError(variable, `cannot connect to ${at}: ${message}`);
  }
}

/** Connects to `url` once and runs `select 1`; any failure becomes connectionError's line. */
export async function assertCanConnect(url: string, variable: string): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // A connection that dies after connecting must not become an unhandled 'error' event.
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("select 1");
  } catch (e) {
    throw connectionError(e, variable, url);
  } finally {
    await client.end().catch(() => undefined);
  }
}
