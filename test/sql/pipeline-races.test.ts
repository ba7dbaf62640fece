/**
 * The pipeline rules that must hold under concurrent calls, each tried by
 * parallel clients on their own connections, committing, many rounds:
 * no more executions run than the pipeline's concurrency_limit and none starts
 * twice, a freed slot goes to exactly one queued execution, a concurrency group
 * keeps one running and one pending, a step starts once, an execution whose
 * last two steps finish together completes once, and a run is re-run once.
 * Each rule is also shown deterministically: a second transaction that
 * overlaps the first waits for it (the repository's run lock) instead of
 * acting on what it cannot see yet.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { asUser } from "../../src/db/session.ts";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";

const ROUNDS = 8;
const CLIENTS = 8;

describe("pipeline rules under concurrency", () => {
  const t = useTestDatabase();
  let org: OrgFixture;
  let pool: pg.Pool;
  let repository: string;

  /** Runs `fn` as the organization's member on its own connection, committed. */
  const asMember = <T>(fn: (c: pg.ClientBase) => Promise<T>) =>
    asUser(pool, { sub: "racer", orgId: org.orgId, userId: org.users.member }, fn);
  const settle = (p: Promise<unknown>) =>
    p.then(
      () => "ok",
      (e: { code?: string }) => String(e.code),
    );

  const newPipeline = async (
    name: string,
    options: { limit?: number; group?: string; cancel?: boolean; steps?: unknown[] } = {},
  ) =>
    asUser(pool, { sub: "admin", orgId: org.orgId, userId: org.users.admin }, async (c) => {
      const { rows } = await c.query<{ id: string }>(
        `insert into app_public.pipelines
           (repository_id, name, definition, concurrency_limit, concurrency_group, cancel_in_progress)
         values ($1, $2, $3, $4, $5, $6) returning id`,
        [
          repository,
          name,
          JSON.stringify({ steps: options.steps ?? [{ name: "build" }] }),
          options.limit ?? null,
          options.group ?? null,
          options.cancel ?? false,
        ],
      );
      return rows[0]!.id;
    });

  const start = (pipeline: string, branch = "main") =>
    asMember(async (c) => {
      const { rows } = await c.query<{ id: string; status: string }>(
        "select id, status from app_public.start_execution($1, 'push', $2)",
        [pipeline, branch],
      );
      return rows[0]!;
    });

  const statuses = async (pipeline: string) =>
    (
      await t.root.query<{ id: string; status: string; conclusion: string | null }>(
        `select id, status::text, conclusion::text from app_public.pipeline_executions
          where pipeline_id = $1 order by created_at, id`,
        [pipeline],
      )
    ).rows;

  /** Runs every step of a running execution to `conclusion`, in order, as a runner would. */
  const finish = (execution: string, conclusion = "success") =>
    asMember(async (c) => {
      for (;;) {
        const { rows } = await c.query<{ id: string }>(
          "select id from app_public.ready_steps($1)",
          [execution],
        );
        if (rows.length === 0) return;
        for (const { id } of rows) {
          await c.query("select app_public.start_step($1)", [id]);
          await c.query("select app_public.complete_step($1, $2)", [id, conclusion]);
        }
      }
    });

  /**
   * Two transactions that truly overlap: `first` runs and stays open while
   * `second` runs (finishing, or waiting on a lock), then `first` commits and
   * `second` finishes. Returns whether `second` had to wait, and both outcomes.
   */
  async function overlapping(first: [string, unknown[]], second: [string, unknown[]]) {
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      for (const c of [a, b]) {
        await c.query("begin");
        await c.query("select app_private.act_as_user('racer', $1, $2)", [
          org.orgId,
          org.users.member,
        ]);
      }
      const firstOutcome = await settle(a.query(...first));
      const pid = (await b.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
      let secondDone = false;
      const secondOutcome = settle(b.query(...second)).finally(() => (secondDone = true));
      let waited = false;
      for (let i = 0; i < 200 && !secondDone && !waited; i++) {
        const { rows } = await t.root.query<{ w: string | null }>(
          "select wait_event_type as w from pg_stat_activity where pid = $1",
          [pid],
        );
        waited = rows[0]?.w === "Lock";
        if (!waited) await new Promise((r) => setTimeout(r, 10));
      }
      await a.query(firstOutcome === "ok" ? "commit" : "rollback");
      const outcome = await secondOutcome;
      await b.query(outcome === "ok" ? "commit" : "rollback");
      return { waited, first: firstOutcome, second: outcome };
    } finally {
      a.release();
      b.release();
    }
  }

  beforeAll(async () => {
    pool = t.pool(t.db.rootDbUrl, CLIENTS + 2);
    org = await createOrg(t, "races");
    repository = await asUser(
      pool,
      { sub: "admin", orgId: org.orgId, userId: org.users.admin },
      async (c) =>
        (
          await c.query<{ id: string }>(
            `insert into app_public.repositories (provider, full_name, clone_url)
             values ('github', 'races/app', 'https://github.com/races/app.git') returning id`,
          )
        ).rows[0]!.id,
    );
  });

  it("never runs more than concurrency_limit, and gives each freed slot to one queued execution", async () => {
    const pipeline = await newPipeline("limited", { limit: 2 });
    for (let round = 0; round < ROUNDS; round++) {
      // A burst of starts, and completions of what runs, all at once.
      const running = (await statuses(pipeline)).filter((e) => e.status === "in_progress");
      const outcomes = await Promise.all([
        ...Array.from({ length: CLIENTS - running.length }, () => settle(start(pipeline))),
        ...running.map((e) => settle(finish(e.id))),
      ]);
      expect(outcomes.every((o) => o === "ok")).toBe(true);
      const now = await statuses(pipeline);
      const inProgress = now.filter((e) => e.status === "in_progress").length;
      const queued = now.filter((e) => e.status === "queued").length;
      expect(inProgress).toBeLessThanOrEqual(2);
      // No slot left idle while something waits for one.
      expect(inProgress === 2 || queued === 0).toBe(true);
    }
    // Every execution that completed ran exactly once: started, then completed.
    const { rows } = await t.root.query<{ bad: number }>(
      `select count(*)::int as bad from app_public.pipeline_executions
        where pipeline_id = $1 and status = 'completed'
          and (started_at is null or conclusion <> 'success')`,
      [pipeline],
    );
    expect(rows[0]!.bad).toBe(0);
  });

  it("makes an overlapping start wait for the first one's commit (the run lock)", async () => {
    const pipeline = await newPipeline("one-at-a-time", { limit: 1 });
    const sql = "select status from app_public.start_execution($1)";
    const result = await overlapping([sql, [pipeline]], [sql, [pipeline]]);
    expect(result).toEqual({ waited: true, first: "ok", second: "ok" });
    expect((await statuses(pipeline)).map((e) => e.status)).toEqual(["in_progress", "queued"]);
  });

  it("keeps one running and one pending per concurrency group under a burst of triggers", async () => {
    const pipeline = await newPipeline("deploy", { group: "deploy-{branch}" });
    for (let round = 0; round < ROUNDS; round++) {
      const burst = new Set(
        (await Promise.all(Array.from({ length: CLIENTS }, () => start(pipeline, "main")))).map(
          (e) => e.id,
        ),
      );
      const now = (await statuses(pipeline)).filter((e) => burst.has(e.id));
      const active = now.filter((e) => e.status !== "completed");
      expect(active.filter((e) => e.status === "in_progress")).toHaveLength(1);
      expect(active.filter((e) => e.status === "waiting")).toHaveLength(1);
      expect(active).toHaveLength(2);
      // Everything replaced ended cancelled.
      expect(now.filter((e) => e.status === "completed").map((e) => e.conclusion)).toEqual(
        Array(CLIENTS - 2).fill("cancelled"),
      );
      // The pending one is the newest trigger.
      expect(now.at(-1)!.status).toBe("waiting");
      // Finish the running one: the pending one takes its place.
      await finish(active.find((e) => e.status === "in_progress")!.id);
      const after = await statuses(pipeline);
      expect(after.filter((e) => e.status === "in_progress").map((e) => e.id)).toEqual([
        active.find((e) => e.status === "waiting")!.id,
      ]);
      await finish(after.find((e) => e.status === "in_progress")!.id);
    }
  });

  it("starts a step once when two runners race for it", async () => {
    const pipeline = await newPipeline("steps", { steps: [{ name: "build" }] });
    for (let round = 0; round < ROUNDS; round++) {
      const execution = await start(pipeline);
      const step = (
        await t.root.query<{ id: string }>(
          "select id from app_public.pipeline_steps where execution_id = $1",
          [execution.id],
        )
      ).rows[0]!.id;
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, () =>
          settle(asMember((c) => c.query("select app_public.start_step($1)", [step]))),
        ),
      );
      expect(outcomes.sort()).toEqual(["FL202", "FL202", "FL202", "ok"]);
      await finish(execution.id);
      await asMember((c) => c.query("select app_public.complete_step($1, 'success')", [step]));
    }
  });

  it("completes an execution once when its last two steps finish together, and starts the next queued once", async () => {
    const pipeline = await newPipeline("fan-in", {
      limit: 1,
      steps: [{ name: "a" }, { name: "b" }],
    });
    for (let round = 0; round < ROUNDS; round++) {
      const first = await start(pipeline);
      const second = await start(pipeline);
      expect([first.status, second.status]).toEqual(["in_progress", "queued"]);
      const steps = (
        await asMember((c) =>
          c.query<{ id: string }>("select id from app_public.ready_steps($1)", [first.id]),
        )
      ).rows.map((r) => r.id);
      await asMember(async (c) => {
        for (const id of steps) await c.query("select app_public.start_step($1)", [id]);
      });
      const outcomes = await Promise.all(
        steps.map((id) =>
          settle(asMember((c) => c.query("select app_public.complete_step($1, 'success')", [id]))),
        ),
      );
      expect(outcomes).toEqual(["ok", "ok"]);
      const now = new Map((await statuses(pipeline)).map((e) => [e.id, e]));
      expect(now.get(first.id)).toMatchObject({ status: "completed", conclusion: "success" });
      expect(now.get(second.id)!.status).toBe("in_progress");
      await finish(second.id);
    }
  });

  it("re-runs a run once when two clients race to re-run it", async () => {
    const pipeline = await newPipeline("rerun");
    for (let round = 0; round < ROUNDS; round++) {
      const execution = await start(pipeline);
      await finish(execution.id, "failure");
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, () =>
          settle(asMember((c) => c.query("select app_public.rerun_execution($1)", [execution.id]))),
        ),
      );
      expect(outcomes.sort()).toEqual(["FL207", "FL207", "FL207", "ok"]);
      const { rows } = await t.root.query<{ attempts: number[] }>(
        "select array_agg(attempt order by attempt) as attempts from app_public.pipeline_executions where run_id = $1",
        [execution.id],
      );
      expect(rows[0]!.attempts).toEqual([1, 2]);
      const latest = (
        await t.root.query<{ id: string }>(
          "select id from app_public.pipeline_executions where run_id = $1 and attempt = 2",
          [execution.id],
        )
      ).rows[0]!.id;
      await finish(latest);
    }
  });
});
