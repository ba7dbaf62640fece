/**
 * Scale (issue #10): 1,000 and 2,000 simultaneous users, each with a token of
 * its own tenant, spread over 1,000 of 10,000 organizations, against `forgeline
 * serve --processes 2` behind a PgBouncer in transaction mode (the shape of
 * production: docker-compose.yml), for the users-list read and the tasks
 * module's load mix (three task-list reads to one task created).
 *
 * Two ways to be simultaneous:
 *   - closed loop: each user sends its next request as soon as it has the
 *     answer (50, 1,000, 2,000 users): the most the machine serves, and what
 *     happens beyond it (requests wait in the API's admission queue, bounded;
 *     503 with Retry-After past it, never a hung socket; the users honour it);
 *   - paced: each user acts every 5 s (1,000 and 2,000 users: 200 and 400
 *     requests/s offered, within and near this 2-core machine's capacity for
 *     the tasks mix, ~410 requests/s): the latency a user sees at that load.
 *     (Every 2 s, the mix's 500 requests/s exceed that capacity and the latency
 *     is the queue's: 2.1 s p95 at 1,000 users in the first full run.)
 * In a closed loop the latency is the queue the users make: about N ÷
 * throughput, whatever the server does; the p95 target is read from the paced
 * runs. Every run also reports PgBouncer's waiting clients, the API processes'
 * memory and where the CPU went (API, PostgreSQL, PgBouncer, load generator).
 *
 * Dataset: 10,000 organizations (1,000 with --quick), each with 5 users (an
 * owner, an admin, three members) and a project of 20 tasks (root tasks in
 * every status, assigned to the members), written as the superuser with
 * triggers off; the closure table's depth-0 rows and the project's counter are
 * written with them. User i of the fleet acts as the first member of
 * organization 1 + 10 × (i mod 1,000).
 */
import assert from "node:assert/strict";
import pg from "pg";
import { inBatches, uuidOf } from "../dataset-tools.ts";
import { defineSet, type ApiServerSpec, type UserIdentity } from "../set.ts";

export interface ScaleSize {
  organizations: number;
  usersPerOrganization: number;
  tasksPerProject: number;
  /** The fleet's tenants: every (organizations ÷ activeTenants)-th organization. */
  activeTenants: number;
}

export const FULL_SIZE: ScaleSize = {
  organizations: 10_000,
  usersPerOrganization: 5,
  tasksPerProject: 20,
  activeTenants: 1_000,
};

export const QUICK_SIZE: ScaleSize = {
  organizations: 1_000,
  usersPerOrganization: 5,
  tasksPerProject: 20,
  activeTenants: 100,
};

export interface ScaleData {
  size: ScaleSize;
  /** The fleet's tenants: organization, its first member, its project. */
  tenants: Array<{ orgId: string; memberId: string; projectId: string }>;
  counts: Record<string, number>;
  seconds: number;
}

const orgKey = (n: string) => `'forgeline-bench/scale/org/' || ${n}`;
const userKey = (n: string, k: string) => `'forgeline-bench/scale/user/' || ${n} || '/' || ${k}`;
const projectKey = (n: string) => `'forgeline-bench/scale/project/' || ${n}`;
const taskKey = (n: string, j: string) => `'forgeline-bench/scale/task/' || ${n} || '/' || ${j}`;

const insertOrganizations = `
  insert into app_public.organizations (id, name, slug, created_at, updated_at)
  select ${uuidOf(orgKey("n"))}, 'Bench scale organization ' || n, 'bench-scale-org-' || n, now(), now()
    from generate_series($1::int, $2::int) n`;

/* User 1 is the owner, 2 an admin, the rest members; emails start with a hash (real order). */
const insertUsers = `
  insert into app_public.users (organization_id, id, email, name, role, created_at, updated_at)
  select ${uuidOf(orgKey("n"))}, ${uuidOf(userKey("n", "k"))},
         left(md5(${userKey("n", "k")}), 10) || '.' || k || '@scale-org-' || n || '.bench.example',
         'Bench user ' || k || ' of organization ' || n,
         (case k when 1 then 'owner' when 2 then 'admin' else 'member' end)::app_public.user_role,
         now(), now()
    from generate_series($1::int, $2::int) n cross join generate_series(1, $3::int) k`;

const insertProjects = `
  insert into app_public.projects
    (organization_id, id, key, name, lead_id, next_task_number, created_at, updated_at)
  select ${uuidOf(orgKey("n"))}, ${uuidOf(projectKey("n"))}, 'APP', 'App',
         ${uuidOf(userKey("n", "1"))}, $3::int + 1, now(), now()
    from generate_series($1::int, $2::int) n`;

