/**
 * Tasks (module 3): the task tree, the blocking graph and the planning
 * functions on a tenant of 100,000 tasks, measured
 *
 *   - in the database, as a member of the big organization (asUser: the claims
 *     as settings, then the visitor role under RLS), each against a baseline
 *     with RLS bypassed (as the superuser: the SQL written out, or the same
 *     function with the member's settings, `bypassRls`): the 10-level subtree
 *     (task_descendants), transitive blockers in a 500-task and in a dense
 *     5,000-task project (task_blockers), ready tasks (ready_tasks), critical
 *     paths (task_critical_path; the dense one only if one call, timed at build
 *     time, takes at most 5 s), and writes rolled back after each call (a
 *     `blocks` edge with its cycle check, both ways, a move of the 1,023-task
 *     subtree, a new subtask), so every call sees the dataset as it was built;
 *   - over GraphQL: the original design's load mix, three task-list reads to one
 *     task create (committed, in a project no database-level scenario reads),
 *     and taskDescendants of the subtree, compared with its database-level
 *     scenario.
 *
 * Dataset (deterministic: every id, shape and value comes from row numbers):
 *
 *   - 10,000 small organizations of its own (slugs `bench-tasks-org-<n>`, so it
 *     shares the scratch database with the users set), each with an owner, one
 *     project and 10 tasks (a heap-shaped tree, 2 `blocks` edges per task);
 *   - one big organization (`bench-tasks-org-0`) with 200 users and 100,000
 *     tasks in 25 projects: P1 has 500 tasks, P2 is the dense 5,000-task
 *     project, P3…P24 have 4,095 and P25 4,410. A project's tasks form
 *     heap-shaped trees of up to 4,095 tasks (12 levels: the parent of local
 *     node k is k/2, see treeNode); task j has 2 `blocks` edges to earlier tasks
 *     of its project, within the 50 tasks before it (200 in P2), so the graph
 *     is acyclic and a late task has hundreds (P1) or thousands (P2) of
 *     transitive blockers. Statuses go by position so that no finished task waits
 *     for an open one: the first 30 % of a project are done (1 in 20 cancelled),
 *     the next 10 % in progress, in review, todo or backlog (those of them whose
 *     blockers are all finished are the ready tasks), the rest todo or backlog.
 *
 * It is written as the superuser with set-based SQL in batches, bypassing every
 * trigger (session_replication_role = replica) for speed, so it keeps the data
 * valid itself: the closure table (task_hierarchy_paths) is built from the same
 * formula as parent_id, every key is tenant-consistent, task numbers are unique
 * per project and each project's next_task_number follows its last task. The
 * integrity checks after the build (INTEGRITY_CHECKS) compare the closure with
 * parent_id and look for dangling references. No task_status_changes or audit
 * rows are written.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { asUser } from "../../src/db/session.ts";
import { inBatches, uuidOf } from "../dataset-tools.ts";
import { defineSet, SUPERUSER, type ApiServerSpec, type Row } from "../set.ts";

/** A heap-shaped tree of 12 levels: local nodes 1…4095, the parent of k is k/2. */
export const TREE_SIZE = 4095;

export interface ProjectShape {
  tasks: number;
  /** Each task's `blocks` edges point into the `window` tasks before it. */
  window: number;
}

export interface TasksDatasetSize {
  smallOrganizations: number;
  /** Tasks of each small organization's one project (all edges within it). */
  tasksPerSmallOrganization: number;
  /** Users of the big organization: 1 owner, every 20th an admin, every 10th a viewer, the rest members. */
  bigTenantUsers: number;
  /** The big organization's projects, P1, P2, …: P1 the 500-task, P2 the dense, P3 the subtree's, the last the mix's. */
  projects: ProjectShape[];
}

const P500: ProjectShape = { tasks: 500, window: 50 };
/*
 * The dense project: a wider window. With two edges per task the window sets
 * how far back a task's blockers reach in few steps; wider is not more: at 1,000
 * the last task had 1,199 transitive blockers (265 open), at 200 it has 3,562
 * (2,364 open, 27 levels).
 */
const DENSE: ProjectShape = { tasks: 5_000, window: 200 };
const TREE: ProjectShape = { tasks: TREE_SIZE, window: 50 };

export const FULL_DATASET: TasksDatasetSize = {
  smallOrganizations: 10_000,
  tasksPerSmallOrganization: 10,
  bigTenantUsers: 200,
  // 500 + 5,000 + 22 × 4,095 + 4,410 = 100,000 tasks.
  projects: [P500, DENSE, ...Array<ProjectShape>(22).fill(TREE), { tasks: 4_410, window: 50 }],
};

/** The same first three projects (so the same answers), one mix project, 1,000 small organizations. */
export const QUICK_DATASET: TasksDatasetSize = {
  smallOrganizations: 1_000,
  tasksPerSmallOrganization: 10,
  bigTenantUsers: 50,
  projects: [P500, DENSE, TREE, TREE],
};

/** Task `number` of a project: its tree (0-based) and its local node k in that tree (1…4095). */
export function treeNode(number: number): { tree: number; local: number } {
  return { tree: Math.floor((number - 1) / TREE_SIZE), local: ((number - 1) % TREE_SIZE) + 1 };
}

/** The number of the task's parent, or null for a tree's root. */
export function parentNumber(number: number): number | null {
  const { tree, local } = treeNode(number);
  return local === 1 ? null : tree * TREE_SIZE + Math.floor(local / 2);
}

/** Levels above the task in its tree (0: a root). */
export function depthOf(number: number): number {
  return Math.floor(Math.log2(treeNode(number).local));
}

/** The task and all its descendants in a project of `tasks` tasks. */
export function subtreeSize(number: number, tasks: number): number {
  const { tree, local } = treeNode(number);
  const treeTasks = Math.min(TREE_SIZE, tasks - tree * TREE_SIZE);
  let size = 0;
  // Level by level: the descendants of k at distance d are k·2^d … k·2^d + 2^d − 1.
  for (let first = local, width = 1; first <= treeTasks; first *= 2, width *= 2) {
    size += Math.min(first + width - 1, treeTasks) - first + 1;
  }
  return size;
}

/** The project's task numbers a scenario uses (see the data's description). */
const SUBTREE_ROOT = 4; // level 3 of P3's first tree (depth 2): 10 levels, 1,023 tasks
const SUBTREE_NEW_PARENT = 3; // its parent's sibling: the subtree keeps its depth
const INSERT_PARENT = 1024; // depth 10: a new subtask has 11 ancestors
const MIX_PARENT = 2;

