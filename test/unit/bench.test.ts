/**
 * The bench harness's pure logic: percentiles, ratios and overheads, target
 * verdicts, set discovery and selection, the checks of a set's declarations
 * (subscription scenarios included), the grouping of scenarios by server, the
 * bookkeeping of subscription deliveries, and the pipelines set's pools. No
 * load, no database.
 */
import http from "node:http";
import type pg from "pg";
import { describe, expect, it, vi } from "vitest";
import { inBatches } from "../../bench/dataset-tools.ts";
import { groupsOf } from "../../bench/measure.ts";
import { concrete, sqlCall, statementName, type PreparedScenario } from "../../bench/prepare.ts";
import { problemsOf, selectSets, setFileNames } from "../../bench/registry.ts";
import { formatReport } from "../../bench/report.ts";
import {
  API_SERVER,
  defineSet,
  SUPERUSER,
  type Scenario,
  type SubscriptionScenario,
} from "../../bench/set.ts";
import pipelinesSet, {
  POOLS,
  entriesPerUnit,
  poolCalls,
  poolEntry,
  unitsFor,
} from "../../bench/sets/pipelines.ts";
import { Deliveries, describe as describeFailure } from "../../bench/subscription-load.ts";
import tasksSet, {
  depthOf,
  FULL_DATASET,
  parentNumber,
  QUICK_DATASET,
  subtreeSize,
  TREE_SIZE,
} from "../../bench/sets/tasks.ts";
import usersSet from "../../bench/sets/users.ts";
import scaleSet, { QUICK_SIZE as SCALE_QUICK } from "../../bench/sets/scale.ts";
import { runFleet } from "../../bench/fleet.ts";
import {
  compareRuns,
  evaluateTargets,
  graphqlErrorOf,
  LatencyRecorder,
  unitOf,
  outcomeOf,
  PartTally,
  percentile,
  type LoadResult,
  type RunRecord,
} from "../../bench/stats.ts";

function run(scenario: string, connections: number, perSecond: number, p50: number): RunRecord {
  const load: LoadResult = {
    connections,
    seconds: 10,
    operations: perSecond * 10,
    perSecond,
    latencyMs: { mean: p50, p50, p95: p50 * 2, p99: p50 * 3, max: p50 * 4 },
    errors: 0,
    outcomes: {},
  };
  return {
    key: `s/${scenario}`,
    set: "s",
    scenario,
    kind: scenario.startsWith("sql") ? "sql" : "api",
    title: scenario,
    connections,
    load,
    cpu: { server: null, loadGenerator: 0, postgres: null, machine: null, other: null },
    cpuMsPerOperation: { server: null, postgres: null, loadGenerator: 0 },
  };
}

describe("percentiles", () => {
  it("uses the nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarises recorded durations, growing past its first buffer", () => {
    const recorder = new LatencyRecorder();
    for (let i = 70_000; i >= 1; i--) recorder.add(i / 1000);
    expect(recorder.count).toBe(70_000);
    const summary = recorder.summary();
    expect(summary.p50).toBe(35);
    expect(summary.p99).toBe(69.3);
    expect(summary.max).toBe(70);
    expect(summary.mean).toBeCloseTo(35.0005, 3);
    expect(new LatencyRecorder().summary().p50).toBeNaN();
  });
});

describe("comparisons", () => {
  it("divides throughput and compares p50 at the same concurrency only", () => {
    const runs = [
      run("baseline", 10, 1000, 2),
      run("graphql", 10, 600, 4),
      run("limited", 10, 550, 4.4),
      run("graphql", 50, 700, 20),
    ];
    compareRuns(runs, (key) =>
      key === "s/graphql"
        ? { ratioTo: "baseline" }
        : key === "s/limited"
          ? { ratioTo: "baseline", overheadOver: "graphql" }
          : undefined,
    );
    expect(runs[1]!.ratio).toEqual({ to: "baseline", value: 0.6 });
    expect(runs[2]!.ratio).toEqual({ to: "baseline", value: 0.55 });
    expect(runs[2]!.p50Overhead).toEqual({ over: "graphql", percent: 10 });
    // No baseline run at 50 connections: no ratio rather than a wrong one.
    expect(runs[3]!.ratio).toBeUndefined();
    expect(runs[0]!.ratio).toBeUndefined();
  });

  it("judges targets, and says when one was not measured", () => {
    const runs = [run("graphql", 10, 1200, 3), run("sql-rls", 10, 2500, 4)];
    compareRuns(runs, () => undefined);
    const goals = evaluateTargets(
      "s",
      [
        {
          description: "fast",
          scenario: "graphql",
          connections: 10,
          metric: "throughput",
          atLeast: 1000,
        },
        { description: "p95", scenario: "graphql", connections: 10, metric: "p95", atMost: 5 },
        {
          description: "calls",
          scenario: "sql-rls",
          connections: 10,
          metric: "throughput",
          atLeast: 3000,
        },
        {
          description: "ratio",
          scenario: "graphql",
          connections: 10,
          metric: "ratio",
          atLeast: 0.6,
        },
        { description: "absent", scenario: "graphql", connections: 1, metric: "p50", atMost: 1 },
      ],
      runs,
    );
    expect(goals.map((g) => [g.value, g.unit, g.met])).toEqual([
      [1200, "req/s", true],
      [6, "ms", false],
      [2500, "calls/s", false],
      [null, "×", null],
      [null, "ms", null],
    ]);
  });
});

