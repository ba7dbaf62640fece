/**
 * Bearer tokens → verified claims → per-transaction Postgres settings.
 *
 * The HTTP layer calls `authenticate()` before GraphQL runs: a missing token is
 * anonymous; a present but invalid, expired or wrongly signed token is refused
 * with HTTP 401. `pgSettingsFor()` is then used by `grafast.context`. The database
 * role is always the visitor: a token's `role` claim is an application role
 * (owner/admin/member/viewer) and never chooses the Postgres role.
 */
import type { IncomingMessage } from "node:http";
import {
  createRemoteJWKSet,
  errors as joseErrors,
  importSPKI,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { z } from "zod";
import { USER_ROLES, type JwtConfig } from "../config.ts";

export interface Claims {
  sub: string;
  orgId: string | null;
  userId: string | null;
  role: string | null;
}

export class AuthError extends Error {
  readonly code: "TOKEN_INVALID" | "TOKEN_EXPIRED" | "TOKEN_MALFORMED";
  constructor(code: AuthError["code"], message: string) {
    super(message);
    this.code = code;
    this.name = "AuthError";
  }
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  org_id: z.uuid().nullish(),
  user_id: z.uuid().nullish(),
  role: z.enum(USER_ROLES).nullish(),
});

export type Verifier = (token: string) => Promise<Claims>;

const CLOCK_TOLERANCE_SECONDS = 5;
const VERIFIED_CACHE_SIZE = 10_000;

export async function makeVerifier(config: JwtConfig): Promise<Verifier> {
  let key: Uint8Array | Awaited<ReturnType<typeof importSPKI>> | JWTVerifyGetKey;
  let algorithms: string[];
  switch (config.kind) {
    case "secret":
      key = new TextEncoder().encode(config.secret);
      algorithms = ["HS256"];
      break;
    case "publicKey":
      key = await importSPKI(config.publicKey, config.algorithm);
      algorithms = [config.algorithm];
      break;
    case "jwks":
      key = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000 });
      algorithms = config.algorithms;
      break;
  }
  const options = {
    algorithms,
    issuer: config.issuer,
    audience: config.audience,
    requiredClaims: ["exp", "sub"],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
  // Clients send the same token with many requests, and a signature check costs
  // ~90 µs of CPU (measured): a verified token's claims are remembered, by the
  // exact token string, until the token expires. Bounded; oldest entries go first.
  const verified = new Map<string, { claims: Claims; expiresAt: number }>();
  return async (token) => {
    const hit = verified.get(token);
    if (hit) {
      if (Date.now() < hit.expiresAt) return hit.claims;
      verified.delete(token);
    }
    const claims = await verifyUncached(token);
    if (verified.size >= VERIFIED_CACHE_SIZE) {
      verified.delete(verified.keys().next().value!);
    }
    verified.set(token, { claims: claims.claims, expiresAt: claims.expiresAt });
    return claims.claims;
  };

  async function verifyUncached(token: string): Promise<{ claims: Claims; expiresAt: number }> {
    let payload: JWTPayload;
    try {
      // Overloads differ by key type; both branches call the same verifier.
      payload =
        typeof key === "function"
          ? (await jwtVerify(token, key, options)).payload
          : (await jwtVerify(token, key, options)).payload;
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired)
        throw new AuthError("TOKEN_EXPIRED", "The token has expired");
      throw new AuthError("TOKEN_INVALID", "The token is not valid");
    }
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AuthError(
        "TOKEN_MALFORMED",
        `The token's ${String(issue?.path[0])} claim is not valid`,
      );
    }
    const c = parsed.data;
    return {
      claims: {
        sub: c.sub,
        orgId: c.org_id ?? null,
        userId: c.user_id ?? null,
        role: c.role ?? null,
      },
      // jose checked `exp` (required) with the same tolerance.
      expiresAt: (payload.exp! + CLOCK_TOLERANCE_SECONDS) * 1000,
    };
  }
}

/** Reads `Authorization: Bearer …`; undefined when absent. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1])
    throw new AuthError("TOKEN_MALFORMED", "The Authorization header must be 'Bearer <token>'");
  return match[1];
}

/** Settings applied with set_config(…, true) at the start of every GraphQL transaction. */
export function pgSettingsFor(
  claims: Claims | undefined,
  visitorRole: string,
): Record<string, string> {
  const settings: Record<string, string> = { role: visitorRole };
  if (claims) {
    settings["jwt.claims.sub"] = claims.sub;
    settings["jwt.claims.org_id"] = claims.orgId ?? "";
    settings["jwt.claims.user_id"] = claims.userId ?? "";
    settings["jwt.claims.role"] = claims.role ?? "";
  }
  return settings;
}

/**
 * Everything the API sets at the start of a request's transaction: the claims
 * (pgSettingsFor), the transaction's statement_timeout, and with a request id the
 * setting the audit trigger reads and the application_name pg_stat_activity
 * shows. All transaction-local, so pooling (PgBouncer too) cannot leak them.
 */
export function requestPgSettings(
  claims: Claims | undefined,
  visitorRole: string,
  statementTimeoutMs: number,
  requestId?: string,
): Record<string, string> {
  const settings = pgSettingsFor(claims, visitorRole);
  settings.statement_timeout = String(statementTimeoutMs);
  if (requestId !== undefined) {
    settings["forgeline.request_id"] = requestId;
    settings.application_name = `forgeline-api:${requestId.slice(0, 40)}`;
  }
  return settings;
}

export interface MintOptions {
  secret: string;
  issuer: string;
  audience: string;
  sub: string;
  orgId?: string;
  userId?: string;
  role?: string;
  expiresIn?: string;
}

/** Mints an HS256 token (development and tests). */
export async function mintToken(options: MintOptions): Promise<string> {
  const claims: Record<string, string> = {};
  if (options.orgId) claims.org_id = options.orgId;
  if (options.userId) claims.user_id = options.userId;
  if (options.role) claims.role = options.role;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.sub)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(options.secret));
}
