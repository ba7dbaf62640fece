/**
 * Organizations & users (module 1): the list read every other module's reads
 * look like, measured
 *
 *   - over HTTP: the GraphQL API (plain, with its operation limits switched off, with the
 *     rate limiter charging every request) against the raw-SQL baseline of the
 *     same statement in the API's transaction shape;
 *   - in the database: the policy path, that transaction shape (the claims as
 *     settings, through asUser, then the 20-row list under RLS as the visitor)
 *     against the same statement with RLS bypassed (as the superuser, the
 *     policy's filter written out), from N pg connections without HTTP.
 *
 * Dataset: 10,000 organizations; organization 1 (the "big tenant", whose owner
 * every scenario acts as) has 1,000 users, every other one 3 (~31,000 users). It
 * is written as the superuser with set-based SQL (generate_series), in batches
 * so the progress bar moves, bypassing the business functions (create_
 * organization, add_user) and every trigger for speed, so it keeps the data
 * valid itself: every organization has an owner, slugs match the slug rule,
 * emails are unique and well formed, and every key is tenant-consistent. Ids are
 * derived from the row's number, so two runs build the same data.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { inBatches, uuidOf } from "../dataset-tools.ts";
import { defineSet, SUPERUSER, type ApiServerSpec, type Row } from "../set.ts";

export interface DatasetSize {
  organizations: number;
  /** Users of organization 1, the tenant the read scenarios act for. */
  bigTenantUsers: number;
  /** Users of every other organization. */
  usersPerOrganization: number;
}

export const FULL_DATASET: DatasetSize = {
  organizations: 10_000,
  bigTenantUsers: 1_000,
  usersPerOrganization: 3,
};

export const QUICK_DATASET: DatasetSize = {
  organizations: 1_000,
  bigTenantUsers: 200,
  usersPerOrganization: 3,
};

export interface UsersDataset {
  size: DatasetSize;
  organizations: number;
  users: number;
  /** The big tenant and its owner: the identity of the scenarios. */
  tenant: { orgId: string; ownerUserId: string; slug: string };
  seconds: number;
}

const orgKey = (n: string) => `'forgeline-bench/org/' || ${n}`;
const userKey = (n: string, k: string) => `'forgeline-bench/user/' || ${n} || '/' || ${k}`;

const insertOrganizations = `
  insert into app_public.organizations (id, name, slug, created_at, updated_at)
  select ${uuidOf(orgKey("n"))}, 'Bench organization ' || n, 'bench-org-' || n, now(), now()
    from generate_series($1::int, $2::int) n`;

/*
 * Organization n has $3 users if it is the big tenant (n = 1), else $4. User 1
 * is the owner; in the big tenant every 50th user is an admin and every 10th a
 * viewer. The email starts with a hash so that email order (the list scenarios'
 * order) is unrelated to insertion order, as it is in real data.
 */
const insertUsers = `
  insert into app_public.users (organization_id, id, email, name, role, created_at, updated_at)
  select ${uuidOf(orgKey("n"))},
         ${uuidOf(userKey("n", "k"))},
         left(md5(${userKey("n", "k")}), 10) || '.' || k || '@org-' || n || '.bench.example',
         'Bench user ' || k || ' of organization ' || n,
         (case when k = 1 then 'owner'
               when k % 50 = 0 then 'admin'
               when k % 10 = 0 then 'viewer'
               else 'member' end)::app_public.user_role,
         now(), now()
    from generate_series($1::int, $2::int) n
   cross join lateral generate_series(1, case when n = 1 then $3::int else $4::int end) k`;