export interface TasksData {
  size: TasksDatasetSize;
  orgId: string;
  ownerId: string;
  /** The member every scenario acts as. */
  memberId: string;
  projects: { p500: string; dense: string; tree: string; mix: string };
  subtree: {
    rootId: string;
    rootNumber: number;
    levels: number;
    /** With its root. */
    tasks: number;
    /** What task_descendants returns (the root excluded). */
    descendants: number;
    newParentId: string;
  };
  insertParentId: string;
  /** Counted independently (a recursive CTE) when the dataset was built. */
  blockers500: { taskId: string; number: number; open: number; all: number };
  blockersDense: { taskId: string; number: number; open: number; all: number };
  /** The rolled-back edge: an early task of P2 made to wait for a late one. */
  edge: {
    dependentId: string;
    dependentNumber: number;
    dependencyId: string;
    dependencyNumber: number;
    /** Tasks the cycle check visits (every transitive blocker of the dependency, finished or not). */
    visited: number;
  };
  readyDense: number;
  /**
   * One call of task_critical_path on P2 as the member, timed when the dataset
   * was built (null: cancelled at `timeoutMs`). The load runs it only when it is
   * under CRITICAL_DENSE_MAX_MS.
   */
  criticalDenseProbe: { ms: number | null; timeoutMs: number };
  mixParentId: string;
  counts: Record<string, number>;
  seconds: number;
}

const BIG = 0;
const orgKey = (n: string) => `'forgeline-bench/tasks/org/' || ${n}`;
const userKey = (n: string, k: string) => `'forgeline-bench/tasks/user/' || ${n} || '/' || ${k}`;
const projectKey = (n: string, p: string) =>
  `'forgeline-bench/tasks/project/' || ${n} || '/' || ${p}`;
const taskKey = (n: string, p: string, j: string) =>
  `'forgeline-bench/tasks/task/' || ${n} || '/' || ${p} || '/' || ${j}`;
/** 28 bits of the md5 of `h`, slot 0…3: a deterministic pseudo-random integer. */
const bits = (h: string, slot: number) => `('x' || substr(${h}, ${1 + 8 * slot}, 7))::bit(28)::int`;
/** Levels above local node k of a heap (floor(log2 k)), in integers. */
const depthSql = (k: string) => `(32 - position('1' in (${k})::bit(32)::text))`;

/*
 * A "spec" is the projects a batch writes: (org, p, size, win, users). The
 * small organizations' batches are ranges of organizations ($1…$2, one project
 * each of $3 tasks, edges within the $3 tasks before), the big one's ranges of
 * its projects ($1…$2 of the $3 sizes and $4 windows, $5 users).
 */
const SMALL_SPEC = `select n as org, 1 as p, $3::int as size, $3::int as win, 1 as users
                      from generate_series($1::int, $2::int) n`;
const BIG_SPEC = `select ${BIG} as org, p, ($3::int[])[p] as size, ($4::int[])[p] as win, $5::int as users
                    from generate_series($1::int, $2::int) p`;

const insertOrganizations = `
  insert into app_public.organizations (id, name, slug, created_at, updated_at)
  select ${uuidOf(orgKey("n"))},
         case when n = ${BIG} then 'Bench tasks organization (100,000 tasks)'
              else 'Bench tasks organization ' || n end,
         'bench-tasks-org-' || n, now(), now()
    from generate_series($1::int, $2::int) n`;

/* User 1 of every organization is its owner; in the big one ($3 users) every 20th is an admin, every 10th a viewer. */
const insertUsers = `
  insert into app_public.users (organization_id, id, email, name, role, created_at, updated_at)
  select ${uuidOf(orgKey("n"))}, ${uuidOf(userKey("n", "k"))},
         'user' || k || '@tasks-org-' || n || '.bench.example',
         'Bench tasks user ' || k || ' of organization ' || n,
         (case when k = 1 then 'owner' when k % 20 = 0 then 'admin'
               when k % 10 = 0 then 'viewer' else 'member' end)::app_public.user_role,
         now(), now()
    from generate_series($1::int, $2::int) n
   cross join lateral generate_series(1, case when n = ${BIG} then $3::int else 1 end) k`;

const insertProjects = (spec: string) => `
  with spec as (${spec})
  insert into app_public.projects
    (organization_id, id, key, name, description, lead_id, next_task_number, created_at, updated_at)
  select ${uuidOf(orgKey("s.org"))}, ${uuidOf(projectKey("s.org", "s.p"))}, 'P' || s.p,
         'Bench project ' || s.p, 'A project of ' || s.size || ' benchmark tasks',
         ${uuidOf(userKey("s.org", "1"))}, s.size + 1, now(), now()
    from spec s`;

const VERBS = `array['Fix', 'Add', 'Refactor', 'Test', 'Document', 'Design', 'Migrate', 'Speed up']`;
const NOUNS = `array['login', 'billing', 'search', 'pipeline', 'agents', 'webhooks', 'dashboard', 'exports', 'sync', 'alerts']`;

/*
 * Task j of a project: tree (j−1)/4095, local node k = (j−1)%4095 + 1, parent
 * k/2 of the same tree. Status by position (see the file's comment), the rest
 * from the md5 of the task's key: type (roots are epics), priority, assignee
 * (one in five unassigned), estimate (one in ten unestimated), due date.
 */