/* Task j: its status by j (a fifth in progress), priority 1–5, assigned to member 3 + j % 3. */
const insertTasks = `
  insert into app_public.tasks
    (organization_id, id, project_id, number, title, type, status, priority, assignee_id,
     created_by, completed_at, created_at, updated_at)
  select ${uuidOf(orgKey("n"))}, ${uuidOf(taskKey("n", "j"))}, ${uuidOf(projectKey("n"))}, j,
         'Task ' || j || ' of organization ' || n, 'feature',
         (array['backlog', 'todo', 'in_progress', 'in_review', 'done'])[1 + j % 5]::app_public.task_status,
         1 + j % 5,
         ${uuidOf(userKey("n", `(3 + j % ($4::int - 2))`))},
         ${uuidOf(userKey("n", "1"))},
         case when j % 5 = 4 then now() end,
         now() - (100 - j) * interval '1 minute', now() - (100 - j) * interval '1 minute'
    from generate_series($1::int, $2::int) n cross join generate_series(1, $3::int) j`;

const insertPaths = `
  insert into app_public.task_hierarchy_paths (organization_id, ancestor_id, descendant_id, depth)
  select ${uuidOf(orgKey("n"))}, ${uuidOf(taskKey("n", "j"))}, ${uuidOf(taskKey("n", "j"))}, 0
    from generate_series($1::int, $2::int) n cross join generate_series(1, $3::int) j`;

export async function buildScaleDataset(rootDbUrl: string, size: ScaleSize): Promise<ScaleData> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: rootDbUrl });
  await client.connect();
  try {
    const n = size.organizations;
    const orgs = (from: number, to: number) => to - from + 1;
    await inBatches(client, {
      label: "organizations",
      count: n,
      rowsIn: orgs,
      sql: insertOrganizations,
    });
    await inBatches(client, {
      label: "users",
      count: n,
      rowsIn: (from, to) => orgs(from, to) * size.usersPerOrganization,
      sql: insertUsers,
      extra: [size.usersPerOrganization],
    });
    await inBatches(client, {
      label: "projects",
      count: n,
      rowsIn: orgs,
      sql: insertProjects,
      extra: [size.tasksPerProject],
    });
    await inBatches(client, {
      label: "tasks",
      count: n,
      rowsIn: (from, to) => orgs(from, to) * size.tasksPerProject,
      sql: insertTasks,
      extra: [size.tasksPerProject, size.usersPerOrganization],
    });
    await inBatches(client, {
      label: "tree paths",
      count: n,
      rowsIn: (from, to) => orgs(from, to) * size.tasksPerProject,
      sql: insertPaths,
      extra: [size.tasksPerProject],
    });
    process.stderr.write("[bench] vacuum analyze\n");
    await client.query(
      `vacuum (analyze) app_public.organizations, app_public.users, app_public.projects,
         app_public.tasks, app_public.task_hierarchy_paths`,
    );
    const step = Math.floor(n / size.activeTenants);
    const { rows } = await client.query<{ org: string; member: string; project: string }>(
      `select ${uuidOf(orgKey("i"))} as org, ${uuidOf(userKey("i", "3"))} as member,
              ${uuidOf(projectKey("i"))} as project
         from generate_series(1, $1::int, $2::int) i`,
      [n, step],
    );
    const { rows: counted } = await client.query<Record<string, string>>(
      `select (select count(*) from app_public.organizations) as organizations,
              (select count(*) from app_public.users) as users,
              (select count(*) from app_public.tasks) as tasks`,
    );
    const counts = Object.fromEntries(Object.entries(counted[0]!).map(([k, v]) => [k, Number(v)]));
    assert.equal(counts.tasks, n * size.tasksPerProject, "every project has its tasks");
    return {
      size,
      tenants: rows
        .slice(0, size.activeTenants)
        .map((r) => ({ orgId: r.org, memberId: r.member, projectId: r.project })),
      counts,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await client.end();
  }
}

/** Two API processes (one per core) behind PgBouncer: 2 × API_POOL_SIZE 10 = its pool of 20. */
export const SCALE_SERVER: ApiServerSpec = {
  name: "scale",
  env: { API_POOL_SIZE: "10" },
  processes: 2,
  pgbouncer: { poolSize: 20 },
  description:
    "forgeline serve --processes 2, API_POOL_SIZE 10 each, behind PgBouncer (transaction pooling, pool of 20), rate limit off",
};

/** A user acts every 5 s in the paced runs: 1,000 users offer 200 requests/s, 2,000 offer 400. */
const PACE_MS = 5_000;

const gql = (query: string, variables: Record<string, unknown> = {}) => {
  const operationName = /^(?:query|mutation) (\w+)/.exec(query)?.[1];
  return JSON.stringify({ query, operationName, variables });
};

