import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Two projects: every test, and the GraphQL API suite (test/api) again with the
 * API's pool going through a real PgBouncer in transaction mode (as in
 * production, docker-compose.yml): test/global-setup.ts starts one for that
 * project. Where pgbouncer is not installed, that project is left out with a
 * line saying so, except under CI=true, where it then fails.
 */
// PostGraphile 5 needs Node ≥ 22 (on Node 20 every database-backed field fails
// with a masked error): `node_modules/.bin/vitest` started directly runs on the
// machine's node; npm scripts and npx put Node 24 from node_modules first on PATH.
const [nodeMajor = 0] = process.versions.node.split(".").map(Number);
if (nodeMajor < 22) {
  throw new Error(
    `vitest is running on Node ${process.versions.node}: run it through npm (npm test, npm run test:unit -- <files>) or npx vitest, which use Node 24 from node_modules`,
  );
}

function hasPgBouncer(): boolean {
  if (process.env.PGBOUNCER) return fs.existsSync(process.env.PGBOUNCER);
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin"];
  return dirs.some((dir) => dir && fs.existsSync(path.join(dir, "pgbouncer")));
}

const viaPgBouncer = hasPgBouncer() || process.env.CI === "true";
if (!viaPgBouncer) {
  console.warn(
    "pgbouncer is not installed: skipping the API suite behind PgBouncer (Debian: apt-get install pgbouncer)",
  );
}

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    env: { GRAPHILE_ENV: "test", NODE_ENV: "test" },
    // The JSON report lets .ci/run print one closing "N passed, N failed" line.
    reporters: ["default", "json"],
    outputFile: { json: ".data/reports/vitest.json" },
    projects: [
      { extends: true, test: { name: "forgeline", include: ["test/**/*.test.ts"] } },
      ...(viaPgBouncer
        ? [
            {
              extends: true as const,
              test: {
                name: "api-via-pgbouncer",
                include: ["test/api/**/*.test.ts"],
                env: {
                  GRAPHILE_ENV: "test",
                  NODE_ENV: "test",
                  // PgBouncer 1.18 in transaction mode cannot keep named prepared statements.
                  DATAPLAN_PG_PREPARED_STATEMENT_CACHE_SIZE: "0",
                },
              },
            },
          ]
        : []),
    ],
  },
});