const insertTasks = (spec: string) => `
  with spec as (${spec}),
  t as (
    select s.org, s.p, s.size, s.users, j,
           (j - 1) / ${TREE_SIZE} as tree, (j - 1) % ${TREE_SIZE} + 1 as k,
           md5('forgeline-bench/tasks/h/' || s.org || '/' || s.p || '/' || j) as h
      from spec s cross join generate_series(1, s.size) j
  ),
  x as (
    select t.*, ${bits("h", 0)} as h0, ${bits("h", 1)} as h1, ${bits("h", 2)} as h2, ${bits("h", 3)} as h3,
           case when j <= size * 3 / 10 then case when ${bits("h", 3)} % 20 = 0 then 'cancelled' else 'done' end
                when j <= size * 4 / 10 then (array['in_review', 'in_progress', 'todo', 'backlog'])[1 + ${bits("h", 3)} % 4]
                when ${bits("h", 3)} % 5 < 2 then 'todo'
                else 'backlog' end as status
      from t
  )
  insert into app_public.tasks
    (organization_id, id, project_id, parent_id, number, title, description, type, status, priority,
     assignee_id, created_by, estimated_effort, actual_effort, due_on, completed_at, created_at, updated_at)
  select ${uuidOf(orgKey("x.org"))},
         ${uuidOf(taskKey("x.org", "x.p", "x.j"))},
         ${uuidOf(projectKey("x.org", "x.p"))},
         case when x.k > 1 then ${uuidOf(taskKey("x.org", "x.p", `(x.tree * ${TREE_SIZE} + x.k / 2)`))} end,
         x.j,
         (${VERBS})[1 + x.h0 % 8] || ' ' || (${NOUNS})[1 + x.h1 % 10] || ' ' || x.j,
         case when x.h2 % 4 = 0
              then 'Bench task ' || x.j || ' of project ' || x.p || ': ' || (${NOUNS})[1 + x.h1 % 10] ||
                   ' needs work before the release, see the linked tasks.' end,
         (case when x.k = 1 then 'epic'
               else (array['feature', 'bug', 'chore', 'research'])[1 + x.h2 % 4] end)::app_public.task_type,
         x.status::app_public.task_status,
         1 + (x.h0 / 8) % 5,
         case when (x.h1 / 16) % 5 = 0 then null
              else ${uuidOf(userKey("x.org", "(1 + (x.h1 / 16) % x.users)"))} end,
         ${uuidOf(userKey("x.org", "(1 + (x.h2 / 8) % x.users)"))},
         case when (x.h3 / 32) % 10 = 0 then null else (1 + (x.h3 / 32) % 13)::numeric end,
         case when x.status = 'done' then (1 + (x.h0 / 64) % 17)::numeric end,
         case when (x.h2 / 64) % 3 = 0 then current_date + (x.h2 / 256) % 90 end,
         case when x.status = 'done' then now() - (x.size - x.j) * interval '1 minute' end,
         now() - (x.size - x.j + 60) * interval '1 minute',
         now() - (x.size - x.j + 60) * interval '1 minute'
    from x`;

/* The closure of parent_id: task k of a tree and its ancestors k >> 1, k >> 2, …, the root. */
const insertPaths = (spec: string) => `
  with spec as (${spec}),
  t as (
    select s.org, s.p, j, (j - 1) / ${TREE_SIZE} as tree, (j - 1) % ${TREE_SIZE} + 1 as k
      from spec s cross join generate_series(1, s.size) j
  )
  insert into app_public.task_hierarchy_paths (organization_id, ancestor_id, descendant_id, depth)
  select ${uuidOf(orgKey("t.org"))},
         ${uuidOf(taskKey("t.org", "t.p", `(t.tree * ${TREE_SIZE} + (t.k >> i))`))},
         ${uuidOf(taskKey("t.org", "t.p", "t.j"))},
         i
    from t cross join generate_series(0, ${depthSql("t.k")}) i`;

/*
 * Two `blocks` edges per task j ≥ 3 (one for j = 2): to j − o1 and j − o2, two
 * distinct offsets in 1…m, m = min(window, j − 1). Always to an earlier task of
 * the same project: the graph is acyclic.
 */
const insertEdges = (spec: string) => `
  with spec as (${spec}),
  t as (
    select s.org, s.p, j, least(s.win, j - 1) as m,
           md5('forgeline-bench/tasks/e/' || s.org || '/' || s.p || '/' || j) as h
      from spec s cross join generate_series(2, s.size) j
  ),
  o as (select t.*, 1 + ${bits("h", 0)} % m as o1, ${bits("h", 1)} as r from t),
  e as (
    select org, p, j, j - o1 as dep from o
    union all
    select org, p, j, j - (1 + (o1 - 1 + 1 + r % (m - 1)) % m) from o where m >= 2
  )
  insert into app_public.task_dependencies
    (organization_id, dependent_id, dependency_id, type, created_by, created_at)
  select ${uuidOf(orgKey("e.org"))}, ${uuidOf(taskKey("e.org", "e.p", "e.j"))},
         ${uuidOf(taskKey("e.org", "e.p", "e.dep"))}, 'blocks', ${uuidOf(userKey("e.org", "1"))}, now()
    from e`;

/** Whatever the builder got wrong: each query counts violations (all must be 0). */
const INTEGRITY_CHECKS: Record<string, string> = {
  "closure rows at depth 1 that are not a parent link": `
    select count(*) from app_public.task_hierarchy_paths h
     where h.depth = 1 and not exists (
       select 1 from app_public.tasks t
        where t.organization_id = h.organization_id and t.id = h.descendant_id and t.parent_id = h.ancestor_id)`,
  "parent links without their closure row": `
    select count(*) from app_public.tasks t
     where t.parent_id is not null and not exists (
       select 1 from app_public.task_hierarchy_paths h
        where h.organization_id = t.organization_id and h.ancestor_id = t.parent_id
          and h.descendant_id = t.id and h.depth = 1)`,
  "tasks without their depth-0 closure row": `
    select count(*) from app_public.tasks t
     where not exists (
       select 1 from app_public.task_hierarchy_paths h
        where h.organization_id = t.organization_id and h.ancestor_id = t.id
          and h.descendant_id = t.id and h.depth = 0)`,
  "closure rows of unknown tasks": `
    select count(*) from app_public.task_hierarchy_paths h
     where not exists (select 1 from app_public.tasks t
                        where t.organization_id = h.organization_id and t.id = h.ancestor_id)
        or not exists (select 1 from app_public.tasks t
                        where t.organization_id = h.organization_id and t.id = h.descendant_id)`,
  "parents in another project": `
    select count(*) from app_public.tasks t
      join app_public.tasks p on p.organization_id = t.organization_id and p.id = t.parent_id
     where p.project_id <> t.project_id`,
  "tasks of an unknown project or parent, or with an unknown assignee": `
    select count(*) from app_public.tasks t
     where not exists (select 1 from app_public.projects p
                        where p.organization_id = t.organization_id and p.id = t.project_id)
        or (t.parent_id is not null and not exists (
              select 1 from app_public.tasks p where p.organization_id = t.organization_id and p.id = t.parent_id))
        or (t.assignee_id is not null and not exists (
              select 1 from app_public.users u where u.organization_id = t.organization_id and u.id = t.assignee_id))`,
  "edges to an unknown task or across projects, or a finished task blocked by an open one": `
    select count(*) from app_public.task_dependencies d
      left join app_public.tasks a on a.organization_id = d.organization_id and a.id = d.dependent_id
      left join app_public.tasks b on b.organization_id = d.organization_id and b.id = d.dependency_id
     where a.id is null or b.id is null or a.project_id <> b.project_id or b.number >= a.number
        or (a.status in ('done', 'cancelled') and b.status not in ('done', 'cancelled'))`,
  "projects whose next_task_number does not follow their last task": `
    select count(*) from app_public.projects p
     where p.next_task_number <> 1 + coalesce((select max(t.number) from app_public.tasks t
                                                where t.organization_id = p.organization_id
                                                  and t.project_id = p.id), 0)`,
};

