/**
 * Environment → validated configuration. Everything the process needs is read
 * here once, checked with zod, and a bad or missing value stops the program with
 * one line that names the variable (see ConfigError).
 */
import path from "node:path";
import { z } from "zod";

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.variable = variable;
    this.name = "ConfigError";
  }
}

const roleName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lowercase SQL identifier (letters, digits, _)");

const postgresUrl = z.string().refine((v) => /^postgres(ql)?:\/\//.test(v) && URL.canParse(v), {
  message: "must be a postgres:// URL",
});

const booleanish = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

/** A whole number in [min, max], `fallback` when unset. */
const bounded = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const isOrigin = (o: string) =>
  URL.canParse(o) && /^https?:$/.test(new URL(o).protocol) && new URL(o).origin === o;
const corsOrigins = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .refine((list) => (list.length === 1 && list[0] === "*") || list.every(isOrigin), {
    message:
      'must be "*" or a comma-separated list of origins such as https://app.example.com (scheme, host, port; no path)',
  })
  .transform((list): readonly string[] | "*" => (list[0] === "*" ? "*" : list));

/** Every variable the program reads (README.md, "Configuration", lists each one). */
export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: postgresUrl.optional(),
  AUTH_DATABASE_URL: postgresUrl.optional(),
  /**
   * The authenticator's direct connection for subscriptions' LISTEN (one session);
   * set when AUTH_DATABASE_URL goes through a transaction pooler (PgBouncer).
   */
  AUTH_LISTEN_DATABASE_URL: postgresUrl.optional(),
  ROOT_DATABASE_URL: postgresUrl.optional(),
  SHADOW_DATABASE_URL: postgresUrl.optional(),
  DATABASE_VISITOR: roleName.default("forgeline_visitor"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(5678),
  GRAPHIQL: booleanish.optional(),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  JWT_PUBLIC_KEY: z
    .string()
    .includes("BEGIN PUBLIC KEY", { message: "must be a PEM public key" })
    .optional(),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  JWT_ALGORITHM: z.enum(["HS256", "RS256", "ES256"]).optional(),
  JWT_ISSUER: z.string().min(1).default("forgeline"),
  JWT_AUDIENCE: z.string().min(1).default("forgeline"),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  /** Trust the first X-Forwarded-For entry as the client address (behind a proxy only). */
  TRUST_PROXY: booleanish.default(false),
  API_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(20),
  /** `forgeline serve`: API processes sharing the port (Node's cluster module); `--processes` wins. */
  API_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  /** GraphQL requests of one process past the admission gate at once; unset: API_POOL_SIZE. */
  API_MAX_CONCURRENT_REQUESTS: z.coerce.number().int().min(1).max(10_000).optional(),
  /** Requests of one process waiting for a place; beyond them, 503 at once. */
  API_MAX_QUEUED_REQUESTS: z.coerce.number().int().min(0).max(100_000).default(1000),
  /** How long a request waits for a place before it is answered 503 with Retry-After. */
  API_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  /** Port of the worker-only /metrics and /healthz server (`forgeline worker`); 0 = off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** json or pretty; unset: pretty on a terminal (except in production), else json (src/logger.ts). */
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  /** The folder of stored pipeline artifacts (src/storage/local.ts); unset: `<DATA_DIR>/artifacts`. */
  ARTIFACT_STORAGE_DIR: z.string().min(1).optional(),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  // GraphQL operation limits, checked before planning (src/server/plugins/), and
  // bounds on each API transaction and response (see ApiLimits for what each means).
  /**
   * off skips the operation limits below (tokens, aliases, depth, pages, cost): for
   * measuring their cost (`npm run bench`), never for a server facing clients.
   */
  GRAPHQL_OPERATION_LIMITS: booleanish.default(true),
  GRAPHQL_MAX_TOKENS: bounded(200, 100_000, 2000),
  GRAPHQL_MAX_ALIASES: bounded(0, 1000, 20),
  GRAPHQL_MAX_DEPTH: bounded(2, 100, 10),
  GRAPHQL_MAX_LIST_DEPTH: bounded(1, 20, 4),
  GRAPHQL_MAX_SELF_REFERENTIAL_DEPTH: bounded(1, 20, 2),
  GRAPHQL_MAX_COST: bounded(1, 10_000_000, 10_000),
  GRAPHQL_MAX_PAGE_SIZE: bounded(1, 10_000, 100),
  GRAPHQL_MAX_OFFSET: bounded(0, 10_000_000, 10_000),
  GRAPHQL_PLANNING_TIMEOUT_MS: bounded(1, 60_000, 1000),
  GRAPHQL_EXECUTION_TIMEOUT_MS: bounded(1, 600_000, 5000),
  API_STATEMENT_TIMEOUT_MS: bounded(1, 600_000, 5000),
  API_MAX_RESPONSE_BYTES: bounded(1024, 1_000_000_000, 5_000_000),
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: bounded(1, 10_000, 20),
  /** Who may run introspection: on (anyone), authenticated (a verified token), off. */
  GRAPHQL_INTROSPECTION: z.enum(["on", "authenticated", "off"]).optional(),
  /** Origins browsers may call /graphql from (CORS): "*" or exact origins, comma-separated. */
  CORS_ORIGINS: corsOrigins.optional(),
  /** A folder of trusted documents, `<id>.graphql` each (persisted operations). */
  GRAPHQL_TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  /** Refuse every operation that is not a trusted document (needs GRAPHQL_TRUSTED_DOCUMENTS). */
  GRAPHQL_TRUSTED_DOCUMENTS_ONLY: booleanish.default(false),
});

