/**
 * The PostgreSQL server the tests run against: TEST_DATABASE_URL (a superuser
 * URL) when set, otherwise an embedded server of our own in .data/test-postgres
 * on its own port. Every run creates its own roles and databases (see
 * src/db/scratch.ts) and drops them at the end, so runs can share a server.
 */
import path from "node:path";
import { EmbeddedPostgres } from "../../src/db/embedded.ts";
import { projectRoot } from "../../src/paths.ts";

export interface TestServer {
  rootUrl: string;
  embedded?: EmbeddedPostgres;
}

export async function startTestServer(): Promise<TestServer> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return { rootUrl: url };
  const embedded = new EmbeddedPostgres({
    dataDir: path.join(projectRoot, ".data", "test"),
    port: Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54339),
    superuser: "postgres",
    password: "forgeline-test",
    log: (line) => console.error(`[test-postgres] ${line}`),
  });
  await embedded.start();
  return { rootUrl: embedded.url, embedded };
}
