/**
 * Where the database comes from. With DATABASE_URL the configured server is
 * used as is, after one test connection per URL the command will use, so a wrong
 * host, port, role, database or password stops it with one line naming the
 * variable (src/preflight.ts). Without it, the embedded server is booted from
 * `<DATA_DIR>` and everything it needs (superuser, role passwords, the development
 * JWT secret) is generated once into `<DATA_DIR>/secrets.json` (mode 0600) and reused.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ConfigError, rolesOf, type Config, type DatabaseConfig } from "../config.ts";
import { assertCanConnect } from "../preflight.ts";
import { EmbeddedPostgres } from "./embedded.ts";
import { databaseNameOf, databaseUrl, setupDatabase } from "./setup.ts";

export const EMBEDDED_DATABASE = "forgeline";
export const EMBEDDED_OWNER = "forgeline_owner";
export const EMBEDDED_AUTHENTICATOR = "forgeline_authenticator";

const secretsSchema = z.object({
  superuserPassword: z.string().min(16),
  ownerPassword: z.string().min(16),
  authenticatorPassword: z.string().min(16),
  jwtSecret: z.string().min(32),
});
export type EmbeddedSecrets = z.infer<typeof secretsSchema>;

const secret = () => randomBytes(24).toString("base64url");

export function embeddedSecrets(dataDir: string): EmbeddedSecrets {
  const file = path.join(dataDir, "secrets.json");
  if (fs.existsSync(file)) {
    let stored: unknown;
    try {
      stored = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      stored = undefined;
    }
    const parsed = secretsSchema.safeParse(stored);
    if (!parsed.success) {
      throw new ConfigError(
        "DATA_DIR",
        `holds a damaged ${file}: delete ${dataDir} to start afresh`,
      );
    }
    return parsed.data;
  }
  const fresh: EmbeddedSecrets = {
    superuserPassword: secret(),
    ownerPassword: secret(),
    authenticatorPassword: secret(),
    jwtSecret: randomBytes(48).toString("base64url"),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(fresh, null, 2), { mode: 0o600 });
  return fresh;
}

export interface ResolvedDatabase {
  database: DatabaseConfig;
  embedded?: EmbeddedPostgres;
  /** The embedded mode's generated JWT secret, used when JWT_SECRET is not set. */
  jwtFallbackSecret?: string;
}

export interface ResolveOptions {
  /** Prepare roles, database and extensions (with ROOT_DATABASE_URL, or the embedded server). */
  setup: boolean;
  /**
   * The configured URLs the command will use, tested before it goes on: the
   * owner's (DATABASE_URL: migrations, worker; the default) and the
   * authenticator's (AUTH_DATABASE_URL: the API).
   */
  uses?: { owner?: boolean; auth?: boolean };
}

/** Boots the embedded server when needed and prepares its database; returns connection settings. */
export async function resolveDatabase(
  config: Config,
  log: (line: string) => void,
  { setup, uses = { owner: true } }: ResolveOptions,
): Promise<ResolvedDatabase> {
  if (config.database) {
    // Only the commands that migrate prepare roles and extensions; serve and worker
    // never need superuser access, even when ROOT_DATABASE_URL is in their environment.
    if (setup && config.database.rootUrl) {
      const db = config.database;
      await assertCanConnect(db.rootUrl!, "ROOT_DATABASE_URL");
      const passwordOf = (url: string) => decodeURIComponent(new URL(url).password) || undefined;
      await setupDatabase({
        rootUrl: db.rootUrl!,
        database: databaseNameOf(db.ownerUrl),
        roles: rolesOf(db),
        ownerPassword: passwordOf(db.ownerUrl),
        authenticatorPassword: passwordOf(db.authUrl),
      });
    }
    // After setup, which may just have created the roles and the database.
    if (uses.owner) await assertCanConnect(config.database.ownerUrl, "DATABASE_URL");
    if (uses.auth) await assertCanConnect(config.database.authUrl, "AUTH_DATABASE_URL");
    return { database: config.database };
  }
  const secrets = embeddedSecrets(config.dataDir);
  const embedded = new EmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.env.EMBEDDED_PG_PORT,
    superuser: "postgres",
    password: secrets.superuserPassword,
    log,
    portVariable: "EMBEDDED_PG_PORT",
  });
  await embedded.start();
  const roles = {
    owner: EMBEDDED_OWNER,
    authenticator: EMBEDDED_AUTHENTICATOR,
    visitor: config.env.DATABASE_VISITOR,
  };
  await setupDatabase({
    rootUrl: embedded.url,
    database: EMBEDDED_DATABASE,
    roles,
    ownerPassword: secrets.ownerPassword,
    authenticatorPassword: secrets.authenticatorPassword,
  });
  const url = (user: string, password: string) =>
    databaseUrl(embedded.url, EMBEDDED_DATABASE, user, password);
  return {
    embedded,
    jwtFallbackSecret: secrets.jwtSecret,
    database: {
      ownerUrl: url(roles.owner, secrets.ownerPassword),
      authUrl: url(roles.authenticator, secrets.authenticatorPassword),
      rootUrl: databaseUrl(embedded.url, EMBEDDED_DATABASE),
      ownerRole: roles.owner,
      authenticatorRole: roles.authenticator,
      visitorRole: roles.visitor,
    },
  };
}
