/**
 * The HTTP layer's hardening, over real sockets: /readyz answers 503 with a JSON
 * body while the database is unreachable (the pool's port closed under it);
 * requests with a refused token are charged to the client address, so hammering
 * bad tokens ends in 429s; a client's x-request-id that is too long, has spaces
 * or is sent twice is replaced; CORS for configured origins only.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";
import { gql, useApi } from "../support/api.ts";
import { useCustomApi } from "./custom-api.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A TCP proxy to PostgreSQL (at `target()`, read per connection) that the test can close. */
function makeProxy(target: () => URL) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const to = target();
    const upstream = net.connect(Number(to.port || 5432), to.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  return {
    port: 0,
    async listen(): Promise<void> {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      this.port = (server.address() as net.AddressInfo).port;
    },
    async close(): Promise<void> {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** Writes one raw HTTP/1.1 request and returns the response head. */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(head));
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      data += chunk;
      if (data.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(data.slice(0, data.indexOf("\r\n\r\n")));
      }
    });
    socket.on("error", reject);
  });
}

const headerOf = (head: string, name: string) =>
  head
    .split("\r\n")
    .find((l) => l.toLowerCase().startsWith(`${name}:`))
    ?.slice(name.length + 1)
    .trim();

describe("/readyz while the database is unreachable", () => {
  const t = useTestDatabase();
  const proxy = makeProxy(() => new URL(t.db.authUrl));
  // Registered between the database's hook and the server's: the proxy listens
  // before the server's pool first connects through it.
  beforeAll(() => proxy.listen());
  const ctx = useCustomApi(t, {
    poolUrl: () => {
      const url = new URL(t.db.authUrl);
      url.hostname = "127.0.0.1";
      url.port = String(proxy.port);
      return url.toString();
    },
  });
  afterAll(() => proxy.close());

  it("answers 503 with a JSON body", async () => {
    expect((await fetch(`${ctx.api.url}/readyz`)).status).toBe(200);
    await proxy.close();
    // Idle pool clients see their sockets close and leave the pool; after that
    // pool.connect() itself fails (ECONNREFUSED), the case that used to be a 500.
    for (let i = 0; i < 200 && ctx.pool.totalCount > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(ctx.pool.totalCount).toBe(0);
    const res = await fetch(`${ctx.api.url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ status: "not ready", database: "down" });
    expect((await fetch(`${ctx.api.url}/healthz`)).status).toBe(200);
  });
});

describe("requests with a refused token", () => {
  const t = useTestDatabase();
  const ctx = useApi(t, { rateLimit: { perMinute: 1000, anonymousPerMinute: 3 } });

  it("are charged to the client address, so a client hammering bad tokens gets 429s", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await gql(ctx, "{ __typename }", {}, "not-a-token");
      statuses.push(res.status);
      if (res.status === 429) expect(res.body.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      else expect(res.body.errors?.[0]?.extensions?.code).toBe("TOKEN_INVALID");
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // The address's bucket is the same one anonymous requests use.
    expect((await gql(ctx, "{ __typename }")).status).toBe(429);
  });
});

describe("x-request-id from the client", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);

  it("is replaced by a fresh uuid when too long, with spaces, or sent twice", async () => {
    const port = Number(new URL(ctx.api.url).port);
    const heads = [
      `x-request-id: ${"a".repeat(10_240)}`,
      "x-request-id: has spaces in it",
      "x-request-id: first-id\r\nx-request-id: second-id",
    ];
    for (const extra of heads) {
      const head = await rawRequest(
        port,
        `GET /healthz HTTP/1.1\r\nHost: localhost\r\n${extra}\r\nConnection: close\r\n\r\n`,
      );
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      expect(headerOf(head, "x-request-id")).toMatch(UUID);
    }
    const kept = await rawRequest(
      port,
      "GET /healthz HTTP/1.1\r\nHost: localhost\r\nx-request-id: fine-id.1\r\nConnection: close\r\n\r\n",
    );
    expect(headerOf(kept, "x-request-id")).toBe("fine-id.1");
  });
});

describe("CORS", () => {
  const t = useTestDatabase();
  const ctx = useCustomApi(t, { settings: { corsOrigins: ["https://app.example.com"] } });
  const preflight = (origin: string) =>
    fetch(`${ctx.api.url}/graphql`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });

  it("answers a preflight from an allowed origin with 204 and the allowed methods and headers", async () => {
    const res = await preflight("https://app.example.com");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-allow-methods")).toMatch(/POST/);
    expect(res.headers.get("access-control-allow-headers")?.split(/,\s*/).sort()).toEqual([
      "authorization",
      "content-type",
      "x-request-id",
    ]);
    expect(Number(res.headers.get("access-control-max-age"))).toBeGreaterThan(0);
    expect(res.headers.get("vary")).toMatch(/Origin/);
  });

  it("marks answers to an allowed origin, and exposes the request id and rate-limit headers", async () => {
    const res = await gql(ctx, "{ __typename }", {}, undefined, {
      origin: "https://app.example.com",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("vary")).toMatch(/Origin/);
    expect(res.headers.get("access-control-expose-headers")?.split(/,\s*/)).toEqual(
      expect.arrayContaining([
        "x-request-id",
        "ratelimit-limit",
        "ratelimit-remaining",
        "retry-after",
      ]),
    );
    // Refusals before GraphQL carry them too, so the page can read the error.
    const refused = await gql(ctx, "{ __typename }", {}, "bad-token", {
      origin: "https://app.example.com",
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });

  it("gives a disallowed origin no CORS headers", async () => {
    const pre = await preflight("https://evil.example.com");
    expect(pre.status).toBe(204);
    const res = await gql(ctx, "{ __typename }", {}, undefined, {
      origin: "https://evil.example.com",
    });
    for (const r of [pre, res]) {
      expect([...r.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
    }
  });
});

describe("without CORS_ORIGINS", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);

  it("sends no CORS headers, and answers OPTIONS /graphql with 204", async () => {
    const res = await fetch(`${ctx.api.url}/graphql`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect([...res.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });
});
