/**
 * The error-code registry, its documentation and the SQL agree: every FL code
 * the schema raises today (functions/ and migrations/current.sql) is
 * registered, every registered code is raised there or given by the API layer
 * (src/) and sits in its module's range, docs/error_codes.md's tables
 * are the registry's rendering, and the masker lets registered codes through
 * while masking everything else; engine errors about the request get their codes
 * (FL907 statement timeout, FL909 Grafast timeouts, FL003 nothing to delete,
 * BAD_USER_INPUT), unlogged.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GraphQLError } from "postgraphile/graphql";
import { SafeError } from "postgraphile/grafast";
import {
  API_CODES,
  CODE_RANGES,
  ERROR_CODES,
  withGeneratedDocs,
} from "../../src/server/error-codes.ts";
import { makeMaskError, withCode } from "../../src/server/errors.ts";
import { projectRoot } from "../../src/paths.ts";

function sqlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sqlFiles(p);
    return e.name.endsWith(".sql") ? [p] : [];
  });
}

/**
 * Every `errcode = 'FL…'` in the SQL that defines the schema today: functions/
 * (every function, one concern per file) and migrations/current.sql (what the
 * next migration adds). Committed migrations are history: they keep the bodies
 * of functions replaced since, so a code dropped from functions/ would still be
 * found there.
 */
function raisedCodes(): Set<string> {
  const used = new Set<string>();
  for (const file of [
    ...sqlFiles(path.join(projectRoot, "functions")),
    path.join(projectRoot, "migrations", "current.sql"),
  ]) {
    for (const m of fs.readFileSync(file, "utf8").matchAll(/errcode\s*=\s*'(FL[0-9A-Z]{3})'/g))
      used.add(m[1]!);
  }
  return used;
}

/**
 * Codes the TypeScript layer gives itself (the API's limits; the masker maps some
 * errors to FL codes). A comparison (`code === "FL003"`) reads a code, it does
 * not give one.
 */
function codesGivenInTypeScript(): Set<string> {
  const used = new Set<string>();
  const dir = path.join(projectRoot, "src");
  const files = fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith("error-codes.ts"));
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    for (const m of text.matchAll(/(?<![=!]==?\s*)"(FL[0-9]{3})"/g)) used.add(m[1]!);
  }
  return used;
}

