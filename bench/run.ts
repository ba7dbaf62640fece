/**
 * `forgeline bench`: builds the dataset in a fresh scratch database, starts each
 * server under test in a child process, loads it with autocannon at each
 * concurrency, and reports (bench/report.ts). The scratch database, its roles,
 * the children and the embedded server (if one was started) are cleaned up at the
 * end, on failure and on Ctrl-C; `--keep` leaves the database for a look.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { projectRoot } from "../src/paths.ts";
import { mintToken } from "../src/server/auth.ts";
import { cpuBetween, cpuSnapshot, idleLoad } from "./cpu.ts";
import {
  benchDataDir,
  benchDatabaseName,
  createBenchDatabase,
  describeUrl,
  dropBenchDatabase,
  startBenchServer,
} from "./database.ts";
import { buildDataset, FULL_DATASET, QUICK_DATASET, type Dataset } from "./dataset.ts";
import { runLoad, type LoadRequest, type RunningLoad } from "./load.ts";
import { startChildServer, type ChildServer } from "./processes.ts";
import { compare, formatTable, NOISY, targets, writeResults, type RunRecord } from "./report.ts";
import { SCENARIOS, type Scenario, type ServerKind } from "./scenarios.ts";
import type { ScratchDatabase } from "../src/db/scratch.ts";

export interface BenchOptions {
  quick: boolean;
  durationSeconds: number;
  connections: number[];
  keep: boolean;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** A limit no run can reach: every request is charged, none is refused. */
const UNREACHABLE_LIMIT = "100000000";
const JWT_ISSUER = "forgeline";
const JWT_AUDIENCE = "forgeline";
/** The baseline's pool; the API's is src/runtime.ts's (20 when this was written). */
const BASELINE_POOL_SIZE = 20;

/** Cleanup steps, run last-in first-out, once, whatever happened. */
class Cleanup {
  private readonly steps: Array<{ label: string; fn: () => Promise<void> }> = [];
  private running?: Promise<void>;

