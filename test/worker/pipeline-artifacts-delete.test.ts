/**
 * Artifact storage and the task that deletes an artifact's object after its row
 * (pipeline_artifacts__delete), against a real PostgreSQL and real
 * graphile-worker runners, with the local storage in a temporary folder:
 *
 *   - the objects of expired artifacts (maintenance, with a clock past their
 *     expiry), of an admin's delete and of a deleted organization are deleted;
 *   - a worker killed (SIGKILL) between the row's deletion and the object's
 *     leaves its job locked; once the operator unlocks the dead worker's jobs a
 *     new worker deletes the object and leaves nothing behind;
 *   - a malformed payload fails its job for good, and deletes nothing;
 *   - an object whose row still exists is kept;
 *   - the worker's abort signal reaches the storage: a shutdown cancels a
 *     hanging delete and the job is kept for its next attempt;
 *   - the storage refuses every key that is not `<uuid>/<uuid>/<uuid>` or that
 *     leads outside its root, and writes atomically.
 *
 * Waits are bounded polls, never timings.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { makeWorkerUtils, run, type TaskList } from "graphile-worker";
import { eventually, runJobsOnce } from "../support/worker.ts";
import { projectRoot } from "../../src/paths.ts";
import {
  ArtifactMismatchError,
  ArtifactNotFoundError,
  InvalidStorageKeyError,
  type ArtifactStorage,
} from "../../src/storage/artifacts.ts";
import { LocalArtifactStorage } from "../../src/storage/local.ts";
import { createTaskList } from "../../src/worker/tasks/index.ts";
import { asActor, createOrg, useTestDatabase, type OrgFixture } from "../support/db.ts";

interface Artifact {
  id: string;
  storage_key: string;
  expires_at: Date;
}

interface JobRow {
  id: string;
  key: string | null;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  locked_by: string | null;
}

/** graphile-worker's jobs with their payloads (its public view leaves the payload out). */
const JOBS = `
  select jobs.id, jobs.key, jobs.payload, jobs.attempts, jobs.max_attempts, jobs.last_error,
         jobs.locked_by
    from graphile_worker._private_jobs jobs
    join graphile_worker._private_tasks tasks on tasks.id = jobs.task_id`;

const roots: string[] = [];
function tempRoot(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `forgeline-artifacts-${label}-`));
  roots.push(dir);
  return dir;
}

/** Every file and folder under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

/** Polls `check` until it returns true, at most `tries` × `everyMs`; returns whether it did. */
afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