describe("error codes", () => {
  const registered = Object.keys(ERROR_CODES).sort();

  it("registers every code the SQL raises", () => {
    const used = raisedCodes();
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((c) => !registered.includes(c))).toEqual([]);
  });

  it("raises every registered code somewhere (SQL or the API layer)", () => {
    const used = new Set([...raisedCodes(), ...codesGivenInTypeScript()]);
    expect(registered.filter((c) => !used.has(c))).toEqual([]);
  });

  it("keeps every code in its module's range", () => {
    const prefixes = Object.keys(CODE_RANGES);
    expect(registered.filter((c) => !prefixes.includes(c.slice(0, 3)))).toEqual([]);
  });

  it("generates docs/error_codes.md's tables from the registry", () => {
    const doc = fs.readFileSync(path.join(projectRoot, "docs", "error_codes.md"), "utf8");
    expect(doc, "docs/error_codes.md is stale: run `npm run docs:errors`").toBe(
      withGeneratedDocs(doc),
    );
    const documented = [...doc.matchAll(/^\|\s*(FL[0-9A-Z]{3})\s*\|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(registered);
  });

  const wrap = (original: Error) =>
    new GraphQLError(original.message, { originalError: original, path: ["x"] });

  it("passes registered codes and constraint violations through with extensions.code", () => {
    const logged: unknown[] = [];
    const mask = makeMaskError((_m, e) => logged.push(e));
    const business = Object.assign(new Error("Only an owner may add an owner"), {
      code: "FL002",
      hint: "Ask an owner.",
    });
    expect(mask(wrap(business))).toMatchObject({
      message: "Only an owner may add an owner",
      extensions: { code: "FL002", hint: "Ask an owner." },
    });
    const unique = Object.assign(new Error("duplicate key"), {
      code: "23505",
      constraint: "users_pkey",
    });
    expect(mask(wrap(unique))).toMatchObject({
      extensions: { code: "23505", reason: "UNIQUE_VIOLATION", constraint: "users_pkey" },
    });
    expect(logged).toEqual([]);
  });

  it("masks and logs anything else with an error id", () => {
    const logged: unknown[] = [];
    const mask = makeMaskError((_m, e) => logged.push(e));
    const secret = Object.assign(new Error('relation "app_private.secrets" does not exist'), {
      code: "42P01",
    });
    const masked = mask(wrap(secret));
    expect(masked.message).not.toContain("app_private");
    expect(masked.extensions).toMatchObject({
      code: "INTERNAL",
      errorId: expect.any(String) as unknown,
    });
    expect(masked.message).toContain(String(masked.extensions?.errorId));
    expect(logged).toEqual([secret]);
    // Unregistered FL-looking codes are not trusted either.
    expect(mask(wrap(Object.assign(new Error("x"), { code: "FL999" }))).extensions?.code).toBe(
      "INTERNAL",
    );
  });

  it("codes the engine's own errors about the request, and logs none of them as errors", () => {
    const logged: unknown[] = [];
    const warned: unknown[] = [];
    const mask = makeMaskError(
      (_m, e) => logged.push(e),
      (_m, e) => warned.push(e),
    );
    const cancelled = Object.assign(new Error("canceling statement due to statement timeout"), {
      code: "57014",
    });
    expect(mask(wrap(cancelled)).extensions?.code).toBe("FL907");
    expect(warned).toEqual([cancelled]);
    // @dataplan/pg's PgDeleteSingleStep, verbatim.
    const nothing = new Error(
      "No values were deleted in collection 'organizations' because no values you can delete were found matching these criteria.",
    );
    expect(mask(wrap(nothing)).extensions?.code).toBe("FL003");
    // Grafast marks its timeouts with a `timeout` symbol (not exported).
    const timeout = new SafeError("Operation took too long to plan and was aborted.", {
      [Symbol("timeout")]: 1000,
    });
    expect(mask(wrap(timeout)).extensions?.code).toBe("FL909");
    const cursor = new SafeError("Invalid cursor, please enter a cursor from a previous request.");
    expect(mask(wrap(cursor))).toMatchObject({
      message: cursor.message,
      extensions: { code: "BAD_USER_INPUT" },
    });
    expect(logged).toEqual([]);
    // A look-alike that is not @dataplan/pg's message stays masked.
    const other = new Error("No values were deleted, and here is a secret");
    expect(mask(wrap(other)).extensions?.code).toBe("INTERNAL");
    expect(logged).toEqual([other]);
  });

  it("gives GraphQL's own uncoded errors a code: INTERNAL (logged) after execution", () => {
    const logged: unknown[] = [];
    const mask = makeMaskError((_m, e) => logged.push(e));
    const nonNull = new GraphQLError("Cannot return null for non-nullable field User.email.", {
      path: ["user", "email"],
    });
    expect(mask(nonNull).extensions).toMatchObject({ code: "INTERNAL" });
    expect(logged).toHaveLength(1);
    const coded = new GraphQLError("x", { extensions: { code: "FL905" } });
    expect(mask(coded)).toBe(coded);
  });

  it("keeps codes and strips graphql-js's suggestions only when asked", () => {
    const error = new GraphQLError(
      'Cannot query field "userz" on type "Query". Did you mean "user", "users", or "query"?',
    );
    expect(withCode(error, "GRAPHQL_VALIDATION_FAILED")).toMatchObject({
      message: error.message,
      extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
    });
    expect(withCode(error, "GRAPHQL_VALIDATION_FAILED", { hideSuggestions: true }).message).toBe(
      'Cannot query field "userz" on type "Query".',
    );
    const coded = new GraphQLError("y", { extensions: { code: "FL901" } });
    expect(withCode(coded, "GRAPHQL_VALIDATION_FAILED").extensions.code).toBe("FL901");
  });

  it("registers the API-level codes the server gives", () => {
    const given = [
      "GRAPHQL_PARSE_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "BAD_USER_INPUT",
      "INTERNAL",
      "RATE_LIMITED",
    ];
    expect(given.filter((c) => !Object.hasOwn(API_CODES, c))).toEqual([]);
  });
});
