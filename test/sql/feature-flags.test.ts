/**
 * Feature flags: global defaults, per-organization overrides set by admins and
 * owners (audited), and feature_enabled() answering for the current
 * organization; unknown names are FL010.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asActor, createOrg, sqlstate, useTestDatabase, type OrgFixture } from "../support/db.ts";

describe("feature flags", () => {
  const t = useTestDatabase();
  let org: OrgFixture;
  let other: OrgFixture;
  const as = (o: OrgFixture, role: keyof OrgFixture["users"]) => ({
    orgId: o.orgId,
    userId: o.users[role],
  });

  beforeAll(async () => {
    org = await createOrg(t, "ops");
    other = await createOrg(t, "ops-other");
  });

  it("answers from the global default until an admin overrides it, per organization", async () => {
    const enabled = (o: OrgFixture, name: string) =>
      asActor(
        t,
        as(o, "viewer"),
        async (c) =>
          (await c.query<{ on: boolean }>("select app_public.feature_enabled($1) as on", [name]))
            .rows[0]!.on,
      );
    expect(await enabled(org, "advanced_analytics")).toBe(false);
    expect(await enabled(org, "new_task_management")).toBe(true);
    await asActor(
      t,
      as(org, "admin"),
      (c) => c.query("select app_public.set_feature_flag('advanced_analytics', true)"),
      { commit: true },
    );
    expect(await enabled(org, "advanced_analytics")).toBe(true);
    expect(await enabled(other, "advanced_analytics")).toBe(false);
    const listed = await asActor(t, as(org, "member"), (c) =>
      c.query(
        "select f.name, app_public.feature_flags_enabled(f) as on from app_public.feature_flags f order by name",
      ),
    );
    expect(listed.rows).toEqual([
      { name: "advanced_analytics", on: true },
      { name: "ai_recommendations", on: false },
      { name: "new_task_management", on: true },
    ]);
    await asActor(
      t,
      as(org, "owner"),
      (c) => c.query("select app_public.set_feature_flag('advanced_analytics', null)"),
      { commit: true },
    );
    expect(await enabled(org, "advanced_analytics")).toBe(false);
    const audited = await t.root.query(
      "select action from app_public.audit_events where organization_id = $1 and table_name = 'app_public.organization_feature_flags' order by occurred_at, id",
      [org.orgId],
    );
    expect(audited.rows).toEqual([{ action: "insert" }, { action: "delete" }]);
  });

  it("lets only admins and owners toggle, and refuses unknown flags", async () => {
    expect(
      await sqlstate(
        asActor(t, as(org, "member"), (c) =>
          c.query("select app_public.set_feature_flag('ai_recommendations', true)"),
        ),
      ),
    ).toBe("FL002");
    expect(
      await sqlstate(
        asActor(t, as(org, "admin"), (c) =>
          c.query("select app_public.set_feature_flag('no_such_flag', true)"),
        ),
      ),
    ).toBe("FL010");
    expect(
      await sqlstate(
        asActor(t, as(org, "viewer"), (c) =>
          c.query("select app_public.feature_enabled('no_such_flag')"),
        ),
      ),
    ).toBe("FL010");
    expect(
      await sqlstate(
        asActor(t, as(org, "owner"), (c) =>
          c.query("insert into app_public.feature_flags (name, description) values ('x', 'y')"),
        ),
      ),
    ).toBe("42501");
  });
});
