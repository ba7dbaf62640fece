/**
 * GraphQL over WebSocket on /graphql (graphql-ws, the `graphql-transport-ws`
 * protocol), attached to the API's HTTP server (src/server/http.ts) for
 * subscriptions (plugins/subscriptions.ts), and queries and mutations too:
 *
 *   - the upgrade is refused like an HTTP request (403 for a browser Origin that
 *     CORS_ORIGINS does not list, 401 for a bad Authorization header, 429 over
 *     the rate limit, which it is charged to);
 *   - a token may instead come in graphql-ws `connectionParams`
 *     (`{ authorization: "Bearer …" }`), verified by the same verifier when the
 *     connection initialises: a bad one closes the connection with 4403 and the
 *     reason `<code>: <message>` (TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_MALFORMED);
 *     so does the token's expiry, later (a client reconnects with a fresh one);
 *   - the claims verified then are the connection's: every operation it sends
 *     runs with them (grafast.context finds them by the upgrade request), gets
 *     its own request id (`<connection id>.<n>`), is charged to the rate limit
 *     (RATE_LIMITED error over it) and meets the same limits as over HTTP, the
 *     answer size (FL908) per message included, and a connection holds at most
 *     GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION operations at once (FL912);
 *   - frames are capped like HTTP bodies (grafserv.maxRequestLength), idle peers
 *     are pinged and dropped when they stop answering, and a stopping server
 *     closes every socket with 1001 before it releases the database.
 */
import type { IncomingMessage, Server } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { decodeJwt } from "jose";
import { CloseCode, handleProtocols, makeServer, type Context as WsContext } from "graphql-ws";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { Gauge } from "prom-client";
import { makeGraphQLWSConfig, normalizeConnectionParams } from "postgraphile/grafserv";
import { GraphQLError } from "postgraphile/graphql";
import type { Logger } from "../logger.ts";
import { countGraphqlError, observeHttpRequest, registry } from "../metrics.ts";
import { AuthError, bearerToken } from "./auth.ts";
import { GRAPHQL_PATH } from "./preset.ts";
import {
  requestContexts,
  requestIdOf,
  requestStore,
  type RequestContext,
} from "./request-context.ts";
import {
  rateLimitError,
  rateLimitHeaders,
  type RateLimitDecision,
  type RateLimiter,
} from "./rate-limit.ts";
import type { ApiServerOptions } from "./http.ts";

const webSocketConnections = new Gauge({
  name: "forgeline_websocket_connections",
  help: "Open GraphQL WebSocket connections (graphql-ws) of this process.",
  registers: [registry],
});

/** How long a stopping server waits for a WebSocket's closing handshake before dropping it. */
const WEBSOCKET_CLOSE_WAIT_MS = 5000;
/** setTimeout's longest delay; a later token expiry is checked again after it. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The verifier's clock tolerance (auth.ts): a token is valid until this long after `exp`. */
const EXPIRY_TOLERANCE_MS = 5000;

/** What graphql-ws is handed with each connection (grafserv's WebSocket config reads both). */
interface WsExtra {
  socket: WebSocket;
  request: IncomingMessage;
}

/** One WebSocket connection: its request context (claims, id, logger) and its token. */
interface LiveConnection {
  rc: RequestContext;
  token?: string;
  expiry?: NodeJS.Timeout;
}

/** A WebSocket message as text (graphql-ws messages are JSON). */
function messageText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString("utf8");
}

/** A WebSocket close reason: at most 123 bytes (RFC 6455). */
function closeReason(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  return bytes.length <= 123 ? text : bytes.subarray(0, 120).toString("utf8") + "…";
}

/** `Bearer …` from graphql-ws connectionParams (`authorization`, any case); undefined when absent. */
export function connectionParamsToken(
  params: Record<string, unknown> | undefined,
): string | undefined {
  const value = normalizeConnectionParams(params)?.authorization;
  if (value === undefined) return undefined;
  const match = typeof value === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  if (!match?.[1]) {
    throw new AuthError(
      "TOKEN_MALFORMED",
      "connectionParams.authorization must be 'Bearer <token>'",
    );
  }
  return match[1];
}

/**
 * May this upgrade's Origin open a WebSocket? Browsers send one and do not apply
 * CORS to WebSockets, so the server does: the page's own origin (Ruru) and the
 * CORS_ORIGINS list; clients that are not browsers send none.
 */
function originAllowed(req: IncomingMessage, origins: readonly string[] | "*"): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origins === "*" || origins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** An HTTP answer on a socket whose upgrade is refused (JSON body, then the socket ends). */
function refuseUpgrade(
  socket: Duplex,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = Buffer.from(JSON.stringify(body), "utf8");
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`,
    "Connection: close",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${payload.length}`,
    "Cache-Control: no-store",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join("\r\n");
  if (socket.writable) socket.end(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), payload]));
  else socket.destroy();
}