  /** Registers a step; the returned function runs it now (and only once). */
  add(label: string, fn: () => Promise<void>): () => Promise<void> {
    const step = { label, fn };
    if (this.running) {
      void this.runStep(step);
      return () => Promise.resolve();
    }
    this.steps.push(step);
    return async () => {
      const index = this.steps.indexOf(step);
      if (index < 0) return;
      this.steps.splice(index, 1);
      await this.runStep(step);
    };
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) await this.runStep(step);
    })();
    return this.running;
  }

  private async runStep(step: { label: string; fn: () => Promise<void> }): Promise<void> {
    try {
      await step.fn();
    } catch (e) {
      log(`could not ${step.label}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: projectRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

/** The environment of `forgeline serve` (and of the baseline, which reads the same variables). */
function serverEnv(db: ScratchDatabase, jwtSecret: string, rateLimit: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    "ROOT_DATABASE_URL",
    "SHADOW_DATABASE_URL",
    "TEST_DATABASE_URL",
    "BENCH_DATABASE_URL",
    "JWT_PUBLIC_KEY",
    "JWT_JWKS_URL",
    "JWT_ALGORITHM",
  ]) {
    delete env[name];
  }
  return {
    ...env,
    DATABASE_URL: db.ownerUrl,
    AUTH_DATABASE_URL: db.authUrl,
    DATABASE_VISITOR: db.roles.visitor,
    JWT_SECRET: jwtSecret,
    JWT_ISSUER,
    JWT_AUDIENCE,
    NODE_ENV: "production",
    // This process set GRAPHILE_ENV from its own NODE_ENV (src/cli/env.ts); the child must not inherit it.
    GRAPHILE_ENV: "production",
    GRAPHIQL: "false",
    RATE_LIMIT_PER_MINUTE: rateLimit,
    BASELINE_POOL_SIZE: String(BASELINE_POOL_SIZE),
  };
}

const SERVERS: Record<ServerKind, { script: string[]; rateLimit: string; description: string }> = {
  baseline: {
    script: [path.join(projectRoot, "bench", "baseline-server.ts")],
    rateLimit: "0",
    description: `bench/baseline-server.ts, pg pool of ${BASELINE_POOL_SIZE}`,
  },
  api: {
    script: [path.join(projectRoot, "src", "cli", "index.ts"), "serve"],
    rateLimit: "0",
    description: "forgeline serve, NODE_ENV=production, RATE_LIMIT_PER_MINUTE=0 (off)",
  },
  "api-rate-limited": {
    script: [path.join(projectRoot, "src", "cli", "index.ts"), "serve"],
    rateLimit: UNREACHABLE_LIMIT,
    description: `forgeline serve, NODE_ENV=production, RATE_LIMIT_PER_MINUTE=${UNREACHABLE_LIMIT}`,
  },
};

interface Answer {
  status: number;
  body: unknown;
  rateLimitHeaders: Record<string, string>;
}

async function ask(request: LoadRequest): Promise<Answer> {
  const res = await fetch(request.url, {
    method: "POST",
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text for the error message
  }
  const rateLimitHeaders: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (/ratelimit|retry-after/i.test(name)) rateLimitHeaders[name] = value;
  });
  return { status: res.status, body, rateLimitHeaders };
}

/** Checks a scenario's answer (and that it equals the one it must match) before loading it. */
async function verify(
  scenario: Scenario,
  request: LoadRequest,
  answers: Map<string, unknown>,
): Promise<Answer> {
  const answer = await ask(request);
  if (answer.status !== 200) {
    throw new Error(
      `${scenario.title}: HTTP ${answer.status} before the load: ${JSON.stringify(answer.body)}`,
    );
  }
  try {
    scenario.check(answer.body);
  } catch (e) {
    throw new Error(`${scenario.title}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  const other = scenario.sameAnswerAs && answers.get(scenario.sameAnswerAs);
  if (other !== undefined && !isDeepStrictEqual(other, answer.body)) {
    throw new Error(
      `${scenario.title} does not return the same rows as ${scenario.sameAnswerAs}: the comparison would not be fair`,
    );
  }
  answers.set(scenario.id, answer.body);
  return answer;
}

function isLocal(url: string): boolean {
  return ["127.0.0.1", "localhost", "[::1]", "::1"].includes(new URL(url).hostname);
}

export async function runBench(options: BenchOptions): Promise<void> {
  const started = new Date();
  const cleanup = new Cleanup();
  let interrupted = false;
  let currentLoad: RunningLoad | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping and cleaning up (press again to exit at once)`);
    currentLoad?.stop();
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const size = options.quick ? QUICK_DATASET : FULL_DATASET;
    const server = await startBenchServer(log);
    if (server.embedded) {
      const embedded = server.embedded;
      cleanup.add("stop the embedded PostgreSQL server", () => embedded.stop());
    }
    const name = benchDatabaseName();
    if (!options.keep) {
      cleanup.add(`drop database ${name} and its roles`, () =>
        dropBenchDatabase(server.rootUrl, name),
      );
    }
    log(`creating database ${name} (roles + migrations) on ${describeUrl(server.rootUrl)}`);
    const db = await createBenchDatabase(server.rootUrl, name);

    log(
      `building the dataset: ${size.organizations} organizations, ${size.bigTenantUsers} users in one, ` +
        `${size.usersPerOrganization} in each other`,
    );
    const dataset: Dataset = await buildDataset(db.rootDbUrl, size);
    log(
      `dataset: ${dataset.organizations} organizations, ${dataset.users} users in ${dataset.seconds.toFixed(1)} s`,
    );

    const monitor = new pg.Client({ connectionString: db.rootDbUrl });
    await monitor.connect();
    cleanup.add("close the monitoring connection", () => monitor.end());
    const {
      rows: [facts],
    } = await monitor.query<{ version: string; full: string; charge: boolean }>(
      `select current_setting('server_version') as version, version() as full,
              to_regproc('app_private.charge_request') is not null as charge`,
    );
    const backendPids = async (): Promise<number[]> => {
      if (!isLocal(server.rootUrl)) return [];
      const { rows } = await monitor.query<{ pid: number }>(
        `select pid from pg_stat_activity
          where datname = current_database() and backend_type = 'client backend'
            and pid <> pg_backend_pid()`,
      );
      return rows.map((r) => r.pid);
    };

    const busy = await idleLoad(1);
    if (busy !== null && busy > NOISY) {
      log(
        `warning: the machine is busy before the load (${busy} cores in use by other processes); ` +
          "the numbers will be noisy",
      );
    }

    const jwtSecret = randomBytes(32).toString("base64url");
    const token = await mintToken({
      secret: jwtSecret,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      sub: "bench",
      orgId: dataset.tenant.orgId,
      userId: dataset.tenant.ownerUserId,
      role: "owner",
      expiresIn: "12h",
    });
    const headers = {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json",
    };

    const warmupSeconds = options.quick ? 1 : 3;
    const maxConnections = Math.max(...options.connections);
    const answers = new Map<string, unknown>();
    const runs: RunRecord[] = [];
    const rateLimitHeaders: Record<string, string> = {};
    const logDir = path.join(benchDataDir, "logs");
    const kinds = [...new Set(SCENARIOS.map((s) => s.server))];

    for (const kind of kinds) {
      const spec = SERVERS[kind];
      log(`starting ${kind}: ${spec.description}`);
      const child: ChildServer = await startChildServer({
        name: kind,
        args: spec.script,
        env: serverEnv(db, jwtSecret, spec.rateLimit),
        logDir,
        cwd: projectRoot,
      });
      const stopChild = cleanup.add(`stop ${kind}`, () => child.stop());
      const scenarios = SCENARIOS.filter((s) => s.server === kind);
      const requestOf = (s: Scenario): LoadRequest => ({
        url: `${child.url}${s.path}`,
        headers,
        body: s.body,
      });

      for (const scenario of scenarios) {
        const answer = await verify(scenario, requestOf(scenario), answers);
        if (kind === "api-rate-limited") Object.assign(rateLimitHeaders, answer.rateLimitHeaders);
        // Warm up (JIT, prepared statements, a full pool) at the highest concurrency.
        currentLoad = runLoad(requestOf(scenario), maxConnections, warmupSeconds);
        await currentLoad.result;
      }
      for (const scenario of scenarios) {
        for (const connections of options.connections) {
          if (interrupted) break;
          const before = cpuSnapshot(child.pid, await backendPids());
          currentLoad = runLoad(requestOf(scenario), connections, options.durationSeconds);
          const load = await currentLoad.result;
          if (interrupted) break;
          const after = cpuSnapshot(child.pid, await backendPids());
          const cpu = cpuBetween(before, after);
          const perRequest = (cores: number | null) =>
            cores === null || load.requestsPerSecond === 0
              ? null
              : Math.round((cores / load.requestsPerSecond) * 1e6) / 1e3;
          runs.push({
            scenario: scenario.id,
            title: scenario.title,
            connections,
            load,
            cpu,
            cpuMsPerRequest: {
              server: perRequest(cpu.server),
              postgres: perRequest(cpu.postgres),
              loadGenerator: perRequest(cpu.loadGenerator) ?? 0,
            },
          });
          log(
            `${scenario.title}, ${connections} conn: ${load.requestsPerSecond} req/s, ` +
              `p50 ${load.latencyMs.p50} ms, p95 ${load.latencyMs.p95} ms, ${load.errors} errors`,
          );
        }
        // Still the right answer after the load.
        if (!interrupted) await verify(scenario, requestOf(scenario), new Map());
      }
      await stopChild();
      if (interrupted) break;
    }
    if (interrupted) return await new Promise<never>(() => undefined);

    compare(runs, SCENARIOS);
    const goals = targets(runs);
    process.stdout.write(`\n${formatTable(runs, goals)}\n`);

    // The limiter is visible in its answers' RateLimit-* headers; without them the
    // rate-limited run measured the same API as the plain one.
    const limiterActive = Object.keys(rateLimitHeaders).length > 0;
    const rateLimiter = {
      active: limiterActive,
      chargeFunction: facts?.charge ?? false,
      headersSeen: rateLimitHeaders,
    };
    if (!limiterActive) {
      process.stdout.write(
        "\nnote: the rate-limited API sent no RateLimit headers: this build may have no rate\n" +
          "limiter, and then the two GraphQL scenarios differ only by noise.\n",
      );
    }
    const file = writeResults(path.join(projectRoot, "bench", "results"), started, {
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      options: { ...options, warmupSeconds },
      environment: {
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        cpus: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model ?? null,
        memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        postgres: facts?.version ?? null,
        postgresBuild: facts?.full ?? null,
        database: { source: server.source, server: describeUrl(server.rootUrl), name },
        gitCommit: gitCommit(),
        machineBusyBeforeLoad: busy,
        logLevel: process.env.LOG_LEVEL ?? "default",
      },
      dataset: {
        ...dataset.size,
        organizationsBuilt: dataset.organizations,
        usersBuilt: dataset.users,
        buildSeconds: Math.round(dataset.seconds * 10) / 10,
        tenant: dataset.tenant,
      },
      servers: Object.fromEntries(kinds.map((k) => [k, SERVERS[k].description])),
      rateLimiter,
      scenarios: SCENARIOS.map(({ id, title, server: kind, path: p, body }) => ({
        id,
        title,
        server: kind,
        path: p,
        body,
      })),
      runs,
      targets: goals,
    });
    log(`results written to ${path.relative(process.cwd(), file)}`);
    if (options.keep) {
      log(`kept database ${name}:`);
      log(`  superuser: ${db.rootDbUrl}`);
      log(`  owner:     ${db.ownerUrl}`);
      log(`  api:       ${db.authUrl} (visitor role ${db.roles.visitor})`);
      log(`  drop it:   drop database ${name}; then drop its three roles ${name}_*`);
      if (server.embedded) log(`  (the embedded server's data stays in ${server.embedded.pgData})`);
    }
  } catch (e) {
    if (interrupted) return await new Promise<never>(() => undefined);
    throw e;
  } finally {
    if (!interrupted) {
      await cleanup.run();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}
