/**
 * `forgeline start | serve | worker`: run the long-lived pieces until a signal,
 * or until the npm process that started them is gone (src/cli/npm-parent.ts).
 * The start-up lines read like prose; as JSON log lines (stdout not a terminal)
 * scripts grep `GraphQL API: http://…` out of them: keep a space after the URL.
 */
import { routeConsoleToLogger } from "../logger.ts";
import { handleStopRequests, log, runForgeline, type RunOptions } from "../runtime.ts";
import { watchNpmParent } from "./npm-parent.ts";
import { isClusterWorker, joinCluster } from "./cluster.ts";

export async function startCommand(options: RunOptions): Promise<void> {
  // What PostGraphile, grafserv and @dataplan/pg print with console.* becomes log lines.
  routeConsoleToLogger();
  const stopRequests = handleStopRequests();
  // One of `serve --processes N`'s API processes: the primary watches npm and
  // prints the start-up lines; this one stops when the primary asks or is gone.
  const cluster = isClusterWorker()
    ? joinCluster((reason, exitCode) => stopRequests.request(reason, exitCode))
    : undefined;
  const unwatch = cluster
    ? () => undefined
    : watchNpmParent((npmPid) =>
        stopRequests.request(`npm (pid ${npmPid}), which started this process, is gone`, 1),
      );
  const running = await runForgeline(options);
  const { api, resolved } = running;
  if (cluster && api) {
    cluster.ready(api.url, running.config.graphiql);
  } else if (resolved.embedded) {
    log(`embedded PostgreSQL data in ${resolved.embedded.pgData}`);
  }
  if (api && !cluster) {
    log(`GraphQL API: ${api.url}/graphql (POST; bearer token optional)`);
    if (running.config.graphiql) log(`Ruru (GraphiQL): ${api.url}/graphiql`);
    log(`health: ${api.url}/healthz  readiness: ${api.url}/readyz  metrics: ${api.url}/metrics`);
    if (resolved.embedded || running.config.env.JWT_SECRET) {
      log(
        "mint a development token: npm run token -- --org <org-id> --user <user-id>  (no flags: a token for createOrganization)",
      );
    }
  }
  if (running.metricsUrl) {
    log(`metrics: ${running.metricsUrl}/metrics  health: ${running.metricsUrl}/healthz`);
  }
  if (running.worker) log(`worker running (concurrency ${running.config.env.WORKER_CONCURRENCY})`);
  const clean = await stopRequests.serve(running);
  unwatch();
  // Everything is closed; exit now rather than wait on a timer a library left behind.
  process.exit(clean ? 0 : 1);
}
