/**
 * The PostGraphile v5 preset: Amber + simplified inflection + connection filters +
 * aggregates (off by default, opted in per table with `@behavior +aggregates`).
 * Only `app_public` is exposed; function arguments without a SQL default are
 * required (`pgStrictFunctions`). The per-request `grafast.context` turns what
 * src/server/http.ts established about the request (verified claims, request id)
 * into pgSettings, with the transaction's statement_timeout; it never reads the
 * token itself. Every operation is bounded before it is planned (plugins/:
 * tokens, aliases, depth, page sizes, cost, introspection) and while it runs
 * (statement timeout, Grafast's planning and execution budgets, answer size).
 * Subscriptions (plugins/subscriptions.ts) come over WebSocket: http.ts
 * attaches graphql-ws when `grafserv.websockets` is on and registers each
 * connection's verified claims under its upgrade request, which the context
 * reads like an HTTP request's; the operation checks run for them as well.
 */
import type { Pool } from "pg";
import { defaultApiSettings, type ApiSettings } from "../config.ts";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService, type PgSubscriber } from "postgraphile/adaptors/pg";
import { getOperationAST } from "postgraphile/graphql";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { logger as processLogger, type Logger } from "../logger.ts";
import { makeMaskError, type ErrorLogger } from "./errors.ts";
import { requestPgSettings } from "./auth.ts";
import { contextOf, requestStore, type RequestContext } from "./request-context.ts";
import { countGraphqlError, operationLabel } from "../metrics.ts";
import { makeDocumentsPlugin } from "./plugins/documents.ts";
import { SurfacePlugin } from "./plugins/surface.ts";
import { MissingRowsPlugin } from "./plugins/missing-rows.ts";
import { makeOperationChecksPlugin } from "./plugins/operation-checks.ts";
import { makeResponseSizePlugin } from "./plugins/response-size.ts";
import { PipelineSubscriptionsPlugin } from "./plugins/subscriptions.ts";
import {
  makeTrustedDocumentsPlugins,
  readTrustedDocuments,
  trustedDocumentsOptions,
} from "./plugins/trusted-documents.ts";

export const GRAPHQL_PATH = "/graphql";

export interface PresetOptions {
  pool: Pool;
  visitorRole: string;
  graphiql: boolean;
  /** Defaults to the process logger. */
  logger?: Logger;
  /** Also told about every masked error (tests collect them). */
  logError?: ErrorLogger;
  /** Limits, introspection and error detail; the defaults of config.ts when absent. */
  settings?: ApiSettings;
  /**
   * LISTEN/NOTIFY for subscriptions; its owner releases it. Absent: the pg service
   * makes one on `pool` (it connects only when something subscribes).
   */
  pgSubscriber?: PgSubscriber;
}

/**
 * What http.ts established about the request or the WebSocket connection an
 * operation came in on: an HTTP request is found by its IncomingMessage, a
 * WebSocket operation by its connection's upgrade request.
 */
function requestContextOf(
  requestContext: Partial<Grafast.RequestContext> | undefined,
): RequestContext | undefined {
  return contextOf(requestContext?.node?.req ?? requestContext?.ws?.request);
}

/** Operations seen per WebSocket connection, for their request ids (`<connection id>.<n>`). */
const operationsOf = new WeakMap<RequestContext, number>();

/** The request id of an operation: the HTTP request's, or one per operation of a connection. */
function operationRequestId(rc: RequestContext, websocket: boolean): string {
  if (!websocket) return rc.id;
  const n = (operationsOf.get(rc) ?? 0) + 1;
  operationsOf.set(rc, n);
  const suffix = `.${n}`;
  return `${rc.id.slice(0, 64 - suffix.length)}${suffix}`;
}

/**
 * The operation checks for subscriptions too: Grafast runs a subscription through
 * its `subscribe` middleware, never `execute`, and over WebSocket a document is
 * checked only there (parse and validation limits apply to both, documents.ts).
 */
function alsoForSubscriptions(plugin: GraphileConfig.Plugin): GraphileConfig.Plugin {
  const middleware = plugin.grafast?.middleware;
  const execute = middleware?.execute;
  if (!middleware || typeof execute !== "function") return plugin;
  const subscribe: NonNullable<typeof middleware.subscribe> = (next, event) => execute(next, event);
  return { ...plugin, grafast: { ...plugin.grafast, middleware: { ...middleware, subscribe } } };
}

/** `errors` of a grafserv JSON result, however it was serialised. */
function resultErrors(result: unknown): Array<{ extensions?: { code?: unknown } }> {
  if (typeof result !== "object" || result === null) return [];
  let payload: unknown;
  if ("json" in result) payload = result.json;
  else if ("buffer" in result && Buffer.isBuffer(result.buffer)) {
    try {
      payload = JSON.parse(result.buffer.toString("utf8"));
    } catch {
      return [];
    }
  }
  if (typeof payload !== "object" || payload === null || !("errors" in payload)) return [];
  return Array.isArray(payload.errors)
    ? (payload.errors as Array<{ extensions?: { code?: unknown } }>)
    : [];
}

