/**
 * `forgeline limits`, run as the operator would: the real command in a child
 * process against this file's database, setting, listing and clearing an
 * organization's override by slug, and refusing bad input with one line and
 * exit code 2.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/paths.ts";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";

const run = promisify(execFile);

describe("forgeline limits", () => {
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

  it("refuses a bad limit or an unknown organization with one line and exit code 2", async () => {
    for (const args of [
      ["set", "limited-by-operator", "--requests-per-minute", "0"],
      ["set", "limited-by-operator", "--requests-per-minute", "lots"],
      ["set", "no-such-organization", "--requests-per-minute", "10"],
    ]) {
      const res = await forgeline(...args);
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
    expect(await stored()).toEqual([]);
  });
});
