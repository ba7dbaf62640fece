/**
 * The one registry of error codes a client can see: Forgeline's business codes
 * (`FL…`, raised by our SQL with `raise … using errcode`), the API-level codes the
 * server itself gives (HTTP layer, GraphQL validation, limits), and the PostgreSQL
 * SQLSTATEs that pass through the masker. docs/error_codes.md is generated from
 * this file (`npm run docs:errors`) and a test fails when they differ, when the SQL
 * raises a code that is not here, or when a code here is raised nowhere.
 *
 * Each module owns a range, so modules built in parallel never take the same
 * number: take the next free code of your module's range, never reuse or
 * renumber one (clients branch on them).
 */

export interface ErrorCodeEntry {
  /** What the code means, in a few words. */
  meaning: string;
  /** When it is raised: which operations, which rule. */
  when: string;
  /** What the caller should do about it. */
  action: string;
}

/** FL<range>xx: the module that owns each range (DESIGN §8). */
export const CODE_RANGES = {
  FL0: "organizations, users and operations",
  FL1: "projects, repositories and tasks",
  FL2: "CI/CD pipelines",
  FL3: "integrations",
  FL4: "agents",
  FL5: "analytics and learning",
  FL9: "the API itself (limits on operations)",
} as const;

export const ERROR_CODES = {
  FL001: {
    meaning: "Authentication required: the request has no signed-in user for the action",
    when: "`createOrganization` without a verified token (no `sub`); any function that checks the caller's role (through `app_private.require_role`) when the token has no `org_id`/`user_id`, or that user is not (or no longer) a member of that organization",
    action:
      "Send `Authorization: Bearer <token>`; for organization work the token must carry `org_id` and `user_id` of an existing user. A removed user needs a new invitation.",
  },
  FL002: {
    meaning: "Insufficient role for the action",
    when: "`app_private.require_role` finds the caller's stored role below the minimum (`addUser`, `changeUserRole`: admin; `removeUser` of someone else: admin); a non-owner adds an owner, grants or takes away the owner role, or removes an owner",
    action: "Do not retry. Ask an admin or owner of the organization.",
  },
  FL003: {
    meaning: "Not found in the current organization",
    when: "`changeUserRole` or `removeUser` with a `userId` that is not a user of the token's organization; a generated `delete…` mutation for a row that does not exist or that the caller may not delete; `app_private.set_current_tenant` with an organization id that does not exist",
    action:
      "Check the id (the row's `rowId`) and that the token is for the right organization and role.",
  },
  FL004: {
    meaning: "An organization must keep at least one owner",
    when: "Any update or delete of users that would leave an organization with no owner (trigger `_200_keep_an_owner_*` on `app_public.users`): demoting or removing the last owner, including two owners demoting each other at the same time",
    action: "Make another user an owner first (`changeUserRole`), or delete the organization.",
  },
  FL005: {
    meaning: "Invalid input",
    when: "`createOrganization` / `updateOrganization`: empty name, malformed slug; `createOrganization`: empty owner name or malformed owner email; `addUser`: empty name, malformed email, null role; `changeUserRole`: null role",
    action: "Correct the input as the message and hint say. Nothing was changed.",
  },
  FL006: {
    meaning: "Slug already taken",
    when: "`createOrganization` or `updateOrganization` with a slug another organization uses, also when two requests race for the same slug",
    action: "Choose another slug.",
  },
  FL007: {
    meaning: "Email already used in this organization",
    when: "`addUser` with an email (compared case-insensitively) that a user of the organization already has, also when two requests race to add it",
    action: "Use the existing user, or another address.",
  },
  FL008: {
    meaning: "A tenant id is required (trusted code)",
    when: "`app_private.set_current_tenant(null)`: worker or maintenance code asked to act for no organization. The API's visitor role cannot call this function, so clients never see it.",
    action: "Fix the calling job: pass the organization id it acts for.",
  },
  FL009: {
    meaning: "Audit events are append-only",
    when: "Any update, delete or truncate of `app_public.audit_events` or one of its partitions, by any role including the owner. The visitor has no such grant at all (`42501`).",
    action:
      "Do not change history. Old events leave only when `app_private.apply_retention()` drops their month's partition.",
  },
  FL010: {
    meaning: "Unknown feature flag",
    when: "`featureEnabled(name:)` / `app_public.feature_enabled(name)` or `setFeatureFlag` with a name not in `app_public.feature_flags`",
    action: "Use one of the names listed by the `featureFlags` query.",
  },
  FL011: {
    meaning: "The setting is the operator's, not the organization's",
    when: "`updateOrganization` with `settings.rate_limit`: limits that protect the service are set by the operator (`forgeline limits`), never by a tenant",
    action: "Remove `rate_limit` from the settings; ask the operator for a different limit.",
  },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isRegisteredCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/**
 * Codes the server gives without the database: in `extensions.code` of a GraphQL
 * error or of an HTTP error answer. Not SQLSTATEs.
 */
export const API_CODES = {
  TOKEN_INVALID: {
    meaning: "The bearer token is not valid (HTTP 401)",
    when: "Wrong signature, issuer, audience or algorithm, or not a JWT",
    action: "Send a token signed by the configured key for this API's issuer and audience.",
  },
  TOKEN_EXPIRED: {
    meaning: "The bearer token has expired (HTTP 401)",
    when: "Its `exp` has passed (5 seconds of clock tolerance)",
    action: "Mint or fetch a new token.",
  },
  TOKEN_MALFORMED: {
    meaning: "The Authorization header or a claim has the wrong shape (HTTP 401)",
    when: "The header is not `Bearer <token>`, or `org_id`/`user_id` are not uuids, or `role` is not one of owner, admin, member, viewer",
    action: "Fix the header or the token's claims.",
  },
  RATE_LIMITED: {
    meaning: "Too many requests (HTTP 429)",
    when: "The organization (or, without one, the client address) used up its requests per minute; `extensions.retryAfter` and the `Retry-After` header say when to come back",
    action: "Wait `retryAfter` seconds and retry; ask the operator for a higher limit.",
  },
  INTERNAL: {
    meaning: "An unexpected error; the server logged it",
    when: "Anything that is not a registered code or a passed-through SQLSTATE; `extensions.errorId` names the log line",
    action: "Retry later; report the `errorId` if it persists.",
  },
} as const satisfies Record<string, ErrorCodeEntry>;

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

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function table(entries: Record<string, ErrorCodeEntry>, first: string): string {
  const rows = Object.entries(entries).map(
    ([code, e]) => `| ${code} | ${cell(e.meaning)} | ${cell(e.when)} | ${cell(e.action)} |`,
  );
  return [
    `| ${first} | Meaning | Raised when | What the caller should do |`,
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

export const GENERATED_BEGIN =
  "<!-- BEGIN GENERATED from src/server/error-codes.ts: npm run docs:errors -->";
export const GENERATED_END = "<!-- END GENERATED -->";

/** The generated part of docs/error_codes.md. */
export function renderErrorCodeDocs(): string {
  const ranges = Object.entries(CODE_RANGES)
    .map(([prefix, module]) => `| ${prefix}xx | ${module} |`)
    .join("\n");
  const sqlstates = Object.entries(PASS_THROUGH_SQLSTATES)
    .map(([code, reason]) => `| ${code} | ${reason} |`)
    .join("\n");
  return [
    GENERATED_BEGIN,
    "",
    "### Ranges",
    "",
    "| Range | Module |",
    "| --- | --- |",
    ranges,
    "",
    "### Forgeline codes (SQLSTATE `FL…`)",
    "",
    table(ERROR_CODES, "Code"),
    "",
    "### API codes (given by the server, not the database)",
    "",
    table(API_CODES, "Code"),
    "",
    "### PostgreSQL errors passed through",
    "",
    "| SQLSTATE | `extensions.reason` |",
    "| --- | --- |",
    sqlstates,
    "",
    GENERATED_END,
  ].join("\n");
}

/** `text` (docs/error_codes.md) with its generated part replaced by the current one. */
export function withGeneratedDocs(text: string): string {
  const begin = text.indexOf(GENERATED_BEGIN);
  const end = text.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) {
    throw new Error(`docs/error_codes.md lacks the ${GENERATED_BEGIN} … ${GENERATED_END} markers`);
  }
  return text.slice(0, begin) + renderErrorCodeDocs() + text.slice(end + GENERATED_END.length);
}
