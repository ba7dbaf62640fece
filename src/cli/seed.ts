/**
 * `forgeline seed`: a demo organization to explore the API with, made through the
 * same SQL and grants the API uses (create_organization, add_user,
 * set_feature_flag, inserts into projects, tasks and task_dependencies, the
 * pipeline functions), acting as a signed-in user through src/db/session.ts
 * (asUser), so RLS and every trigger apply. It adds a demo project (DEMO): a
 * launch plan four levels deep with blocking links and a task in every status;
 * and a repository with a `ci` pipeline and three runs driven as a runner would
 * (one passed, one failed with its tests skipped, one running). Idempotent and resumable:
 * what exists is reported, what is missing is made. Prints the ids and, where
 * this process can sign them, a token per user.
 */
import pg from "pg";
import { asUser } from "../db/session.ts";
import { jwtConfig, loadConfig, rolesOf, USER_ROLES } from "../config.ts";
import { resolveDatabase } from "../db/resolve.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { logger, logToStderr } from "../logger.ts";
import { exitOnSignals } from "../runtime.ts";
import { mintToken } from "../server/auth.ts";

interface Member {
  role: string;
  id: string;
  email: string;
}

export async function seedCommand(options: { slug: string; name: string }): Promise<void> {
  // stdout is the ids and tokens; progress and errors are logged on stderr.
  logToStderr();
  exitOnSignals();
  const config = loadConfig();
  const postgresLog = logger.child({ component: "postgres" });
  const resolved = await resolveDatabase(config, (line) => postgresLog.info(line), {
    setup: true,
  });
  try {
    const db = resolved.database;
    const roles = rolesOf(db);
    await migrateDatabase({ ownerUrl: db.ownerUrl, rootUrl: db.rootUrl, roles, quiet: true });
    const { orgId, members, created, projectId, pipelineId } = await seed(db.ownerUrl, options);
    // Output for the person at the terminal, not for a log pipeline.
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`${created ? "Created" : "Found"} organization "${options.slug}": ${orgId}`);
    out(`Demo project DEMO (tasks DEMO-1 … DEMO-${DEMO_TASKS.length}): ${projectId}`);
    out(`Demo pipeline ci of demo/app (3 runs): ${pipelineId}`);
    const jwt = jwtConfig(config, resolved.jwtFallbackSecret);
    for (const m of members) {
      const line = `${m.role.padEnd(6)} ${m.email.padEnd(24)} user ${m.id}`;
      if (jwt.kind !== "secret") {
        out(line);
        continue;
      }
      const token = await mintToken({
        secret: jwt.secret,
        issuer: jwt.issuer,
        audience: jwt.audience,
        sub: `seed:${m.email}`,
        orgId,
        userId: m.id,
        expiresIn: "7d",
      });
      out(`${line}\n  token (7 days): ${token}`);
    }
  } finally {
    await resolved.embedded?.stop();
  }
}

/**
 * The demo project: a launch plan four levels deep with blocking links and a task
 * in every status, so a new user's first tree, readyTasks and searchTasks
 * queries return something meaningful. `parent` and `blockedBy` name earlier
 * entries by their place in this list (1-based, the task's number).
 */
