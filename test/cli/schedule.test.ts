/**
 * `forgeline schedule`, run as the operator would (the real command in a child
 * process), against real pg_cron on the test server, for this file's own scratch
 * databases: it registers the maintenance entry point every minute and the
 * server's daily purge of run details in cron.job, re-running it changes nothing,
 * the registered command does the work when run as pg_cron would run it, the
 * purge deletes only forgeline's old run details, and `--remove` takes out what it
 * added (the purge job only with the server's last forgeline maintenance job).
 *
 * Needs pg_cron preloaded (Debian's postgresql-15-cron, which .ci/run installs);
 * without it the pg_cron tests skip with one line, except under CI=true, where
 * they fail. Every cron job made here is removed after the file, even when a test
 * fails. The server may be shared with other runs: assertions about the purge job
 * hold whatever other forgeline databases schedule meanwhile.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import {
  cronDatabase,
  MAINTENANCE_SQL,
  maintenanceJobName,
  PURGE_JOB_NAME,
  PURGE_SQL,
  SCHEDULE_LOCK,
  unscheduleMaintenance,
} from "../../src/db/schedule.ts";
import { databaseUrl } from "../../src/db/setup.ts";
import { useTestDatabase, type TestDb } from "../support/db.ts";
import { cleanEnv, runForgeline, tempDir } from "./helpers.ts";

interface JobRow {
  jobid: string;
  jobname: string;
  schedule: string;
  command: string;
  database: string;
  username: string;
  active: boolean;
}

// Every test runs the command, each run a Node process of its own.
describe("forgeline schedule", { timeout: 120_000 }, () => {
  const t = useTestDatabase();
  const other = useTestDatabase(); // a second forgeline database on the same server
  let cronDb: string | null = null;
  let cron: pg.Client | undefined;
  /** Jobs of other names this file makes (removed after the file). */
  const strangers: string[] = [];

  beforeAll(async () => {
    cronDb = await cronDatabase(t.db.rootUrl);
    if (cronDb) cron = await t.client(databaseUrl(t.db.rootUrl, cronDb));
  });

  // Registered after useTestDatabase, so it runs before the databases are dropped.
  afterAll(async () => {
    if (!cronDb) return;
    for (const db of [t.db, other.db]) {
      await unscheduleMaintenance(db.rootUrl, db.name).catch((e: unknown) => {
        console.error(`could not unschedule ${db.name}:`, e);
      });
    }
    for (const name of strangers) {
      await cron?.query(
        `with gone as (select jobid, cron.unschedule(jobid) from cron.job where jobname = $1)
         delete from cron.job_run_details d using gone where d.jobid = gone.jobid`,
        [name],
      );
    }
  });

  /** Skips without pg_cron, with one line; under CI=true that is a failure. */
  const needCron = (ctx: TestContext): string => {
    if (cronDb) return cronDb;
    const reason = "pg_cron is not preloaded on this server (shared_preload_libraries)";
    if (process.env.CI === "true") throw new Error(`${reason} (not allowed under CI=true)`);
    return ctx.skip(reason);
  };

  const schedule = async (db: TestDb["db"], ...args: string[]) => {
    const dir = tempDir("schedule");
    const result = await runForgeline(["schedule", ...args], {
      cwd: dir,
      env: cleanEnv({
        DATA_DIR: `${dir}/data`,
        DATABASE_URL: db.ownerUrl,
        AUTH_DATABASE_URL: db.authUrl,
        DATABASE_VISITOR: db.roles.visitor,
        ROOT_DATABASE_URL: db.rootUrl,
        LOG_FORMAT: "pretty",
      }),
    });
    return { ...result, text: result.stdout.join("\n") };
  };

  const jobs = async (name: string) =>
    (
      await cron!.query<JobRow>(
        `select jobid, jobname, schedule, command, database, username, active
           from cron.job where jobname = $1 order by jobid`,
        [name],
      )
    ).rows;

  const rootUser = async () =>
    (await t.root.query<{ me: string }>("select current_user as me")).rows[0]!.me;

  it("registers maintenance every minute and the purge daily, once however often it runs", async (ctx) => {
    const cronDbName = needCron(ctx);
    const first = await schedule(t.db);
    expect(first.code, first.stderr.join("\n")).toBe(0);
    expect(first.text).toMatch(
      new RegExp(
        `scheduled pg_cron job \\d+ "${maintenanceJobName(t.db.name)}" in database ${cronDbName}: ` +
          `app_private\\.run_maintenance\\(\\) in database ${t.db.name} as ${t.db.roles.owner}, every minute`,
      ),
    );
    expect(first.text).toMatch(
      new RegExp(
        `scheduled pg_cron job \\d+ "${PURGE_JOB_NAME}" in database ${cronDbName}: .*daily`,
      ),
    );

    const maintenance = await jobs(maintenanceJobName(t.db.name));
    expect(maintenance).toEqual([
      {
        jobid: expect.any(String) as unknown,
        jobname: maintenanceJobName(t.db.name),
        schedule: "* * * * *",
        command: MAINTENANCE_SQL,
        database: t.db.name,
        username: t.db.roles.owner,
        active: true,
      },
    ]);
    const purge = await jobs(PURGE_JOB_NAME);
    expect(purge).toEqual([
      {
        jobid: expect.any(String) as unknown,
        jobname: PURGE_JOB_NAME,
        schedule: expect.stringMatching(/^\d{1,2} \d{1,2} \* \* \*$/) as unknown, // once a day
        command: PURGE_SQL,
        database: cronDbName,
        username: await rootUser(),
        active: true,
      },
    ]);

    // Again, and again after someone changed the jobs by hand: updated in place.
    await cron!.query("select cron.alter_job($1, schedule => '5 * * * *', active => false)", [
      maintenance[0]!.jobid,
    ]);
    for (let i = 0; i < 2; i++) {
      const again = await schedule(t.db);
      expect(again.code, again.stderr.join("\n")).toBe(0);
    }
    expect(await jobs(maintenanceJobName(t.db.name))).toEqual(maintenance);
    expect(await jobs(PURGE_JOB_NAME)).toEqual(purge);

    // Our database knows, so the worker's crontab stands aside while pg_cron runs it.
    const recorded = await t.root.query(
      "select scheduler, scheduled_job from app_private.maintenance_state",
    );
    expect(recorded.rows).toEqual([
      { scheduler: "pg_cron", scheduled_job: maintenanceJobName(t.db.name) },
    ]);
  });

  it("leaves one job per name when an earlier job of that name ran as another role", async (ctx) => {
    const cronDbName = needCron(ctx);
    expect((await schedule(t.db)).code).toBe(0);
    // pg_cron's own upsert is keyed by (name, role): a job left by another role.
    await cron!.query(
      "select cron.schedule_in_database($1, '0 4 * * *', 'select 1', $2, $3, false)",
      [maintenanceJobName(t.db.name), t.db.name, await rootUser()],
    );
    expect(await jobs(maintenanceJobName(t.db.name))).toHaveLength(2);
    const result = await schedule(t.db);
    expect(result.code, result.stderr.join("\n")).toBe(0);
    expect(await jobs(maintenanceJobName(t.db.name))).toEqual([
      expect.objectContaining({
        schedule: "* * * * *",
        command: MAINTENANCE_SQL,
        username: t.db.roles.owner,
        active: true,
      }),
    ]);
    expect(await jobs(PURGE_JOB_NAME)).toEqual([expect.objectContaining({ database: cronDbName })]);
  });

  it("registers a command that does the maintenance, run in the job's database as its role", async (ctx) => {
    needCron(ctx);
    expect((await schedule(t.db)).code).toBe(0);
    const [job] = await jobs(maintenanceJobName(t.db.name));
    expect(job).toMatchObject({ database: t.db.name, username: t.db.roles.owner });
    // As pg_cron would: a session of the job's role on the job's database.
    const asJob = await t.client(
      databaseUrl(t.db.rootUrl, job!.database, job!.username, t.db.passwords.owner),
    );
    const { rows } = await t.root.query<{ name: string }>(
      `select c.relname as name from pg_inherits h join pg_class c on c.oid = h.inhrelid
        where h.inhparent = 'app_public.audit_events'::regclass order by c.relname desc limit 1`,
    );
    const newest = rows[0]!.name;
    // pg_cron itself may run the job meanwhile (it is due every minute): holding the
    // maintenance lock from before the drop makes any such run wait for this one, so
    // what the command reports is what the command did.
    await asJob.query("begin");
    await asJob.query("select pg_advisory_xact_lock(hashtextextended('forgeline.maintenance', 0))");
    await asJob.query(
      `alter table app_public.audit_events detach partition app_partitions.${newest}`,
    );
    await asJob.query(`drop table app_partitions.${newest}`);
    const done = await asJob.query<{ run_maintenance: string }>(job!.command);
    await asJob.query("commit");
    expect(done.rows.map((r) => r.run_maintenance)).toContain(`created app_partitions.${newest}`);
    const after = await t.root.query(
      `select to_regclass($1) is not null as back, s.last_run_by,
              app_private.maintenance_is_scheduled_elsewhere() as worker_stands_aside
         from app_private.maintenance_state s`,
      [`app_partitions.${newest}`],
    );
    expect(after.rows).toEqual([{ back: true, last_run_by: "pg_cron", worker_stands_aside: true }]);
  });

  it("purges forgeline's run details older than 7 days, and only those", async (ctx) => {
    const cronDbName = needCron(ctx);
    expect((await schedule(t.db)).code).toBe(0);
    const [maintenance] = await jobs(maintenanceJobName(t.db.name));
    const [purge] = await jobs(PURGE_JOB_NAME);
    // Another application's job on the same server (never due, inactive).
    const stranger = `not-forgeline-${t.db.name}`;
    strangers.push(stranger);
    const { rows } = await cron!.query<{ id: string }>(
      "select cron.schedule_in_database($1, '0 0 1 1 *', 'select 1', $2, $3, false) as id",
      [stranger, cronDbName, await rootUser()],
    );
    const strangerId = rows[0]!.id;
    const runs = [
      [maintenance!.jobid, "8 days", "old"],
      [maintenance!.jobid, "6 days", "recent"],
      [strangerId, "30 days", "stranger"],
    ];
    for (const [jobid, age, note] of runs) {
      await cron!.query(
        `insert into cron.job_run_details (jobid, database, username, command, status, return_message, start_time, end_time)
         values ($1, $2, $3, 'select 1', 'succeeded', $4, now() - $5::interval, now() - $5::interval)`,
        [jobid, t.db.name, t.db.roles.owner, `test ${note} ${t.db.name}`, age],
      );
    }
    const left = async () =>
      (
        await cron!.query<{ return_message: string }>(
          "select return_message from cron.job_run_details where return_message like $1 order by 1",
          [`test % ${t.db.name}`],
        )
      ).rows.map((r) => r.return_message.split(" ")[1]);
    expect(await left()).toEqual(["old", "recent", "stranger"]);
    // The purge job's command, in its database as its role.
    const asPurge = await t.client(databaseUrl(t.db.rootUrl, purge!.database, purge!.username));
    await asPurge.query(purge!.command);
    expect(await left()).toEqual(["recent", "stranger"]);
    await asPurge.end();
  });

  it("--remove takes out this database's job, and the purge job with the server's last", async (ctx) => {
    needCron(ctx);
    expect((await schedule(t.db)).code).toBe(0);
    expect((await schedule(other.db)).code).toBe(0);
    const [ours] = await jobs(maintenanceJobName(t.db.name));
    await cron!.query(
      `insert into cron.job_run_details (jobid, database, username, command, status, start_time, end_time)
       values ($1, $2, $3, $4, 'succeeded', now(), now())`,
      [ours!.jobid, t.db.name, t.db.roles.owner, MAINTENANCE_SQL],
    );

    // The other database still has its job: the purge job stays.
    const first = await schedule(t.db, "--remove");
    expect(first.code, first.stderr.join("\n")).toBe(0);
    expect(first.text).toMatch(`removed the pg_cron maintenance job of ${t.db.name}`);
    expect(first.text).toMatch(new RegExp(`kept pg_cron job "${PURGE_JOB_NAME}": \\d+ other`));
    expect(await jobs(maintenanceJobName(t.db.name))).toEqual([]);
    expect(await jobs(maintenanceJobName(other.db.name))).toHaveLength(1);
    expect(await jobs(PURGE_JOB_NAME)).toHaveLength(1);
    const history = await cron!.query("select 1 from cron.job_run_details where jobid = $1", [
      ours!.jobid,
    ]);
    expect(history.rowCount).toBe(0);
    const cleared = await t.root.query("select scheduler from app_private.maintenance_state");
    expect(cleared.rows).toEqual([{ scheduler: null }]);

    // The last one here. Other runs on a shared server may hold jobs of their own, so
    // the rule is checked as it stands under the schedule lock: a purge job exactly
    // while some forgeline maintenance job exists, and the command said which.
    const last = await schedule(other.db, "--remove");
    expect(last.code, last.stderr.join("\n")).toBe(0);
    expect(await jobs(maintenanceJobName(other.db.name))).toEqual([]);
    await cron!.query("begin");
    try {
      await cron!.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [SCHEDULE_LOCK]);
      const { rows } = await cron!.query<{ maintenance: number; purge: number }>(
        `select count(*) filter (where starts_with(jobname, 'forgeline-maintenance:'))::int as maintenance,
                count(*) filter (where jobname = $1)::int as purge
           from cron.job`,
        [PURGE_JOB_NAME],
      );
      const { maintenance, purge } = rows[0]!;
      expect(purge).toBe(maintenance > 0 ? 1 : 0);
      if (last.text.includes(`removed pg_cron job "${PURGE_JOB_NAME}"`)) {
        expect(maintenance).toBe(0);
      } else {
        expect(last.text).toMatch(new RegExp(`kept pg_cron job "${PURGE_JOB_NAME}": \\d+ other`));
      }
    } finally {
      await cron!.query("commit");
    }

    // Nothing left to remove: says so, exit 0.
    const again = await schedule(t.db, "--remove");
    expect(again.code).toBe(0);
    expect(again.text).toMatch(`no pg_cron maintenance job for ${t.db.name}`);
  });

  it("refuses a schedule pg_cron does not accept with one line and exit code 2", async (ctx) => {
    needCron(ctx);
    const result = await schedule(t.db, "--cron", "every now and then");
    expect(result.code).toBe(2);
    expect(result.stderr).toEqual([expect.stringMatching(/^Invalid configuration: --cron /)]);
  });

  it("needs ROOT_DATABASE_URL with a configured database", async () => {
    const dir = tempDir("schedule-noroot");
    const result = await runForgeline(["schedule"], {
      cwd: dir,
      env: cleanEnv({
        DATA_DIR: `${dir}/data`,
        DATABASE_URL: t.db.ownerUrl,
        AUTH_DATABASE_URL: t.db.authUrl,
        DATABASE_VISITOR: t.db.roles.visitor,
      }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toEqual([
      expect.stringMatching(/^Invalid configuration: ROOT_DATABASE_URL /),
    ]);
  });
});
