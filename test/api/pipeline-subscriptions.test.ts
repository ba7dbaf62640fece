/**
 * Live status of pipeline executions over a real WebSocket with the graphql-ws
 * client, as a client uses it: `pipelineExecutionUpdated(rowId:)` sends the
 * execution as it is, then one event per change, in order, while a runner drives
 * it through GraphQL (queued → started → a step started → completed → …); a
 * tenant never hears of another's executions, even with the other's execution
 * id (a forged NOTIFY only makes it read again, and RLS answers null); bad
 * tokens are refused when the connection opens; the operation limits (answer
 * size and trusted documents included) and the rate limit bound what a socket
 * sends; a subscription outlives Grafast's execution budget; and a stopping
 * server closes its sockets (1001) and gives back its LISTEN connection.
 *
 * No sleeps: "nothing else arrived" is shown with a barrier, a notification
 * committed after everything that must not arrive. One listening connection
 * receives notifications in commit order and a subscription's events are sent
 * in order, so once the barrier's event is in, anything before it would be too.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type Client, type FormattedExecutionResult } from "graphql-ws";
import WebSocket from "ws";
import { pino } from "pino";
import { asActor, createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";
import { gql, token, useApi, AUDIENCE, ISSUER, TEST_SECRET, type TestApi } from "../support/api.ts";
import { makePool } from "../../src/db/pools.ts";
import { makeVerifier } from "../../src/server/auth.ts";
import { startApiServer } from "../../src/server/http.ts";
import { defaultApiSettings } from "../../src/config.ts";
import { latestCommittedHash } from "../../src/db/migrate.ts";
import {
  executionIdsOf,
  knowsWhenListening,
  pipelinesChannel,
} from "../../src/server/plugins/subscriptions.ts";
import { PgSubscriber } from "postgraphile/adaptors/pg";
import type { RateLimiter } from "../../src/server/rate-limit.ts";
import { useCustomApi } from "./custom-api.ts";

interface Step {
  rowId: string;
  name: string;
  status: string;
  conclusion: string | null;
}
interface Execution {
  rowId: string;
  status: string;
  conclusion: string | null;
  steps: { nodes: Step[] };
}
type Event = FormattedExecutionResult<{
  pipelineExecutionUpdated: { execution: Execution | null } | null;
}>;

const SUBSCRIPTION = `subscription Live($id: UUID!) {
  pipelineExecutionUpdated(rowId: $id) {
    execution { rowId status conclusion
                steps(first: 50, orderBy: POSITION_ASC) { nodes { rowId name status conclusion } } }
  }
}`;

const DEFINITION = { steps: [{ name: "build" }, { name: "test", needs: ["build"] }] };

/** What a subscription received, in order, and a way to wait for the next one. */
class Received<T> {
  readonly results: T[] = [];
  error: unknown;
  completed = false;
  private taken = 0;
  private waiters: Array<() => void> = [];
  dispose: () => void = () => undefined;

