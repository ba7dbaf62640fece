/**
 * CI/CD pipelines (module 4, issue #9 §6): a year of runs of 1,000
 * organizations, and what happens to them as they run, measured
 *
 *   - over HTTP: `pipelineStats` of the busiest pipeline over 90 days (GraphQL)
 *     against its SQL in the API's transaction shape (the raw baseline);
 *   - over WebSocket: live status. N graphql-ws clients subscribed to
 *     `pipelineExecutionUpdated` of 10 running executions while a runner (the
 *     driver) starts and completes their steps at a fixed rate; each event's
 *     latency is counted from its step update's commit;
 *   - in the database, as a member of the big organization (asUser, RLS): step
 *     updates (start_step, complete_step) and execution starts (start_execution
 *     with a concurrency limit, and with a concurrency group), committed, each
 *     call on another step or pipeline; pipeline_stats; each against a raw-SQL
 *     baseline as the superuser (the row writes or the query alone).
 *
 * Dataset (deterministic: every id and value comes from row numbers):
 *
 *   - 1,000 organizations (`bench-pipelines-org-<n>`); organization 1, the big
 *     tenant every scenario acts in, has an owner, a member (the runner) and a
 *     viewer (the watcher), the others an owner;
 *   - repositories with two pipelines each, `ci` (the 8-step definition below)
 *     and `deploy` (the same steps, a production deployment, concurrency group
 *     `deploy-{branch}`): 2 per small organization; in the big tenant, repository
 *     1 (its `ci` is the busiest pipeline: the stats scenarios), the pool
 *     repositories (their `ci` runs hold the steps the step scenarios update),
 *     the limit repositories (`ci` with concurrency_limit 10: start_execution)
 *     and the group repositories (`deploy`: start_execution in a group), and one
 *     more with a 200-step `shards` pipeline (the watched executions);
 *   - 1,000,000 completed executions with 8 steps each, created over the 12
 *     months up to 2 hours ago: 20 % in the big tenant (18 % of those in its
 *     busiest pipeline, ~100 a day), the rest spread over the other
 *     organizations; 86 % success, 9 % failure (a test step fails, what needs it
 *     is skipped), 3 % cancelled, 2 % timed out; branches main, develop, 4
 *     release and 40 feature branches; queue times 0.2 s … 2 min and run times
 *     1 … 40 min (log-uniform); timestamps of steps inside their run's;
 *   - running executions of the last 30 minutes, the pools the committed writes
 *     consume (each call takes the next row of its pool with `nextval` on a
 *     sequence of the schema `bench_pipelines`, from which the step's id is
 *     derived): for complete_step, units of two executions with 3 steps running
 *     (unit-tests, integration-tests, security-scan) and one whose last step
 *     runs (so 1 completion in 7 completes its execution and dispatches); for
 *     its raw baseline, executions with 3 steps running; for start_step,
 *     executions whose 3 test steps are ready. Consecutive calls go to different
 *     repositories (the run lock is per repository), as runners of many
 *     repositories would. Each pool holds POOL_RATE calls/s for the run's
 *     warm-up and measured runs (`--duration`);
 *   - 10 running executions of the `shards` pipeline, 200 steps each, queued:
 *     the subscription scenario's driver starts and completes them in turn.
 *
 * It is written as the superuser with set-based SQL in batches of 50,000
 * executions (400,000 steps) in time order, on two connections (each its own
 * half of the year, so each writes its own month's partition), with
 * time-ordered ids (see orderedId), with triggers off (session_replication_role = replica: no foreign-key checks, no
 * status machine, no NOTIFY), so it keeps the data valid itself: every check
 * constraint (completed ⇔ conclusion ⇔ completed_at, started before completed,
 * started_at of what runs), tenant-consistent keys, the steps of each
 * execution are its pipeline's definition (app_hidden.pipeline_definition_steps)
 * and the generated durations are left to PostgreSQL. Organizations, users,
 * repositories and pipelines are written with their triggers on, so the
 * definitions and names are validated. The 13 monthly partitions are created
 * first (app_private.maintain_partitions with the clock passed), and
 * `vacuum analyze` runs at the end (the stats read is an index-only scan).
 */
import assert from "node:assert/strict";
import pg from "pg";
import { inBatches, uuidOf } from "../dataset-tools.ts";
import {
  defineSet,
  SUPERUSER,
  type DatasetContext,
  type Row,
  type SubscriptionScenario,
} from "../set.ts";
import { GRACE_MS } from "../subscription-load.ts";

export interface PipelinesDatasetSize {
  organizations: number;
  /** Completed executions over the 12 months (8 steps each). */
  executions: number;
  /** Big tenant repositories whose `ci` runs hold the step pools. */
  poolRepositories: number;
  /** Big tenant repositories whose `ci` (concurrency_limit 10) the limit start scenario starts. */
  limitRepositories: number;
  /** Big tenant repositories whose `deploy` (concurrency group) the group start scenario starts. */
  groupRepositories: number;
}

export const FULL_DATASET: PipelinesDatasetSize = {
  organizations: 1_000,
  executions: 1_000_000,
  poolRepositories: 200,
  limitRepositories: 200,
  groupRepositories: 100,
};

/** As many repositories (the run lock's unit), so the writes contend alike. */
export const QUICK_DATASET: PipelinesDatasetSize = {
  ...FULL_DATASET,
  organizations: 100,
  executions: 50_000,
};

/** Executions per batch (one transaction; × 8 steps). */
const BATCH = 50_000;
/** Repositories of each small organization. */
const SMALL_REPOSITORIES = 2;
/** Percent of the big tenant's executions in its busiest pipeline (repository 1's `ci`). */
const BUSIEST_PERCENT = 18;
/** The `ci` pipelines of the limit repositories. */
export const CONCURRENCY_LIMIT = 10;
/** The calls per second a pool is sized for (more than two cores manage, with margin). */
export const POOL_RATE = 4_000;
/** Watched executions (at least), and the steps of each. */
export const WATCHED_EXECUTIONS = 10;
export const SHARDS = 200;
/**
 * The subscription scenarios: the driver's step updates per second and the
 * subscribers of each run (10: one per watched execution; 100: ten each). The
 * original design's 10,000 executions a day are ~0.1/s, ~2 step updates/s.
 */
const LIVE = { perSecond: 20, subscribers: [10, 100] };
const LIVE_BUSY = { perSecond: 50, subscribers: [100] };
/** The stats window. */
const STATS_DAYS = 90;

/* ------------------------------------------------------------------------- *
 * Pipelines
 * ------------------------------------------------------------------------- */

const step = (name: string, run: string, needs?: string[], extra: object = {}) => ({
  name,
  ...(needs && { needs }),
  run,
  timeout_minutes: 30,
  ...extra,
});

/** The 8 steps of `ci` and `deploy`: build and lint, three test steps, package, deploy, smoke tests. */
const STEPS = [
  step("build", "make build"),
  step("lint", "make lint"),
  step("unit-tests", "make test", ["build"], { retry: { max_attempts: 2 } }),
  step("integration-tests", "make integration", ["build"]),
  step("security-scan", "make audit", ["build"]),
  step("package", "make package", ["unit-tests", "integration-tests", "lint"]),
  step("deploy-staging", "make deploy ENV=staging", ["package", "security-scan"]),
  step("smoke-tests", "make smoke", ["deploy-staging"]),
];
export const CI_DEFINITION = { timeout_minutes: 60, steps: STEPS };
const DEPLOY_DEFINITION = { ...CI_DEFINITION, deployment: { environment: "production" } };
/** The watched executions' pipeline: 200 test shards, in parallel. */
const SHARDS_DEFINITION = {
  timeout_minutes: 360,
  steps: Array.from({ length: SHARDS }, (_, i) =>
    step(`shard-${String(i + 1).padStart(3, "0")}`, `make test SHARD=${i + 1}/${SHARDS}`),
  ),
};

