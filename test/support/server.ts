/**
 * The PostgreSQL server the tests run against: TEST_DATABASE_URL (a superuser
 * URL) when set, otherwise an embedded server of our own in .data/test
 * (src/db/scratch-server.ts, shared with the bench) on TEST_EMBEDDED_PG_PORT,
 * or by default on a port that is free when the run starts (no fixed port: a
 * run does not depend on what else listens on the machine). A second run while
 * one is going joins its server, whatever port it has (src/db/embedded.ts).
 * Every run creates its own roles and databases (see src/db/scratch.ts) and
 * drops them at the end, so runs can share a server.
 */
import path from "node:path";
import { projectRoot } from "../../src/paths.ts";
import { startScratchServer, type ScratchServer } from "../../src/db/scratch-server.ts";

export type TestServer = ScratchServer;

export function startTestServer(): Promise<TestServer> {
  return startScratchServer({
    urlVariables: ["TEST_DATABASE_URL"],
    dataDir: path.join(projectRoot, ".data", "test"),
    portVariable: "TEST_EMBEDDED_PG_PORT",
    password: "forgeline-test",
    log: (line) => console.error(`[test-postgres] ${line}`),
  });
}
