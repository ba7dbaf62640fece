/**
 * The second phase of a run: the load. Scenarios are run in groups, in the
 * order their group first appears in the sets: one group per server (the raw
 * baseline, `forgeline serve` and each of its variants, one child process at a
 * time, shared by every set; a subscription scenario belongs to its server's
 * group), and one for the database-level scenarios (pg connections of this
 * process, no server). For each group: start its server, check every
 * scenario's answer (and that it equals the answer it must match), warm each up
 * at its highest concurrency, measure each at each concurrency, check the
 * answers again, stop the server.
 */
import fs from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import pg from "pg";
import { latestCommittedHash } from "../src/db/migrate.ts";
import { projectRoot } from "../src/paths.ts";
import type { Cleanup } from "./cleanup.ts";
import { cpuBetween, cpuSnapshot } from "./cpu.ts";
import { benchDataDir } from "./database.ts";
import { runLoad, type LoadRequest, type RunningLoad } from "./load.ts";
import {
  baselineRoutes,
  BASELINE_SERVER,
  JWT_AUDIENCE,
  JWT_ISSUER,
  type Prepared,
  type PreparedHttp,
  type PreparedScenario,
  type PreparedSql,
  type PreparedSubscription,
} from "./prepare.ts";
import { startChildServer, type ChildServer } from "./processes.ts";
import type { ApiServerSpec, Row } from "./set.ts";
import { runSqlLoad } from "./sql-load.ts";
import { cpuMsPer, throughputUnit, type RunRecord } from "./stats.ts";
import { runSubscriptionLoad, Subscribers } from "./subscription-load.ts";
import { runFleet } from "./fleet.ts";
import { sampleResources, type Sampling } from "./resources.ts";
import { startPgBouncer, type PgBouncer } from "../src/db/pgbouncer.ts";

export interface MeasureOptions {
  durationSeconds: number;
  warmupSeconds: number;
  log: (line: string) => void;
}

/** Shared with the signal handler: Ctrl-C stops the current load and skips the rest. */
export interface Control {
  interrupted: boolean;
  current?: RunningLoad;
}

export interface Measurement {
  runs: RunRecord[];
  /** Per server: its description, and the evidence headers its answers carried. */
  servers: Record<string, { description: string; evidence?: string; headersSeen?: string[] }>;
}

/** The environment of `forgeline serve` and of the baseline (which reads the same variables). */
function serverEnv(prepared: Prepared, extra: Record<string, string>): NodeJS.ProcessEnv {
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
  const { db } = prepared;
  return {
    ...env,
    DATABASE_URL: db.ownerUrl,
    AUTH_DATABASE_URL: db.authUrl,
    DATABASE_VISITOR: db.roles.visitor,
    JWT_SECRET: prepared.jwtSecret,
    JWT_ISSUER,
    JWT_AUDIENCE,
    NODE_ENV: "production",
    // This process set GRAPHILE_ENV from its own NODE_ENV (src/cli/env.ts); the child must not inherit it.
    GRAPHILE_ENV: "production",
    GRAPHIQL: "false",
    RATE_LIMIT_PER_MINUTE: "0",
    ...extra,
  };
}

/** What a server answers: HTTP requests, and subscriptions over WebSocket. */
type ServedScenario = PreparedHttp | PreparedSubscription;

type Group =
  | { via: "http"; server: ApiServerSpec; scenarios: ServedScenario[] }
  | { via: "sql"; scenarios: PreparedSql[] };

/** Scenarios grouped by what answers them, in order of first appearance. */
export function groupsOf(scenarios: PreparedScenario[]): Group[] {
  const groups: Group[] = [];
  const byName = new Map<string, Group>();
  for (const s of scenarios) {
    const name = s.via === "sql" ? "(database)" : s.server.name;
    let group = byName.get(name);
    if (!group) {
      group =
        s.via === "sql"
          ? { via: "sql", scenarios: [] }
          : { via: "http", server: s.server, scenarios: [] };
      byName.set(name, group);
      groups.push(group);
    } else if (
      s.via !== "sql" &&
      group.via === "http" &&
      !isDeepStrictEqual(group.server.env, s.server.env)
    ) {
      throw new Error(
        `${s.key}: server "${name}" is declared with two environments; give the variant its own name`,
      );
    }
    (group.scenarios as PreparedScenario[]).push(s);
  }
  return groups;
}

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
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
  return { status: res.status, body, headers: res.headers };
}

