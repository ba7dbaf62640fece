/**
 * Connections: pools (an idle client's error — server restart, network — is logged
 * as a warning, never fatal: the pool opens a new connection when one is needed)
 * and one-off clients for setup and maintenance commands.
 */
import pg from "pg";
import { logger } from "../logger.ts";

export function makePool(connectionString: string, max: number, name: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: `forgeline-${name}` });
  const onError = (e: Error & { code?: string }) =>
    logger.warn(
      { pool: name, code: e.code },
      `${name} pool: a database connection was lost: ${e.message}`,
    );
  pool.on("error", onError);
  pool.on("connect", (client) => client.on("error", onError));
  return pool;
}

/** Runs `fn` on a fresh client of `url` and always closes it. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