/* Positions in STEPS. */
const TEST_STEPS = [2, 3, 4];
const LAST_STEP = 7;

/** Where a step runs in its execution, as fractions of the run (start, end), by position. */
const STEP_TIMES: Array<[number, number]> = [
  [0, 0.25],
  [0, 0.1],
  [0.25, 0.5],
  [0.25, 0.6],
  [0.25, 0.4],
  [0.6, 0.7],
  [0.7, 0.9],
  [0.9, 1],
];

/* ------------------------------------------------------------------------- *
 * Keys: every id is derived from one of these (dataset-tools' uuidOf)
 * ------------------------------------------------------------------------- */

const K = "'forgeline-bench/pipelines/";
const orgKey = (n: string) => `${K}org/' || ${n}`;
const userKey = (n: string, k: string) => `${K}user/' || ${n} || '/' || ${k}`;
const repoKey = (n: string, r: string) => `${K}repo/' || ${n} || '/' || ${r}`;
const pipelineKey = (n: string, r: string, name: string) =>
  `${K}pipeline/' || ${n} || '/' || ${r} || '/' || ${name}`;
/**
 * A history execution's id, and its steps': time-ordered like a UUIDv7 (the
 * first 8 hex digits are the execution's number, then 0…7 for a step's
 * position, or random for the execution), the rest from `h`, the md5 of its
 * key. Batches then append to the indexes instead of writing all over them
 * (the build is ~30 % faster); ids of live rows stay random.
 */
const orderedId = (n: string, middle: string, h: string) =>
  `(lpad(to_hex(${n}), 8, '0') || '-' || ${middle} || '-4' || substr(${h}, 14, 3) || '-8' || substr(${h}, 18, 3) || '-' || substr(${h}, 21, 12))::uuid`;
/** A pool's execution (repository index, unit, execution in the unit). */
const poolExecKey = (pool: string, r: string, u: string, x: string) =>
  `${K}pool/${pool}/exec/' || ${r} || '/' || ${u} || '/' || ${x}`;
/** The step of a pool's entry k: the id a call computes from its nextval. */
const entryKey = (pool: string, k: string) => `${K}pool/${pool}/entry/' || ${k}`;
const liveExecKey = (e: string) => `${K}live/' || ${e}`;
const liveStepKey = (e: string, s: string) => `${K}live/' || ${e} || '/' || ${s}`;

/** 28 bits of the md5 of `h`, slot 0…3: a deterministic pseudo-random integer. */
const bits = (h: string, slot: number) => `('x' || substr(${h}, ${1 + 8 * slot}, 7))::bit(28)::int`;

/** The schema of the set's sequences (one per pool): `nextval` numbers the calls. */
export const BENCH_SCHEMA = "bench_pipelines";
const seq = (name: string) => `${BENCH_SCHEMA}.${name}`;

/* ------------------------------------------------------------------------- *
 * Builder SQL
 * ------------------------------------------------------------------------- */

const insertOrganizations = `
  insert into app_public.organizations (id, name, slug, created_at, updated_at)
  select ${uuidOf(orgKey("n"))},
         case when n = 1 then 'Bench pipelines organization (the big tenant)'
              else 'Bench pipelines organization ' || n end,
         'bench-pipelines-org-' || n, now(), now()
    from generate_series($1::int, $2::int) n`;

/* User 1 of every organization is its owner; the big tenant also has a member (2) and a viewer (3). */
const insertUsers = `
  insert into app_public.users (organization_id, id, email, name, role, created_at, updated_at)
  select ${uuidOf(orgKey("n"))}, ${uuidOf(userKey("n", "k"))},
         'user' || k || '@pipelines-org-' || n || '.bench.example',
         'Bench pipelines user ' || k || ' of organization ' || n,
         (array['owner', 'member', 'viewer'])[k]::app_public.user_role, now(), now()
    from generate_series($1::int, $2::int) n
   cross join lateral generate_series(1, case when n = 1 then 3 else 1 end) k`;

/*
 * Organization n's repositories 1…count ($3 for the big tenant, $4 for the
 * others), each with `ci` and `deploy`; the big tenant's repository $5 is the
 * shards repository. ci of repositories $6…$7 has the concurrency limit $8.
 * With triggers: names, URLs and definitions ($9 ci, $10 deploy, $11 shards)
 * are validated as any writer's would be.
 */
const insertRepositories = `
  insert into app_public.repositories (organization_id, id, provider, full_name, clone_url, default_branch)
  select ${uuidOf(orgKey("n"))}, ${uuidOf(repoKey("n", "r"))}, 'github',
         'bench-org-' || n || '/repo-' || r, 'https://github.com/bench-org-' || n || '/repo-' || r || '.git', 'main'
    from generate_series($1::int, $2::int) n
   cross join lateral generate_series(1, case when n = 1 then $3::int else $4::int end) r`;

const insertPipelines = `
  insert into app_public.pipelines
    (organization_id, id, repository_id, name, description, definition, trigger_config,
     concurrency_limit, concurrency_group, created_by)
  select ${uuidOf(orgKey("n"))}, ${uuidOf(pipelineKey("n", "r", "p.name"))}, ${uuidOf(repoKey("n", "r"))},
         p.name, 'Bench pipeline ' || p.name,
         case p.name when 'ci' then $9::jsonb when 'deploy' then $10::jsonb else $11::jsonb end,
         case p.name when 'deploy' then '{"events": ["push"], "branches": ["main", "release/**"]}'::jsonb
                     else '{"events": ["push", "pull_request"]}'::jsonb end,
         case when p.name = 'ci' and n = 1 and r between $6::int and $7::int then $8::int end,
         case when p.name = 'deploy' then 'deploy-{branch}' end,
         ${uuidOf(userKey("n", "1"))}
    from generate_series($1::int, $2::int) n
   cross join lateral generate_series(1, case when n = 1 then $3::int else $4::int end) r
   cross join lateral (
     select unnest(case when n = 1 and r = $5::int then array['shards'] else array['ci', 'deploy'] end) as name
   ) p`;

/** (position, start, end) of each step in its run, as a VALUES list. */
const stepTimes = `(values ${STEP_TIMES.map(([a, b], i) => `(${i}, ${a}::float8, ${b}::float8)`).join(", ")})`;

/*
 * Executions $1…$2 of $3, completed, with their 8 steps, in one statement.
 * $4 organizations, $5 the big tenant's repositories that have history,
 * $6 the window's start, $7 its length in seconds, $8 the ci definition.
 * Execution n's slot in the window is its number, so batches are in time order
 * (a month's partition at a time); the rest comes from two md5s of n.
 */
