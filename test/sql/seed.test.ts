/**
 * `forgeline seed`, run as the real command against this file's database: it
 * creates the demo organization through the business functions (audited, one
 * user per role) and its demo project, prints working tokens, and a second run
 * changes nothing.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { makeVerifier } from "../../src/server/auth.ts";
import { projectRoot } from "../../src/paths.ts";
import { useTestDatabase } from "../support/db.ts";

const exec = promisify(execFile);
const SECRET = "seed-test-secret-that-is-long-enough-xx";

describe("forgeline seed", () => {
  const t = useTestDatabase();

  const run = () =>
    exec(
      process.execPath,
      [path.join(projectRoot, "src/cli/index.ts"), "seed", "--slug", "seeded"],
      {
        env: {
          ...process.env,
          DATABASE_URL: t.db.ownerUrl,
          AUTH_DATABASE_URL: t.db.authUrl,
          DATABASE_VISITOR: t.db.roles.visitor,
          JWT_SECRET: SECRET,
          LOG_LEVEL: "warn",
        },
      },
    );

  /** What the demo project holds, read as the superuser. */
  const demo = async () =>
    (
      await t.root.query<{
        tasks: number;
        statuses: string[];
        depth: number;
        blocking: number;
        ready: number;
      }>(
        `select (select count(*)::int from app_public.tasks where project_id = p.id) as tasks,
                (select array_agg(distinct status::text order by status::text)
                   from app_public.tasks where project_id = p.id) as statuses,
                (select max(h.depth) from app_public.task_hierarchy_paths h
                   join app_public.tasks t on t.id = h.descendant_id where t.project_id = p.id) as depth,
                (select count(*)::int from app_public.task_dependencies d
                   join app_public.tasks t on t.id = d.dependent_id
                  where t.project_id = p.id and d.type = 'blocks') as blocking,
                (select count(*)::int from app_public.tasks t
                  where t.project_id = p.id and t.status in ('backlog', 'todo')
                    and not exists (select 1 from app_public.task_dependencies d
                                      join app_public.tasks b on b.id = d.dependency_id
                                     where d.dependent_id = t.id and d.type = 'blocks'
                                       and b.status not in ('done', 'cancelled'))) as ready
           from app_public.projects p join app_public.organizations o on o.id = p.organization_id
          where o.slug = 'seeded' and p.key = 'DEMO'`,
      )
    ).rows[0]!;

  /** The demo pipeline's runs, read as the superuser. */
  const runs = async () =>
    (
      await t.root.query<{
        branch: string;
        status: string;
        conclusion: string | null;
        steps: string;
      }>(
        `select e.branch, e.status::text, e.conclusion::text,
                (select string_agg(s.name || ':' || coalesce(s.conclusion::text, '-'), ' ' order by s.name)
                   from app_public.pipeline_steps s where s.execution_id = e.id) as steps
           from app_public.pipeline_executions e
           join app_public.pipelines p on p.id = e.pipeline_id
           join app_public.organizations o on o.id = p.organization_id
          where o.slug = 'seeded' and p.name = 'ci'
          order by e.branch`,
      )
    ).rows;

  it("creates a demo organization with one user per role and prints their tokens", async () => {
    const first = await run();
    expect(first.stdout).toMatch(/^Created organization "seeded": [0-9a-f-]{36}$/m);
    const { rows } = await t.root.query<{ role: string; email: string }>(
      `select u.role::text as role, u.email::text as email from app_public.users u
         join app_public.organizations o on o.id = u.organization_id where o.slug = 'seeded' order by 1`,
    );
    expect(rows.map((r) => r.role)).toEqual(["admin", "member", "owner", "viewer"]);
    const audited = await t.root.query<{ n: number }>(
      "select count(*)::int as n from app_public.audit_events where actor in ('seed', 'user')",
    );
    expect(audited.rows[0]!.n).toBeGreaterThanOrEqual(5);

    const tokens = [...first.stdout.matchAll(/token \(7 days\): (\S+)/g)].map((m) => m[1]!);
    expect(tokens).toHaveLength(4);
    const verify = await makeVerifier({
      kind: "secret",
      algorithm: "HS256",
      secret: SECRET,
      issuer: "forgeline",
      audience: "forgeline",
    });
    const claims = await verify(tokens[0]!);
    expect(claims.orgId).toMatch(/^[0-9a-f-]{36}$/);

    // A demo project: a tree several levels deep, blocking links, every status, ready work.
    expect(await demo()).toEqual({
      tasks: 12,
      statuses: ["backlog", "cancelled", "done", "in_progress", "in_review", "todo"],
      depth: 3,
      blocking: 4,
      ready: 2,
    });
    expect(first.stdout).toMatch(/^Demo project DEMO \(tasks DEMO-1 … DEMO-12\): [0-9a-f-]{36}$/m);
    // A demo pipeline with runs a runner drove: passed, failed (the rest skipped), running.
    expect(first.stdout).toMatch(/^Demo pipeline ci of demo\/app \(3 runs\): [0-9a-f-]{36}$/m);
    expect(await runs()).toEqual([
      {
        branch: "feature/login",
        status: "completed",
        conclusion: "failure",
        steps: "build:failure lint:skipped test:skipped",
      },
      {
        branch: "feature/search",
        status: "in_progress",
        conclusion: null,
        steps: "build:- lint:- test:-",
      },
      {
        branch: "main",
        status: "completed",
        conclusion: "success",
        steps: "build:success lint:success test:success",
      },
    ]);

    const second = await run();
    expect(second.stdout).toMatch(/^Found organization "seeded"/m);
    const again = await t.root.query(
      "select count(*)::int as n from app_public.organizations where slug = 'seeded'",
    );
    expect(again.rows).toEqual([{ n: 1 }]);
    expect((await demo()).tasks).toBe(12);
    expect(await runs()).toHaveLength(3);
  });
});
