/**
 * What a module's benchmark declares: one file, bench/sets/<module>.ts, whose
 * default export is `defineSet({...})` (bench/README.md, "Adding a set"). The
 * harness (bench/run.ts) does everything else: the scratch database, the
 * dataset call, tokens for the identities, the servers, the load, the report.
 *
 * A set has
 *   - a dataset builder, called once on the migrated scratch database as the
 *     superuser, returning the set's own data (ids the scenarios need) and a
 *     summary for the report;
 *   - identities: who the scenarios act as. A user identity gets a bearer token
 *     (minted by the harness) for HTTP scenarios and runs SQL scenarios through
 *     asUser; a tenant identity (trusted code) runs SQL scenarios through
 *     withTenant (src/db/session.ts, the one way trusted code acts);
 *   - scenarios, of four kinds:
 *       api  an HTTP request to `forgeline serve` (GraphQL), optionally on a
 *            variant of the server (other environment: rate limiting, limits);
 *       raw  the raw-SQL baseline of an API scenario: its statements, run by the
 *            generic baseline server (bench/baseline-server.ts) in the API's
 *            transaction shape, over the same HTTP with the same token check;
 *       sql  database-level: N pg connections from the bench process, each
 *            calling the statements in a loop, one transaction per call, as an
 *            identity (under RLS, or with its settings but RLS bypassed) or as
 *            the superuser (RLS bypassed);
 *       subscription  live updates: N graphql-ws clients of `forgeline serve`
 *            subscribed over WebSocket while a driver commits writes at a fixed
 *            rate; each event's latency is measured from its write's commit;
 *   - targets, reported as met or missed, never asserted.
 *
 * Scenario ids are unique in their set; `sameAnswerAs`, `ratioTo` and
 * `overheadOver` name another scenario of the same set.
 */

export type AppRole = "owner" | "admin" | "member" | "viewer";

/** A signed-in user: a token with these claims (HTTP), asUser (SQL). */
export interface UserIdentity {
  kind: "user";
  sub: string;
  orgId: string | null;
  userId: string | null;
  role: AppRole | null;
}

/** Trusted code acting for one organization (SQL only): withTenant. */
export interface TenantIdentity {
  kind: "tenant";
  orgId: string;
  actor: string;
}

export type Identity = UserIdentity | TenantIdentity;

/** The `as` of a SQL scenario that runs as the superuser: no settings, RLS bypassed. */
export const SUPERUSER = "superuser";

/** A row as node-postgres returns it. */
export type Row = Record<string, unknown>;

/**
 * One SQL statement. It runs as a named prepared statement (as PostGraphile's
 * adaptor runs its own); `values` come from the dataset, fixed when the run is
 * prepared. A write that must change a different row in every call (each call
 * completes another step) picks its row inside the statement, from a sequence
 * the dataset created: `nextval('bench_<set>.<pool>')` numbers the calls across
 * all connections, and the row's id is derived from that number (see
 * bench/sets/pipelines.ts).
 */
export interface Statement<D> {
  text: string;
  values?: (data: D) => unknown[];
}

interface ScenarioBase<D> {
  /** Unique in the set; the report shows `<set>/<id>`. */
  id: string;
  /** One line in the table. */
  title: string;
  /** Checks one answer (before and after the load) against the dataset's data; throws with the reason. */
  check?: (answer: unknown, data: D) => void;
  /** A scenario whose answer must be identical (same rows, same order): a fair comparison. */
  sameAnswerAs?: string;
  /** The scenario whose throughput this one is divided by, at the same concurrency. */
  ratioTo?: string;
  /** The scenario whose p50 this one adds to, at the same concurrency (in %). */
  overheadOver?: string;
  /** Concurrencies to run at; default: the run's `--connections`. */
  connections?: number[];
  /**
   * A reason not to run it on this dataset, or undefined to run it (e.g. one
   * call timed when the dataset was built took minutes): the report says it was
   * not run, and why, and its targets are "not measured".
   */
  skip?: (data: D) => string | undefined;
}

