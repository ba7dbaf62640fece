#!/usr/bin/env node
/**
 * The `forgeline` command. Each subcommand lives in its own file; this file only
 * wires them to commander and turns configuration errors into one clear line on
 * stderr (exit 2); anything else is logged with its stack (exit 1).
 */
import "./env.ts";
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { ConfigError, loadConfig } from "../config.ts";
import { logger } from "../logger.ts";
import { projectRoot } from "../paths.ts";
import { startCommand } from "./start.ts";
import { isClusterWorker, processesOf, runClusterPrimary } from "./cluster.ts";
import { migrateCommand } from "./migrate.ts";
import { tokenCommand } from "./token.ts";
import { dumpSchemaCommand } from "./dump-schema.ts";
import { benchCommand } from "./bench.ts";
import { scheduleCommand } from "./schedule.ts";
import { seedCommand } from "./seed.ts";
import { docsCommand } from "./docs.ts";
import { limitsClearCommand, limitsListCommand, limitsSetCommand } from "./limits.ts";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `forgeline needs Node.js 22.18 or newer (this is ${process.versions.node}). ` +
      "Run it through npm (npm start, npm run forgeline -- …), which uses the Node from node_modules.\n",
  );
  process.exit(1);
}

const { version } = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("forgeline")
  .description("Postgres core of an AI-assisted engineering platform")
  .version(version, "-V, --version", "print the version of forgeline")
  .showHelpAfterError();

program
  .command("start")
  .description(
    "database (embedded unless DATABASE_URL is set) + migrations + API + worker, in one process",
  )
  .action(() => startCommand({ api: true, worker: true, migrate: true }));
program
  .command("serve")
  .description("the GraphQL API only (migrations must already be applied)")
  .option(
    "--processes <n>",
    "API processes sharing the port, one per core (default API_PROCESSES, 1); needs DATABASE_URL",
  )
  .action(async (options: { processes?: string }) => {
    if (!isClusterWorker()) {
      const config = loadConfig();
      const processes = processesOf(options.processes, config);
      if (processes > 1) return runClusterPrimary(processes, config);
    }
    return startCommand({ api: true, worker: false, migrate: false });
  });
program
  .command("worker")
  .description("the job worker only")
  .action(() => startCommand({ api: false, worker: true, migrate: false }));
program
  .command("migrate")
  .description(
    "prepare roles/extensions (with ROOT_DATABASE_URL) and apply committed migrations; safe to re-run",
  )
  .action(migrateCommand);
program
  .command("token")
  .description("mint a development token (HS256 with JWT_SECRET, or the embedded secret)")
  .option("--org <id>", "organization id (org_id claim)")
  .option("--user <id>", "user id (user_id claim)")
  .option("--role <role>", "informational role claim (owner, admin, member, viewer)")
  .option("--sub <subject>", "subject claim", "dev")
  .option("--expires <duration>", "lifetime, e.g. 15m, 1h, 7d", "1h")
  .action(tokenCommand);
program
  .command("seed")
  .description("create a demo organization with one user per role; prints ids and tokens")
  .option("--slug <slug>", "the organization's slug", "demo")
  .option("--name <name>", "the organization's name", "Demo Labs")
  .action(seedCommand);
program
  .command("schedule")
  .description(
    "schedule maintenance (partitions, retention, pipeline timeouts) every minute with pg_cron, " +
      "and a daily purge of its run details; needs ROOT_DATABASE_URL",
  )
  .option("--cron <expression>", "the maintenance job's cron schedule", "* * * * *")
  .option(
    "--remove",
    "remove this database's maintenance job instead (and the purge job with the server's last one)",
  )
  .action(scheduleCommand);
program
  .command("dump-schema")
  .description("write data/schema.sql and data/schema.graphql from a freshly migrated database")
  .action(dumpSchemaCommand);
const limits = program
  .command("limits")
  .description("the operator's per-organization limits (a tenant cannot raise its own)");
limits.command("list").description("list the overrides").action(limitsListCommand);
limits
  .command("set <organization>")
  .description(
    "override an organization's API rate limit and/or pipeline step log cap (organization: id or slug); at least one of the two",
  )
  .option("--requests-per-minute <n>", "API requests per minute, 1 to 1000000000")
  .option("--step-log-bytes <n>", "bytes of log per pipeline step, 1024 to 1073741824")
  .option("--note <text>", "why (shown by `limits list`)")
  .action(limitsSetCommand);
limits
  .command("clear <organization>")
  .description(
    "remove the overrides (both, unless a flag names one): the server's defaults apply again",
  )
  .option("--requests-per-minute", "only the rate limit (RATE_LIMIT_PER_MINUTE applies again)")
  .option("--step-log-bytes", "only the step log cap (4 MiB applies again)")
  .action(limitsClearCommand);
program
  .command("docs")
  .description("regenerate the generated parts of the docs (docs/error_codes.md's tables)")
  .action(docsCommand);
program
  .command("bench")
  .description(
    "build a dataset in a scratch database and load-test the API against a raw-SQL baseline",
  )
  .option("--quick", "small dataset and 3 s runs (a smoke check)")
  .option("--duration <seconds>", "seconds per run (default 10, 3 with --quick)")
  .option("--connections <list>", "concurrent connections, one run each", "1,10,50")
  .option("--keep", "keep the scratch database (and print how to reach it)")
  .option("--set <list>", "benchmark sets to run, comma-separated (bench/sets/; default: all)")
  .action(benchCommand);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  const command = program.args[0] ?? "forgeline";
  logger.error({ err: e }, `${command} failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