describe("pipeline_artifacts__delete", () => {
  const t = useTestDatabase();
  let org: OrgFixture;
  let owner: pg.Pool;
  let pipeline: string;
  let root: string;
  let storage: LocalArtifactStorage;
  let tasks: TaskList;

  const asAdmin = <T>(o: OrgFixture, fn: (c: pg.ClientBase) => Promise<T>) =>
    asActor(t, { orgId: o.orgId, userId: o.users.admin }, fn, { commit: true });
  const asMember = <T>(o: OrgFixture, fn: (c: pg.ClientBase) => Promise<T>) =>
    asActor(t, { orgId: o.orgId, userId: o.users.member }, fn, { commit: true });

  const newPipeline = (o: OrgFixture) =>
    asAdmin(o, async (c) => {
      const repo = await c.query<{ id: string }>(
        `insert into app_public.repositories (provider, full_name, clone_url)
         values ('github', 'acme/app', 'https://github.com/acme/app.git') returning id`,
      );
      const { rows } = await c.query<{ id: string }>(
        `insert into app_public.pipelines (repository_id, name, definition)
         values ($1, 'ci', '{"steps":[{"name":"build"}]}') returning id`,
        [repo.rows[0]!.id],
      );
      return rows[0]!.id;
    });

  /** A run whose step registers an artifact, as a runner does; its bytes then go into `into`. */
  const newArtifact = async (
    o: OrgFixture,
    pipelineId: string,
    into: LocalArtifactStorage,
    body = Buffer.from("an artifact's bytes\n"),
  ) => {
    const artifact = await asMember(o, async (c) => {
      const exec = await c.query<{ id: string }>(
        "select id from app_public.start_execution($1, 'push', 'main')",
        [pipelineId],
      );
      const steps = await c.query<{ id: string }>("select id from app_public.ready_steps($1)", [
        exec.rows[0]!.id,
      ]);
      await c.query("select app_public.start_step($1)", [steps.rows[0]!.id]);
      const { rows } = await c.query<Artifact>(
        `select id, storage_key, expires_at
           from app_public.add_artifact($1, 'dist/app.tar.gz', $2, 'application/gzip', $3)`,
        [steps.rows[0]!.id, body.length, `sha256:${sha256(body)}`],
      );
      return rows[0]!;
    });
    const stored = await into.put(artifact.storage_key, body, {
      expect: { sizeBytes: body.length, checksum: `sha256:${sha256(body)}` },
    });
    expect(stored.sizeBytes).toBe(body.length);
    expect(await into.exists(artifact.storage_key)).toBe(true);
    return artifact;
  };

  const jobsFor = async (artifactId: string) =>
    (
      await t.root.query<JobRow>(
        `${JOBS} where tasks.identifier = 'pipeline_artifacts__delete'
                   and jobs.payload ->> 'artifactId' = $1 order by jobs.id`,
        [artifactId],
      )
    ).rows;

  const allJobs = async () => (await t.root.query<JobRow>(`${JOBS} order by jobs.id`)).rows;

  const rowCount = async (artifactId: string) =>
    (
      await t.root.query<{ n: number }>(
        "select count(*)::int as n from app_public.pipeline_artifacts where id = $1",
        [artifactId],
      )
    ).rows[0]!.n;

  const work = (taskList: TaskList = tasks) => runJobsOnce(owner, taskList);

  beforeAll(async () => {
    org = await createOrg(t, "artifacts");
    owner = t.pool(t.db.ownerUrl, 4);
    pipeline = await newPipeline(org);
    root = tempRoot("main");
    storage = new LocalArtifactStorage(root);
    tasks = createTaskList({ artifacts: storage });
  });

  it("deletes the object of an artifact that expired (maintenance with a clock past its expiry)", async () => {
    const artifact = await newArtifact(org, pipeline, storage);
    // One second before its expiry nothing happens; one second after, the row goes.
    const expire = (offset: string) =>
      owner.query<{ line: string }>(
        "select app_private.expire_pipeline_artifacts(at => $1::timestamptz + $2::interval) as line",
        [artifact.expires_at, offset],
      );
    expect((await expire("-1 second")).rows).toEqual([]);
    expect(await rowCount(artifact.id)).toBe(1);
    expect((await expire("1 second")).rows[0]!.line).toMatch(/^expired \d+ pipeline artifacts$/);
    expect(await rowCount(artifact.id)).toBe(0);

    // The transaction that deleted the row enqueued the deletion of the object.
    const [job] = await jobsFor(artifact.id);
    expect(job).toMatchObject({
      key: `pipeline_artifacts__delete:${artifact.id}`,
      payload: { orgId: org.orgId, artifactId: artifact.id, storageKey: artifact.storage_key },
      max_attempts: 25,
      attempts: 0,
    });
    expect(await storage.exists(artifact.storage_key)).toBe(true);

    await work();
    expect(await storage.exists(artifact.storage_key)).toBe(false);
    expect(await jobsFor(artifact.id)).toEqual([]);
    // The execution's and the organization's folders were emptied, and removed.
    expect(await tree(root)).toEqual([]);
  });

  it("deletes the object after an admin deletes the artifact, and a retry of the job is harmless", async () => {
    const artifact = await newArtifact(org, pipeline, storage);
    const kept = await newArtifact(org, pipeline, storage);
    const deleted = await asAdmin(
      org,
      async (c) =>
        (await c.query("delete from app_public.pipeline_artifacts where id = $1", [artifact.id]))
          .rowCount,
    );
    expect(deleted).toBe(1);
    expect(await jobsFor(artifact.id)).toHaveLength(1);

    await work();
    expect(await storage.exists(artifact.storage_key)).toBe(false);
    expect(await storage.exists(kept.storage_key)).toBe(true);
    // Only the deleted artifact's folder went; the other execution's stays.
    const [orgDir, keptExec] = kept.storage_key.split("/");
    expect(await tree(root)).toEqual([orgDir, `${orgDir}/${keptExec}`, kept.storage_key].sort());

    // The same job again (a retry after a lost acknowledgement): nothing to do, success.
    const utils = await makeWorkerUtils({ pgPool: owner });
    try {
      await utils.addJob(
        "pipeline_artifacts__delete",
        { orgId: org.orgId, artifactId: artifact.id, storageKey: artifact.storage_key },
        { jobKey: `pipeline_artifacts__delete:${artifact.id}` },
      );
    } finally {
      await utils.release();
    }
    await work();
    expect(await jobsFor(artifact.id)).toEqual([]);
    expect(await storage.exists(kept.storage_key)).toBe(true);
  });

  it("keeps an object whose row still exists: the row is the source of truth", async () => {
    const artifact = await newArtifact(org, pipeline, storage);
    const utils = await makeWorkerUtils({ pgPool: owner });
    try {
      // A job that should not exist (nothing deleted the row): it must not delete the object.
      await utils.addJob("pipeline_artifacts__delete", {
        orgId: org.orgId,
        artifactId: artifact.id,
        storageKey: artifact.storage_key,
      });
    } finally {
      await utils.release();
    }
    await work();
    expect(await jobsFor(artifact.id)).toEqual([]); // done: there was nothing it may do
    expect(await rowCount(artifact.id)).toBe(1);
    expect(await storage.exists(artifact.storage_key)).toBe(true);
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      storage
        .open(artifact.storage_key)
        .then((s) =>
          s
            .on("data", (b: Buffer) => parts.push(b))
            .on("end", () => resolve(Buffer.concat(parts)))
            .on("error", reject),
        )
        .catch(reject);
    });
    expect(bytes.toString()).toBe("an artifact's bytes\n");
  });

  it("deletes the objects of an organization that was deleted (its rows went by cascade)", async () => {
    const gone = await createOrg(t, "artifacts-gone");
    const gonePipeline = await newPipeline(gone);
    const artifact = await newArtifact(gone, gonePipeline, storage);
    await asActor(
      t,
      { orgId: gone.orgId, userId: gone.users.owner },
      (c) => c.query("delete from app_public.organizations where id = $1", [gone.orgId]),
      { commit: true },
    );
    expect(await rowCount(artifact.id)).toBe(0);
    expect(await jobsFor(artifact.id)).toHaveLength(1);

    await work(); // withTenant for the deleted organization raises FL003: no row can hold the key
    expect(await jobsFor(artifact.id)).toEqual([]);
    expect(await storage.exists(artifact.storage_key)).toBe(false);
    expect(fs.existsSync(path.join(root, gone.orgId))).toBe(false);
  });

  it("refuses a malformed payload: the job fails once, for good, and deletes nothing", async () => {
    const artifact = await newArtifact(org, pipeline, storage);
    const [orgId, executionId] = artifact.storage_key.split("/") as [string, string];
    const other = randomUUID();
    const bad = [
      null,
      { orgId: "not-a-uuid", artifactId: artifact.id, storageKey: artifact.storage_key },
      { orgId, artifactId: artifact.id },
      { orgId, artifactId: artifact.id, storageKey: `${orgId}/${executionId}/../${artifact.id}` },
      { orgId, artifactId: artifact.id, storageKey: "../../../etc/passwd" },
      // Well-formed, but not this payload's artifact: it must not delete that one.
      { orgId, artifactId: other, storageKey: artifact.storage_key },
      { orgId: other, artifactId: artifact.id, storageKey: artifact.storage_key },
    ];
    await t.root.query("delete from app_public.pipeline_artifacts where id = $1", [artifact.id]);
    const enqueued = await jobsFor(artifact.id);
    expect(enqueued).toHaveLength(1);
    const utils = await makeWorkerUtils({ pgPool: owner });
    try {
      // Hold the genuine job back, so only the malformed ones run now.
      await utils.rescheduleJobs([enqueued[0]!.id], { runAt: new Date("9999-01-01T00:00:00Z") });
      for (const payload of bad) {
        await utils.addJob(
          "pipeline_artifacts__delete",
          payload as unknown as GraphileWorker.Tasks["pipeline_artifacts__delete"],
        );
      }
      await work();
      await work(); // nothing is retried
      const failed = (await allJobs()).filter((j) => j.id !== enqueued[0]!.id);
      expect(failed).toHaveLength(bad.length);
      for (const job of failed) {
        expect(job.last_error).toMatch(/^pipeline_artifacts__delete: invalid payload: /);
        expect([job.attempts, job.max_attempts]).toEqual([1, 1]);
        expect(job.locked_by).toBeNull();
      }
      expect(await storage.exists(artifact.storage_key)).toBe(true);
      await utils.completeJobs(failed.map((j) => j.id));
      // The genuine job still does its work.
      await utils.rescheduleJobs([enqueued[0]!.id], { runAt: new Date(0) });
    } finally {
      await utils.release();
    }
    await work();
    expect(await storage.exists(artifact.storage_key)).toBe(false);
    expect(await allJobs()).toEqual([]);
  });

  it("passes the worker's abort signal to the storage: a shutdown cancels a hanging delete and keeps the job", async () => {
    const artifact = await newArtifact(org, pipeline, storage);
    await asAdmin(org, (c) =>
      c.query("delete from app_public.pipeline_artifacts where id = $1", [artifact.id]),
    );
    let entered!: () => void;
    const inDelete = new Promise<void>((resolve) => (entered = resolve));
    // The real storage, except that delete hangs until its signal aborts (a stuck object store).
    const hanging: ArtifactStorage = {
      put: (key, body, options) => storage.put(key, body, options),
      open: (key, options) => storage.open(key, options),
      exists: (key, options) => storage.exists(key, options),
      delete: (_key, options) =>
        new Promise<void>((_resolve, reject) => {
          const signal = options?.signal;
          if (!signal) return reject(new Error("no abort signal was passed"));
          signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
          entered();
        }),
    };
    const runner = await run({
      pgPool: owner,
      taskList: createTaskList({ artifacts: hanging }),
      concurrency: 1,
      pollInterval: 50,
      noHandleSignals: true,
      gracefulShutdownAbortTimeout: 100,
    });
    try {
      await inDelete; // bounded by the test's timeout
    } finally {
      await runner.stop(); // aborts the job after gracefulShutdownAbortTimeout
    }
    expect(await eventually(async () => (await jobsFor(artifact.id))[0]?.locked_by === null)).toBe(
      true,
    );
    const [job] = await jobsFor(artifact.id);
    expect(job).toMatchObject({ attempts: 1, max_attempts: 25 });
    expect(job!.last_error).toEqual(expect.any(String));
    expect(await storage.exists(artifact.storage_key)).toBe(true);

    // Its next attempt (brought forward) deletes the object.
    const utils = await makeWorkerUtils({ pgPool: owner });
    try {
      await utils.rescheduleJobs([job!.id], { runAt: new Date(0) });
    } finally {
      await utils.release();
    }
    await work();
    expect(await jobsFor(artifact.id)).toEqual([]);
    expect(await storage.exists(artifact.storage_key)).toBe(false);
  });

  it("finishes after a worker is killed between the row's deletion and the object's", async () => {
    const crashRoot = tempRoot("crash");
    const crashStorage = new LocalArtifactStorage(crashRoot);
    const artifact = await newArtifact(org, pipeline, crashStorage);
    // The row is deleted and committed: from here on, only the job remembers the object.
    await asAdmin(org, (c) =>
      c.query("delete from app_public.pipeline_artifacts where id = $1", [artifact.id]),
    );
    expect(await rowCount(artifact.id)).toBe(0);
    expect((await allJobs()).map((j) => j.key)).toEqual([
      `pipeline_artifacts__delete:${artifact.id}`,
    ]);

    const worker = spawnBlockingWorker(crashRoot);
    try {
      const started = await worker.line((l) => l.started === true);
      expect(started.root).toBe(crashRoot); // the configured ARTIFACT_STORAGE_DIR
      // The task re-checked the row (gone), and is inside the storage's delete.
      const deleting = await worker.line((l) => typeof l.deleting === "string");
      expect(deleting.deleting).toBe(artifact.storage_key);
    } finally {
      worker.child.kill("SIGKILL");
      await worker.exited;
    }
    expect(worker.child.signalCode).toBe("SIGKILL");

    // The crash left the object and a job locked by the dead worker.
    expect(await crashStorage.exists(artifact.storage_key)).toBe(true);
    const [locked] = await jobsFor(artifact.id);
    expect(locked).toMatchObject({ attempts: 1, last_error: null });
    expect(locked!.locked_by).toEqual(expect.any(String));
    // A worker that is already running cannot take it yet (graphile-worker would after 4 hours).
    const recoveryTasks = createTaskList({ artifacts: crashStorage });
    await work(recoveryTasks);
    expect(await jobsFor(artifact.id)).toEqual([locked]);
    expect(await crashStorage.exists(artifact.storage_key)).toBe(true);

    // Recovery: a worker is running; the operator unlocks the dead worker's jobs.
    const runner = await run({
      pgPool: owner,
      taskList: recoveryTasks,
      concurrency: 1,
      pollInterval: 50,
      noHandleSignals: true,
    });
    try {
      const utils = await makeWorkerUtils({ pgPool: owner });
      try {
        await utils.forceUnlockWorkers([locked!.locked_by!]);
      } finally {
        await utils.release();
      }
      expect(await eventually(async () => (await jobsFor(artifact.id)).length === 0)).toBe(true);
    } finally {
      await runner.stop();
    }
    expect(await crashStorage.exists(artifact.storage_key)).toBe(false);
    expect(await tree(crashRoot)).toEqual([]); // nothing left behind
  });

  /**
   * `forgeline worker`'s runner (src/worker/runner.ts, the real task list) in a
   * child process, configured like production (DATABASE_URL, ARTIFACT_STORAGE_DIR),
   * with the configured local storage except that its delete announces itself on
   * stdout and then never returns: the test kills the process there.
   */
  function spawnBlockingWorker(artifactRoot: string) {
    const source = `
      import pg from "pg";
      import { loadConfig } from "./src/config.ts";
      import { artifactStorageFor } from "./src/storage/index.ts";
      import { startWorker } from "./src/worker/runner.ts";
      import { createTaskList } from "./src/worker/tasks/index.ts";
      const config = loadConfig();
      const real = artifactStorageFor(config);
      const say = (line) => process.stdout.write(JSON.stringify(line) + "\\n");
      const artifacts = {
        put: (key, body, options) => real.put(key, body, options),
        open: (key, options) => real.open(key, options),
        exists: (key, options) => real.exists(key, options),
        delete: (key) => {
          say({ deleting: key });
          return new Promise(() => {});
        },
      };
      const pool = new pg.Pool({ connectionString: config.database.ownerUrl, max: 3 });
      await startWorker({ pool, concurrency: 1, pollInterval: 50, taskList: createTaskList({ artifacts }) });
      say({ started: true, root: config.artifactStorageDir });
    `;
    const child = spawn(process.execPath, ["--input-type=module", "--eval", source], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "test",
        LOG_LEVEL: "warn",
        LOG_FORMAT: "json",
        DATABASE_URL: t.db.ownerUrl,
        AUTH_DATABASE_URL: t.db.authUrl,
        ARTIFACT_STORAGE_DIR: artifactRoot,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return watchLines(child);
  }
});

