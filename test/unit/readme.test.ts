/**
 * README.md is the front door: what it says about the configuration and the
 * client setup must match the code. Every environment variable the program reads
 * is in its configuration table (tests-only variables included), and its
 * GraphQL Code Generator example maps exactly the custom scalars the schema has.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../src/config.ts";
import { projectRoot } from "../../src/paths.ts";

const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");

describe("README.md", () => {
  it("documents every environment variable the configuration reads", () => {
    const section = readme.slice(
      readme.indexOf("## Configuration"),
      readme.indexOf("## Projects and tasks"),
    );
    const documented = new Set([...section.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
    const read = Object.keys(envSchema.shape);
    expect(read.length).toBeGreaterThan(20);
    expect(read.filter((name) => !documented.has(name))).toEqual([]);
  });

  it("maps exactly the schema's custom scalars in the codegen example", () => {
    const schema = fs.readFileSync(path.join(projectRoot, "data", "schema.graphql"), "utf8");
    const scalars = [...schema.matchAll(/^scalar (\w+)/gm)].map((m) => m[1]).sort();
    const block = /scalars: \{([^}]*)\}/.exec(readme)?.[1] ?? "";
    const mapped = [...block.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]).sort();
    expect(scalars.length).toBeGreaterThan(0);
    expect(mapped).toEqual(scalars);
  });
});
