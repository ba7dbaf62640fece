/**
 * Composition of the long-running pieces (database, migrations, API, worker) and
 * their orderly shutdown: on SIGINT/SIGTERM the API stops accepting requests and
 * drains, the worker finishes its running jobs, the pools close, and the embedded
 * database (if any) shuts down last. Nothing in flight is dropped.
 *
 * Start-up checks what an operator can get wrong before it boots or migrates
 * anything (the API port and HOST, the JWT key, every database URL it will use;
 * src/preflight.ts), so each mistake is one line naming the variable (exit 2).
 *
 * Logs go through src/logger.ts. `forgeline worker` alone can serve /metrics and
 * /healthz on METRICS_PORT; with the API, the API serves them.
 */
import { createServer, type Server } from "node:http";
import { constants } from "node:os";
import type { Runner } from "graphile-worker";
import { ConfigError, jwtConfig, loadConfig, rolesOf, type Config } from "./config.ts";
import { resolveDatabase, type ResolvedDatabase } from "./db/resolve.ts";
import { makePool } from "./db/pools.ts";
import { describeMigration, latestCommittedHash, migrateDatabase } from "./db/migrate.ts";
import { logger, setLogLevel } from "./logger.ts";
import { assertCanListen, listenError, type ListenTarget } from "./preflight.ts";
import { makeVerifier, type Verifier } from "./server/auth.ts";
import { startApiServer, type ApiServer } from "./server/http.ts";
import { registerPool, registerWorkerQueue, sendMetrics } from "./metrics.ts";
import { makeRateLimiter } from "./server/rate-limit.ts";
import { closeServer, listen } from "./server/listen.ts";
import { startWorker } from "./worker/runner.ts";
import { artifactStorageFor } from "./storage/index.ts";

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

/**
 * The token verifier; a JWT_PUBLIC_KEY that does not parse as a key for its
 * algorithm is a one-line ConfigError rather than a stack trace at the first request.
 */
async function verifierFor(config: Config, fallbackSecret?: string): Promise<Verifier> {
  const jwt = jwtConfig(config, fallbackSecret);
  try {
    return await makeVerifier(jwt);
  } catch (e) {
    if (jwt.kind !== "publicKey") throw e;
    const expected = jwt.algorithm === "ES256" ? "an EC (P-256)" : "an RSA";
    throw new ConfigError(
      "JWT_PUBLIC_KEY",
      `is not ${expected} public key in PEM (SPKI) form for ${jwt.algorithm}: ` +
        `${e instanceof Error ? e.message : String(e)} (JWT_ALGORITHM chooses RS256 or ES256)`,
    );
  }
}

/** Where this process will listen, if anywhere: the API, or the worker's metrics server. */
function listenTargetOf(options: RunOptions, config: Config): ListenTarget | undefined {
  const host = config.env.HOST;
  if (options.api)
    return { host, port: config.env.PORT, hostVariable: "HOST", portVariable: "PORT" };
  if (config.env.METRICS_PORT > 0) {
    return {
      host,
      port: config.env.METRICS_PORT,
      hostVariable: "HOST",
      portVariable: "METRICS_PORT",
    };
  }
  return undefined;
}

/** A listen that fails for a reason the operator fixes becomes the one-line error. */
async function listening<T>(target: ListenTarget, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    throw listenError(e, target) ?? e;
  }
}

