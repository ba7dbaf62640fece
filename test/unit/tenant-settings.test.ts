/**
 * Tenant settings are made in one place (DESIGN §3, docs/adding-a-module.md,
 * "Acting as a tenant from trusted code"): TypeScript acts through
 * src/db/session.ts (withTenant / asUser), pgTAP suites through the helpers of
 * test/db/_helpers.sql, and both end in the SQL functions of functions/tenancy/;
 * the API gets the same settings from src/server/auth.ts. This test reads the
 * code we run (src/, test/, bench/, functions/, the uncommitted migration) and
 * fails on a setting made anywhere else by hand: a `jwt.claims.*` or
 * `forgeline.*` claim written with set_config or SET, a set_config whose name is
 * computed (it can write any of them), or a call of set_current_tenant. Comment
 * lines are not code and are skipped. Committed migrations are history and are
 * not read (they hold earlier copies of functions/tenancy/).
 *
 * The allow-list names the places that implement the mechanism or attack it on
 * purpose; an entry that no longer matches anything fails too, so the list
 * stays as short as the truth.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/paths.ts";

/** Folders and files read, relative to the project root. */
const SCANNED = ["src", "test", "bench", "functions", "migrations/current.sql"];
const CODE = /\.(ts|mts|js|mjs|sql)$/;
const SELF = "test/unit/tenant-settings.test.ts";

/** The settings that decide whom a statement acts for (and what the audit log records). */
const CLAIM = String.raw`(?:jwt\.claims\.\w+|forgeline\.(?:actor|request_id|service_tenant)\b)`;