describe("sets", () => {
  it("are the .ts files of bench/sets, helpers and tests aside", () => {
    expect(setFileNames(["users.ts", "_shared.ts", "tasks.ts", "x.test.ts", "README.md"])).toEqual([
      "tasks",
      "users",
    ]);
  });

  it("are selected by --set, in its order, all by default", () => {
    const available = ["tasks", "users"];
    expect(selectSets(available)).toEqual(["tasks", "users"]);
    expect(selectSets(available, "")).toEqual(["tasks", "users"]);
    expect(selectSets(available, "all")).toEqual(["tasks", "users"]);
    expect(selectSets(available, "users, tasks,users")).toEqual(["users", "tasks"]);
    expect(() => selectSets(available, "users,agents")).toThrow(/agents.*tasks, users/);
  });

  it("the users set is well formed", () => {
    expect(problemsOf(usersSet, "users")).toEqual([]);
    const kinds = usersSet.scenarios.map((s) => s.kind);
    expect(kinds).toContain("raw");
    expect(kinds).toContain("api");
    expect(kinds).toContain("sql");
  });

  it("a set with broken references is refused before anything runs", () => {
    const broken = defineSet<null>({
      name: "broken",
      description: "",
      dataset: () => Promise.resolve({ data: null, summary: {} }),
      identities: {},
      scenarios: [
        { kind: "api", id: "a", title: "a", identity: "nobody", body: "{}", ratioTo: "zzz" },
        { kind: "api", id: "a", title: "again", identity: null, body: "{}" },
        { kind: "raw", id: "r", title: "r", identity: SUPERUSER, statements: [] },
      ],
      targets: [{ description: "t", scenario: "missing", connections: 10, metric: "p50" }],
    });
    const problems = problemsOf(broken, "other").join("\n");
    expect(problems).toMatch(/file is other\.ts/);
    expect(problems).toMatch(/"a" is used twice/);
    expect(problems).toMatch(/ratioTo names no scenario/);
    expect(problems).toMatch(/acts as "nobody"/);
    expect(problems).toMatch(/only sql scenarios can run as the superuser/);
    expect(problems).toMatch(/"r" has no statements/);
    expect(problems).toMatch(/names no scenario of the set \("missing"\)/);
    expect(problems).toMatch(/neither atLeast nor atMost/);
  });
});

describe("statements and servers", () => {
  it("names statements by their text and resolves their values from the data", () => {
    expect(statementName("select 1")).toBe(statementName("select 1"));
    expect(statementName("select 1")).not.toBe(statementName("select 2"));
    expect(statementName("select 1")).toMatch(/^fl_bench_[0-9a-f]{16}$/);
    const [s] = concrete([{ text: "select $1", values: (d) => [(d as { id: string }).id] }], {
      id: "x",
    });
    expect(s).toEqual({ name: statementName("select $1"), text: "select $1", values: ["x"] });
  });

  it("groups scenarios by server in order of first appearance, SQL ones together", () => {
    const http = (key: string, name: string, env: Record<string, string> = {}) =>
      ({ key, via: "http", server: { ...API_SERVER, name, env } }) as unknown as PreparedScenario;
    const sql = (key: string) => ({ key, via: "sql" }) as unknown as PreparedScenario;
    const groups = groupsOf([
      http("a/raw", "baseline"),
      sql("a/sql"),
      http("a/api", "api"),
      http("b/raw", "baseline"),
      sql("b/sql"),
    ]);
    expect(groups.map((g) => [g.via, g.scenarios.map((s) => s.key)])).toEqual([
      ["http", ["a/raw", "b/raw"]],
      ["sql", ["a/sql", "b/sql"]],
      ["http", ["a/api"]],
    ]);
    expect(() => groupsOf([http("a/x", "api"), http("b/y", "api", { X: "1" })])).toThrow(
      /two environments/,
    );
  });
});