export async function runForgeline(
  options: RunOptions,
  config: Config = loadConfig(),
): Promise<Running> {
  setLogLevel(config.env.LOG_LEVEL);
  // Checks that need no database first: a mistake here costs nothing to report.
  const target = listenTargetOf(options, config);
  if (target) await assertCanListen(target);
  const { env } = config;
  const keyConfigured = Boolean(env.JWT_SECRET || env.JWT_PUBLIC_KEY || env.JWT_JWKS_URL);
  // Without a configured key the embedded mode's generated secret is used, known only later.
  const verify =
    options.api && (keyConfigured || config.database) ? await verifierFor(config) : undefined;
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
      uses: { owner: options.migrate || options.worker, auth: options.api },
    });
    if (resolved.embedded) {
      const embedded = resolved.embedded;
      cleanups.push(() => embedded.stop());
    }
    const db = resolved.database;
    const roles = rolesOf(db);
    if (options.migrate) {
      const result = await migrateDatabase({
        ownerUrl: db.ownerUrl,
        rootUrl: db.rootUrl,
        roles,
        quiet: true,
      });
      log(describeMigration(result));
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
        artifacts: artifactStorageFor(config),
      });
      cleanups.push(() => worker.stop());
      running.worker = worker;
    }
    if (options.api) {
      const authPool = makePool(db.authUrl, config.env.API_POOL_SIZE, "api");
      cleanups.push(() => authPool.end());
      // Subscriptions hold one session for LISTEN: directly to PostgreSQL when the
      // API pool goes through a transaction pooler, which would lose notifications.
      const listenPool = db.listenUrl ? makePool(db.listenUrl, 2, "api-listen") : undefined;
      if (listenPool) cleanups.push(() => listenPool.end());
      const verifier = verify ?? (await verifierFor(config, resolved.jwtFallbackSecret));
      const api = await listening(target!, () =>
        startApiServer({
          pool: authPool,
          listenPool,
          visitorRole: db.visitorRole,
          verify: verifier,
          graphiql: config.graphiql,
          host: config.env.HOST,
          port: config.env.PORT,
          expectedMigration: latestCommittedHash(),
          // Limits, introspection, CORS, trusted documents: from the environment.
          settings: config.api,
          // Charged on the API's own (authenticator) pool: app_private.take_request_tokens
          // is granted to the authenticator. RATE_LIMIT_PER_MINUTE=0 turns it off.
          rateLimit: makeRateLimiter(authPool, {
            perMinute: config.env.RATE_LIMIT_PER_MINUTE,
            anonymousPerMinute: config.env.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
          }),
          trustProxy: config.env.TRUST_PROXY,
        }),
      );
      cleanups.push(() => api.close());
      running.api = api;
    } else if (config.env.METRICS_PORT > 0) {
      const metrics = await listening(target!, () =>
        startMetricsServer(config.env.HOST, config.env.METRICS_PORT),
      );
      cleanups.push(() => closeServer(metrics.server));
      running.metricsUrl = metrics.url;
    }
    return running;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Asks the process to stop: SIGINT/SIGTERM, or the CLI's own reasons (its npm parent is gone). */
export interface StopRequests {
  /** `reason` is logged; before start-up has finished, the process exits with `exitCode`. */
  request(reason: string, exitCode: number): void;
  /** Hands over what runs; resolves once it has stopped after a request (true: cleanly). */
  serve(running: Running): Promise<boolean>;
}

/**
 * Installs the SIGINT/SIGTERM handlers, before start-up so that no signal kills
 * the process with its default action (the embedded server, in its own process
 * group, would outlive it). A request during start-up exits at once (the embedded
 * server is told to shut down on exit); after it, the first request stops
 * everything in order and a second signal exits at once.
 */
export function handleStopRequests(): StopRequests {
  let running: Running | undefined;
  let stopping = false;
  let finished: (clean: boolean) => void = () => undefined;
  const done = new Promise<boolean>((resolve) => (finished = resolve));
  const stopRunning = (reason: string) => {
    log(`${reason}: stopping (in-flight requests and jobs finish first)`);
    running!.stop().then(
      () => {
        log("stopped cleanly");
        finished(true);
      },
      (e: unknown) => {
        logger.error({ err: e }, "error while stopping");
        finished(false);
      },
    );
  };
  const requests: StopRequests = {
    request(reason, exitCode) {
      if (stopping) return;
      stopping = true;
      if (!running) {
        logger.warn(`${reason} during start-up: exiting`);
        process.exit(exitCode);
      }
      stopRunning(reason);
    },
    serve(given) {
      running = given;
      return done;
    },
  };
  const onSignal = (signal: NodeJS.Signals) => {
    const exitCode = 128 + (constants.signals[signal] ?? 0);
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(exitCode);
    }
    requests.request(`${signal} received`, exitCode);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return requests;
}

/**
 * For one-shot commands that may boot the embedded server (`migrate`, `seed`):
 * SIGINT/SIGTERM end the process through process.exit, so its exit hook tells the
 * server (in its own process group, out of Ctrl-C's reach) to shut down too.
 */
export function exitOnSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      logger.warn(`${signal} received: exiting`);
      process.exit(128 + constants.signals[signal]);
    });
  }
}