const insertHistory = `
  with x as materialized (
    select n, md5('forgeline-bench/pipelines/h/' || n) as h, md5('forgeline-bench/pipelines/g/' || n) as g
      from generate_series($1::int, $2::int) n
  ),
  y as materialized (
    select n, h,
           case when ${bits("h", 0)} % 5 = 0 then 1 else 2 + ${bits("h", 1)} % ($4::int - 1) end as org,
           ${bits("h", 2)} as b2, ${bits("h", 3)} as b3,
           ${bits("g", 0)} as g0, ${bits("g", 1)} as g1, ${bits("g", 2)} as g2, ${bits("g", 3)} as g3,
           substr(h || g, 1, 40) as sha
      from x
  ),
  e as materialized (
    select y.*,
           case when y.org = 1 and y.b2 % 100 < ${BUSIEST_PERCENT} then 1
                when y.org = 1 then 1 + (y.b2 / 100) % $5::int
                else 1 + y.b2 % ${SMALL_REPOSITORIES} end as repo,
           case when y.org = 1 and y.b2 % 100 < ${BUSIEST_PERCENT} then 'ci'
                when y.b3 % 5 = 0 then 'deploy' else 'ci' end as pipeline,
           case when y.g1 % 100 < 86 then 'success' when y.g1 % 100 < 95 then 'failure'
                when y.g1 % 100 < 98 then 'cancelled' else 'timed_out' end as conclusion,
           case when y.g2 % 100 < 40 then 'main' when y.g2 % 100 < 45 then 'develop'
                when y.g2 % 100 < 50 then 'release/' || (1 + (y.g2 / 100) % 4)
                else 'feature/' || (1 + (y.g2 / 100) % 40) end as branch,
           case when y.b3 % 20 < 14 then 'push' when y.b3 % 20 < 19 then 'pull_request' else 'manual' end as event,
           $6::timestamptz + make_interval(secs => ((y.n - 1) + (y.g0 % 1000) / 1000.0) * $7::float8 / $3::int)
             as created_at,
           round(200 * exp((y.g3 % 10000) / 10000.0 * ln(600)))::int as queue_ms,
           round(60000 * exp(((y.g3 / 10000) % 10000) / 10000.0 * ln(40)))::int as run_ms
      from y
  ),
  t as materialized (
    select e.*, ${orderedId("e.n", "substr(e.h, 9, 4)", "e.h")} as id, ${uuidOf(orgKey("e.org"))} as org_id,
           e.created_at + make_interval(secs => e.queue_ms / 1000.0) as started_at,
           e.created_at + make_interval(secs => e.queue_ms / 1000.0
             + case e.conclusion when 'timed_out' then 3600 when 'cancelled' then e.run_ms / 3000.0
                                 else e.run_ms / 1000.0 end) as completed_at
      from e
  ),
  executions as (
    insert into app_public.pipeline_executions
      (organization_id, id, created_at, pipeline_id, repository_id, run_id, attempt, status, conclusion,
       event, branch, commit_sha, pull_request_number, actor_id, trigger_metadata, concurrency_group,
       deployment_environment, timeout_minutes, started_at, completed_at, end_reason)
    select t.org_id, t.id, t.created_at, ${uuidOf(pipelineKey("t.org", "t.repo", "t.pipeline"))},
           ${uuidOf(repoKey("t.org", "t.repo"))}, t.id, 1, 'completed',
           t.conclusion::app_public.pipeline_conclusion, t.event, t.branch, t.sha,
           case when t.event = 'pull_request' then 1 + (t.b3 / 20) % 500 end,
           ${uuidOf(userKey("t.org", "case when t.org = 1 then 2 else 1 end"))}, '{}',
           case when t.pipeline = 'deploy' then 'deploy-' || t.branch end,
           case when t.pipeline = 'deploy' then 'production' end,
           60, t.started_at, t.completed_at,
           case t.conclusion when 'cancelled' then 'cancelled by a user'
                             when 'timed_out' then 'timed out after 60 minutes' end
      from t
  ),
  d as materialized (
    select d.*, f.a, f.b
      from app_hidden.pipeline_definition_steps($8::jsonb) d
      join ${stepTimes} f (position, a, b) on f.position = d.position
  )
  insert into app_public.pipeline_steps
    (organization_id, id, execution_created_at, execution_id, name, job, "position", needs, status, conclusion,
     attempt, max_attempts, timeout_minutes, continue_on_error, spec, started_at, completed_at, exit_code, error)
  select t.org_id, ${orderedId("t.n", "lpad(to_hex(d.position), 4, '0')", "t.h")}, t.created_at, t.id,
         d.name, d.job, d.position, d.needs, 'completed', k.conclusion::app_public.pipeline_conclusion,
         1, d.max_attempts, d.timeout_minutes, d.continue_on_error, d.spec,
         case when k.conclusion = 'skipped' or (k.conclusion = 'cancelled' and d.position >= 5) then null
              else t.started_at + (t.completed_at - t.started_at) * d.a end,
         case when k.conclusion in ('success', 'failure')
              then t.started_at + (t.completed_at - t.started_at) * d.b else t.completed_at end,
         case k.conclusion when 'success' then 0 when 'failure' then 1 end,
         case k.conclusion when 'failure' then '{"message": "make exited with 1"}'::jsonb
                           when 'timed_out' then '{"message": "timed out after 30 minutes"}'::jsonb end
    from t
   cross join d
   cross join lateral (
     select case t.conclusion
              when 'success' then 'success'
              when 'failure' then case when d.position = 2 + t.b3 % 2 then 'failure'
                                       when d.position >= 5 then 'skipped' else 'success' end
              when 'timed_out' then case when d.position = 3 then 'timed_out'
                                         when d.position >= 5 then 'skipped' else 'success' end
              else case when d.position <= 1 then 'success' else 'cancelled' end
            end as conclusion
   ) k`;

/** What one step of a pool's execution is, by the execution's shape. */
type Shape = "A" | "B" | "S";
/** A: tests running (complete_step); B: the last step running; S: tests ready (start_step). */
const SHAPES: Record<Shape, (position: number) => "success" | "in_progress" | "queued"> = {
  A: (p) => (p <= 1 ? "success" : TEST_STEPS.includes(p) ? "in_progress" : "queued"),
  B: (p) => (p === LAST_STEP ? "in_progress" : "success"),
  S: (p) => (p <= 1 ? "success" : "queued"),
};

export interface PoolSpec {
  /** Its name: the sequence's, and part of its keys. */
  name: string;
  /** The executions of a unit, by shape, and the steps each call takes in turn. */
  unit: Array<{ shape: Shape; entries: number[] }>;
}

export const POOLS = {
  complete: {
    name: "complete",
    unit: [
      { shape: "A", entries: TEST_STEPS },
      { shape: "A", entries: TEST_STEPS },
      { shape: "B", entries: [LAST_STEP] },
    ],
  },
  completeRaw: { name: "complete_raw", unit: [{ shape: "A", entries: TEST_STEPS }] },
  start: { name: "start", unit: [{ shape: "S", entries: TEST_STEPS }] },
} satisfies Record<string, PoolSpec>;

export const entriesPerUnit = (pool: PoolSpec) =>
  pool.unit.reduce((n, x) => n + x.entries.length, 0);

/**
 * Entry k (1, 2, …) of a pool with R repositories: repository (k − 1) mod R,
 * the j = (k − 1) div R-th entry of that repository, so consecutive calls go to
 * different repositories; within a repository, unit j div (entries per unit),
 * and in it the execution and step of slot j mod (entries per unit).
 */
export function poolEntry(
  pool: PoolSpec,
  repositories: number,
  k: number,
): { repository: number; unit: number; execution: number; position: number } {
  const per = entriesPerUnit(pool);
  const repository = (k - 1) % repositories;
  const j = Math.floor((k - 1) / repositories);
  let slot = j % per;
  for (const [execution, x] of pool.unit.entries()) {
    if (slot < x.entries.length) {
      return { repository, unit: Math.floor(j / per), execution, position: x.entries[slot]! };
    }
    slot -= x.entries.length;
  }
  throw new Error("unreachable");
}

/**
 * A pool's running executions and their steps: $1 repositories (the pool
 * repositories, numbered from $2), $3 units per repository, $4 the ci
 * definition, $5 the clock. The steps a call takes get the id of their entry k.
 */
