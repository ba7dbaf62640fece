/**
 * Trusted documents (persisted operations), for production: the clients' GraphQL
 * documents are deployed with the server as GRAPHQL_TRUSTED_DOCUMENTS/<id>.graphql
 * and requests name them by id (Relay's `documentId`, `id`, or Apollo's
 * `extensions.persistedQuery.sha256Hash`); with GRAPHQL_TRUSTED_DOCUMENTS_ONLY
 * nothing else runs. @grafserv/persisted swaps the id for the document; the
 * guard here runs first and refuses unknown ids and, in "only" mode, query
 * texts with FL911, so the library's own refusal (no code, and a console.error
 * of the whole request body, variables included) is never reached. The folder is
 * read once at start: a deployment ships its documents with the server.
 */
import fs from "node:fs";
import path from "node:path";
import { PersistedPlugin } from "@grafserv/persisted";
import { SafeError } from "postgraphile/grafast";

const DOCUMENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The documents of `directory`, by id (the file name without `.graphql`). */
export function readTrustedDocuments(directory: string): ReadonlyMap<string, string> {
  const documents = new Map<string, string>();
  for (const name of fs.readdirSync(directory)) {
    if (!name.endsWith(".graphql")) continue;
    const id = name.slice(0, -".graphql".length);
    if (!DOCUMENT_ID.test(id)) throw new Error(`${path.join(directory, name)}: not a document id`);
    documents.set(id, fs.readFileSync(path.join(directory, name), "utf8"));
  }
  return documents;
}

/** The id a request names, as @grafserv/persisted's default reads it. */
function documentIdOf(body: { id?: unknown; documentId?: unknown; extensions?: unknown }): unknown {
  const extensions = body.extensions as
    { persistedQuery?: { sha256Hash?: unknown } } | null | undefined;
  return extensions?.persistedQuery?.sha256Hash || body.documentId || body.id;
}

const refuse = (message: string) => new SafeError(message, { statusCode: 400, code: "FL911" });

export function makeTrustedDocumentsPlugins(
  documents: ReadonlyMap<string, string>,
  only: boolean,
): GraphileConfig.Plugin[] {
  const guard: GraphileConfig.Plugin = {
    name: "ForgelineTrustedDocumentsGuardPlugin",
    version: "0.1.0",
    // Outside PersistedPlugin's middleware: it sees the body first.
    before: ["PersistedPlugin"],
    grafserv: {
      middleware: {
        processGraphQLRequestBody(next, event) {
          const id = documentIdOf(event.body);
          if (id !== undefined && id !== null && id !== "") {
            if (typeof id !== "string" || !documents.has(id)) {
              throw refuse("The document id is not one of this server's trusted documents");
            }
          } else if (only) {
            throw refuse("This server runs trusted documents only: send a `documentId`");
          }
          return next();
        },
      },
    },
  };
  return [guard, PersistedPlugin];
}

/** The grafserv options PersistedPlugin reads. */
export function trustedDocumentsOptions(
  documents: ReadonlyMap<string, string>,
  only: boolean,
): Pick<GraphileConfig.GrafservOptions, "persistedOperationsGetter" | "allowUnpersistedOperation"> {
  return {
    persistedOperationsGetter: (id) => documents.get(id) ?? "",
    allowUnpersistedOperation: !only,
  };
}
