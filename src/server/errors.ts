/**
 * GraphQL error masking (grafserv.maskError). Registered business codes (FL…) and
 * constraint/input violations reach the client with `extensions.code` and their
 * message; everything else is replaced by a generic message carrying an error id,
 * and logged in full with that id (src/server/preset.ts adds the request id).
 * Every error returned is counted in forgeline_graphql_errors_total by its code:
 * `extensions.code`, or GRAPHQL_VALIDATION for errors GraphQL itself raised about
 * the request (unknown fields, bad variables), or GRAPHQL_EXECUTION for other
 * GraphQL-produced errors.
 */
import { randomUUID } from "node:crypto";
import { GraphQLError, type GraphQLFormattedError } from "postgraphile/graphql";
import { isSafeError } from "postgraphile/grafast";
import { logger } from "../logger.ts";
import { isRegisteredCode, PASS_THROUGH_SQLSTATES } from "./error-codes.ts";
import { countGraphqlError } from "./metrics.ts";

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

export function makeMaskError(log: ErrorLogger = defaultLog) {
  const mask = maskWith(log);
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

function maskWith(log: ErrorLogger) {
  return function mask(error: GraphQLError): GraphQLError | GraphQLFormattedError {
    const original = error.originalError;
    // Validation and execution errors GraphQL itself produced are safe as they are.
    if (!original || original instanceof GraphQLError) return error;
    if (isSafeError(original)) {
      return new GraphQLError(original.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError: original,
        extensions: original.extensions ?? {},
      });
    }
    const pgErr = pgError(original);
    if (pgErr && typeof pgErr.code === "string") {
      const sqlstate = pgErr.code;
      if (isRegisteredCode(sqlstate) || PASS_THROUGH_SQLSTATES[sqlstate]) {
        const extensions: Record<string, unknown> = { code: sqlstate };
        if (!isRegisteredCode(sqlstate)) extensions.reason = PASS_THROUGH_SQLSTATES[sqlstate];
        if (typeof pgErr.hint === "string") extensions.hint = pgErr.hint;
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
    log(`Masked GraphQL error ${errorId}`, original, { errorId });
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