export type Env = z.infer<typeof envSchema>;

export type JwtConfig =
  | { kind: "secret"; algorithm: "HS256"; secret: string; issuer: string; audience: string }
  | {
      kind: "publicKey";
      algorithm: "RS256" | "ES256";
      publicKey: string;
      issuer: string;
      audience: string;
    }
  | {
      kind: "jwks";
      algorithms: Array<"RS256" | "ES256">;
      jwksUrl: string;
      issuer: string;
      audience: string;
    };

export interface DatabaseConfig {
  /** Owner: runs migrations and the worker. */
  ownerUrl: string;
  /** Authenticator: the API pool; switches to the visitor per request. */
  authUrl: string;
  /** Authenticator, directly (not through a transaction pooler): subscriptions' LISTEN. */
  listenUrl?: string;
  /** Superuser, when known: creates roles, databases and extensions. */
  rootUrl?: string;
  shadowUrl?: string;
  ownerRole: string;
  authenticatorRole: string;
  visitorRole: string;
}

/** Bounds on every GraphQL operation (before it runs) and on its transaction and answer. */
export interface ApiLimits {
  /**
   * false: the operation limits (tokens, aliases, depth, pages, cost) are not
   * checked (GRAPHQL_OPERATION_LIMITS=off, for measurements); the bounds while an
   * operation runs (timeouts, answer size) still apply.
   */
  enabled: boolean;
  /** Lexical tokens in a document; parsing stops at the first one over. */
  maxTokens: number;
  /** Aliased fields in an operation (fragments included; `__typename` is free). */
  maxAliases: number;
  /** Nested selection sets. */
  maxDepth: number;
  /** Nested lists (connections' `nodes`/`edges` included). */
  maxListDepth: number;
  /** Times one field may be nested inside itself (users → organization → users …). */
  maxSelfReferentialDepth: number;
  /** Estimated cost: every field 1, a connection's items multiplied by its page size. */
  maxCost: number;
  /** Largest `first`/`last`; a connection that selects `nodes`/`edges` must give one. */
  maxPageSize: number;
  maxOffset: number;
  /** Grafast's planning and execution budgets (GrafastTimeouts). */
  planningTimeoutMs: number;
  executionTimeoutMs: number;
  /** PostgreSQL `statement_timeout` of every API transaction. */
  statementTimeoutMs: number;
  /** Largest JSON answer sent; bigger ones are replaced by an FL908 error. */
  maxResponseBytes: number;
  /** Operations (subscriptions) one WebSocket connection may hold open at once (FL912). */
  maxSubscriptionsPerConnection: number;
}

export type IntrospectionPolicy = "on" | "authenticated" | "off";

/** How the API server treats requests: limits, introspection, error detail, CORS. */
export interface ApiSettings {
  limits: ApiLimits;
  introspection: IntrospectionPolicy;
  /** Strip graphql-js's "Did you mean …?" suggestions from error messages (production). */
  hideSuggestions: boolean;
  /** Origins allowed to call /graphql from a browser; empty: no CORS headers at all. */
  corsOrigins: readonly string[] | "*";
  /** Persisted operations: a folder of `<id>.graphql`, and whether only they may run. */
  trustedDocuments?: { directory: string; only: boolean };
  /**
   * Admission to /graphql beyond capacity (src/server/admission.ts): at most
   * `maxInFlight` requests at once (absent: the API pool's size), at most
   * `maxQueued` waiting, each for at most `queueTimeoutMs`; the rest get 503.
   */
  admission: { maxInFlight?: number; maxQueued: number; queueTimeoutMs: number };
}

