/**
 * Per-tenant rate limits, shared by every API replica: the state is a token
 * bucket per key in an unlogged PostgreSQL table, taken from by one SQL function
 * (app_private.take_request_tokens) in one round trip. Requests are charged to
 * their organization (a verified token's org_id) or, anonymous (or with an
 * invalid token), to their client address. An organization's limit is
 * RATE_LIMIT_PER_MINUTE unless the operator set an override with `forgeline
 * limits` (app_private.organization_limits; a tenant cannot raise its own).
 *
 * Leases: for a key whose limit is high, a process takes a few tokens per call
 * (up to a tenth of a second's worth at the full rate, at most 100) and spends
 * them locally for up to a second. The bucket stays the only authority, so all
 * replicas together never admit more than the limit; a lease's unspent tokens
 * are dropped when it expires, so a replica can at worst under-admit by one
 * lease per key per second. Keys with low limits (under 1,200 a minute) take one
 * token per call: exactly the old one-request-one-charge behaviour.
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

interface Lease {
  /** Tokens taken from the bucket and not yet spent by this process. */
  tokens: number;
  /** The key's limit per minute, as the database last said. */
  limit: number;
  /** The bucket's remaining tokens when the lease was taken. */
  remaining: number;
  /** Unspent tokens are dropped after this (ms since the epoch). */
  expiresAt: number;
  /** The bucket was empty: refuse locally until a token can have come back. */
  deniedUntil: number;
  /** A database call for this key in flight: others wait for it, not start their own. */
  pending?: Promise<void>;
}

const LEASE_MS = 1000;
const MAX_LEASE = 100;
const MAX_KEYS = 10_000;

/** Tokens to ask for at once: a tenth of a second at the full rate, 1 to 100. */
export function leaseSize(limitPerMinute: number): number {
  return Math.max(1, Math.min(MAX_LEASE, Math.floor(limitPerMinute / 600)));
}

interface TakeRow {
  granted: number;
  retry_after_ms: number;
  lim: number;
  remaining: number;
}

export function makeRateLimiter(pool: Pool, options: RateLimitOptions): RateLimiter | undefined {
  if (options.perMinute <= 0) return undefined;
  const leases = new Map<string, Lease>();

  const fetchLease = async (lease: Lease, orgId: string | null, key: string, wanted: number) => {
    const { rows } = await pool.query<TakeRow>(
      "select granted, retry_after_ms, lim, remaining from app_private.take_request_tokens($1, $2, $3, $4, $5)",
      [orgId, key, options.perMinute, options.anonymousPerMinute, wanted],
    );
    const row = rows[0]!;
    const now = Date.now();
    lease.tokens = row.granted;
    lease.limit = row.lim;
    lease.remaining = row.remaining;
    lease.expiresAt = now + LEASE_MS;
    // No token now means none before retry_after: another replica cannot give one back.
    lease.deniedUntil = row.granted > 0 ? 0 : now + row.retry_after_ms;
  };

  return async (claims, clientAddress) => {
    const orgId = claims?.orgId ?? null;
    const key = orgId ? `org:${orgId}` : `addr:${clientAddress}`;
    let lease = leases.get(key);
    if (!lease) {
      if (leases.size >= MAX_KEYS) leases.delete(leases.keys().next().value!);
      lease = { tokens: 0, limit: 0, remaining: 0, expiresAt: 0, deniedUntil: 0 };
      leases.set(key, lease);
    }
    for (;;) {
      const now = Date.now();
      if (lease.expiresAt <= now) lease.tokens = 0;
      if (lease.tokens > 0) {
        lease.tokens -= 1;
        return {
          allowed: true,
          retryAfterSeconds: 0,
          limit: lease.limit,
          remaining: lease.remaining + lease.tokens,
          key,
        };
      }
      if (lease.deniedUntil > now) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((lease.deniedUntil - now) / 1000)),
          limit: lease.limit,
          remaining: 0,
          key,
        };
      }
      if (lease.pending) {
        await lease.pending;
        continue;
      }
      // The first call for a key takes one token and learns its limit (an
      // organization may override it); later calls lease by that limit.
      const wanted = lease.limit > 0 ? leaseSize(lease.limit) : 1;
      const current = lease;
      current.pending = fetchLease(current, orgId, key, wanted).finally(() => {
        current.pending = undefined;
      });
      await current.pending;
    }
  };
}

/** The error of a request over the rate limit: its message and extensions. */
export function rateLimitError(decision: RateLimitDecision, anonymous: boolean) {
  const retryAfter = Math.max(1, decision.retryAfterSeconds);
  const per = anonymous ? "for this client address" : "for this organization";
  return {
    message: `Too many requests: the limit is ${decision.limit} per minute ${per}; retry in ${retryAfter} s`,
    extensions: { code: "RATE_LIMITED", retryAfter },
  };
}

export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    "Retry-After": String(Math.max(1, decision.retryAfterSeconds)),
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": "0",
  };
}
