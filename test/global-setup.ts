/**
 * vitest global setup: one migrated template database per run (cloned by each
 * test file, see test/support/db.ts), dropped with its roles at the end.
 */
import type { TestProject } from "vitest/node";
import {
  createScratchDatabase,
  dropDatabase,
  dropRoles,
  scratchPrefix,
  type ScratchDatabase,
} from "../src/db/scratch.ts";
import { startTestServer } from "./support/server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    template: ScratchDatabase;
  }
}

export default async function setup(project: TestProject) {
  const server = await startTestServer();
  const template = await createScratchDatabase(server.rootUrl, scratchPrefix("t"));
  project.provide("template", template);
  return async () => {
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
    await server.embedded?.stop();
  };
}