/** A variant of `forgeline serve`: `env` is added to the environment the harness gives it. */
export interface ApiServerSpec {
  /** Servers are shared by name across sets: one name, one environment. */
  name: string;
  env: Record<string, string>;
  description: string;
  /**
   * A response header (regular expression) that proves the variant is active;
   * the report says so when the answers before the load carried none.
   */
  evidenceHeader?: RegExp;
  /** `forgeline serve --processes N` (one primary, N API processes on one port). */
  processes?: number;
  /**
   * Behind a PgBouncer of the run's own (transaction pooling, `poolSize` server
   * connections): the API's pool goes through it, subscriptions listen directly,
   * prepared statements off, as docker-compose.yml runs it.
   */
  pgbouncer?: { poolSize: number };
}

/** The API as `forgeline serve` runs in production (rate limiting off). */
export const API_SERVER: ApiServerSpec = {
  name: "api",
  env: {},
  description: "forgeline serve, NODE_ENV=production, RATE_LIMIT_PER_MINUTE=0 (off)",
};

/**
 * One request of an API scenario's sequence. Its `kind` is what the report
 * counts and times apart ("read", "create"): requests of one kind are added
 * together.
 */
export interface RequestStep<D> {
  kind: string;
  /** The JSON request body, POSTed. */
  body: string | ((data: D) => string);
  /** Checks this request's answer (before and after the load); throws with the reason. */
  check?: (answer: unknown, data: D) => void;
}

export interface ApiScenario<D> extends ScenarioBase<D> {
  kind: "api";
  /** An identity of the set (its token is sent), or null: anonymous. */
  identity: string | null;
  /** Default API_SERVER. */
  server?: ApiServerSpec;
  /** Default /graphql. */
  path?: string;
  /** The JSON request body, POSTed (or `requests`). */
  body?: string | ((data: D) => string);
  /**
   * A sequence instead of one body (a load mix, e.g. three reads to one
   * create): each connection sends these in turn, round and round, and the
   * report gives each kind's numbers and errors (a 2xx answer with GraphQL
   * errors is an error here). Its answers are checked one by one (`check` of
   * the step, then of the scenario); it has no single answer to compare, so no
   * `sameAnswerAs`.
   */
  requests?: Array<RequestStep<D>>;
  /**
   * Many simulated users instead of one identity's connections (bench/fleet.ts):
   * client i has its own token and its own requests. The run's connection count
   * is the number of clients. The scenario's `identity`, `body` and `requests`
   * are ignored: client 0's are checked before and after the load.
   */
  fleet?: Fleet<D>;
}

/** A fleet of users (ApiScenario.fleet). */
export interface Fleet<D> {
  /** Client i's identity: its token is minted for it (equal identities share one). */
  identity: (data: D, client: number) => UserIdentity;
  /** Client i's requests, sent in turn, round and round (each kind reported apart). */
  requests: (data: D, client: number) => Array<{ kind: string; body: string }>;
  /** Checks an answer of client 0's requests (before and after the load). */
  check?: (answer: unknown, data: D) => void;
  /**
   * Absent or 0: a closed loop (each client's next request as soon as it has the
   * answer); else each client starts one request every `intervalMs`.
   */
  intervalMs?: number;
}

export interface RawScenario<D> extends ScenarioBase<D> {
  kind: "raw";
  /** A user identity of the set (its token is sent and verified), or null: anonymous. */
  identity: string | null;
  /** Run in order inside begin → the API's settings → … → commit. */
  statements: Array<Statement<D>>;
  /** The request body, read and ignored (send what the API scenario sends). Default "{}". */
  body?: string | ((data: D) => string);
  /** Shapes the statements' rows as the API answers, to check and compare them. */
  answer?: (results: Row[][]) => unknown;
}

export interface SqlScenario<D> extends ScenarioBase<D> {
  kind: "sql";
  /** An identity of the set (asUser/withTenant on an owner connection), or SUPERUSER. */
  as: string;
  /**
   * With an identity: its settings (asUser/withTenant, as always), then back to
   * the connecting superuser (`set local role none`), so the functions read the
   * tenant and the user (current_org_id(), current_user_id()) while RLS is
   * bypassed: the baseline of a policy path whose SQL cannot be written out
   * without the tenant. Runs on a superuser connection.
   */
  bypassRls?: boolean;
  /** One call: run in order in one transaction. */
  statements: Array<Statement<D>>;
  /**
   * End each call's transaction with a rollback instead of a commit (a write
   * measured without changing the data: every call sees the same rows). The
   * rollback is part of the call's latency.
   */
  rollback?: boolean;
  /** Shapes the statements' rows, to check and compare them. */
  answer?: (results: Row[][]) => unknown;
}

