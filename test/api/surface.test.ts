/**
 * The GraphQL surface decided once for every module (src/server/plugins/surface.ts,
 * docs/adding-a-module.md): rows are addressed by `rowId` alone, never with an
 * `organizationId` the token implies; one update and one delete per row, by
 * primary key; no per-type `…ById` fields beside `node(id:)`; enum values in
 * ALL_CAPS; and relations over composite tenant keys still resolve, inside the
 * token's organization only.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asActor, createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi } from "../support/api.ts";

interface TypeInfo {
  __type: {
    inputFields?: Array<{ name: string }> | null;
    enumValues?: Array<{ name: string }> | null;
    fields?: Array<{ name: string; args: Array<{ name: string }> }> | null;
  } | null;
}

describe("the GraphQL surface", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);
  let a: OrgFixture;
  let b: OrgFixture;
  let owner: string;

  beforeAll(async () => {
    a = await createOrg(t, "surface-a");
    b = await createOrg(t, "surface-b");
    owner = await token({ orgId: a.orgId, userId: a.users.owner });
  });

  const typeInfo = async (name: string) =>
    (
      await gql<TypeInfo>(
        ctx,
        `query($name: String!) { __type(name: $name) {
           inputFields { name } enumValues { name } fields { name args { name } } } }`,
        { name },
        owner,
      )
    ).body.data!.__type!;

  it("addresses a row by rowId alone: no organizationId in inputs or lookups", async () => {
    expect((await typeInfo("UpdateUserInput")).inputFields!.map((f) => f.name).sort()).toEqual([
      "clientMutationId",
      "patch",
      "rowId",
    ]);
    const query = await typeInfo("Query");
    const user = query.fields!.find((f) => f.name === "user")!;
    expect(user.args.map((a) => a.name)).toEqual(["rowId"]);
    const renamed = await gql(
      ctx,
      `mutation($id: UUID!) { updateUser(input: { rowId: $id, patch: { name: "Mona" } }) { user { name organizationId } } }`,
      { id: a.users.member },
      owner,
    );
    expect(renamed.body).toEqual({
      data: { updateUser: { user: { name: "Mona", organizationId: a.orgId } } },
    });
    // The same rowId of another organization's user is simply not found.
    const theirs = await gql(
      ctx,
      "query($id: UUID!) { user(rowId: $id) { name } }",
      { id: b.users.member },
      owner,
    );
    expect(theirs.body).toEqual({ data: { user: null } });
  });

  it("has one update and one delete per table, by primary key, and no …ById fields", async () => {
    const mutations = (await typeInfo("Mutation")).fields!.map((f) => f.name);
    const query = (await typeInfo("Query")).fields!.map((f) => f.name);
    expect(mutations.filter((n) => /^(update|delete)\w*By\w+$/.test(n))).toEqual([]);
    expect(query.filter((n) => /ById$/.test(n))).toEqual([]);
    expect(mutations.filter((n) => n.startsWith("updateUser"))).toEqual(["updateUser"]);
    expect(query).toContain("node");
    // Natural unique keys remain lookups.
    expect(query).toContain("organizationBySlug");
    expect(query).toContain("userByEmail");
  });

  it("spells enum values in ALL_CAPS, in and out", async () => {
    expect((await typeInfo("UserRole")).enumValues!.map((v) => v.name)).toEqual([
      "VIEWER",
      "MEMBER",
      "ADMIN",
      "OWNER",
    ]);
    const res = await gql(
      ctx,
      `{ users(first: 10, filter: { role: { equalTo: VIEWER } }) { nodes { role email } } }`,
      {},
      owner,
    );
    expect(res.body).toEqual({
      data: { users: { nodes: [{ role: "VIEWER", email: "viewer@surface-a.test" }] } },
    });
  });

  it("follows composite tenant references without an organizationId", async () => {
    await asActor(
      t,
      { orgId: a.orgId, userId: a.users.admin },
      (c) => c.query("select app_public.set_feature_flag('advanced_analytics', true)"),
      { commit: true },
    );
    const res = await gql<{
      featureFlag: {
        organizationFeatureFlagByFlagName: { enabled: boolean; userByUpdatedBy: { email: string } };
      };
    }>(
      ctx,
      `{ featureFlag(name: "advanced_analytics") {
           organizationFeatureFlagByFlagName { enabled userByUpdatedBy { email } } } }`,
      {},
      owner,
    );
    expect(res.body.data?.featureFlag.organizationFeatureFlagByFlagName).toEqual({
      enabled: true,
      userByUpdatedBy: { email: "admin@surface-a.test" },
    });
    // Another organization sees its own (absent) override, not A's.
    const other = await gql(
      ctx,
      `{ featureFlag(name: "advanced_analytics") { organizationFeatureFlagByFlagName { enabled } } }`,
      {},
      await token({ orgId: b.orgId, userId: b.users.owner }),
    );
    expect(other.body).toEqual({
      data: { featureFlag: { organizationFeatureFlagByFlagName: null } },
    });
  });
});
