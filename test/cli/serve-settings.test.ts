/**
 * `forgeline serve` takes the API's settings from its environment: an operator's
 * GRAPHQL_MAX_ALIASES, GRAPHQL_MAX_PAGE_SIZE, CORS_ORIGINS and GRAPHQL_INTROSPECTION
 * reach the running server (and not only the defaults), checked over HTTP against
 * the real command on this file's database.
 */
import { describe, expect, it } from "vitest";
import { mintToken } from "../../src/server/auth.ts";
import { useTestDatabase } from "../support/db.ts";
import { cleanEnv, freePort, spawnForgeline, tempDir } from "./helpers.ts";

const SECRET = "serve-settings-secret-long-enough-for-hs256";

describe("forgeline serve settings", () => {
  const t = useTestDatabase();

  it("applies the operation limits, CORS and introspection from the environment", async () => {
    const port = await freePort();
    const run = spawnForgeline(["serve"], {
      cwd: tempDir("serve-settings"),
      env: cleanEnv({
        DATABASE_URL: t.db.ownerUrl,
        AUTH_DATABASE_URL: t.db.authUrl,
        DATABASE_VISITOR: t.db.roles.visitor,
        JWT_SECRET: SECRET,
        PORT: String(port),
        LOG_FORMAT: "json",
        GRAPHQL_MAX_ALIASES: "1",
        GRAPHQL_MAX_PAGE_SIZE: "5",
        GRAPHQL_INTROSPECTION: "off",
        CORS_ORIGINS: "https://app.example.com",
      }),
    });
    try {
      await run.line(/GraphQL API: http:\/\//);
      const url = `http://127.0.0.1:${port}/graphql`;
      const bearer = await mintToken({
        secret: SECRET,
        issuer: "forgeline",
        audience: "forgeline",
        sub: "s",
      });
      const ask = async (query: string) =>
        (
          await fetch(url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              authorization: `Bearer ${bearer}`,
            },
            body: JSON.stringify({ query }),
          })
        ).json() as Promise<{ errors?: Array<{ extensions?: { code?: string } }> }>;
      expect(
        (await ask("{ a: currentOrgId b: currentUserId }")).errors?.[0]?.extensions?.code,
      ).toBe("FL901");
      expect(
        (await ask("{ users(first: 6) { nodes { email } } }")).errors?.[0]?.extensions?.code,
      ).toBe("FL905");
      expect((await ask("{ __schema { queryType { name } } }")).errors?.[0]?.extensions?.code).toBe(
        "FL910",
      );
      const preflight = await fetch(url, {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example.com",
          "access-control-request-method": "POST",
        },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
  });
});
