/**
 * Query plans under tenant skew: one organization with many rows among many
 * small ones (the bench's users dataset at its quick size, plus tasks and
 * pipeline executions spread the same way). Each module's hot list query, as
 * the API sends it (the SQL below is what PostGraphile generates for the
 * GraphQL in its comment), must be an index scan for the largest tenant and for
 * the smallest alike: for the large one an ordered scan that stops at the page,
 * never a sort of the whole tenant or a sequential scan (the `n_distinct`
 * decisions of docs/adding-a-module.md tell the planner to expect large tenants,
 * since a policy's tenant is invisible at planning time).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asActor, useTestDatabase } from "../support/db.ts";
import { buildUsersDataset, QUICK_DATASET } from "../../bench/sets/users.ts";

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

interface Tenant {
  orgId: string;
  userId: string;
  projectId: string;
  pipelineId: string;
}

/** Rows of every scan of `table` (its partitions included). */
function scansOf(plan: PlanNode, table: RegExp): PlanNode[] {
  return nodes(plan).filter((n) => table.test(n["Relation Name"] ?? ""));
}

/**
 * A project with tasks and a pipeline with executions for every organization of
 * the users dataset: `big` rows for the large tenant, `small` for each other.
 * Written as the superuser with triggers off (replica role): the plans, not the
 * rules, are under test. Executions fall in the current month, whose partition
 * the migrations made.
 */
async function addTasksAndExecutions(
  root: { query: (sql: string, values?: unknown[]) => Promise<unknown> },
  bigOrgId: string,
  big: number,
  small: number,
): Promise<void> {
  await root.query(
    `
    begin;
    set local session_replication_role = replica;
    create temporary table orgs on commit drop as
      select o.id as org, md5(o.id::text || 'p')::uuid as project,
             md5(o.id::text || 'r')::uuid as repository, md5(o.id::text || 'q')::uuid as pipeline,
             case when o.id = $1::uuid then ${big} else ${small} end as n
        from app_public.organizations o;
    insert into app_public.projects (organization_id, id, key, name)
      select org, project, 'P', 'Project' from orgs;
    insert into app_public.tasks (organization_id, id, project_id, number, title, priority)
      select org, gen_random_uuid(), project, i, 'Task ' || i, 1 + i % 5
        from orgs, generate_series(1, n) as i;
    insert into app_public.repositories (organization_id, id, provider, full_name, clone_url)
      select org, repository, 'github', 'o/r', 'https://github.com/o/r.git' from orgs;
    insert into app_public.pipelines (organization_id, id, repository_id, name, definition)
      select org, pipeline, repository, 'ci', '{"steps": [{"name": "build"}]}' from orgs;
    insert into app_public.pipeline_executions
        (organization_id, id, created_at, pipeline_id, repository_id, run_id, status, conclusion,
         event, branch, timeout_minutes, started_at, completed_at)
      select org, gen_random_uuid(), t, pipeline, repository, gen_random_uuid(), 'completed',
             'success', 'push', 'main', 60, t, t + interval '1 minute'
        from orgs, generate_series(1, n) as i,
             lateral (select date_trunc('month', now()) + i * interval '1 second' as t) as at;
    commit;
    analyze app_public.projects, app_public.tasks, app_public.repositories,
            app_public.pipelines, app_public.pipeline_executions;
  `.replace("$1::uuid", `'${bigOrgId}'::uuid`),
  );
}

