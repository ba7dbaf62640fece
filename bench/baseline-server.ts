/**
 * The raw-SQL baseline: the least a server can do to answer an API scenario, so
 * the benchmark can say what PostGraphile costs on top of it. It is generic: it
 * serves the `raw` scenarios of every selected set (bench/set.ts), one route
 * each, from a plan file the harness writes (BENCH_BASELINE_ROUTES: the routes'
 * paths and their statements with their values); a module adds its baselines in
 * its own set file and never edits this one.
 *
 * It is a plain `node:http` server that does what src/server/http.ts and
 * PostGraphile's pg adaptor (@dataplan/pg, adaptors/pg.js) do for a request, and
 * nothing else: verify the bearer token with the same verifier (makeVerifier,
 * same JWT settings from the same environment), take a client from a pg Pool
 * connected as the authenticator (API_POOL_SIZE connections, as the API's), and
 * run the API's transaction shape:
 *
 *   begin
 *   select set_config(el->>0, el->>1, true) from json_array_elements($1::json) el
 *       -- the settings the API sets (src/server/preset.ts, grafast.context):
 *       -- role = visitor and jwt.claims.* (pgSettingsFor), statement_timeout,
 *       -- forgeline.request_id, application_name
 *   <the route's statements, each a named prepared statement, as @dataplan/pg caches them>
 *   commit
 *
 * It answers `{"results": [<rows of each statement>]}`; the harness shapes the
 * rows as the API answers (the scenario's `answer`) and checks that both return
 * the same rows before measuring.
 *
 * Run by `forgeline bench` as a child process with the API's environment
 * (DATABASE_URL, AUTH_DATABASE_URL, DATABASE_VISITOR, JWT_*, HOST, PORT); it
 * answers /readyz once the database does, and stops on SIGTERM/SIGINT.
 */
import "../src/cli/env.ts";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { jwtConfig, loadConfig } from "../src/config.ts";
import { makePool } from "../src/db/pools.ts";
import {
  AuthError,
  bearerToken,
  makeVerifier,
  requestPgSettings,
  type Claims,
} from "../src/server/auth.ts";

/** The plan file's shape (written by bench/servers.ts). */
export interface BaselineRoutes {
  routes: Array<{
    path: string;
    statements: Array<{ name: string; text: string; values: unknown[] }>;
  }>;
}

const SET_SETTINGS =
  "select set_config(el->>0, el->>1, true) from json_array_elements($1::json) el";

const config = loadConfig();
if (!config.database)
  throw new Error("The baseline server needs DATABASE_URL and AUTH_DATABASE_URL");
const database = config.database;
const plan = process.env.BENCH_BASELINE_ROUTES;
if (!plan) throw new Error("The baseline server needs BENCH_BASELINE_ROUTES (its plan file)");
const routes = new Map(
  (JSON.parse(fs.readFileSync(plan, "utf8")) as BaselineRoutes).routes.map((r) => [
    r.path,
    r.statements,
  ]),
);
const pool = makePool(database.authUrl, config.env.API_POOL_SIZE, "baseline");
const verify = await makeVerifier(jwtConfig(config));
const { statementTimeoutMs } = config.api.limits;

/** What the API's grafast.context gives PostGraphile as pgSettings for a request. */
function apiSettings(claims: Claims | undefined): Record<string, string> {
  return requestPgSettings(claims, database.visitorRole, statementTimeoutMs, randomUUID());
}

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

async function run(
  statements: BaselineRoutes["routes"][number]["statements"],
  settings: Record<string, string>,
): Promise<unknown[][]> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    try {
      await client.query(SET_SETTINGS, [JSON.stringify(Object.entries(settings))]);
      const results: unknown[][] = [];
      for (const statement of statements) {
        results.push((await client.query(statement)).rows);
      }
      await client.query("commit");
      return results;
    } catch (e) {
      await client.query("rollback");
      throw e;
    }
  } finally {
    client.release();
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (path === "/readyz") {
    await pool.query("select 1");
    send(res, 200, { status: "ready" });
    return;
  }
  const statements = routes.get(path);
  if (!statements || req.method !== "POST") {
    send(res, 404, { error: "Not found" });
    return;
  }
  // Read the request as a GraphQL server must, though the answer does not depend on it.
  await readBody(req);
  let claims: Claims | undefined;
  try {
    const token = bearerToken(req);
    claims = token ? await verify(token) : undefined;
  } catch (e) {
    if (e instanceof AuthError) {
      send(res, 401, { errors: [{ message: e.message, extensions: { code: e.code } }] });
      return;
    }
    throw e;
  }
  send(res, 200, { results: await run(statements, apiSettings(claims)) });
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
  console.log(
    `[baseline] listening on http://${config.env.HOST}:${config.env.PORT}: ${[...routes.keys()].join(", ")}`,
  );
});

const stop = () => {
  server.close(() => void pool.end());
  server.closeIdleConnections();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
