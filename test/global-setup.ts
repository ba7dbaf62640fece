/**
 * vitest global setup, once per project: one migrated template database per run
 * (cloned by each test file, see test/support/db.ts), dropped with its roles at
 * the end. For the project "api-via-pgbouncer" (vitest.config.ts) also a
 * PgBouncer in transaction mode in front of the server, which test/support/api.ts
 * routes the API's pool through.
 */
import type { TestProject } from "vitest/node";
import {
  createScratchDatabase,
  dropDatabase,
  dropRoles,
  scratchPrefix,
  type ScratchDatabase,
} from "../src/db/scratch.ts";
import { startPgBouncer, type PoolerAddress } from "../src/db/pgbouncer.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    template: ScratchDatabase;
    /** Set in the project that runs the API behind PgBouncer. */
    pgbouncer: PoolerAddress | null;
  }
}

export const PGBOUNCER_PROJECT = "api-via-pgbouncer";

// Both projects use one server: the embedded one is started once and stopped after the
// last project is done. Vitest loads this module once per project, in one process:
// the count lives on globalThis, which they share.
interface SharedServer {
  server: Promise<TestServer>;
  users: number;
}
const SHARED = Symbol.for("forgeline.test-server");
const registry = globalThis as typeof globalThis & { [SHARED]?: SharedServer };

async function useServer(): Promise<{ server: TestServer; release: () => Promise<void> }> {
  const shared = (registry[SHARED] ??= { server: startTestServer(), users: 0 });
  shared.users++;
  const server = await shared.server;
  return {
    server,
    release: async () => {
      if (--shared.users === 0) {
        delete registry[SHARED];
        await server.embedded?.stop();
      }
    },
  };
}

export default async function setup(project: TestProject) {
  const { server, release } = await useServer();
  const template = await createScratchDatabase(server.rootUrl, scratchPrefix("t"));
  project.provide("template", template);
  const pgbouncer =
    project.name === PGBOUNCER_PROJECT
      ? await startPgBouncer({
          serverUrl: server.rootUrl,
          // The clones of the template share its roles: the API connects as the authenticator.
          users: [
            { name: template.roles.authenticator, password: template.passwords.authenticator },
          ],
          // Each test file's API pool has 5 connections; a few server connections serve it.
          poolSize: 4,
          log: (line) => console.error(`[test-pgbouncer] ${line}`),
        })
      : undefined;
  project.provide(
    "pgbouncer",
    pgbouncer ? { dir: pgbouncer.dir, port: pgbouncer.port, adminUrl: pgbouncer.adminUrl } : null,
  );
  return async () => {
    await pgbouncer?.stop();
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: server.rootUrl });
    await client.connect();
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where datname like $1",
      [`${template.name}%`],
    );
    await client.end();
    for (const { datname } of rows) await dropDatabase(server.rootUrl, datname);
    await dropRoles(server.rootUrl, template.roles);
    await release();
  };
}
