/**
 * `forgeline limits`: the operator's overrides of per-organization service limits
 * (DESIGN §8b: a tenant cannot raise its own). Two kinds, each in a table no API
 * role can read or write, changed here as the owner role through its SQL function:
 *
 * - the API rate limit: app_private.organization_limits, set_organization_limit()
 *   (default: the server's RATE_LIMIT_PER_MINUTE);
 * - the cap on a pipeline step's log: app_private.pipeline_limits,
 *   set_pipeline_limit() (default: 4 MiB).
 *
 *   forgeline limits list
 *   forgeline limits set <organization> [--requests-per-minute <n>] [--step-log-bytes <n>] [--note <text>]
 *   forgeline limits clear <organization> [--requests-per-minute] [--step-log-bytes]
 *
 * `set` takes at least one of the two limits (both are set in one transaction);
 * `clear` removes both overrides unless a flag names one. <organization> is an id
 * or a slug. The API reads a new rate limit within a second (its leases of the
 * bucket last at most that long); a step's log cap applies to log written after.
 */
import type pg from "pg";
import { z } from "zod";
import { ConfigError, loadConfig } from "../config.ts";
import { resolveDatabase } from "../db/resolve.ts";
import { withClient } from "../db/pools.ts";
import { logger } from "../logger.ts";

const out = (line: string) => process.stdout.write(`${line}\n`);

/** The default cap on a step's log when no override is set (app_private.pipeline_step_log_limit). */
export const DEFAULT_STEP_LOG_BYTES = 4 * 1024 * 1024;

interface OverrideRow {
  organization_id: string;
  slug: string;
  kind: "requests_per_minute" | "step_log_bytes";
  value: number;
  note: string | null;
  updated_at: Date;
}

async function withOwner<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
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

/** Runs `fn` in one transaction: a `set` of both limits changes both or neither. */
async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    const result = await fn();
    await client.query("commit");
    return result;
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  }
}

async function organizationId(client: pg.Client, given: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `select o.id from app_public.organizations o
      where o.slug = $1 or (o.id::text = $1)`,
    [given.toLowerCase()],
  );
  if (!rows[0])
    throw new ConfigError("<organization>", `"${given}" is no organization's id or slug`);
  return rows[0].id;
}

/** 4194304 → "4 MiB"; sizes that are not a whole KiB, MiB or GiB stay in bytes. */
function bytes(n: number): string {
  for (const [unit, size] of [
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

function describe(kind: OverrideRow["kind"], value: number): string {
  return kind === "requests_per_minute"
    ? `${value} requests/min`
    : `${value} bytes of log per step (${bytes(value)})`;
}

export async function limitsListCommand(): Promise<void> {
  const rows = await withOwner(
    async (client) =>
      (
        await client.query<OverrideRow>(
          `select l.organization_id, o.slug, l.kind, l.value, l.note, l.updated_at
             from (select organization_id, 'requests_per_minute' as kind,
                          requests_per_minute as value, note, updated_at
                     from app_private.organization_limits
                   union all
                   select organization_id, 'step_log_bytes', step_log_bytes, note, updated_at
                     from app_private.pipeline_limits) l
             join app_public.organizations o on o.id = l.organization_id
            order by o.slug, l.kind`,
        )
      ).rows,
  );
  if (rows.length === 0) {
    out(
      "no overrides: every organization has the server's RATE_LIMIT_PER_MINUTE " +
        `and ${bytes(DEFAULT_STEP_LOG_BYTES)} of log per pipeline step`,
    );
    return;
  }
  for (const r of rows) {
    out(
      `${r.slug}  ${r.organization_id}  ${describe(r.kind, r.value)}` +
        `${r.note ? `  (${r.note})` : ""}  set ${r.updated_at.toISOString()}`,
    );
  }
}

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ message: "must be a number" })
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const perMinute = wholeNumber(1, 1_000_000_000);
const stepLogBytes = wholeNumber(1024, 1_073_741_824);

function parseFlag(flag: string, schema: z.ZodType<number>, given: string): number {
  const parsed = schema.safeParse(given);
  if (!parsed.success) throw new ConfigError(flag, parsed.error.issues[0]?.message ?? "is invalid");
  return parsed.data;
}

export async function limitsSetCommand(
  organization: string,
  options: { requestsPerMinute?: string; stepLogBytes?: string; note?: string },
): Promise<void> {
  if (options.requestsPerMinute === undefined && options.stepLogBytes === undefined) {
    throw new ConfigError(
      "--requests-per-minute",
      "or --step-log-bytes is required: give at least one limit to set",
    );
  }
  const rate =
    options.requestsPerMinute === undefined
      ? undefined
      : parseFlag("--requests-per-minute", perMinute, options.requestsPerMinute);
  const log =
    options.stepLogBytes === undefined
      ? undefined
      : parseFlag("--step-log-bytes", stepLogBytes, options.stepLogBytes);
  const note = options.note ?? null;
  const set = await withOwner(async (client) => {
    const id = await organizationId(client, organization);
    return inTransaction(client, async () => {
      const done: string[] = [];
      if (rate !== undefined) {
        const { rows } = await client.query<{ requests_per_minute: number }>(
          "select l.requests_per_minute from app_private.set_organization_limit($1, $2, $3) l",
          [id, rate, note],
        );
        done.push(`${rows[0]!.requests_per_minute} requests per minute`);
      }
      if (log !== undefined) {
        const { rows } = await client.query<{ step_log_bytes: number }>(
          "select l.step_log_bytes from app_private.set_pipeline_limit($1, $2, $3) l",
          [id, log, note],
        );
        const n = rows[0]!.step_log_bytes;
        done.push(`${n} bytes of log per pipeline step (${bytes(n)})`);
      }
      return done;
    });
  });
  for (const line of set) out(`${organization}: ${line} (operator override)`);
}

export async function limitsClearCommand(
  organization: string,
  options: { requestsPerMinute?: boolean; stepLogBytes?: boolean } = {},
): Promise<void> {
  const both = !options.requestsPerMinute && !options.stepLogBytes;
  const lines = await withOwner(async (client) => {
    const id = await organizationId(client, organization);
    return inTransaction(client, async () => {
      const done: string[] = [];
      if (both || options.requestsPerMinute) {
        const { rows } = await client.query<{ organization_id: string | null }>(
          "select l.organization_id from app_private.set_organization_limit($1, null) l",
          [id],
        );
        done.push(
          rows[0]?.organization_id != null
            ? `${organization}: rate limit override removed; the server's RATE_LIMIT_PER_MINUTE applies`
            : `${organization} had no rate limit override`,
        );
      }
      if (both || options.stepLogBytes) {
        const { rows } = await client.query<{ organization_id: string | null }>(
          "select l.organization_id from app_private.set_pipeline_limit($1, null) l",
          [id],
        );
        done.push(
          rows[0]?.organization_id != null
            ? `${organization}: step log override removed; ${bytes(DEFAULT_STEP_LOG_BYTES)} per step applies`
            : `${organization} had no step log override`,
        );
      }
      return done;
    });
  });
  for (const line of lines) out(line);
}