function insertPool(pool: PoolSpec): string {
  const per = entriesPerUnit(pool);
  const slots: string[] = [];
  const shapes: string[] = [];
  let slot = 0;
  pool.unit.forEach((x, i) => {
    shapes.push(`(${i}, '${x.shape}')`);
    for (const p of x.entries) slots.push(`(${slot++}, ${i}, ${p})`);
  });
  const statusOf = (shape: Shape) =>
    `case d.position ${Array.from({ length: STEPS.length }, (_, p) => `when ${p} then '${SHAPES[shape](p)}'`).join(" ")} end`;
  return `
  with units as materialized (
    select r, u, x.x, x.shape
      from generate_series(0, $1::int - 1) r
     cross join generate_series(0, $3::int - 1) u
     cross join (values ${shapes.join(", ")}) x (x, shape)
  ),
  t as materialized (
    select units.*, ${uuidOf(poolExecKey(pool.name, "r", "u", "x"))} as id,
           ${uuidOf(pipelineKey("1", "($2::int + r)", "'ci'"))} as pipeline_id,
           ${uuidOf(repoKey("1", "($2::int + r)"))} as repository_id,
           $5::timestamptz - make_interval(secs => 60 + (r * 7 + u * 13 + x * 3) % 1800) as created_at
      from units
  ),
  executions as (
    insert into app_public.pipeline_executions
      (organization_id, id, created_at, pipeline_id, repository_id, run_id, attempt, status,
       event, branch, commit_sha, actor_id, timeout_minutes, started_at, timeout_at)
    select ${uuidOf(orgKey("1"))}, t.id, t.created_at, t.pipeline_id, t.repository_id, t.id, 1, 'in_progress',
           'push', 'main', md5(t.id::text) || substr(md5(t.id::text), 1, 8), ${uuidOf(userKey("1", "2"))}, 60,
           t.created_at + interval '5 seconds', t.created_at + interval '5 seconds' + interval '60 minutes'
      from t
  ),
  s as materialized (
    select t.*, d.*, sl.slot,
           case t.shape ${(Object.keys(SHAPES) as Shape[]).map((sh) => `when '${sh}' then ${statusOf(sh)}`).join(" ")} end as state
      from t
     cross join app_hidden.pipeline_definition_steps($4::jsonb) d
      left join (values ${slots.join(", ")}) sl (slot, x, position) on sl.x = t.x and sl.position = d.position
  )
  insert into app_public.pipeline_steps
    (organization_id, id, execution_created_at, execution_id, name, job, "position", needs, status, conclusion,
     attempt, max_attempts, timeout_minutes, continue_on_error, spec, started_at, completed_at, timeout_at, exit_code)
  select ${uuidOf(orgKey("1"))},
         case when s.slot is null then ${uuidOf(`${poolExecKey(pool.name, "s.r", "s.u", "s.x")} || '/' || s.position`)}
              else ${uuidOf(entryKey(pool.name, `((s.u * ${per} + s.slot) * $1::int + s.r + 1)`))} end,
         s.created_at, s.id, s.name, s.job, s.position, s.needs,
         (case s.state when 'success' then 'completed' else s.state end)::app_public.pipeline_run_status,
         case when s.state = 'success' then 'success'::app_public.pipeline_conclusion end,
         1, s.max_attempts, s.timeout_minutes, s.continue_on_error, s.spec,
         case when s.state <> 'queued' then s.created_at + interval '10 seconds' end,
         case when s.state = 'success' then s.created_at + interval '50 seconds' end,
         case when s.state = 'in_progress' then s.created_at + interval '10 seconds' + interval '30 minutes' end,
         case when s.state = 'success' then 0 end
    from s`;
}

/*
 * The watched executions: $1 of them, in the shards pipeline of repository $2,
 * running, every step queued; $3 the shards definition, $4 the clock.
 */
const insertWatched = `
  with t as materialized (
    select e, ${uuidOf(liveExecKey("e"))} as id, $4::timestamptz - interval '2 minutes' as created_at
      from generate_series(0, $1::int - 1) e
  ),
  executions as (
    insert into app_public.pipeline_executions
      (organization_id, id, created_at, pipeline_id, repository_id, run_id, attempt, status,
       event, branch, actor_id, timeout_minutes, started_at, timeout_at)
    select ${uuidOf(orgKey("1"))}, t.id, t.created_at, ${uuidOf(pipelineKey("1", "$2::int", "'shards'"))},
           ${uuidOf(repoKey("1", "$2::int"))}, t.id, 1, 'in_progress', 'manual', 'main',
           ${uuidOf(userKey("1", "2"))}, 360, t.created_at + interval '1 second',
           t.created_at + interval '1 second' + interval '360 minutes'
      from t
  )
  insert into app_public.pipeline_steps
    (organization_id, id, execution_created_at, execution_id, name, job, "position", needs,
     max_attempts, timeout_minutes, continue_on_error, spec)
  select ${uuidOf(orgKey("1"))}, ${uuidOf(liveStepKey("t.e", "d.position"))}, t.created_at, t.id,
         d.name, d.job, d.position, d.needs, d.max_attempts, d.timeout_minutes, d.continue_on_error, d.spec
    from t cross join app_hidden.pipeline_definition_steps($3::jsonb) d`;

/*
 * Whatever the builder got wrong: each query counts violations (all must be
 * 0). The per-execution checks read a deterministic 2 % sample of the
 * executions (and of the steps), history and pools alike: over all 9 million
 * rows they took ~25 s of a build that should take a few minutes.
 */
const SAMPLE = "tablesample bernoulli (2) repeatable (1)";
const INTEGRITY_CHECKS: Record<string, string> = {
  "executions of an unknown pipeline, or of another repository than their pipeline's": `
    select count(*) from app_public.pipeline_executions e
     where not exists (select 1 from app_public.pipelines p
                        where p.organization_id = e.organization_id and p.id = e.pipeline_id
                          and p.repository_id = e.repository_id)`,
  "executions (sampled) whose steps are not their pipeline's definition, or not all completed when they are": `
    select count(*) from app_public.pipeline_executions e ${SAMPLE}
      join app_public.pipelines p on p.organization_id = e.organization_id and p.id = e.pipeline_id
     cross join lateral (
       select count(*) as steps, count(*) filter (where s.status <> 'completed') as open
         from app_public.pipeline_steps s
        where s.organization_id = e.organization_id and s.execution_id = e.id
          and s.execution_created_at = e.created_at) s
     where s.steps <> jsonb_array_length(p.definition -> 'steps')
        or (e.status = 'completed' and s.open > 0)
        or ((e.status = 'completed') <> (e.conclusion is not null))`,
  "steps (sampled) of an unknown execution": `
    select count(*) from app_public.pipeline_steps s ${SAMPLE}
     where not exists (select 1 from app_public.pipeline_executions e
                        where e.organization_id = s.organization_id and e.id = s.execution_id
                          and e.created_at = s.execution_created_at)`,
};

/* ------------------------------------------------------------------------- *
 * The dataset
 * ------------------------------------------------------------------------- */

export interface PipelinesData {
  size: PipelinesDatasetSize;
  orgId: string;
  memberId: string;
  viewerId: string;
  stats: {
    pipelineId: string;
    /** ISO 8601: the window's start (90 days before the build). */
    since: string;
    /** Completed executions of the pipeline since then, and its branches (counted at build time). */
    runs: number;
    branches: number;
  };
  /** Pipelines the start scenarios start, in turn. */
  limitPipelines: string[];
  groupPipelines: string[];
  /** The entries of each pool (calls it can take). */
  pools: Record<keyof typeof POOLS, { entries: number; executions: number }>;
  watched: { executionIds: string[]; steps: number; entries: number };
  counts: Record<string, number>;
  seconds: number;
}

