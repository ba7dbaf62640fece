/**
 * The API server: one Node HTTP server in front of grafserv.
 *
 *   /healthz   the process is up (no database call)
 *   /readyz    the database answers through the visitor's transaction shape and
 *              its schema is at the newest committed migration
 *   /metrics   Prometheus metrics of this process (src/server/metrics.ts)
 *   /graphql   CORS (CORS_ORIGINS; preflights answered here), bearer token
 *              verified here (401 on a bad one, charged to the client address's
 *              rate limit so bad tokens cannot be sent without limit), admission
 *              (beyond capacity a request waits a bounded time, then 503 with
 *              Retry-After: src/server/admission.ts), the request charged to its
 *              organization's rate limit (429 over it), then PostGraphile
 *   /graphiql  Ruru, when enabled
 *
 * WebSocket on /graphql (graphql-ws) for subscriptions: src/server/websockets.ts,
 * attached to this server when the preset enables grafserv's websockets.
 *
 * Every request gets an id (a well-formed x-request-id from the client, else a new
 * uuid): echoed in the x-request-id response header, bound to every log line about
 * the request, and handed to Postgres (see grafast.context in preset.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import type { Pool, PoolClient } from "pg";
import { postgraphile, type PostGraphileInstance } from "postgraphile";
import { PgSubscriber } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { logger as processLogger, type Logger } from "../logger.ts";
import { closeServer, listen } from "./listen.ts";
import { AuthError, bearerToken, type Verifier } from "./auth.ts";
import { defaultApiSettings, type ApiSettings } from "../config.ts";
import { applyCors } from "./cors.ts";
import { GRAPHQL_PATH, makePreset } from "./preset.ts";
import {
  requestContexts,
  requestIdOf,
  requestStore,
  type RequestContext,
} from "./request-context.ts";
import type { ErrorLogger } from "./errors.ts";
import {
  rateLimitError,
  rateLimitHeaders,
  type RateLimitDecision,
  type RateLimiter,
} from "./rate-limit.ts";
import { attachWebSockets } from "./websockets.ts";
import { makeAdmission, type Admission } from "./admission.ts";
import {
  observeHttpRequest,
  overloadRejections,
  rateLimitRejections,
  registerAdmission,
  registerPool,
  sendMetrics,
} from "../metrics.ts";

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
  /** Also told about masked GraphQL errors and unhandled HTTP errors (they are logged anyway). */
  logError?: ErrorLogger;
  /** Per-tenant rate limit (src/server/rate-limit.ts); absent: no limit. */
  rateLimit?: RateLimiter;
  /** Take the client address from the first X-Forwarded-For entry (behind a trusted proxy). */
  trustProxy?: boolean;
  /** Defaults to the process logger. */
  logger?: Logger;
  /** The pool's name in forgeline_db_pool_connections; "api" by default. */
  poolName?: string;
  /** Operation limits, introspection, CORS (config.ts's `api`); its defaults when absent. */
  settings?: ApiSettings;
  /**
   * The pool subscriptions' LISTEN connection comes from (one session, held while
   * anything is subscribed); `pool` when absent. It must reach PostgreSQL
   * directly: through PgBouncer in transaction mode LISTEN loses notifications.
   */
  listenPool?: Pool;
}

export interface ApiServer {
  server: Server;
  pgl: PostGraphileInstance;
  url: string;
  /** The /graphql admission gate (its limits, what is in flight and waiting). */
  admission: Admission;
  close(): Promise<void>;
}

/** Seconds a client refused for overload is told to wait (Retry-After). */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;

