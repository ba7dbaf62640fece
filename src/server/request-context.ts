/**
 * What the HTTP layer (src/server/http.ts) knows about one request, made when the
 * request arrives and read by the code that runs for it: grafast.context turns
 * it into pgSettings (src/server/preset.ts), the error masker and the logger find
 * it through the async context, the metrics label the request with it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Logger } from "../logger.ts";
import type { Claims } from "./auth.ts";

/** What the HTTP layer knows about one request, attached before GraphQL runs. */
export interface RequestContext {
  /** x-request-id: the client's when well-formed, else a fresh uuid. */
  id: string;
  /** The process logger with `requestId` bound: every line about the request. */
  log: Logger;
  /** Verified token claims; absent for an anonymous request. */
  claims?: Claims;
  /** The metrics `operation` label, once known (body, then executed document). */
  operation?: string;
  /** grafast.context ran: the request got past parsing and validation. */
  executed: boolean;
}

/** Looked up by `grafast.context` through the Node request PostGraphile hands it. */
export const requestContexts = new WeakMap<IncomingMessage, RequestContext>();

/**
 * The same context for code that is not handed the request (the error masker);
 * src/server/http.ts runs each request's handling inside `requestStore.run`.
 */
export const requestStore = new AsyncLocalStorage<RequestContext>();

/** The context of the request PostGraphile hands to a hook, if it came through http.ts. */
export function contextOf(req: IncomingMessage | undefined): RequestContext | undefined {
  return req ? requestContexts.get(req) : undefined;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The client's x-request-id when it is well-formed (safe to log and to label), else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
}