export interface WebSocketSetup {
  options: ApiServerOptions;
  log: Logger;
  decide: (
    req: IncomingMessage,
    rc: RequestContext,
    limiter: RateLimiter,
  ) => Promise<RateLimitDecision | undefined>;
  maxPayload: number;
  /** API_MAX_RESPONSE_BYTES: the largest message sent (FL908 instead). */
  maxResponseBytes: number;
  keepaliveMs: number;
  corsOrigins: readonly string[] | "*";
  /** The metrics label of an upgrade's path (the HTTP server's). */
  routeOf: (pathname: string) => string;
  /** GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: operations one connection may hold open (FL912). */
  maxSubscriptions: number;
}

/**
 * graphql-ws on `server`'s upgrades to /graphql (see the top of this file):
 * grafserv's WebSocket configuration (parse, validate, execute, subscribe, mask
 * errors) with authentication when the connection initialises and a rate-limit
 * charge per operation. `close()` closes every socket (1001) and waits for them.
 */
export function attachWebSockets(
  server: Server,
  serv: Parameters<typeof makeGraphQLWSConfig>[0],
  setup: WebSocketSetup,
): { close(): Promise<void> } {
  const { options, log, decide } = setup;
  const connections = new Map<WebSocket, LiveConnection>();
  const unanswered = new Set<WebSocket>();
  let stopping = false;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: setup.maxPayload,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const config = makeGraphQLWSConfig(serv);
  const grafservOnSubscribe = config.onSubscribe!;
  const grafservOnNext = config.onNext!;

  const close = (socket: WebSocket, code: number, reason: string) => {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) {
      socket.close(code, closeReason(reason));
    }
  };

  /** Open until the token expires (verified, so decodeJwt only reads `exp`): then 4403. */
  const closeAtExpiry = (socket: WebSocket, connection: LiveConnection, token: string) => {
    const exp = decodeJwt(token).exp;
    if (exp === undefined) return;
    const wait = () => {
      const left = exp * 1000 + EXPIRY_TOLERANCE_MS - Date.now();
      connection.expiry = setTimeout(
        () => {
          if (left > MAX_TIMER_MS) return wait();
          close(socket, CloseCode.Forbidden, "TOKEN_EXPIRED: The token has expired");
        },
        Math.max(0, Math.min(left, MAX_TIMER_MS)),
      );
      connection.expiry.unref();
    };
    wait();
  };

  const gqlWs = makeServer({
    ...config,
    async onConnect(ctx: WsContext) {
      const { socket } = ctx.extra as WsExtra;
      const connection = connections.get(socket);
      if (!connection) return false;
      const { rc } = connection;
      try {
        const given = connectionParamsToken(ctx.connectionParams);
        if (given !== undefined && connection.token !== undefined && given !== connection.token) {
          close(
            socket,
            CloseCode.BadRequest,
            "The Authorization header and connectionParams.authorization differ: send one token",
          );
          return false;
        }
        if (given !== undefined && connection.token === undefined) {
          rc.claims = await options.verify(given);
          connection.token = given;
        }
      } catch (e) {
        if (!(e instanceof AuthError)) throw e;
        rc.log.debug({ code: e.code }, "WebSocket token refused");
        close(socket, CloseCode.Forbidden, `${e.code}: ${e.message}`);
        return false;
      }
      if (connection.token) closeAtExpiry(socket, connection, connection.token);
      rc.log.debug({ authenticated: !!rc.claims }, "WebSocket connection initialised");
      return true;
    },
    async onSubscribe(ctx, id, payload) {
      const { socket, request } = ctx.extra as WsExtra;
      const connection = connections.get(socket);
      if (!connection) return [new GraphQLError("The connection is closing")];
      // graphql-ws has already counted this one in ctx.subscriptions.
      const open = Object.keys(ctx.subscriptions).length;
      if (open > setup.maxSubscriptions) {
        countGraphqlError("FL912");
        return [
          new GraphQLError(
            `This connection has ${open - 1} operations open, the most one connection may hold: complete one first, or open another connection`,
            { extensions: { code: "FL912", maxSubscriptions: setup.maxSubscriptions } },
          ),
        ];
      }
      if (options.rateLimit) {
        const decision = await decide(request, connection.rc, options.rateLimit);
        if (decision && !decision.allowed) {
          const { message, extensions } = rateLimitError(decision, !connection.rc.claims?.orgId);
          return [new GraphQLError(message, { extensions })];
        }
      }
      return grafservOnSubscribe(ctx, id, payload);
    },
    /** Errors masked (grafserv), then the answer-size bound of HTTP (FL908), per message. */
    async onNext(ctx, id, payload, args, result) {
      const answer = (await grafservOnNext(ctx, id, payload, args, result)) ?? result;
      const bytes = Buffer.byteLength(JSON.stringify(answer), "utf8");
      if (bytes <= setup.maxResponseBytes) return answer;
      countGraphqlError("FL908");
      return {
        errors: [
          {
            message: `The answer has ${bytes} bytes, over the maximum of ${setup.maxResponseBytes}: ask for fewer fields or smaller pages`,
            extensions: { code: "FL908", bytes, maxBytes: setup.maxResponseBytes },
          },
        ],
      };
    },
  });

  const accept = (socket: WebSocket, request: IncomingMessage, connection: LiveConnection) => {
    const { rc } = connection;
    connections.set(socket, connection);
    webSocketConnections.inc();
    socket.on("pong", () => unanswered.delete(socket));
    // A frame over maxPayload, bad framing, a reset: ws closes the socket (1009,
    // 1002, …) after telling; without a listener the error would end the process.
    socket.on("error", (e) => rc.log.debug({ err: e }, "WebSocket error"));
    const closed = gqlWs.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) =>
            socket.send(data, (err) => (err ? reject(err) : resolve())),
          ),
        close: (code, reason) => close(socket, code ?? CloseCode.InternalServerError, reason ?? ""),
        onMessage: (handle) =>
          socket.on("message", (data) => {
            // The connection's context for everything the message leads to (logs, masking).
            requestStore.run(rc, () => {
              handle(messageText(data)).catch((e: unknown) => {
                rc.log.error({ err: e }, "WebSocket message failed");
                options.logError?.("WebSocket message failed", e, { requestId: rc.id });
                close(socket, CloseCode.InternalServerError, "Internal server error");
              });
            });
          }),
      },
      { socket, request } satisfies WsExtra,
    );
    socket.once("close", (code, reason) => {
      connections.delete(socket);
      unanswered.delete(socket);
      clearTimeout(connection.expiry);
      webSocketConnections.dec();
      rc.log.debug({ code, reason: reason.toString() }, "WebSocket closed");
      requestStore.run(rc, () => {
        closed(code, reason.toString()).catch((e: unknown) =>
          rc.log.error({ err: e }, "WebSocket cleanup failed"),
        );
      });
    });
  };

  /** The checks of an HTTP request, then the upgrade; the HTTP status it ended with. */
  const upgrade = async (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    rc: RequestContext,
  ): Promise<number> => {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname !== GRAPHQL_PATH) {
      refuseUpgrade(socket, 404, { error: "Not found" });
      return 404;
    }
    if (stopping) {
      refuseUpgrade(socket, 503, { error: "The server is shutting down" });
      return 503;
    }
    if (!originAllowed(req, setup.corsOrigins)) {
      refuseUpgrade(socket, 403, { error: "This origin may not open WebSockets to the API" });
      return 403;
    }
    let token: string | undefined;
    let refused: AuthError | undefined;
    try {
      token = bearerToken(req);
      if (token) rc.claims = await options.verify(token);
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      refused = e;
    }
    // Charged like an HTTP request, refused tokens included (to the client address).
    const decision = options.rateLimit && (await decide(req, rc, options.rateLimit));
    if (decision && !decision.allowed) {
      refuseUpgrade(
        socket,
        429,
        { errors: [rateLimitError(decision, !rc.claims?.orgId)] },
        rateLimitHeaders(decision),
      );
      return 429;
    }
    if (refused) {
      refuseUpgrade(
        socket,
        401,
        { errors: [{ message: refused.message, extensions: { code: refused.code } }] },
        { "WWW-Authenticate": `Bearer error="invalid_token"` },
      );
      return 401;
    }
    return new Promise<number>((resolve) => {
      // ws answers a malformed WebSocket handshake (400) itself and never calls back.
      socket.once("close", () => resolve(400));
      wss.handleUpgrade(req, socket, head, (ws) => {
        resolve(101);
        accept(ws, req, { rc, token });
      });
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const started = process.hrtime.bigint();
    socket.on("error", (e) => log.debug({ err: e }, "upgrade socket error"));
    const id = requestIdOf(req);
    const rc: RequestContext = { id, log: log.child({ requestId: id }), executed: false };
    requestContexts.set(req, rc);
    requestStore.run(rc, () => {
      upgrade(req, socket, head, rc)
        .catch((e: unknown) => {
          rc.log.error({ err: e }, "Unhandled WebSocket upgrade error");
          options.logError?.("Unhandled WebSocket upgrade error", e, { requestId: id });
          refuseUpgrade(socket, 500, { error: "Internal server error" });
          return 500;
        })
        .then(
          (status) => {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            observeHttpRequest(
              setup.routeOf(new URL(req.url ?? "/", "http://localhost").pathname),
              status,
              seconds,
            );
            rc.log.debug({ route: GRAPHQL_PATH, status, durationMs: seconds * 1000 }, "upgrade");
          },
          () => undefined,
        );
    });
  };
  server.on("upgrade", onUpgrade);

  const keepalive =
    setup.keepaliveMs > 0 && Number.isFinite(setup.keepaliveMs)
      ? setInterval(() => {
          for (const socket of connections.keys()) {
            if (unanswered.has(socket)) {
              socket.terminate(); // no pong since the last ping
              continue;
            }
            unanswered.add(socket);
            socket.ping();
          }
        }, setup.keepaliveMs).unref()
      : undefined;

  return {
    async close() {
      stopping = true; // upgrades on kept-alive connections now get 503
      clearInterval(keepalive);
      await Promise.all(
        [...connections.keys()].map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === socket.CLOSED) return resolve();
              socket.once("close", () => resolve());
              close(socket, 1001, "The server is shutting down");
              setTimeout(() => socket.terminate(), WEBSOCKET_CLOSE_WAIT_MS).unref();
            }),
        ),
      );
      wss.close();
    },
  };
}
