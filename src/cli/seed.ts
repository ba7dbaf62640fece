/**
 * `forgeline seed`: a demo organization to explore the API with, made through the
 * same SQL functions the API calls (create_organization, add_user,
 * set_feature_flag), acting as the visitor role with claims like a request's.
 * Idempotent: an existing organization with the slug is reported, not changed.
 * Prints the ids and, where this process can sign them, a token per user.
 */
import pg from "pg";
import { jwtConfig, loadConfig } from "../config.ts";
import { resolveDatabase } from "../db/resolve.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { logger, logToStderr } from "../logger.ts";
import { exitOnSignals } from "../runtime.ts";
import { mintToken } from "../server/auth.ts";

const ROLES = ["owner", "admin", "member", "viewer"] as const;

interface Member {
  role: string;
  id: string;
  email: string;
}

export async function seedCommand(options: { slug: string; name: string }): Promise<void> {
  // stdout is the ids and tokens; progress and errors are logged on stderr.
  logToStderr();
  exitOnSignals();
  const config = loadConfig();
  const postgresLog = logger.child({ component: "postgres" });
  const resolved = await resolveDatabase(config, (line) => postgresLog.info(line), {
    setup: true,
  });
  try {
    const db = resolved.database;
    const roles = {
      owner: db.ownerRole,
      authenticator: db.authenticatorRole,
      visitor: db.visitorRole,
    };
    await migrateDatabase({ ownerUrl: db.ownerUrl, rootUrl: db.rootUrl, roles, quiet: true });
    const { orgId, members, created } = await seed(db.ownerUrl, db.visitorRole, options);
    // Output for the person at the terminal, not for a log pipeline.
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`${created ? "Created" : "Found"} organization "${options.slug}": ${orgId}`);
    const jwt = jwtConfig(config, resolved.jwtFallbackSecret);
    for (const m of members) {
      const line = `${m.role.padEnd(6)} ${m.email.padEnd(24)} user ${m.id}`;
      if (jwt.kind !== "secret") {
        out(line);
        continue;
      }
      const token = await mintToken({
        secret: jwt.secret,
        issuer: jwt.issuer,
        audience: jwt.audience,
        sub: `seed:${m.email}`,
        orgId,
        userId: m.id,
        expiresIn: "7d",
      });
      out(`${line}\n  token (7 days): ${token}`);
    }
  } finally {
    await resolved.embedded?.stop();
  }
}

async function seed(
  ownerUrl: string,
  visitor: string,
  options: { slug: string; name: string },
): Promise<{ orgId: string; members: Member[]; created: boolean }> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query("begin");
    // The owner sees every organization: is the slug already there?
    const existing = await client.query<{ id: string }>(
      "select o.id from app_public.organizations o where o.slug = $1",
      [options.slug],
    );
    let orgId = existing.rows[0]?.id;
    if (!orgId) {
      // Then as a request would: the visitor role, RLS on, claims as local settings.
      await client.query(
        `select set_config('role', $1, true), set_config('jwt.claims.sub', 'seed', true),
                set_config('forgeline.actor', 'seed', true)`,
        [visitor],
      );
      const owner = await client.query<{ organization_id: string; id: string }>(
        "select organization_id, id from app_public.create_organization($1, $2, 'Olivia Owner', $3)",
        [options.name, options.slug, `owner@${options.slug}.example`],
      );
      orgId = owner.rows[0]!.organization_id;
      await client.query(
        "select set_config('jwt.claims.org_id', $1, true), set_config('jwt.claims.user_id', $2, true)",
        [orgId, owner.rows[0]!.id],
      );
      for (const role of ROLES.slice(1)) {
        const name = `${role[0]!.toUpperCase()}${role.slice(1)} Example`;
        await client.query("select app_public.add_user($1, $2, $3)", [
          `${role}@${options.slug}.example`,
          name,
          role,
        ]);
      }
      await client.query("select app_public.set_feature_flag('advanced_analytics', true)");
      await client.query("reset role");
    }
    const users = await client.query<Member>(
      `select u.role::text as role, u.id, u.email::text as email from app_public.users u
        where u.organization_id = $1 order by u.role desc, u.email`,
      [orgId],
    );
    await client.query("commit");
    return { orgId, members: users.rows, created: !existing.rows[0] };
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
}