/**
 * Grafserv middleware for the metrics: the operation name a request's body gives
 * (the label of requests refused before execution; once the document is
 * executed, `grafast.context` sets the label from the operation it chose), and
 * the errors of requests refused before execution (parse and validation errors,
 * which never pass through maskError), counted as GRAPHQL_VALIDATION.
 */
const RequestMetricsPlugin: GraphileConfig.Plugin = {
  name: "ForgelineRequestMetricsPlugin",
  version: "0.1.0",
  grafserv: {
    middleware: {
      processGraphQLRequestBody(next, event) {
        const rc = contextOf(event.request?.requestContext.node?.req);
        if (rc) {
          const name = event.body.operationName;
          rc.operation = operationLabel(typeof name === "string" ? name : undefined);
        }
        return next();
      },
      async processRequest(next, event) {
        const result = await next();
        const rc = contextOf(event.requestDigest.requestContext.node?.req);
        if (rc && !rc.executed && result && event.requestDigest.path === GRAPHQL_PATH) {
          for (const error of resultErrors(result)) {
            countGraphqlError(error.extensions?.code ?? "GRAPHQL_VALIDATION");
          }
        }
        return result;
      },
    },
  },
};

export function makePreset(options: PresetOptions): GraphileConfig.Preset {
  const logMasked: ErrorLogger = (message, error, fields) => {
    const rc = requestStore.getStore();
    const withRequest = { ...fields, requestId: rc?.id };
    (rc?.log ?? options.logger ?? processLogger).error({ ...withRequest, err: error }, message);
    options.logError?.(message, error, withRequest);
  };
  const logWarning: ErrorLogger = (message, error, fields) => {
    const rc = requestStore.getStore();
    (rc?.log ?? options.logger ?? processLogger).warn({ ...fields, err: error }, message);
  };
  const settings = options.settings ?? defaultApiSettings();
  const { limits, trustedDocuments } = settings;
  const trusted = trustedDocuments && {
    documents: readTrustedDocuments(trustedDocuments.directory),
    only: trustedDocuments.only,
  };
  return {
    extends: [
      PostGraphileAmberPreset,
      PgSimplifyInflectionPreset,
      PostGraphileConnectionFilterPreset,
      PgAggregatesPreset,
    ],
    plugins: [
      SurfacePlugin,
      MissingRowsPlugin,
      RequestMetricsPlugin,
      makeResponseSizePlugin(limits.maxResponseBytes, GRAPHQL_PATH),
      makeDocumentsPlugin(settings),
      alsoForSubscriptions(
        makeOperationChecksPlugin({
          settings,
          isAuthenticated: (requestContext) => !!requestContextOf(requestContext)?.claims,
        }),
      ),
      PipelineSubscriptionsPlugin,
      ...(trusted ? makeTrustedDocumentsPlugins(trusted.documents, trusted.only) : []),
    ],
    gather: {
      // Arguments without a SQL default are non-null in GraphQL, so a missing one is
      // a validation error rather than a NULL the function has to refuse.
      pgStrictFunctions: true,
    },
    pgServices: [
      makePgService({
        pool: options.pool,
        schemas: ["app_public"],
        pubsub: true,
        ...(options.pgSubscriber && { pgSubscriber: options.pgSubscriber }),
      }),
    ],
    schema: {
      // Aggregates can be expensive: every table opts in explicitly. One update and
      // one delete per row, by rowId: none by node id (plugins/surface.ts).
      defaultBehavior:
        "-aggregates -aggregates:filterBy -aggregates:orderBy -nodeId:resource:update -nodeId:resource:delete",
      // Connection-filter: no filters on arbitrary computed functions or lists.
      connectionFilterComputedColumns: false,
      connectionFilterSetofFunctions: false,
      connectionFilterArrays: false,
      pgForbidSetofFunctionsToReturnNull: true,
      exportSchemaSDLPath: undefined,
    },
    grafserv: {
      graphqlPath: GRAPHQL_PATH,
      graphiql: options.graphiql,
      graphiqlOnGraphQLGET: false,
      graphiqlPath: "/graphiql",
      watch: false,
      // Subscriptions over graphql-ws on /graphql; http.ts attaches the transport.
      websockets: true,
      maxRequestLength: 100_000,
      maskError: makeMaskError(logMasked, logWarning),
      ...(trusted && trustedDocumentsOptions(trusted.documents, trusted.only)),
    },
    grafast: {
      explain: false,
      timeouts: { planning: limits.planningTimeoutMs, execution: limits.executionTimeoutMs },
      context(requestContext, args) {
        const rc = requestContextOf(requestContext);
        // The claims, the statement timeout (a runaway statement is cancelled: 57014,
        // answered as FL907) and the request id for the audit log and pg_stat_activity.
        // Over WebSocket: the connection's claims, verified when it opened.
        const pgSettings = requestPgSettings(
          rc?.claims,
          options.visitorRole,
          limits.statementTimeoutMs,
          rc && operationRequestId(rc, !requestContext.node && !!requestContext.ws),
        );
        if (rc) {
          rc.executed = true;
          rc.operation = operationLabel(
            getOperationAST(args.document, args.operationName)?.name?.value,
          );
        }
        return { pgSettings };
      },
    },
  };
}