/** Transitive blockers of $1 in organization $2 (a recursive CTE, not the function under test). */
const countBlockers = (openOnly: boolean) => `
  with recursive reach (id) as (
    select $1::uuid
    union
    select d.dependency_id
      from reach r
      join app_public.task_dependencies d
        on d.organization_id = $2::uuid and d.dependent_id = r.id and d.type = 'blocks'
      ${
        openOnly
          ? `join app_public.tasks b on b.organization_id = d.organization_id and b.id = d.dependency_id
                                  and b.status not in ('done', 'cancelled')`
          : ""
      }
  )
  select (count(*) - 1)::int as n from reach`;

/** The first task of project $3 that task $1 does not (transitively) wait for: adding "it waits for $1" closes no cycle. */
const FIRST_UNREACHED = `
  with recursive reach (id) as (
    select $1::uuid
    union
    select d.dependency_id
      from reach r
      join app_public.task_dependencies d
        on d.organization_id = $2::uuid and d.dependent_id = r.id and d.type = 'blocks'
  )
  select t.id, t.number from app_public.tasks t
   where t.organization_id = $2::uuid and t.project_id = $3::uuid
     and not exists (select 1 from reach r where r.id = t.id)
   order by t.number
   limit 1`;

/** Above this, one call is too slow to load (the dense critical path): the report says so instead. */
export const CRITICAL_DENSE_MAX_MS = 5_000;
const PROBE_TIMEOUT_MS = 20_000;

/** One call's time as the user (asUser, rolled back), or null when it ran into `timeoutMs`. */
async function timeOneCall(
  client: pg.Client,
  user: { orgId: string; userId: string },
  sql: string,
  values: unknown[],
  timeoutMs: number,
): Promise<number | null> {
  const started = performance.now();
  try {
    await asUser(
      client,
      { sub: "bench", ...user },
      async (c) => {
        await c.query("select set_config('statement_timeout', $1, true)", [String(timeoutMs)]);
        await c.query(sql, values);
      },
      { rollback: true },
    );
    return Math.round(performance.now() - started);
  } catch (e) {
    if ((e as { code?: string }).code === "57014") return null; // statement timeout
    throw e;
  }
}

async function inOneTransaction(client: pg.Client, sql: string, values: unknown[]): Promise<void> {
  await client.query("begin");
  await client.query("set local session_replication_role = replica");
  await client.query(sql, values);
  await client.query("commit");
}

/** Builds the dataset in the (migrated) database at `rootDbUrl` (a superuser URL). */
export async function buildTasksDataset(
  rootDbUrl: string,
  size: TasksDatasetSize,
  log: (line: string) => void,
): Promise<TasksData> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: rootDbUrl });
  await client.connect();
  try {
    const small = size.smallOrganizations;
    const perSmall = size.tasksPerSmallOrganization;
    const sizes = size.projects.map((p) => p.tasks);
    const windows = size.projects.map((p) => p.window);
    const bigExtra = [sizes, windows, size.bigTenantUsers];
    const bigTasks = sizes.reduce((a, b) => a + b, 0);

    await inOneTransaction(client, insertOrganizations, [BIG, BIG]);
    await inOneTransaction(client, insertUsers, [BIG, BIG, size.bigTenantUsers]);
    await inBatches(client, {
      label: "organizations",
      count: small,
      rowsIn: (from, to) => to - from + 1,
      sql: insertOrganizations,
    });
    await inBatches(client, {
      label: "owners",
      count: small,
      rowsIn: (from, to) => to - from + 1,
      sql: insertUsers,
      extra: [1],
    });
    await inOneTransaction(client, insertProjects(BIG_SPEC), [1, sizes.length, ...bigExtra]);
    await inBatches(client, {
      label: "projects",
      count: small,
      rowsIn: (from, to) => to - from + 1,
      sql: insertProjects(SMALL_SPEC),
      extra: [perSmall],
    });
    const bigRows = (from: number, to: number) =>
      sizes.slice(from - 1, to).reduce((a, b) => a + b, 0);
    for (const [label, sql, batch] of [
      ["tasks", insertTasks, 1],
      ["tree paths", insertPaths, 1],
      ["dependencies", insertEdges, 2],
    ] as const) {
      await inBatches(client, {
        label: `${label} (big)`,
        count: sizes.length,
        rowsIn: bigRows,
        sql: sql(BIG_SPEC),
        extra: bigExtra,
        batch,
      });
      await inBatches(client, {
        label: `${label} (small)`,
        count: small,
        rowsIn: (from, to) => (to - from + 1) * perSmall,
        sql: sql(SMALL_SPEC),
        extra: [perSmall],
      });
    }
    process.stderr.write("[bench] vacuum analyze\n");
    await client.query(
      `vacuum (analyze) app_public.organizations, app_public.users, app_public.projects,
         app_public.tasks, app_public.task_hierarchy_paths, app_public.task_dependencies`,
    );

    process.stderr.write("[bench] integrity checks\n");
    for (const [what, sql] of Object.entries(INTEGRITY_CHECKS)) {
      const { rows } = await client.query<{ count: string }>(sql);
      const found = Number(rows[0]?.count ?? 0);
      if (found !== 0) throw new Error(`tasks dataset: ${found} ${what}`);
    }

    const id = async (key: string): Promise<string> => {
      const { rows } = await client.query<{ id: string }>(`select ${uuidOf(key)} as id`);
      return rows[0]!.id;
    };
    const orgId = await id(orgKey(String(BIG)));
    const projectId = (p: number) => id(projectKey(String(BIG), String(p)));
    const taskId = (p: number, j: number) => id(taskKey(String(BIG), String(p), String(j)));
    const mixProject = sizes.length;

    const blockers = async (p: number, j: number) => {
      const tid = await taskId(p, j);
      const count = async (openOnly: boolean) =>
        (await client.query<{ n: number }>(countBlockers(openOnly), [tid, orgId])).rows[0]!.n;
      return { taskId: tid, number: j, open: await count(true), all: await count(false) };
    };
    const dense = await projectId(2);
    const late = await taskId(2, DENSE.tasks);
    const unreached = (
      await client.query<{ id: string; number: number }>(FIRST_UNREACHED, [late, orgId, dense])
    ).rows[0];
    if (!unreached) throw new Error("tasks dataset: every task of P2 blocks its last one");
    const blockersDense = await blockers(2, DENSE.tasks);

    const { rows: counted } = await client.query<Record<string, string>>(
      `select (select count(*) from app_public.organizations where slug like 'bench-tasks-org-%') as organizations,
              (select count(*) from app_public.tasks) as tasks,
              (select count(*) from app_public.tasks where organization_id = $1) as big_tenant_tasks,
              (select count(*) from app_public.task_hierarchy_paths) as tree_paths,
              (select count(*) from app_public.task_hierarchy_paths where organization_id = $1) as big_tenant_tree_paths,
              (select count(*) from app_public.task_dependencies) as dependencies,
              (select count(*) from app_public.task_dependencies where organization_id = $1) as big_tenant_dependencies,
              (select count(*) from app_public.tasks where organization_id = $1 and project_id = $2
                 and status in ('backlog', 'todo') and not exists (
                   select 1 from app_public.task_dependencies d
                     join app_public.tasks b on b.organization_id = d.organization_id and b.id = d.dependency_id
                    where d.organization_id = $1 and d.dependent_id = tasks.id and d.type = 'blocks'
                      and b.status not in ('done', 'cancelled'))) as ready_dense`,
      [orgId, dense],
    );
    const counts = Object.fromEntries(Object.entries(counted[0]!).map(([k, v]) => [k, Number(v)]));
    if (counts.big_tenant_tasks !== bigTasks) {
      throw new Error(
        `tasks dataset: ${counts.big_tenant_tasks} tasks in the big tenant, not ${bigTasks}`,
      );
    }
    const memberId = await id(userKey(String(BIG), "2"));
    process.stderr.write("[bench] timing one call of the dense project's critical path\n");
    const criticalDenseMs = await timeOneCall(
      client,
      { orgId, userId: memberId },
      CRITICAL_PATH,
      [dense],
      PROBE_TIMEOUT_MS,
    );
    const subtreeTasks = subtreeSize(SUBTREE_ROOT, TREE.tasks);
    const data: TasksData = {
      size,
      orgId,
      ownerId: await id(userKey(String(BIG), "1")),
      memberId,
      projects: {
        p500: await projectId(1),
        dense,
        tree: await projectId(3),
        mix: await projectId(mixProject),
      },
      subtree: {
        rootId: await taskId(3, SUBTREE_ROOT),
        rootNumber: SUBTREE_ROOT,
        levels: depthOf(TREE.tasks) - depthOf(SUBTREE_ROOT) + 1,
        tasks: subtreeTasks,
        descendants: subtreeTasks - 1,
        newParentId: await taskId(3, SUBTREE_NEW_PARENT),
      },
      insertParentId: await taskId(3, INSERT_PARENT),
      blockers500: await blockers(1, P500.tasks),
      blockersDense,
      edge: {
        dependentId: unreached.id,
        dependentNumber: unreached.number,
        dependencyId: late,
        dependencyNumber: DENSE.tasks,
        visited: blockersDense.all + 1,
      },
      readyDense: counts.ready_dense!,
      criticalDenseProbe: { ms: criticalDenseMs, timeoutMs: PROBE_TIMEOUT_MS },
      mixParentId: await taskId(mixProject, MIX_PARENT),
      counts,
      seconds: (performance.now() - started) / 1000,
    };
    log(
      `tasks: ${counts.tasks} tasks (${counts.big_tenant_tasks} in the big tenant), ` +
        `${counts.tree_paths} tree paths, ${counts.dependencies} dependencies in ${data.seconds.toFixed(1)} s`,
    );
    return data;
  } finally {
    await client.end();
  }
}

