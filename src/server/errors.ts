/**
 * GraphQL error masking (grafserv.maskError). Registered business codes (FL…) and
 * constraint/input violations reach the client with `extensions.code` and their
 * message; so do errors the engine raises about the request (Grafast's safe
 * errors: timeouts are FL909, the rest BAD_USER_INPUT), a statement timeout
 * (57014 → FL907) and @dataplan/pg's "nothing to delete" (→ FL003, as our own
 * functions answer a missing row; plugins/missing-rows.ts answers the generated
 * update… and delete… mutations more precisely first). Everything else is replaced by a generic
 * message carrying an error id, and logged in full with that id
 * (src/server/preset.ts adds the request id). Every error returned has
 * `extensions.code` and is counted in forgeline_graphql_errors_total by it.
 * `withCode` gives errors made before execution (parse, validation, limits)
 * their code, and strips graphql-js's suggestions in production.
 */
import { randomUUID } from "node:crypto";
import { GraphQLError, type GraphQLFormattedError } from "postgraphile/graphql";
import { isSafeError } from "postgraphile/grafast";
import { logger } from "../logger.ts";
import { isRegisteredCode, PASS_THROUGH_SQLSTATES } from "./error-codes.ts";
import { countGraphqlError } from "../metrics.ts";

interface PgLikeError {
  code?: unknown;
  message: string;
  hint?: unknown;
  detail?: unknown;
  constraint?: unknown;
}

function pgError(e: unknown): PgLikeError | undefined {
  if (e instanceof Error && typeof (e as PgLikeError).code === "string") return e;
  return undefined;
}

/** Fields are structured context for the log line (errorId, requestId, …). */
export type ErrorLogger = (
  message: string,
  error: unknown,
  fields?: Readonly<Record<string, unknown>>,
) => void;

const defaultLog: ErrorLogger = (message, error, fields) =>
  logger.error({ ...fields, err: error }, message);
const defaultWarn: ErrorLogger = (message, error, fields) =>
  logger.warn({ ...fields, err: error }, message);

/** `log` is told about masked errors; `warn` about errors that are the caller's but worth seeing. */
export function makeMaskError(log: ErrorLogger = defaultLog, warn: ErrorLogger = defaultWarn) {
  const mask = maskWith(log, warn);
  return function maskError(error: GraphQLError): GraphQLError | GraphQLFormattedError {
    const masked = mask(error);
    const code = masked.extensions?.code;
    countGraphqlError(
      typeof code === "string"
        ? code
        : error.originalError
          ? "GRAPHQL_EXECUTION"
          : "GRAPHQL_VALIDATION",
    );
    return masked;
  };
}

const SUGGESTION = / Did you mean [^?]*\?$/;

/**
 * `error` with `extensions.code` (kept when it has one already), and without
 * graphql-js's "Did you mean …?" when `hideSuggestions` (they list schema names
 * to a caller who may not be meant to learn them).
 */
export function withCode(
  error: GraphQLError,
  code: string,
  { hideSuggestions = false }: { hideSuggestions?: boolean } = {},
): GraphQLError {
  const message = hideSuggestions ? error.message.replace(SUGGESTION, "") : error.message;
  if (error.extensions.code !== undefined && message === error.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: error.extensions.code ?? code },
  });
}

/** Grafast marks its planning and execution timeouts with a `timeout` symbol. */
function isGrafastTimeout(extensions: object | undefined): boolean {
  return (
    extensions !== undefined &&
    Object.getOwnPropertySymbols(extensions).some((s) => s.description === "timeout")
  );
}

/**
 * @dataplan/pg's answer when a generated delete…(…) matched no row the caller
 * may delete (missing, another tenant's, or refused by RLS): a plain Error from
 * PgDeleteSingleStep, recognised by its whole message. plugins/missing-rows.ts
 * replaces it with FL003 or FL002 for the generated mutations; this mapping is
 * the fallback for any other pgDeleteSingle.
 */
const NOTHING_DELETED =
  /^No values were deleted in collection '[^']+' because no values you can delete were found matching these criteria\.$/;

export function isNothingDeleted(e: unknown): boolean {
  return e instanceof Error && e.constructor === Error && NOTHING_DELETED.test(e.message);
}

function maskWith(log: ErrorLogger, warn: ErrorLogger) {
  return function mask(error: GraphQLError): GraphQLError | GraphQLFormattedError {
    const original = error.originalError;
    const as = (message: string, extensions: Record<string, unknown>) =>
      new GraphQLError(message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError: original,
        extensions,
      });
    // Errors GraphQL produced or the server made with a code pass as they are.
    if ((!original || original instanceof GraphQLError) && error.extensions.code !== undefined) {
      return error;
    }
    if (original && isSafeError(original)) {
      const extensions: Record<string, unknown> = { ...original.extensions };
      extensions.code ??= isGrafastTimeout(original.extensions) ? "FL909" : "BAD_USER_INPUT";
      return as(original.message, extensions);
    }
    if (isNothingDeleted(original)) {
      return as("No row to delete was found in the current organization", { code: "FL003" });
    }
    const pgErr = pgError(original);
    if (pgErr?.code === "57014") {
      // A statement ran past statement_timeout (or was cancelled): the caller's
      // operation, not a fault of ours. A warning, for operators to see the slow query.
      warn("Statement cancelled (statement_timeout)", original);
      return as(
        "The operation ran longer than the database allows and was cancelled; nothing was changed",
        { code: "FL907" },
      );
    }
    if (pgErr && typeof pgErr.code === "string") {
      const sqlstate = pgErr.code;
      if (isRegisteredCode(sqlstate) || PASS_THROUGH_SQLSTATES[sqlstate]) {
        const extensions: Record<string, unknown> = { code: sqlstate };
        if (!isRegisteredCode(sqlstate)) extensions.reason = PASS_THROUGH_SQLSTATES[sqlstate];
        if (typeof pgErr.hint === "string") extensions.hint = pgErr.hint;
        // Our own codes' detail is ours to show (FL106 names the cycle); PostgreSQL's
        // detail of a constraint error can quote another tenant's values: never that.
        if (isRegisteredCode(sqlstate) && typeof pgErr.detail === "string") {
          extensions.detail = pgErr.detail;
        }
        if (typeof pgErr.constraint === "string") extensions.constraint = pgErr.constraint;
        return new GraphQLError(pgErr.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          originalError: original,
          extensions,
        });
      }
    }
    const errorId = randomUUID();
    log(`Masked GraphQL error ${errorId}`, original ?? error, { errorId });
    return new GraphQLError(`An unexpected error occurred (error id ${errorId})`, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      originalError: original,
      extensions: { code: "INTERNAL", errorId },
    });
  };
}