describe("sequences of requests", () => {
  it("find a GraphQL answer's error code, and nothing in an answer without errors", () => {
    expect(graphqlErrorOf('{"data":{"tasks":{"nodes":[]}}}')).toBeNull();
    // A title that mentions errors is escaped inside a string: not an error.
    expect(graphqlErrorOf('{"data":{"t":"\\"errors\\": none"}}')).toBeNull();
    expect(
      graphqlErrorOf('{"errors":[{"message":"no","extensions":{"code":"FL106"}}],"data":null}'),
    ).toBe("FL106");
    expect(graphqlErrorOf('{"errors":[{"message":"no"}]}')).toBe("error");
    expect(graphqlErrorOf('{"errors":[]}')).toBeNull();
    expect(graphqlErrorOf('"errors": not json')).toBeNull();
  });

  it("count a 2xx with GraphQL errors as an error, named by its code", () => {
    expect(outcomeOf(200, '{"data":{}}')).toEqual({ ok: true, outcome: "200" });
    expect(outcomeOf(200, '{"errors":[{"extensions":{"code":"FL904"}}]}')).toEqual({
      ok: false,
      outcome: "GraphQL FL904",
    });
    expect(outcomeOf(503, "busy")).toEqual({ ok: false, outcome: "503" });
  });

  it("tally each kind of request apart, kinds in their first order", () => {
    const tally = new PartTally(["read", "read", "read", "create"]);
    for (let round = 0; round < 10; round++) {
      tally.record(0, true, "200", 1);
      tally.record(1, true, "200", 2);
      tally.record(2, true, "200", 3);
      tally.record(3, round !== 0, round === 0 ? "GraphQL FL106" : "200", 10);
    }
    const [read, create] = tally.results(2);
    expect(read).toMatchObject({ kind: "read", operations: 30, perSecond: 15, errors: 0 });
    expect(read!.outcomes).toEqual({ "200": 30 });
    expect(read!.latencyMs.p50).toBe(2);
    expect(create).toMatchObject({ kind: "create", operations: 9, perSecond: 4.5, errors: 1 });
    expect(create!.outcomes).toEqual({ "200": 9, "GraphQL FL106": 1 });
  });

  it("print each kind under its run", () => {
    const mix = run("mix", 10, 400, 5);
    mix.load.parts = [
      {
        kind: "read",
        operations: 3000,
        perSecond: 300,
        latencyMs: mix.load.latencyMs,
        errors: 0,
        outcomes: {},
      },
      {
        kind: "create",
        operations: 1000,
        perSecond: 100,
        latencyMs: mix.load.latencyMs,
        errors: 2,
        outcomes: {},
      },
    ];
    const lines = formatReport([{ set: "s", runs: [mix] }], [], []).split("\n");
    const at = lines.findIndex((l) => l.startsWith("mix "));
    expect(lines[at + 1]).toMatch(/^ {2}↳ read +10 +300\.0 +5\.00/);
    expect(lines[at + 2]).toMatch(/^ {2}↳ create +10 +100\.0 .* 2(?: |$)/);
  });

  it("are refused with a body as well, empty, without kinds, or compared", () => {
    const broken = defineSet<null>({
      name: "broken",
      description: "",
      dataset: () => Promise.resolve({ data: null, summary: {} }),
      identities: {},
      scenarios: [
        {
          kind: "api",
          id: "both",
          title: "",
          identity: null,
          body: "{}",
          requests: [{ kind: "r", body: "{}" }],
        },
        { kind: "api", id: "empty", title: "", identity: null, requests: [] },
        {
          kind: "api",
          id: "nameless",
          title: "",
          identity: null,
          requests: [{ kind: " ", body: "{}" }],
        },
        { kind: "api", id: "single", title: "", identity: null, body: "{}", sameAnswerAs: "empty" },
      ],
      targets: [],
    });
    const problems = problemsOf(broken).join("\n");
    expect(problems).toMatch(/"both" has both a body and requests/);
    expect(problems).toMatch(/"empty" has an empty requests list/);
    expect(problems).toMatch(/"nameless": every request needs a kind/);
    expect(problems).toMatch(/"single": sameAnswerAs names a sequence/);
  });
});