/** Builds the dataset in the (empty, migrated) database at `rootDbUrl` (a superuser URL). */
export async function buildUsersDataset(
  rootDbUrl: string,
  size: DatasetSize,
): Promise<UsersDataset> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: rootDbUrl });
  await client.connect();
  try {
    const { organizations: orgs, bigTenantUsers: big, usersPerOrganization: per } = size;
    await inBatches(client, {
      label: "organizations",
      count: orgs,
      rowsIn: (from, to) => to - from + 1,
      sql: insertOrganizations,
    });
    await inBatches(client, {
      label: "users",
      count: orgs,
      rowsIn: (from, to) => (to - from + 1) * per + (from === 1 ? big - per : 0),
      sql: insertUsers,
      extra: [big, per],
    });
    process.stderr.write("[bench] vacuum analyze\n");
    await client.query("vacuum (analyze) app_public.organizations, app_public.users");

    const { rows } = await client.query<{
      organizations: number;
      users: number;
      org_id: string;
      user_id: string;
      slug: string;
    }>(
      `select (select count(*)::int from app_public.organizations) as organizations,
              (select count(*)::int from app_public.users) as users,
              o.id as org_id, u.id as user_id, o.slug
         from app_public.organizations o
         join app_public.users u on u.organization_id = o.id and u.role = 'owner'
        where o.id = ${uuidOf(orgKey("1"))}`,
    );
    const row = rows[0];
    if (!row) throw new Error("The dataset has no big tenant with an owner");
    return {
      size,
      organizations: row.organizations,
      users: row.users,
      tenant: { orgId: row.org_id, ownerUserId: row.user_id, slug: row.slug },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await client.end();
  }
}

export const USERS_QUERY =
  "query Users { users(first: 20, orderBy: EMAIL_ASC) { nodes { rowId email name role } } }";

const graphqlBody = JSON.stringify({ query: USERS_QUERY, operationName: "Users" });

/*
 * The statement PostGraphile 5.1.5 sends for USERS_QUERY, copied from the
 * server's log (log_statement = 'all') on the bench database: no WHERE (RLS
 * filters by the claims), the connection's unique order (email, then the primary
 * key), 20 rows.
 */
const listUsers = (where = "") => `select
	__users__."id" as "0",
	__users__."email" as "1",
	__users__."name" as "2",
	__users__."role"::text as "3"
	from "app_public"."users" as __users__${where}
	order by __users__."email" asc, __users__."organization_id" asc, __users__."id" asc
	limit 20;`;

const LIST_USERS = listUsers();

/** The same statement with the policy's filter written out, for a session that bypasses RLS. */
const LIST_USERS_OF_ORG = listUsers(`\n\twhere __users__."organization_id" = $1::uuid`);

/** The rows of LIST_USERS as the GraphQL API answers them (USERS_QUERY). */
function asGraphqlAnswer(results: Row[][]): unknown {
  const rows = results[0] ?? [];
  return {
    data: {
      users: {
        nodes: rows.map((r) => ({
          rowId: r["0"],
          email: r["1"],
          name: r["2"],
          // A GraphQL enum value: PostGraphile names them in upper case.
          role: String(r["3"]).toUpperCase(),
        })),
      },
    },
  };
}

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

/** A limit no run can reach: every request is charged, none is refused. */
const UNREACHABLE_LIMIT = "100000000";

const RATE_LIMITED: ApiServerSpec = {
  name: "api-rate-limited",
  env: { RATE_LIMIT_PER_MINUTE: UNREACHABLE_LIMIT },
  description: `forgeline serve, NODE_ENV=production, RATE_LIMIT_PER_MINUTE=${UNREACHABLE_LIMIT}`,
  // Without these headers the rate-limited run measured the same API as the plain one.
  evidenceHeader: /^ratelimit/i,
};

/* The GraphQL operation limits switched off (src/config.ts, GRAPHQL_OPERATION_LIMITS). */
const LIMITS_OFF_SERVER: ApiServerSpec = {
  name: "api-limits-off",
  env: { GRAPHQL_OPERATION_LIMITS: "off" },
  description: "forgeline serve, NODE_ENV=production, GRAPHQL_OPERATION_LIMITS=off",
};