describe("plans under tenant skew", () => {
  const t = useTestDatabase();
  let big: Tenant;
  let small: Tenant;
  const tenant = (orgId: string, userId: string): Tenant => ({
    orgId,
    userId,
    projectId: "",
    pipelineId: "",
  });

  beforeAll(async () => {
    // The benchmark's own dataset builder, at its quick size: random organization
    // ids and emails, as real data has (sequential ones would hide the problem).
    const dataset = await buildUsersDataset(t.db.rootDbUrl, QUICK_DATASET);
    big = tenant(dataset.tenant.orgId, dataset.tenant.ownerUserId);
    const { rows } = await t.root.query<{ org: string; owner: string }>(
      `select organization_id as org, (array_agg(id order by role desc))[1] as owner
         from app_public.users where organization_id <> $1
        group by organization_id order by count(*), organization_id limit 1`,
      [big.orgId],
    );
    small = tenant(rows[0]!.org, rows[0]!.owner);
    await addTasksAndExecutions(t.root, big.orgId, 20_000, 5);
    for (const x of [big, small]) {
      const ids = await t.root.query<{ project: string; pipeline: string }>(
        `select md5($1::text || 'p')::uuid as project, md5($1::text || 'q')::uuid as pipeline`,
        [x.orgId],
      );
      x.projectId = ids.rows[0]!.project;
      x.pipelineId = ids.rows[0]!.pipeline;
    }
  });

  /** The plan of `sql` run as `who`, as the API runs it (RLS and the policy's tenant). */
  async function planAs(who: Tenant, sql: string, values: unknown[] = []): Promise<PlanNode> {
    return asActor(t, who, async (c) => {
      const { rows } = await c.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
        `explain (analyze, format json) ${sql}`,
        values,
      );
      return rows[0]!["QUERY PLAN"][0]!.Plan;
    });
  }

  // tasks(first: 20, condition: { projectId: $p }, orderBy: NUMBER_DESC) { nodes { … } }
  const TASKS_OF_PROJECT = `
    select __tasks__."id" as "0", "app_public"."tasks_identifier"(__tasks__) as "1",
           __tasks__."title" as "2", __tasks__."status"::text as "3"
      from "app_public"."tasks" as __tasks__
     where (__tasks__."project_id" = $1::"uuid")
     order by __tasks__."number" desc, __tasks__."id" desc
     limit 21`;

  // pipelineExecutions(first: 20, condition: { pipelineId: $p }, orderBy: CREATED_AT_DESC)
  const EXECUTIONS_OF_PIPELINE = `
    select __pipeline_executions__."id" as "0", __pipeline_executions__."status"::text as "1",
           __pipeline_executions__."branch" as "2"
      from "app_public"."pipeline_executions" as __pipeline_executions__
     where (__pipeline_executions__."pipeline_id" = $1::"uuid")
     order by __pipeline_executions__."created_at" desc, __pipeline_executions__."id" desc
     limit 21`;

  // users(first: 20, orderBy: EMAIL_ASC)
  const USERS = `
    select __users__."id" as "0", __users__."email" as "1", __users__."name" as "2"
      from "app_public"."users" as __users__
     order by __users__."email" asc
     limit 21`;

  const cases = [
    { module: "users", table: /^users$/, sql: USERS, values: () => [] as unknown[] },
    {
      module: "tasks",
      table: /^tasks$/,
      sql: TASKS_OF_PROJECT,
      values: (x: Tenant) => [x.projectId],
    },
    {
      module: "pipelines",
      table: /^pipeline_executions/,
      sql: EXECUTIONS_OF_PIPELINE,
      values: (x: Tenant) => [x.pipelineId],
    },
  ];

  for (const { module, table, sql, values } of cases) {
    it(`reads a page of the largest tenant's ${module} by an index, stopping at the page`, async () => {
      const plan = await planAs(big, sql, values(big));
      const all = nodes(plan);
      expect(all.map((n) => n["Node Type"])).not.toContain("Sort");
      const scans = scansOf(plan, table);
      expect(scans.length).toBeGreaterThan(0);
      for (const scan of scans) expect(scan["Node Type"]).toMatch(/^Index (Only )?Scan$/);
      // About one page is read, not the tenant's 20,000 rows (or its 200 users).
      const read = scans.reduce((sum, scan) => sum + (scan["Actual Rows"] ?? 0), 0);
      expect(read).toBeLessThanOrEqual(100);
    });

    it(`reads the smallest tenant's ${module} by an index too`, async () => {
      const plan = await planAs(small, sql, values(small));
      const scans = scansOf(plan, table);
      expect(scans.length).toBeGreaterThan(0);
      for (const scan of scans) {
        const examined = (scan["Actual Rows"] ?? 0) + (scan["Rows Removed by Filter"] ?? 0);
        // A sequential scan only of an empty partition (a month ahead): it reads nothing.
        if (scan["Node Type"] === "Seq Scan")
          expect({ [scan["Relation Name"]!]: examined }).toEqual({ [scan["Relation Name"]!]: 0 });
        else expect(scan["Node Type"]).toMatch(/^(Index (Only )?Scan|Bitmap Heap Scan)$/);
      }
    });
  }

  it("pages a large tenant's users by email without sorting the whole tenant", async () => {
    const plan = await asActor(t, big, async (c) => {
      const { rows } = await c.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
        `explain (analyze, format json)
         select __users__."id" as "0", __users__."email" as "1", __users__."name" as "2", __users__."role"::text as "3"
           from "app_public"."users" as __users__
          order by __users__."email" asc, __users__."organization_id" asc, __users__."id" asc
          limit 21`,
      );
      return rows[0]!["QUERY PLAN"][0]!.Plan;
    });
    const all = nodes(plan);
    expect(all.map((n) => n["Node Type"])).not.toContain("Sort");
    const scan = all.find((n) => n["Relation Name"] === "users");
    expect(scan?.["Node Type"]).toBe("Index Scan");
    // It reads about one page, not the whole tenant.
    expect(scan?.["Actual Rows"]).toBeLessThanOrEqual(100);
  });
});
