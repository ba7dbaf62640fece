/**
 * The task rules that must hold under concurrent transactions, each tried by
 * parallel clients on their own connections, committing, many rounds: task
 * numbers are unique and gap-free under a burst of inserts into one project;
 * the two halves of a blocking cycle never both go in; two moves that would put
 * two tasks under each other never both go in; a task moved to the root while
 * another is added or moved under its subtree leaves no stale path; and the
 * closure table stays the closure of the parent ids. A parent whose last two
 * open children finish in concurrent transactions completes (with the project's
 * auto_complete_parents), and so does the grandparent. Archiving a project and
 * writing its tasks are serialised: a write that waited for the archiving is
 * refused (FL102), and an archiving that waited for a write lets it finish.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asActor, createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";

const ROUNDS = 10;

describe("task rules under concurrency", () => {
  const t = useTestDatabase();
  let org: OrgFixture;
  let project: string;

  const asMember = <T>(fn: (c: import("pg").ClientBase) => Promise<T>) =>
    asActor(t, { orgId: org.orgId, userId: org.users.member }, fn, { commit: true });

  const newTask = async (title: string, parentId: string | null = null) =>
    asMember(async (c) => {
      const { rows } = await c.query<{ id: string }>(
        "insert into app_public.tasks (project_id, parent_id, title) values ($1, $2, $3) returning id",
        [project, parentId, title],
      );
      return rows[0]!.id;
    });

  /** A statement, its parameters, and who runs it (the member unless given). */
  type Step = [sql: string, params: unknown[], userId?: string];

  /**
   * Runs `first` and `second` in two transactions that truly overlap: `first`
   * does its statement and stays open while `second` runs its own (which either
   * finishes or waits on a lock), then `first` commits and `second` finishes.
   * Without a lock serialising the rule, `second` cannot see `first`'s change
   * and both would go in.
   */
  async function overlapping(first: Step, second: Step) {
    const [a, b] = [await t.root.connect(), await t.root.connect()];
    const settle = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: { code?: string }) => String(e.code),
      );
    try {
      for (const [c, step] of [
        [a, first],
        [b, second],
      ] as const) {
        await c.query("begin");
        await c.query("select app_private.act_as_user('racer', $1, $2)", [
          org.orgId,
          step[2] ?? org.users.member,
        ]);
      }
      const firstOutcome = await settle(a.query(first[0], first[1]));
      const pid = (await b.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
      let secondDone = false;
      const secondOutcome = settle(b.query(second[0], second[1])).finally(
        () => (secondDone = true),
      );
      for (let i = 0; i < 100 && !secondDone; i++) {
        const { rows } = await t.root.query<{ w: string | null }>(
          "select wait_event_type as w from pg_stat_activity where pid = $1",
          [pid],
        );
        if (rows[0]?.w === "Lock") break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await a.query(firstOutcome === "ok" ? "commit" : "rollback");
      const outcome2 = await secondOutcome;
      await b.query(outcome2 === "ok" ? "commit" : "rollback");
      return [firstOutcome, outcome2];
    } finally {
      a.release();
      b.release();
    }
  }

  /** Paths the closure table lacks, and paths it has in excess, against the parent ids. */
  const closureDrift = async () =>
    (
      await t.root.query<{ missing: number; extra: number }>(
        `with recursive up (ancestor_id, descendant_id, depth) as (
           select id, id, 0 from app_public.tasks where organization_id = $1
           union all
           select t.parent_id, up.descendant_id, up.depth + 1
             from up join app_public.tasks t on t.id = up.ancestor_id where t.parent_id is not null),
         closure as (select ancestor_id, descendant_id, depth from app_public.task_hierarchy_paths
                      where organization_id = $1)
         select (select count(*) from (select * from up except select * from closure) x)::int as missing,
                (select count(*) from (select * from closure except select * from up) x)::int as extra`,
        [org.orgId],
      )
    ).rows[0];

  const newProject = (key: string) =>
    asActor(
      t,
      { orgId: org.orgId, userId: org.users.admin },
      async (c) =>
        (
          await c.query<{ id: string }>(
            "insert into app_public.projects (key, name) values ($1, $1) returning id",
            [key],
          )
        ).rows[0]!.id,
      { commit: true },
    );

  beforeAll(async () => {
    org = await createOrg(t, "task-races");
    project = await asActor(
      t,
      { orgId: org.orgId, userId: org.users.admin },
      async (c) =>
        (
          await c.query<{ id: string }>(
            "insert into app_public.projects (key, name) values ('RACE', 'Races') returning id",
          )
        ).rows[0]!.id,
      { commit: true },
    );
  });

  it("numbers a burst of parallel inserts into one project 1…N, each once", async () => {
    // A pool of 4 connections, 20 inserts waiting for them: real overlap.
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => newTask(`Burst ${i}`)));
    const { rows } = await t.root.query<{ number: number }>(
      "select number from app_public.tasks where id = any($1) order by number",
      [ids],
    );
    expect(rows.map((r) => r.number)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("never lets both halves of a blocking cycle in", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await newTask(`Cycle A ${round}`);
      const b = await newTask(`Cycle B ${round}`);
      const link =
        "insert into app_public.task_dependencies (dependent_id, dependency_id) values ($1, $2)";
      const outcomes = await overlapping([link, [a, b]], [link, [b, a]]);
      expect(outcomes, `round ${round}`).toEqual(["ok", "FL106"]);
    }
  });

  it("never lets two moves put two tasks under each other", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await newTask(`Move A ${round}`);
      const b = await newTask(`Move B ${round}`);
      const move = "update app_public.tasks set parent_id = $2 where id = $1";
      const outcomes = await overlapping([move, [a, b]], [move, [b, a]]);
      expect(outcomes, `round ${round}`).toEqual(["ok", "FL104"]);
    }
    // And the closure table is still exactly the closure of the parent ids.
    expect(await closureDrift()).toEqual({ missing: 0, extra: 0 });
  });

  it("leaves no stale path when a task moves to the root while its subtree changes", async () => {
    // P ─ X ─ D, and Z elsewhere: X goes to the root while, in the other
    // transaction, a new task is added under D or Z moves under D (each in both
    // orders). Every path from P to what ends up under D must be gone.
    const toRoot = "update app_public.tasks set parent_id = null where id = $1";
    const addUnder =
      "insert into app_public.tasks (project_id, parent_id, title) values ($2, $1, 'Late child')";
    const moveUnder = "update app_public.tasks set parent_id = $1 where id = $2";
    for (let round = 0; round < ROUNDS; round++) {
      const p = await newTask(`Root P ${round}`);
      const x = await newTask(`X ${round}`, p);
      const d = await newTask(`D ${round}`, x);
      const z = await newTask(`Z ${round}`);
      const move: Step = [toRoot, [x]];
      const other: Step = round % 2 === 0 ? [addUnder, [d, project]] : [moveUnder, [d, z]];
      const outcomes =
        round % 4 < 2 ? await overlapping(move, other) : await overlapping(other, move);
      expect(outcomes, `round ${round}`).toEqual(["ok", "ok"]);
      expect(await closureDrift(), `round ${round}`).toEqual({ missing: 0, extra: 0 });
    }
  });

  it("completes a parent whose last open children finish in concurrent transactions", async () => {
    // With auto_complete_parents, P ─ a, b and G ─ P1 ─ c, G ─ P2 ─ d: a and b
    // (then c and d) finish in two overlapping transactions. Each saw the other
    // still open, and the parent never completed (#8): the parent's lock makes
    // the second wait for the first and see it. The second pair climbs: both
    // parents complete, and so must their parent.
    const proj = await newProject("AUTO");
    await asActor(
      t,
      { orgId: org.orgId, userId: org.users.admin },
      (c) =>
        c.query(
          `update app_public.projects set settings = '{"auto_complete_parents": true}' where id = $1`,
          [proj],
        ),
      { commit: true },
    );
    const task = (title: string, parentId: string | null = null) =>
      asMember(async (c) => {
        const { rows } = await c.query<{ id: string }>(
          `insert into app_public.tasks (project_id, parent_id, title, status)
           values ($1, $2, $3, 'in_progress') returning id`,
          [proj, parentId, title],
        );
        return rows[0]!.id;
      });
    const status = async (id: string) =>
      (
        await t.root.query<{ status: string }>(
          "select status from app_public.tasks where id = $1",
          [id],
        )
      ).rows[0]!.status;
    const finish = "update app_public.tasks set status = 'done' where id = $1";
    for (let round = 0; round < ROUNDS; round++) {
      const p = await task(`Parent ${round}`);
      const [a, b] = [await task(`A ${round}`, p), await task(`B ${round}`, p)];
      const g = await task(`Grandparent ${round}`);
      const [p1, p2] = [await task(`P1 ${round}`, g), await task(`P2 ${round}`, g)];
      const [c, d] = [await task(`C ${round}`, p1), await task(`D ${round}`, p2)];
      const [first, second] = round % 2 === 0 ? [a, b] : [b, a];
      expect(await overlapping([finish, [first]], [finish, [second]]), `round ${round}`).toEqual([
        "ok",
        "ok",
      ]);
      expect(await status(p), `round ${round}: the parent`).toBe("done");
      const [third, fourth] = round % 2 === 0 ? [c, d] : [d, c];
      expect(await overlapping([finish, [third]], [finish, [fourth]]), `round ${round}`).toEqual([
        "ok",
        "ok",
      ]);
      expect(
        [await status(p1), await status(p2), await status(g)],
        `round ${round}: both parents and theirs`,
      ).toEqual(["done", "done", "done"]);
    }
  });

  it("serialises archiving a project with writes to its tasks", async () => {
    const archive = "update app_public.projects set status = 'archived' where id = $1";
    for (let round = 0; round < ROUNDS; round++) {
      const proj = await newProject(`AR${round}`);
      const [a, b, c] = await Promise.all(
        ["A", "B", "C"].map((n) =>
          asMember(async (cl) => {
            const { rows } = await cl.query<{ id: string }>(
              "insert into app_public.tasks (project_id, title) values ($1, $2) returning id",
              [proj, `${n} ${round}`],
            );
            return rows[0]!.id;
          }),
        ),
      );
      const writes: Step[] = [
        ["insert into app_public.tasks (project_id, title) values ($1, 'Late')", [proj]],
        ["update app_public.tasks set title = 'Renamed' where id = $1", [a]],
        ["update app_public.tasks set parent_id = $2 where id = $1", [a, b]],
        ["delete from app_public.tasks where id = $1", [c], org.users.admin],
        [
          "insert into app_public.task_dependencies (dependent_id, dependency_id) values ($1, $2)",
          [a, c],
        ],
      ];
      const write = writes[round % writes.length]!;
      const archiving: Step = [archive, [proj], org.users.admin];
      // Archived first: the write waited for it and is refused.
      expect(await overlapping(archiving, write), `round ${round}: archive, then write`).toEqual([
        "ok",
        "FL102",
      ]);
      // Written first: the archiving waited for the write, which went in.
      await asActor(
        t,
        { orgId: org.orgId, userId: org.users.admin },
        (cl) => cl.query("update app_public.projects set status = 'active' where id = $1", [proj]),
        { commit: true },
      );
      expect(await overlapping(write, archiving), `round ${round}: write, then archive`).toEqual([
        "ok",
        "ok",
      ]);
    }
  });
});
