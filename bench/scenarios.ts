/**
 * What the benchmark measures. A scenario is one request, repeated, against one
 * of the servers the runner starts (bench/run.ts):
 *
 *   api               `forgeline serve`, rate limiting off (RATE_LIMIT_PER_MINUTE=0)
 *   api-rate-limited  `forgeline serve` with a limit so high it never rejects, so
 *                     every request pays the charge and nothing else changes
 *   baseline          bench/baseline-server.ts: the same token check and SQL, no GraphQL
 *
 * Later modules add their scenarios here. `ratioTo` names the scenario whose
 * requests/s this one is compared with; `overheadOver` the one whose p50 it adds to.
 */
import assert from "node:assert/strict";

export type ServerKind = "api" | "api-rate-limited" | "baseline";

export interface Scenario {
  id: string;
  title: string;
  server: ServerKind;
  path: string;
  /** The request body (JSON). */
  body: string;
  /** Checks one answer before the load starts; throws with the reason. */
  check(answer: unknown): void;
  /** The scenario whose answer must be identical (same rows, same order). */
  sameAnswerAs?: string;
  ratioTo?: string;
  overheadOver?: string;
}

export const USERS_QUERY =
  "query Users { users(first: 20, orderBy: EMAIL_ASC) { nodes { rowId email name role } } }";

/** 20 users of the tenant, ordered by email, as the GraphQL API shapes them. */
function checkUserList(answer: unknown): void {
  const { data, errors } = answer as {
    data?: { users?: { nodes?: Array<Record<string, unknown>> } };
    errors?: unknown;
  };
  assert.equal(errors, undefined, `the answer has errors: ${JSON.stringify(errors)}`);
  const nodes = data?.users?.nodes;
  assert.ok(Array.isArray(nodes), `no users in the answer: ${JSON.stringify(answer)}`);
  assert.equal(nodes.length, 20, "expected 20 users");
  for (const node of nodes) {
    assert.deepEqual(Object.keys(node), ["rowId", "email", "name", "role"]);
  }
  const emails = nodes.map((n) => String(n.email));
  assert.deepEqual(emails, [...emails].sort(), "users are not in email order");
}

const graphqlBody = JSON.stringify({ query: USERS_QUERY, operationName: "Users" });

export const SCENARIOS: Scenario[] = [
  {
    id: "baseline",
    title: "users list: raw SQL baseline",
    server: "baseline",
    path: "/users",
    body: graphqlBody,
    check: checkUserList,
  },
  {
    id: "graphql",
    title: "users list: GraphQL",
    server: "api",
    path: "/graphql",
    body: graphqlBody,
    check: checkUserList,
    sameAnswerAs: "baseline",
    ratioTo: "baseline",
  },
  {
    id: "graphql-rate-limited",
    title: "users list: GraphQL + rate limit",
    server: "api-rate-limited",
    path: "/graphql",
    body: graphqlBody,
    check: checkUserList,
    sameAnswerAs: "graphql",
    ratioTo: "baseline",
    overheadOver: "graphql",
  },
];
