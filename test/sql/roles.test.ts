/**
 * The role matrix of module 1: viewers read; members write their own profile;
 * admins manage users; owners manage the organization and its owners. Each cell
 * is asserted by outcome and, for refusals, by error code.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  asActor,
  asService,
  createOrg,
  sqlstate,
  useTestDatabase,
  type OrgFixture,
} from "../support/db.ts";

type Role = "owner" | "admin" | "member" | "viewer";
const ROLES: Role[] = ["owner", "admin", "member", "viewer"];

describe("role matrix", () => {
  const t = useTestDatabase();
  let org: OrgFixture;
  let n = 0;

  beforeEach(async () => {
    org = await createOrg(t, `matrix-${++n}`);
  });

  const as = (role: Role) => ({ orgId: org.orgId, userId: org.users[role] });

  /** Runs `sql` as `role` (rolled back); "ok" with the row count, or the SQLSTATE. */
  const attempt = async (role: Role, sql: string, params: unknown[] = []) => {
    try {
      const r = await asActor(t, as(role), (c) => c.query(sql, params));
      return `ok:${r.rowCount}`;
    } catch (e) {
      return String((e as { code?: string }).code);
    }
  };

  it("lets every role read its organization and users", async () => {
    for (const role of ROLES) {
      const r = await asActor(t, as(role), (c) =>
        c.query<{ orgs: number; users: number; me: string }>(
          `select (select count(*) from app_public.organizations)::int as orgs,
                  (select count(*) from app_public.users)::int as users,
                  app_public.current_user_role()::text as me`,
        ),
      );
      expect(r.rows[0]).toEqual({ orgs: 1, users: 4, me: role });
    }
  });

  it("lets only owners update and delete the organization", async () => {
    const update = "update app_public.organizations set name = 'Renamed' where id = $1";
    const del = "delete from app_public.organizations where id = $1";
    expect(await Promise.all(ROLES.map((r) => attempt(r, update, [org.orgId])))).toEqual([
      "ok:1",
      "ok:0",
      "ok:0",
      "ok:0",
    ]);
    expect(await Promise.all(ROLES.map((r) => attempt(r, del, [org.orgId])))).toEqual([
      "ok:1",
      "ok:0",
      "ok:0",
      "ok:0",
    ]);
  });

  it("lets members and above edit their own profile, viewers not", async () => {
    const results = await Promise.all(
      ROLES.map((r) =>
        attempt(
          r,
          "update app_public.users set name = 'Me' where organization_id = $1 and id = $2",
          [org.orgId, org.users[r]],
        ),
      ),
    );
    expect(results).toEqual(["ok:1", "ok:1", "ok:1", "ok:0"]);
  });

  it("lets admins and owners edit other users' profiles, members not", async () => {
    const other = (r: Role) => (r === "viewer" ? org.users.member : org.users.viewer);
    const results = await Promise.all(
      ROLES.map((r) =>
        attempt(
          r,
          "update app_public.users set name = 'Edited' where organization_id = $1 and id = $2",
          [org.orgId, other(r)],
        ),
      ),
    );
    expect(results).toEqual(["ok:1", "ok:1", "ok:0", "ok:0"]);
  });

  it("lets only owners edit an owner's profile", async () => {
    const edit =
      'update app_public.users set external_ids = \'{"github": "1"}\' where organization_id = $1 and id = $2';
    expect(await attempt("admin", edit, [org.orgId, org.users.owner])).toBe("ok:0");
    await asActor(
      t,
      as("owner"),
      (c) => c.query("select app_public.add_user('second@x.test', 'Second', 'owner')"),
      {
        commit: true,
      },
    );
    const second = await t.root.query<{ id: string }>(
      "select id from app_public.users where organization_id = $1 and email = 'second@x.test'",
      [org.orgId],
    );
    expect(await attempt("owner", edit, [org.orgId, second.rows[0]!.id])).toBe("ok:1");
  });

  it("never lets a visitor write role, email or ids directly", async () => {
    for (const col of ["role", "email", "organization_id", "id", "created_at"]) {
      expect(
        await attempt(
          "owner",
          `update app_public.users set ${col} = ${col} where organization_id = $1`,
          [org.orgId],
        ),
      ).toBe("42501");
    }
    expect(
      await attempt(
        "owner",
        "insert into app_public.users (organization_id, email, name) values ($1, 'x@y.z', 'X')",
        [org.orgId],
      ),
    ).toBe("42501");
    expect(
      await attempt("owner", "delete from app_public.users where organization_id = $1", [
        org.orgId,
      ]),
    ).toBe("42501");
  });

  it("lets admins and owners add users; only owners add owners", async () => {
    const add = "select app_public.add_user($1, 'New', $2)";
    expect(
      await Promise.all(ROLES.map((r) => attempt(r, add, [`new-${r}@x.test`, "member"]))),
    ).toEqual(["ok:1", "ok:1", "FL002", "FL002"]);
    expect(await attempt("admin", add, ["boss@x.test", "owner"])).toBe("FL002");
    expect(await attempt("owner", add, ["boss@x.test", "owner"])).toBe("ok:1");
  });

  it("refuses bad input and duplicate emails to add_user", async () => {
    const add = "select app_public.add_user($1, $2, 'member')";
    expect(await attempt("admin", add, ["not-an-email", "X"])).toBe("FL005");
    expect(await attempt("admin", add, ["ok@x.test", "  "])).toBe("FL005");
    // Emails are unique per organization, case-insensitively.
    expect(await attempt("admin", add, [`MEMBER@${"matrix-" + n}.TEST`, "Dup"])).toBe("FL007");
  });

  it("lets admins change roles below owner; only owners touch the owner role", async () => {
    const change = "select app_public.change_user_role($1, $2)";
    expect(await attempt("admin", change, [org.users.member, "viewer"])).toBe("ok:1");
    expect(await attempt("admin", change, [org.users.member, "owner"])).toBe("FL002");
    expect(await attempt("admin", change, [org.users.owner, "member"])).toBe("FL002");
    expect(await attempt("member", change, [org.users.viewer, "member"])).toBe("FL002");
    expect(await attempt("viewer", change, [org.users.viewer, "owner"])).toBe("FL002");
    expect(await attempt("owner", change, [org.users.admin, "owner"])).toBe("ok:1");
    expect(await attempt("owner", change, ["00000000-0000-4000-8000-000000000000", "member"])).toBe(
      "FL003",
    );
  });

  it("keeps at least one owner", async () => {
    expect(
      await attempt("owner", "select app_public.change_user_role($1, 'admin')", [org.users.owner]),
    ).toBe("FL004");
    expect(await attempt("owner", "select app_public.remove_user($1)", [org.users.owner])).toBe(
      "FL004",
    );
    // With a second owner, the first may step down, and the change applies at once.
    await asActor(
      t,
      as("owner"),
      (c) => c.query("select app_public.change_user_role($1, 'owner')", [org.users.admin]),
      {
        commit: true,
      },
    );
    const after = await asActor(t, as("owner"), async (c) => {
      await c.query("select app_public.change_user_role($1, 'member')", [org.users.owner]);
      return (
        await c.query<{ role: string }>("select app_public.current_user_role()::text as role")
      ).rows[0];
    });
    expect(after).toEqual({ role: "member" });
  });

  it("lets admins remove non-owners, owners remove owners, anyone remove themself", async () => {
    const remove = "select app_public.remove_user($1)";
    expect(await attempt("admin", remove, [org.users.member])).toBe("ok:1");
    expect(await attempt("member", remove, [org.users.viewer])).toBe("FL002");
    expect(await attempt("viewer", remove, [org.users.viewer])).toBe("ok:1");
    // A second owner, so that removing one is not the last-owner case.
    await asActor(
      t,
      as("owner"),
      (c) => c.query("select app_public.change_user_role($1, 'owner')", [org.users.admin]),
      {
        commit: true,
      },
    );
    expect(await attempt("owner", remove, [org.users.admin])).toBe("ok:1");
    // A removed user's token stops working at once: no role, nothing visible.
    const gone = await asActor(t, as("viewer"), async (c) => {
      await c.query(remove, [org.users.viewer]);
      return (
        await c.query<{ role: string | null; n: number }>(
          "select app_public.current_user_role() as role, (select count(*) from app_public.users)::int as n",
        )
      ).rows[0];
    });
    expect(gone).toEqual({ role: null, n: 0 });
  });

  it("cascades an organization's deletion to its users", async () => {
    await asActor(
      t,
      as("owner"),
      (c) => c.query("delete from app_public.organizations where id = $1", [org.orgId]),
      {
        commit: true,
      },
    );
    const { rows } = await t.root.query(
      "select count(*)::int as n from app_public.users where organization_id = $1",
      [org.orgId],
    );
    expect(rows[0]).toEqual({ n: 0 });
  });

  it("creates organizations only for signed-in callers, with valid and free slugs", async () => {
    const create = (sub: string | undefined, slug: string) =>
      sqlstate(
        asActor(t, sub === undefined ? null : { sub }, (c) =>
          c.query("select app_public.create_organization('Name', $1, 'Owner', 'o@x.test')", [slug]),
        ),
      );
    expect(await create(undefined, "fresh-slug")).toBe("FL001");
    expect(await create("someone", "Bad Slug")).toBe("FL005");
    expect(await create("someone", "-bad")).toBe("FL005");
    expect(await create("someone", org.orgId ? `matrix-${n}` : "")).toBe("FL006");
    const ok = await asActor(t, { sub: "someone" }, (c) =>
      c.query(
        "select role::text from app_public.create_organization('Name', 'fresh-slug', 'Owner', 'o@x.test')",
      ),
    );
    expect(ok.rows).toEqual([{ role: "owner" }]);
  });

  it("treats trusted code acting for a tenant (withTenant) as admin of that tenant only", async () => {
    const other = await createOrg(t, `matrix-other-${n}`);
    const client = await t.root.connect();
    try {
      const r = await asService(t, org.orgId, (c) =>
        c.query(
          `select app_public.current_user_role()::text as role, current_user as db_role,
                  (select count(*) from app_public.users)::int as users,
                  (select count(*) from app_public.users where organization_id = $1)::int as others`,
          [other.orgId],
        ),
      );
      expect(r.rows[0]).toEqual({
        role: "admin",
        db_role: t.db.roles.visitor,
        users: 4,
        others: 0,
      });
      // The same settings forged in a request's session (the authenticator's) grant nothing.
      const api = await t.client(t.db.authUrl);
      try {
        await api.query("begin");
        await api.query(`set local role ${api.escapeIdentifier(t.db.roles.visitor)}`);
        await api.query(
          "select set_config('jwt.claims.org_id', $1, true), set_config('forgeline.service_tenant', $1, true)",
          [org.orgId],
        );
        const forged = await api.query("select app_public.current_user_role()::text as role");
        expect(forged.rows).toEqual([{ role: null }]);
      } finally {
        await api.end();
      }
      expect(
        await sqlstate(
          client.query(
            "select app_private.set_current_tenant('00000000-0000-4000-8000-000000000000')",
          ),
        ),
      ).toBe("FL003");
      expect(
        await sqlstate(
          asActor(t, as("owner"), (c) =>
            c.query("select app_private.set_current_tenant($1)", [org.orgId]),
          ),
        ),
      ).toBe("42501");
      expect(await sqlstate(client.query("select app_private.set_current_tenant(null)"))).toBe(
        "FL008",
      );
    } finally {
      client.release();
    }
  });
});
