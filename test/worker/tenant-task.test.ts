/**
 * The pattern every worker task that acts for a tenant follows
 * (docs/adding-a-module.md, "A worker task"), as a tested example. It is not in
 * src/worker/tasks/ because it does nothing a product needs; the first real one
 * (the pipelines module's artifact deletion) copies it. The pattern:
 *
 *   1. the payload type is declared on GraphileWorker.Tasks, and an assertion
 *      function checks it on entry (a job row can hold anything);
 *   2. its SQL runs through withTenant: RLS guards it as the tenant's service,
 *      and the audit log names the actor;
 *   3. it re-reads the state it acts on and is idempotent, so a retry after a
 *      crash or a failed outside call does the work once;
 *   4. helpers.abortSignal goes to every outside call, so a shutdown cancels it
 *      and the job is retried later instead of hanging.
 *
 * Here: tell an outside service (a local HTTP server) that a user joined, once,
 * and remember that it was told in the user's settings.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quickAddJob, run, type Task } from "graphile-worker";
import { runJobsOnce } from "../support/worker.ts";
import { withTenant } from "../../src/db/session.ts";
import { createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- graphile-worker types task payloads on this global namespace
  namespace GraphileWorker {
    interface Tasks {
      example__announce_member: { orgId: string; userId: string };
    }
  }
}

type Payload = GraphileWorker.Tasks["example__announce_member"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function assertPayload(payload: unknown): asserts payload is Payload {
  const p = payload as Partial<Payload> | null;
  if (!p || typeof p.orgId !== "string" || !UUID.test(p.orgId)) {
    throw new Error("example__announce_member: payload.orgId must be a uuid");
  }
  if (typeof p.userId !== "string" || !UUID.test(p.userId)) {
    throw new Error("example__announce_member: payload.userId must be a uuid");
  }
}

/** The example task, bound to the outside service's base URL (configurable, as in production). */
function announceMember(baseUrl: string): Task<"example__announce_member"> {
  return async (payload, helpers) => {
    assertPayload(payload);
    await helpers.withPgClient((client) =>
      withTenant(
        client,
        { orgId: payload.orgId, actor: "worker", requestId: `job-${helpers.job.id}` },
        async (c) => {
          // Re-read under the tenant's RLS, locking the row against a concurrent retry.
          const { rows } = await c.query<{ email: string; announced: boolean }>(
            `select email, settings ? 'announced_at' as announced
               from app_public.users where id = $1 for update`,
            [payload.userId],
          );
          const user = rows[0];
          if (!user) {
            helpers.logger.info("no such user in this organization: nothing to announce");
            return;
          }
          if (user.announced) return; // done by an earlier attempt
          const res = await fetch(`${baseUrl}/members`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ email: user.email }),
            signal: helpers.abortSignal,
          });
          if (!res.ok) throw new Error(`the member service answered ${res.status}`);
          await c.query(
            `update app_public.users
                set settings = settings || jsonb_build_object('announced_at', now())
              where id = $1`,
            [payload.userId],
          );
        },
      ),
    );
  };
}

interface Fake {
  server: Server;
  url: string;
  calls: string[];
  /** When set, requests are held open (an outside service that hangs). */
  hang: boolean;
  held: ServerResponse[];
}

describe("a worker task acting for a tenant (the pattern)", () => {
  const t = useTestDatabase();
  let a: OrgFixture;
  let b: OrgFixture;
  const fake: Fake = { calls: [], hang: false, held: [] } as unknown as Fake;

  beforeAll(async () => {
    a = await createOrg(t, "announce-a");
    b = await createOrg(t, "announce-b");
    fake.server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        fake.calls.push(body);
        if (fake.hang) {
          fake.held.push(res);
          return;
        }
        res.writeHead(201, { "content-type": "application/json" }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    fake.server.closeAllConnections();
    await new Promise((resolve) => fake.server.close(resolve));
  });

  const runJob = async (payload: Payload | Record<string, string>) => {
    const pool = t.pool(t.db.ownerUrl, 2);
    await quickAddJob({ pgPool: pool }, "example__announce_member", payload as Payload);
    await runJobsOnce(pool, { example__announce_member: announceMember(fake.url) });
  };

  const jobs = async () =>
    (
      await t.root.query<{ attempts: number; last_error: string | null }>(
        "select attempts, last_error from graphile_worker.jobs",
      )
    ).rows;

  it("calls the outside service once, however often the job runs", async () => {
    await runJob({ orgId: a.orgId, userId: a.users.member });
    await runJob({ orgId: a.orgId, userId: a.users.member });
    expect(fake.calls).toEqual([JSON.stringify({ email: "member@announce-a.test" })]);
    const { rows } = await t.root.query<{ announced: boolean }>(
      "select settings ? 'announced_at' as announced from app_public.users where id = $1",
      [a.users.member],
    );
    expect(rows).toEqual([{ announced: true }]);
    // Audited as the worker, with the job as the request.
    const audit = await t.root.query<{ actor: string; request_id: string }>(
      `select actor, request_id from app_public.audit_events
        where table_name = 'app_public.users' and action = 'update' and organization_id = $1`,
      [a.orgId],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]!.actor).toBe("worker");
    expect(audit.rows[0]!.request_id).toMatch(/^job-\d+$/);
    expect(await jobs()).toEqual([]);
  });

  it("cannot reach another tenant's row through a payload that names it", async () => {
    fake.calls.length = 0;
    await runJob({ orgId: a.orgId, userId: b.users.member });
    expect(fake.calls).toEqual([]);
    const { rows } = await t.root.query<{ settings: unknown }>(
      "select settings from app_public.users where id = $1",
      [b.users.member],
    );
    expect(rows).toEqual([{ settings: {} }]);
  });

  it("refuses a malformed payload, and the job fails instead of acting", async () => {
    await runJob({ orgId: "not-a-uuid", userId: a.users.viewer });
    const failed = await jobs();
    expect(failed).toHaveLength(1);
    expect(failed[0]!.last_error).toMatch(/payload\.orgId must be a uuid/);
    await t.root.query(
      "select graphile_worker.complete_jobs(array_agg(id)) from graphile_worker.jobs",
    );
  });

  it("passes the abort signal to the outside call: a shutdown cancels it and the job is kept", async () => {
    fake.calls.length = 0;
    fake.hang = true;
    const pool = t.pool(t.db.ownerUrl, 3);
    const runner = await run({
      pgPool: pool,
      concurrency: 1,
      pollInterval: 100,
      noHandleSignals: true,
      gracefulShutdownAbortTimeout: 200,
      taskList: { example__announce_member: announceMember(fake.url) },
    });
    try {
      await quickAddJob({ pgPool: pool }, "example__announce_member", {
        orgId: a.orgId,
        userId: a.users.admin,
      });
      for (let i = 0; i < 200 && fake.held.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(fake.held).toHaveLength(1);
      // The response is never ended: "close" means the client went away.
      const aborted = new Promise<void>((resolve) => fake.held[0]!.once("close", () => resolve()));
      await runner.stop();
      await aborted; // the worker's abort reached fetch, which closed the request
    } finally {
      fake.hang = false;
    }
    // Nothing lost: the job is still there, to be retried, and the user untouched.
    const kept = await jobs();
    expect(kept).toHaveLength(1);
    expect(kept[0]!.attempts).toBe(1);
    const { rows } = await t.root.query<{ announced: boolean }>(
      "select settings ? 'announced_at' as announced from app_public.users where id = $1",
      [a.users.admin],
    );
    expect(rows).toEqual([{ announced: false }]);
  });
});
