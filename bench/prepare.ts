/**
 * The first phase of a run: the PostgreSQL server and a fresh scratch database,
 * every selected set's dataset, a token for every user identity, and the
 * scenarios made concrete (bodies, statement values, who runs them, which
 * server answers them). Every resource is registered with the run's Cleanup.
 */
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { mintToken } from "../src/server/auth.ts";
import { latestCommittedHash } from "../src/db/migrate.ts";
import { asUser, withTenant } from "../src/db/session.ts";
import type { ScratchDatabase } from "../src/db/scratch.ts";
import type { Cleanup } from "./cleanup.ts";
import { idleLoad } from "./cpu.ts";
import {
  benchDatabaseName,
  createBenchDatabase,
  describeUrl,
  dropBenchDatabase,
  startBenchServer,
  type BenchServer,
} from "./database.ts";
import type { SqlCall } from "./sql-load.ts";
import {
  API_SERVER,
  SUPERUSER,
  type AnySet,
  type ApiServerSpec,
  type Fleet,
  type Identity,
  type Row,
  type Scenario,
  type Statement,
} from "./set.ts";
import type { SubscriptionPlan } from "./subscription-load.ts";

export const JWT_ISSUER = "forgeline";
export const JWT_AUDIENCE = "forgeline";

export interface PrepareOptions {
  quick: boolean;
  keep: boolean;
  connections: number[];
  /** Handed to the datasets (DatasetContext), which may size pools of rows with them. */
  durationSeconds: number;
  warmupSeconds: number;
  log: (line: string) => void;
}

/** A statement as it runs: named (prepared once per connection), its values resolved. */
export interface ConcreteStatement {
  name: string;
  text: string;
  values: unknown[];
}

interface PreparedBase {
  /** `<set>/<id>` */
  key: string;
  set: string;
  id: string;
  title: string;
  kind: Scenario<unknown>["kind"];
  connections: number[];
  check?: (answer: unknown) => void;
  /** Keys (`<set>/<id>`) of the scenario whose answer must be identical. */
  sameAnswerAs?: string;
  ratioTo?: string;
  overheadOver?: string;
  /** Why it is not run on this dataset (ScenarioBase.skip), if it is not. */
  skipped?: string;
}

export interface PreparedHttp extends PreparedBase {
  via: "http";
  /** The server that answers it: an API variant, or the raw baseline. */
  server: ApiServerSpec;
  path: string;
  body: string;
  /** A sequence (ApiScenario.requests): the bodies sent in turn, each with its check. */
  requests?: Array<{ kind: string; body: string; check?: (answer: unknown) => void }>;
  headers: Record<string, string>;
  /** The checked and compared answer, from the response body. */
  answerOf(body: unknown): unknown;
  /** A raw scenario's statements, which the baseline server runs for it. */
  statements?: ConcreteStatement[];
  /**
   * A fleet (ApiScenario.fleet): client i's token and requests, for as many
   * clients as the scenario's most connections; `body`, `requests` and
   * `headers` above are client 0's.
   */
  fleet?: {
    tokens: string[];
    requests: Array<Array<{ kind: string; body: string }>>;
    intervalMs: number;
  };
}

export interface PreparedSql extends PreparedBase {
  via: "sql";
  /** The owner's URL (an identity: asUser/withTenant) or the superuser's (RLS bypassed). */
  connectUrl: string;
  runsAs: string;
  statements: ConcreteStatement[];
  /** Each call ends with a rollback: the data stays as the dataset built it. */
  rollback: boolean;
  call: SqlCall;
  answerOf(results: Row[][]): unknown;
}

/** A subscription scenario: WebSocket clients of a server, and its driver's SQL calls. */
export interface PreparedSubscription extends PreparedBase {
  via: "ws";
  server: ApiServerSpec;
  path: string;
  /** The identity's bearer token, sent in graphql-ws connectionParams. */
  token: string;
  plan: SubscriptionPlan;
  /** The driver's connection: the owner's (an identity) or the superuser's. */
  driverUrl: string;
  driverRunsAs: string;
  driverStatements: ConcreteStatement[];
  answerOf(event: unknown): unknown;
}

export type PreparedScenario = PreparedHttp | PreparedSql | PreparedSubscription;

export interface PreparedSet {
  set: AnySet;
  summary: Record<string, unknown>;
  scenarios: PreparedScenario[];
}