  push(result: T) {
    this.results.push(result);
    this.wake();
  }
  fail(error: unknown) {
    this.error = error;
    this.wake();
  }
  complete() {
    this.completed = true;
    this.wake();
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  /** The next result not taken yet (waits for it); throws if the stream ended first. */
  async next(): Promise<T> {
    while (this.results.length <= this.taken) {
      if (this.error !== undefined) throw new Error(`subscription failed: ${show(this.error)}`);
      if (this.completed) throw new Error("subscription completed");
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.results[this.taken++]!;
  }
  /** Waits until the stream has failed or completed. */
  async ended(): Promise<void> {
    while (this.error === undefined && !this.completed) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** A close event or an error list, for a failure message. */
function show(e: unknown): string {
  if (e && typeof e === "object" && "code" in e) {
    return `close ${String(e.code)} ${String((e as { reason?: unknown }).reason)}`;
  }
  return JSON.stringify(e);
}

function subscribe<T = Event>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Received<T> {
  const received = new Received<T>();
  received.dispose = client.subscribe<Record<string, unknown>>(
    { query, variables, ...extra },
    {
      next: (value) => received.push(value as T),
      error: (e) => received.fail(e),
      complete: () => received.complete(),
    },
  );
  return received;
}

/** A WebSocket implementation that sends these headers with the upgrade. */
function withHeaders(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };
}

/** The code of a refusal: an error message's, or of the errors of its only result. */
function refusalCode(received: Received<unknown>): string | undefined {
  const errors = Array.isArray(received.error)
    ? (received.error as Array<{ extensions?: { code?: string } }>)
    : (received.results[0] as { errors?: Array<{ extensions?: { code?: string } }> } | undefined)
        ?.errors;
  return errors?.[0]?.extensions?.code;
}

/** The HTTP status an upgrade is refused with (fails if it is accepted). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url, "graphql-transport-ws", { headers });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("open", () => {
      ws.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    ws.on("error", () => undefined);
  });
}

function closeOf(error: unknown): { code: number; reason: string } {
  const e = error as { code?: number; reason?: string };
  return { code: e.code ?? -1, reason: e.reason ?? "" };
}

describe("live status of pipeline executions over WebSocket", () => {
  const t = useTestDatabase();
  const ctx = useApi(t);
  const clients: Client[] = [];
  let acme: OrgFixture;
  let globex: OrgFixture;
  const pipelines: Record<string, string> = {};

  const wsUrl = (api: TestApi = ctx) => `${api.api.url.replace(/^http/, "ws")}/graphql`;
  const connect = (
    connectionParams?: Record<string, unknown>,
    options: { api?: TestApi; url?: string; headers?: Record<string, string> } = {},
  ) => {
    const client = createClient({
      url: options.url ?? wsUrl(options.api),
      webSocketImpl: options.headers ? withHeaders(options.headers) : WebSocket,
      connectionParams,
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  };
  const bearer = async (o: OrgFixture, role: keyof OrgFixture["users"] = "viewer") => ({
    authorization: `Bearer ${await token({ orgId: o.orgId, userId: o.users[role] })}`,
  });
  const member = (o: OrgFixture) => token({ orgId: o.orgId, userId: o.users.member });

  const mutate = async (o: OrgFixture, query: string, variables: Record<string, unknown>) => {
    const res = await gql(ctx, query, variables, await member(o));
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  const startExecution = async (o: OrgFixture) =>
    (
      (await mutate(
        o,
        `mutation($p: UUID!) { startExecution(input: { pipelineId: $p }) { execution { rowId status } } }`,
        { p: pipelines[o.orgId] },
      )) as { startExecution: { execution: { rowId: string; status: string } } }
    ).startExecution.execution;
  const startStep = (o: OrgFixture, stepId: string) =>
    mutate(o, `mutation($s: UUID!) { startStep(input: { stepId: $s }) { step { status } } }`, {
      s: stepId,
    });
  const completeStep = (o: OrgFixture, stepId: string) =>
    mutate(
      o,
      `mutation($s: UUID!) { completeStep(input: { stepId: $s, conclusion: SUCCESS }) { step { status } } }`,
      { s: stepId },
    );
  const cancelExecution = (o: OrgFixture, executionId: string) =>
    mutate(
      o,
      `mutation($e: UUID!) { cancelExecution(input: { executionId: $e }) { execution { status } } }`,
      { e: executionId },
    );
  /** A notification as the trigger would send it, committed now (anyone may NOTIFY). */
  const notify = (orgId: string, executionIds: string[]) =>
    t.root.query("select pg_notify($1, $2)", [
      `pipelines:${orgId}`,
      JSON.stringify({ executions: executionIds }),
    ]);
  /** An event's execution, summarised: status/conclusion and each step's. */
  const summary = (event: Event) => {
    expect(event.errors).toBeUndefined();
    const e = event.data?.pipelineExecutionUpdated?.execution;
    if (!e) return null;
    return {
      status: e.status,
      conclusion: e.conclusion,
      steps: Object.fromEntries(
        e.steps.nodes.map((s) => [s.name, s.conclusion ? `${s.status}/${s.conclusion}` : s.status]),
      ),
    };
  };

  beforeAll(async () => {
    acme = await createOrg(t, "live-acme");
    globex = await createOrg(t, "live-globex");
    for (const o of [acme, globex]) {
      const admin = await token({ orgId: o.orgId, userId: o.users.admin });
      const repo = await gql<{ createRepository: { repository: { rowId: string } } }>(
        ctx,
        `mutation { createRepository(input: { repository: { provider: GITHUB, fullName: "acme/app", cloneUrl: "https://github.com/acme/app.git" } }) { repository { rowId } } }`,
        {},
        admin,
      );
      expect(repo.body.errors).toBeUndefined();
      const pipeline = await gql<{ createPipeline: { pipeline: { rowId: string } } }>(
        ctx,
        `mutation($p: PipelineInput!) { createPipeline(input: { pipeline: $p }) { pipeline { rowId } } }`,
        {
          p: {
            repositoryId: repo.body.data!.createRepository.repository.rowId,
            name: "ci",
            definition: DEFINITION,
            concurrencyLimit: 1,
          },
        },
        admin,
      );
      expect(pipeline.body.errors).toBeUndefined();
      pipelines[o.orgId] = pipeline.body.data!.createPipeline.pipeline.rowId;
    }
  });

  afterAll(async () => {
    for (const client of clients) await Promise.resolve(client.dispose());
  });

  it("sends the execution, then each change in order, as a runner drives it", async () => {
    const blocker = await startExecution(acme);
    expect(blocker.status).toBe("IN_PROGRESS");
    const queued = await startExecution(acme); // concurrency limit 1: it waits for a slot
    expect(queued.status).toBe("QUEUED");

    const client = connect(await bearer(acme));
    const live = subscribe(client, SUBSCRIPTION, { id: queued.rowId });
    const first = await live.next();
    expect(summary(first)).toEqual({
      status: "QUEUED",
      conclusion: null,
      steps: { build: "QUEUED", test: "QUEUED" },
    });
    const steps = Object.fromEntries(
      first.data!.pipelineExecutionUpdated!.execution!.steps.nodes.map((s) => [s.name, s.rowId]),
    );

    await cancelExecution(acme, blocker.rowId); // frees the slot: the queued one starts
    expect(summary(await live.next())).toEqual({
      status: "IN_PROGRESS",
      conclusion: null,
      steps: { build: "QUEUED", test: "QUEUED" },
    });
    await startStep(acme, steps.build!);
    expect(summary(await live.next())).toMatchObject({ steps: { build: "IN_PROGRESS" } });
    await completeStep(acme, steps.build!);
    expect(summary(await live.next())).toEqual({
      status: "IN_PROGRESS",
      conclusion: null,
      steps: { build: "COMPLETED/SUCCESS", test: "QUEUED" },
    });
    await startStep(acme, steps.test!);
    expect(summary(await live.next())).toMatchObject({ steps: { test: "IN_PROGRESS" } });
    await completeStep(acme, steps.test!); // the last step completes the execution too
    expect(summary(await live.next())).toEqual({
      status: "COMPLETED",
      conclusion: "SUCCESS",
      steps: { build: "COMPLETED/SUCCESS", test: "COMPLETED/SUCCESS" },
    });

    // Six commits, six events: the blocker's changes (same channel) were not events.
    await notify(acme.orgId, [queued.rowId]);
    expect(summary(await live.next())).toMatchObject({ status: "COMPLETED" });
    expect(live.results).toHaveLength(7);
    live.dispose();
  });

  it("never tells one tenant about another's executions, even given the other's id", async () => {
    const theirs = await startExecution(acme);
    const ours = await startExecution(globex);
    const spy = connect(await bearer(globex, "owner"));
    const withTheirId = subscribe(spy, SUBSCRIPTION, { id: theirs.rowId });
    const onOurs = subscribe(spy, SUBSCRIPTION, { id: ours.rowId });
    // The other tenant's execution is not visible: null, like pipelineExecution(rowId:).
    expect(summary(await withTheirId.next())).toBeNull();
    expect(summary(await onOurs.next())).toMatchObject({ status: "IN_PROGRESS" });
    const owner = connect(await bearer(acme));
    const theirView = subscribe(owner, SUBSCRIPTION, { id: theirs.rowId });
    expect(summary(await theirView.next())).toMatchObject({ status: "IN_PROGRESS" });

    // The other tenant drives its execution to the end…
    const read = await gql<{ pipelineExecution: Execution }>(
      ctx,
      `query($id: UUID!) { pipelineExecution(rowId: $id) { steps(first: 10, orderBy: POSITION_ASC) { nodes { rowId } } } }`,
      { id: theirs.rowId },
      await member(acme),
    );
    for (const s of read.body.data!.pipelineExecution.steps.nodes) {
      await startStep(acme, s.rowId);
      await completeStep(acme, s.rowId);
    }
    await cancelExecution(globex, ours.rowId);
    // …its own subscriber saw all four changes…
    for (let i = 0; i < 4; i++) await theirView.next();
    expect(summary(theirView.results.at(-1) as Event)).toMatchObject({ status: "COMPLETED" });
    // …and ours only our own change, then the barriers. A forged notification on our
    // channel naming their execution is only a reason to read again: still null.
    expect(summary(await onOurs.next())).toMatchObject({ status: "COMPLETED" });
    await notify(globex.orgId, [theirs.rowId, ours.rowId]);
    expect(summary(await withTheirId.next())).toBeNull();
    expect(summary(await onOurs.next())).toMatchObject({ status: "COMPLETED" });
    expect(withTheirId.results).toHaveLength(2);
    expect(onOurs.results).toHaveLength(3);
    for (const s of [withTheirId, onOurs, theirView]) s.dispose();
  });

  it("listens on the token's organization only, and only to ids the notification names", () => {
    expect(
      pipelinesChannel({
        "jwt.claims.org_id": acme.orgId,
        "jwt.claims.user_id": acme.users.viewer,
      }),
    ).toBe(`pipelines:${acme.orgId}`);
    expect(() => pipelinesChannel({ "jwt.claims.org_id": acme.orgId })).toThrow();
    expect(() => pipelinesChannel({ role: "visitor" })).toThrow();
    expect(executionIdsOf('{"executions":["AB","cd",3]}')).toEqual(["ab", "cd"]);
    expect(executionIdsOf("not json")).toEqual([]);
    expect(executionIdsOf('{"other":["ab"]}')).toEqual([]);
    // The first event waits for LISTEN through PgSubscriber's private chain: keep it there.
    expect(knowsWhenListening(new PgSubscriber(ctx.pool))).toBe(true);
  });

  it("refuses bad tokens when the connection opens", async () => {
    const refusal = async (
      connectionParams?: Record<string, unknown>,
      headers?: Record<string, string>,
    ) => {
      const live = subscribe(connect(connectionParams, { headers }), SUBSCRIPTION, {
        id: "00000000-0000-4000-8000-000000000000",
      });
      await live.ended();
      expect(live.results).toEqual([]);
      return closeOf(live.error);
    };
    const forged = await token({
      orgId: acme.orgId,
      userId: acme.users.owner,
      secret: "x".repeat(40),
    });
    expect(await refusal({ authorization: `Bearer ${forged}` })).toEqual({
      code: 4403,
      reason: "TOKEN_INVALID: The token is not valid",
    });
    const expired = await token({
      orgId: acme.orgId,
      userId: acme.users.owner,
      expiresIn: "1 hour ago",
    });
    expect(await refusal({ authorization: `Bearer ${expired}` })).toEqual({
      code: 4403,
      reason: "TOKEN_EXPIRED: The token has expired",
    });
    expect((await refusal({ authorization: "Basic abc" })).reason).toMatch(/^TOKEN_MALFORMED: /);
    const good = await bearer(acme);
    const other = await bearer(globex);
    expect((await refusal(other, { authorization: good.authorization })).code).toBe(4400);

    // A bad Authorization header on the upgrade: HTTP 401, as on POST /graphql; a
    // browser page on an origin CORS_ORIGINS does not list (none here): 403.
    expect(await upgradeStatus(wsUrl(), { authorization: `Bearer ${forged}` })).toBe(401);
    expect(await upgradeStatus(wsUrl(), { origin: "https://evil.example" })).toBe(403);
  });

  it("authenticates by the upgrade's Authorization header too, and needs a user to subscribe", async () => {
    const execution = await startExecution(globex);
    const viaHeader = subscribe(
      connect(undefined, { headers: await bearer(globex) }),
      SUBSCRIPTION,
      {
        id: execution.rowId,
      },
    );
    expect(summary(await viaHeader.next())).toMatchObject({ status: expect.any(String) as string });
    viaHeader.dispose();

    const anonymous = subscribe(connect(), SUBSCRIPTION, { id: execution.rowId });
    const refused = await anonymous.next();
    expect(refused.errors?.[0]?.extensions?.code).toBe("FL001");
    const noUser = subscribe(
      connect({ authorization: `Bearer ${await token({ orgId: globex.orgId })}` }),
      SUBSCRIPTION,
      { id: execution.rowId },
    );
    expect((await noUser.next()).errors?.[0]?.extensions?.code).toBe("FL001");
  });

  it("bounds what a socket sends with the same limits as HTTP", async () => {
    const client = connect(await bearer(acme));
    const id = "00000000-0000-4000-8000-000000000000";
    const bigPage = subscribe(
      client,
      `subscription($id: UUID!) { pipelineExecutionUpdated(rowId: $id) { execution { steps(first: 500) { nodes { name } } } } }`,
      { id },
    );
    await bigPage.ended();
    expect(refusalCode(bigPage)).toBe("FL905");
    const aliases = Array.from({ length: 25 }, (_, i) => `a${i}: __typename`).join(" ");
    const tooManyAliases = subscribe(
      client,
      `subscription($id: UUID!) { pipelineExecutionUpdated(rowId: $id) { execution { rowId ${aliases.replace(/__typename/g, "rowId")} } } }`,
      { id },
    );
    await tooManyAliases.ended();
    expect(refusalCode(tooManyAliases)).toBe("FL901");
    const unpaged = subscribe(
      client,
      `query($id: UUID!) { pipelineExecution(rowId: $id) { steps { nodes { name } } } }`,
      { id },
    );
    await unpaged.ended();
    expect(refusalCode(unpaged)).toBe("FL906");
    // Frames are capped like HTTP bodies (100 KB): the socket is closed (1009).
    const huge = subscribe(client, `{ __typename ${" ".repeat(200_000)}}`);
    await huge.ended();
    expect(closeOf(huge.error).code).toBe(1009);
    // Queries and mutations work over the socket too, with the connection's claims.
    const again = connect(await bearer(acme));
    const query = subscribe<FormattedExecutionResult<{ currentUser: { rowId: string } | null }>>(
      again,
      `{ currentUser { rowId } }`,
    );
    expect((await query.next()).data?.currentUser?.rowId).toBe(acme.users.viewer);
  });

  it("keeps /healthz answering and counts open sockets in /metrics", async () => {
    const client = connect(await bearer(acme));
    const live = subscribe(client, SUBSCRIPTION, { id: "00000000-0000-4000-8000-000000000000" });
    expect(summary(await live.next())).toBeNull();
    expect((await fetch(`${ctx.api.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${ctx.api.url}/metrics`)).text();
    expect(Number(/^forgeline_websocket_connections (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/forgeline_http_requests_total\{operation="\/graphql",status="101"\}/);
    live.dispose();
  });

  describe("with a rate limit", () => {
    let allowed = 2;
    const limiter: RateLimiter = (claims) => {
      const ok = allowed-- > 0;
      return Promise.resolve({
        allowed: ok,
        retryAfterSeconds: ok ? 0 : 7,
        limit: 2,
        remaining: Math.max(0, allowed),
        key: claims?.orgId ?? "anonymous",
      });
    };
    const limited = useApi(t, { limiter });

    it("charges the upgrade and every operation the socket sends", async () => {
      const client = connect(await bearer(acme), { api: limited });
      const first = subscribe(client, SUBSCRIPTION, { id: "00000000-0000-4000-8000-000000000000" });
      expect(summary(await first.next())).toBeNull(); // the upgrade and this one: 2
      const second = subscribe(client, SUBSCRIPTION, {
        id: "00000000-0000-4000-8000-000000000000",
      });
      await second.ended();
      expect((second.error as Array<{ extensions?: unknown }>)[0]?.extensions).toEqual({
        code: "RATE_LIMITED",
        retryAfter: 7,
      });
      expect(await upgradeStatus(wsUrl(limited))).toBe(429);
      first.dispose();
    });
  });

  describe("with trusted documents only", () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "forgeline-live-"));
    fs.writeFileSync(path.join(directory, "live-v1.graphql"), SUBSCRIPTION);
    afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));
    const trusted = useCustomApi(t, { settings: { trustedDocuments: { directory, only: true } } });

    it("runs a trusted subscription by id and refuses a query text (FL911)", async () => {
      const client = connect(await bearer(acme), { api: trusted });
      const text = subscribe(client, SUBSCRIPTION, { id: "00000000-0000-4000-8000-000000000000" });
      await text.ended();
      expect(refusalCode(text)).toBe("FL911");
      // graphql-ws needs a `query` string: an empty one, and the document's id.
      const byId = subscribe(
        client,
        "",
        { id: "00000000-0000-4000-8000-000000000000" },
        {
          documentId: "live-v1",
        },
      );
      expect(summary(await byId.next())).toBeNull();
      byId.dispose();
    });
  });

