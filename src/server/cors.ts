/**
 * CORS for /graphql (CORS_ORIGINS): browsers on the listed origins (or any, with
 * "*") may call the API with a bearer token. Preflights are answered here with
 * 204; other responses get Access-Control-Allow-Origin and expose the headers a
 * client needs (request id, rate limit). A disallowed or absent Origin gets no
 * CORS header at all, so the browser refuses the answer to that page. Tokens
 * travel in the Authorization header, never in cookies: no Allow-Credentials.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export type CorsOrigins = readonly string[] | "*";

const ALLOW_METHODS = "POST, OPTIONS";
const ALLOW_HEADERS = "authorization, content-type, x-request-id";
const EXPOSE_HEADERS = "x-request-id, ratelimit-limit, ratelimit-remaining, retry-after";
const MAX_AGE_SECONDS = "600";

/** The Access-Control-Allow-Origin value for this request, or undefined for none. */
function allowedOrigin(req: IncomingMessage, origins: CorsOrigins): string | undefined {
  const origin = req.headers.origin;
  if (typeof origin !== "string") return undefined;
  if (origins === "*") return "*";
  return origins.includes(origin) ? origin : undefined;
}

/**
 * Sets the CORS headers of a /graphql response. Answers a preflight (OPTIONS)
 * itself with 204 and returns true; false when the request goes on.
 */
export function applyCors(
  req: IncomingMessage,
  res: ServerResponse,
  origins: CorsOrigins,
): boolean {
  // The answer depends on Origin whenever a list is configured: caches must key on it.
  if (origins !== "*" && origins.length > 0) res.setHeader("Vary", "Origin");
  const allow = origins.length > 0 ? allowedOrigin(req, origins) : undefined;
  if (allow) {
    res.setHeader("Access-Control-Allow-Origin", allow);
    res.setHeader("Access-Control-Expose-Headers", EXPOSE_HEADERS);
  }
  if (req.method !== "OPTIONS") return false;
  if (allow) {
    res.setHeader("Access-Control-Allow-Methods", ALLOW_METHODS);
    res.setHeader("Access-Control-Allow-Headers", ALLOW_HEADERS);
    res.setHeader("Access-Control-Max-Age", MAX_AGE_SECONDS);
  }
  res.writeHead(204, { Allow: ALLOW_METHODS, "Content-Length": "0" });
  res.end();
  return true;
}