describe("SQL calls", () => {
  /** A client that records what it is sent and answers every query with one row. */
  function recordingClient() {
    const sent: string[] = [];
    const client = {
      query: (q: string | { text: string }) => {
        sent.push(typeof q === "string" ? q : q.text);
        return Promise.resolve({ rows: [{ ok: 1 }] });
      },
    };
    return { sent, client: client as unknown as pg.Client };
  }
  const statements = concrete([{ text: "insert 1" }, { text: "select 2" }], null);
  const user = { kind: "user", sub: "s", orgId: "o", userId: "u", role: "member" } as const;

  it("commit by default and roll back when asked, as the superuser", async () => {
    const commit = recordingClient();
    await sqlCall(null, statements)(commit.client);
    expect(commit.sent).toEqual(["begin", "insert 1", "select 2", "commit"]);
    const rollback = recordingClient();
    const results = await sqlCall(null, statements, { rollback: true })(rollback.client);
    expect(rollback.sent).toEqual(["begin", "insert 1", "select 2", "rollback"]);
    expect(results).toEqual([[{ ok: 1 }], [{ ok: 1 }]]);
  });

  it("roll back as a user, after the settings asUser makes", async () => {
    const { sent, client } = recordingClient();
    await sqlCall(user, statements, { rollback: true })(client);
    expect(sent[0]).toBe("begin");
    expect(sent[1]).toMatch(/act_as_user/);
    expect(sent.slice(2)).toEqual(["insert 1", "select 2", "rollback"]);
  });
});

describe("the tasks set", () => {
  it("is well formed, with a sequence and rolled-back writes", () => {
    expect(problemsOf(tasksSet, "tasks")).toEqual([]);
    const mix = tasksSet.scenarios.find((s) => s.id === "graphql-mix");
    expect(mix?.kind === "api" && mix.requests?.map((r) => r.kind)).toEqual([
      "read",
      "read",
      "read",
      "create",
    ]);
    const writes = tasksSet.scenarios.filter((s) => s.kind === "sql" && s.rollback);
    expect(writes.map((s) => s.id).sort()).toEqual(
      ["edge", "edge-back", "edge-bypass", "insert", "insert-bypass", "move", "move-bypass"].sort(),
    );
  });

  it("loads the dense critical path only when one call was fast enough", () => {
    const skip = tasksSet.scenarios.find((s) => s.id === "critical-dense")?.skip;
    const probe = (ms: number | null) => ({ criticalDenseProbe: { ms, timeoutMs: 20_000 } });
    expect(skip?.(probe(300))).toBeUndefined();
    expect(skip?.(probe(null))).toMatch(/over 20 s \(cancelled\)/);
    expect(skip?.(probe(7_250))).toMatch(/took 7\.3 s/);
  });

  it("builds heap-shaped trees of at most 12 levels", () => {
    expect(TREE_SIZE).toBe(2 ** 12 - 1);
    expect(parentNumber(1)).toBeNull();
    expect(parentNumber(9)).toBe(4);
    // A project's second tree starts at 4,096 with its own root.
    expect(parentNumber(TREE_SIZE + 1)).toBeNull();
    expect(parentNumber(TREE_SIZE + 3)).toBe(TREE_SIZE + 1);
    expect(depthOf(1)).toBe(0);
    expect(depthOf(4)).toBe(2);
    expect(depthOf(TREE_SIZE)).toBe(11);
    // The subtree of node 4 (level 3): 10 levels, 1,023 tasks.
    expect(subtreeSize(4, TREE_SIZE)).toBe(1023);
    expect(subtreeSize(1, 10)).toBe(10);
    expect(subtreeSize(2, 10)).toBe(6); // 2, 4, 5, 8, 9, 10
    expect(subtreeSize(TREE_SIZE + 1, 5000)).toBe(5000 - TREE_SIZE);
  });

  it("has 100,000 tasks in the big tenant, and the same first projects when quick", () => {
    const tasks = (size: typeof FULL_DATASET) => size.projects.reduce((a, p) => a + p.tasks, 0);
    expect(tasks(FULL_DATASET)).toBe(100_000);
    expect(FULL_DATASET.smallOrganizations * FULL_DATASET.tasksPerSmallOrganization).toBe(100_000);
    expect(QUICK_DATASET.projects.slice(0, 3)).toEqual(FULL_DATASET.projects.slice(0, 3));
    expect(FULL_DATASET.projects.slice(0, 2)).toEqual([
      { tasks: 500, window: 50 },
      { tasks: 5000, window: 200 },
    ]);
  });
});

