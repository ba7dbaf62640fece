/**
 * Query plans under tenant skew: one organization with many users among many
 * small ones. A page of a large tenant's users, ordered by email as the API asks,
 * must come from an ordered index scan that stops at the page, not from sorting
 * the whole tenant (migration 000003 tells the planner to expect large tenants).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asActor, useTestDatabase } from "../support/db.ts";
import { buildUsersDataset, QUICK_DATASET } from "../../bench/sets/users.ts";

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Actual Rows"?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe("plans under tenant skew", () => {
  const t = useTestDatabase();
  let big: { orgId: string; userId: string };

  beforeAll(async () => {
    // The benchmark's own dataset builder, at its quick size: random organization
    // ids and emails, as real data has (sequential ones would hide the problem).
    const dataset = await buildUsersDataset(t.db.rootDbUrl, QUICK_DATASET);
    big = { orgId: dataset.tenant.orgId, userId: dataset.tenant.ownerUserId };
  });

  it("pages a large tenant's users by email without sorting the whole tenant", async () => {
    const plan = await asActor(t, big, async (c) => {
      const { rows } = await c.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
        `explain (analyze, format json)
         select __users__."id" as "0", __users__."email" as "1", __users__."name" as "2", __users__."role"::text as "3"
           from "app_public"."users" as __users__
          order by __users__."email" asc, __users__."organization_id" asc, __users__."id" asc
          limit 21`,
      );
      return rows[0]!["QUERY PLAN"][0]!.Plan;
    });
    const all = nodes(plan);
    expect(all.map((n) => n["Node Type"])).not.toContain("Sort");
    const scan = all.find((n) => n["Relation Name"] === "users");
    expect(scan?.["Node Type"]).toBe("Index Scan");
    // It reads about one page, not the whole tenant.
    expect(scan?.["Actual Rows"]).toBeLessThanOrEqual(100);
  });
});
