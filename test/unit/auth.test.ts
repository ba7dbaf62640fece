/**
 * Token verification with public keys: RS256/ES256 from a PEM key, and a JWKS
 * served over real HTTP by a local server, as an identity provider would.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { AuthError, makeVerifier, mintToken } from "../../src/server/auth.ts";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
type PrivateKey = KeyPair["privateKey"];

const ORG = "5b0f2c3e-8a4d-4e4f-9d7c-2f1e0a9b8c7d";
const USER = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f";

async function sign(
  key: PrivateKey,
  alg: string,
  kid?: string,
  claims: Record<string, unknown> = {},
) {
  return new SignJWT({ org_id: ORG, user_id: USER, role: "member", ...claims })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setSubject("idp|42")
    .setIssuer("https://idp.test/")
    .setAudience("forgeline")
    .setExpirationTime("5m")
    .sign(key);
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (e) {
    return e instanceof AuthError ? e.code : String(e);
  }
}

describe("public-key tokens", () => {
  let rsa: KeyPair;
  let other: KeyPair;
  let server: Server;
  let jwksUrl: string;

  beforeAll(async () => {
    rsa = await generateKeyPair("RS256", { extractable: true });
    other = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    server = createServer((req, res) => {
      if (req.url !== "/.well-known/jwks.json") return void res.writeHead(404).end();
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("verifies RS256 tokens against a JWKS endpoint", async () => {
    const verify = await makeVerifier({
      kind: "jwks",
      algorithms: ["RS256"],
      jwksUrl,
      issuer: "https://idp.test/",
      audience: "forgeline",
    });
    expect(await verify(await sign(rsa.privateKey, "RS256", "k1"))).toEqual({
      sub: "idp|42",
      orgId: ORG,
      userId: USER,
      role: "member",
    });
    expect(await code(verify(await sign(other.privateKey, "RS256", "k1")))).toBe("TOKEN_INVALID");
    expect(await code(verify(await sign(rsa.privateKey, "RS256", "unknown-kid")))).toBe(
      "TOKEN_INVALID",
    );
  });

  it("verifies ES256 tokens against a PEM public key and refuses other algorithms", async () => {
    const ec = await generateKeyPair("ES256", { extractable: true });
    const verify = await makeVerifier({
      kind: "publicKey",
      algorithm: "ES256",
      publicKey: await exportSPKI(ec.publicKey),
      issuer: "https://idp.test/",
      audience: "forgeline",
    });
    expect((await verify(await sign(ec.privateKey, "ES256"))).orgId).toBe(ORG);
    expect(await code(verify(await sign(rsa.privateKey, "RS256")))).toBe("TOKEN_INVALID");
    expect(
      await code(verify(await sign(ec.privateKey, "ES256", undefined, { org_id: "not-a-uuid" }))),
    ).toBe("TOKEN_MALFORMED");
  });

  it("remembers a verified token only until it expires", async () => {
    const secret = "cache-test-secret-that-is-long-enough!!";
    const verify = await makeVerifier({
      kind: "secret",
      algorithm: "HS256",
      secret,
      issuer: "i",
      audience: "a",
    });
    const tok = await mintToken({
      secret,
      issuer: "i",
      audience: "a",
      sub: "s",
      orgId: ORG,
      expiresIn: "1m",
    });
    expect((await verify(tok)).orgId).toBe(ORG);
    expect((await verify(tok)).orgId).toBe(ORG); // from the cache
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 2 * 60_000);
      expect(await code(verify(tok))).toBe("TOKEN_EXPIRED");
    } finally {
      vi.useRealTimers();
    }
    // A tampered copy of a cached token is verified afresh, and refused.
    const tampered = `${tok.slice(0, -2)}${tok.endsWith("A") ? "B" : "A"}${tok.slice(-1)}`;
    expect(await code(verify(tampered))).toBe("TOKEN_INVALID");
  });
});
