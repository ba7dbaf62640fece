/**
 * `forgeline token`: mints a development token. It signs with JWT_SECRET, or in
 * embedded mode with the secret generated in <DATA_DIR>/secrets.json, which the
 * embedded server verifies with. Servers configured with a public key or JWKS
 * verify tokens from your identity provider; this command cannot mint those.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ConfigError, loadConfig, USER_ROLES } from "../config.ts";
import { mintToken } from "../server/auth.ts";
import { embeddedSecrets } from "../db/resolve.ts";
import { logToStderr } from "../logger.ts";

const optionsSchema = z.object({
  org: z.uuid({ message: "--org must be a UUID" }).optional(),
  user: z.uuid({ message: "--user must be a UUID" }).optional(),
  role: z.enum(USER_ROLES).optional(),
  sub: z.string().min(1),
  expires: z.string().regex(/^\d+\s*(s|m|h|d)$/, "--expires must look like 15m, 1h or 7d"),
});

export async function tokenCommand(raw: Record<string, unknown>): Promise<void> {
  // stdout is the token alone: anything logged goes to stderr.
  logToStderr();
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError("token", parsed.error.issues[0]?.message ?? "options are invalid");
  const options = parsed.data;
  if (options.user && !options.org) throw new ConfigError("--user", "needs --org as well");
  const config = loadConfig();
  if (config.env.JWT_PUBLIC_KEY || config.env.JWT_JWKS_URL) {
    throw new ConfigError(
      "JWT_SECRET",
      "is not set: this server verifies tokens from an identity provider",
    );
  }
  let secret = config.env.JWT_SECRET;
  if (!secret) {
    if (config.database)
      throw new ConfigError("JWT_SECRET", "is required to mint tokens when DATABASE_URL is set");
    if (!fs.existsSync(path.join(config.dataDir, "secrets.json"))) {
      // stderr: stdout is the token alone (TOKEN=$(npm run -s token)).
      process.stderr.write(
        "note: no embedded data yet; the secret is created now and `npm start` will use it\n",
      );
    }
    secret = embeddedSecrets(config.dataDir).jwtSecret;
  }
  const token = await mintToken({
    secret,
    issuer: config.env.JWT_ISSUER,
    audience: config.env.JWT_AUDIENCE,
    sub: options.sub,
    orgId: options.org,
    userId: options.user,
    role: options.role,
    expiresIn: options.expires,
  });
  process.stdout.write(`${token}\n`);
}
