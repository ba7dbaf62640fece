/**
 * The pipelines' live-status notifications (functions/pipelines/notify.sql),
 * heard on a raw LISTEN connection as the API's subscriber hears them: one
 * NOTIFY per statement and organization, on the channel `pipelines:<org>`, its
 * payload `{"executions": [ids]}` — a statement that touches the 8 steps of a
 * run sends one, and so does one over the steps of two runs (naming both: a
 * trigger per row would send two, which PostgreSQL would not fold into one as
 * it folds identical payloads of a transaction); more than 100 executions go in chunks of 100, each under
 * NOTIFY's 8000 bytes; one statement over two organizations sends one on each
 * organization's channel; a rolled-back statement sends none. A transaction
 * that notifies commits synchronously, as any other: durable when COMMIT
 * returns (why it is not made asynchronous: functions/pipelines/notify.sql).
 *
 * When everything has arrived is known, not waited for: before and after the
 * statements under test, a marker is sent on each channel from a transaction
 * of its own, and PostgreSQL delivers a listener its notifications in commit
 * order.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { asActor, createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";

const CHANNEL = (orgId: string) => `pipelines:${orgId}`;
/** The payloads of this file's own markers (see barrier()). */
const MARKER = "marker-";
/** NOTIFY refuses a payload of 8000 bytes or more. */
const MAX_PAYLOAD = 8000;

interface Heard {
  channel: string;
  payload: string;
}