/** Calls a pool must hold: POOL_RATE for a warm-up and one run per concurrency, and the two checks. */
export function poolCalls(
  ctx: Pick<DatasetContext, "durationSeconds" | "warmupSeconds">,
  runs: number,
  rate = POOL_RATE,
): number {
  return Math.ceil(rate * (ctx.warmupSeconds + runs * ctx.durationSeconds)) + 2;
}

/** Units per repository so that a pool holds `calls` entries. */
export function unitsFor(pool: PoolSpec, repositories: number, calls: number): number {
  return Math.ceil(calls / (entriesPerUnit(pool) * repositories));
}

async function inOneTransaction(client: pg.Client, sql: string, values: unknown[]): Promise<void> {
  await client.query("begin");
  await client.query("set local session_replication_role = replica");
  await client.query(sql, values);
  await client.query("commit");
}

/** Concurrencies of the consuming scenarios (the pools are sized for them). */
const STEP_CONNECTIONS = [1, 10];
const RAW_CONNECTIONS = [10];

export async function buildPipelinesDataset(
  ctx: DatasetContext,
  size: PipelinesDatasetSize,
): Promise<PipelinesData> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: ctx.rootDbUrl });
  await client.connect();
  try {
    const { rows: clock } = await client.query<{ now: Date; start: Date }>(
      "select now() as now, now() - interval '365 days' as start",
    );
    const now = clock[0]!.now;
    const windowStart = clock[0]!.start;
    // Up to 2 hours ago: every execution of the history has completed.
    const windowSeconds = 365 * 86_400 - 7_200;

    process.stderr.write("[bench] monthly partitions for 13 months\n");
    await client.query(
      `select app_private.maintain_partitions($1::timestamptz - make_interval(months => m))
         from generate_series(12, 0, -1) m`,
      [now],
    );

    const P = size.poolRepositories;
    const L = size.limitRepositories;
    const G = size.groupRepositories;
    const firstPool = 2;
    const firstLimit = firstPool + P;
    const firstGroup = firstLimit + L;
    const shardsRepo = firstGroup + G;
    const historyRepos = shardsRepo - 1;

    await inBatches(client, {
      label: "organizations",
      count: size.organizations,
      rowsIn: (from, to) => to - from + 1,
      sql: insertOrganizations,
    });
    await inBatches(client, {
      label: "users",
      count: size.organizations,
      rowsIn: (from, to) => to - from + 1 + (from === 1 ? 2 : 0),
      sql: insertUsers,
    });
    await inBatches(client, {
      label: "repositories",
      count: size.organizations,
      rowsIn: (from, to) =>
        (to - from + 1) * SMALL_REPOSITORIES + (from === 1 ? shardsRepo - 2 : 0),
      sql: insertRepositories,
      extra: [shardsRepo, SMALL_REPOSITORIES],
      skipTriggers: false,
      batch: 100,
    });
    await inBatches(client, {
      label: "pipelines",
      count: size.organizations,
      rowsIn: (from, to) =>
        (to - from + 1) * 2 * SMALL_REPOSITORIES + (from === 1 ? 2 * historyRepos + 1 - 4 : 0),
      sql: insertPipelines,
      extra: [
        shardsRepo,
        SMALL_REPOSITORIES,
        shardsRepo,
        firstLimit,
        firstGroup - 1,
        CONCURRENCY_LIMIT,
        JSON.stringify(CI_DEFINITION),
        JSON.stringify(DEPLOY_DEFINITION),
        JSON.stringify(SHARDS_DEFINITION),
      ],
      skipTriggers: false,
      batch: 100,
    });

    // Two connections (two cores), each on its own half of the year.
    const second = new pg.Client({ connectionString: ctx.rootDbUrl });
    await second.connect();
    try {
      await inBatches([client, second], {
        label: "executions (× 8 steps)",
        count: size.executions,
        rowsIn: (from, to) => to - from + 1,
        sql: insertHistory,
        extra: [
          size.executions,
          size.organizations,
          historyRepos,
          windowStart,
          windowSeconds,
          JSON.stringify(CI_DEFINITION),
        ],
        batch: BATCH,
      });
    } finally {
      await second.end();
    }

    const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
    ctx.log(`pipelines: history built (${elapsed()} so far)`);
    const pools = {} as PipelinesData["pools"];
    const poolRuns: Record<keyof typeof POOLS, number> = {
      complete: STEP_CONNECTIONS.length,
      completeRaw: RAW_CONNECTIONS.length,
      start: STEP_CONNECTIONS.length,
    };
    for (const [key, pool] of Object.entries(POOLS) as Array<[keyof typeof POOLS, PoolSpec]>) {
      const units = unitsFor(pool, P, poolCalls(ctx, poolRuns[key]));
      process.stderr.write(
        `[bench] pool ${pool.name}: ${units * pool.unit.length * P} running executions\n`,
      );
      await inOneTransaction(client, insertPool(pool), [
        P,
        firstPool,
        units,
        JSON.stringify(CI_DEFINITION),
        now,
      ]);
      pools[key] = {
        entries: units * entriesPerUnit(pool) * P,
        executions: units * pool.unit.length * P,
      };
    }

    // Each run also waits up to GRACE_MS for what is owed; 20 % to spare.
    const driverCalls = [LIVE, LIVE_BUSY].reduce(
      (n, live) =>
        n +
        live.perSecond *
          (ctx.warmupSeconds + live.subscribers.length * (ctx.durationSeconds + GRACE_MS / 1000)),
      0,
    );
    const watched = Math.max(WATCHED_EXECUTIONS, Math.ceil((1.2 * driverCalls) / (2 * SHARDS)));
    await inOneTransaction(client, insertWatched, [
      watched,
      shardsRepo,
      JSON.stringify(SHARDS_DEFINITION),
      now,
    ]);

    process.stderr.write(`[bench] sequences in ${BENCH_SCHEMA}\n`);
    await client.query(`create schema ${BENCH_SCHEMA}`);
    for (const name of [...Object.values(POOLS).map((p) => p.name), ...SEQUENCES]) {
      await client.query(`create sequence ${seq(name)}`);
    }
    const visitor = pg.escapeIdentifier(ctx.roles.visitor);
    await client.query(`grant usage on schema ${BENCH_SCHEMA} to ${visitor}`);
    await client.query(`grant usage on all sequences in schema ${BENCH_SCHEMA} to ${visitor}`);

    ctx.log(`pipelines: pools and watched executions built (${elapsed()} so far); vacuum analyze`);
    await client.query(
      `vacuum (analyze) app_public.organizations, app_public.users, app_public.repositories,
         app_public.pipelines, app_public.pipeline_executions, app_public.pipeline_steps`,
    );

    process.stderr.write("[bench] integrity checks\n");
    for (const [what, sql] of Object.entries(INTEGRITY_CHECKS)) {
      const { rows } = await client.query<{ count: string }>(sql);
      const found = Number(rows[0]?.count ?? 0);
      if (found !== 0) throw new Error(`pipelines dataset: ${found} ${what}`);
    }

    const ids = async (sql: string, values: unknown[] = []): Promise<string[]> =>
      (await client.query<{ id: string }>(sql, values)).rows.map((r) => r.id);
    const one = async (key: string) => (await ids(`select ${uuidOf(key)} as id`))[0]!;
    const orgId = await one(orgKey("1"));
    const statsPipeline = await one(pipelineKey("1", "1", "'ci'"));
    const since = new Date(now.getTime() - STATS_DAYS * 86_400_000).toISOString();
    const pipelinesOf = (from: number, count: number, name: string) =>
      ids(
        `select ${uuidOf(pipelineKey("1", "r", `'${name}'`))} as id
           from generate_series($1::int, $2::int) r order by r`,
        [from, from + count - 1],
      );

    const { rows: counted } = await client.query<Record<string, string>>(
      `select (select count(*) from app_public.organizations where slug like 'bench-pipelines-org-%') as organizations,
              (select count(*) from app_public.repositories where full_name like 'bench-org-%') as repositories,
              (select count(*) from app_public.pipelines) as pipelines,
              (select count(*) from app_public.pipeline_executions) as executions,
              (select count(*) from app_public.pipeline_steps) as steps,
              (select count(*) from app_public.pipeline_executions where organization_id = $1) as big_tenant_executions,
              (select count(*) from app_public.pipeline_executions where status = 'in_progress') as running,
              (select count(*) from app_public.pipeline_executions
                where organization_id = $1 and pipeline_id = $2 and created_at >= $3 and status = 'completed') as stats_runs,
              (select count(distinct branch) from app_public.pipeline_executions
                where organization_id = $1 and pipeline_id = $2 and created_at >= $3 and status = 'completed') as stats_branches,
              (select count(*) from pg_inherits where inhparent = 'app_public.pipeline_executions'::regclass) as partitions,
              (select pg_total_relation_size('app_public.pipeline_steps'::regclass)
                      + coalesce((select sum(pg_total_relation_size(inhrelid)) from pg_inherits
                                   where inhparent = 'app_public.pipeline_steps'::regclass), 0)) as steps_bytes`,
      [orgId, statsPipeline, since],
    );
    const counts = Object.fromEntries(Object.entries(counted[0]!).map(([k, v]) => [k, Number(v)]));

    const data: PipelinesData = {
      size,
      orgId,
      memberId: await one(userKey("1", "2")),
      viewerId: await one(userKey("1", "3")),
      stats: {
        pipelineId: statsPipeline,
        since,
        runs: counts.stats_runs!,
        branches: counts.stats_branches!,
      },
      limitPipelines: await pipelinesOf(firstLimit, L, "ci"),
      groupPipelines: await pipelinesOf(firstGroup, G, "deploy"),
      pools,
      watched: {
        executionIds: await ids(
          `select ${uuidOf(liveExecKey("e"))} as id from generate_series(0, $1::int - 1) e order by e`,
          [watched],
        ),
        steps: SHARDS,
        entries: watched * SHARDS * 2,
      },
      counts,
      seconds: (performance.now() - started) / 1000,
    };
    ctx.log(
      `pipelines: ${counts.executions} executions, ${counts.steps} steps ` +
        `(${(counts.steps_bytes! / 2 ** 30).toFixed(1)} GiB with indexes), ` +
        `${counts.running} running, in ${data.seconds.toFixed(1)} s`,
    );
    return data;
  } finally {
    await client.end();
  }
}

