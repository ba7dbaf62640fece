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
    when: "`app_private.require_role` finds the caller's stored role below the minimum (`addUser`, `changeUserRole`: admin; `removeUser` of someone else: admin); a non-owner adds an owner, grants or takes away the owner role, or removes an owner; a generated `update…` or `delete…` mutation of a row the caller can see but whose role may not change it (an admin's `deleteOrganization`, a member's `deleteTask`)",
    action: "Do not retry. Ask an admin or owner of the organization.",
  },
  FL003: {
    meaning: "Not found in the current organization",
    when: "`changeUserRole` or `removeUser` with a `userId` that is not a user of the token's organization; a generated `update…` or `delete…` mutation for a row that does not exist or that the caller cannot see (another organization's); `app_private.set_current_tenant` with an organization id that does not exist",
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
  FL101: {
    meaning: "Project key or name already used in this organization",
    when: "`createProject` or `updateProject` with a key or a name (compared case-insensitively) that another project of the organization has, also when two requests race for it",
    action: "Choose another key or name.",
  },
  FL102: {
    meaning: "The project is archived: its tasks are read-only",
    when: "Creating, changing, moving or deleting a task of an archived project, or adding or removing a dependency that touches one",
    action: "Unarchive the project (`updateProject` with `status: ACTIVE`) first.",
  },
  FL103: {
    meaning: "Status change not allowed",
    when: "`updateTask` changes `status` along a transition that `taskStatusTransitions` does not list (e.g. BACKLOG to DONE); the hint lists the allowed next statuses",
    action: "Go through an allowed status first, as the hint says.",
  },
  FL104: {
    meaning: "A task cannot be placed under itself",
    when: "`updateTask` or `createTask` with a `parentId` that is the task itself or one of its own subtasks (at any depth), also when two moves race to put two tasks under each other",
    action: "Move the subtask out first, or pick another parent.",
  },
  FL105: {
    meaning: "A task belongs to one project",
    when: "A `parentId` of another project (or none of this organization), or an attempt to change a task's project",
    action: "Pick a parent in the same project; create the task in the other project instead.",
  },
  FL106: {
    meaning: "The dependency would close a cycle of blocking tasks",
    when: "`createTaskDependency` (or changing a link to `BLOCKS`) where the dependency already waits, directly or through others, for the dependent; also when two requests race to add the two halves. `detail` names the cycle by identifiers, like `ENG-2 → ENG-4 → ENG-3 → ENG-2`",
    action: "Remove one of the dependencies in the cycle first.",
  },
  FL107: {
    meaning: "Invalid dependency",
    when: "A task made to depend on itself, or a second link between the same two tasks (also under a race)",
    action: "Link two different tasks once; change the existing link's type instead.",
  },
  FL108: {
    meaning: "The assignee is not a user of this organization",
    when: "`createTask` or `updateTask` with an `assigneeId` that is no user of the token's organization",
    action: "Assign a user of the organization (`users` lists them).",
  },
  FL109: {
    meaning: "Secrets do not belong in a repository's webhook_config",
    when: "`webhookConfig` with a key such as `secret`, `token`, `password` or `api_key`",
    action: "Leave the secret out: the integration keeps webhook secrets encrypted.",
  },
  FL110: {
    meaning: "The repository is already connected",
    when: "A repository with the same provider and `externalId` already belongs to the organization, also under a race",
    action: "Use the existing repository.",
  },
  FL111: {
    meaning: "A dependency links tasks of this organization only",
    when: "`createTaskDependency` with a `dependentId` or `dependencyId` that is no task of the token's organization (a parent of another organization is `FL105`)",
    action: "Link two tasks of the organization (`tasks` lists them).",
  },
  FL201: {
    meaning: "Invalid pipeline configuration",
    when: '`createPipeline` / `updatePipeline` with a `definition`, `triggerConfig`, `concurrencyGroup` or name the database refuses: an unknown key, a bad value, a `needs` naming an unknown step, a cycle in `needs`, a name already used in the repository, `cancelInProgress` without a group, a change of `repositoryId`. `detail` names the offending path and what is wrong, like `steps[2].needs[0]: unknown step "tset"` or `steps[0].needs: cycle build → test → build`',
    action: "Correct the part `detail` points at. Nothing was changed.",
  },
  FL202: {
    meaning: "Status change not allowed",
    when: "A change of an execution's or step's status that its status machine does not allow: completing, starting or cancelling one that is already completed, starting a step twice (also when two runners race), completing a step that was never started (other than as `SKIPPED`), writing a log or adding an artifact to a step that is not running. `detail` is the refused change, like `COMPLETED → IN_PROGRESS`",
    action:
      "Read the current status first; re-run a completed execution (`rerunExecution`) instead of changing it.",
  },
  FL203: {
    meaning: "The pipeline is disabled",
    when: "`startExecution` or `rerunExecution` of a pipeline whose status is `DISABLED`",
    action: "Enable it first (`updatePipeline` with `status: ACTIVE`).",
  },
  FL204: {
    meaning: "Invalid run input",
    when: "`startExecution` with a malformed `event`, `branch`, `commitSha`, `pullRequestNumber` or `triggerMetadata`; `completeStep` with `metrics` or `error` that are not JSON objects (or over 64 KiB); an empty `appendStepLog`; `addArtifact` with a bad name, size, content type or checksum; a `cancelExecution` reason over 500 characters. `detail` names the argument",
    action: "Correct the argument `detail` names. Nothing was changed.",
  },
  FL205: {
    meaning: "The step cannot start yet",
    when: "`startStep` on a step whose `needs` have not all succeeded (`detail` lists them), or whose execution is not running (still `QUEUED`/`WAITING` for a slot, or completed)",
    action: "Start one of `readySteps(executionId)` instead, or wait for the execution to start.",
  },
  FL206: {
    meaning: "The step's log is full",
    when: "`appendStepLog` with a chunk that would take the step's log past its cap (4 MiB per step unless the operator set another with `forgeline limits`); the chunk is refused whole, `detail` gives the limit and the bytes written",
    action:
      "Write less (keep the full log as an artifact), or ask the operator for a higher limit.",
  },
  FL207: {
    meaning: "The execution cannot be re-run",
    when: "`rerunExecution` of an execution that is not completed, or that is not the latest attempt of its run (`detail` is the latest attempt's id; also when two re-runs race), or of a run with 100 attempts; `failedOnly: true` when no step failed",
    action: "Re-run the latest attempt once it has completed; re-run all steps when none failed.",
  },
  FL208: {
    meaning: "Invalid pipeline setting",
    when: "`updateOrganization` with `settings.artifact_retention_days` that is not a whole number from 1 to 365",
    action: "Give a number of days from 1 to 365, or leave the setting out for the default (90).",
  },
  FL901: {
    meaning: "Too many aliases in the operation",
    when: "An operation (its fragments included) has more aliased fields than `GRAPHQL_MAX_ALIASES` (default 20; aliases of `__typename` are free). Checked before the operation runs.",
    action: "Split the operation, or ask for fewer aliased copies of the same field.",
  },
  FL902: {
    meaning: "The operation is nested too deeply",
    when: "Selection sets deeper than `GRAPHQL_MAX_DEPTH` (default 10), lists nested deeper than `GRAPHQL_MAX_LIST_DEPTH` (default 4), or one field nested inside itself more than `GRAPHQL_MAX_SELF_REFERENTIAL_DEPTH` times (default 2; e.g. `users → organization → users → organization → users`). Introspection has its own, larger limits.",
    action: "Flatten the operation: fetch the inner level with a second request by id.",
  },
  FL903: {
    meaning: "The document is too large",
    when: "The GraphQL document has more lexical tokens than `GRAPHQL_MAX_TOKENS` (default 2,000); parsing stops there",
    action:
      "Send a smaller document (fewer fields, aliases or literal values; pass values as variables).",
  },
  FL904: {
    meaning: "The operation is too costly",
    when: "Its estimated cost (each field 1; a connection's selection multiplied by its `first`/`last`; nested connections multiply) is over `GRAPHQL_MAX_COST` (default 10,000). `extensions.cost` and `extensions.maxCost` give both numbers. Variables are taken into account.",
    action: "Ask for smaller pages or fewer nested connections, and page through the rest.",
  },
  FL905: {
    meaning: "A pagination argument is out of range",
    when: "`first` or `last` below 0 or above `GRAPHQL_MAX_PAGE_SIZE` (default 100); `offset` below 0 or above `GRAPHQL_MAX_OFFSET` (default 10,000); `offset` together with `last`. Literal values and variables alike.",
    action:
      "Use a page size between 0 and the maximum (`extensions.maxPageSize`) and page with cursors (`after`/`before`).",
  },
  FL906: {
    meaning: "A connection's items need `first` or `last`",
    when: "A connection that selects `nodes` or `edges` without a `first` or `last` argument (or with one whose variable is null). `totalCount`, `pageInfo` and aggregates alone need none.",
    action:
      "Pass `first: N` (or `last: N`), at most `GRAPHQL_MAX_PAGE_SIZE`, and page with `after`.",
  },
  FL907: {
    meaning: "The operation ran longer than the database allows",
    when: "A statement of the request's transaction ran past `API_STATEMENT_TIMEOUT_MS` (default 5,000 ms) and PostgreSQL cancelled it (SQLSTATE 57014); the transaction was rolled back, so nothing was changed",
    action:
      "Narrow the operation (filters on indexed columns, smaller pages); retrying the same operation will fail the same way.",
  },
  FL908: {
    meaning: "The answer is too large",
    when: "The JSON answer of an operation is larger than `API_MAX_RESPONSE_BYTES` (default 5,000,000 bytes); it is not sent. A mutation's changes were made.",
    action: "Ask for fewer fields or smaller pages.",
  },
  FL909: {
    meaning: "The operation took too long to plan or execute",
    when: "Grafast's planning budget (`GRAPHQL_PLANNING_TIMEOUT_MS`, default 1,000 ms) or execution budget (`GRAPHQL_EXECUTION_TIMEOUT_MS`, default 5,000 ms) ran out",
    action: "Simplify the operation (fewer fields, fragments and nested connections).",
  },
  FL910: {
    meaning: "Introspection is not allowed for this caller",
    when: "An operation selects `__schema` or `__type` while `GRAPHQL_INTROSPECTION` is `off`, or is `authenticated` (the production default) and the request has no verified token",
    action: "Use the published schema (data/schema.graphql), or send a token.",
  },
  FL911: {
    meaning: "Not a trusted document",
    when: "The request names a document id (`documentId`, `id` or Apollo's `extensions.persistedQuery.sha256Hash`) that is not in `GRAPHQL_TRUSTED_DOCUMENTS`, or sends a `query` text while `GRAPHQL_TRUSTED_DOCUMENTS_ONLY` is on (HTTP 400)",
    action:
      "Send the id of a document the server was deployed with; rebuild the client's persisted documents if it has changed.",
  },
  FL912: {
    meaning: "Too many operations open on one WebSocket connection",
    when: "A `subscribe` message on a connection that already holds `GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION` (default 20) operations open; the new one is refused, the others go on",
    action: "Complete a subscription you no longer need, or open another connection.",
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
  OVERLOADED: {
    meaning: "The API is at capacity (HTTP 503)",
    when: "More GraphQL requests arrived than the process serves at once (`API_MAX_CONCURRENT_REQUESTS`, by default its pool's size) and this one waited `API_QUEUE_TIMEOUT_MS` (default 5,000 ms) for a place, or `API_MAX_QUEUED_REQUESTS` (default 1,000) were already waiting; `Retry-After` and `extensions.retryAfter` say when to come back. Nothing was run",
    action:
      "Retry after `retryAfter` seconds, with backoff; an operator adds API processes or replicas (README, Scaling).",
  },
  GRAPHQL_PARSE_FAILED: {
    meaning: "The document is not valid GraphQL syntax",
    when: "The `query` does not parse (graphql-js syntax error); `locations` points at the error",
    action: "Fix the document's syntax.",
  },
  GRAPHQL_VALIDATION_FAILED: {
    meaning: "The document does not fit the schema",
    when: 'A GraphQL validation rule failed (unknown field, argument or type, missing required argument, wrong literal, …); or the operation to run cannot be chosen (`operationName` names none, or several operations and no name). In production the messages carry no "Did you mean …?" suggestions.',
    action: "Fix the document against the schema (data/schema.graphql).",
  },
  BAD_USER_INPUT: {
    meaning: "A variable or argument value is not acceptable",
    when: "A variable does not coerce to its declared type (wrong type, null for a non-null type, unknown enum value); other input the engine refuses, such as an invalid cursor",
    action: "Fix the variables or arguments the message names. A refused variable runs nothing.",
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
