/**
 * Beyond capacity the API answers rather than hangs: with a deliberately tiny
 * pool (one connection, so one request at a time past the admission gate),
 * requests wait a bounded time for a place and are then answered 503 with
 * Retry-After and the code OVERLOADED; a full queue refuses at once; /healthz
 * keeps answering throughout; and once the load is gone, requests succeed again.
 *
 * The request that holds the one place is a test-only SQL function in this
 * file's database that waits for an advisory lock the test holds, so the test
 * decides when it ends: no sleeps, nothing that depends on the machine's speed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { useTestDatabase } from "../support/db.ts";
import type { TestApi } from "../support/api.ts";
import { useCustomApi } from "./custom-api.ts";
import { registry } from "../../src/metrics.ts";

const QUEUE_TIMEOUT_MS = 3000;
const GATE = 4242;

interface Answer {
  status: number;
  retryAfter: string | null;
  code?: unknown;
}

async function ask(ctx: TestApi, query: string, signal?: AbortSignal): Promise<Answer> {
  const res = await fetch(`${ctx.api.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
    signal,
  });
  const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: unknown } }> };
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    code: body.errors?.[0]?.extensions?.code,
  };
}

/** Held until the test lets it go: waits for the test's advisory lock. */
const HOLD = "{ testWaitForGate }";
const QUICK = "{ currentOrgId }";

async function rejections(): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric("forgeline_overload_rejections_total")?.get();
  return Object.fromEntries(
    (metric?.values ?? []).map((v) => [String(v.labels.reason), Number(v.value)]),
  );
}

describe("an API at capacity", () => {
  const t = useTestDatabase();
  let gate: pg.PoolClient;
  beforeAll(async () => {
    // Before the server starts, so that its schema has the field.
    await t.root.query(`
      create function app_public.test_wait_for_gate() returns boolean
        language sql stable as $$
          select pg_advisory_lock_shared(${GATE});
          select pg_advisory_unlock_shared(${GATE});
        $$;
      grant execute on function app_public.test_wait_for_gate() to ${t.db.roles.visitor};
    `);
    gate = await t.root.connect();
  });
  afterAll(() => gate?.release());
  const ctx = useCustomApi(t, {
    poolSize: 1,
    settings: { admission: { maxQueued: 2, queueTimeoutMs: QUEUE_TIMEOUT_MS } },
  });
  const close = () => gate.query("select pg_advisory_lock($1)", [GATE]);
  const open = () => gate.query("select pg_advisory_unlock($1)", [GATE]);

  it("queues for a bounded time, then answers 503 with Retry-After, while /healthz answers", async () => {
    expect(ctx.api.admission.limits.maxInFlight).toBe(1); // the pool's size
    const before = await rejections();
    await close();
    const held = ask(ctx, HOLD); // takes the one place until the gate opens
    await expect.poll(() => ctx.api.admission.inFlight()).toBe(1);
    // Two wait; five more find the queue full and are refused at once.
    const waiting = [ask(ctx, QUICK), ask(ctx, QUICK)];
    await expect.poll(() => ctx.api.admission.queued()).toBe(2);
    const full = await Promise.all(Array.from({ length: 5 }, () => ask(ctx, QUICK)));
    for (const answer of full) {
      expect(answer).toEqual({ status: 503, retryAfter: "1", code: "OVERLOADED" });
    }
    expect((await fetch(`${ctx.api.url}/healthz`)).status).toBe(200);
    // The two waiters give up after API_QUEUE_TIMEOUT_MS: the place is still held.
    for (const answer of await Promise.all(waiting)) {
      expect(answer).toEqual({ status: 503, retryAfter: "1", code: "OVERLOADED" });
    }
    await open();
    expect((await held).status).toBe(200);
    const after = await rejections();
    expect((after.queue_full ?? 0) - (before.queue_full ?? 0)).toBe(5);
    expect((after.queue_timeout ?? 0) - (before.queue_timeout ?? 0)).toBe(2);
    // The load is gone: the next request gets in.
    expect(await ask(ctx, QUICK)).toEqual({ status: 200, retryAfter: null, code: undefined });
  });

  it("hands the place to the next waiter, and forgets a waiter whose client left", async () => {
    await close();
    const held = ask(ctx, HOLD);
    await expect.poll(() => ctx.api.admission.inFlight()).toBe(1);
    const gone = new AbortController();
    const leaving = ask(ctx, QUICK, gone.signal).catch((e: unknown) => e);
    await expect.poll(() => ctx.api.admission.queued()).toBe(1);
    gone.abort();
    expect(await leaving).toBeInstanceOf(Error);
    await expect.poll(() => ctx.api.admission.queued()).toBe(0);
    const next = ask(ctx, QUICK);
    await expect.poll(() => ctx.api.admission.queued()).toBe(1);
    await open();
    // The waiter gets the held request's place when it is done.
    expect((await held).status).toBe(200);
    expect((await next).status).toBe(200);
    await expect.poll(() => ctx.api.admission.inFlight()).toBe(0);
  });
});
