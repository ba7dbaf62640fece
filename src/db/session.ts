/**
 * Acting inside the database as a tenant or as a user: the one way trusted
 * TypeScript (worker tasks, `forgeline seed`, the bench, the tests) does it.
 * Nothing else sets tenant settings by hand. The API itself gets the same
 * settings from PostGraphile's pgSettings (src/server/auth.ts, pgSettingsFor),
 * and a test keeps the two in step.
 *
 *   withTenant(db, { orgId, actor }, fn)  a service acting for one organization,
 *       no user (current_user_role() is 'admin' there), audited as `actor`
 *   asUser(db, { sub, orgId, userId }, fn)  a signed-in user, as a verified token
 *       makes a request; `asUser(db, null, fn)` is an anonymous request
 *
 * Each runs `fn` in a transaction: begin → the SQL helper (app_private.
 * act_for_tenant / act_as_user, functions/tenancy/act_as.sql: tenant, actor,
 * request id, then `set local role` to the visitor so RLS guards every
 * statement) → fn → commit, or rollback when fn throws (or with
 * `{ rollback: true }`). `db` is a pool (a client is taken and released) or a
 * client that is not in a transaction (graphile-worker's `withPgClient`). The
 * connection must be the owner's (or a superuser's): only they may call the
 * helpers, which the API's roles cannot.
 */
import pg from "pg";

/** A pool, or a connected client that is not inside a transaction. */
export type Db = pg.Pool | pg.PoolClient | pg.Client;

export interface TenantActor {
  /** The organization the code acts for. */
  orgId: string;
  /** Who is acting, recorded in the audit log: `worker`, `webhook`, `seed`, … */
  actor: string;
  /** Correlates the work with a request or job (must match [A-Za-z0-9._-]{1,64}). */
  requestId?: string;
}

export interface UserActor {
  /** The token's subject. */
  sub: string;
  orgId?: string | null;
  userId?: string | null;
  requestId?: string;
}

export interface SessionOptions {
  /** Roll back at the end instead of committing (tests, dry runs). */
  rollback?: boolean;
}

async function inTransaction<T>(
  db: Db,
  setup: (client: pg.ClientBase) => Promise<unknown>,
  fn: (client: pg.ClientBase) => Promise<T>,
  options: SessionOptions,
): Promise<T> {
  const pooled = db instanceof pg.Pool;
  const client: pg.ClientBase = pooled ? await db.connect() : db;
  let failed = false;
  try {
    await client.query("begin");
    await setup(client);
    const result = await fn(client);
    await client.query(options.rollback ? "rollback" : "commit");
    return result;
  } catch (e) {
    failed = true;
    await client.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    // A client whose rollback failed is broken: the pool must not hand it out again.
    if (pooled) (client as pg.PoolClient).release(failed ? true : undefined);
  }
}

/** Runs `fn` as trusted code acting for one organization, under RLS. */
export function withTenant<T>(
  db: Db,
  tenant: TenantActor,
  fn: (client: pg.ClientBase) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  return inTransaction(
    db,
    (c) =>
      c.query("select app_private.act_for_tenant($1, $2, $3)", [
        tenant.orgId,
        tenant.actor,
        tenant.requestId ?? null,
      ]),
    fn,
    options,
  );
}

/** Runs `fn` as a signed-in user would run it through the API (null: anonymous). */
export function asUser<T>(
  db: Db,
  user: UserActor | null,
  fn: (client: pg.ClientBase) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  return inTransaction(
    db,
    (c) =>
      c.query("select app_private.act_as_user($1, $2, $3, $4)", [
        user?.sub ?? null,
        user?.orgId ?? null,
        user?.userId ?? null,
        user?.requestId ?? null,
      ]),
    fn,
    options,
  );
}
