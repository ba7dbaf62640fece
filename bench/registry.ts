/**
 * The sets: every bench/sets/<name>.ts (default export: defineSet(…)), found by
 * listing the folder, so a module adds its benchmark by adding its file and
 * nothing else. `--set users,tasks` picks some (default: all); a set is checked
 * (ids, references, targets) before any database work starts.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../src/config.ts";
import { SUPERUSER, type AnySet, type SubscriptionScenario } from "./set.ts";

export const setsDir = path.join(import.meta.dirname, "sets");

/** Set names from a folder listing: `<name>.ts`, skipping `_*.ts` helpers and tests. */
export function setFileNames(files: readonly string[]): string[] {
  return files
    .filter((f) => /^[a-z][a-z0-9-]*\.ts$/.test(f) && !f.endsWith(".test.ts"))
    .map((f) => f.slice(0, -".ts".length))
    .sort();
}

/**
 * The sets `--set` asks for, in its order, without repeats; all of `available`
 * (in order) when it is absent, empty or "all". Unknown names are an error that
 * lists the known ones.
 */
export function selectSets(available: readonly string[], requested?: string): string[] {
  const names = (requested ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0 || (names.length === 1 && names[0] === "all")) return [...available];
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      "--set",
      `has no set named ${unknown.join(", ")}: the sets are ${available.join(", ") || "(none)"} (bench/sets/)`,
    );
  }
  return [...new Set(names)];
}

/** What is wrong with a subscription scenario's own fields. */
function subscriptionProblems(s: SubscriptionScenario<unknown>, set: AnySet): string[] {
  const problems: string[] = [];
  const at = `scenario "${s.id}"`;
  if (s.identity === null || s.identity === SUPERUSER) {
    problems.push(`${at}: subscribers need a user identity (a token)`);
  }
  if (!/^\s*subscription\b/.test(s.query)) {
    problems.push(`${at}: its query must be a subscription operation`);
  }
  const driver = s.driver as Partial<SubscriptionScenario<unknown>["driver"]> | undefined;
  if (!driver) {
    problems.push(`${at} has no driver`);
    return problems;
  }
  if (
    typeof driver.as !== "string" ||
    (driver.as !== SUPERUSER && !(driver.as in set.identities))
  ) {
    problems.push(
      `${at}: its driver acts as "${String(driver.as)}", which is not an identity of the set`,
    );
  }
  if (!Array.isArray(driver.statements) || driver.statements.length === 0) {
    problems.push(`${at}: its driver has no statements`);
  }
  if (
    typeof driver.perSecond !== "number" ||
    !Number.isFinite(driver.perSecond) ||
    driver.perSecond <= 0
  ) {
    problems.push(`${at}: its driver's perSecond must be a number above 0`);
  }
  if (typeof driver.topic !== "function") problems.push(`${at}: its driver needs a topic`);
  return problems;
}

