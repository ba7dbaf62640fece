/**
 * The PostGraphile v5 preset: Amber + simplified inflection + connection filters +
 * aggregates (off by default, opted in per table with `@behavior +aggregates`).
 * Only `app_public` is exposed. The per-request `grafast.context` turns the claims
 * that src/server/http.ts verified into pgSettings; it never reads the token itself.
 */
import type { IncomingMessage } from "node:http";
import type { Pool } from "pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { makeMaskError, type ErrorLogger } from "./errors.ts";
import { pgSettingsFor, type Claims } from "./auth.ts";

/** Claims verified by the HTTP layer, attached to the request before GraphQL runs. */
export const claimsByRequest = new WeakMap<IncomingMessage, Claims>();

export interface PresetOptions {
  pool: Pool;
  visitorRole: string;
  graphiql: boolean;
  logError?: ErrorLogger;
}

export function makePreset(options: PresetOptions): GraphileConfig.Preset {
  return {
    extends: [
      PostGraphileAmberPreset,
      PgSimplifyInflectionPreset,
      PostGraphileConnectionFilterPreset,
      PgAggregatesPreset,
    ],
    pgServices: [makePgService({ pool: options.pool, schemas: ["app_public"] })],
    schema: {
      // Aggregates can be expensive: every table opts in explicitly.
      defaultBehavior: "-aggregates -aggregates:filterBy -aggregates:orderBy",
      // Connection-filter: no filters on arbitrary computed functions or lists.
      connectionFilterComputedColumns: false,
      connectionFilterSetofFunctions: false,
      connectionFilterArrays: false,
      pgForbidSetofFunctionsToReturnNull: true,
      exportSchemaSDLPath: undefined,
    },
    grafserv: {
      graphqlPath: "/graphql",
      graphiql: options.graphiql,
      graphiqlOnGraphQLGET: false,
      graphiqlPath: "/graphiql",
      watch: false,
      websockets: false,
      maxRequestLength: 100_000,
      maskError: makeMaskError(options.logError),
    },
    grafast: {
      explain: false,
      context(requestContext) {
        const req = requestContext.node?.req;
        const claims = req ? claimsByRequest.get(req) : undefined;
        return { pgSettings: pgSettingsFor(claims, options.visitorRole) };
      },
    },
  };
}
