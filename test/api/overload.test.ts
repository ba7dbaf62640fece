/**
 * Beyond capacity the API answers rather than hangs: with a deliberately tiny
 * pool (one connection, so one request at a time past the admission gate),
 * requests wait a bounded time for a place and are then answered 503 with
 * Retry-After and the code OVERLOADED; a full queue refuses at once; /healthz
 * keeps answering throughout; and once the load is gone, requests succeed again.
 * The slow request is a test-only SQL function (pg_sleep) in this file's database.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";
import type { TestApi } from "../support/api.ts";
import { useCustomApi } from "./custom-api.ts";
import { registry } from "../../src/metrics.ts";

const QUEUE_TIMEOUT_MS = 1000;
const SLOW_MS = 3000;

interface Answer {
  status: number;
  retryAfter: string | null;
  code?: unknown;
}

async function ask(ctx: TestApi, ms: number, signal?: AbortSignal): Promise<Answer> {
  const res = await fetch(`${ctx.api.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `{ testSleep(ms: ${ms}) }` }),
    signal,
  });
  const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: unknown } }> };
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    code: body.errors?.[0]?.extensions?.code,
  };
}

async function rejections(): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric("forgeline_overload_rejections_total")?.get();
  return Object.fromEntries(
    (metric?.values ?? []).map((v) => [String(v.labels.reason), Number(v.value)]),
  );
}

describe("an API at capacity", () => {
  const t = useTestDatabase();
  beforeAll(async () => {
    // Before the server starts, so that its schema has the field.
    await t.root.query(`
      create function app_public.test_sleep(ms integer) returns integer
        language sql stable as $$ select pg_sleep(ms / 1000.0); select ms $$;
      grant execute on function app_public.test_sleep(integer) to ${t.db.roles.visitor};
    `);
  });
  const ctx = useCustomApi(t, {
    poolSize: 1,
    settings: { admission: { maxQueued: 2, queueTimeoutMs: QUEUE_TIMEOUT_MS } },
  });

  it("queues for a bounded time, then answers 503 with Retry-After, while /healthz answers", async () => {
    expect(ctx.api.admission.limits.maxInFlight).toBe(1); // the pool's size
    const before = await rejections();
    const slow = ask(ctx, SLOW_MS); // takes the one place
    await expect.poll(() => ctx.api.admission.inFlight()).toBe(1);
    // Two wait (and time out: the place is held for longer), five find the queue full.
    const others = Array.from({ length: 7 }, () => ask(ctx, 0));
    await expect.poll(() => ctx.api.admission.queued()).toBe(2);
    const health = await fetch(`${ctx.api.url}/healthz`);
    expect(health.status).toBe(200);
    const answers = await Promise.all(others);
    for (const answer of answers) {
      expect(answer).toEqual({ status: 503, retryAfter: "1", code: "OVERLOADED" });
    }
    expect((await slow).status).toBe(200);
    const after = await rejections();
    expect((after.queue_full ?? 0) - (before.queue_full ?? 0)).toBe(5);
    expect((after.queue_timeout ?? 0) - (before.queue_timeout ?? 0)).toBe(2);
    // The load is gone: the next request gets in.
    expect(await ask(ctx, 0)).toEqual({ status: 200, retryAfter: null, code: undefined });
  });

  it("hands a place to the next waiter, in order, and forgets a waiter whose client left", async () => {
    const first = ask(ctx, 200);
    await expect.poll(() => ctx.api.admission.inFlight()).toBe(1);
    const gone = new AbortController();
    const leaving = ask(ctx, 0, gone.signal).catch((e: unknown) => e);
    await expect.poll(() => ctx.api.admission.queued()).toBe(1);
    gone.abort();
    expect(await leaving).toBeInstanceOf(Error);
    await expect.poll(() => ctx.api.admission.queued()).toBe(0);
    const second = ask(ctx, 0);
    await expect.poll(() => ctx.api.admission.queued()).toBe(1);
    // The waiter gets the first request's place when it is done (within its wait).
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    await expect.poll(() => ctx.api.admission.inFlight()).toBe(0);
  });
});