/** What is wrong with a set's declarations (empty when nothing is). */
export function problemsOf(set: AnySet, fileName?: string): string[] {
  const problems: string[] = [];
  if (fileName !== undefined && set.name !== fileName) {
    problems.push(`its name is "${set.name}" but its file is ${fileName}.ts`);
  }
  const ids = set.scenarios.map((s) => s.id);
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) problems.push(`scenario id "${id}" is used twice`);
    seen.add(id);
  }
  if (SUPERUSER in set.identities) problems.push(`"${SUPERUSER}" cannot be an identity's name`);
  for (const s of set.scenarios) {
    for (const field of ["sameAnswerAs", "ratioTo", "overheadOver"] as const) {
      const other = s[field];
      if (other !== undefined && !seen.has(other)) {
        problems.push(`scenario "${s.id}": ${field} names no scenario of the set ("${other}")`);
      }
    }
    const who = s.kind === "sql" ? s.as : s.identity;
    if (who !== null && who !== SUPERUSER && !(who in set.identities)) {
      problems.push(`scenario "${s.id}" acts as "${who}", which is not an identity of the set`);
    }
    if (s.kind !== "sql" && who === SUPERUSER) {
      problems.push(`scenario "${s.id}": only sql scenarios can run as the superuser`);
    }
    if ((s.kind === "raw" || s.kind === "sql") && s.statements.length === 0) {
      problems.push(`scenario "${s.id}" has no statements`);
    }
    if (s.kind === "sql" && s.bypassRls && s.as === SUPERUSER) {
      problems.push(
        `scenario "${s.id}": bypassRls needs an identity (the superuser bypasses RLS anyway)`,
      );
    }
    if (s.kind === "subscription") problems.push(...subscriptionProblems(s, set));
    if (s.kind === "api" && s.requests !== undefined) {
      if (s.body !== undefined) {
        problems.push(`scenario "${s.id}" has both a body and requests: give one`);
      }
      if (s.requests.length === 0) problems.push(`scenario "${s.id}" has an empty requests list`);
      if (s.requests.some((r) => r.kind.trim() === "")) {
        problems.push(`scenario "${s.id}": every request needs a kind`);
      }
      if (s.sameAnswerAs !== undefined) {
        problems.push(`scenario "${s.id}" is a sequence: it has no single answer to compare`);
      }
    }
    if (s.kind === "api" && s.fleet !== undefined) {
      if (s.body !== undefined || s.requests !== undefined) {
        problems.push(
          `scenario "${s.id}" has a fleet: its clients' requests replace body and requests`,
        );
      }
      if (s.sameAnswerAs !== undefined) {
        problems.push(`scenario "${s.id}" is a fleet: it has no single answer to compare`);
      }
      if (s.fleet.intervalMs !== undefined && !(s.fleet.intervalMs >= 0)) {
        problems.push(`scenario "${s.id}": the fleet's intervalMs must be ≥ 0`);
      }
    }
    if (s.connections?.some((c) => !Number.isInteger(c) || c < 1)) {
      problems.push(`scenario "${s.id}": connections must be whole numbers ≥ 1`);
    }
  }
  const sequences = new Set(
    set.scenarios.filter((s) => s.kind === "api" && s.requests !== undefined).map((s) => s.id),
  );
  for (const s of set.scenarios) {
    if (s.sameAnswerAs !== undefined && sequences.has(s.sameAnswerAs)) {
      problems.push(`scenario "${s.id}": sameAnswerAs names a sequence ("${s.sameAnswerAs}")`);
    }
  }
  for (const t of set.targets) {
    if (!seen.has(t.scenario)) {
      problems.push(`target "${t.description}" names no scenario of the set ("${t.scenario}")`);
    }
    if ((t.metric === "throughputVs") !== (t.relativeTo !== undefined)) {
      problems.push(`target "${t.description}": throughputVs and relativeTo go together`);
    }
    if (t.atLeast === undefined && t.atMost === undefined) {
      problems.push(`target "${t.description}" has neither atLeast nor atMost`);
    }
  }
  return problems;
}

/** Imports the sets named (all when `requested` is absent) and checks them. */
export async function loadSets(requested?: string, dir = setsDir): Promise<AnySet[]> {
  const available = setFileNames(fs.readdirSync(dir));
  const sets: AnySet[] = [];
  for (const name of selectSets(available, requested)) {
    const file = path.join(dir, `${name}.ts`);
    const mod = (await import(pathToFileURL(file).href)) as { default?: AnySet };
    const set = mod.default;
    if (!set || typeof set !== "object" || !Array.isArray(set.scenarios)) {
      throw new Error(`bench/sets/${name}.ts must export default defineSet({ … })`);
    }
    const problems = problemsOf(set, name);
    if (problems.length > 0) {
      throw new Error(`bench/sets/${name}.ts: ${problems.join("; ")}`);
    }
    sets.push(set);
  }
  return sets;
}
