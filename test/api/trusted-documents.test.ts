/**
 * Trusted documents (persisted operations) over real HTTP: a request names a
 * document the server was deployed with by id and it runs; an unknown id is
 * refused with FL911; with GRAPHQL_TRUSTED_DOCUMENTS_ONLY a query text is
 * refused too, and without it a query text still runs.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";
import type { GqlResponse, TestApi } from "../support/api.ts";
import { useCustomApi } from "./custom-api.ts";

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "forgeline-trusted-"));
fs.writeFileSync(path.join(directory, "typename-v1.graphql"), "query Typename { __typename }");
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

async function post(ctx: TestApi, body: Record<string, unknown>) {
  const res = await fetch(`${ctx.api.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as GqlResponse["body"] };
}

const codes = (r: { body: GqlResponse["body"] }) =>
  (r.body.errors ?? []).map((e) => e.extensions?.code);

describe("trusted documents only", () => {
  const t = useTestDatabase();
  const ctx = useCustomApi(t, { settings: { trustedDocuments: { directory, only: true } } });

  it("runs a trusted document by id, and refuses unknown ids and query texts with FL911", async () => {
    expect(await post(ctx, { documentId: "typename-v1" })).toEqual({
      status: 200,
      body: { data: { __typename: "Query" } },
    });
    const apollo = await post(ctx, {
      extensions: { persistedQuery: { version: 1, sha256Hash: "typename-v1" } },
    });
    expect(apollo.body).toEqual({ data: { __typename: "Query" } });
    const unknown = await post(ctx, { documentId: "no-such-document" });
    expect([unknown.status, codes(unknown)]).toEqual([400, ["FL911"]]);
    const text = await post(ctx, { query: "{ __typename }" });
    expect([text.status, codes(text)]).toEqual([400, ["FL911"]]);
    expect(ctx.errors).toEqual([]);
  });
});

describe("trusted documents alongside query texts", () => {
  const t = useTestDatabase();
  const ctx = useCustomApi(t, { settings: { trustedDocuments: { directory, only: false } } });

  it("runs both, and still refuses an unknown id", async () => {
    expect((await post(ctx, { documentId: "typename-v1" })).body).toEqual({
      data: { __typename: "Query" },
    });
    expect((await post(ctx, { query: "{ __typename }" })).body).toEqual({
      data: { __typename: "Query" },
    });
    expect(codes(await post(ctx, { documentId: "nope" }))).toEqual(["FL911"]);
  });
});
