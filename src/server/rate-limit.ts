/**
 * Per-tenant rate limits, shared by every API replica: the state is a token
 * bucket per key in an unlogged PostgreSQL table, charged by one SQL function
 * (app_private.charge_request, migration 000002) in one round trip. Requests are
 * charged to their organization (a verified token's org_id) or, anonymous, to
 * their client address. An organization's limit is RATE_LIMIT_PER_MINUTE unless
 * its settings carry {"rate_limit": {"requests_per_minute": N}}.
 */
import type { Pool } from "pg";
import type { Claims } from "./auth.ts";

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until one request would be admitted again (0 when allowed). */
  retryAfterSeconds: number;
  limit: number;
  remaining: number;
  key: string;
}

export interface RateLimitOptions {
  /** Requests per minute per organization; 0 turns rate limiting off. */
  perMinute: number;
  /** Requests per minute per client address for anonymous requests. */
  anonymousPerMinute: number;
}

export type RateLimiter = (
  claims: Claims | undefined,
  clientAddress: string,
) => Promise<RateLimitDecision>;

export function makeRateLimiter(pool: Pool, options: RateLimitOptions): RateLimiter | undefined {
  if (options.perMinute <= 0) return undefined;
  return async (claims, clientAddress) => {
    const orgId = claims?.orgId ?? null;
    const key = orgId ? `org:${orgId}` : `addr:${clientAddress}`;
    const { rows } = await pool.query<{
      allowed: boolean;
      retry_after_ms: number;
      lim: number;
      remaining: number;
    }>(
      "select allowed, retry_after_ms, lim, remaining from app_private.charge_request($1, $2, $3, $4)",
      [orgId, key, options.perMinute, options.anonymousPerMinute],
    );
    const row = rows[0]!;
    return {
      allowed: row.allowed,
      retryAfterSeconds: Math.ceil(row.retry_after_ms / 1000),
      limit: row.lim,
      remaining: row.remaining,
      key,
    };
  };
}
