/**
 * GraphQL error masking (grafserv.maskError). Registered business codes (FL…) and
 * constraint/input violations reach the client with `extensions.code` and their
 * message; everything else is replaced by a generic message carrying an error id,
 * and logged in full with that id.
 */
import { randomUUID } from "node:crypto";
import { GraphQLError, type GraphQLFormattedError } from "postgraphile/graphql";
import { isSafeError } from "postgraphile/grafast";
import { isRegisteredCode, PASS_THROUGH_SQLSTATES } from "./error-codes.ts";

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

export type ErrorLogger = (message: string, error: unknown) => void;

export function makeMaskError(log: ErrorLogger = (m, e) => console.error(m, e)) {
  return function maskError(error: GraphQLError): GraphQLError | GraphQLFormattedError {
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
    log(`Masked GraphQL error ${errorId}`, original);
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