/** The three database roles of a configured database (DESIGN §2), as setup and migrations take them. */
export function rolesOf(db: DatabaseConfig): {
  owner: string;
  authenticator: string;
  visitor: string;
} {
  return { owner: db.ownerRole, authenticator: db.authenticatorRole, visitor: db.visitorRole };
}

/** The roles a user holds in an organization, weakest first (the SQL enum app_public.user_role). */
export const USER_ROLES = ["viewer", "member", "admin", "owner"] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface Config {
  env: Env;
  production: boolean;
  /** Absent when the embedded server will provide the database. */
  database?: DatabaseConfig;
  dataDir: string;
  /** Absolute: where the local artifact storage keeps objects (ARTIFACT_STORAGE_DIR). */
  artifactStorageDir: string;
  graphiql: boolean;
  api: ApiSettings;
}

export function apiSettingsOf(env: Env): ApiSettings {
  const production = env.NODE_ENV === "production";
  return {
    limits: {
      enabled: env.GRAPHQL_OPERATION_LIMITS,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxListDepth: env.GRAPHQL_MAX_LIST_DEPTH,
      maxSelfReferentialDepth: env.GRAPHQL_MAX_SELF_REFERENTIAL_DEPTH,
      maxCost: env.GRAPHQL_MAX_COST,
      maxPageSize: env.GRAPHQL_MAX_PAGE_SIZE,
      maxOffset: env.GRAPHQL_MAX_OFFSET,
      planningTimeoutMs: env.GRAPHQL_PLANNING_TIMEOUT_MS,
      executionTimeoutMs: env.GRAPHQL_EXECUTION_TIMEOUT_MS,
      statementTimeoutMs: env.API_STATEMENT_TIMEOUT_MS,
      maxResponseBytes: env.API_MAX_RESPONSE_BYTES,
      maxSubscriptionsPerConnection: env.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    },
    introspection: env.GRAPHQL_INTROSPECTION ?? (production ? "authenticated" : "on"),
    hideSuggestions: production,
    corsOrigins: env.CORS_ORIGINS ?? [],
    trustedDocuments: env.GRAPHQL_TRUSTED_DOCUMENTS
      ? {
          directory: path.resolve(env.GRAPHQL_TRUSTED_DOCUMENTS),
          only: env.GRAPHQL_TRUSTED_DOCUMENTS_ONLY,
        }
      : undefined,
    admission: {
      maxInFlight: env.API_MAX_CONCURRENT_REQUESTS,
      maxQueued: env.API_MAX_QUEUED_REQUESTS,
      queueTimeoutMs: env.API_QUEUE_TIMEOUT_MS,
    },
  };
}

/**
 * The API settings of an environment that sets none of their variables, for a
 * server started without `settings` (production defaults under NODE_ENV=production).
 */
export function defaultApiSettings(
  nodeEnv: string | undefined = process.env.NODE_ENV,
): ApiSettings {
  const parsed = envSchema.safeParse(nodeEnv ? { NODE_ENV: nodeEnv } : {});
  return apiSettingsOf(parsed.success ? parsed.data : envSchema.parse({}));
}

function firstIssue(error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  const variable = String(issue?.path[0] ?? "environment");
  return new ConfigError(variable, issue?.message ?? "is invalid");
}

export function userOf(url: string, variable: string): string {
  const user = decodeURIComponent(new URL(url).username);
  if (!user) throw new ConfigError(variable, "must name its user (postgres://user@host/db)");
  const parsed = roleName.safeParse(user);
  if (!parsed.success) throw new ConfigError(variable, `user ${parsed.error.issues[0]?.message}`);
  return user;
}