/* ------------------------------------------------------------------------- *
 * Statements
 * ------------------------------------------------------------------------- */

/** Sequences besides the pools': the start scenarios' and the driver's. */
const SEQUENCES = ["start_limit", "start_group", "start_raw", "live"];

/** The call's number: a CTE, materialized so nextval runs once per call. */
const callNumber = (sequence: string) =>
  `with n as materialized (select nextval('${seq(sequence)}') as k)`;

/** The step of a pool's entry n.k, as the dataset derived its id. */
const entryStep = (pool: PoolSpec) => uuidOf(entryKey(pool.name, "n.k"));

const START_STEP = `${callNumber(POOLS.start.name)}
select s.status::text as status, s.position
  from n, app_public.start_step(${entryStep(POOLS.start)}) s`;

const COMPLETE_STEP = `${callNumber(POOLS.complete.name)}
select s.status::text as status, s.conclusion::text as conclusion, s.position
  from n, app_public.complete_step(${entryStep(POOLS.complete)}, 'success', 0) s`;

/** complete_step's row update alone (the status trigger and the statement's NOTIFY fire as ever). */
const COMPLETE_STEP_RAW = `${callNumber(POOLS.completeRaw.name)}
update app_public.pipeline_steps s
   set status = 'completed', conclusion = 'success', completed_at = clock_timestamp(),
       timeout_at = null, exit_code = 0
  from n
 where s.organization_id = $1::uuid and s.id = ${entryStep(POOLS.completeRaw)}
returning s.status::text as status, s.conclusion::text as conclusion, s.position`;

/** start_execution of the next pipeline of $1 (in turn). */
const startExecution = (sequence: string) => `${callNumber(sequence)}
select e.status::text as status, e.concurrency_group
  from n, app_public.start_execution(($1::uuid[])[1 + (n.k % cardinality($1::uuid[]))::int]) e`;

/**
 * The rows start_execution writes (an execution and its 8 steps), written out
 * as the superuser: no trigger-field checks, no run lock, no concurrency check,
 * no dispatch (the execution stays queued).
 */
const START_EXECUTION_RAW = `${callNumber("start_raw")},
p as (
  select p.organization_id, p.id, p.repository_id, p.definition, gen_random_uuid() as execution_id
    from n, app_public.pipelines p
   where p.organization_id = $2::uuid and p.id = ($1::uuid[])[1 + (n.k % cardinality($1::uuid[]))::int]
),
e as (
  insert into app_public.pipeline_executions
    (organization_id, id, pipeline_id, repository_id, run_id, event, branch, timeout_minutes)
  select p.organization_id, p.execution_id, p.id, p.repository_id, p.execution_id, 'manual', 'main',
         coalesce((p.definition ->> 'timeout_minutes')::integer, 360)
    from p
  returning organization_id, id, created_at, status
),
s as (
  insert into app_public.pipeline_steps
    (organization_id, execution_id, execution_created_at, name, job, "position", needs,
     max_attempts, timeout_minutes, continue_on_error, spec)
  select e.organization_id, e.id, e.created_at, d.name, d.job, d.position, d.needs,
         d.max_attempts, d.timeout_minutes, d.continue_on_error, d.spec
    from e cross join p cross join app_hidden.pipeline_definition_steps(p.definition) d
  returning 1
)
select e.status::text as status, (select count(*) from s)::int as steps from e`;

/**
 * The driver's call: entry k of the $1 watched executions (round-robin over
 * them): execution (k − 1) mod $1, its step j div 2 with j = (k − 1) div $1,
 * started when j is even, completed when odd. Returns the execution's id (the
 * topic).
 */
const DRIVER = `${callNumber("live")},
x as (select (n.k - 1) % $1::int as e, (n.k - 1) / $1::int as j from n)
select (case when x.j % 2 = 0
             then (app_public.start_step(${uuidOf(liveStepKey("x.e", "(x.j / 2)"))})).execution_id
             else (app_public.complete_step(${uuidOf(liveStepKey("x.e", "(x.j / 2)"))}, 'success', 0)).execution_id
        end)::text as execution_id
  from x`;

const STATS_COLUMNS = `s.branch, s.runs, s.successes, s.failures, s.success_rate,
       s.p50_run_ms, s.p95_run_ms, s.p50_queue_ms, s.p95_queue_ms`;

const STATS = `select ${STATS_COLUMNS}
  from app_public.pipeline_stats($1::uuid, $2::timestamptz) s`;

/*
 * The statement PostGraphile 5 sends for STATS_QUERY, copied from the server's
 * log (log_statement = 'all') on the bench database: the function in FROM,
 * every column as text, the page's limit.
 */
const STATS_GRAPHQL_SQL = `select
	__pipeline_stats__."branch" as "0",
	__pipeline_stats__."runs"::text as "1",
	__pipeline_stats__."successes"::text as "2",
	__pipeline_stats__."failures"::text as "3",
	__pipeline_stats__."success_rate"::text as "4",
	__pipeline_stats__."p50_run_ms"::text as "5",
	__pipeline_stats__."p95_run_ms"::text as "6",
	__pipeline_stats__."p50_queue_ms"::text as "7",
	__pipeline_stats__."p95_queue_ms"::text as "8",
	(not (__pipeline_stats__ is null))::text as "9"
	from "app_public"."pipeline_stats"($1::"uuid",
	$2::"timestamptz") as __pipeline_stats__
	limit 100;`;