/**
 * What drives a subscription scenario: one call is one transaction (as `as`,
 * like a sql scenario's), committed, at `perSecond` calls a second. `topic`
 * names what the call changed (e.g. the execution id its step belongs to): every
 * subscriber of that topic must receive one event for it.
 */
export interface SubscriptionDriver<D> {
  as: string;
  statements: Array<Statement<D>>;
  perSecond: number;
  topic: (results: Row[][]) => string;
}

export interface SubscriptionScenario<D> extends ScenarioBase<D> {
  kind: "subscription";
  /** A user identity of the set: its token goes in graphql-ws `connectionParams`. */
  identity: string;
  /** Default API_SERVER. */
  server?: ApiServerSpec;
  /** Default /graphql (ws://). */
  path?: string;
  /** The subscription document (one operation). */
  query: string;
  /** Subscriber i's variables (i = 0 … N − 1; N is the run's connections). */
  variables: (data: D, subscriber: number) => Record<string, unknown>;
  /** What subscriber i listens to, named as the driver's `topic` names it. */
  topic: (data: D, subscriber: number) => string;
  driver: SubscriptionDriver<D>;
  /** Checked: the first event (the state when the subscription starts) of subscriber 0. */
  check?: (answer: unknown, data: D) => void;
}

export type Scenario<D> =
  ApiScenario<D> | RawScenario<D> | SqlScenario<D> | SubscriptionScenario<D>;

/**
 * What a target reads from a run: throughput (requests/s or calls/s), a latency
 * percentile (ms), the ratio to `ratioTo` (×), the p50 overhead over
 * `overheadOver` (%), or the error count.
 */
export type Metric =
  "throughput" | "p50" | "p95" | "p99" | "ratio" | "p50Overhead" | "errors" | "throughputVs";

export interface TargetSpec {
  description: string;
  scenario: string;
  connections: number;
  /**
   * `throughputVs`: the throughput at `connections` ÷ the same scenario's at
   * `relativeTo` connections (e.g. 1,000 users against 50: does it hold up?).
   */
  metric: Metric;
  relativeTo?: number;
  atLeast?: number;
  atMost?: number;
}

export interface DatasetContext {
  /** Superuser URL of the scratch database (migrated, empty but for other sets' data). */
  rootDbUrl: string;
  /** Owner URL of the same database. */
  ownerUrl: string;
  /**
   * The scratch database's roles: a set that gives its statements something of
   * its own (a bench schema, sequences) grants the visitor what they read.
   */
  roles: { owner: string; authenticator: string; visitor: string };
  /** `--quick`: build a small dataset. */
  quick: boolean;
  /**
   * The run's seconds per measured run and per warm-up: a set whose calls
   * consume rows (each commits a different step) sizes its pools with them.
   */
  durationSeconds: number;
  warmupSeconds: number;
  log: (line: string) => void;
}

export interface BuiltDataset<D> {
  data: D;
  /** Sizes and ids for the report (JSON). */
  summary: Record<string, unknown>;
}

export interface BenchSet<D> {
  /** The module's name, and the file's: bench/sets/<name>.ts. */
  name: string;
  description: string;
  dataset: (context: DatasetContext) => Promise<BuiltDataset<D>>;
  identities: Record<string, (data: D) => Identity>;
  scenarios: Array<Scenario<D>>;
  targets: TargetSpec[];
}

/** The harness handles every set's data opaquely and hands it back to that set's functions. */
export type AnySet = BenchSet<unknown>;

/** Declares a set (the default export of bench/sets/<module>.ts), keeping its data type. */
export function defineSet<D>(set: BenchSet<D>): AnySet {
  return set as unknown as AnySet;
}
