/**
 * `forgeline limits`: the operator's overrides of per-organization service limits
 * (DESIGN §8b: a tenant cannot raise its own). They live in
 * app_private.organization_limits, which no API role can read or write, and are
 * changed here as the owner role through app_private.set_organization_limit().
 *
 *   forgeline limits list
 *   forgeline limits set <organization> --requests-per-minute <n> [--note <text>]
 *   forgeline limits clear <organization>
 *
 * <organization> is an id or a slug. The API reads a new limit within a second
 * (its leases of the bucket last at most that long).
 */
import { z } from "zod";
import { ConfigError, loadConfig } from "../config.ts";
import { resolveDatabase } from "../db/resolve.ts";
import { withClient } from "../db/pools.ts";
import { logger } from "../logger.ts";

const out = (line: string) => process.stdout.write(`${line}\n`);

interface LimitRow {
  organization_id: string;
  slug: string;
  requests_per_minute: number;
  note: string | null;
  updated_at: Date;
}

async function withOwner<T>(fn: (client: import("pg").Client) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const resolved = await resolveDatabase(
    config,
    (line) => logger.child({ component: "postgres" }).info(line),
    { setup: false },
  );
  try {
    return await withClient(resolved.database.ownerUrl, fn);
  } finally {
    await resolved.embedded?.stop();
  }
}

async function organizationId(client: import("pg").Client, given: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `select o.id from app_public.organizations o
      where o.slug = $1 or (o.id::text = $1)`,
    [given.toLowerCase()],
  );
  if (!rows[0])
    throw new ConfigError("<organization>", `"${given}" is no organization's id or slug`);
  return rows[0].id;
}

export async function limitsListCommand(): Promise<void> {
  const rows = await withOwner(
    async (client) =>
      (
        await client.query<LimitRow>(
          `select l.organization_id, o.slug, l.requests_per_minute, l.note, l.updated_at
             from app_private.organization_limits l
             join app_public.organizations o on o.id = l.organization_id
            order by o.slug`,
        )
      ).rows,
  );
  if (rows.length === 0) {
    out("no overrides: every organization has the server's RATE_LIMIT_PER_MINUTE");
    return;
  }
  for (const r of rows) {
    out(
      `${r.slug}  ${r.organization_id}  ${r.requests_per_minute} requests/min` +
        `${r.note ? `  (${r.note})` : ""}  set ${r.updated_at.toISOString()}`,
    );
  }
}

const perMinute = z.coerce
  .number({ message: "must be a number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(1_000_000_000, "must be at most 1000000000");

export async function limitsSetCommand(
  organization: string,
  options: { requestsPerMinute?: string; note?: string },
): Promise<void> {
  const parsed = perMinute.safeParse(options.requestsPerMinute);
  if (!parsed.success) {
    throw new ConfigError("--requests-per-minute", parsed.error.issues[0]?.message ?? "is invalid");
  }
  const row = await withOwner(async (client) => {
    const id = await organizationId(client, organization);
    return (
      await client.query<LimitRow>(
        `select l.organization_id, l.requests_per_minute
           from app_private.set_organization_limit($1, $2, $3) l`,
        [id, parsed.data, options.note ?? null],
      )
    ).rows[0]!;
  });
  out(`${organization}: ${row.requests_per_minute} requests per minute (operator override)`);
}

export async function limitsClearCommand(organization: string): Promise<void> {
  const cleared = await withOwner(async (client) => {
    const id = await organizationId(client, organization);
    const { rows } = await client.query<{ organization_id: string | null }>(
      "select l.organization_id from app_private.set_organization_limit($1, null) l",
      [id],
    );
    return rows[0]?.organization_id != null;
  });
  out(
    cleared
      ? `${organization}: override removed; the server's RATE_LIMIT_PER_MINUTE applies`
      : `${organization} had no override`,
  );
}