/** pipeline_stats written out, the policy's filter as a parameter ($3). */
const STATS_RAW = `select e.branch,
       count(*)::integer as runs,
       count(*) filter (where e.conclusion = 'success')::integer as successes,
       count(*) filter (where e.conclusion in ('failure', 'timed_out'))::integer as failures,
       case when count(*) filter (where e.conclusion in ('success', 'failure', 'timed_out')) > 0
            then (count(*) filter (where e.conclusion = 'success'))::double precision
                 / count(*) filter (where e.conclusion in ('success', 'failure', 'timed_out')) end as success_rate,
       round(percentile_cont(0.5) within group (order by e.run_duration_ms))::bigint as p50_run_ms,
       round(percentile_cont(0.95) within group (order by e.run_duration_ms))::bigint as p95_run_ms,
       round(percentile_cont(0.5) within group (order by e.queued_duration_ms))::bigint as p50_queue_ms,
       round(percentile_cont(0.95) within group (order by e.queued_duration_ms))::bigint as p95_queue_ms
  from app_public.pipeline_executions e
 where e.organization_id = $3::uuid and e.pipeline_id = $1::uuid
   and e.created_at >= $2::timestamptz and e.status = 'completed'
 group by grouping sets ((e.branch), ())
 order by e.branch nulls first`;

/* ------------------------------------------------------------------------- *
 * Answers and checks
 * ------------------------------------------------------------------------- */

interface BranchStat {
  branch: string | null;
  runs: number;
  successes: number;
  failures: number;
  successRate: number | null;
  p50RunMs: string | null;
  p95RunMs: string | null;
  p50QueueMs: string | null;
  p95QueueMs: string | null;
}

/** A bigint or text column as GraphQL sends it (a string), or null. */
const text = (v: unknown): string | null =>
  v === null || v === undefined
    ? null
    : typeof v === "string"
      ? v
      : typeof v === "number" || typeof v === "bigint"
        ? String(v)
        : JSON.stringify(v);

/** pipeline_stats rows as the GraphQL API answers STATS_QUERY (BigInt as strings). */
function statsAnswer(results: Row[][]): unknown {
  const rows = results[results.length - 1] ?? [];
  return {
    data: {
      pipelineStats: {
        nodes: rows.map((r): BranchStat => ({
          branch: text(r.branch),
          runs: Number(r.runs),
          successes: Number(r.successes),
          failures: Number(r.failures),
          successRate: r.success_rate === null ? null : Number(r.success_rate),
          p50RunMs: text(r.p50_run_ms),
          p95RunMs: text(r.p95_run_ms),
          p50QueueMs: text(r.p50_queue_ms),
          p95QueueMs: text(r.p95_queue_ms),
        })),
      },
    },
  };
}

/** STATS_GRAPHQL_SQL's rows (columns "0" … "8", as text) as the GraphQL API answers them. */
function graphqlStatsAnswer(results: Row[][]): unknown {
  const columns = [
    "branch",
    "runs",
    "successes",
    "failures",
    "success_rate",
    "p50_run_ms",
    "p95_run_ms",
    "p50_queue_ms",
    "p95_queue_ms",
  ];
  const rows = rowsOf(results).map((r) =>
    Object.fromEntries(columns.map((c, i) => [c, r[String(i)] ?? null])),
  );
  return statsAnswer([rows]);
}

function checkStats(answer: unknown, d: PipelinesData): void {
  const { data, errors } = answer as {
    data?: { pipelineStats?: { nodes?: BranchStat[] } };
    errors?: unknown;
  };
  assert.equal(errors, undefined, `the answer has errors: ${JSON.stringify(errors)}`);
  const nodes = data?.pipelineStats?.nodes;
  assert.ok(
    Array.isArray(nodes),
    `no stats in the answer: ${JSON.stringify(answer).slice(0, 300)}`,
  );
  const [all, ...branches] = nodes;
  assert.equal(all?.branch, null, "the first row is not all branches together");
  assert.equal(all.runs, d.stats.runs, "not the completed runs counted when the dataset was built");
  assert.equal(branches.length, d.stats.branches, "not one row per branch");
  assert.equal(
    branches.reduce((n, b) => n + b.runs, 0),
    all.runs,
    "the branches' runs do not add up",
  );
}

const rowsOf = (results: Row[][]) => results[results.length - 1] ?? [];

const stepAnswer = (results: Row[][]) =>
  rowsOf(results).map((r) => [String(r.status), r.conclusion ?? null, Number(r.position)]);

const checkStep = (status: string, conclusion: string | null) => (answer: unknown) => {
  const rows = answer as Array<[string, string | null, number]>;
  assert.equal(rows.length, 1, `expected one step: ${JSON.stringify(rows)} (is the pool used up?)`);
  assert.equal(rows[0]![0], status);
  assert.equal(rows[0]![1], conclusion);
  assert.ok([...TEST_STEPS, LAST_STEP].includes(rows[0]![2]), "not a step of the pool");
};

const startAnswer = (results: Row[][]) =>
  rowsOf(results).map((r) => String(r.status).toUpperCase());

const checkStarted = (allowed: string[]) => (answer: unknown) => {
  const statuses = answer as string[];
  assert.equal(statuses.length, 1, "expected one execution");
  assert.ok(
    allowed.includes(statuses[0]!),
    `started as ${statuses[0]}, not ${allowed.join(" or ")}`,
  );
};

/* ------------------------------------------------------------------------- *
 * GraphQL
 * ------------------------------------------------------------------------- */

const STATS_QUERY = `query Stats($pipeline: UUID!, $since: Datetime!) {
  pipelineStats(pipelineId: $pipeline, since: $since, first: 100) {
    nodes { branch runs successes failures successRate p50RunMs p95RunMs p50QueueMs p95QueueMs }
  }
}`;

const statsBody = (d: PipelinesData) =>
  JSON.stringify({
    query: STATS_QUERY,
    operationName: "Stats",
    variables: { pipeline: d.stats.pipelineId, since: d.stats.since },
  });

/** The README's subscription (src/server/plugins/subscriptions.ts): the execution and 50 steps per event. */
const LIVE_QUERY = `subscription Live($id: UUID!) {
  pipelineExecutionUpdated(rowId: $id) {
    execution { rowId status conclusion
                steps(first: 50, orderBy: POSITION_ASC) { nodes { rowId name status conclusion } } }
  }
}`;

function checkLive(answer: unknown, d: PipelinesData): void {
  const { data, errors } = answer as {
    data?: {
      pipelineExecutionUpdated?: {
        execution?: { rowId: string; status: string; steps: { nodes: unknown[] } } | null;
      };
    };
    errors?: unknown;
  };
  assert.equal(errors, undefined, `the event has errors: ${JSON.stringify(errors)}`);
  const execution = data?.pipelineExecutionUpdated?.execution;
  assert.ok(execution, `no execution in the event: ${JSON.stringify(answer).slice(0, 300)}`);
  assert.equal(execution.rowId, d.watched.executionIds[0]);
  assert.equal(execution.status, "IN_PROGRESS", "the watched execution is not running");
  assert.equal(execution.steps.nodes.length, 50);
}

/**
 * Subscribers of the watched executions (subscriber i watches execution i mod
 * E) while the member, as a runner, starts and completes their steps.
 */
