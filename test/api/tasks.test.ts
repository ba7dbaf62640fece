/**
 * Projects and tasks through the GraphQL API, as a client uses them: the role
 * matrix (viewers read, members create and edit tasks, admins manage projects),
 * identifiers, the tree and its rollup, dependencies with their coded refusals
 * (the cycle named in `extensions.detail`), the resolution queries (blockers,
 * ready tasks, execution order, critical path of a project and up to a task,
 * ancestors, what finishing unblocks) and search (by words, misspelt, by
 * identifier), all scoped to the token's organization. Refusals carry their
 * codes: an insert the policy refuses 42501, an update or delete of a visible
 * row the role may not change FL002, of a row the caller cannot see FL003.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi, type GqlResponse } from "../support/api.ts";

type Role = keyof OrgFixture["users"];

describe("projects and tasks over GraphQL", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);
  let org: OrgFixture;
  let other: OrgFixture;
  let project: string;
  const ids: Record<string, string> = {};
  const as = (role: Role, o: OrgFixture = org) => token({ orgId: o.orgId, userId: o.users[role] });
  const codeOf = (res: GqlResponse) => res.body.errors?.[0]?.extensions?.code;

  const createTask = async (
    title: string,
    extra: Record<string, unknown> = {},
    role: Role = "member",
  ) =>
    gql<{ createTask: { task: { rowId: string; identifier: string } } }>(
      ctx,
      `mutation($task: TaskInput!) { createTask(input: { task: $task }) { task { rowId identifier } } }`,
      { task: { projectId: project, title, ...extra } },
      await as(role),
    );

  const link = async (dependent: string, dependency: string) =>
    gql(
      ctx,
      `mutation($d: UUID!, $p: UUID!) { createTaskDependency(input: { taskDependency: { dependentId: $d, dependencyId: $p } }) { taskDependency { type } } }`,
      { d: ids[dependent], p: ids[dependency] },
      await as("member"),
    );

  beforeAll(async () => {
    org = await createOrg(t, "gql-tasks");
    other = await createOrg(t, "gql-tasks-other");
    const created = await gql<{ createProject: { project: { rowId: string; key: string } } }>(
      ctx,
      `mutation { createProject(input: { project: { key: "app", name: "The app" } }) { project { rowId key } } }`,
      {},
      await as("admin"),
    );
    project = created.body.data!.createProject.project.rowId;
    for (const [title, effort] of [
      ["Design", 8],
      ["Build", 13],
      ["Test", 5],
      ["Ship", 2],
    ] as const) {
      const res = await createTask(title, { estimatedEffort: String(effort) });
      ids[title] = res.body.data!.createTask.task.rowId;
    }
    for (const [dependent, dependency] of [
      ["Build", "Design"],
      ["Test", "Build"],
      ["Ship", "Test"],
    ]) {
      expect((await link(dependent!, dependency!)).body.errors).toBeUndefined();
    }
  });

  it("lets admins manage projects and members tasks, and viewers only read", async () => {
    const byMember = await gql(
      ctx,
      `mutation { createProject(input: { project: { key: "NOPE", name: "Nope" } }) { project { key } } }`,
      {},
      await as("member"),
    );
    expect(codeOf(byMember)).toBe("42501");
    const byViewer = await createTask("By a viewer", {}, "viewer");
    expect(codeOf(byViewer)).toBe("42501");
    const edit = await gql(
      ctx,
      `mutation($id: UUID!) { updateTask(input: { rowId: $id, patch: { title: "Viewer edit" } }) { task { title } } }`,
      { id: ids.Design },
      await as("viewer"),
    );
    // The viewer sees the task, so the refusal says it is the role (not a missing row).
    expect(edit.body).toMatchObject({ data: { updateTask: null }, errors: [{}] });
    expect(codeOf(edit)).toBe("FL002");
    const read = await gql<{ tasks: { totalCount: number } }>(
      ctx,
      "{ tasks { totalCount } }",
      {},
      await as("viewer"),
    );
    expect(read.body.data?.tasks.totalCount).toBe(4);
  });

  it("numbers tasks per project and finds them by identifier", async () => {
    const found = await gql(
      ctx,
      `{ taskByIdentifier(identifier: "app-2") { title number identifier project { key } } }`,
      {},
      await as("viewer"),
    );
    expect(found.body).toEqual({
      data: {
        taskByIdentifier: {
          title: "Build",
          number: 2,
          identifier: "APP-2",
          project: { key: "APP" },
        },
      },
    });
  });

  it("builds a tree, rolls it up, and refuses a move under its own subtask", async () => {
    const epic = await createTask("Epic", { type: "EPIC", estimatedEffort: "1" });
    ids.Epic = epic.body.data!.createTask.task.rowId;
    const child = await createTask("Child", { parentId: ids.Epic, estimatedEffort: "3" });
    ids.Child = child.body.data!.createTask.task.rowId;
    await createTask("Grandchild", { parentId: ids.Child, estimatedEffort: "4", status: "TODO" });
    const tree = await gql(
      ctx,
      `query($id: UUID!) {
         task(rowId: $id) { identifier rollup { children descendants todo estimatedEffort }
                            childTasks(first: 10) { nodes { title } } }
         taskDescendants(taskId: $id, first: 10) { nodes { depth task { title } } } }`,
      { id: ids.Epic },
      await as("viewer"),
    );
    expect(tree.body).toEqual({
      data: {
        task: {
          identifier: "APP-5",
          rollup: { children: 1, descendants: 2, todo: 1, estimatedEffort: "8.00" },
          childTasks: { nodes: [{ title: "Child" }] },
        },
        taskDescendants: {
          nodes: [
            { depth: 1, task: { title: "Child" } },
            { depth: 2, task: { title: "Grandchild" } },
          ],
        },
      },
    });
    const loop = await gql(
      ctx,
      `mutation($id: UUID!, $parent: UUID!) { updateTask(input: { rowId: $id, patch: { parentId: $parent } }) { task { title } } }`,
      { id: ids.Epic, parent: ids.Child },
      await as("member"),
    );
    expect(codeOf(loop)).toBe("FL104");
  });

  it("refuses a blocking cycle with the cycle in extensions.detail, and a bad transition with a hint", async () => {
    const cycle = await link("Design", "Ship");
    expect(cycle.body.errors?.[0]?.extensions).toMatchObject({
      code: "FL106",
      detail: "APP-1 → APP-4 → APP-3 → APP-2 → APP-1",
    });
    const jump = await gql(
      ctx,
      `mutation($id: UUID!) { updateTask(input: { rowId: $id, patch: { status: DONE } }) { task { status } } }`,
      { id: ids.Design },
      await as("member"),
    );
    expect(jump.body.errors?.[0]?.extensions).toMatchObject({
      code: "FL103",
      hint: "Allowed next statuses: todo, in_progress, cancelled",
    });
    const transitions = await gql<{
      taskStatusTransitions: { nodes: Array<{ toStatus: string }> };
    }>(
      ctx,
      `{ taskStatusTransitions(first: 20, condition: { fromStatus: BACKLOG }) { nodes { toStatus } } }`,
      {},
      await as("viewer"),
    );
    expect(
      transitions.body.data?.taskStatusTransitions.nodes.map((n) => n.toStatus).sort(),
    ).toEqual(["CANCELLED", "IN_PROGRESS", "TODO"]);
  });

  it("answers the resolution queries", async () => {
    const res = await gql(
      ctx,
      `query($ship: UUID!, $design: UUID!, $project: UUID!) {
         taskBlockers(taskId: $ship, first: 10) { nodes { distance task { title } } }
         blockedTasks(taskId: $design, first: 10) { nodes { otherOpenBlockers task { title } } }
         readyTasks(projectId: $project, first: 10) { nodes { title } }
         taskCriticalPath(projectId: $project, first: 10) { nodes { position totalEffort task { title } } }
         order: taskExecutionOrder(projectId: $project, first: 3) { nodes { level task { title } } } }`,
      { ship: ids.Ship, design: ids.Design, project },
      await as("viewer"),
    );
    expect(res.body).toEqual({
      data: {
        taskBlockers: {
          nodes: [
            { distance: 1, task: { title: "Test" } },
            { distance: 2, task: { title: "Build" } },
            { distance: 3, task: { title: "Design" } },
          ],
        },
        blockedTasks: { nodes: [{ otherOpenBlockers: 0, task: { title: "Build" } }] },
        readyTasks: {
          nodes: [
            { title: "Design" },
            { title: "Epic" },
            { title: "Child" },
            { title: "Grandchild" },
          ],
        },
        taskCriticalPath: {
          nodes: [
            { position: 1, totalEffort: "8.00", task: { title: "Design" } },
            { position: 2, totalEffort: "21.00", task: { title: "Build" } },
            { position: 3, totalEffort: "26.00", task: { title: "Test" } },
            { position: 4, totalEffort: "28.00", task: { title: "Ship" } },
          ],
        },
        order: {
          nodes: [
            { level: 0, task: { title: "Design" } },
            { level: 0, task: { title: "Epic" } },
            { level: 0, task: { title: "Child" } },
          ],
        },
      },
    });
  });

  it("searches, with highlighted snippets, only in the token's organization", async () => {
    await createTask("Fix the password reset", {
      description: "After a <reset>, the password form loops",
    });
    const query = `query($q: String!) { searchTasks(query: $q, first: 5) { nodes { snippet task { title } } } }`;
    const res = await gql<{
      searchTasks: { nodes: Array<{ snippet: string; task: { title: string } }> };
    }>(ctx, query, { q: "password" }, await as("viewer"));
    expect(res.body.data?.searchTasks.nodes[0]).toEqual({
      snippet: "After a &lt;reset&gt;, the <mark>password</mark> form loops",
      task: { title: "Fix the password reset" },
    });
    const misspelt = await gql<{ searchTasks: { nodes: Array<{ task: { title: string } }> } }>(
      ctx,
      query,
      { q: "Buld" },
      await as("viewer"),
    );
    expect(misspelt.body.data?.searchTasks.nodes.map((n) => n.task.title)).toContain("Build");
    const elsewhere = await gql(ctx, query, { q: "password" }, await as("owner", other));
    expect(elsewhere.body).toEqual({ data: { searchTasks: { nodes: [] } } });
  });

  it("finds a task by its identifier first, in any case", async () => {
    const query = `query($q: String!) { searchTasks(query: $q, first: 3) { nodes { rank task { identifier title } } } }`;
    for (const q of ["APP-2", " app-2 "]) {
      const res = await gql<{
        searchTasks: {
          nodes: Array<{ rank: number; task: { identifier: string; title: string } }>;
        };
      }>(ctx, query, { q }, await as("viewer"));
      expect(res.body.errors).toBeUndefined();
      const [first] = res.body.data!.searchTasks.nodes;
      expect(first?.task).toEqual({ identifier: "APP-2", title: "Build" });
      // The identifier's bonus (10) puts it above any text match (< 10).
      expect(first!.rank).toBeGreaterThanOrEqual(10);
    }
    const elsewhere = await gql(ctx, query, { q: "APP-2" }, await as("viewer", other));
    expect(elsewhere.body).toEqual({ data: { searchTasks: { nodes: [] } } });
  });

  it("lists a task's ancestors, parent first, and the critical path that ends at a task", async () => {
    const found = await gql<{ taskByIdentifier: { rowId: string; title: string } }>(
      ctx,
      `{ taskByIdentifier(identifier: "APP-7") { rowId title } }`,
      {},
      await as("viewer"),
    );
    const grandchild = found.body.data!.taskByIdentifier;
    expect(grandchild.title).toBe("Grandchild");
    const res = await gql(
      ctx,
      `query($leaf: UUID!, $test: UUID!, $epic: UUID!) {
         taskAncestors(taskId: $leaf, first: 10) { nodes { depth task { identifier title } } }
         top: taskAncestors(taskId: $epic, first: 10) { totalCount }
         taskCriticalPath(taskId: $test, first: 10) { nodes { position effort totalEffort task { title } } } }`,
      { leaf: grandchild.rowId, test: ids.Test, epic: ids.Epic },
      await as("viewer"),
    );
    expect(res.body).toEqual({
      data: {
        taskAncestors: {
          nodes: [
            { depth: 1, task: { identifier: "APP-6", title: "Child" } },
            { depth: 2, task: { identifier: "APP-5", title: "Epic" } },
          ],
        },
        top: { totalCount: 0 },
        // The longest chain ending at Test (Ship, after it, is not on it).
        taskCriticalPath: {
          nodes: [
            { position: 1, effort: "8.00", totalEffort: "8.00", task: { title: "Design" } },
            { position: 2, effort: "13.00", totalEffort: "21.00", task: { title: "Build" } },
            { position: 3, effort: "5.00", totalEffort: "26.00", task: { title: "Test" } },
          ],
        },
      },
    });
    const neither = await gql(
      ctx,
      `{ taskCriticalPath(first: 1) { nodes { position } } }`,
      {},
      await as("viewer"),
    );
    expect(codeOf(neither)).toBe("FL005");
    const theirs = await gql(
      ctx,
      `query($test: UUID!) { taskCriticalPath(taskId: $test, first: 1) { nodes { position } } }`,
      { test: ids.Test },
      await as("viewer", other),
    );
    expect(codeOf(theirs)).toBe("FL003");
  });

  it("holds the role matrix: viewers only read, members work on tasks, admins manage", async () => {
    const first = (await createTask("Matrix first")).body.data!.createTask.task.rowId;
    const then = (await createTask("Matrix then")).body.data!.createTask.task.rowId;
    const dep = { d: then, p: first };
    const createDependency = `mutation($d: UUID!, $p: UUID!) { createTaskDependency(input: { taskDependency: { dependentId: $d, dependencyId: $p } }) { taskDependency { type } } }`;
    const deleteDependency = `mutation($d: UUID!, $p: UUID!) { deleteTaskDependency(input: { dependentId: $d, dependencyId: $p }) { taskDependency { type } } }`;
    const deleteTask = `mutation($id: UUID!) { deleteTask(input: { rowId: $id }) { task { title } } }`;
    const createRepository = `mutation { createRepository(input: { repository: { provider: GITHUB, fullName: "gql-tasks/matrix", cloneUrl: "https://github.com/gql-tasks/matrix.git" } }) { repository { fullName } } }`;
    const updateProject = `mutation($id: UUID!) { updateProject(input: { rowId: $id, patch: { name: "Renamed app" } }) { project { name } } }`;
    const viewer = await as("viewer");
    const member = await as("member");
    const admin = await as("admin");

    // A viewer: reads only. Inserting is refused by the policy's check (42501);
    // deleting a row it can see is refused for its role (FL002).
    expect(codeOf(await gql(ctx, createDependency, dep, viewer))).toBe("42501");
    const linked = await gql(ctx, createDependency, dep, member);
    expect(linked.body).toEqual({
      data: { createTaskDependency: { taskDependency: { type: "BLOCKS" } } },
    });
    expect(codeOf(await gql(ctx, deleteDependency, dep, viewer))).toBe("FL002");
    expect(codeOf(await gql(ctx, deleteTask, { id: then }, viewer))).toBe("FL002");
    // A member: works on tasks, but deletes none and manages no project or repository.
    expect(codeOf(await gql(ctx, deleteTask, { id: then }, member))).toBe("FL002");
    expect(codeOf(await gql(ctx, createRepository, {}, member))).toBe("42501");
    expect(codeOf(await gql(ctx, updateProject, { id: project }, member))).toBe("FL002");
    const unchanged = await t.root.query<{ deps: number; tasks: number; repos: number }>(
      `select (select count(*) from app_public.task_dependencies where dependent_id = $1)::int as deps,
              (select count(*) from app_public.tasks where id = $1)::int as tasks,
              (select count(*) from app_public.repositories where organization_id = $2)::int as repos`,
      [then, org.orgId],
    );
    expect(unchanged.rows).toEqual([{ deps: 1, tasks: 1, repos: 0 }]);

    // An admin does all of it.
    expect((await gql(ctx, deleteDependency, dep, admin)).body).toEqual({
      data: { deleteTaskDependency: { taskDependency: { type: "BLOCKS" } } },
    });
    expect((await gql(ctx, deleteTask, { id: then }, admin)).body).toEqual({
      data: { deleteTask: { task: { title: "Matrix then" } } },
    });
    expect((await gql(ctx, createRepository, {}, admin)).body).toEqual({
      data: { createRepository: { repository: { fullName: "gql-tasks/matrix" } } },
    });
    expect((await gql(ctx, updateProject, { id: project }, admin)).body).toEqual({
      data: { updateProject: { project: { name: "Renamed app" } } },
    });
    // Another organization's admin sees none of it: missing, not refused.
    const foreign = await as("admin", other);
    expect(codeOf(await gql(ctx, deleteTask, { id: first }, foreign))).toBe("FL003");
    expect(codeOf(await gql(ctx, updateProject, { id: project }, foreign))).toBe("FL003");
    expect(ctx.errors).toEqual([]);
  });
});
