/**
 * Projects and tasks through the GraphQL API, as a client uses them: the role
 * matrix (viewers read, members create and edit tasks, admins manage projects),
 * identifiers, the tree and its rollup, dependencies with their coded refusals
 * (the cycle named in `extensions.detail`), the resolution queries (blockers,
 * ready tasks, execution order, critical path, what finishing unblocks) and
 * search, all scoped to the token's organization.
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
    expect(edit.body).toEqual({ data: { updateTask: { task: null } } });
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
});
