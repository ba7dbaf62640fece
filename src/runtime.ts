/**
 * Composition of the long-running pieces (database, migrations, API, worker) and
 * their orderly shutdown: on SIGINT/SIGTERM the API stops accepting requests and
 * drains, the worker finishes its running jobs, the pools close, and the embedded
 * database (if any) shuts down last. Nothing in flight is dropped.
 *
 * Logs are JSON lines (src/logger.ts). `forgeline worker` alone can serve
 * /metrics and /healthz on METRICS_PORT; with the API, the API serves them.
 */
import { createServer, type Server } from "node:http";
import type { Runner } from "graphile-worker";
import { jwtConfig, loadConfig, type Config } from "./config.ts";
import { resolveDatabase, type ResolvedDatabase } from "./db/resolve.ts";
import { makePool } from "./db/pools.ts";
import { latestCommittedHash, migrateDatabase } from "./db/migrate.ts";
import { logger, setLogLevel } from "./logger.ts";
import { makeVerifier } from "./server/auth.ts";
import { startApiServer, type ApiServer } from "./server/http.ts";
import { registerPool, registerWorkerQueue, sendMetrics } from "./server/metrics.ts";
import { makeRateLimiter } from "./server/rate-limit.ts";
import { closeServer, listen } from "./server/listen.ts";
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
  /** The worker-only metrics server's URL (METRICS_PORT without the API). */
  metricsUrl?: string;
  stop(): Promise<void>;
}

/** A human-readable progress line, as a structured info message. */
export const log = (line: string) => logger.info(line);

/** /metrics and /healthz for a process without the API (`forgeline worker`). */
async function startMetricsServer(
  host: string,
  port: number,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname === "/metrics" && (req.method === "GET" || req.method === "HEAD")) {
      sendMetrics(res).catch((e: unknown) => {
        logger.error({ err: e }, "metrics scrape failed");
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
      return;
    }
    const [status, body] =
      pathname === "/healthz" ? [200, { status: "ok" }] : [404, { error: "Not found" }];
    res
      .writeHead(status, { "Content-Type": "application/json; charset=utf-8" })
      .end(JSON.stringify(body));
  });
  return { server, url: await listen(server, port, host) };
}

export async function runForgeline(
  options: RunOptions,
  config: Config = loadConfig(),
): Promise<Running> {
  setLogLevel(config.env.LOG_LEVEL);
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((e: unknown) => logger.error({ err: e }, "error while stopping"));
    }
  };
  const postgresLog = logger.child({ component: "postgres" });
  try {
    const resolved = await resolveDatabase(config, (line) => postgresLog.info(line), {
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
      const unregisterPool = registerPool("worker", ownerPool);
      const unregisterQueue = registerWorkerQueue(ownerPool);
      cleanups.push(() => {
        unregisterQueue();
        unregisterPool();
        return Promise.resolve();
      });
      const worker = await startWorker({
        pool: ownerPool,
        concurrency: config.env.WORKER_CONCURRENCY,
      });
      cleanups.push(() => worker.stop());
      running.worker = worker;
    }
    if (options.api) {
      const authPool = makePool(db.authUrl, config.env.API_POOL_SIZE, "api");
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
        // Charged on the API's own (authenticator) pool: app_private.charge_request
        // is granted to the authenticator. RATE_LIMIT_PER_MINUTE=0 turns it off.
        rateLimit: makeRateLimiter(authPool, {
          perMinute: config.env.RATE_LIMIT_PER_MINUTE,
          anonymousPerMinute: config.env.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
        }),
        trustProxy: config.env.TRUST_PROXY,
      });
      cleanups.push(() => api.close());
      running.api = api;
    } else if (config.env.METRICS_PORT > 0) {
      const metrics = await startMetricsServer(config.env.HOST, config.env.METRICS_PORT);
      cleanups.push(() => closeServer(metrics.server));
      running.metricsUrl = metrics.url;
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
        logger.warn(`${signal} again: exiting now`);
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
          logger.error({ err: e }, "error while stopping");
          resolve();
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
