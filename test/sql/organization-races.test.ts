/**
 * Organization-wide rules under concurrent transactions (DESIGN §3): each rule
 * is checked by two clients racing, many rounds, each on its own connection and
 * committing, as two API requests would. Before the organization lock, two
 * owners demoting each other both succeeded in most rounds and left the
 * organization with no owner; two requests for one slug or one email got a bare
 * unique violation instead of their code. An owner demoted while their update or
 * delete of the organization waited for the demotion's lock no longer acts as
 * an owner when it goes ahead (FL002).
 */
import { describe, expect, it } from "vitest";
import { asActor, createOrg, sqlstate, useTestDatabase, type OrgFixture } from "../support/db.ts";

const ROUNDS = 30;

/** The SQLSTATE of a settled call, or "ok". */
const outcome = (r: PromiseSettledResult<unknown>) =>
  r.status === "fulfilled" ? "ok" : String((r.reason as { code?: unknown }).code);

describe("organization rules under concurrency", () => {
  const t = useTestDatabase();

  /** An organization whose owner and admin are both owners. */
  async function twoOwners(slug: string): Promise<OrgFixture> {
    const org = await createOrg(t, slug);
    await asActor(
      t,
      { orgId: org.orgId, userId: org.users.owner },
      (c) => c.query("select app_public.change_user_role($1, 'owner')", [org.users.admin]),
      { commit: true },
    );
    return org;
  }

  const owners = async (orgId: string) =>
    (
      await t.root.query<{ n: number }>(
        "select count(*)::int as n from app_public.users where organization_id = $1 and role = 'owner'",
        [orgId],
      )
    ).rows[0]!.n;

  /** Runs `sql` as `userId` of `org` in its own committed transaction. */
  const as = (org: OrgFixture, userId: string, sql: string, params: unknown[]) =>
    asActor(t, { orgId: org.orgId, userId }, (c) => c.query(sql, params), { commit: true });

  it("keeps an owner when two owners demote each other at once", async () => {
    const seen = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const org = await twoOwners(`demote-race-${round}`);
      const [a, b] = [org.users.owner, org.users.admin];
      const results = await Promise.allSettled([
        as(org, a, "select app_public.change_user_role($1, 'admin')", [b]),
        as(org, b, "select app_public.change_user_role($1, 'admin')", [a]),
      ]);
      const outcomes = results.map(outcome).sort();
      outcomes.forEach((o) => seen.add(o));
      // One wins; the other, serialised behind it, is no longer an owner (FL002)
      // or would leave none (FL004). Never both.
      expect(
        outcomes.filter((o) => o === "ok"),
        `round ${round}: ${outcomes.join(", ")}`,
      ).toHaveLength(1);
      expect(["FL002", "FL004"]).toContain(outcomes.find((o) => o !== "ok"));
      expect(await owners(org.orgId), `round ${round}`).toBe(1);
    }
    expect(seen.has("ok")).toBe(true);
  });

  it("keeps an owner when two owners remove themselves at once", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const org = await twoOwners(`leave-race-${round}`);
      const results = await Promise.allSettled(
        [org.users.owner, org.users.admin].map((id) =>
          as(org, id, "select app_public.remove_user($1)", [id]),
        ),
      );
      expect(results.map(outcome).sort(), `round ${round}`).toEqual(["FL004", "ok"]);
      expect(await owners(org.orgId), `round ${round}`).toBe(1);
    }
  });

  it("does not let a just-demoted owner act as one", async () => {
    for (let round = 0; round < 10; round++) {
      const org = await twoOwners(`stale-owner-${round}`);
      const [a, b] = [org.users.owner, org.users.admin];
      // A demotes B while B tries to make the member an owner.
      const results = await Promise.allSettled([
        as(org, a, "select app_public.change_user_role($1, 'admin')", [b]),
        as(org, b, "select app_public.change_user_role($1, 'owner')", [org.users.member]),
      ]);
      const [demoted, promoted] = results.map(outcome);
      const { rows } = await t.root.query<{ role: string }>(
        "select role::text from app_public.users where organization_id = $1 and id = $2",
        [org.orgId, org.users.member],
      );
      // Either B promoted first (and then was demoted), or B was already an admin
      // when its call read its role: then it was refused.
      if (rows[0]!.role === "owner") expect(promoted).toBe("ok");
      else expect(promoted).toBe("FL002");
      expect(demoted).toBe("ok");
    }
  });

  it("does not let an owner demoted meanwhile update or delete the organization", async () => {
    for (let round = 0; round < 20; round++) {
      const org = await twoOwners(`demoted-write-${round}`);
      const [a, b] = [org.users.owner, org.users.admin];
      // A demotes B and holds the transaction open (the organization's row is
      // locked); B's statement starts while B is still an owner and waits for
      // that lock; then A commits.
      let commitA!: () => void;
      const held = new Promise<void>((resolve) => (commitA = resolve));
      let demoted!: () => void;
      const demotedNow = new Promise<void>((resolve) => (demoted = resolve));
      const demotion = asActor(
        t,
        { orgId: org.orgId, userId: a },
        async (c) => {
          await c.query("select app_public.change_user_role($1, 'admin')", [b]);
          demoted();
          await held;
        },
        { commit: true },
      );
      await demotedNow;
      const write =
        round % 2 === 0
          ? "update app_public.organizations set name = 'Renamed by B' where id = $1"
          : "delete from app_public.organizations where id = $1";
      let pid = 0;
      const attempt = asActor(
        t,
        { orgId: org.orgId, userId: b },
        async (c) => {
          pid = (await c.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
          return c.query(write, [org.orgId]);
        },
        { commit: true },
      );
      const outcome = sqlstate(attempt).catch(() => "ok");
      for (let i = 0; i < 200; i++) {
        const { rows } = await t.root.query<{ w: string | null }>(
          "select wait_event_type as w from pg_stat_activity where pid = $1",
          [pid],
        );
        if (rows[0]?.w === "Lock") break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      commitA();
      await demotion;
      expect(await outcome, `round ${round}: ${write}`).toBe("FL002");
      const { rows } = await t.root.query<{ name: string }>(
        "select name from app_public.organizations where id = $1",
        [org.orgId],
      );
      expect(rows, `round ${round}`).toEqual([{ name: `demoted-write-${round}` }]);
    }
  });

  it("gives FL006, not a bare unique violation, to the loser of a slug race", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const slug = `slug-race-${round}`;
      const results = await Promise.allSettled(
        [1, 2].map((n) =>
          asActor(
            t,
            { sub: `racer-${n}` },
            (c) =>
              c.query("select app_public.create_organization($1, $1, 'Racer', $2)", [
                slug,
                `racer${n}@example.com`,
              ]),
            { commit: true },
          ),
        ),
      );
      expect(results.map(outcome).sort(), `round ${round}`).toEqual(["FL006", "ok"]);
    }
  });

  it("gives FL007, not a bare unique violation, to the loser of an email race", async () => {
    const org = await createOrg(t, "email-race");
    for (let round = 0; round < ROUNDS; round++) {
      const email = `twin-${round}@example.com`;
      const results = await Promise.allSettled(
        [org.users.owner, org.users.admin].map((id) =>
          as(org, id, "select app_public.add_user($1, 'Twin', 'member')", [email]),
        ),
      );
      expect(results.map(outcome).sort(), `round ${round}`).toEqual(["FL007", "ok"]);
    }
  });
});