/* ------------------------------------------------------------------------- *
 * Statements
 * ------------------------------------------------------------------------- */

const DESCENDANTS = `select d.depth, (d.task).id, (d.task).number, (d.task).title, (d.task).status::text as status
  from app_public.task_descendants($1::uuid) d`;

/** task_descendants written out, the policy's filter as a parameter. */
const DESCENDANTS_RAW = `select p.depth, t.id, t.number, t.title, t.status::text as status
  from app_public.task_hierarchy_paths p
  join app_public.tasks t on t.organization_id = p.organization_id and t.id = p.descendant_id
 where p.organization_id = $2::uuid and p.ancestor_id = $1::uuid and p.depth > 0
 order by p.depth, t.number`;

const BLOCKERS = `select b.distance, (b.task).id, (b.task).number
  from app_public.task_blockers($1::uuid) b`;

const READY = `select t.id, t.number, t.priority from app_public.ready_tasks($1::uuid) t`;

/** ready_tasks written out, the policy's filter as a parameter. */
const READY_RAW = `select t.id, t.number, t.priority
  from app_public.tasks t
 where t.organization_id = $2::uuid and t.project_id = $1::uuid and t.status in ('backlog', 'todo')
   and not exists (
     select 1 from app_public.task_dependencies d
       join app_public.tasks b on b.organization_id = d.organization_id and b.id = d.dependency_id
      where d.organization_id = t.organization_id and d.dependent_id = t.id and d.type = 'blocks'
        and b.status not in ('done', 'cancelled'))
 order by t.priority, t.number`;

const CRITICAL_PATH = `select c.position, c.effort, c.total_effort, (c.task).id, (c.task).number
  from app_public.task_critical_path($1::uuid) c`;

/* The writes: organization_id defaults to current_org_id() (the claims asUser sets, in the bypassRls baselines too). */
const ADD_EDGE = `insert into app_public.task_dependencies (dependent_id, dependency_id, type)
  values ($1::uuid, $2::uuid, 'blocks')
  returning dependent_id, dependency_id`;

const MOVE = `update app_public.tasks set parent_id = $1::uuid where id = $2::uuid returning id, parent_id`;
const MOVE_RAW = `update app_public.tasks set parent_id = $1::uuid
 where organization_id = $3::uuid and id = $2::uuid returning id, parent_id`;

const INSERT_TASK = `insert into app_public.tasks
  (project_id, parent_id, title, type, priority, estimated_effort, assignee_id)
  values ($1::uuid, $2::uuid, 'Bench subtask, rolled back', 'chore', 3, 2, $3::uuid)
  returning number`;

/* ------------------------------------------------------------------------- *
 * Answers and checks
 * ------------------------------------------------------------------------- */

/** The rows of the last statement. */
const lastRows = (results: Row[][]) => results[results.length - 1] ?? [];

interface DescendantNode {
  depth: number;
  task: { rowId: string; number: number; title: string; status: string };
}

/** Descendant rows as the GraphQL API answers DESCENDANTS_QUERY. */
function descendantsAnswer(results: Row[][]): unknown {
  return {
    data: {
      taskDescendants: {
        nodes: lastRows(results).map((r): DescendantNode => ({
          depth: Number(r.depth),
          task: {
            rowId: String(r.id),
            number: Number(r.number),
            title: String(r.title),
            // A GraphQL enum value: upper case.
            status: String(r.status).toUpperCase(),
          },
        })),
      },
    },
  };
}