const RULES: Record<string, RegExp> = {
  // select set_config('jwt.claims.org_id', …) / perform pg_catalog.set_config('forgeline.actor', …)
  "set_config of a claim": new RegExp(String.raw`\bset_config\s*\(\s*'${CLAIM}`, "i"),
  // set_config($1, …), set_config(el->>0, …): the name is data, so it can be a claim.
  "set_config with a computed name": /\bset_config\s*\(\s*(?!')/i,
  // set local jwt.claims.sub = …, set forgeline.request_id to …, alter role … set jwt.claims…
  "SET of a claim": new RegExp(String.raw`\bset\s+(?:local\s+|session\s+)?"?${CLAIM}`, "i"),
  // settings["jwt.claims.org_id"] = …: a pgSettings object made by hand.
  "pgSettings entry": new RegExp(String.raw`\[\s*["']${CLAIM}["']\s*\]\s*=(?!=)`),
  // The service-tenant switch itself: only the tenancy functions call it.
  "set_current_tenant call": /\bset_current_tenant\s*\(\s*[^)\s]/i,
};

/**
 * Path (a file, or a folder ending in "/") → why it may make tenant settings.
 * Keep it short: a new entry needs a reason a reviewer accepts.
 */
const ALLOWED: Record<string, string> = {
  // The implementations.
  "functions/tenancy/":
    "the mechanism itself: set_current_tenant, act_for_tenant and act_as_user (and their definitions)",
  "src/server/auth.ts": "pgSettingsFor: the settings the API gives a request from a verified token",
  "test/db/_helpers.sql":
    "the pgTAP helpers (clear_authentication, create_org restoring the caller's claims)",
  // Tests and measurements of the mechanism.
  "test/db/tenancy/":
    "claims tests: what raw claims do, and that the visitor cannot call set_current_tenant",
  "test/sql/roles.test.ts":
    "the forgery test: settings forged in a request's session grant nothing; set_current_tenant refuses bad callers",
  "bench/baseline-server.ts":
    "the raw-SQL baseline repeats the API's transaction (set_config of requestPgSettings' entries)",
  // Not a call: FL008's registry entry describes `app_private.set_current_tenant(null)` in words.
  "src/server/error-codes.ts": "FL008's description names the call it is raised by",
};

function files(entry: string): string[] {
  const full = path.join(projectRoot, entry);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [entry];
  return fs
    .readdirSync(full, { recursive: true, encoding: "utf8" })
    .map((f) => path.posix.join(entry, f.split(path.sep).join("/")))
    .filter((f) => CODE.test(f) && !f.includes("node_modules/"));
}

/** A line that is only a comment (SQL `--`, `//`, or a line of a `/* … *\/` block). */
const COMMENT_LINE = /^\s*(?:--|\/\/|\/\*|\*)/;

interface Hit {
  file: string;
  line: number;
  rule: string;
  text: string;
}

function scan(): { scanned: number; hits: Hit[] } {
  const list = SCANNED.flatMap(files).filter((f) => f !== SELF);
  const hits: Hit[] = [];
  for (const file of list) {
    const lines = fs.readFileSync(path.join(projectRoot, file), "utf8").split("\n");
    lines.forEach((text, i) => {
      if (COMMENT_LINE.test(text)) return;
      for (const [rule, pattern] of Object.entries(RULES)) {
        if (pattern.test(text)) hits.push({ file, line: i + 1, rule, text: text.trim() });
      }
    });
  }
  return { scanned: list.length, hits };
}

const allowedBy = (file: string) =>
  Object.keys(ALLOWED).find((entry) =>
    entry.endsWith("/") ? file.startsWith(entry) : file === entry,
  );

describe("tenant settings", () => {
  const { scanned, hits } = scan();

  it("are made only through src/db/session.ts, the pgTAP helpers and the tenancy functions", () => {
    expect(scanned).toBeGreaterThan(100);
    const handMade = hits
      .filter((h) => !allowedBy(h.file))
      .map((h) => `${h.file}:${h.line} (${h.rule}): ${h.text}`);
    expect(
      handMade,
      "act through withTenant/asUser (src/db/session.ts), asActor/asService (test/support/db.ts) " +
        "or tests.authenticate_as / tests.act_for_tenant (test/db/_helpers.sql), with a requestId where the request id matters",
    ).toEqual([]);
  });

  it("keeps the allow-list to places that still make them", () => {
    const stale = Object.keys(ALLOWED).filter(
      (entry) => !hits.some((h) => allowedBy(h.file) === entry),
    );
    expect(stale).toEqual([]);
  });

  it("recognises each form of a hand-made setting", () => {
    const matched = (line: string) =>
      Object.entries(RULES)
        .filter(([, pattern]) => pattern.test(line))
        .map(([rule]) => rule);
    expect(matched("set local jwt.claims.sub = 'auth0|bill';")).toEqual(["SET of a claim"]);
    expect(matched("SET jwt.claims.org_id TO 'x'")).toEqual(["SET of a claim"]);
    expect(matched("set local forgeline.request_id = 'tap-req-1';")).toEqual(["SET of a claim"]);
    expect(matched(`"select set_config('forgeline.request_id', 'r', true)"`)).toEqual([
      "set_config of a claim",
    ]);
    expect(matched("perform pg_catalog.set_config('jwt.claims.user_id', '', true);")).toEqual([
      "set_config of a claim",
    ]);
    expect(matched(`"select set_config($1, $2, true)"`)).toEqual([
      "set_config with a computed name",
    ]);
    expect(matched(`settings["forgeline.actor"] = "worker";`)).toEqual(["pgSettings entry"]);
    expect(matched(`c.query("select app_private.set_current_tenant($1)", [orgId])`)).toEqual([
      "set_current_tenant call",
    ]);
    // Reading a setting, or another setting, is fine.
    expect(matched("current_setting('jwt.claims.org_id', true)")).toEqual([]);
    expect(matched(`pgSettings?.["jwt.claims.org_id"] === orgId`)).toEqual([]);
    expect(matched("select set_config('statement_timeout', $1, true)")).toEqual([]);
    expect(matched("select set_config('tests.cycle', v_detail, true)")).toEqual([]);
    expect(matched("select tests.authenticate_as('acme', 'member', 'req-1');")).toEqual([]);
  });
});