function liveScenario(
  id: string,
  title: string,
  live: { perSecond: number; subscribers: number[] },
): SubscriptionScenario<PipelinesData> {
  const watchedBy = (d: PipelinesData, i: number) =>
    d.watched.executionIds[i % d.watched.executionIds.length]!;
  return {
    kind: "subscription",
    id,
    title: `${title}, ${live.perSecond} updates/s`,
    identity: "watcher",
    connections: live.subscribers,
    query: LIVE_QUERY,
    variables: (d, i) => ({ id: watchedBy(d, i) }),
    topic: watchedBy,
    driver: {
      as: "member",
      perSecond: live.perSecond,
      statements: [{ text: DRIVER, values: (d) => [d.watched.executionIds.length] }],
      topic: (results) => String(rowsOf(results)[0]?.execution_id),
    },
    check: checkLive,
  };
}

export default defineSet<PipelinesData>({
  name: "pipelines",
  description:
    "CI/CD pipelines: step updates, execution starts with concurrency checks, pipelineStats over 90 days, live status fan-out",
  async dataset(ctx) {
    const size = ctx.quick ? QUICK_DATASET : FULL_DATASET;
    ctx.log(
      `pipelines: ${size.organizations} organizations, ${size.executions} executions of 8 steps over 12 months`,
    );
    const data = await buildPipelinesDataset(ctx, size);
    return {
      data,
      summary: {
        ...size,
        organization: { orgId: data.orgId, memberId: data.memberId, viewerId: data.viewerId },
        stats: data.stats,
        pools: data.pools,
        poolRate: POOL_RATE,
        watched: data.watched,
        live: { LIVE, LIVE_BUSY },
        limitPipelines: data.limitPipelines.length,
        groupPipelines: data.groupPipelines.length,
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
    watcher: (d) => ({
      kind: "user",
      sub: "bench-watcher",
      orgId: d.orgId,
      userId: d.viewerId,
      role: "viewer",
    }),
  },
  scenarios: [
    // The servers' scenarios first (each server starts once, in this order: the baseline,
    // then the API), right after the dataset: a migration committed during the run stops
    // the run only when a server starts after it.
    {
      kind: "raw",
      id: "stats-raw",
      title: "pipelineStats: raw SQL baseline",
      identity: "member",
      connections: [1, 10],
      statements: [{ text: STATS_GRAPHQL_SQL, values: (d) => [d.stats.pipelineId, d.stats.since] }],
      body: statsBody,
      answer: graphqlStatsAnswer,
      check: checkStats,
    },
    {
      kind: "api",
      id: "stats-graphql",
      title: "GraphQL pipelineStats, 90 days of the busiest pipeline",
      identity: "member",
      connections: [1, 10],
      body: statsBody,
      check: checkStats,
      sameAnswerAs: "stats-raw",
      ratioTo: "stats-raw",
      overheadOver: "stats-raw",
    },
    liveScenario("live", "live status: step update → subscribers", LIVE),
    liveScenario("live-busy", "live status, busy: step update → subscribers", LIVE_BUSY),
    {
      kind: "sql",
      id: "step-complete",
      title: "complete_step (1 in 7 completes its execution)",
      as: "member",
      connections: STEP_CONNECTIONS,
      statements: [{ text: COMPLETE_STEP }],
      answer: stepAnswer,
      check: checkStep("completed", "success"),
      ratioTo: "step-complete-raw",
    },
    {
      kind: "sql",
      id: "step-complete-raw",
      title: "complete a step: the row update alone, as the superuser",
      as: SUPERUSER,
      connections: RAW_CONNECTIONS,
      statements: [{ text: COMPLETE_STEP_RAW, values: (d) => [d.orgId] }],
      answer: stepAnswer,
      check: checkStep("completed", "success"),
    },
    {
      kind: "sql",
      id: "step-start",
      title: "start_step of a ready step",
      as: "member",
      connections: STEP_CONNECTIONS,
      statements: [{ text: START_STEP }],
      answer: (results) => rowsOf(results).map((r) => [String(r.status), null, Number(r.position)]),
      check: checkStep("in_progress", null),
    },
    {
      kind: "sql",
      id: "start-limit",
      title: `start_execution, concurrency limit ${CONCURRENCY_LIMIT}`,
      as: "member",
      connections: STEP_CONNECTIONS,
      statements: [{ text: startExecution("start_limit"), values: (d) => [d.limitPipelines] }],
      answer: startAnswer,
      check: checkStarted(["IN_PROGRESS", "QUEUED"]),
      ratioTo: "start-raw",
    },
    {
      kind: "sql",
      id: "start-raw",
      title: "start an execution: its 9 rows alone, as the superuser",
      as: SUPERUSER,
      connections: RAW_CONNECTIONS,
      statements: [{ text: START_EXECUTION_RAW, values: (d) => [d.limitPipelines, d.orgId] }],
      answer: startAnswer,
      check: checkStarted(["QUEUED"]),
    },
    {
      kind: "sql",
      id: "start-group",
      title: "start_execution, concurrency group (supersedes the pending run)",
      as: "member",
      connections: RAW_CONNECTIONS,
      statements: [{ text: startExecution("start_group"), values: (d) => [d.groupPipelines] }],
      answer: startAnswer,
      check: checkStarted(["IN_PROGRESS", "WAITING"]),
      ratioTo: "start-raw",
    },
    {
      kind: "sql",
      id: "stats",
      title: "pipeline_stats, 90 days of the busiest pipeline",
      as: "member",
      connections: [1, 10],
      statements: [{ text: STATS, values: (d) => [d.stats.pipelineId, d.stats.since] }],
      answer: statsAnswer,
      check: checkStats,
      sameAnswerAs: "stats-raw",
      ratioTo: "stats-sql-raw",
    },
    {
      kind: "sql",
      id: "stats-sql-raw",
      title: "pipeline_stats: its SQL written out, RLS bypassed",
      as: SUPERUSER,
      connections: [1, 10],
      statements: [
        { text: STATS_RAW, values: (d) => [d.stats.pipelineId, d.stats.since, d.orgId] },
      ],
      answer: statsAnswer,
      check: checkStats,
      sameAnswerAs: "stats",
    },
  ],
  targets: [
    {
      description: "step updates ≥ 2,000/s (complete_step)",
      scenario: "step-complete",
      connections: 10,
      metric: "throughput",
      atLeast: 2000,
    },
    {
      description: "step updates ≥ 2,000/s (start_step)",
      scenario: "step-start",
      connections: 10,
      metric: "throughput",
      atLeast: 2000,
    },
    {
      description: "pipelineStats, 90 days, p95 ≤ 20 ms (GraphQL)",
      scenario: "stats-graphql",
      connections: 1,
      metric: "p95",
      atMost: 20,
    },
    {
      description: "pipeline_stats, 90 days, p95 ≤ 20 ms (SQL)",
      scenario: "stats",
      connections: 1,
      metric: "p95",
      atMost: 20,
    },
    {
      description: "execution starts ≥ 500/s (concurrency limit)",
      scenario: "start-limit",
      connections: 10,
      metric: "throughput",
      atLeast: 500,
    },
    {
      description: "execution starts ≥ 500/s (concurrency group)",
      scenario: "start-group",
      connections: 10,
      metric: "throughput",
      atLeast: 500,
    },
    {
      description: "fan-out: step update → 100 subscribers p95 ≤ 50 ms",
      scenario: "live",
      connections: 100,
      metric: "p95",
      atMost: 50,
    },
    {
      description: "fan-out: no event missed",
      scenario: "live",
      connections: 100,
      metric: "errors",
      atMost: 0,
    },
    {
      description: "fan-out, 50 updates/s: p95 ≤ 50 ms",
      scenario: "live-busy",
      connections: 100,
      metric: "p95",
      atMost: 50,
    },
  ],
});