describe("subscription scenarios", () => {
  const watcher = () =>
    ({ kind: "user", sub: "w", orgId: "o", userId: "u", role: "viewer" }) as const;
  const live: SubscriptionScenario<null> = {
    kind: "subscription",
    id: "live",
    title: "live",
    identity: "watcher",
    connections: [10, 100],
    query: "subscription Live($id: UUID!) { updated(id: $id) { status } }",
    variables: (_d, i) => ({ id: String(i % 2) }),
    topic: (_d, i) => String(i % 2),
    driver: { as: "watcher", statements: [{ text: "select 1" }], perSecond: 20, topic: () => "0" },
  };
  const setOf = (...scenarios: Array<Scenario<null>>) =>
    defineSet<null>({
      name: "s",
      description: "",
      dataset: () => Promise.resolve({ data: null, summary: {} }),
      identities: { watcher },
      scenarios,
      targets: [],
    });

  it("are well formed with a user's token, a subscription and a driver (an identity or the superuser)", () => {
    expect(problemsOf(setOf(live))).toEqual([]);
    expect(problemsOf(setOf({ ...live, driver: { ...live.driver, as: SUPERUSER } }))).toEqual([]);
  });

  it("are refused without a subscription operation, a user, or a working driver", () => {
    const driver = live.driver;
    const problems = problemsOf(
      setOf(
        { ...live, id: "query", query: "query Q { x }" },
        { ...live, id: "nobody", identity: "nobody" },
        { ...live, id: "super", identity: SUPERUSER },
        { ...live, id: "driver-who", driver: { ...driver, as: "nobody" } },
        { ...live, id: "no-statements", driver: { ...driver, statements: [] } },
        { ...live, id: "rate", driver: { ...driver, perSecond: 0 } },
        { ...live, id: "no-topic", driver: { ...driver, topic: undefined as never } },
        { ...live, id: "no-driver", driver: undefined as never },
        { ...live, id: "zero", connections: [0] },
      ),
    ).join("\n");
    expect(problems).toMatch(/"query": its query must be a subscription operation/);
    expect(problems).toMatch(/"nobody" acts as "nobody", which is not an identity/);
    expect(problems).toMatch(/"super": only sql scenarios can run as the superuser/);
    expect(problems).toMatch(/"super": subscribers need a user identity/);
    expect(problems).toMatch(/"driver-who": its driver acts as "nobody"/);
    expect(problems).toMatch(/"no-statements": its driver has no statements/);
    expect(problems).toMatch(/"rate": its driver's perSecond must be a number above 0/);
    expect(problems).toMatch(/"no-topic": its driver needs a topic/);
    expect(problems).toMatch(/"no-driver" has no driver/);
    expect(problems).toMatch(/"zero": connections must be whole numbers ≥ 1/);
  });

  it("bypassRls needs an identity", () => {
    const sql = { kind: "sql" as const, title: "", statements: [{ text: "select 1" }] };
    const problems = problemsOf(
      setOf(
        { ...sql, id: "ok", as: "watcher", bypassRls: true },
        { ...sql, id: "super", as: SUPERUSER, bypassRls: true },
      ),
    );
    expect(problems).toEqual([
      'scenario "super": bypassRls needs an identity (the superuser bypasses RLS anyway)',
    ]);
  });

  it("join their server's group, and are reported in events/s", () => {
    const ws = { key: "a/live", via: "ws", server: API_SERVER } as unknown as PreparedScenario;
    const http = { key: "a/api", via: "http", server: API_SERVER } as unknown as PreparedScenario;
    const sql = { key: "a/sql", via: "sql" } as unknown as PreparedScenario;
    expect(groupsOf([sql, ws, http]).map((g) => [g.via, g.scenarios.map((s) => s.key)])).toEqual([
      ["sql", ["a/sql"]],
      ["http", ["a/live", "a/api"]],
    ]);
    expect(unitOf("throughput", "subscription")).toBe("events/s");
    const fanOut = { ...run("live", 100, 200, 12), kind: "subscription" as const };
    const lines = formatReport([{ set: "s", runs: [run("api", 10, 500, 4), fanOut] }], [], []);
    const table = lines.split("\n");
    const at = table.indexOf("s: subscriptions over WebSocket");
    expect(at).toBeGreaterThan(0);
    expect(table[at + 1]).toMatch(/^scenario +subscribers +events\/s +p50 ms/);
    expect(table[at + 3]).toMatch(/^live +100 +200\.0 +12\.00/);
    expect(lines).toMatch(/latency = an\nevent's arrival minus its write's commit/);
  });

  it("describe a failure: a close, GraphQL errors, an error", () => {
    expect(describeFailure({ code: 4403, reason: "TOKEN_INVALID: bad" })).toBe(
      "close 4403 TOKEN_INVALID: bad",
    );
    expect(describeFailure([{ message: "no", extensions: { code: "FL001" } }])).toBe(
      "GraphQL FL001: no",
    );
    expect(describeFailure(new Error("reset"))).toBe("reset");
    expect(describeFailure({ type: "error" })).toBe("error event");
  });
});

describe("subscription deliveries", () => {
  const ok = { data: { updated: { status: "IN_PROGRESS" } } };

  it("match each subscriber's events, in order, with the writes of its topic", () => {
    const d = new Deliveries(["a", "b", "a"]);
    for (let i = 0; i < 3; i++) d.event(i, ok, 0); // the first events: the state, not deliveries
    expect(d.firstEvent(1)).toBe(ok);
    d.count();
    d.expect("a", 100);
    d.expect("b", 110);
    d.expect("a", 120);
    expect(d.owed()).toBe(5);
    d.event(0, ok, 105);
    d.event(2, ok, 108);
    d.event(1, ok, 130);
    d.event(0, ok, 150);
    expect(d.owed()).toBe(1); // subscriber 2's second
    d.event(2, { errors: [{ message: "gone", extensions: { code: "FL003" } }] }, 160);
    d.event(1, ok, 170); // owed nothing
    d.expect("a", 200);
    expect(d.settle()).toEqual({ missed: 2 });
    expect(d.outcomes).toEqual({ delivered: 4, "GraphQL FL003": 1, unexpected: 1, missed: 2 });
    expect(d.errors).toBe(4);
    expect(d.latencies.count).toBe(4);
    expect(d.latencies.summary()).toMatchObject({ p50: 8, max: 30 }); // 5, 8, 20, 30
  });

  it("count nothing before the driver starts, and forget a write that did not commit", () => {
    const d = new Deliveries(["a"]);
    d.event(0, ok, 0);
    d.expect("a", 10); // not counting yet
    d.event(0, ok, 20);
    expect(d.owed()).toBe(0);
    d.count();
    d.expect("a", 30);
    d.expect("a", 40);
    d.retract("a", 40);
    d.event(0, ok, 35);
    expect(d.settle()).toEqual({ missed: 0 });
    expect(d.outcomes).toEqual({ delivered: 1 });
  });

  it("count a subscription that ends as an error, and what it was owed as missed", async () => {
    const d = new Deliveries(["a", "a"]);
    d.event(0, ok, 0);
    d.event(1, ok, 0);
    await d.started();
    d.count();
    d.expect("a", 10);
    d.end(1, "subscription error: close 1006");
    d.event(0, ok, 12);
    expect(d.owed()).toBe(0);
    d.settle();
    expect(d.outcomes).toEqual({
      delivered: 1,
      "ended: subscription error: close 1006": 1,
      missed: 1,
    });
    expect(d.errors).toBe(2);
  });

  it("wait for every first event, and fail when a subscription ends before its first", async () => {
    const d = new Deliveries(["a", "b"]);
    const started = d.started(5_000);
    d.event(1, ok, 0);
    d.event(0, ok, 0);
    await started;
    const broken = new Deliveries(["a"]);
    const failed = broken.started(5_000);
    broken.end(0, "subscription error: close 4403 TOKEN_INVALID");
    await expect(failed).rejects.toThrow(/could not start: .*4403/);
    await expect(new Deliveries(["a"]).started(10)).rejects.toThrow(
      /1 of 1 subscriptions sent no first event/,
    );
  });
});

describe("SQL calls with a tenant's settings but RLS bypassed", () => {
  it("make the settings, return to the session's role, then run, and say so before the commit", async () => {
    const sent: string[] = [];
    let sentBeforeCommit: string[] | undefined;
    const client = {
      query: (q: string | { text: string }) => {
        sent.push(typeof q === "string" ? q : q.text);
        return Promise.resolve({ rows: [{ ok: 1 }] });
      },
    } as unknown as pg.Client;
    const user = { kind: "user", sub: "s", orgId: "o", userId: "u", role: "member" } as const;
    const results = await sqlCall(user, concrete([{ text: "select 1" }], null), {
      bypassRls: true,
      beforeCommit: () => (sentBeforeCommit = [...sent]),
    })(client);
    expect(sent[1]).toMatch(/act_as_user/);
    expect(sent.slice(2)).toEqual(["set local role none", "select 1", "commit"]);
    expect(sentBeforeCommit).toEqual(sent.slice(0, 4));
    expect(results).toEqual([[{ ok: 1 }]]);
  });
});

describe("the pipelines set", () => {
  it("is well formed, with subscriptions and committed writes on pools", () => {
    expect(problemsOf(pipelinesSet, "pipelines")).toEqual([]);
    const kinds = new Set(pipelinesSet.scenarios.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(["api", "raw", "sql", "subscription"]);
    const writes = pipelinesSet.scenarios.filter((s) => s.kind === "sql" && !s.rollback);
    expect(writes.length).toBeGreaterThan(0);
    for (const s of pipelinesSet.scenarios) {
      const statements =
        s.kind === "sql" ? s.statements : s.kind === "subscription" ? s.driver.statements : [];
      // A committed write takes its row with nextval: it never repeats one.
      if (statements.some((st) => /\b(start|complete)_step\b|start_execution/.test(st.text))) {
        expect(statements.every((st) => st.text.includes("nextval("))).toBe(true);
      }
    }
  });

  it("sends consecutive calls to different repositories, a unit's steps in turn", () => {
    const pool = POOLS.complete;
    expect(entriesPerUnit(pool)).toBe(7);
    const first = Array.from({ length: 200 }, (_, i) => poolEntry(pool, 200, i + 1));
    expect(new Set(first.map((e) => e.repository)).size).toBe(200);
    expect(first[0]).toEqual({ repository: 0, unit: 0, execution: 0, position: 2 });
    // Repository 0's entries: two executions' three test steps, then the last step of a third.
    const repository0 = Array.from({ length: 8 }, (_, j) => poolEntry(pool, 200, j * 200 + 1));
    expect(repository0.map((e) => [e.unit, e.execution, e.position])).toEqual([
      [0, 0, 2],
      [0, 0, 3],
      [0, 0, 4],
      [0, 1, 2],
      [0, 1, 3],
      [0, 1, 4],
      [0, 2, 7],
      [1, 0, 2],
    ]);
  });

  it("sizes each pool for the warm-up and the runs at the rate it is built for", () => {
    const calls = poolCalls({ durationSeconds: 10, warmupSeconds: 3 }, 2, 4_000);
    expect(calls).toBe(4_000 * 23 + 2);
    const units = unitsFor(POOLS.complete, 200, calls);
    expect(units * entriesPerUnit(POOLS.complete) * 200).toBeGreaterThanOrEqual(calls);
    expect((units - 1) * entriesPerUnit(POOLS.complete) * 200).toBeLessThan(calls);
  });
});

describe("dataset batches", () => {
  /** A client that records the first value of each batch's statement. */
  function laneClient(lane: string, log: string[]) {
    return {
      query: (text: string, values?: unknown[]) => {
        if (values) log.push(`${lane}:${String(values[0])}-${String(values[1])}`);
        else if (text !== "begin" && text !== "commit") log.push(`${lane}:${text}`);
        return Promise.resolve({ rows: [] });
      },
    } as unknown as pg.Client;
  }

  it("split into one contiguous run per client, each batch its own transaction", async () => {
    const log: string[] = [];
    const quiet = vi.spyOn(process.stderr, "write").mockImplementation(() => true); // the progress bar
    try {
      await inBatches([laneClient("a", log), laneClient("b", log)], {
        label: "rows",
        count: 10,
        batch: 2,
        rowsIn: (from, to) => to - from + 1,
        sql: "insert …",
        skipTriggers: false,
      });
      await inBatches(laneClient("c", log), {
        label: "rows",
        count: 3,
        batch: 2,
        rowsIn: (from, to) => to - from + 1,
        sql: "insert …",
      });
    } finally {
      quiet.mockRestore();
    }
    expect(log.filter((l) => l.startsWith("a:"))).toEqual(["a:1-2", "a:3-4"]);
    expect(log.filter((l) => l.startsWith("b:"))).toEqual(["b:5-6", "b:7-8", "b:9-10"]);
    expect(log.filter((l) => l.startsWith("c:"))).toEqual([
      "c:set local session_replication_role = replica",
      "c:1-2",
      "c:set local session_replication_role = replica",
      "c:3-3",
    ]);
  });
});

describe("the scale set and fleets", () => {
  it("is well formed: fleets of users on two API processes behind PgBouncer", () => {
    expect(problemsOf(scaleSet, "scale")).toEqual([]);
    const data = {
      size: SCALE_QUICK,
      tenants: [
        { orgId: "o1", memberId: "m1", projectId: "p1" },
        { orgId: "o2", memberId: "m2", projectId: "p2" },
      ],
      counts: {},
      seconds: 0,
    };
    for (const s of scaleSet.scenarios) {
      expect(s.kind === "api" && s.server).toMatchObject({ processes: 2, pgbouncer: {} });
      const fleet = s.kind === "api" ? s.fleet! : undefined;
      // User i acts in tenant i mod the tenants, as its first member, with requests of its own.
      expect(fleet!.identity(data, 3)).toMatchObject({ orgId: "o2", userId: "m2", role: "member" });
      expect(fleet!.identity(data, 2).sub).not.toBe(fleet!.identity(data, 0).sub);
      const bodies = fleet!.requests(data, 1).map((r) => r.body);
      expect(bodies.length).toBeGreaterThan(0);
      if (s.id.startsWith("mix")) {
        expect(fleet!.requests(data, 1).map((r) => r.kind)).toEqual([
          "read",
          "read",
          "read",
          "create",
        ]);
        expect(bodies.join("")).toContain("p2");
      }
    }
  });

  it("refuses a fleet with a body, a comparison, or a throughputVs without relativeTo", () => {
    const set = defineSet({
      name: "bad",
      description: "",
      dataset: () => Promise.resolve({ data: {}, summary: {} }),
      identities: {},
      scenarios: [
        {
          kind: "api",
          id: "f",
          title: "f",
          identity: null,
          body: "{}",
          fleet: {
            identity: () => ({ kind: "user", sub: "s", orgId: null, userId: null, role: null }),
            requests: () => [],
          },
        },
      ],
      targets: [
        { description: "t", scenario: "f", connections: 1, metric: "throughputVs", atLeast: 1 },
      ],
    });
    const problems = problemsOf(set, "bad").join("\n");
    expect(problems).toContain("its clients' requests replace body and requests");
    expect(problems).toContain("throughputVs and relativeTo go together");
  });

  it("compares a run's throughput with the same scenario's at another number of users", () => {
    const runs = [run("users", 50, 1000, 40), run("users", 1000, 900, 900)];
    const [goal] = evaluateTargets(
      "s",
      [
        {
          description: "holds up",
          scenario: "users",
          connections: 1000,
          metric: "throughputVs",
          relativeTo: 50,
          atLeast: 1,
        },
      ],
      runs,
    );
    expect([goal!.value, goal!.unit, goal!.met]).toEqual([0.9, "×", false]);
  });

  it("sends each user's own token and requests, closed or paced, and classifies the answers", async () => {
    const seen: Array<{ auth: string | undefined; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ auth: req.headers.authorization, body });
        if (body.includes("busy")) {
          res
            .writeHead(503, { "retry-after": "1" })
            .end('{"errors":[{"extensions":{"code":"OVERLOADED"}}]}');
        } else res.writeHead(200).end('{"data":{"ok":true}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const closed = await runFleet({
        url: `http://127.0.0.1:${port}/graphql`,
        clients: 3,
        token: (i) => `t${i}`,
        sequence: (i) => [
          { kind: "read", body: `read ${i}` },
          { kind: "write", body: i === 2 ? "busy" : `write ${i}` },
        ],
        durationSeconds: 0.3,
        intervalMs: 0,
        timeoutMs: 5000,
      }).result;
      expect(closed.connections).toBe(3);
      expect(closed.operations).toBeGreaterThan(3);
      expect(closed.outcomes["503"]).toBeGreaterThan(0);
      expect(closed.parts?.map((p) => p.kind)).toEqual(["read", "write"]);
      // Client i always sent its own token with its own bodies.
      for (const { auth, body } of seen) {
        const i = body === "busy" ? "2" : body.split(" ")[1];
        expect(auth).toBe(`Bearer t${i}`);
      }
      seen.length = 0;
      const paced = await runFleet({
        url: `http://127.0.0.1:${port}/graphql`,
        clients: 4,
        token: () => null,
        sequence: () => [{ kind: "read", body: "read" }],
        durationSeconds: 0.5,
        intervalMs: 200,
        timeoutMs: 5000,
      }).result;
      // Each user acts every 200 ms: a few requests each, not as many as a closed loop.
      expect(paced.operations).toBeGreaterThanOrEqual(4);
      expect(paced.operations).toBeLessThanOrEqual(4 * 3);
      expect(seen.every((r) => r.auth === undefined)).toBe(true);
    } finally {
      server.close();
    }
  });
});
