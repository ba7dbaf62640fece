/**
 * The bench harness's pure logic: percentiles, ratios and overheads, target
 * verdicts, set discovery and selection, the checks of a set's declarations,
 * and the grouping of scenarios by server. No load, no database.
 */
import { describe, expect, it } from "vitest";
import { groupsOf } from "../../bench/measure.ts";
import { concrete, statementName, type PreparedScenario } from "../../bench/prepare.ts";
import { problemsOf, selectSets, setFileNames } from "../../bench/registry.ts";
import { API_SERVER, defineSet, SUPERUSER } from "../../bench/set.ts";
import usersSet from "../../bench/sets/users.ts";
import {
  compareRuns,
  evaluateTargets,
  LatencyRecorder,
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
