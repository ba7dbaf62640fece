/**
 * The raw-SQL baseline: the least a server can do to answer the GraphQL list
 * scenario, so the benchmark can say what PostGraphile costs on top of it.
 *
 * It is a plain `node:http` server that does what src/server/http.ts and
 * PostGraphile's pg adaptor (@dataplan/pg, adaptors/pg.js) do for
 *
 *   query Users { users(first: 20, orderBy: EMAIL_ASC) { nodes { rowId email name role } } }
 *
 * and nothing else: verify the bearer token with the same verifier
 * (makeVerifier, same JWT settings from the same environment), take a client from
 * a pg Pool connected as the authenticator (20 connections, as the API's), and
 * run the same four statements in the same transaction:
 *
 *   begin
 *   select set_config(el->>0, el->>1, true) from json_array_elements($1::json) el
 *       -- role = visitor, jwt.claims.sub/org_id/user_id/role: pgSettingsFor()
 *   <LIST_USERS, a named prepared statement, as @dataplan/pg caches it>
 *   commit
 *
 * LIST_USERS is the statement PostGraphile 5.1.5 sends for that query, copied
 * from the server's log (log_statement = 'all') on the bench database: no WHERE
 * (RLS filters by the claims), the connection's unique order (email, then the
 * primary key), 20 rows. The answer is the same JSON document the GraphQL API
 * returns; the runner checks that both return the same rows before measuring.
 *
 * Run by `forgeline bench` as a child process with the API's environment
 * (DATABASE_URL, AUTH_DATABASE_URL, DATABASE_VISITOR, JWT_SECRET, HOST, PORT);
 * it answers /readyz once the database does, and stops on SIGTERM/SIGINT.
 */
import "../src/cli/env.ts";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { jwtConfig, loadConfig } from "../src/config.ts";
import { makePool } from "../src/db/pools.ts";
import { AuthError, bearerToken, makeVerifier, pgSettingsFor } from "../src/server/auth.ts";

const LIST_USERS = `select
	__users__."id" as "0",
	__users__."email" as "1",
	__users__."name" as "2",
	__users__."role"::text as "3"
	from "app_public"."users" as __users__
	order by __users__."email" asc, __users__."organization_id" asc, __users__."id" asc
	limit 20;`;

const SET_SETTINGS =
  "select set_config(el->>0, el->>1, true) from json_array_elements($1::json) el";

const config = loadConfig();
if (!config.database)
  throw new Error("The baseline server needs DATABASE_URL and AUTH_DATABASE_URL");
const database = config.database;
const pool = makePool(database.authUrl, Number(process.env.BASELINE_POOL_SIZE ?? 20), "baseline");
const verify = await makeVerifier(jwtConfig(config));

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(payload.length),
  });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

type UserRow = { "0": string; "1": string; "2": string; "3": string };

async function listUsers(settings: Record<string, string>): Promise<unknown> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    try {
      await client.query(SET_SETTINGS, [JSON.stringify(Object.entries(settings))]);
      const { rows } = await client.query<UserRow>({ name: "bench_list_users", text: LIST_USERS });
      await client.query("commit");
      return {
        data: {
          users: {
            nodes: rows.map((r) => ({ rowId: r["0"], email: r["1"], name: r["2"], role: r["3"] })),
          },
        },
      };
    } catch (e) {
      await client.query("rollback");
      throw e;
    }
  } finally {
    client.release();
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/readyz") {
    await pool.query("select 1");
    send(res, 200, { status: "ready" });
    return;
  }
  if (path !== "/users" || req.method !== "POST") {
    send(res, 404, { error: "Not found" });
    return;
  }
  // Read the request as a GraphQL server must, though the answer does not depend on it.
  await readBody(req);
  let settings: Record<string, string>;
  try {
    const token = bearerToken(req);
    settings = pgSettingsFor(token ? await verify(token) : undefined, database.visitorRole);
  } catch (e) {
    if (e instanceof AuthError) {
      send(res, 401, { errors: [{ message: e.message, extensions: { code: e.code } }] });
      return;
    }
    throw e;
  }
  send(res, 200, await listUsers(settings));
}

const server = createServer((req, res) => {
  handle(req, res).catch((e: unknown) => {
    console.error("[baseline]", e);
    if (!res.headersSent) send(res, 500, { error: "Internal server error" });
    else res.destroy();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(config.env.PORT, config.env.HOST, () => {
  console.log(`[baseline] listening on http://${config.env.HOST}:${config.env.PORT}`);
});

const stop = () => {
  server.close(() => void pool.end());
  server.closeIdleConnections();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
