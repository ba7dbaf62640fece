/**
 * The API server: one Node HTTP server in front of grafserv.
 *
 *   /healthz   the process is up (no database call)
 *   /readyz    the database answers through the visitor's transaction shape and
 *              its schema is at the newest committed migration
 *   /graphql   bearer token verified here (401 on a bad one), then PostGraphile
 *   /graphiql  Ruru, when enabled
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Pool } from "pg";
import { postgraphile, type PostGraphileInstance } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { AuthError, bearerToken, type Verifier } from "./auth.ts";
import { claimsByRequest, makePreset } from "./preset.ts";
import type { ErrorLogger } from "./errors.ts";

export interface ApiServerOptions {
  /** Pool connected as the authenticator role. */
  pool: Pool;
  visitorRole: string;
  verify: Verifier;
  graphiql: boolean;
  host: string;
  port: number;
  /** Hash of the newest committed migration; /readyz compares the database with it. */
  expectedMigration: string | null;
  logError?: ErrorLogger;
}

export interface ApiServer {
  server: Server;
  pgl: PostGraphileInstance;
  url: string;
  close(): Promise<void>;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const payload = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(payload.length),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(payload);
}

async function readiness(
  options: ApiServerOptions,
): Promise<{ ok: boolean; detail: Record<string, unknown> }> {
  const client = await options.pool.connect();
  try {
    await client.query("begin");
    await client.query(`set local role ${client.escapeIdentifier(options.visitorRole)}`);
    const { rows } = await client.query<{ hash: string | null }>(
      "select app_hidden.current_migration() as hash",
    );
    await client.query("commit");
    const current = rows[0]?.hash ?? null;
    const ok = current !== null && current === options.expectedMigration;
    return {
      ok,
      detail: { database: "up", migration: current, expected: options.expectedMigration },
    };
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    return {
      ok: false,
      detail: { database: "error", error: e instanceof Error ? e.message : String(e) },
    };
  } finally {
    client.release();
  }
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const pgl = postgraphile(makePreset(options));
  const serv = pgl.createServ(grafserv);
  // Wait for the schema so the first request is not the one that pays for it.
  await pgl.getSchemaResult();

  const graphqlHandler = serv.createHandler();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/healthz") {
      sendJson(res, 200, { status: "ok" });
      return;
    }
    if (url.pathname === "/readyz") {
      const { ok, detail } = await readiness(options);
      sendJson(res, ok ? 200 : 503, { status: ok ? "ready" : "not ready", ...detail });
      return;
    }
    if (url.pathname === "/graphql") {
      try {
        const token = bearerToken(req);
        if (token) claimsByRequest.set(req, await options.verify(token));
      } catch (e) {
        if (e instanceof AuthError) {
          sendJson(
            res,
            401,
            { errors: [{ message: e.message, extensions: { code: e.code } }] },
            { "WWW-Authenticate": `Bearer error="invalid_token"` },
          );
          return;
        }
        throw e;
      }
    }
    graphqlHandler(req, res, () => sendJson(res, 404, { error: "Not found" }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      options.logError?.("Unhandled HTTP error", e);
      if (!res.headersSent) sendJson(res, 500, { error: "Internal server error" });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    pgl,
    url: `http://${host}:${address.port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await pgl.release(); // releases the grafserv instance too
    },
  };
}
