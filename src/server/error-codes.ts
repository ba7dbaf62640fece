/**
 * The registry of business error codes raised by our SQL (`raise … using errcode`)
 * and passed through the GraphQL error masker. docs/error_codes.md documents the
 * same list; a test keeps the two, and the codes used in functions/, in step.
 */
export const ERROR_CODES = {
  FL001: "Authentication required: the request has no signed-in user for the action",
  FL002: "Insufficient role for the action",
  FL003: "Not found in the current organization",
  FL004: "An organization must keep at least one owner",
  FL005: "Invalid input",
  FL006: "Slug already taken",
  FL007: "Email already used in this organization",
  FL008: "A tenant id is required (trusted code)",
  FL009: "Audit events are append-only",
  FL010: "Unknown feature flag",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isRegisteredCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/** SQLSTATEs of constraint and input errors that are safe and useful to show. */
export const PASS_THROUGH_SQLSTATES: Record<string, string> = {
  "23502": "NOT_NULL_VIOLATION",
  "23503": "FOREIGN_KEY_VIOLATION",
  "23505": "UNIQUE_VIOLATION",
  "23514": "CHECK_VIOLATION",
  "23P01": "EXCLUSION_VIOLATION",
  "42501": "PERMISSION_DENIED",
  "22P02": "INVALID_INPUT",
  "22001": "VALUE_TOO_LONG",
  "22007": "INVALID_DATETIME",
  "22008": "DATETIME_OUT_OF_RANGE",
  "22003": "NUMBER_OUT_OF_RANGE",
};
