/**
 * Metrics, request ids and structured logs over real HTTP: /metrics is scraped
 * before and after real requests and the counters must move by exactly what was
 * sent (requests by operation and status, GraphQL errors by code, pool gauges);
 * x-request-id is echoed or generated, bound to the log lines, and reaches
 * Postgres (the audit log's request_id, and application_name in pg_stat_activity
 * while a request waits on a lock). A real graphile-worker runner feeds the
 * worker counters, and graphile-worker's tables the queue gauges.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import type { Runner } from "graphile-worker";
import { useTestDatabase, createOrg, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi, type TestApi } from "../support/api.ts";
import { makePool } from "../../src/db/pools.ts";
import { registerPool, registerWorkerQueue } from "../../src/metrics.ts";
import { startWorker } from "../../src/worker/runner.ts";

type Labels = Record<string, string>;

/** Parses the text format into samples (name, labels, value). */
function parseMetrics(text: string): Array<{ name: string; labels: Labels; value: number }> {
  const samples = [];
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Labels = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

interface Scrape {
  text: string;
  contentType: string | null;
  /** The sample's value, or undefined when the series does not exist. */
  get(name: string, labels?: Labels): number | undefined;
  /** Like get, but 0 for a series that does not exist yet. */
  value(name: string, labels?: Labels): number;
}

async function scrape(ctx: TestApi): Promise<Scrape> {
  const res = await fetch(`${ctx.api.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const samples = parseMetrics(text);
  const get = (name: string, labels: Labels = {}) =>
    samples.find(
      (s) =>
        s.name === name &&
        Object.keys(s.labels).length === Object.keys(labels).length &&
        Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    )?.value;
  return {
    text,
    contentType: res.headers.get("content-type"),
    get,
    value: (name, labels) => get(name, labels) ?? 0,
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("metrics, request ids and logs", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);
  let a: OrgFixture;
  const tokenFor = (role: keyof OrgFixture["users"]) =>
    token({ orgId: a.orgId, userId: a.users[role] });

  beforeAll(async () => {
    a = await createOrg(t, "metrics-a");
  });

  describe("/metrics", () => {
    it("serves the registry in Prometheus text format with the Node defaults", async () => {
      const s = await scrape(ctx);
      expect(s.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(s.text).toContain("# TYPE forgeline_http_requests_total counter");
      expect(s.text).toContain("# TYPE forgeline_http_request_duration_seconds histogram");
      expect(s.get("forgeline_process_cpu_user_seconds_total")).toBeGreaterThan(0);
      expect(s.get("forgeline_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
      // No worker in this process yet: no queue to report (rather than an empty one).
      expect(s.text).not.toContain("forgeline_worker_queue_oldest_seconds");
    });

    it("counts requests by operation name and status, with their durations", async () => {
      const before = await scrape(ctx);
      const viewer = await tokenFor("viewer");
      for (let i = 0; i < 3; i++) {
        const res = await gql(
          ctx,
          "query OrgNames { organizations(first: 10) { nodes { name } } }",
          {},
          viewer,
        );
        expect(res.status).toBe(200);
      }
      expect((await gql(ctx, "{ __typename }")).status).toBe(200);
      const long = `Q${"x".repeat(64)}`;
      expect((await gql(ctx, `query ${long} { __typename }`)).status).toBe(200);
      expect((await fetch(`${ctx.api.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${ctx.api.url}/no/such/${Math.random()}`)).status).toBe(404);
      const after = await scrape(ctx);

      const moved = (operation: string, status: string) =>
        after.value("forgeline_http_requests_total", { operation, status }) -
        before.value("forgeline_http_requests_total", { operation, status });
      expect(moved("OrgNames", "200")).toBe(3);
      expect(moved("anonymous", "200")).toBe(1);
      expect(moved("invalid", "200")).toBe(1);
      expect(moved("/healthz", "200")).toBe(1);
      expect(moved("other", "404")).toBe(1);
      // The scrape before counted itself once the answer was sent.
      expect(moved("/metrics", "200")).toBe(1);
      const durations = (s: Scrape, suffix: string, le?: string) =>
        s.value(`forgeline_http_request_duration_seconds_${suffix}`, {
          ...(le ? { le } : {}),
          operation: "OrgNames",
          status: "200",
        });
      expect(durations(after, "count") - durations(before, "count")).toBe(3);
      expect(durations(after, "bucket", "+Inf") - durations(before, "bucket", "+Inf")).toBe(3);
      expect(durations(after, "sum")).toBeGreaterThan(durations(before, "sum"));
      expect(after.text).not.toContain(long);
    });

    it("counts GraphQL errors by code: business codes, validation, masked", async () => {
      const before = await scrape(ctx);
      const createOrg = `mutation CreateOrg { createOrganization(input: { name: "X", slug: "metrics-x", ownerName: "X", ownerEmail: "x@x.test" }) { user { rowId } } }`;
      const anonymous = await gql(ctx, createOrg);
      expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("FL001");
      const byMember = await gql(
        ctx,
        `mutation RemoveUser($id: UUID!) { removeUser(input: { userId: $id }) { user { rowId } } }`,
        { id: a.users.admin },
        await tokenFor("member"),
      );
      expect(byMember.body.errors?.[0]?.extensions?.code).toBe("FL002");
      // Refused by validation (no such field): never executed, labelled from the body.
      const invalid = await fetch(`${ctx.api.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query: "query NoSuchField { nope }", operationName: "NoSuchField" }),
      });
      expect(invalid.status).toBe(200);
      expect(((await invalid.json()) as { errors: unknown[] }).errors).toHaveLength(1);
      const after = await scrape(ctx);

      const errors = (code: string) =>
        after.value("forgeline_graphql_errors_total", { code }) -
        before.value("forgeline_graphql_errors_total", { code });
      expect(errors("FL001")).toBe(1);
      expect(errors("FL002")).toBe(1);
      expect(errors("GRAPHQL_VALIDATION_FAILED")).toBe(1);
      const requests = (operation: string) =>
        after.value("forgeline_http_requests_total", { operation, status: "200" }) -
        before.value("forgeline_http_requests_total", { operation, status: "200" });
      expect(requests("CreateOrg")).toBe(1);
      expect(requests("RemoveUser")).toBe(1);
      expect(requests("NoSuchField")).toBe(1);
    });

    it("reports the API pool's connections", async () => {
      const s = await scrape(ctx);
      expect(
        s.get("forgeline_db_pool_connections", { pool: "api", state: "total" }),
      ).toBeGreaterThan(0);
      expect(s.get("forgeline_db_pool_connections", { pool: "api", state: "idle" })).toBeDefined();
      expect(s.get("forgeline_db_pool_connections", { pool: "api", state: "waiting" })).toBe(0);
    });
  });

  describe("request ids", () => {
    it("echoes a well-formed x-request-id and replaces a malformed or missing one", async () => {
      const given = await gql(ctx, "{ __typename }", {}, undefined, {
        "x-request-id": "req.A_1-b",
      });
      expect(given.headers.get("x-request-id")).toBe("req.A_1-b");
      for (const bad of ["has space", "x".repeat(65), "semi;colon", "ünï"]) {
        const res = await fetch(`${ctx.api.url}/healthz`, { headers: { "x-request-id": bad } });
        expect(res.headers.get("x-request-id")).toMatch(UUID);
      }
      const none = await fetch(`${ctx.api.url}/healthz`);
      expect(none.headers.get("x-request-id")).toMatch(UUID);
      // Refusals before GraphQL carry it too.
      const refused = await gql(ctx, "{ __typename }", {}, "not-a-token", {
        "x-request-id": "r401",
      });
      expect(refused.status).toBe(401);
      expect(refused.headers.get("x-request-id")).toBe("r401");
    });

    it("binds the id to the request's log lines and to masked errors", async () => {
      // An unmasked database error: ILIKE with a trailing escape character (SQLSTATE 22025).
      const res = await gql(
        ctx,
        `query BadPattern { users(first: 10, filter: { email: { likeInsensitive: "\\\\" } }) { nodes { email } } }`,
        {},
        await tokenFor("viewer"),
        { "x-request-id": "masked-1" },
      );
      const error = res.body.errors?.[0];
      expect(error?.extensions?.code).toBe("INTERNAL");
      const errorId = error?.extensions?.errorId;
      expect(errorId).toMatch(UUID);
      const masked = ctx.logs.find((l) => l.errorId === errorId);
      expect(masked).toMatchObject({
        level: 50,
        requestId: "masked-1",
        msg: `Masked GraphQL error ${String(errorId)}`,
      });
      expect(masked?.err).toMatchObject({ code: "22025" });
      const access = await until("the access log line", () =>
        Promise.resolve(ctx.logs.find((l) => l.requestId === "masked-1" && l.msg === "request")),
      );
      expect(access).toMatchObject({
        operation: "BadPattern",
        status: 200,
        route: "/graphql",
        method: "POST",
      });
      expect(access.durationMs).toEqual(expect.any(Number));
    });

    it("writes the request id into the audit log through forgeline.request_id", async () => {
      const res = await gql(
        ctx,
        `mutation Rename($id: UUID!) { updateUser(input: { rowId: $id, patch: { name: "Renamed" } }) { user { name } } }`,
        { id: a.users.member },
        await tokenFor("member"),
        { "x-request-id": "audit-req-1" },
      );
      expect(res.body).toEqual({ data: { updateUser: { user: { name: "Renamed" } } } });
      const { rows } = await t.root.query<{ action: string; table_name: string }>(
        "select action, table_name from app_public.audit_events where request_id = $1",
        ["audit-req-1"],
      );
      expect(rows).toEqual([{ action: "update", table_name: "app_public.users" }]);
    });

    it("shows the request in pg_stat_activity as application_name while it runs", async () => {
      // Hold a lock the mutation needs, so the request is observably in flight.
      const id = `lock-${"a".repeat(50)}`;
      const blocker = await t.root.connect();
      let pending: Promise<unknown> | undefined;
      try {
        await blocker.query("begin");
        await blocker.query("lock table app_public.users in exclusive mode");
        pending = gql(
          ctx,
          `mutation($id: UUID!) { updateUser(input: { rowId: $id, patch: { name: "Locked" } }) { user { name } } }`,
          { id: a.users.member },
          await tokenFor("member"),
          { "x-request-id": id },
        );
        const seen = await until("the request's backend", async () => {
          const { rows } = await t.root.query<{ application_name: string; wait: string | null }>(
            `select application_name, wait_event_type as wait from pg_stat_activity
              where datname = current_database() and application_name like 'forgeline-api:%'`,
          );
          return rows.find((r) => r.wait === "Lock");
        });
        expect(seen.application_name).toBe(`forgeline-api:${id.slice(0, 40)}`);
      } finally {
        await blocker.query("rollback");
        blocker.release();
      }
      expect(await pending).toMatchObject({
        body: { data: { updateUser: { user: { name: "Locked" } } } },
      });
      // application_name was transaction-local: the pooled connection is back to its own.
      const { rows } = await t.root.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and application_name like 'forgeline-api:%'`,
      );
      expect(rows[0]!.n).toBe(0);
    });
  });

  describe("worker", () => {
    let ownerPool: pg.Pool;
    let runner: Runner | undefined;
    const unregister: Array<() => void> = [];
    const addJob = (task: string, runAt = "now()", maxAttempts = 25) =>
      ownerPool.query(
        `select graphile_worker.add_job($1, '{}'::json, run_at := ${runAt}, max_attempts := $2)`,
        [task, maxAttempts],
      );

    beforeAll(async () => {
      ownerPool = makePool(t.db.ownerUrl, 4, "test-worker");
      unregister.push(registerPool("worker", ownerPool), registerWorkerQueue(ownerPool));
      runner = await startWorker({
        pool: ownerPool,
        concurrency: 1,
        pollInterval: 200,
        taskList: {
          test__ok: async () => {},
          test__boom: () => Promise.reject(new Error("boom (expected by the test)")),
        },
      });
    });
    afterAll(async () => {
      await runner?.stop();
      for (const u of unregister) u();
      await ownerPool?.end();
    });

    it("counts finished jobs by task and outcome", async () => {
      const jobs = (s: Scrape, task: string, outcome: string) =>
        s.value("forgeline_worker_jobs_total", { task, outcome });
      const before = await scrape(ctx);
      await addJob("test__ok");
      await addJob("test__boom", "now()", 1);
      const after = await until("both jobs", async () => {
        const s = await scrape(ctx);
        return jobs(s, "test__ok", "success") - jobs(before, "test__ok", "success") >= 1 &&
          jobs(s, "test__boom", "failure") - jobs(before, "test__boom", "failure") >= 1
          ? s
          : undefined;
      });
      expect(jobs(after, "test__ok", "success") - jobs(before, "test__ok", "success")).toBe(1);
      expect(jobs(after, "test__boom", "failure") - jobs(before, "test__boom", "failure")).toBe(1);
      expect(jobs(after, "test__boom", "success")).toBe(0);
      expect(
        after.get("forgeline_db_pool_connections", { pool: "worker", state: "total" }),
      ).toBeGreaterThan(0);
    });

    it("reports the jobs waiting to run and the oldest one's age", async () => {
      await runner?.stop();
      runner = undefined;
      const before = await scrape(ctx);
      expect(before.get("forgeline_worker_jobs_queued", { task: "test__ok" })).toBe(0);
      await addJob("test__ok", "now() - interval '90 seconds'");
      await addJob("test__ok", "now() - interval '10 seconds'");
      await addJob("test__ok", "now() + interval '1 hour'"); // not due: not queued
      const s = await scrape(ctx);
      expect(s.get("forgeline_worker_jobs_queued", { task: "test__ok" })).toBe(2);
      // The failed job ran out of attempts: it is not waiting to run.
      expect(s.get("forgeline_worker_jobs_queued", { task: "test__boom" })).toBe(0);
      const oldest = s.value("forgeline_worker_queue_oldest_seconds");
      expect(oldest).toBeGreaterThanOrEqual(90);
      expect(oldest).toBeLessThan(120);
    });
  });
});