  describe("with at most two operations per connection", () => {
    const capped = useCustomApi(t, { settings: { limits: { maxSubscriptionsPerConnection: 2 } } });

    it("refuses a third open operation on one connection with FL912, and takes one again after a completion", async () => {
      const client = connect(await bearer(acme), { api: capped });
      const id = "00000000-0000-4000-8000-000000000000";
      const first = subscribe(client, SUBSCRIPTION, { id });
      const second = subscribe(client, SUBSCRIPTION, { id });
      expect(summary(await first.next())).toBeNull();
      expect(summary(await second.next())).toBeNull();
      const third = subscribe(client, SUBSCRIPTION, { id });
      await third.ended();
      expect(refusalCode(third)).toBe("FL912");
      // The first two go on; another connection is not affected.
      const elsewhere = subscribe(connect(await bearer(acme), { api: capped }), SUBSCRIPTION, {
        id,
      });
      expect(summary(await elsewhere.next())).toBeNull();
      elsewhere.dispose();
      first.dispose();
      // A completed operation no longer counts (the socket's messages arrive in order).
      const fourth = subscribe(client, SUBSCRIPTION, { id });
      expect(summary(await fourth.next())).toBeNull();
      fourth.dispose();
      second.dispose();
    });
  });

  describe("with a small answer size", () => {
    const small = useCustomApi(t, { settings: { limits: { maxResponseBytes: 1024 } } });

    it("replaces a message over API_MAX_RESPONSE_BYTES with FL908", async () => {
      const client = connect(await bearer(acme), { api: small });
      const big = subscribe(client, `{ __schema { types { name description } } }`);
      expect((await big.next()).errors?.[0]?.extensions).toMatchObject({
        code: "FL908",
        maxBytes: 1024,
      });
    });
  });

