/**
 * Per-file databases: each test file clones the run's migrated template, so files
 * run in parallel without seeing each other's rows. Helpers act as a user or a
 * tenant through src/db/session.ts, the way all trusted code does (inside a
 * transaction, the claims as local settings, `set local role` to the visitor).
 * Tests that only read or that expect failures run in a transaction that is
 * rolled back.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { asUser, withTenant } from "../../src/db/session.ts";
import { closePooledConnections } from "../../src/db/pgbouncer.ts";
import {
  cloneDatabase,
  dropDatabase,
  waitForIdle,
  type ScratchDatabase,
} from "../../src/db/scratch.ts";

export interface TestDb {
  db: ScratchDatabase;
  /** Superuser pool on this file's database (bypasses RLS: for setup and checks). */
  root: pg.Pool;
  /**
   * A pool on `url` (one of `db`'s URLs) that this file's teardown ends before the
   * database is dropped, with connection errors handled (see `watchErrors`).
   */
  pool(url: string, max?: number): pg.Pool;
  /** A connected client on `url`, likewise ended by the teardown if the test did not. */
  client(url: string): Promise<pg.Client>;
}

/**
 * `drop database … with (force)` terminates the backends still connected, and
 * each of their clients then emits 57P01 ("terminating connection due to
 * administrator command"). Teardown ends every pool first, so this should not
 * happen; if a backend is still on its way out it must not become an uncaught
 * error that fails the run. Anything else is reported, and fails the test that
 * caused it through the query that hit it.
 */
export function watchErrors(emitter: pg.Pool | pg.Client): void {
  const onError = (e: Error & { code?: string }) => {
    if (e.code !== "57P01") console.error("test database connection failed:", e);
  };
  if (emitter instanceof pg.Pool) {
    emitter.on("error", onError);
    emitter.on("connect", (client) => client.on("error", onError));
  } else {
    emitter.on("error", onError);
  }
}

export function useTestDatabase(): TestDb {
  const opened: Array<pg.Pool | pg.Client> = [];
  const ctx = {
    pool(url: string, max = 5) {
      const pool = new pg.Pool({ connectionString: url, max });
      watchErrors(pool);
      opened.push(pool);
      return pool;
    },
    async client(url: string) {
      const client = new pg.Client({ connectionString: url });
      watchErrors(client);
      opened.push(client);
      await client.connect();
      return client;
    },
  } as TestDb;
  beforeAll(async () => {
    const template = inject("template");
    const db = await cloneDatabase(template, `${template.name}_${randomBytes(4).toString("hex")}`);
    ctx.db = db;
    ctx.root = ctx.pool(db.rootDbUrl, 4);
  });
  afterAll(async () => {
    // Every connection ends before the drop, so the drop terminates nobody.
    for (const connection of opened.splice(0).reverse()) {
      await connection.end().catch(() => undefined);
    }
    if (ctx.db) {
      // Behind the run's PgBouncer (project api-via-pgbouncer): it keeps idle server
      // connections to this database for minutes; let it go of them first. Only here,
      // once the file's servers are all closed: a paused database takes no new clients.
      const pgbouncer = inject("pgbouncer");
      if (pgbouncer) await closePooledConnections(pgbouncer, ctx.db.name);
      await waitForIdle(ctx.db.rootUrl, ctx.db.name);
      await dropDatabase(ctx.db.rootUrl, ctx.db.name);
    }
  });
  return ctx;
}

export interface Actor {
  orgId?: string | null;
  userId?: string | null;
  sub?: string;
  /** The request id (the API's X-Request-Id) the audit log records. */
  requestId?: string;
}

/**
 * Runs `fn` in a transaction as the visitor acting for `actor` (null: an
 * anonymous request), through src/db/session.ts's asUser like all trusted code,
 * then rolls back unless `commit` is set. Errors propagate (with their SQLSTATE
 * in `code`).
 */
export function asActor<T>(
  t: TestDb,
  actor: Actor | null,
  fn: (client: pg.ClientBase) => Promise<T>,
  { commit = false } = {},
): Promise<T> {
  const user = actor && {
    sub: actor.sub ?? "test",
    orgId: actor.orgId,
    userId: actor.userId,
    requestId: actor.requestId,
  };
  return asUser(t.root, user, fn, { rollback: !commit });
}

/**
 * Runs `fn` as trusted code acting for `orgId` (as `actor`, with `requestId` if
 * given), rolled back unless `commit`.
 */
export function asService<T>(
  t: TestDb,
  orgId: string,
  fn: (client: pg.ClientBase) => Promise<T>,
  {
    commit = false,
    actor = "worker",
    requestId,
  }: { commit?: boolean; actor?: string; requestId?: string } = {},
): Promise<T> {
  return withTenant(t.root, { orgId, actor, requestId }, fn, { rollback: !commit });
}

export interface OrgFixture {
  orgId: string;
  users: Record<"owner" | "admin" | "member" | "viewer", string>;
}

/** Creates an organization with one user of each role, through the real functions. */
export async function createOrg(t: TestDb, slug: string): Promise<OrgFixture> {
  const owner = await asActor(
    t,
    { sub: `${slug}-owner` },
    async (c) =>
      (
        await c.query<{ organization_id: string; id: string }>(
          "select organization_id, id from app_public.create_organization($1, $1, 'Owner', $2)",
          [slug, `owner@${slug}.test`],
        )
      ).rows[0]!,
    { commit: true },
  );
  const users = { owner: owner.id } as OrgFixture["users"];
  for (const role of ["admin", "member", "viewer"] as const) {
    users[role] = await asActor(
      t,
      { orgId: owner.organization_id, userId: owner.id },
      async (c) =>
        (
          await c.query<{ id: string }>("select id from app_public.add_user($1, $2, $3)", [
            `${role}@${slug}.test`,
            `${role} of ${slug}`,
            role,
          ])
        ).rows[0]!.id,
      { commit: true },
    );
  }
  return { orgId: owner.organization_id, users };
}

/** The SQLSTATE a promise rejects with (fails the test if it resolves). */
export async function sqlstate(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return String((e as { code?: unknown }).code);
  }
  throw new Error("expected the statement to fail, but it succeeded");
}