function checkDescendants(answer: unknown, d: TasksData): void {
  const { data, errors } = answer as {
    data?: { taskDescendants?: { nodes?: DescendantNode[] } };
    errors?: unknown;
  };
  assert.equal(errors, undefined, `the answer has errors: ${JSON.stringify(errors)}`);
  const nodes = data?.taskDescendants?.nodes;
  assert.ok(
    Array.isArray(nodes),
    `no descendants in the answer: ${JSON.stringify(answer).slice(0, 300)}`,
  );
  assert.equal(nodes.length, d.subtree.descendants, "not the whole subtree");
  assert.equal(new Set(nodes.map((n) => n.task.rowId)).size, nodes.length, "a task twice");
  const depths = nodes.map((n) => n.depth);
  assert.equal(depths[0], 1);
  assert.equal(depths[depths.length - 1], d.subtree.levels - 1, "not 10 levels");
  for (let i = 1; i < nodes.length; i++) {
    const [a, b] = [nodes[i - 1]!, nodes[i]!];
    assert.ok(
      a.depth < b.depth || (a.depth === b.depth && a.task.number < b.task.number),
      "not in depth, then number order",
    );
  }
}

const blockersAnswer = (results: Row[][]) =>
  lastRows(results).map((r) => [Number(r.distance), String(r.id), Number(r.number)]);

const checkBlockers =
  (which: (d: TasksData) => TasksData["blockers500"]) => (answer: unknown, d: TasksData) => {
    const rows = answer as Array<[number, string, number]>;
    assert.equal(
      rows.length,
      which(d).open,
      "not every open transitive blocker (a recursive CTE's count)",
    );
    assert.equal(new Set(rows.map((r) => r[1])).size, rows.length, "a blocker twice");
    for (let i = 1; i < rows.length; i++) {
      assert.ok(rows[i - 1]![0] <= rows[i]![0], "distances are not ascending");
    }
    assert.equal(rows[0]?.[0], 1, "no direct blocker first");
  };

const readyAnswer = (results: Row[][]) =>
  lastRows(results).map((r) => [String(r.id), Number(r.number), Number(r.priority)]);

function checkReady(answer: unknown, d: TasksData): void {
  const rows = answer as Array<[string, number, number]>;
  assert.equal(rows.length, d.readyDense, "not the ready tasks counted when the dataset was built");
  assert.ok(rows.length > 0, "no ready task");
}

const pathAnswer = (results: Row[][]) =>
  lastRows(results).map((r) => [
    Number(r.position),
    String(r.effort),
    String(r.total_effort),
    Number(r.number),
  ]);

function checkPath(answer: unknown): void {
  const rows = answer as Array<[number, string, string, number]>;
  assert.ok(rows.length > 1, "no critical path");
  let total = 0;
  rows.forEach(([position, effort, running, number], i) => {
    assert.equal(position, i + 1, "positions are not 1, 2, …");
    total += Number(effort);
    assert.equal(Number(running), total, "the running total is not the sum of the efforts");
    // Edges point to earlier tasks: along the chain, numbers grow.
    if (i > 0) assert.ok(number > rows[i - 1]![3], "a task before its blocker");
  });
}

function checkEdge(answer: unknown, d: TasksData): void {
  assert.deepEqual(answer, [[d.edge.dependentId, d.edge.dependencyId]]);
}

function checkEdgeBack(answer: unknown, d: TasksData): void {
  assert.deepEqual(answer, [[d.edge.dependencyId, d.edge.dependentId]]);
}

/** The dense critical path runs only when one call was timed under CRITICAL_DENSE_MAX_MS. */
function skipSlowCriticalPath(d: TasksData): string | undefined {
  const { ms, timeoutMs } = d.criticalDenseProbe;
  if (ms !== null && ms <= CRITICAL_DENSE_MAX_MS) return undefined;
  const took =
    ms === null ? `over ${timeoutMs / 1000} s (cancelled)` : `${(ms / 1000).toFixed(1)} s`;
  return `one call, timed when the dataset was built, took ${took}: too slow to load (limit ${CRITICAL_DENSE_MAX_MS / 1000} s)`;
}

const edgeAnswer = (results: Row[][]) =>
  lastRows(results).map((r) => [String(r.dependent_id), String(r.dependency_id)]);

const moveAnswer = (results: Row[][]) =>
  lastRows(results).map((r) => [String(r.id), String(r.parent_id)]);

function checkMove(answer: unknown, d: TasksData): void {
  assert.deepEqual(answer, [[d.subtree.rootId, d.subtree.newParentId]], "the subtree did not move");
}

const insertAnswer = (results: Row[][]) => lastRows(results).map((r) => Number(r.number));

function checkInsert(answer: unknown): void {
  // Rolled back: every call gets the number after the tree project's last task.
  assert.deepEqual(answer, [TREE.tasks + 1]);
}

/* ------------------------------------------------------------------------- *
 * GraphQL
 * ------------------------------------------------------------------------- */

const DESCENDANTS_QUERY = `query Descendants($id: UUID!, $first: Int!) {
  taskDescendants(taskId: $id, first: $first) { nodes { depth task { rowId number title status } } }
}`;

/*
 * The production API pages at most 100 rows (GRAPHQL_MAX_PAGE_SIZE): this
 * variant lets one page hold the whole subtree, so the GraphQL read returns the
 * same 1,022 rows as the database-level scenario it is compared with.
 */
const PAGE_SIZE_SERVER: ApiServerSpec = {
  name: "api-page-size-2000",
  env: { GRAPHQL_MAX_PAGE_SIZE: "2000" },
  description: "forgeline serve, NODE_ENV=production, GRAPHQL_MAX_PAGE_SIZE=2000",
};

const gqlBody = (query: string, variables: Record<string, unknown>) => {
  const operationName = /^(?:query|mutation) (\w+)/.exec(query)?.[1];
  return JSON.stringify({ query, operationName, variables });
};