const DEMO_TASKS: Array<{
  title: string;
  type: string;
  status: string;
  effort: number;
  parent?: number;
  blockedBy?: number[];
  description?: string;
}> = [
  { title: "Launch the public beta", type: "epic", status: "in_progress", effort: 2 },
  { title: "Design the onboarding flow", type: "feature", status: "done", effort: 8, parent: 1 },
  { title: "Sketch the sign-up screens", type: "chore", status: "done", effort: 5, parent: 2 },
  {
    title: "Review the sketches with support",
    type: "chore",
    status: "done",
    effort: 2,
    parent: 2,
  },
  {
    title: "Build the onboarding flow",
    type: "feature",
    status: "in_progress",
    effort: 13,
    parent: 1,
    blockedBy: [2],
  },
  {
    title: "Sign-up form with email verification",
    type: "feature",
    status: "in_review",
    effort: 8,
    parent: 5,
    blockedBy: [3],
    description: "Verify the address with a one-time link before the account is active.",
  },
  {
    title: "Password reset",
    type: "feature",
    status: "in_progress",
    effort: 5,
    parent: 5,
    description: "Send a reset link by email; it expires after an hour.",
  },
  {
    title: "Fix the reset link that expires too early",
    type: "bug",
    status: "todo",
    effort: 2,
    parent: 7,
    description: "The password reset link expires after five minutes instead of an hour.",
  },
  {
    title: "Write the launch announcement",
    type: "chore",
    status: "todo",
    effort: 3,
    parent: 1,
    blockedBy: [5],
  },
  {
    title: "Load-test the sign-up API",
    type: "research",
    status: "backlog",
    effort: 5,
    parent: 1,
    blockedBy: [6],
  },
  {
    title: "Migrate the legacy accounts",
    type: "chore",
    status: "cancelled",
    effort: 8,
    parent: 1,
  },
  { title: "Draft the pricing page", type: "feature", status: "todo", effort: 3 },
];