describe("pipeline notifications", () => {
  const t = useTestDatabase();
  let a: OrgFixture;
  let b: OrgFixture;
  let listener: pg.Client;
  const heard: Heard[] = [];
  /** The execution of each organization, started with 8 steps. */
  const run: Record<"a" | "b", string> = { a: "", b: "" };
  const pipelineOf: Record<"a" | "b", string> = { a: "", b: "" };

  /** A repository and a pipeline of 8 steps in `org`, and one run of it (as its member). */
  async function eightSteps(org: OrgFixture, label: string) {
    const admin = { orgId: org.orgId, userId: org.users.admin };
    const pipeline = await asActor(
      t,
      admin,
      async (c) => {
        const repo = await c.query<{ id: string }>(
          `insert into app_public.repositories (provider, full_name, clone_url)
           values ('github', $1, $2) returning id`,
          [`${label}/app`, `https://github.com/${label}/app.git`],
        );
        const steps = Array.from({ length: 8 }, (_, i) => ({ name: `step-${i + 1}` }));
        const created = await c.query<{ id: string }>(
          `insert into app_public.pipelines (repository_id, name, definition)
           values ($1, 'eight', $2) returning id`,
          [repo.rows[0]!.id, JSON.stringify({ steps })],
        );
        return created.rows[0]!.id;
      },
      { commit: true },
    );
    const execution = await asActor(
      t,
      { orgId: org.orgId, userId: org.users.member },
      async (c) =>
        (
          await c.query<{ id: string }>(
            "select id from app_public.start_execution($1, 'push', 'main')",
            [pipeline],
          )
        ).rows[0]!.id,
      { commit: true },
    );
    return { pipeline, execution };
  }

  let markers = 0;
  /**
   * Sends a marker on both channels and waits for both: PostgreSQL delivers a
   * listener its notifications in commit order, so everything committed before
   * has then been heard.
   */
  async function barrier(): Promise<void> {
    const marker = `${MARKER}${++markers}`;
    for (const org of [a, b]) {
      await t.root.query("select pg_notify($1, $2)", [CHANNEL(org.orgId), marker]);
    }
    const deadline = Date.now() + 10_000;
    while (heard.filter((h) => h.payload === marker).length < 2) {
      if (Date.now() > deadline) throw new Error(`the marker ${marker} never arrived`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Runs `statements` (each in its own transaction, as the superuser: trusted
   * code, across organizations where it says so) and returns what the listener
   * heard because of them, in order, with the rows each statement touched.
   */
  async function hear(
    statements: Array<[string, unknown[]?]>,
  ): Promise<{ got: Heard[]; rows: Array<number | null> }> {
    await barrier(); // what earlier commits (the setup) sent is not theirs
    heard.length = 0;
    const rows: Array<number | null> = [];
    for (const [sql, params] of statements) rows.push((await t.root.query(sql, params)).rowCount);
    await barrier();
    return { got: heard.filter((h) => !h.payload.startsWith(MARKER)), rows };
  }

  const executionsOf = (h: Heard) => (JSON.parse(h.payload) as { executions: string[] }).executions;

  beforeAll(async () => {
    a = await createOrg(t, "notify-a");
    b = await createOrg(t, "notify-b");
    const ran = await Promise.all([eightSteps(a, "notify-a"), eightSteps(b, "notify-b")]);
    [pipelineOf.a, run.a] = [ran[0].pipeline, ran[0].execution];
    [pipelineOf.b, run.b] = [ran[1].pipeline, ran[1].execution];
    listener = await t.client(t.db.rootDbUrl);
    listener.on("notification", (n) =>
      heard.push({ channel: n.channel, payload: n.payload ?? "" }),
    );
    await listener.query(`listen "${CHANNEL(a.orgId)}"`);
    await listener.query(`listen "${CHANNEL(b.orgId)}"`);
  });

  it("sends one notification, listing both runs, for a statement over the 16 steps of two runs", async () => {
    // Identical payloads of one transaction are folded into one by PostgreSQL, so a
    // trigger per row would pass the test above; with two runs it would send two.
    const second = await asActor(
      t,
      { orgId: a.orgId, userId: a.users.member },
      async (c) =>
        (
          await c.query<{ id: string }>(
            "select id from app_public.start_execution($1, 'push', 'main')",
            [pipelineOf.a],
          )
        ).rows[0]!.id,
      { commit: true },
    );
    const { got, rows } = await hear([
      [
        "update app_public.pipeline_steps set metrics = '{}' where execution_id = any ($1::uuid[])",
        [[run.a, second]],
      ],
    ]);
    expect(rows).toEqual([16]);
    expect(got.map((h) => [h.channel, JSON.parse(h.payload) as unknown])).toEqual([
      [CHANNEL(a.orgId), { executions: [run.a, second].sort() }],
    ]);
  });

  it("sends one notification for a statement that touches the 8 steps of a run", async () => {
    const { got, rows } = await hear([
      [
        "update app_public.pipeline_steps set metrics = '{\"seen\": 1}' where execution_id = $1",
        [run.a],
      ],
    ]);
    expect(rows).toEqual([8]);
    expect(got.map((h) => [h.channel, JSON.parse(h.payload) as unknown])).toEqual([
      [CHANNEL(a.orgId), { executions: [run.a] }],
    ]);
  });

  it("sends one per statement, not per row, and none for a statement rolled back", async () => {
    const { got } = await hear([
      // Two statements: two notifications (each the execution's id once).
      ["update app_public.pipeline_steps set metrics = '{}' where execution_id = $1", [run.a]],
      ["update app_public.pipeline_executions set trigger_metadata = '{}' where id = $1", [run.a]],
      // Rolled back: nothing is delivered.
      [
        `do $$ begin
           update app_public.pipeline_steps set metrics = '{"never": true}'
            where execution_id = '${run.a}';
           raise exception 'roll back' using errcode = 'P0001';
         exception when sqlstate 'P0001' then null; end $$`,
      ],
    ]);
    expect(got.map((h) => [h.channel, executionsOf(h)])).toEqual([
      [CHANNEL(a.orgId), [run.a]],
      [CHANNEL(a.orgId), [run.a]],
    ]);
  });

  it("splits a statement over more than 100 executions into chunks of 100 under 8000 bytes", async () => {
    const { got } = await hear([
      // 250 executions in one statement, then one step for each in another.
      [
        `insert into app_public.pipeline_executions
           (organization_id, pipeline_id, repository_id, run_id, event, branch, timeout_minutes,
            trigger_metadata)
         select p.organization_id, p.id, p.repository_id, gen_random_uuid(), 'push', 'main', 60,
                jsonb_build_object('bulk', i)
           from app_public.pipelines p, generate_series(1, 250) i
          where p.id = $1`,
        [pipelineOf.a],
      ],
      [
        `insert into app_public.pipeline_steps
           (organization_id, execution_id, execution_created_at, name, "position", timeout_minutes)
         select e.organization_id, e.id, e.created_at, 'only', 0, 10
           from app_public.pipeline_executions e
          where e.pipeline_id = $1 and e.trigger_metadata ? 'bulk'`,
        [pipelineOf.a],
      ],
    ]);
    const bulk = (
      await t.root.query<{ id: string }>(
        `select id from app_public.pipeline_executions
          where pipeline_id = $1 and trigger_metadata ? 'bulk' order by id`,
        [pipelineOf.a],
      )
    ).rows.map((r) => r.id);
    expect(bulk).toHaveLength(250);
    // Three chunks for the executions' statement, three for the steps'.
    expect(got.map((h) => [h.channel, executionsOf(h).length])).toEqual(
      [100, 100, 50, 100, 100, 50].map((n) => [CHANNEL(a.orgId), n]),
    );
    for (const h of got) expect(Buffer.byteLength(h.payload)).toBeLessThan(MAX_PAYLOAD);
    for (const statement of [got.slice(0, 3), got.slice(3)]) {
      // Each execution of the statement exactly once, across its chunks.
      expect(statement.flatMap(executionsOf).sort()).toEqual(bulk);
    }
  });

  it("leaves a notifying transaction's commit synchronous (durable when COMMIT returns)", async () => {
    const c = await t.root.connect();
    const setting = async () =>
      (await c.query<{ value: string }>("select current_setting('synchronous_commit') as value"))
        .rows[0]!.value;
    try {
      await c.query("set synchronous_commit = on");
      await c.query("begin");
      await c.query("update app_public.pipeline_steps set metrics = '{}' where execution_id = $1", [
        run.a,
      ]);
      await c.query(
        "update app_public.pipeline_executions set trigger_metadata = '{}' where id = $1",
        [run.b],
      );
      // Both statements notified; nothing turned the commit's WAL flush off (000014 did).
      expect(await setting()).toBe("on");
      await c.query("commit");
      expect(await setting()).toBe("on");
    } finally {
      await c.query("reset synchronous_commit");
      c.release();
    }
  });

  it("sends one per organization, each on its own channel, for a statement over two", async () => {
    const { got, rows } = await hear([
      [
        "update app_public.pipeline_steps set metrics = '{}' where execution_id = any ($1::uuid[])",
        [[run.a, run.b]],
      ],
    ]);
    expect(rows).toEqual([16]);
    expect(
      got
        .map((h) => [h.channel, executionsOf(h)])
        .sort(([x], [y]) => String(x).localeCompare(String(y))),
    ).toEqual(
      [
        [CHANNEL(a.orgId), [run.a]],
        [CHANNEL(b.orgId), [run.b]],
      ].sort(([x], [y]) => String(x).localeCompare(String(y))),
    );
  });
});