/* The mix: a project's newest tasks, its tasks in progress, the member's own tasks; and a new subtask. */
const PROJECT_TASKS = `query ProjectTasks($project: UUID!) {
  tasks(first: 20, condition: { projectId: $project }, orderBy: NUMBER_DESC) {
    nodes { rowId identifier title status priority assigneeId }
  }
}`;
const IN_PROGRESS = `query InProgress($project: UUID!) {
  tasks(first: 20, condition: { projectId: $project, status: IN_PROGRESS }, orderBy: [PRIORITY_ASC, NUMBER_ASC]) {
    nodes { rowId number title priority assigneeId }
  }
}`;
const MY_TASKS = `query MyTasks($me: UUID!) {
  tasks(first: 20, condition: { assigneeId: $me }, orderBy: [PRIORITY_ASC, NUMBER_DESC]) {
    nodes { rowId identifier title status project { name } }
  }
}`;
const CREATE_TASK = `mutation CreateTask($task: TaskInput!) {
  createTask(input: { task: $task }) { task { rowId number identifier } }
}`;

function checkList(answer: unknown): void {
  const nodes = (answer as { data?: { tasks?: { nodes?: unknown[] } } }).data?.tasks?.nodes;
  assert.ok(
    Array.isArray(nodes),
    `no tasks in the answer: ${JSON.stringify(answer).slice(0, 300)}`,
  );
  assert.equal(nodes.length, 20, "expected a page of 20 tasks");
}

function checkCreated(answer: unknown): void {
  const task = (answer as { data?: { createTask?: { task?: { number?: unknown } } } }).data
    ?.createTask?.task;
  assert.ok(typeof task?.number === "number", `no task created: ${JSON.stringify(answer)}`);
}