async function seed(
  ownerUrl: string,
  options: { slug: string; name: string },
): Promise<{
  orgId: string;
  members: Member[];
  created: boolean;
  projectId: string;
  pipelineId: string;
}> {
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 1 });
  try {
    // The owner sees every organization: is the slug already there?
    const existing = await pool.query<{ id: string; owner: string }>(
      `select o.id, (select u.id from app_public.users u
                      where u.organization_id = o.id and u.role = 'owner' order by u.created_at limit 1) as owner
         from app_public.organizations o where o.slug = $1`,
      [options.slug],
    );
    let orgId = existing.rows[0]?.id;
    let ownerId = existing.rows[0]?.owner;
    if (!orgId || !ownerId) {
      // As a request would: a signed-in token without an organization yet.
      const owner = await asUser(
        pool,
        { sub: "seed" },
        async (c) =>
          (
            await c.query<{ organization_id: string; id: string }>(
              "select organization_id, id from app_public.create_organization($1, $2, 'Olivia Owner', $3)",
              [options.name, options.slug, `owner@${options.slug}.example`],
            )
          ).rows[0]!,
      );
      orgId = owner.organization_id;
      ownerId = owner.id;
    }
    const asOwner = { sub: `seed:owner@${options.slug}.example`, orgId, userId: ownerId };
    // Everything below is made only if missing, so a seed cut short finishes on the next run.
    const projectId = await asUser(pool, asOwner, async (c) => {
      for (const role of USER_ROLES.filter((r) => r !== "owner")) {
        const email = `${role}@${options.slug}.example`;
        const there = await c.query("select 1 from app_public.users where email = $1", [email]);
        if (there.rowCount === 0) {
          const name = `${role[0]!.toUpperCase()}${role.slice(1)} Example`;
          await c.query("select app_public.add_user($1, $2, $3)", [email, name, role]);
        }
      }
      await c.query("select app_public.set_feature_flag('advanced_analytics', true)");
      const project = await c.query<{ id: string }>(
        "select id from app_public.projects where key = 'DEMO'",
      );
      if (project.rows[0]) return project.rows[0].id;
      const made = await c.query<{ id: string }>(
        `insert into app_public.projects (key, name, description, settings)
         values ('DEMO', 'Demo launch', 'A small launch plan to explore tasks with.', '{"auto_complete_parents": true}')
         returning id`,
      );
      const id = made.rows[0]!.id;
      const member = await c.query<{ id: string }>(
        "select id from app_public.users where email = $1",
        [`member@${options.slug}.example`],
      );
      const taskIds: string[] = [];
      for (const task of DEMO_TASKS) {
        const { rows } = await c.query<{ id: string }>(
          `insert into app_public.tasks
             (project_id, parent_id, title, description, type, status, estimated_effort, assignee_id)
           values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
          [
            id,
            task.parent ? taskIds[task.parent - 1] : null,
            task.title,
            task.description ?? null,
            task.type,
            task.status,
            task.effort,
            task.status === "in_progress" ? member.rows[0]?.id : null,
          ],
        );
        taskIds.push(rows[0]!.id);
      }
      for (const [index, task] of DEMO_TASKS.entries()) {
        for (const blocker of task.blockedBy ?? []) {
          await c.query(
            "insert into app_public.task_dependencies (dependent_id, dependency_id) values ($1, $2)",
            [taskIds[index], taskIds[blocker - 1]],
          );
        }
      }
      await c.query(
        `insert into app_public.task_dependencies (dependent_id, dependency_id, type)
         values ($1, $2, 'relates_to')`,
        [taskIds[7], taskIds[6]],
      );
      return id;
    });
    const pipelineId = await asUser(pool, asOwner, (c) => seedPipeline(c, projectId));
    const users = await pool.query<Member>(
      `select u.role::text as role, u.id, u.email::text as email from app_public.users u
        where u.organization_id = $1 order by u.role desc, u.email`,
      [orgId],
    );
    return { orgId, members: users.rows, created: !existing.rows[0], projectId, pipelineId };
  } finally {
    await pool.end();
  }
}

/** The demo pipeline: build, then test and lint in parallel. */
const DEMO_DEFINITION = {
  timeout_minutes: 30,
  steps: [
    { name: "build", run: "npm ci && npm run build" },
    { name: "test", needs: ["build"], run: "npm test", retry: { max_attempts: 2 } },
    { name: "lint", needs: ["build"], run: "npm run lint" },
  ],
};

/**
 * A repository of the demo project with the `ci` pipeline and three runs driven
 * through the runner's functions: main passed, a feature branch failed its build
 * (test and lint skipped), and one is running its first step. Made only if the
 * pipeline is missing.
 */
async function seedPipeline(c: pg.ClientBase, projectId: string): Promise<string> {
  const there = await c.query<{ id: string }>(
    "select p.id from app_public.pipelines p join app_public.repositories r on r.id = p.repository_id where r.full_name = 'demo/app' and p.name = 'ci'",
  );
  if (there.rows[0]) return there.rows[0].id;
  const repository = await c.query<{ id: string }>(
    `insert into app_public.repositories (project_id, provider, full_name, clone_url)
     values ($1, 'github', 'demo/app', 'https://github.com/demo/app.git') returning id`,
    [projectId],
  );
  const pipeline = await c.query<{ id: string }>(
    `insert into app_public.pipelines (repository_id, name, description, definition, trigger_config, concurrency_group)
     values ($1, 'ci', 'Build, test and lint every push.', $2,
             '{"events": ["push", "pull_request"], "branches": ["main", "feature/**"]}', 'ci-{branch}')
     returning id`,
    [repository.rows[0]!.id, JSON.stringify(DEMO_DEFINITION)],
  );
  const id = pipeline.rows[0]!.id;
  const run = async (branch: string, outcome: (step: string) => string | null) => {
    const execution = await c.query<{ id: string }>(
      "select id from app_public.start_execution($1, 'push', $2)",
      [id, branch],
    );
    for (;;) {
      const ready = await c.query<{ id: string; name: string }>(
        "select id, name from app_public.ready_steps($1)",
        [execution.rows[0]!.id],
      );
      if (ready.rows.length === 0) return;
      for (const step of ready.rows) {
        await c.query("select app_public.start_step($1)", [step.id]);
        await c.query("select app_public.append_step_log($1, $2)", [step.id, `$ ${step.name}\n`]);
        const conclusion = outcome(step.name);
        if (!conclusion) return; // left running
        await c.query("select app_public.complete_step($1, $2, $3)", [
          step.id,
          conclusion,
          conclusion === "success" ? 0 : 1,
        ]);
      }
    }
  };
  await run("main", () => "success");
  await run("feature/login", (step) => (step === "build" ? "failure" : "success"));
  await run("feature/search", () => null);
  return id;
}