export default defineSet<UsersDataset>({
  name: "users",
  description: "Organizations & users: the users list over GraphQL, its raw SQL, the policy path",
  async dataset({ rootDbUrl, quick, log }) {
    const size = quick ? QUICK_DATASET : FULL_DATASET;
    log(
      `users: ${size.organizations} organizations, ${size.bigTenantUsers} users in one, ` +
        `${size.usersPerOrganization} in each other`,
    );
    const data = await buildUsersDataset(rootDbUrl, size);
    log(
      `users: ${data.organizations} organizations, ${data.users} users in ${data.seconds.toFixed(1)} s`,
    );
    return {
      data,
      summary: {
        ...size,
        organizationsBuilt: data.organizations,
        usersBuilt: data.users,
        buildSeconds: Math.round(data.seconds * 10) / 10,
        tenant: data.tenant,
      },
    };
  },
  identities: {
    owner: (d) => ({
      kind: "user",
      sub: "bench",
      orgId: d.tenant.orgId,
      userId: d.tenant.ownerUserId,
      role: "owner",
    }),
  },
  scenarios: [
    {
      kind: "raw",
      id: "baseline",
      title: "users list: raw SQL baseline",
      identity: "owner",
      statements: [{ text: LIST_USERS }],
      body: graphqlBody,
      answer: asGraphqlAnswer,
      check: checkUserList,
    },
    {
      kind: "api",
      id: "graphql",
      title: "users list: GraphQL",
      identity: "owner",
      body: graphqlBody,
      check: checkUserList,
      sameAnswerAs: "baseline",
      ratioTo: "baseline",
      overheadOver: "graphql-limits-off",
    },
    {
      kind: "api",
      id: "graphql-limits-off",
      title: "users list: GraphQL, operation limits off",
      identity: "owner",
      server: LIMITS_OFF_SERVER,
      body: graphqlBody,
      check: checkUserList,
      sameAnswerAs: "graphql",
      ratioTo: "baseline",
    },
    {
      kind: "api",
      id: "graphql-rate-limited",
      title: "users list: GraphQL + rate limit",
      identity: "owner",
      server: RATE_LIMITED,
      body: graphqlBody,
      check: checkUserList,
      sameAnswerAs: "graphql",
      ratioTo: "baseline",
      overheadOver: "graphql",
    },
    {
      kind: "sql",
      id: "policy-rls",
      title: "users list: SQL, RLS (asUser)",
      as: "owner",
      statements: [{ text: LIST_USERS }],
      answer: asGraphqlAnswer,
      check: checkUserList,
      sameAnswerAs: "baseline",
      ratioTo: "policy-bypass",
    },
    {
      kind: "sql",
      id: "policy-bypass",
      title: "users list: SQL, RLS bypassed",
      as: SUPERUSER,
      statements: [{ text: LIST_USERS_OF_ORG, values: (d) => [d.tenant.orgId] }],
      answer: asGraphqlAnswer,
      check: checkUserList,
      sameAnswerAs: "policy-rls",
    },
  ],
  targets: [
    {
      description: "GraphQL list ≥ 1,000 req/s",
      scenario: "graphql",
      connections: 10,
      metric: "throughput",
      atLeast: 1000,
    },
    {
      description: "GraphQL list p95 ≤ 10 ms",
      scenario: "graphql",
      connections: 10,
      metric: "p95",
      atMost: 10,
    },
    {
      description: "GraphQL ≥ 0.8 × raw baseline req/s",
      scenario: "graphql",
      connections: 10,
      metric: "ratio",
      atLeast: 0.8,
    },
    {
      description: "operation limits ≤ 5 % on p50",
      scenario: "graphql",
      connections: 10,
      metric: "p50Overhead",
      atMost: 5,
    },
    {
      description: "rate-limit charge ≤ 10 % on p50",
      scenario: "graphql-rate-limited",
      connections: 10,
      metric: "p50Overhead",
      atMost: 10,
    },
    {
      // The figure landed before the last migration (~3,000–3,900 tx/s); pgbench
      // on this shape gave ~4,600–6,500 tx/s on a 2-core machine.
      description: "policy path under RLS ≥ 3,000 calls/s",
      scenario: "policy-rls",
      connections: 10,
      metric: "throughput",
      atLeast: 3000,
    },
  ],
});
