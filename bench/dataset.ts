/**
 * The benchmark's dataset, at the scale the original design names: 10,000
 * organizations, one of which (the "big tenant") has 1,000 users, and a few users
 * in every other one (~31,000 users in all).
 *
 * It is written as the superuser with set-based SQL (generate_series), in batches
 * so the progress bar moves. It bypasses the business functions
 * (create_organization, add_user) and every trigger (session_replication_role =
 * replica: no per-row validation, audit or job enqueueing) for speed, so it keeps
 * the data valid itself: every organization has an owner, slugs match the slug
 * rule, emails are unique and well formed, and every key is tenant-consistent.
 *
 * Ids are derived from the row's number (md5, shaped as a version-4 UUID), so two
 * runs build the same data and the big tenant's ids are known without a lookup.
 */
import pg from "pg";
import { progressBar } from "./progress.ts";

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

export interface Dataset {
  size: DatasetSize;
  organizations: number;
  users: number;
  /** The big tenant and its owner: the identity of the benchmark's token. */
  tenant: { orgId: string; ownerUserId: string; slug: string };
  seconds: number;
}

const BATCH = 1_000;

/** SQL: a deterministic version-4-shaped UUID from a text key. */
const uuidOf = (key: string) =>
  `overlay(overlay(md5(${key}) placing '4' from 13) placing '8' from 17)::uuid`;
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

/**
 * Runs `sql` for organizations 1..`organizations` in batches of BATCH ($1 = first,
 * $2 = last, then `extra`), one transaction each, moving a progress bar of
 * `rowsIn(1, organizations)` rows.
 */
async function inBatches(
  client: pg.Client,
  label: string,
  organizations: number,
  rowsIn: (from: number, to: number) => number,
  sql: string,
  extra: unknown[] = [],
): Promise<void> {
  const bar = progressBar(label, rowsIn(1, organizations));
  let done = 0;
  for (let from = 1; from <= organizations; from += BATCH) {
    const to = Math.min(organizations, from + BATCH - 1);
    await client.query("begin");
    // Superuser only: skips triggers (and the FK triggers: the ids are consistent by construction).
    await client.query("set local session_replication_role = replica");
    await client.query(sql, [from, to, ...extra]);
    await client.query("commit");
    done += rowsIn(from, to);
    bar.update(done);
  }
  bar.finish();
}

/** Builds the dataset in the (empty, migrated) database at `rootDbUrl` (a superuser URL). */
export async function buildDataset(rootDbUrl: string, size: DatasetSize): Promise<Dataset> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: rootDbUrl });
  await client.connect();
  try {
    const { organizations: orgs, bigTenantUsers: big, usersPerOrganization: per } = size;
    await inBatches(
      client,
      "organizations",
      orgs,
      (from, to) => to - from + 1,
      insertOrganizations,
    );
    const usersIn = (from: number, to: number) =>
      (to - from + 1) * per + (from === 1 ? big - per : 0);
    await inBatches(client, "users", orgs, usersIn, insertUsers, [big, per]);
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