describe("the local artifact storage", () => {
  const org = randomUUID();
  const exec = randomUUID();
  const key = (id = randomUUID()) => `${org}/${exec}/${id}`;

  it("refuses keys that are not <uuid>/<uuid>/<uuid> or that lead outside its root", async () => {
    const parent = tempRoot("traversal");
    const root = path.join(parent, "root");
    const storage = new LocalArtifactStorage(root);
    const outside = path.join(parent, "outside.txt");
    fs.writeFileSync(outside, "not yours");
    const a = randomUUID();
    const bad = [
      "",
      "..",
      "../outside.txt",
      `${org}/${exec}/../../../outside.txt`,
      `${org}/${exec}/..`,
      `${org}/../${a}`,
      `/${org}/${exec}/${a}`,
      `${org}/${exec}/${a}/`,
      `${org}/${exec}/${a}/x`,
      `${org}\\${exec}\\${a}`,
      `${org}/${exec}`,
      `${org.toUpperCase()}/${exec}/${a}`,
      `${org}/${exec}/${a}\0`,
      `${org}//${exec}/${a}`,
      path.join(parent, "outside.txt"),
    ];
    for (const k of bad) {
      await expect(storage.put(k, Buffer.from("x"))).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(storage.open(k)).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(storage.exists(k)).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(storage.delete(k)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    }
    expect(() => storage.pathOf("../../x")).toThrow(InvalidStorageKeyError);
    expect(fs.readFileSync(outside, "utf8")).toBe("not yours");
    expect(fs.existsSync(root)).toBe(false); // nothing was even created

    // A symbolic link inside the root (an organization's folder pointing elsewhere) is never
    // followed: nothing is made through it, nothing read or deleted through it.
    const elsewhere = path.join(parent, "elsewhere");
    fs.mkdirSync(elsewhere);
    fs.mkdirSync(root);
    fs.symlinkSync(elsewhere, path.join(root, org));
    const linked = `${org}/${exec}/${a}`;
    await expect(storage.put(linked, Buffer.from("x"))).rejects.toBeInstanceOf(
      InvalidStorageKeyError,
    );
    expect(await tree(elsewhere)).toEqual([]);
    fs.mkdirSync(path.join(elsewhere, exec));
    fs.writeFileSync(path.join(elsewhere, exec, a), "someone else's");
    await expect(storage.put(linked, Buffer.from("x"))).rejects.toBeInstanceOf(
      InvalidStorageKeyError,
    );
    await expect(storage.open(linked)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    await expect(storage.exists(linked)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    await expect(storage.delete(linked)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    expect(await tree(elsewhere)).toEqual([exec, `${exec}/${a}`]);
    expect(fs.readFileSync(path.join(elsewhere, exec, a), "utf8")).toBe("someone else's");
  });

  it("stores whole objects or nothing, reads them back and deletes idempotently", async () => {
    const root = tempRoot("adapter");
    const storage = new LocalArtifactStorage(root);
    const k = key();
    const chunks = [Buffer.from("hello, "), Buffer.from("artifact")];
    const stored = await storage.put(k, Readable.from(chunks));
    expect(stored).toEqual({
      sizeBytes: 15,
      checksum: `sha256:${sha256(Buffer.concat(chunks))}`,
    });
    expect(await storage.exists(k)).toBe(true);

    // A body that is not what the row says is refused and changes nothing.
    await expect(
      storage.put(k, Buffer.from("other"), { expect: { checksum: stored.checksum } }),
    ).rejects.toBeInstanceOf(ArtifactMismatchError);
    // An aborted upload stores nothing either.
    const aborted = new AbortController();
    function* interrupted() {
      yield Buffer.from("part one");
      aborted.abort(new Error("shutting down"));
      yield Buffer.from("part two");
    }
    await expect(
      storage.put(k, Readable.from(interrupted()), { signal: aborted.signal }),
    ).rejects.toThrow("shutting down");
    expect(await tree(root)).toEqual([org, `${org}/${exec}`, k].sort()); // no temporary file left

    const read = await storage.open(k);
    const parts: Buffer[] = [];
    for await (const part of read) parts.push(part as Buffer);
    expect(Buffer.concat(parts).toString()).toBe("hello, artifact");

    await expect(storage.open(key())).rejects.toBeInstanceOf(ArtifactNotFoundError);
    expect(await storage.exists(key())).toBe(false);
    await storage.delete(key()); // never stored: success
    await expect(storage.delete(k, { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(await storage.exists(k)).toBe(true);

    // A crashed upload's temporary file goes with its object; the folders go once empty.
    fs.writeFileSync(path.join(root, org, exec, `.${path.basename(k)}.0123.tmp`), "partial");
    await storage.delete(k);
    await storage.delete(k); // again: success
    expect(await tree(root)).toEqual([]);
    // An attempt that stopped between removing the two folders: the next one finishes.
    fs.mkdirSync(path.join(root, org));
    await storage.delete(k);
    expect(await tree(root)).toEqual([]);
  });
});

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

/** A child's stdout, line by line as JSON, and a bounded wait for a line. */
function watchLines(child: ChildProcess) {
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  let buffer = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ raw: line });
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));
  return {
    child,
    exited,
    /** The first line matching `match`; fails if the child exits first, or after 20 s. */
    async line(match: (line: Record<string, unknown>) => boolean) {
      let found: Record<string, unknown> | undefined;
      const seen = await eventually(async () => {
        found = lines.find(match);
        return Promise.resolve(found !== undefined || !alive);
      });
      if (!found) {
        throw new Error(
          `the worker ${seen ? "exited" : "did not answer"}: ${JSON.stringify(lines)} ${stderr.join("")}`,
        );
      }
      return found;
    },
  };
}
