/**
 * CI/CD pipelines through the GraphQL API, as clients use them: admins define a
 * pipeline (a bad definition refused with the offending path in
 * `extensions.detail`), members start runs, a runner drives the steps
 * (readySteps → startStep → appendStepLog → completeStep), the execution
 * completes by itself with durations computed by the database, re-runs make
 * new attempts, concurrency limits queue runs, statistics and aggregates read
 * the history, artifacts are registered and deleted; all of it scoped to the
 * token's organization.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi, type GqlResponse } from "../support/api.ts";

type Role = keyof OrgFixture["users"];

interface Execution {
  rowId: string;
  status: string;
  conclusion: string | null;
  attempt: number;
  runId: string;
  previousAttemptId: string | null;
  startedAt: string | null;
  completedAt: string | null;
  runDurationMs: string | null;
  queuedDurationMs: string | null;
}

const EXECUTION = `rowId status conclusion attempt runId previousAttemptId startedAt completedAt runDurationMs queuedDurationMs`;

describe("pipelines over GraphQL", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);
  let org: OrgFixture;
  let other: OrgFixture;
  let repository: string;
  let pipeline: string;
  const as = (role: Role, o: OrgFixture = org) => token({ orgId: o.orgId, userId: o.users[role] });
  const codeOf = (res: GqlResponse) => res.body.errors?.[0]?.extensions?.code;
  const detailOf = (res: GqlResponse) =>
    (res.body.errors?.[0]?.extensions as { detail?: string } | undefined)?.detail;

  const createPipeline = async (fields: Record<string, unknown>, role: Role = "admin") =>
    gql<{ createPipeline: { pipeline: { rowId: string; name: string } } }>(
      ctx,
      `mutation($p: PipelineInput!) { createPipeline(input: { pipeline: $p }) { pipeline { rowId name } } }`,
      { p: { repositoryId: repository, ...fields } },
      await as(role),
    );

  const startExecution = async (
    pipelineId: string,
    extra: Record<string, unknown> = {},
    role: Role = "member",
  ) =>
    gql<{ startExecution: { execution: Execution } }>(
      ctx,
      `mutation($input: StartExecutionInput!) { startExecution(input: $input) { execution { ${EXECUTION} } } }`,
      { input: { pipelineId, ...extra } },
      await as(role),
    );

  const readySteps = async (executionId: string) =>
    (
      await gql<{ readySteps: { nodes: Array<{ rowId: string; name: string }> } }>(
        ctx,
        `query($e: UUID!) { readySteps(executionId: $e, first: 100) { nodes { rowId name } } }`,
        { e: executionId },
        await as("member"),
      )
    ).body.data!.readySteps.nodes;

  const step = async (mutation: string, input: Record<string, unknown>) =>
    gql<Record<string, { step: { status: string; conclusion: string | null; attempt: number } }>>(
      ctx,
      `mutation($input: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { step { status conclusion attempt } } }`,
      { input },
      await as("member"),
    );

  /** A runner: starts and completes every ready step until none is left. */
  const runAll = async (executionId: string, conclusion = "SUCCESS") => {
    for (
      let ready = await readySteps(executionId);
      ready.length > 0;
      ready = await readySteps(executionId)
    ) {
      for (const s of ready) {
        expect((await step("startStep", { stepId: s.rowId })).body.errors).toBeUndefined();
        expect(
          (await step("completeStep", { stepId: s.rowId, conclusion })).body.errors,
        ).toBeUndefined();
      }
    }
  };

  const execution = async (rowId: string, role: Role = "viewer", o: OrgFixture = org) =>
    (
      await gql<{
        pipelineExecution:
          | (Execution & {
              steps: {
                nodes: Array<{
                  name: string;
                  status: string;
                  conclusion: string | null;
                  log: string | null;
                }>;
              };
            })
          | null;
      }>(
        ctx,
        `query($id: UUID!) { pipelineExecution(rowId: $id) { ${EXECUTION} steps(first: 50, orderBy: POSITION_ASC) { nodes { name status conclusion log } } } }`,
        { id: rowId },
        await as(role, o),
      )
    ).body.data!.pipelineExecution;

  beforeAll(async () => {
    org = await createOrg(t, "gql-pipelines");
    other = await createOrg(t, "gql-pipelines-other");
    const repo = await gql<{ createRepository: { repository: { rowId: string } } }>(
      ctx,
      `mutation { createRepository(input: { repository: { provider: GITHUB, fullName: "acme/app", cloneUrl: "https://github.com/acme/app.git" } }) { repository { rowId } } }`,
      {},
      await as("admin"),
    );
    repository = repo.body.data!.createRepository.repository.rowId;
    const created = await createPipeline({
      name: "ci",
      definition: {
        timeout_minutes: 30,
        steps: [
          { name: "build/checkout", job: "build", uses: "actions/checkout@v4" },
          { name: "build/compile", job: "build", run: "make" },
          { name: "test", needs: ["build"], run: "make test" },
          { name: "lint", run: "make lint" },
        ],
      },
      triggerConfig: { events: ["push"], branches: ["main"] },
    });
    expect(created.body.errors).toBeUndefined();
    pipeline = created.body.data!.createPipeline.pipeline.rowId;
  });

  it("lets admins manage pipelines, members start runs, and viewers only read", async () => {
    expect(
      codeOf(
        await createPipeline({ name: "nope", definition: { steps: [{ name: "a" }] } }, "member"),
      ),
    ).toBe("42501");
    expect(codeOf(await startExecution(pipeline, {}, "viewer"))).toBe("FL002");
    const list = await gql<{ pipelines: { nodes: Array<{ name: string }> } }>(
      ctx,
      `{ pipelines(first: 10) { nodes { name } } }`,
      {},
      await as("viewer"),
    );
    expect(list.body.data!.pipelines.nodes.map((p) => p.name)).toEqual(["ci"]);
  });

  it("refuses a bad definition with FL201 and the offending path", async () => {
    const typo = await createPipeline({
      name: "typo",
      definition: {
        steps: [{ name: "test" }, { name: "lint" }, { name: "deploy", needs: ["tset"] }],
      },
    });
    expect(codeOf(typo)).toBe("FL201");
    expect(detailOf(typo)).toBe('steps[2].needs[0]: unknown step "tset"');
    const cycle = await createPipeline({
      name: "cycle",
      definition: {
        steps: [
          { name: "a", needs: ["b"] },
          { name: "b", needs: ["a"] },
        ],
      },
    });
    expect(codeOf(cycle)).toBe("FL201");
    expect(detailOf(cycle)).toBe("steps[0].needs: cycle a → b → a");
    const update = await gql(
      ctx,
      `mutation($id: UUID!) { updatePipeline(input: { rowId: $id, patch: { definition: { steps: [] } } }) { pipeline { name } } }`,
      { id: pipeline },
      await as("admin"),
    );
    expect(codeOf(update)).toBe("FL201");
    expect(detailOf(update)).toBe("steps: must be an array of 1 to 200 steps");
  });

  it("runs an execution through its steps to a completion the database times", async () => {
    const started = await startExecution(pipeline, {
      event: "push",
      branch: "main",
      commitSha: "a".repeat(40),
    });
    expect(started.body.errors).toBeUndefined();
    const run = started.body.data!.startExecution.execution;
    expect(run).toMatchObject({ status: "IN_PROGRESS", attempt: 1, conclusion: null });
    expect(run.runId).toBe(run.rowId);

    // The first job's first step and the independent lint are ready; test waits for the build job.
    expect((await readySteps(run.rowId)).map((s) => s.name).sort()).toEqual([
      "build/checkout",
      "lint",
    ]);
    const checkout = (await readySteps(run.rowId)).find((s) => s.name === "build/checkout")!;
    const compile = (
      await t.root.query<{ id: string }>(
        "select id from app_public.pipeline_steps where execution_id = $1 and name = 'build/compile'",
        [run.rowId],
      )
    ).rows[0]!.id;
    expect(codeOf(await step("startStep", { stepId: compile }))).toBe("FL205");
    await step("startStep", { stepId: checkout.rowId });
    expect(codeOf(await step("startStep", { stepId: checkout.rowId }))).toBe("FL202");
    expect(
      (await step("appendStepLog", { stepId: checkout.rowId, content: "cloning\n" })).body.errors,
    ).toBeUndefined();
    await step("appendStepLog", { stepId: checkout.rowId, content: "done\n" });
    await step("completeStep", { stepId: checkout.rowId, conclusion: "SUCCESS", exitCode: 0 });
    await runAll(run.rowId);

    const done = (await execution(run.rowId))!;
    expect(done).toMatchObject({ status: "COMPLETED", conclusion: "SUCCESS" });
    expect(Number(done.runDurationMs)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(done.completedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt!));
    expect(done.steps.nodes.map((s) => [s.name, s.conclusion])).toEqual([
      ["build/checkout", "SUCCESS"],
      ["build/compile", "SUCCESS"],
      ["test", "SUCCESS"],
      ["lint", "SUCCESS"],
    ]);
    expect(done.steps.nodes[0]!.log).toBe("cloning\ndone\n");
    // Durations and statuses are the database's: there is no mutation that sets them.
    const forged = await gql(
      ctx,
      `mutation($id: UUID!) { updatePipelineExecution(input: { rowId: $id, patch: { runDurationMs: "1" } }) { clientMutationId } }`,
      { id: run.rowId },
      await as("owner"),
    );
    expect(codeOf(forged)).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("skips what needs a failed step, and re-runs only what failed as a new attempt", async () => {
    const run = (await startExecution(pipeline)).body.data!.startExecution.execution;
    const ready = await readySteps(run.rowId);
    for (const s of ready) {
      await step("startStep", { stepId: s.rowId });
      await step("completeStep", {
        stepId: s.rowId,
        conclusion: s.name === "build/checkout" ? "FAILURE" : "SUCCESS",
        exitCode: s.name === "build/checkout" ? 2 : 0,
        error: { message: "network unreachable" },
      });
    }
    const failed = (await execution(run.rowId))!;
    expect(failed).toMatchObject({ status: "COMPLETED", conclusion: "FAILURE" });
    expect(failed.steps.nodes.map((s) => [s.name, s.conclusion])).toEqual([
      ["build/checkout", "FAILURE"],
      ["build/compile", "SKIPPED"],
      ["test", "SKIPPED"],
      ["lint", "SUCCESS"],
    ]);

    const rerun = await gql<{ rerunExecution: { execution: Execution } }>(
      ctx,
      `mutation($id: UUID!) { rerunExecution(input: { executionId: $id, failedOnly: true }) { execution { ${EXECUTION} } } }`,
      { id: run.rowId },
      await as("member"),
    );
    expect(rerun.body.errors).toBeUndefined();
    const second = rerun.body.data!.rerunExecution.execution;
    expect(second).toMatchObject({
      attempt: 2,
      runId: run.rowId,
      previousAttemptId: run.rowId,
      status: "IN_PROGRESS",
    });
    expect((await readySteps(second.rowId)).map((s) => s.name)).toEqual(["build/checkout"]);
    await runAll(second.rowId);
    const fixed = (await execution(second.rowId))!;
    expect(fixed.conclusion).toBe("SUCCESS");
    // The first attempt is kept as it ended; re-running it again is refused.
    expect((await execution(run.rowId))!.conclusion).toBe("FAILURE");
    const again = await gql(
      ctx,
      `mutation($id: UUID!) { rerunExecution(input: { executionId: $id }) { execution { rowId } } }`,
      { id: run.rowId },
      await as("member"),
    );
    expect(codeOf(again)).toBe("FL207");
  });

  it("queues runs past the concurrency limit and starts the next when one completes", async () => {
    const limited = (
      await createPipeline({
        name: "deploy",
        definition: { steps: [{ name: "ship" }] },
        concurrencyLimit: 1,
      })
    ).body.data!.createPipeline.pipeline.rowId;
    const first = (await startExecution(limited)).body.data!.startExecution.execution;
    const second = (await startExecution(limited)).body.data!.startExecution.execution;
    expect([first.status, second.status]).toEqual(["IN_PROGRESS", "QUEUED"]);
    expect(
      codeOf(
        await step("startStep", {
          stepId: (
            await t.root.query<{ id: string }>(
              "select id from app_public.pipeline_steps where execution_id = $1",
              [second.rowId],
            )
          ).rows[0]!.id,
        }),
      ),
    ).toBe("FL205");
    const cancelled = await gql<{ cancelExecution: { execution: Execution } }>(
      ctx,
      `mutation($id: UUID!) { cancelExecution(input: { executionId: $id, reason: "wrong commit" }) { execution { ${EXECUTION} } } }`,
      { id: first.rowId },
      await as("member"),
    );
    expect(cancelled.body.data!.cancelExecution.execution).toMatchObject({
      status: "COMPLETED",
      conclusion: "CANCELLED",
    });
    const promoted = (await execution(second.rowId))!;
    expect(promoted.status).toBe("IN_PROGRESS");
    expect(Number(promoted.queuedDurationMs)).toBeGreaterThanOrEqual(0);
    await runAll(second.rowId);
  });

  it("reports statistics per branch and aggregates over executions", async () => {
    await runAll(
      (await startExecution(pipeline, { branch: "feature/x" })).body.data!.startExecution.execution
        .rowId,
    );
    const stats = await gql<{
      pipelineStats: {
        nodes: Array<{
          branch: string | null;
          runs: number;
          successes: number;
          failures: number;
          successRate: number | null;
          p50RunMs: string | null;
        }>;
      };
    }>(
      ctx,
      `query($p: UUID!) { pipelineStats(pipelineId: $p, first: 10) { nodes { branch runs successes failures successRate p50RunMs } } }`,
      { p: pipeline },
      await as("viewer"),
    );
    expect(stats.body.errors).toBeUndefined();
    const rows = stats.body.data!.pipelineStats.nodes;
    expect(rows.map((r) => [r.branch, r.runs, r.successes, r.failures])).toEqual([
      [null, 4, 3, 1],
      ["feature/x", 1, 1, 0],
      ["main", 3, 2, 1],
    ]);
    expect(rows[0]!.successRate).toBeCloseTo(0.75);
    expect(rows[0]!.p50RunMs).not.toBeNull();

    const aggregates = await gql<{
      pipelineExecutions: {
        aggregates: { distinctCount: { rowId: string }; sum: { runDurationMs: string } };
      };
    }>(
      ctx,
      `query($p: UUID!) { pipelineExecutions(first: 1, condition: { pipelineId: $p }) { aggregates { distinctCount { rowId } sum { runDurationMs } } } }`,
      { p: pipeline },
      await as("viewer"),
    );
    expect(aggregates.body.errors).toBeUndefined();
    expect(aggregates.body.data!.pipelineExecutions.aggregates.distinctCount.rowId).toBe("4");
  });

  it("registers artifacts of a running step, and lets admins delete them", async () => {
    const run = (await startExecution(pipeline)).body.data!.startExecution.execution;
    const lint = (await readySteps(run.rowId)).find((s) => s.name === "lint")!;
    await step("startStep", { stepId: lint.rowId });
    const added = await gql<{
      addArtifact: { artifact: { rowId: string; storageKey: string; expiresAt: string } };
    }>(
      ctx,
      `mutation($s: UUID!) { addArtifact(input: { stepId: $s, name: "reports/lint.json", sizeBytes: "512", contentType: "application/json" }) { artifact { rowId storageKey expiresAt } } }`,
      { s: lint.rowId },
      await as("member"),
    );
    expect(added.body.errors).toBeUndefined();
    const artifact = added.body.data!.addArtifact.artifact;
    expect(artifact.storageKey).toBe(`${org.orgId}/${run.rowId}/${artifact.rowId}`);
    const bad = await gql(
      ctx,
      `mutation($s: UUID!) { addArtifact(input: { stepId: $s, name: "../../etc/passwd", sizeBytes: "1" }) { artifact { rowId } } }`,
      { s: lint.rowId },
      await as("member"),
    );
    expect(codeOf(bad)).toBe("FL204");

    const del = `mutation($id: UUID!) { deletePipelineArtifact(input: { rowId: $id }) { pipelineArtifact { rowId } } }`;
    expect(codeOf(await gql(ctx, del, { id: artifact.rowId }, await as("member")))).toBe("FL002");
    expect(codeOf(await gql(ctx, del, { id: artifact.rowId }, await as("admin", other)))).toBe(
      "FL003",
    );
    expect(
      (await gql(ctx, del, { id: artifact.rowId }, await as("admin"))).body.errors,
    ).toBeUndefined();
    const { rows } = await t.root.query<{ n: number }>(
      `select count(*)::int as n from graphile_worker._private_jobs j
         join graphile_worker._private_tasks k on k.id = j.task_id
        where k.identifier = 'pipeline_artifacts__delete' and j.payload->>'artifactId' = $1`,
      [artifact.rowId],
    );
    expect(rows[0]!.n).toBe(1);
    await gql(
      ctx,
      `mutation($id: UUID!) { cancelExecution(input: { executionId: $id }) { clientMutationId } }`,
      { id: run.rowId },
      await as("member"),
    );
  });

  it("shows another organization none of it, and lets it change none of it", async () => {
    const run = (await startExecution(pipeline)).body.data!.startExecution.execution;
    expect(await execution(run.rowId, "owner", other)).toBeNull();
    const foreign = await gql(
      ctx,
      `mutation($id: UUID!) { cancelExecution(input: { executionId: $id }) { execution { rowId } } }`,
      { id: run.rowId },
      await as("owner", other),
    );
    expect(codeOf(foreign)).toBe("FL003");
    const theirs = await gql(
      ctx,
      `mutation($p: UUID!) { startExecution(input: { pipelineId: $p }) { execution { rowId } } }`,
      { p: pipeline },
      await as("owner", other),
    );
    expect(codeOf(theirs)).toBe("FL003");
    const listed = await gql<{ pipelineExecutions: { totalCount: number } }>(
      ctx,
      `{ pipelineExecutions(first: 1) { totalCount } }`,
      {},
      await as("owner", other),
    );
    expect(listed.body.data!.pipelineExecutions.totalCount).toBe(0);
  });
});
