/**
 * `forgeline start | serve | worker`: run the long-lived pieces until a signal.
 * The start-up lines are JSON log lines whose messages read like prose (scripts
 * grep `GraphQL API: http://…` out of them: keep a space after the URL).
 */
import { log, runForgeline, stopOnSignals, type RunOptions } from "../runtime.ts";

export async function startCommand(options: RunOptions): Promise<void> {
  const running = await runForgeline(options);
  const { api, resolved } = running;
  if (resolved.embedded) log(`embedded PostgreSQL data in ${resolved.embedded.pgData}`);
  if (api) {
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
  await stopOnSignals(running);
}