/** Reads and validates configuration from an environment (process.env by default). */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Treat empty strings as unset, as shells and compose files often pass them.
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) throw firstIssue(parsed.error);
  const env = parsed.data;

  let database: DatabaseConfig | undefined;
  if (env.DATABASE_URL) {
    if (!env.AUTH_DATABASE_URL) {
      throw new ConfigError(
        "AUTH_DATABASE_URL",
        "is required with DATABASE_URL (the authenticator role the API connects as)",
      );
    }
    database = {
      ownerUrl: env.DATABASE_URL,
      authUrl: env.AUTH_DATABASE_URL,
      listenUrl: env.AUTH_LISTEN_DATABASE_URL,
      rootUrl: env.ROOT_DATABASE_URL,
      shadowUrl: env.SHADOW_DATABASE_URL,
      ownerRole: userOf(env.DATABASE_URL, "DATABASE_URL"),
      authenticatorRole: userOf(env.AUTH_DATABASE_URL, "AUTH_DATABASE_URL"),
      visitorRole: env.DATABASE_VISITOR,
    };
    if (new URL(env.DATABASE_URL).pathname !== new URL(env.AUTH_DATABASE_URL).pathname) {
      throw new ConfigError("AUTH_DATABASE_URL", "must name the same database as DATABASE_URL");
    }
    if (
      env.AUTH_LISTEN_DATABASE_URL &&
      new URL(env.AUTH_LISTEN_DATABASE_URL).pathname !== new URL(env.DATABASE_URL).pathname
    ) {
      throw new ConfigError(
        "AUTH_LISTEN_DATABASE_URL",
        "must name the same database as DATABASE_URL",
      );
    }
  } else if (env.AUTH_DATABASE_URL) {
    throw new ConfigError("DATABASE_URL", "is required with AUTH_DATABASE_URL");
  } else if (env.AUTH_LISTEN_DATABASE_URL) {
    throw new ConfigError("DATABASE_URL", "is required with AUTH_LISTEN_DATABASE_URL");
  }

  const keySources = [env.JWT_SECRET, env.JWT_PUBLIC_KEY, env.JWT_JWKS_URL].filter(Boolean);
  if (keySources.length > 1) {
    throw new ConfigError("JWT_SECRET", "conflicts with JWT_PUBLIC_KEY/JWT_JWKS_URL: set only one");
  }
  if (env.JWT_SECRET && env.JWT_ALGORITHM && env.JWT_ALGORITHM !== "HS256") {
    throw new ConfigError("JWT_ALGORITHM", "must be HS256 with JWT_SECRET");
  }
  if (env.GRAPHQL_TRUSTED_DOCUMENTS_ONLY && !env.GRAPHQL_TRUSTED_DOCUMENTS) {
    throw new ConfigError(
      "GRAPHQL_TRUSTED_DOCUMENTS_ONLY",
      "needs GRAPHQL_TRUSTED_DOCUMENTS (the folder of trusted documents)",
    );
  }
  if (env.JWT_PUBLIC_KEY && env.JWT_ALGORITHM === "HS256") {
    throw new ConfigError("JWT_ALGORITHM", "must be RS256 or ES256 with JWT_PUBLIC_KEY");
  }

  return {
    env,
    production: env.NODE_ENV === "production",
    database,
    dataDir: path.resolve(env.DATA_DIR),
    artifactStorageDir: path.resolve(
      env.ARTIFACT_STORAGE_DIR ?? path.join(env.DATA_DIR, "artifacts"),
    ),
    graphiql: env.GRAPHIQL ?? env.NODE_ENV !== "production",
    api: apiSettingsOf(env),
  };
}

/** The JWT verification settings; `fallbackSecret` is the embedded mode's generated one. */
export function jwtConfig(config: Config, fallbackSecret?: string): JwtConfig {
  const { env } = config;
  const common = { issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE };
  if (env.JWT_PUBLIC_KEY) {
    return {
      kind: "publicKey",
      algorithm: env.JWT_ALGORITHM === "ES256" ? "ES256" : "RS256",
      publicKey: env.JWT_PUBLIC_KEY,
      ...common,
    };
  }
  if (env.JWT_JWKS_URL) {
    const algorithms: Array<"RS256" | "ES256"> =
      env.JWT_ALGORITHM === "RS256" || env.JWT_ALGORITHM === "ES256"
        ? [env.JWT_ALGORITHM]
        : ["RS256", "ES256"];
    return { kind: "jwks", algorithms, jwksUrl: env.JWT_JWKS_URL, ...common };
  }
  const secret = env.JWT_SECRET ?? fallbackSecret;
  if (!secret) {
    throw new ConfigError(
      "JWT_SECRET",
      "is required when DATABASE_URL is set (or JWT_PUBLIC_KEY / JWT_JWKS_URL)",
    );
  }
  return { kind: "secret", algorithm: "HS256", secret, ...common };
}
