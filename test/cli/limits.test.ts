/**
 * `forgeline limits`, run as the operator would: the real command in a child
 * process against this file's database, setting, listing and clearing an
 * organization's overrides by slug (the API rate limit and the cap on a pipeline
 * step's log, each alone or both at once), and refusing bad input with one line
 * naming the flag and exit code 2.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/paths.ts";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";

const run = promisify(execFile);

// Every test runs the command several times, each a Node process of its own.
describe("forgeline limits", { timeout: 120_000 }, () => {
  const t = useTestDatabase();
  let org: OrgFixture;

  beforeAll(async () => {
    org = await createOrg(t, "limited-by-operator");
  });

  const forgeline = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [path.join(projectRoot, "src", "cli", "index.ts"), "limits", ...args],
        {
          cwd: projectRoot,
          env: {
            PATH: process.env.PATH,
            DATABASE_URL: t.db.ownerUrl,
            AUTH_DATABASE_URL: t.db.authUrl,
            DATABASE_VISITOR: t.db.roles.visitor,
            LOG_LEVEL: "warn",
          },
        },
      );
      return { code: 0, stdout, stderr };
    } catch (e) {
      const failed = e as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  const stored = async () =>
    (
      await t.root.query<{ requests_per_minute: number; note: string | null }>(
        "select requests_per_minute, note from app_private.organization_limits where organization_id = $1",
        [org.orgId],
      )
    ).rows;

  const storedLog = async () =>
    (
      await t.root.query<{ step_log_bytes: number; note: string | null }>(
        "select step_log_bytes, note from app_private.pipeline_limits where organization_id = $1",
        [org.orgId],
      )
    ).rows;

  /** What the pipelines module applies: the override, else 4 MiB. */
  const stepLogLimit = async () =>
    (await t.root.query<{ n: number }>("select app_private.step_log_limit($1) as n", [org.orgId]))
      .rows[0]!.n;

  it("sets, lists and clears an override by slug", async () => {
    const set = await forgeline(
      "set",
      "limited-by-operator",
      "--requests-per-minute",
      "5000",
      "--note",
      "nightly import",
    );
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toMatch(/5000 requests per minute/);
    expect(await stored()).toEqual([{ requests_per_minute: 5000, note: "nightly import" }]);

    const list = await forgeline("list");
    expect(list.stdout).toMatch(
      /^limited-by-operator\s+\S+\s+5000 requests\/min\s+\(nightly import\)/m,
    );

    const cleared = await forgeline("clear", org.orgId);
    expect(cleared.code).toBe(0);
    expect(await stored()).toEqual([]);
  });

  it("sets, lists and clears a step log cap, alone or with the rate limit", async () => {
    expect(await stepLogLimit()).toBe(4 * 1024 * 1024);
    const set = await forgeline("set", "limited-by-operator", "--step-log-bytes", "16777216");
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout.trim().split("\n")).toEqual([
      "limited-by-operator: 16777216 bytes of log per pipeline step (16 MiB) (operator override)",
    ]);
    expect(await storedLog()).toEqual([{ step_log_bytes: 16777216, note: null }]);
    expect(await stored()).toEqual([]);
    expect(await stepLogLimit()).toBe(16777216);

    // Both at once, with one note.
    const both = await forgeline(
      "set",
      org.orgId,
      "--requests-per-minute",
      "300",
      "--step-log-bytes",
      "1024",
      "--note",
      "noisy runner",
    );
    expect(both).toMatchObject({ code: 0 });
    expect(both.stdout.trim().split("\n")).toEqual([
      `${org.orgId}: 300 requests per minute (operator override)`,
      `${org.orgId}: 1024 bytes of log per pipeline step (1 KiB) (operator override)`,
    ]);
    expect(await stored()).toEqual([{ requests_per_minute: 300, note: "noisy runner" }]);
    expect(await storedLog()).toEqual([{ step_log_bytes: 1024, note: "noisy runner" }]);

    const list = await forgeline("list");
    expect(list.code).toBe(0);
    const ours = list.stdout.split("\n").filter((l) => l.startsWith("limited-by-operator "));
    expect(ours).toEqual([
      expect.stringMatching(/^limited-by-operator\s+\S+\s+300 requests\/min\s+\(noisy runner\)/),
      expect.stringMatching(
        /^limited-by-operator\s+\S+\s+1024 bytes of log per step \(1 KiB\)\s+\(noisy runner\)/,
      ),
    ]);

    // A flag clears one kind; no flag clears both.
    const onlyLog = await forgeline("clear", "limited-by-operator", "--step-log-bytes");
    expect(onlyLog.code).toBe(0);
    expect(await storedLog()).toEqual([]);
    expect(await stored()).toHaveLength(1);
    expect(await stepLogLimit()).toBe(4 * 1024 * 1024);
    await forgeline("set", "limited-by-operator", "--step-log-bytes", "2048");
    const all = await forgeline("clear", "limited-by-operator");
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split("\n")).toHaveLength(2);
    expect(await stored()).toEqual([]);
    expect(await storedLog()).toEqual([]);
    const none = await forgeline("clear", "limited-by-operator");
    expect(none.stdout.trim().split("\n")).toEqual([
      "limited-by-operator had no rate limit override",
      "limited-by-operator had no step log override",
    ]);
  });

  it("refuses a bad limit or an unknown organization with one line and exit code 2", async () => {
    const cases = [
      ["--requests-per-minute", ["set", "limited-by-operator", "--requests-per-minute", "0"]],
      ["--requests-per-minute", ["set", "limited-by-operator", "--requests-per-minute", "lots"]],
      ["<organization>", ["set", "no-such-organization", "--requests-per-minute", "10"]],
      ["--step-log-bytes", ["set", "limited-by-operator", "--step-log-bytes", "1023"]],
      ["--step-log-bytes", ["set", "limited-by-operator", "--step-log-bytes", "1073741825"]],
      ["--step-log-bytes", ["set", "limited-by-operator", "--step-log-bytes", "4.5"]],
      ["--step-log-bytes", ["set", "limited-by-operator", "--step-log-bytes", "big"]],
      // A good rate limit does not go in when the step log cap beside it is bad.
      [
        "--step-log-bytes",
        ["set", "limited-by-operator", "--requests-per-minute", "10", "--step-log-bytes", "0"],
      ],
      // Neither limit: the message names both flags.
      ["--requests-per-minute", ["set", "limited-by-operator", "--note", "why"]],
      ["<organization>", ["clear", "no-such-organization", "--step-log-bytes"]],
      ["--requests-per-minute", ["set", "limited-by-operator"]],
    ] as const;
    // Independent refusals: run side by side (each is a Node process of its own).
    const results = await Promise.all(cases.map(([, args]) => forgeline(...args)));
    cases.forEach(([flag, args], i) => {
      const res = results[i]!;
      const lines = res.stderr.trim().split("\n");
      expect(res.code, args.join(" ")).toBe(2);
      expect(lines, args.join(" ")).toHaveLength(1);
      expect(lines[0], args.join(" ")).toContain(`Invalid configuration: ${flag} `);
    });
    expect(results.at(-1)!.stderr).toMatch(/--requests-per-minute or --step-log-bytes is required/);
    expect(await stored()).toEqual([]);
    expect(await storedLog()).toEqual([]);
  });
});