  it("outlives Grafast's execution budget, and closes its sockets when the server stops", async () => {
    const settings = defaultApiSettings();
    settings.limits.executionTimeoutMs = 1; // every event would be past it
    const pool = makePool(t.db.authUrl, 3, "test-live-stop");
    const api = await startApiServer({
      pool,
      visitorRole: t.db.roles.visitor,
      verify: await makeVerifier({
        kind: "secret",
        algorithm: "HS256",
        secret: TEST_SECRET,
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
      graphiql: false,
      host: "127.0.0.1",
      port: 0,
      expectedMigration: latestCommittedHash(),
      settings,
      logger: pino({ level: "silent" }),
    });
    try {
      const execution = await startExecution(acme);
      const client = connect(await bearer(acme), {
        url: `${api.url.replace(/^http/, "ws")}/graphql`,
      });
      const live = subscribe(client, SUBSCRIPTION, { id: execution.rowId });
      const first = await live.next();
      expect(summary(first)).toMatchObject({ steps: { build: "QUEUED" } });
      const build = first.data!.pipelineExecutionUpdated!.execution!.steps.nodes[0]!;
      await asActor(
        t,
        { orgId: acme.orgId, userId: acme.users.member },
        (c) => c.query("select app_public.start_step($1)", [build.rowId]),
        { commit: true },
      );
      expect(summary(await live.next())).toMatchObject({ steps: { build: "IN_PROGRESS" } });
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        client.on("closed", (event) => resolve(closeOf(event))),
      );
      await api.close();
      expect(await closed).toEqual({ code: 1001, reason: "The server is shutting down" });
      // The LISTEN connection went back to the pool: ending it leaves nothing behind.
      await pool.end();
      expect(pool.totalCount).toBe(0);
    } finally {
      await api.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    }
  });
});