export interface Prepared {
  server: BenchServer;
  databaseName: string;
  db: ScratchDatabase;
  /** A superuser connection to the bench database: facts, backend pids. */
  monitor: pg.Client;
  facts: { version: string | null; full: string | null };
  busyBeforeLoad: number | null;
  /**
   * The newest committed migration's hash when the database was migrated: a
   * server refuses to be ready (/readyz) once migrations/committed says otherwise.
   */
  migrationHash: string | null;
  jwtSecret: string;
  sets: PreparedSet[];
}

/** The raw baseline server's name; it serves every `raw` scenario. */
export const BASELINE_SERVER: ApiServerSpec = {
  name: "baseline",
  env: {},
  description:
    "bench/baseline-server.ts: each set's raw SQL in the API's transaction shape, pg pool of API_POOL_SIZE",
};

export function rawPath(set: string, id: string): string {
  return `/raw/${set}/${id}`;
}

/** Names a statement by its text: the same text prepares once per connection, whoever uses it. */
export function statementName(text: string): string {
  return `fl_bench_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
}

export function concrete(
  statements: Array<Statement<unknown>>,
  data: unknown,
): ConcreteStatement[] {
  return statements.map((s) => ({
    name: statementName(s.text),
    text: s.text,
    values: s.values?.(data) ?? [],
  }));
}

async function runStatements(
  client: pg.ClientBase,
  statements: ConcreteStatement[],
): Promise<Row[][]> {
  const results: Row[][] = [];
  for (const s of statements) results.push((await client.query<Row>(s)).rows);
  return results;
}

export interface SqlCallOptions {
  /** End with a rollback instead of a commit. */
  rollback?: boolean;
  /**
   * After the identity's settings (which switch to the visitor role), back to the
   * session's own role (`set local role none`): the settings stay, RLS is
   * bypassed when the session is a superuser's.
   */
  bypassRls?: boolean;
  /** Called with the results once the statements have run, just before the commit (a subscription driver's clock). */
  beforeCommit?: (results: Row[][]) => void;
}

/**
 * One call of a SQL scenario: one transaction, as its identity (under RLS, or
 * with `bypassRls` its settings without RLS) or as the superuser, committed, or
 * rolled back with `{ rollback: true }`. The identity's settings are made by
 * src/db/session.ts (asUser/withTenant), the one way trusted code sets them.
 */
export function sqlCall(
  identity: Identity | null,
  statements: ConcreteStatement[],
  options: SqlCallOptions = {},
): SqlCall {
  const rollback = options.rollback === true;
  const work = async (c: pg.ClientBase) => {
    if (options.bypassRls) await c.query("set local role none");
    const results = await runStatements(c, statements);
    options.beforeCommit?.(results);
    return results;
  };
  if (identity === null) {
    // The superuser: RLS bypassed, no tenant settings at all.
    return async (client) => {
      await client.query("begin");
      try {
        const results = await work(client);
        await client.query(rollback ? "rollback" : "commit");
        return results;
      } catch (e) {
        await client.query("rollback").catch(() => undefined);
        throw e;
      }
    };
  }
  if (identity.kind === "tenant") {
    const tenant = { orgId: identity.orgId, actor: identity.actor };
    return (client) => withTenant(client, tenant, work, { rollback });
  }
  const user = { sub: identity.sub, orgId: identity.orgId, userId: identity.userId };
  return (client) => asUser(client, user, work, { rollback });
}

/** How a SQL call runs, for the report. */
export function runsAsOf(
  name: string,
  identity: Identity | null,
  options: { rollback?: boolean; bypassRls?: boolean },
): string {
  const via = identity?.kind === "tenant" ? "withTenant" : "asUser";
  const who =
    identity === null
      ? "the superuser (RLS bypassed)"
      : options.bypassRls
        ? `${name}'s settings (${via}), then the superuser's role: RLS bypassed`
        : `${name} (${via}, as the visitor under RLS)`;
  return who + (options.rollback ? ", rolled back" : "");
}

async function tokenFor(identity: Identity, jwtSecret: string): Promise<string> {
  if (identity.kind !== "user") {
    throw new Error(
      "only a user identity has a token (a tenant identity is trusted code: SQL only)",
    );
  }
  return mintToken({
    secret: jwtSecret,
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    sub: identity.sub,
    orgId: identity.orgId ?? undefined,
    userId: identity.userId ?? undefined,
    role: identity.role ?? undefined,
    expiresIn: "12h",
  });
}

/** `{ skipped: reason }` when the scenario's `skip` gives one for this data. */
function skipReason(
  skip: ((data: unknown) => string | undefined) | undefined,
  data: unknown,
): { skipped?: string } {
  const reason = skip?.(data);
  return reason === undefined ? {} : { skipped: reason };
}

/** A scenario's check with the set's data bound to it. */
function bindCheck(
  check: ((answer: unknown, data: unknown) => void) | undefined,
  data: unknown,
): ((answer: unknown) => void) | undefined {
  return check && ((answer) => check(answer, data));
}

/** A set's scenarios made concrete for its built data. */
async function prepareScenarios(
  set: AnySet,
  data: unknown,
  db: ScratchDatabase,
  jwtSecret: string,
  defaultConnections: number[],
): Promise<PreparedScenario[]> {
  const identities = new Map<string, Identity>();
  const identity = (name: string) => {
    let found = identities.get(name);
    if (!found) {
      const make = set.identities[name];
      if (!make) throw new Error(`${set.name}: no identity "${name}"`);
      found = make(data);
      identities.set(name, found);
    }
    return found;
  };
  const tokens = new Map<string, string>();
  const tokenOf = async (name: string): Promise<string> => {
    let token = tokens.get(name);
    if (!token) {
      try {
        token = await tokenFor(identity(name), jwtSecret);
      } catch (e) {
        throw new Error(`${set.name}: identity "${name}": ${(e as Error).message}`, { cause: e });
      }
      tokens.set(name, token);
    }
    return token;
  };
  const headersFor = async (name: string | null): Promise<Record<string, string>> => {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json",
    };
    if (name === null) return headers;
    return { ...headers, authorization: `Bearer ${await tokenOf(name)}` };
  };
  /** A fleet's clients: a token each (minted once per distinct identity), their requests. */
  const prepareFleet = async (
    fleet: Fleet<unknown>,
    base: PreparedBase,
    server: ApiServerSpec,
    path: string | undefined,
  ): Promise<PreparedHttp> => {
    const clients = Math.max(...base.connections);
    const minted = new Map<string, string>();
    const tokens: string[] = [];
    const requests: Array<Array<{ kind: string; body: string }>> = [];
    for (let i = 0; i < clients; i++) {
      const who = fleet.identity(data, i);
      const key = JSON.stringify([who.sub, who.orgId, who.userId, who.role]);
      let token = minted.get(key);
      if (!token) {
        token = await tokenFor(who, jwtSecret);
        minted.set(key, token);
      }
      tokens.push(token);
      requests.push(fleet.requests(data, i));
    }
    const first = requests[0] ?? [];
    const check = bindCheck(fleet.check, data);
    return {
      ...base,
      via: "http",
      server,
      path: path ?? "/graphql",
      body: first[0]?.body ?? "{}",
      requests: first.map((r) => ({ kind: r.kind, body: r.body, check })),
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        authorization: `Bearer ${tokens[0]}`,
      },
      answerOf: (body) => body,
      fleet: { tokens, requests, intervalMs: fleet.intervalMs ?? 0 },
    };
  };
  const keyOf = (id: string | undefined) => (id === undefined ? undefined : `${set.name}/${id}`);
  const bodyOf = (body: string | ((d: unknown) => string) | undefined, fallback: string) =>
    body === undefined ? fallback : typeof body === "string" ? body : body(data);

  const prepared: PreparedScenario[] = [];
  for (const s of set.scenarios) {
    const base: PreparedBase = {
      key: `${set.name}/${s.id}`,
      set: set.name,
      id: s.id,
      title: s.title,
      kind: s.kind,
      connections: s.connections ?? defaultConnections,
      check: bindCheck(s.check, data),
      sameAnswerAs: keyOf(s.sameAnswerAs),
      ratioTo: s.ratioTo,
      overheadOver: s.overheadOver,
      ...skipReason(s.skip, data),
    };
    switch (s.kind) {
      case "api":
        if (s.fleet) {
          prepared.push(await prepareFleet(s.fleet, base, s.server ?? API_SERVER, s.path));
          break;
        }
        prepared.push({
          ...base,
          via: "http",
          server: s.server ?? API_SERVER,
          path: s.path ?? "/graphql",
          body: bodyOf(s.requests?.[0]?.body ?? s.body, "{}"),
          ...(s.requests && {
            requests: s.requests.map((r) => ({
              kind: r.kind,
              body: bodyOf(r.body, "{}"),
              check: bindCheck(r.check, data),
            })),
          }),
          headers: await headersFor(s.identity),
          answerOf: (body) => body,
        });
        break;
      case "raw": {
        const answer = s.answer;
        prepared.push({
          ...base,
          via: "http",
          server: BASELINE_SERVER,
          path: rawPath(set.name, s.id),
          body: bodyOf(s.body, "{}"),
          headers: await headersFor(s.identity),
          answerOf: (body) => {
            const results = (body as { results?: Row[][] }).results ?? [];
            return answer ? answer(results) : results;
          },
          statements: concrete(s.statements, data),
        });
        break;
      }
      case "sql": {
        const who = s.as === SUPERUSER ? null : identity(s.as);
        const answer = s.answer;
        const statements = concrete(s.statements, data);
        const options = { rollback: s.rollback === true, bypassRls: s.bypassRls === true };
        prepared.push({
          ...base,
          via: "sql",
          // bypassRls returns to the session's role: it must be the superuser's.
          connectUrl: who === null || options.bypassRls ? db.rootDbUrl : db.ownerUrl,
          runsAs: runsAsOf(s.as, who, options),
          statements,
          rollback: options.rollback,
          call: sqlCall(who, statements, options),
          answerOf: (results) => (answer ? answer(results) : results),
        });
        break;
      }
      case "subscription": {
        const driverWho = s.driver.as === SUPERUSER ? null : identity(s.driver.as);
        const driverStatements = concrete(s.driver.statements, data);
        const topic = s.topic;
        const variables = s.variables;
        const topicOfResults = s.driver.topic;
        prepared.push({
          ...base,
          via: "ws",
          server: s.server ?? API_SERVER,
          path: s.path ?? "/graphql",
          token: await tokenOf(s.identity),
          plan: {
            query: s.query,
            variables: (i) => variables(data, i),
            topic: (i) => topic(data, i),
            perSecond: s.driver.perSecond,
            driverCall: (beforeCommit) => sqlCall(driverWho, driverStatements, { beforeCommit }),
            driverTopic: topicOfResults,
          },
          driverUrl: driverWho === null ? db.rootDbUrl : db.ownerUrl,
          driverRunsAs: runsAsOf(s.driver.as, driverWho, {}),
          driverStatements,
          answerOf: (event) => event,
        });
        break;
      }
    }
  }
  return prepared;
}

/** The statements of the raw scenarios, for the baseline server's plan file. */
export function baselineRoutes(sets: PreparedSet[]): {
  routes: Array<{ path: string; statements: ConcreteStatement[] }>;
} {
  return {
    routes: sets.flatMap((s) =>
      s.scenarios.flatMap((p) =>
        p.via === "http" && p.statements ? [{ path: p.path, statements: p.statements }] : [],
      ),
    ),
  };
}

export async function prepare(
  sets: AnySet[],
  options: PrepareOptions,
  cleanup: Cleanup,
): Promise<Prepared> {
  const { log } = options;
  const server = await startBenchServer(log);
  if (server.embedded) {
    const embedded = server.embedded;
    cleanup.add("stop the embedded PostgreSQL server", () => embedded.stop());
  }
  const databaseName = benchDatabaseName();
  if (!options.keep) {
    cleanup.add(`drop database ${databaseName} and its roles`, () =>
      dropBenchDatabase(server.rootUrl, databaseName),
    );
  }
  log(`creating database ${databaseName} (roles + migrations) on ${describeUrl(server.rootUrl)}`);
  const migrationHash = latestCommittedHash();
  const db = await createBenchDatabase(server.rootUrl, databaseName);

  const jwtSecret = randomBytes(32).toString("base64url");
  const preparedSets: PreparedSet[] = [];
  for (const set of sets) {
    log(`building the ${set.name} dataset`);
    const built = await set.dataset({
      rootDbUrl: db.rootDbUrl,
      ownerUrl: db.ownerUrl,
      roles: { ...db.roles },
      quick: options.quick,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      log,
    });
    preparedSets.push({
      set,
      summary: built.summary,
      scenarios: await prepareScenarios(set, built.data, db, jwtSecret, options.connections),
    });
  }

  const monitor = new pg.Client({ connectionString: db.rootDbUrl });
  await monitor.connect();
  cleanup.add("close the monitoring connection", () => monitor.end());
  const {
    rows: [facts],
  } = await monitor.query<{ version: string; full: string }>(
    "select current_setting('server_version') as version, version() as full",
  );

  const busyBeforeLoad = await idleLoad(1);
  return {
    server,
    databaseName,
    db,
    monitor,
    facts: { version: facts?.version ?? null, full: facts?.full ?? null },
    busyBeforeLoad,
    migrationHash,
    jwtSecret,
    sets: preparedSets,
  };
}
