/**
 * The GraphQL API over real HTTP: authentication outcomes (good, expired, wrongly
 * signed, malformed, missing tokens), tenant isolation through the API (including
 * node ids of another tenant's rows), mutations with their error codes, and the
 * health and readiness probes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { useTestDatabase, createOrg, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi, TEST_SECRET, ISSUER, AUDIENCE } from "../support/api.ts";
import { latestCommittedHash } from "../../src/db/migrate.ts";

describe("GraphQL over HTTP", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);
  let a: OrgFixture;
  let b: OrgFixture;
  const tokenFor = (org: OrgFixture, role: keyof OrgFixture["users"], extra = {}) =>
    token({ orgId: org.orgId, userId: org.users[role], ...extra });

  beforeAll(async () => {
    a = await createOrg(t, "api-a");
    b = await createOrg(t, "api-b");
  });

  describe("probes", () => {
    it("answers /healthz without the database", async () => {
      const res = await fetch(`${ctx.api.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
    });

    it("answers /readyz with the current migration", async () => {
      const res = await fetch(`${ctx.api.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "ready", migration: latestCommittedHash() });
    });

    it("answers unknown paths with 404", async () => {
      expect((await fetch(`${ctx.api.url}/nope`)).status).toBe(404);
    });

    it("serves Ruru at /graphiql when enabled", async () => {
      const res = await fetch(`${ctx.api.url}/graphiql`, { headers: { accept: "text/html" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await res.text()).toMatch(/ruru/i);
    });
  });

  describe("authentication", () => {
    const query = "{ organizations(first: 10) { nodes { name } } }";

    it("serves a valid token's organization", async () => {
      const res = await gql(ctx, query, {}, await tokenFor(a, "viewer"));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { organizations: { nodes: [{ name: "api-a" }] } } });
    });

    it("treats a request without a token as anonymous, which sees nothing", async () => {
      const res = await gql(
        ctx,
        "{ organizations(first: 10) { nodes { name } } users(first: 10) { nodes { email } } currentUser { email } }",
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        data: { organizations: { nodes: [] }, users: { nodes: [] }, currentUser: null },
      });
    });

    it("refuses an expired token with 401", async () => {
      const expired = await new SignJWT({ org_id: a.orgId, user_id: a.users.owner })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("x")
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
        .sign(new TextEncoder().encode(TEST_SECRET));
      const res = await gql(ctx, query, {}, expired);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("TOKEN_EXPIRED");
    });

    it("refuses a wrongly signed token with 401", async () => {
      const forged = await token({
        orgId: a.orgId,
        userId: a.users.owner,
        secret: "another-secret-also-long-enough-to-use!!",
      });
      const res = await gql(ctx, query, {}, forged);
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("TOKEN_INVALID");
    });

    it("refuses a token for another audience or issuer with 401", async () => {
      for (const claims of [{ audience: "someone-else" }, { issuer: "someone-else" }]) {
        const res = await gql(
          ctx,
          query,
          {},
          await token({ orgId: a.orgId, userId: a.users.owner, ...claims }),
        );
        expect(res.status).toBe(401);
      }
    });

    it("refuses an unsigned (alg none) token and a malformed header with 401", async () => {
      const header = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
      const payload = Buffer.from(
        JSON.stringify({
          sub: "x",
          org_id: a.orgId,
          user_id: a.users.owner,
          iss: ISSUER,
          aud: AUDIENCE,
          exp: 9999999999,
        }),
      ).toString("base64url");
      expect((await gql(ctx, query, {}, `${header}.${payload}.`)).status).toBe(401);
      const res = await gql(ctx, query, {}, undefined, { authorization: "Basic abc" });
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("TOKEN_MALFORMED");
    });

    it("refuses claims of the wrong shape, such as a role naming a database role", async () => {
      const bad = await token({ orgId: a.orgId, userId: a.users.owner, role: "postgres" });
      const res = await gql(ctx, query, {}, bad);
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("TOKEN_MALFORMED");
    });

    it("does not let a token's role claim raise the user's stored role", async () => {
      const res = await gql(
        ctx,
        `mutation($id: UUID!) { changeUserRole(input: { userId: $id, role: OWNER }) { user { role } } }`,
        { id: a.users.viewer },
        await tokenFor(a, "viewer", { role: "owner" }),
      );
      expect(res.body.errors?.[0]?.extensions?.code).toBe("FL002");
    });
  });

  describe("tenancy through the API", () => {
    it("resolves another tenant's node id to null", async () => {
      const mine = await gql<{ currentUser: { id: string } }>(
        ctx,
        "{ currentUser { id } }",
        {},
        await tokenFor(b, "owner"),
      );
      const nodeIdOfB = mine.body.data!.currentUser.id;
      const res = await gql(
        ctx,
        "query($id: ID!) { node(id: $id) { id } }",
        { id: nodeIdOfB },
        await tokenFor(a, "owner"),
      );
      expect(res.body).toEqual({ data: { node: null } });
      const own = await gql(
        ctx,
        "query($id: ID!) { node(id: $id) { id } }",
        { id: nodeIdOfB },
        await tokenFor(b, "owner"),
      );
      expect(own.body).toEqual({ data: { node: { id: nodeIdOfB } } });
    });

    it("looks up another tenant's user by key as null", async () => {
      const res = await gql(
        ctx,
        "query($id: UUID!) { user(rowId: $id) { email } }",
        { id: b.users.owner },
        await tokenFor(a, "owner"),
      );
      expect(res.body).toEqual({ data: { user: null } });
    });

    it("updates nothing of another tenant through updateUser, and says so with FL003", async () => {
      const res = await gql(
        ctx,
        `mutation($id: UUID!) { updateUser(input: { rowId: $id, patch: { name: "Hacked" } }) { user { name } } }`,
        { id: b.users.member },
        await tokenFor(a, "owner"),
      );
      // PostGraphile alone answers an update of a row RLS hides with a null record and
      // no error; like a delete, it is FL003 (src/server/plugins/missing-rows.ts).
      expect(res.body).toMatchObject({
        data: { updateUser: null },
        errors: [
          {
            message: "No row to update was found in the current organization",
            path: ["updateUser"],
            extensions: { code: "FL003" },
          },
        ],
      });
      const { rows } = await t.root.query("select name from app_public.users where id = $1", [
        b.users.member,
      ]);
      expect(rows).toEqual([{ name: "member of api-b" }]);
    });
  });

  describe("update… and delete… of a row that cannot be changed", () => {
    const updateUser = `mutation($id: UUID!, $name: String!) {
      updateUser(input: { rowId: $id, patch: { name: $name }, clientMutationId: "m1" }) { clientMutationId user { name } } }`;
    const updateOrganization = `mutation($id: UUID!) {
      updateOrganization(input: { rowId: $id, patch: { name: "Renamed" } }) { organization { name } } }`;
    const deleteOrganization = `mutation($id: UUID!) {
      deleteOrganization(input: { rowId: $id }) { organization { rowId } } }`;
    const code = (res: { body: { errors?: Array<{ extensions?: Record<string, unknown> }> } }) =>
      res.body.errors?.map((e) => e.extensions?.code);

    it("answers a missing or hidden row FL003, for update as for delete", async () => {
      const owner = await tokenFor(a, "owner");
      const missing = "00000000-0000-4000-8000-000000000000";
      expect(code(await gql(ctx, updateUser, { id: missing, name: "X" }, owner))).toEqual([
        "FL003",
      ]);
      expect(code(await gql(ctx, updateOrganization, { id: b.orgId }, owner))).toEqual(["FL003"]);
      expect(code(await gql(ctx, deleteOrganization, { id: b.orgId }, owner))).toEqual(["FL003"]);
    });

    it("answers a row the caller sees but whose role may not change it FL002", async () => {
      // A member sees the other users but may edit only their own profile.
      const byMember = await gql(
        ctx,
        updateUser,
        { id: a.users.viewer, name: "X" },
        await tokenFor(a, "member"),
      );
      expect(byMember.body).toMatchObject({
        data: { updateUser: null },
        errors: [
          {
            message: "Your role in this organization may not update this row",
            extensions: { code: "FL002" },
          },
        ],
      });
      // Only an owner renames or deletes the organization an admin sees.
      const admin = await tokenFor(a, "admin");
      expect(code(await gql(ctx, updateOrganization, { id: a.orgId }, admin))).toEqual(["FL002"]);
      const deleted = await gql(ctx, deleteOrganization, { id: a.orgId }, admin);
      expect(deleted.body).toMatchObject({
        data: { deleteOrganization: null },
        errors: [
          {
            message: "Your role in this organization may not delete this row",
            extensions: { code: "FL002" },
          },
        ],
      });
      const { rows } = await t.root.query(
        "select name from app_public.organizations where id = $1",
        [a.orgId],
      );
      expect(rows).toEqual([{ name: "api-a" }]);
      // Refusals are the caller's: nothing masked, nothing logged as an error.
      expect(ctx.errors).toEqual([]);
    });

    it("answers each mutation of a document on its own", async () => {
      const res = await gql(
        ctx,
        `mutation($theirs: UUID!, $mine: UUID!) {
           hidden: updateUser(input: { rowId: $theirs, patch: { name: "X" } }) { user { name } }
           mine: updateUser(input: { rowId: $mine, patch: { name: "Owner of api-a" } }) { user { name } } }`,
        { theirs: b.users.owner, mine: a.users.owner },
        await tokenFor(a, "owner"),
      );
      expect(res.body).toMatchObject({
        data: { hidden: null, mine: { user: { name: "Owner of api-a" } } },
        errors: [{ path: ["hidden"], extensions: { code: "FL003" } }],
      });
      expect(res.body.errors).toHaveLength(1);
    });

    it("still answers a change it may make with the record and clientMutationId", async () => {
      const res = await gql(
        ctx,
        updateUser,
        { id: a.users.member, name: "Member, renamed" },
        await tokenFor(a, "member"),
      );
      expect(res.body).toEqual({
        data: { updateUser: { clientMutationId: "m1", user: { name: "Member, renamed" } } },
      });
      // Other errors keep their own code: a check violation is not "missing".
      const bad = await gql(
        ctx,
        `mutation($id: UUID!) { updateUser(input: { rowId: $id, patch: { settings: [1] } }) { user { name } } }`,
        { id: a.users.member },
        await tokenFor(a, "member"),
      );
      expect(code(bad)).toEqual(["23514"]);
    });
  });

  describe("organizations and users", () => {
    it("creates an organization for a token without one, and serves it with the next token", async () => {
      const created = await gql<{
        createOrganization: { user: { rowId: string; organizationId: string; role: string } };
      }>(
        ctx,
        `mutation { createOrganization(input: { name: "Gamma", slug: "gamma", ownerName: "Gina", ownerEmail: "gina@gamma.test" }) {
           user { rowId organizationId role } } }`,
        {},
        await token({ sub: "gina" }),
      );
      const user = created.body.data!.createOrganization.user;
      expect(user.role).toBe("OWNER");
      const next = await token({ orgId: user.organizationId, userId: user.rowId });
      const me = await gql(
        ctx,
        "{ currentUser { name role } currentOrganization { slug } }",
        {},
        next,
      );
      expect(me.body).toEqual({
        data: {
          currentUser: { name: "Gina", role: "OWNER" },
          currentOrganization: { slug: "gamma" },
        },
      });
    });

    it("refuses createOrganization without a token (FL001) and for a taken slug (FL006)", async () => {
      const m = `mutation { createOrganization(input: { name: "X", slug: "api-a", ownerName: "X", ownerEmail: "x@x.test" }) { user { rowId } } }`;
      expect((await gql(ctx, m)).body.errors?.[0]?.extensions?.code).toBe("FL001");
      const taken = await gql(ctx, m, {}, await token({ sub: "x" }));
      expect(taken.body.errors?.[0]).toMatchObject({
        message: expect.stringContaining("already taken") as unknown,
        extensions: { code: "FL006" },
      });
    });

    it("adds, re-roles and removes users with registered codes for refusals", async () => {
      const admin = await tokenFor(a, "admin");
      const added = await gql<{ addUser: { user: { rowId: string; role: string } } }>(
        ctx,
        `mutation { addUser(input: { email: "dora@api-a.test", name: "Dora" }) { user { rowId role } } }`,
        {},
        admin,
      );
      const dora = added.body.data!.addUser.user;
      expect(dora.role).toBe("MEMBER");
      const dup = await gql(
        ctx,
        `mutation { addUser(input: { email: "DORA@api-a.test", name: "D2" }) { user { rowId } } }`,
        {},
        admin,
      );
      expect(dup.body.errors?.[0]?.extensions?.code).toBe("FL007");
      const promoted = await gql(
        ctx,
        `mutation($id: UUID!) { changeUserRole(input: { userId: $id, role: ADMIN }) { user { role } } }`,
        { id: dora.rowId },
        admin,
      );
      expect(promoted.body).toEqual({ data: { changeUserRole: { user: { role: "ADMIN" } } } });
      const byMember = await gql(
        ctx,
        `mutation($id: UUID!) { removeUser(input: { userId: $id }) { user { rowId } } }`,
        { id: dora.rowId },
        await tokenFor(a, "member"),
      );
      expect(byMember.body.errors?.[0]?.extensions?.code).toBe("FL002");
      const removed = await gql(
        ctx,
        `mutation($id: UUID!) { removeUser(input: { userId: $id }) { user { rowId } } }`,
        { id: dora.rowId },
        admin,
      );
      expect(removed.body).toEqual({ data: { removeUser: { user: { rowId: dora.rowId } } } });
      const lastOwner = await gql(
        ctx,
        `mutation($id: UUID!) { removeUser(input: { userId: $id }) { user { rowId } } }`,
        { id: a.users.owner },
        await tokenFor(a, "owner"),
      );
      expect(lastOwner.body.errors?.[0]?.extensions?.code).toBe("FL004");
    });

    it("validates direct organization updates with registered codes", async () => {
      const update = async (slug: string) =>
        gql(
          ctx,
          `mutation($id: UUID!, $slug: String!) { updateOrganization(input: { rowId: $id, patch: { slug: $slug } }) { organization { slug } } }`,
          { id: a.orgId, slug },
          await tokenFor(a, "owner"),
        );
      expect((await update("api-b")).body.errors?.[0]?.extensions?.code).toBe("FL006");
      expect((await update("Not A Slug")).body.errors?.[0]?.extensions?.code).toBe("FL005");
    });

    it("passes constraint violations through with their SQLSTATE", async () => {
      const res = await gql(
        ctx,
        `mutation($id: UUID!) { updateUser(input: { rowId: $id, patch: { settings: [1, 2] } }) { user { settings } } }`,
        { id: a.users.member },
        await tokenFor(a, "member"),
      );
      expect(res.body.errors?.[0]?.extensions).toMatchObject({
        code: "23514",
        reason: "CHECK_VIOLATION",
      });
    });

    it("filters users and counts them with aggregates, which organizations do not offer", async () => {
      const res = await gql(
        ctx,
        `{ users(first: 10, filter: { role: { in: [ADMIN, OWNER] } }, orderBy: EMAIL_ASC) { totalCount aggregates { distinctCount { email } } nodes { email } } }`,
        {},
        await tokenFor(a, "viewer"),
      );
      expect(res.body).toEqual({
        data: {
          users: {
            totalCount: 2,
            aggregates: { distinctCount: { email: "2" } },
            nodes: [{ email: "admin@api-a.test" }, { email: "owner@api-a.test" }],
          },
        },
      });
      const orgs = await gql(
        ctx,
        "{ organizations { aggregates { __typename } } }",
        {},
        await tokenFor(a, "viewer"),
      );
      expect(orgs.body.errors?.[0]?.message).toMatch(/Cannot query field "aggregates"/);
    });

    it("does not expose trusted functions", async () => {
      const res = await gql(ctx, `{ __schema { mutationType { fields { name } } } }`);
      const names = (
        res.body.data as { __schema: { mutationType: { fields: Array<{ name: string }> } } }
      ).__schema.mutationType.fields.map((f) => f.name);
      expect(names).toEqual(
        expect.arrayContaining(["createOrganization", "addUser", "changeUserRole", "removeUser"]),
      );
      expect(
        names.some(
          (n) =>
            /tenant|createUser|deleteUser|createOrganizationRow/i.test(n) &&
            n !== "createOrganization",
        ),
      ).toBe(false);
    });
  });
});