export default defineSet<TasksData>({
  name: "tasks",
  description:
    "Tasks: subtree, transitive blockers, ready tasks, critical path, edge/move/insert writes; GraphQL mix and taskDescendants",
  async dataset({ rootDbUrl, quick, log }) {
    const size = quick ? QUICK_DATASET : FULL_DATASET;
    const bigTasks = size.projects.reduce((a, p) => a + p.tasks, 0);
    log(
      `tasks: ${size.smallOrganizations} organizations of ${size.tasksPerSmallOrganization} tasks, ` +
        `one of ${bigTasks} tasks in ${size.projects.length} projects`,
    );
    const data = await buildTasksDataset(rootDbUrl, size, log);
    return {
      data,
      summary: {
        ...size,
        organization: { orgId: data.orgId, memberId: data.memberId },
        projects: data.projects,
        subtree: data.subtree,
        blockers500: data.blockers500,
        blockersDense: data.blockersDense,
        edge: data.edge,
        readyDense: data.readyDense,
        criticalDenseProbe: data.criticalDenseProbe,
        counts: data.counts,
        buildSeconds: Math.round(data.seconds * 10) / 10,
      },
    };
  },
  identities: {
    member: (d) => ({
      kind: "user",
      sub: "bench",
      orgId: d.orgId,
      userId: d.memberId,
      role: "member",
    }),
  },
  scenarios: [
    // The HTTP scenarios first: groups run in the order they first appear, so the servers
    // start right after the dataset is built (the database-level tables print apart anyway).
    {
      kind: "api",
      id: "graphql-mix",
      title: "GraphQL mix: 3 task-list reads, 1 create",
      identity: "member",
      connections: [10],
      requests: [
        {
          kind: "read",
          body: (d) => gqlBody(PROJECT_TASKS, { project: d.projects.mix }),
          check: checkList,
        },
        {
          kind: "read",
          body: (d) => gqlBody(IN_PROGRESS, { project: d.projects.mix }),
          check: checkList,
        },
        { kind: "read", body: (d) => gqlBody(MY_TASKS, { me: d.memberId }), check: checkList },
        {
          kind: "create",
          body: (d) =>
            gqlBody(CREATE_TASK, {
              task: {
                projectId: d.projects.mix,
                parentId: d.mixParentId,
                title: "Bench task from the GraphQL mix",
                type: "CHORE",
                priority: 3,
                estimatedEffort: "2",
                assigneeId: d.memberId,
              },
            }),
          check: checkCreated,
        },
      ],
    },
    {
      kind: "api",
      id: "graphql-descendants",
      title: "GraphQL taskDescendants, 1,022 rows",
      identity: "member",
      server: PAGE_SIZE_SERVER,
      connections: [1, 10],
      body: (d) =>
        gqlBody(DESCENDANTS_QUERY, { id: d.subtree.rootId, first: d.subtree.descendants }),
      check: checkDescendants,
      sameAnswerAs: "descendants",
      ratioTo: "descendants",
      overheadOver: "descendants",
    },
    {
      kind: "sql",
      id: "descendants",
      title: "subtree, 10 levels (1,022 tasks): task_descendants",
      as: "member",
      connections: [1, 10],
      statements: [{ text: DESCENDANTS, values: (d) => [d.subtree.rootId] }],
      answer: descendantsAnswer,
      check: checkDescendants,
      ratioTo: "descendants-raw",
    },
    {
      kind: "sql",
      id: "descendants-raw",
      title: "subtree: raw SQL, RLS bypassed",
      as: SUPERUSER,
      connections: [1, 10],
      statements: [{ text: DESCENDANTS_RAW, values: (d) => [d.subtree.rootId, d.orgId] }],
      answer: descendantsAnswer,
      check: checkDescendants,
      sameAnswerAs: "descendants",
    },
    {
      kind: "sql",
      id: "blockers-500",
      title: "blockers of task 500 of 500: task_blockers",
      as: "member",
      connections: [1, 10],
      statements: [{ text: BLOCKERS, values: (d) => [d.blockers500.taskId] }],
      answer: blockersAnswer,
      check: checkBlockers((d) => d.blockers500),
      ratioTo: "blockers-500-bypass",
    },
    {
      kind: "sql",
      id: "blockers-500-bypass",
      title: "blockers, 500: same function, RLS bypassed",
      as: "member",
      bypassRls: true,
      connections: [1, 10],
      statements: [{ text: BLOCKERS, values: (d) => [d.blockers500.taskId] }],
      answer: blockersAnswer,
      check: checkBlockers((d) => d.blockers500),
      sameAnswerAs: "blockers-500",
    },
    {
      kind: "sql",
      id: "blockers-dense",
      title: "blockers of task 5,000 of the dense 5,000: task_blockers",
      as: "member",
      connections: [1, 10],
      statements: [{ text: BLOCKERS, values: (d) => [d.blockersDense.taskId] }],
      answer: blockersAnswer,
      check: checkBlockers((d) => d.blockersDense),
      ratioTo: "blockers-dense-bypass",
    },
    {
      kind: "sql",
      id: "blockers-dense-bypass",
      title: "blockers, dense: same function, RLS bypassed",
      as: "member",
      bypassRls: true,
      connections: [1, 10],
      statements: [{ text: BLOCKERS, values: (d) => [d.blockersDense.taskId] }],
      answer: blockersAnswer,
      check: checkBlockers((d) => d.blockersDense),
      sameAnswerAs: "blockers-dense",
    },
    {
      kind: "sql",
      id: "ready-dense",
      title: "ready tasks of the dense 5,000: ready_tasks",
      as: "member",
      connections: [1, 10],
      statements: [{ text: READY, values: (d) => [d.projects.dense] }],
      answer: readyAnswer,
      check: checkReady,
      ratioTo: "ready-dense-raw",
    },
    {
      kind: "sql",
      id: "ready-dense-raw",
      title: "ready tasks: raw SQL, RLS bypassed",
      as: SUPERUSER,
      connections: [1, 10],
      statements: [{ text: READY_RAW, values: (d) => [d.projects.dense, d.orgId] }],
      answer: readyAnswer,
      check: checkReady,
      sameAnswerAs: "ready-dense",
    },
    {
      kind: "sql",
      id: "critical-500",
      title: "critical path of the 500: task_critical_path",
      as: "member",
      connections: [1],
      statements: [{ text: CRITICAL_PATH, values: (d) => [d.projects.p500] }],
      answer: pathAnswer,
      check: checkPath,
      ratioTo: "critical-500-bypass",
    },
    {
      kind: "sql",
      id: "critical-500-bypass",
      title: "critical path, 500: same function, RLS bypassed",
      as: "member",
      bypassRls: true,
      connections: [1],
      statements: [{ text: CRITICAL_PATH, values: (d) => [d.projects.p500] }],
      answer: pathAnswer,
      check: checkPath,
      sameAnswerAs: "critical-500",
    },
    {
      kind: "sql",
      id: "critical-dense",
      title: "critical path of the dense 5,000: task_critical_path",
      as: "member",
      connections: [1],
      statements: [{ text: CRITICAL_PATH, values: (d) => [d.projects.dense] }],
      answer: pathAnswer,
      check: checkPath,
      ratioTo: "critical-dense-bypass",
      skip: skipSlowCriticalPath,
    },
    {
      kind: "sql",
      id: "critical-dense-bypass",
      title: "critical path, dense: same function, RLS bypassed",
      as: "member",
      bypassRls: true,
      connections: [1],
      statements: [{ text: CRITICAL_PATH, values: (d) => [d.projects.dense] }],
      answer: pathAnswer,
      check: checkPath,
      sameAnswerAs: "critical-dense",
      skip: skipSlowCriticalPath,
    },
    {
      kind: "sql",
      id: "edge",
      title: "add a blocks edge: early waits for late, cycle check (rolled back)",
      as: "member",
      connections: [1, 10],
      rollback: true,
      statements: [{ text: ADD_EDGE, values: (d) => [d.edge.dependentId, d.edge.dependencyId] }],
      answer: edgeAnswer,
      check: checkEdge,
      ratioTo: "edge-bypass",
    },
    {
      kind: "sql",
      id: "edge-bypass",
      title: "add an edge: RLS bypassed (rolled back)",
      as: "member",
      bypassRls: true,
      connections: [1, 10],
      rollback: true,
      statements: [{ text: ADD_EDGE, values: (d) => [d.edge.dependentId, d.edge.dependencyId] }],
      answer: edgeAnswer,
      check: checkEdge,
      sameAnswerAs: "edge",
    },
    {
      kind: "sql",
      id: "edge-back",
      title: "add an edge the other way: late waits for early (rolled back)",
      as: "member",
      connections: [1],
      rollback: true,
      statements: [{ text: ADD_EDGE, values: (d) => [d.edge.dependencyId, d.edge.dependentId] }],
      answer: edgeAnswer,
      check: checkEdgeBack,
    },
    {
      kind: "sql",
      id: "move",
      title: "move the 1,023-task subtree (rolled back)",
      as: "member",
      connections: [1, 10],
      rollback: true,
      statements: [{ text: MOVE, values: (d) => [d.subtree.newParentId, d.subtree.rootId] }],
      answer: moveAnswer,
      check: checkMove,
      ratioTo: "move-bypass",
    },
    {
      kind: "sql",
      id: "move-bypass",
      title: "move the subtree: RLS bypassed (rolled back)",
      as: "member",
      bypassRls: true,
      connections: [1, 10],
      rollback: true,
      statements: [
        { text: MOVE_RAW, values: (d) => [d.subtree.newParentId, d.subtree.rootId, d.orgId] },
      ],
      answer: moveAnswer,
      check: checkMove,
      sameAnswerAs: "move",
    },
    {
      kind: "sql",
      id: "insert",
      title: "insert a subtask at depth 11 (rolled back)",
      as: "member",
      connections: [1, 10],
      rollback: true,
      statements: [
        {
          text: INSERT_TASK,
          values: (d) => [d.projects.tree, d.insertParentId, d.memberId],
        },
      ],
      answer: insertAnswer,
      check: checkInsert,
      ratioTo: "insert-bypass",
    },
    {
      kind: "sql",
      id: "insert-bypass",
      title: "insert a subtask: RLS bypassed (rolled back)",
      as: "member",
      bypassRls: true,
      connections: [1, 10],
      rollback: true,
      statements: [
        { text: INSERT_TASK, values: (d) => [d.projects.tree, d.insertParentId, d.memberId] },
      ],
      answer: insertAnswer,
      check: checkInsert,
      sameAnswerAs: "insert",
    },
  ],
  targets: [
    {
      description: "10-level subtree p95 ≤ 5 ms",
      scenario: "descendants",
      connections: 1,
      metric: "p95",
      atMost: 5,
    },
    {
      description: "blockers, 500-task project p95 ≤ 5 ms",
      scenario: "blockers-500",
      connections: 1,
      metric: "p95",
      atMost: 5,
    },
    {
      description: "blockers, dense 5,000 p95 ≤ 40 ms",
      scenario: "blockers-dense",
      connections: 1,
      metric: "p95",
      atMost: 40,
    },
    {
      description: "edge insert + cycle check p95 ≤ 15 ms",
      scenario: "edge",
      connections: 1,
      metric: "p95",
      atMost: 15,
    },
    {
      description: "GraphQL subtree ≤ 2.5 × database p50 (+150 %)",
      scenario: "graphql-descendants",
      connections: 1,
      metric: "p50Overhead",
      atMost: 150,
    },
    {
      description: "GraphQL subtree ≤ 2.5 × database p50 (+150 %)",
      scenario: "graphql-descendants",
      connections: 10,
      metric: "p50Overhead",
      atMost: 150,
    },
    {
      description: "GraphQL mix without errors",
      scenario: "graphql-mix",
      connections: 10,
      metric: "errors",
      atMost: 0,
    },
  ],
});
