/**
 * Per-file databases: each test file clones the run's migrated template, so files
 * run in parallel without seeing each other's rows. Helpers act as a tenant the
 * way the API does: inside a transaction, `set local role` to the visitor and the
 * JWT claims as local settings. Tests that only read or that expect failures run
 * in a transaction that is rolled back.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
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
}

/**
 * Runs `fn` in a transaction as the visitor acting for `actor`, then rolls back
 * unless `commit` is set. Errors propagate (with their SQLSTATE in `code`).
 */
export async function asActor<T>(
  t: TestDb,
  actor: Actor | null,
  fn: (client: pg.PoolClient) => Promise<T>,
  { commit = false } = {},
): Promise<T> {
  const client = await t.root.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', $1, true)", [t.db.roles.visitor]);
    if (actor) {
      await client.query(
        `select set_config('jwt.claims.sub', $1, true), set_config('jwt.claims.org_id', $2, true),
                set_config('jwt.claims.user_id', $3, true)`,
        [actor.sub ?? "test", actor.orgId ?? "", actor.userId ?? ""],
      );
    }
    const result = await fn(client);
    await client.query(commit ? "commit" : "rollback");
    return result;
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
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