/**
 * The address anonymous requests are charged to: the socket's peer, or with
 * `trustProxy` the first X-Forwarded-For entry when it is an IP address. Only
 * trust the header behind a proxy that sets it: otherwise any client picks its key.
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers["x-forwarded-for"];
    const first = (Array.isArray(header) ? header[0] : header)?.split(",")[0]?.trim();
    if (first && isIP(first)) return first;
  }
  return req.socket.remoteAddress ?? "unknown";
}

/** The metrics label of a non-GraphQL route: known paths only, so clients cannot add values. */
function routeOf(pathname: string): string {
  switch (pathname) {
    case "/healthz":
    case "/readyz":
    case "/metrics":
    case GRAPHQL_PATH:
    case "/graphiql":
      return pathname;
    default:
      return pathname.startsWith("/ruru-static/") ? "/ruru-static" : "other";
  }
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
  let client: PoolClient;
  try {
    client = await options.pool.connect();
  } catch (e) {
    return {
      ok: false,
      detail: { database: "down", error: e instanceof Error ? e.message : String(e) },
    };
  }
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

function overloaded(res: ServerResponse, admission: Admission) {
  sendJson(
    res,
    503,
    {
      errors: [
        {
          message: "The API is at capacity: retry shortly",
          extensions: {
            code: "OVERLOADED",
            retryAfter: OVERLOAD_RETRY_AFTER_SECONDS,
            queueTimeoutMs: admission.limits.queueTimeoutMs,
          },
        },
      ],
    },
    { "Retry-After": String(OVERLOAD_RETRY_AFTER_SECONDS) },
  );
}

function tooManyRequests(res: ServerResponse, decision: RateLimitDecision, anonymous: boolean) {
  sendJson(res, 429, { errors: [rateLimitError(decision, anonymous)] }, rateLimitHeaders(decision));
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.logger ?? processLogger;
  const settings = options.settings ?? defaultApiSettings();
  if (!settings.limits.enabled) {
    log.warn(
      "GRAPHQL_OPERATION_LIMITS=off: operations are not bounded in tokens, aliases, depth, pages or cost (for measurements only)",
    );
  }
  // Subscriptions' LISTEN/NOTIFY: one session, taken from the pool when something subscribes.
  const pgSubscriber = new PgSubscriber(options.listenPool ?? options.pool);
  const pgl = postgraphile(makePreset({ ...options, logger: log, settings, pgSubscriber }));
  const serv = pgl.createServ(grafserv);
  // Wait for the schema so the first request is not the one that pays for it.
  await pgl.getSchemaResult();
  const unregisterPool = registerPool(options.poolName ?? "api", options.pool);
  const admission = makeAdmission({
    maxInFlight: settings.admission.maxInFlight ?? options.pool.options.max ?? 10,
    maxQueued: settings.admission.maxQueued,
    queueTimeoutMs: settings.admission.queueTimeoutMs,
  });
  const unregisterAdmission = registerAdmission(admission);

  const graphqlHandler = serv.createHandler();

  /**
   * Charges a request (or a WebSocket operation) to the rate limit: the decision,
   * or undefined when it goes on unlimited. Refusals are counted and logged here.
   */
  const decide = async (
    req: IncomingMessage,
    rc: RequestContext,
    limiter: RateLimiter,
  ): Promise<RateLimitDecision | undefined> => {
    let decision: RateLimitDecision;
    try {
      // rc.claims is unset for anonymous requests and refused tokens alike: both
      // are charged to the client address.
      decision = await limiter(rc.claims, clientAddressOf(req, options.trustProxy ?? false));
    } catch (e) {
      // Fail open: when the limiter cannot answer (database unreachable, statement
      // timeout) the request goes on unlimited rather than failing with a 500. The
      // limit protects the database from overuse; refusing everyone while it has
      // trouble would turn a rate-limit outage into a full one. GraphQL itself
      // will report the database's state to the client if it really is down.
      rc.log.warn({ err: e }, "rate limit check failed; request admitted without a limit");
      return undefined;
    }
    if (!decision.allowed) {
      rateLimitRejections.inc();
      rc.log.debug({ key: decision.key, limit: decision.limit }, "rate limited");
    }
    return decision;
  };

  /** Charges the request; false when it was refused (the 429 is sent). */
  const charge = async (
    req: IncomingMessage,
    res: ServerResponse,
    rc: RequestContext,
    limiter: RateLimiter,
  ): Promise<boolean> => {
    const decision = await decide(req, rc, limiter);
    if (!decision) return true;
    if (!decision.allowed) {
      tooManyRequests(res, decision, !rc.claims?.orgId);
      return false;
    }
    res.setHeader("RateLimit-Limit", String(decision.limit));
    res.setHeader("RateLimit-Remaining", String(decision.remaining));
    return true;
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    rc: RequestContext,
    pathname: string,
  ): Promise<void> => {
    if (pathname === "/healthz") {
      sendJson(res, 200, { status: "ok" });
      return;
    }
    if (pathname === "/readyz") {
      const { ok, detail } = await readiness(options);
      sendJson(res, ok ? 200 : 503, { status: ok ? "ready" : "not ready", ...detail });
      return;
    }
    if (pathname === "/metrics") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendJson(res, 405, { error: "Method not allowed" }, { Allow: "GET, HEAD" });
        return;
      }
      await sendMetrics(res);
      return;
    }
    if (pathname === GRAPHQL_PATH) {
      if (applyCors(req, res, settings.corsOrigins)) return;
      // Everything from here may use the database (the rate limit too): past the
      // gate only as many requests as the pool serves at once; the rest wait a
      // bounded time (a client that goes away stops waiting), then 503.
      const waited = new AbortController();
      const onClose = () => waited.abort();
      res.once("close", onClose);
      const admitted = await admission.enter(waited.signal);
      res.off("close", onClose);
      if (!admitted.ok) {
        overloadRejections.inc({ reason: admitted.reason });
        if (!res.destroyed) overloaded(res, admission);
        return;
      }
      if (res.destroyed) {
        admitted.release();
        return;
      }
      res.once("close", admitted.release);
      try {
        const token = bearerToken(req);
        if (token) rc.claims = await options.verify(token);
      } catch (e) {
        if (e instanceof AuthError) {
          // A refused token is charged like an anonymous request: otherwise a
          // client sending bad tokens would never meet a limit.
          if (options.rateLimit && !(await charge(req, res, rc, options.rateLimit))) return;
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
      if (options.rateLimit && !(await charge(req, res, rc, options.rateLimit))) return;
    }
    graphqlHandler(req, res, () => sendJson(res, 404, { error: "Not found" }));
  };

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const id = requestIdOf(req);
    const rc: RequestContext = { id, log: log.child({ requestId: id }), executed: false };
    requestContexts.set(req, rc);
    res.setHeader("X-Request-Id", id);
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = routeOf(pathname);
    res.once("close", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // 499 (nginx's "client closed request"): the client went away before the answer.
      const status = res.writableFinished ? res.statusCode : 499;
      const operation = route === GRAPHQL_PATH ? (rc.operation ?? GRAPHQL_PATH) : route;
      observeHttpRequest(operation, status, seconds);
      const fields = {
        method: req.method,
        route,
        operation,
        status,
        durationMs: Math.round(seconds * 1e5) / 100,
      };
      // Only failures are logged above debug: at info, a busy server (or a client
      // hammering it into 401s and 429s) would write thousands of lines a second;
      // forgeline_http_requests_total counts every request by status instead.
      if (status >= 500) rc.log.error(fields, "request failed");
      else rc.log.debug(fields, "request");
    });
    requestStore.run(rc, () => {
      handle(req, res, rc, pathname).catch((e: unknown) => {
        rc.log.error({ err: e }, "Unhandled HTTP error");
        options.logError?.("Unhandled HTTP error", e, { requestId: id });
        if (!res.headersSent) sendJson(res, 500, { error: "Internal server error" });
        else res.destroy();
      });
    });
  });
  server.keepAliveTimeout = 65_000;
  const live = pgl.getResolvedPreset().grafserv?.websockets
    ? attachWebSockets(server, serv, {
        options,
        log,
        decide,
        maxPayload: pgl.getResolvedPreset().grafserv?.maxRequestLength ?? 100_000,
        maxResponseBytes: settings.limits.maxResponseBytes,
        keepaliveMs: pgl.getResolvedPreset().grafserv?.websocketKeepalive ?? 12_000,
        corsOrigins: settings.corsOrigins,
        routeOf,
        maxSubscriptions: settings.limits.maxSubscriptionsPerConnection,
      })
    : undefined;
  const url = await listen(server, options.port, options.host);
  return {
    server,
    pgl,
    url,
    admission,
    async close() {
      // Stop accepting first; open WebSockets are closed (1001) while HTTP drains.
      const httpClosed = closeServer(server);
      await live?.close();
      await httpClosed;
      await pgl.release(); // releases the grafserv instance too
      pgSubscriber.release(); // UNLISTENs and hands its connection back to the pool
      unregisterPool();
      unregisterAdmission();
    },
  };
}