const USERS = `query Users {
  users(first: 20, orderBy: EMAIL_ASC) { nodes { rowId email name role } }
}`;
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
    nodes { rowId identifier title status }
  }
}`;
const CREATE_TASK = `mutation CreateTask($task: TaskInput!) {
  createTask(input: { task: $task }) { task { rowId number identifier } }
}`;

const tenantOf = (d: ScaleData, client: number) => d.tenants[client % d.tenants.length]!;

/** Client i: the first member of its tenant, a token of its own tenant. */
const member = (d: ScaleData, client: number): UserIdentity => {
  const t = tenantOf(d, client);
  return {
    kind: "user",
    sub: `scale-user-${client}`,
    orgId: t.orgId,
    userId: t.memberId,
    role: "member",
  };
};

const usersRequests = () => [{ kind: "users list", body: gql(USERS) }];

/** The tasks module's mix: three task-list reads to one task created, in the client's tenant. */
const mixRequests = (d: ScaleData, client: number) => {
  const t = tenantOf(d, client);
  return [
    { kind: "read", body: gql(PROJECT_TASKS, { project: t.projectId }) },
    { kind: "read", body: gql(IN_PROGRESS, { project: t.projectId }) },
    { kind: "read", body: gql(MY_TASKS, { me: t.memberId }) },
    {
      kind: "create",
      body: gql(CREATE_TASK, {
        task: { projectId: t.projectId, title: `Scale task of user ${client}`, priority: 3 },
      }),
    },
  ];
};

/** Every answer of the fleet's first client: no errors, and what it asked for. */
function checkAnswer(answer: unknown): void {
  const { data, errors } = answer as { data?: Record<string, unknown>; errors?: unknown };
  assert.equal(errors, undefined, `GraphQL errors: ${JSON.stringify(errors)}`);
  assert.ok(data && Object.keys(data).length > 0, `no data: ${JSON.stringify(answer)}`);
}

const CLOSED = [50, 1_000, 2_000];
const PACED = [1_000, 2_000];

export default defineSet<ScaleData>({
  name: "scale",
  description:
    "1,000 and 2,000 simultaneous users (each its own tenant's token, 1,000 of 10,000 organizations) against 2 API processes behind PgBouncer",
  async dataset({ rootDbUrl, quick, log }) {
    const size = quick ? QUICK_SIZE : FULL_SIZE;
    log(
      `scale: ${size.organizations} organizations × ${size.usersPerOrganization} users and ` +
        `${size.tasksPerProject} tasks; the fleet acts in ${size.activeTenants} of them`,
    );
    const data = await buildScaleDataset(rootDbUrl, size);
    return {
      data,
      summary: {
        ...size,
        ...data.counts,
        buildSeconds: Math.round(data.seconds * 10) / 10,
        paceMs: PACE_MS,
        server: SCALE_SERVER.description,
      },
    };
  },
  identities: {},
  scenarios: [
    {
      kind: "api",
      id: "users",
      title: "users list, closed loop",
      identity: null,
      server: SCALE_SERVER,
      connections: CLOSED,
      fleet: { identity: member, requests: usersRequests, check: checkAnswer },
    },
    {
      kind: "api",
      id: "users-paced",
      title: "users list, each user every 5 s",
      identity: null,
      server: SCALE_SERVER,
      connections: PACED,
      fleet: { identity: member, requests: usersRequests, check: checkAnswer, intervalMs: PACE_MS },
    },
    {
      kind: "api",
      id: "mix",
      title: "tasks 3 reads : 1 create, closed loop",
      identity: null,
      server: SCALE_SERVER,
      connections: CLOSED,
      fleet: { identity: member, requests: mixRequests, check: checkAnswer },
    },
    {
      kind: "api",
      id: "mix-paced",
      title: "tasks 3 reads : 1 create, each user every 5 s",
      identity: null,
      server: SCALE_SERVER,
      connections: PACED,
      fleet: { identity: member, requests: mixRequests, check: checkAnswer, intervalMs: PACE_MS },
    },
  ],
  targets: [
    {
      description: "users list: no errors with 1,000 users",
      scenario: "users",
      connections: 1_000,
      metric: "errors",
      atMost: 0,
    },
    {
      description: "tasks mix: no errors with 1,000 users",
      scenario: "mix",
      connections: 1_000,
      metric: "errors",
      atMost: 0,
    },
    {
      description: "users list: throughput with 1,000 users ≥ with 50",
      scenario: "users",
      connections: 1_000,
      metric: "throughputVs",
      relativeTo: 50,
      atLeast: 1,
    },
    {
      description: "tasks mix: throughput with 1,000 users ≥ with 50",
      scenario: "mix",
      connections: 1_000,
      metric: "throughputVs",
      relativeTo: 50,
      atLeast: 1,
    },
    {
      description: "users list p95 ≤ 150 ms, 1,000 users acting every 5 s",
      scenario: "users-paced",
      connections: 1_000,
      metric: "p95",
      atMost: 150,
    },
    {
      description: "tasks mix p95 ≤ 150 ms, 1,000 users acting every 5 s",
      scenario: "mix-paced",
      connections: 1_000,
      metric: "p95",
      atMost: 150,
    },
    {
      description: "tasks mix: no errors with 1,000 users acting every 5 s",
      scenario: "mix-paced",
      connections: 1_000,
      metric: "errors",
      atMost: 0,
    },
  ],
});
