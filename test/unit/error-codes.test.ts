/**
 * The error-code registry, its documentation and the SQL agree: every FL code
 * raised in functions/ or migrations/ is registered and documented, and the
 * masker lets registered codes through while masking everything else.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GraphQLError } from "postgraphile/graphql";
import { ERROR_CODES } from "../../src/server/error-codes.ts";
import { makeMaskError } from "../../src/server/errors.ts";
import { projectRoot } from "../../src/paths.ts";

function sqlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sqlFiles(p);
    return e.name.endsWith(".sql") ? [p] : [];
  });
}

describe("error codes", () => {
  const registered = Object.keys(ERROR_CODES).sort();

  it("registers every code the SQL raises", () => {
    const used = new Set<string>();
    for (const file of [
      ...sqlFiles(path.join(projectRoot, "functions")),
      ...sqlFiles(path.join(projectRoot, "migrations")),
    ]) {
      for (const m of fs.readFileSync(file, "utf8").matchAll(/errcode\s*=\s*'(FL[0-9A-Z]{3})'/g))
        used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((c) => !registered.includes(c))).toEqual([]);
  });

  it("documents exactly the registered codes in docs/error_codes.md", () => {
    const doc = fs.readFileSync(path.join(projectRoot, "docs", "error_codes.md"), "utf8");
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
});
