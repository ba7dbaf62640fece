/**
 * Composition of the long-running pieces (database, migrations, API, worker) and
 * their orderly shutdown: on SIGINT/SIGTERM the API stops accepting requests and
 * drains, the worker finishes its running jobs, the pools close, and the embedded
 * database (if any) shuts down last. Nothing in flight is dropped.
 */
import type { Runner } from "graphile-worker";
import { jwtConfig, loadConfig, type Config } from "./config.ts";
import { resolveDatabase, type ResolvedDatabase } from "./db/resolve.ts";
import { makePool } from "./db/pools.ts";
import { latestCommittedHash, migrateDatabase } from "./db/migrate.ts";
import { makeVerifier } from "./server/auth.ts";
import { startApiServer, type ApiServer } from "./server/http.ts";
import { startWorker } from "./worker/runner.ts";

export interface RunOptions {
  api: boolean;
  worker: boolean;
  migrate: boolean;
}

export interface Running {
  config: Config;
  resolved: ResolvedDatabase;
  api?: ApiServer;
  worker?: Runner;
  stop(): Promise<void>;
}

export const log = (line: string) => console.log(`[forgeline] ${line}`);

export async function runForgeline(
  options: RunOptions,
  config: Config = loadConfig(),
): Promise<Running> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((e: unknown) => console.error("[forgeline] error while stopping:", e));
    }
  };
  try {
    const resolved = await resolveDatabase(config, (line) => console.error(`[postgres] ${line}`), {
      setup: options.migrate,
    });
    if (resolved.embedded) {
      const embedded = resolved.embedded;
      cleanups.push(() => embedded.stop());
    }
    const db = resolved.database;
    const roles = {
      owner: db.ownerRole,
      authenticator: db.authenticatorRole,
      visitor: db.visitorRole,
    };
    if (options.migrate) {
      await migrateDatabase({ ownerUrl: db.ownerUrl, rootUrl: db.rootUrl, roles, quiet: true });
      log("database schema is up to date");
    }
    const running: Running = { config, resolved, stop };
    if (options.worker) {
      const ownerPool = makePool(db.ownerUrl, config.env.WORKER_CONCURRENCY + 2, "worker");
      cleanups.push(() => ownerPool.end());
      const worker = await startWorker({
        pool: ownerPool,
        concurrency: config.env.WORKER_CONCURRENCY,
      });
      cleanups.push(() => worker.stop());
      running.worker = worker;
    }
    if (options.api) {
      const authPool = makePool(db.authUrl, 20, "api");
      cleanups.push(() => authPool.end());
      const verify = await makeVerifier(jwtConfig(config, resolved.jwtFallbackSecret));
      const api = await startApiServer({
        pool: authPool,
        visitorRole: db.visitorRole,
        verify,
        graphiql: config.graphiql,
        host: config.env.HOST,
        port: config.env.PORT,
        expectedMigration: latestCommittedHash(),
        logError: (message, error) => console.error(`[forgeline] ${message}`, error),
      });
      cleanups.push(() => api.close());
      running.api = api;
    }
    return running;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Stops `running` once on the first SIGINT/SIGTERM; a second signal exits at once. */
export function stopOnSignals(running: Running): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        console.error(`[forgeline] ${signal} again: exiting now`);
        process.exit(130);
      }
      stopping = true;
      log(`${signal} received: stopping (in-flight requests and jobs finish first)`);
      running.stop().then(
        () => {
          log("stopped cleanly");
          resolve();
        },
        (e: unknown) => {
          console.error(e);
          resolve();
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