/** Checks answers, and that each equals the one it must match once both are known. */
class Answers {
  private readonly known = new Map<string, unknown>();
  private readonly scenarios: PreparedScenario[];

  constructor(scenarios: PreparedScenario[]) {
    this.scenarios = scenarios;
  }

  accept(scenario: PreparedScenario, answer: unknown, when: string): void {
    try {
      scenario.check?.(answer);
    } catch (e) {
      throw new Error(
        `${scenario.title} (${when}): ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
        },
      );
    }
    if (when !== "before the load") return;
    this.known.set(scenario.key, answer);
    const pairs = [
      ...(scenario.sameAnswerAs ? [scenario.sameAnswerAs] : []),
      ...this.scenarios.filter((s) => s.sameAnswerAs === scenario.key).map((s) => s.key),
    ];
    for (const other of pairs) {
      if (!this.known.has(other)) continue;
      if (!isDeepStrictEqual(this.known.get(other), answer)) {
        throw new Error(
          `${scenario.key} and ${other} do not return the same answer: the comparison would not be fair` +
            `\n  ${scenario.key}: ${JSON.stringify(answer).slice(0, 300)}` +
            `\n  ${other}: ${JSON.stringify(this.known.get(other)).slice(0, 300)}`,
        );
      }
    }
  }
}

async function backendPids(prepared: Prepared): Promise<number[]> {
  if (
    !["127.0.0.1", "localhost", "[::1]", "::1"].includes(new URL(prepared.server.rootUrl).hostname)
  ) {
    return [];
  }
  const { rows } = await prepared.monitor.query<{ pid: number }>(
    `select pid from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend'
        and pid <> pg_backend_pid()`,
  );
  return rows.map((r) => r.pid);
}

async function openClients(
  url: string,
  n: number,
  cleanup: Cleanup,
): Promise<{
  clients: pg.Client[];
  close: () => Promise<void>;
}> {
  const clients: pg.Client[] = [];
  const close = cleanup.add(`close ${n} benchmark connections`, async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  });
  for (let i = 0; i < n; i++) {
    const client = new pg.Client({
      connectionString: url,
      application_name: "forgeline-bench-sql",
    });
    client.on("error", () => undefined); // a lost connection fails its next call, counted there
    clients.push(client);
    await client.connect();
  }
  return { clients, close };
}

/** What the groups' measurements share. */
interface Run {
  prepared: Prepared;
  options: MeasureOptions;
  cleanup: Cleanup;
  control: Control;
  answers: Answers;
  runs: RunRecord[];
  servers: Measurement["servers"];
}

/**
 * Runs one load between two CPU snapshots and records it (nothing when
 * interrupted). A fleet run also samples what it costs the machine while it runs.
 */
async function measureOnce(
  run: Run,
  scenario: PreparedScenario,
  serverPid: number | null,
  start: () => RunningLoad,
  fleet?: { intervalMs: number; sample: () => Sampling },
): Promise<void> {
  const { prepared, control } = run;
  const before = cpuSnapshot(serverPid, await backendPids(prepared));
  const sampling = fleet?.sample();
  control.current = start();
  const load = await control.current.result;
  const resources = await sampling?.stop();
  if (control.interrupted) return;
  const cpu = cpuBetween(before, cpuSnapshot(serverPid, await backendPids(prepared)));
  run.runs.push({
    key: scenario.key,
    set: scenario.set,
    scenario: scenario.id,
    kind: scenario.kind,
    title: scenario.title,
    connections: load.connections,
    load,
    cpu,
    cpuMsPerOperation: {
      server: cpuMsPer(cpu.server, load.perSecond),
      postgres: cpuMsPer(cpu.postgres, load.perSecond),
      loadGenerator: cpuMsPer(cpu.loadGenerator, load.perSecond) ?? 0,
    },
    ...(fleet && resources && { fleet: { intervalMs: fleet.intervalMs, resources } }),
  });
  const unit = throughputUnit(scenario.kind);
  const parts = (load.parts ?? []).map(
    (p) =>
      `; ${p.kind}: ${p.perSecond} ${unit}, p50 ${p.latencyMs.p50} ms, ` +
      `p95 ${p.latencyMs.p95} ms, ${p.errors} errors`,
  );
  // A subscription's outcomes say what its errors were (missed, unexpected, …) and how many commits.
  const outcomes = scenario.via === "ws" ? `; ${JSON.stringify(load.outcomes)}` : "";
  const cost = resources
    ? `; cpu api ${resources.cpu.api} pg ${resources.cpu.postgres} pgbouncer ` +
      `${resources.cpu.pgbouncer} load ${resources.cpu.loadGenerator}, api rss ` +
      `${resources.apiRssMb?.peak} MiB, pooler waiting max ${resources.pooler?.waitingMax}; ` +
      JSON.stringify(load.outcomes)
    : "";
  run.options.log(
    `${scenario.title}, ${load.connections} conn: ${load.perSecond} ${unit}, ` +
      `p50 ${load.latencyMs.p50} ms, p95 ${load.latencyMs.p95} ms, ${load.errors} errors` +
      parts.join("") +
      outcomes +
      cost,
  );
}

/** A subscription scenario on a running server: its subscribers and its driver. */
class SubscriptionRunner {
  private readonly url: string;
  private readonly s: PreparedSubscription;
  private driver?: { client: pg.Client; close: () => Promise<void> };

  constructor(serverUrl: string, s: PreparedSubscription) {
    this.url = `${serverUrl.replace(/^http/, "ws")}${s.path}`;
    this.s = s;
  }

  /** Subscriber 0's first event: the state when the subscription starts. */
  async firstEvent(): Promise<unknown> {
    const one = new Subscribers(this.url, this.s.token, this.s.plan, 1);
    try {
      await one.started();
      return one.firstEvent(0);
    } finally {
      await one.close();
    }
  }

  /** The warm-up: N subscribers, the driver for `seconds`, nothing recorded. */
  warmUp(run: Run, n: number, seconds: number): Promise<void> {
    return this.withSubscribers(run, n, async (subscribers, driver) => {
      run.control.current = runSubscriptionLoad(subscribers, this.s.plan, driver, seconds);
      await run.control.current.result;
    });
  }

  /** One measured run: N subscribers, the driver for `seconds`, recorded with the server's CPU. */
  measure(run: Run, n: number, seconds: number, serverPid: number): Promise<void> {
    return this.withSubscribers(run, n, (subscribers, driver) =>
      measureOnce(run, this.s, serverPid, () =>
        runSubscriptionLoad(subscribers, this.s.plan, driver, seconds),
      ),
    );
  }

  /** Closes the driver's connection. */
  async close(): Promise<void> {
    await this.driver?.close();
    this.driver = undefined;
  }

  /** N subscribers, started (each has its first event), for `work`; closed afterwards. */
  private async withSubscribers(
    run: Run,
    n: number,
    work: (subscribers: Subscribers, driver: pg.Client) => Promise<void>,
  ): Promise<void> {
    if (!this.driver) {
      run.options.log(`${this.s.title}: driver as ${this.s.driverRunsAs}`);
      const { clients, close } = await openClients(this.s.driverUrl, 1, run.cleanup);
      this.driver = { client: clients[0]!, close };
    }
    const subscribers = new Subscribers(this.url, this.s.token, this.s.plan, n);
    const close = run.cleanup.add(`close ${n} subscribers`, () => subscribers.close());
    try {
      await subscribers.started();
      await work(subscribers, this.driver.client);
    } finally {
      await close();
    }
  }
}

/** One server's scenarios: start it, check, warm up, measure, check again, stop it. */
async function measureServer(
  run: Run,
  spec: ApiServerSpec,
  served: ServedScenario[],
): Promise<void> {
  const scenarios = served.filter((s): s is PreparedHttp => s.via === "http");
  const subscriptions = served.filter((s): s is PreparedSubscription => s.via === "ws");
  const { prepared, options, cleanup, control, answers } = run;
  const env: Record<string, string> = { ...spec.env };
  if (spec.name === BASELINE_SERVER.name) {
    const planFile = path.join(benchDataDir, "baseline-routes.json");
    fs.mkdirSync(benchDataDir, { recursive: true });
    fs.writeFileSync(planFile, JSON.stringify(baselineRoutes(prepared.sets), null, 2));
    env.BENCH_BASELINE_ROUTES = planFile;
  }
  // A server is ready only on a database at the newest committed migration: say why, at once,
  // when migrations/committed changed after the scratch database was migrated.
  if (latestCommittedHash() !== prepared.migrationHash) {
    throw new Error(
      `migrations/committed changed after the scratch database was migrated (newest hash ` +
        `${prepared.migrationHash ?? "none"} then, ${latestCommittedHash() ?? "none"} now): ` +
        `${spec.name} would refuse it (/readyz); run the benchmark again`,
    );
  }
  let pgbouncer: PgBouncer | undefined;
  if (spec.pgbouncer) {
    const { db } = prepared;
    pgbouncer = await startPgBouncer({
      serverUrl: prepared.server.rootUrl,
      users: [{ name: db.roles.authenticator, password: db.passwords.authenticator }],
      poolSize: spec.pgbouncer.poolSize,
      maxClientConnections: 10_000,
      log: options.log,
    });
    const bouncer = pgbouncer;
    cleanup.add(`stop ${spec.name}'s PgBouncer`, () => bouncer.stop());
    // As docker-compose.yml runs it: the API's pool through PgBouncer (no named
    // prepared statements in transaction mode), subscriptions' LISTEN directly.
    env.AUTH_DATABASE_URL = pgbouncer.urlFor(db.authUrl);
    env.AUTH_LISTEN_DATABASE_URL = db.authUrl;
    env.DATAPLAN_PG_PREPARED_STATEMENT_CACHE_SIZE = "0";
  }
  options.log(`starting ${spec.name}: ${spec.description}`);
  const child: ChildServer = await startChildServer({
    name: spec.name,
    args:
      spec.name === BASELINE_SERVER.name
        ? [path.join(projectRoot, "bench", "baseline-server.ts")]
        : [
            path.join(projectRoot, "src", "cli", "index.ts"),
            "serve",
            ...(spec.processes ? ["--processes", String(spec.processes)] : []),
          ],
    env: serverEnv(prepared, env),
    logDir: path.join(benchDataDir, "logs"),
    cwd: projectRoot,
  });
  const stopChild = cleanup.add(`stop ${spec.name}`, async () => {
    await child.stop();
    await pgbouncer?.stop();
  });
  /** A fleet scenario's load: its clients, each with its token and requests. */
  const fleetLoad = (s: PreparedHttp, clients: number, seconds: number, intervalMs: number) =>
    runFleet({
      url: `${child.url}${s.path}`,
      clients,
      token: (i) => s.fleet!.tokens[i % s.fleet!.tokens.length]!,
      sequence: (i) => s.fleet!.requests[i % s.fleet!.requests.length]!,
      durationSeconds: seconds,
      intervalMs,
      timeoutMs: 30_000,
    });
  const requestOf = (s: PreparedHttp): LoadRequest => ({
    url: `${child.url}${s.path}`,
    headers: s.headers,
    body: s.body,
    ...(s.requests && { sequence: s.requests.map((r) => ({ kind: r.kind, body: r.body })) }),
  });
  const check = async (s: PreparedHttp, when: string) => {
    const answer = await ask(requestOf(s));
    if (answer.status !== 200) {
      throw new Error(`${s.title}: HTTP ${answer.status} ${when}: ${JSON.stringify(answer.body)}`);
    }
    answers.accept(s, s.answerOf(answer.body), when);
    return answer;
  };
  /** A sequence's requests one by one: each must succeed, without GraphQL errors, and pass its checks. */
  const checkSequence = async (s: PreparedHttp, when: string) => {
    const seen: Answer[] = [];
    for (const [i, step] of (s.requests ?? []).entries()) {
      const answer = await ask({ ...requestOf(s), body: step.body });
      const what = `${s.title}, request ${i + 1} (${step.kind}) ${when}`;
      const errors = (answer.body as { errors?: unknown } | null)?.errors;
      if (answer.status !== 200 || errors !== undefined) {
        throw new Error(`${what}: HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      try {
        step.check?.(answer.body);
        s.check?.(answer.body);
      } catch (e) {
        throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      seen.push(answer);
    }
    return seen;
  };

  const seen = new Set<string>();
  for (const s of scenarios) {
    const answered = s.requests
      ? await checkSequence(s, "before the load")
      : [await check(s, "before the load")];
    const evidence = spec.evidenceHeader;
    for (const answer of answered) {
      answer.headers.forEach((_value, name) => {
        if (evidence?.test(name)) seen.add(name);
      });
    }
    // Warm up (JIT, prepared statements, a full pool) at the highest concurrency.
    control.current = s.fleet
      ? fleetLoad(s, Math.max(...s.connections), options.warmupSeconds, s.fleet.intervalMs)
      : runLoad(requestOf(s), Math.max(...s.connections), options.warmupSeconds);
    await control.current.result;
  }
  run.servers[spec.name] = {
    description: spec.description,
    ...(spec.evidenceHeader && {
      evidence: spec.evidenceHeader.source,
      headersSeen: [...seen].sort(),
    }),
  };
  const live = new Map(subscriptions.map((s) => [s, new SubscriptionRunner(child.url, s)]));
  for (const [s, runner] of live) {
    answers.accept(s, s.answerOf(await runner.firstEvent()), "before the load");
    await runner.warmUp(run, Math.max(...s.connections), options.warmupSeconds);
  }
  for (const s of scenarios) {
    for (const connections of s.connections) {
      if (control.interrupted) return;
      const fleet = s.fleet;
      if (fleet) {
        await measureOnce(
          run,
          s,
          child.pid,
          () => fleetLoad(s, connections, options.durationSeconds, fleet.intervalMs),
          {
            intervalMs: fleet.intervalMs,
            sample: () => sampleResources({ apiPid: child.pid, pgbouncer }),
          },
        );
        continue;
      }
      await measureOnce(run, s, child.pid, () =>
        runLoad(requestOf(s), connections, options.durationSeconds),
      );
    }
    if (control.interrupted) return;
    if (s.requests) await checkSequence(s, "after the load");
    else await check(s, "after the load");
  }
  for (const [s, runner] of live) {
    for (const connections of s.connections) {
      if (control.interrupted) return;
      await runner.measure(run, connections, options.durationSeconds, child.pid);
    }
    if (control.interrupted) return;
    answers.accept(s, s.answerOf(await runner.firstEvent()), "after the load");
    await runner.close();
  }
  await stopChild();
}

/** A database-level scenario: its connections, check, warm up, measure, check again, close. */
async function measureSql(run: Run, s: PreparedSql): Promise<void> {
  const { options, cleanup, control, answers } = run;
  const most = Math.max(...s.connections);
  options.log(`${s.title}: ${most} pg connections as ${s.runsAs}`);
  const { clients, close } = await openClients(s.connectUrl, most, cleanup);
  const check = async (when: string) =>
    answers.accept(s, s.answerOf((await s.call(clients[0]!)) as Row[][]), when);
  await check("before the load");
  control.current = runSqlLoad(clients, s.call, options.warmupSeconds);
  await control.current.result;
  for (const connections of s.connections) {
    if (control.interrupted) return;
    await measureOnce(run, s, null, () =>
      runSqlLoad(clients.slice(0, connections), s.call, options.durationSeconds),
    );
  }
  if (control.interrupted) return;
  await check("after the load");
  await close();
}

export async function measure(
  prepared: Prepared,
  options: MeasureOptions,
  cleanup: Cleanup,
  control: Control,
): Promise<Measurement> {
  const all = prepared.sets.flatMap((s) => s.scenarios);
  for (const s of all) {
    if (s.skipped !== undefined) options.log(`${s.title}: not run: ${s.skipped}`);
  }
  const scenarios = all.filter((s) => s.skipped === undefined);
  const run: Run = {
    prepared,
    options,
    cleanup,
    control,
    answers: new Answers(scenarios),
    runs: [],
    servers: {},
  };
  for (const group of groupsOf(scenarios)) {
    if (group.via === "http") {
      await measureServer(run, group.server, group.scenarios);
    } else {
      for (const s of group.scenarios) {
        if (!control.interrupted) await measureSql(run, s);
      }
    }
    if (control.interrupted) break;
  }
  return { runs: run.runs, servers: run.servers };
}
