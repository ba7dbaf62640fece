/**
 * src/db/session.ts, the one way trusted TypeScript acts as a tenant or a user:
 * it sets exactly the settings the API's pgSettings give a request for the same
 * claims (so tests, seed, bench and jobs see what clients see), runs under RLS
 * as the visitor, commits or rolls back as asked, and rolls back when the work
 * throws.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asUser, withTenant } from "../../src/db/session.ts";
import { pgSettingsFor } from "../../src/server/auth.ts";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";

describe("acting as a tenant or a user", () => {
  const t = useTestDatabase();
  let org: OrgFixture;
  let other: OrgFixture;

  beforeAll(async () => {
    org = await createOrg(t, "session-a");
    other = await createOrg(t, "session-b");
  });

  const settingsNow = async (names: string[], c: import("pg").ClientBase) =>
    Object.fromEntries(
      await Promise.all(
        names.map(async (name) => {
          const { rows } = await c.query<{ v: string }>(
            "select coalesce(current_setting($1, true), '') as v",
            [name],
          );
          return [name, rows[0]!.v] as const;
        }),
      ),
    );

  it("gives trusted code the settings the API gives the same claims", async () => {
    const claims = { sub: "someone", orgId: org.orgId, userId: org.users.member, role: null };
    const expected = pgSettingsFor(claims, t.db.roles.visitor);
    const names = Object.keys(expected).filter((k) => k !== "role");
    const seen = await asUser(t.root, claims, async (c) => ({
      ...(await settingsNow(names, c)),
      role: (await c.query<{ r: string }>("select current_user as r")).rows[0]!.r,
    }));
    expect(seen).toEqual(expected);
    // Anonymous: the API sets only the role.
    const anonymous = await asUser(t.root, null, (c) => settingsNow(names, c));
    expect(Object.values(anonymous).every((v) => v === "")).toBe(true);
  });

  it("acts for a tenant under RLS and rolls back what a failing job did", async () => {
    const seen = await withTenant(t.root, { orgId: org.orgId, actor: "worker" }, async (c) => {
      const { rows } = await c.query<{ mine: number; theirs: number; role: string }>(
        `select (select count(*) from app_public.users where organization_id = $1)::int as mine,
                (select count(*) from app_public.users where organization_id = $2)::int as theirs,
                app_public.current_user_role()::text as role`,
        [org.orgId, other.orgId],
      );
      return rows[0];
    });
    expect(seen).toEqual({ mine: 4, theirs: 0, role: "admin" });

    await expect(
      withTenant(t.root, { orgId: org.orgId, actor: "worker" }, async (c) => {
        await c.query("update app_public.users set name = 'Changed' where id = $1", [
          org.users.member,
        ]);
        throw new Error("the job failed half-way");
      }),
    ).rejects.toThrow("the job failed half-way");
    const { rows } = await t.root.query("select name from app_public.users where id = $1", [
      org.users.member,
    ]);
    expect(rows).toEqual([{ name: "member of session-a" }]);
  });

  it("commits by default and rolls back on request", async () => {
    const rename = (name: string, rollback: boolean) =>
      withTenant(
        t.root,
        { orgId: org.orgId, actor: "seed" },
        (c) =>
          c.query("update app_public.users set name = $2 where id = $1", [org.users.viewer, name]),
        { rollback },
      );
    await rename("Kept", false);
    await rename("Dropped", true);
    const { rows } = await t.root.query("select name from app_public.users where id = $1", [
      org.users.viewer,
    ]);
    expect(rows).toEqual([{ name: "Kept" }]);
  });

  it("refuses a tenant that does not exist", async () => {
    const error = await withTenant(
      t.root,
      { orgId: "00000000-0000-4000-8000-000000000000", actor: "worker" },
      () => Promise.resolve(),
    ).catch((e: { code?: string }) => e.code);
    expect(error).toBe("FL003");
  });
});
