/** Connection pools. An idle client's error (server restart, network) is logged, never fatal. */
import pg from "pg";

export function makePool(connectionString: string, max: number, name: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: `forgeline-${name}` });
  const onError = (e: Error) =>
    console.error(`[forgeline] ${name} database connection failed: ${e.message}`);
  pool.on("error", onError);
  pool.on("connect", (client) => client.on("error", onError));
  return pool;
}
