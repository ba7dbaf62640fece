/**
 * Where the database comes from. With DATABASE_URL the configured server is
 * used as is. Without it, the embedded server is booted from `<DATA_DIR>` and
 * everything it needs (superuser, role passwords, the development JWT secret) is
 * generated once into `<DATA_DIR>/secrets.json` (mode 0600) and reused.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Config, DatabaseConfig } from "../config.ts";
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
    const parsed = secretsSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
    if (!parsed.success) throw new Error(`${file} is damaged; delete ${dataDir} to start afresh`);
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

/** Boots the embedded server when needed and prepares its database; returns connection settings. */
export async function resolveDatabase(
  config: Config,
  log: (line: string) => void,
  { setup }: { setup: boolean },
): Promise<ResolvedDatabase> {
  if (config.database) {
    // Only the commands that migrate prepare roles and extensions; serve and worker
    // never need superuser access, even when ROOT_DATABASE_URL is in their environment.
    if (setup && config.database.rootUrl) {
      const db = config.database;
      const passwordOf = (url: string) => decodeURIComponent(new URL(url).password) || undefined;
      await setupDatabase({
        rootUrl: db.rootUrl!,
        database: databaseNameOf(db.ownerUrl),
        roles: {
          owner: db.ownerRole,
          authenticator: db.authenticatorRole,
          visitor: db.visitorRole,
        },
        ownerPassword: passwordOf(db.ownerUrl),
        authenticatorPassword: passwordOf(db.authUrl),
      });
    }
    return { database: config.database };
  }
  const secrets = embeddedSecrets(config.dataDir);
  const embedded = new EmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.env.EMBEDDED_PG_PORT,
    superuser: "postgres",
    password: secrets.superuserPassword,
    log,
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
