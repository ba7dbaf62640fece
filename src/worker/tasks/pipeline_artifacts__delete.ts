/**
 * pipeline_artifacts__delete: deletes the stored object of a pipeline artifact
 * whose row is gone. functions/pipelines/artifacts.sql enqueues it in the very
 * transaction that deletes the row, whatever deleted it (expiry by maintenance,
 * an admin, a cascade from the execution, pipeline, repository or organization,
 * a month dropped by retention): payload `{orgId, artifactId, storageKey}`, job
 * key `pipeline_artifacts__delete:<artifact>`, 25 attempts. A crash between the
 * row's deletion and the object's leaves this job, which a worker finishes.
 *
 * The reference for a task that acts for a tenant (docs/adding-a-module.md,
 * "A worker task"):
 *
 *   1. the payload is declared on GraphileWorker.Tasks and checked on entry by
 *      an assertion function; a malformed one can never succeed, so the job
 *      fails once, for good, with an error that says what is wrong;
 *   2. its SQL runs through withTenant on the worker's connection, so RLS
 *      guards it as the tenant's service and the audit log names the job;
 *   3. it re-reads the state it acts on: the row is the source of truth, so if
 *      a row still holds this storage key the object is kept. Idempotent: an
 *      object an earlier attempt deleted is simply not there any more;
 *   4. the outside call (the storage) gets helpers.abortSignal.
 *
 * An organization that was deleted took its artifacts' rows with it (cascade)
 * and can no longer be acted for (withTenant raises FL003 before the callback
 * runs): then no row can hold the key, and the object is deleted.
 */
import type { JobHelpers, Task } from "graphile-worker";
import { withTenant } from "../../db/session.ts";
import {
  InvalidStorageKeyError,
  parseStorageKey,
  type ArtifactStorage,
} from "../../storage/artifacts.ts";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- graphile-worker types task payloads on this global namespace
  namespace GraphileWorker {
    interface Tasks {
      pipeline_artifacts__delete: {
        /** The organization the artifact belonged to. */
        orgId: string;
        artifactId: string;
        /** `<orgId>/<execution>/<artifactId>`, as add_artifact chose it. */
        storageKey: string;
      };
    }
  }
}

export type PipelineArtifactsDeletePayload = GraphileWorker.Tasks["pipeline_artifacts__delete"];

/** A payload this task can never act on; the job is not retried. */
export class InvalidPayloadError extends Error {
  constructor(why: string) {
    super(`pipeline_artifacts__delete: invalid payload: ${why}`);
    this.name = "InvalidPayloadError";
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function assertPayload(payload: unknown): asserts payload is PipelineArtifactsDeletePayload {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    throw new InvalidPayloadError("must be an object {orgId, artifactId, storageKey}");
  }
  const p = payload as Record<string, unknown>;
  for (const field of ["orgId", "artifactId"] as const) {
    if (typeof p[field] !== "string" || !UUID.test(p[field])) {
      throw new InvalidPayloadError(`${field} must be a lowercase uuid`);
    }
  }
  let key;
  try {
    key = parseStorageKey(p.storageKey);
  } catch (e) {
    if (e instanceof InvalidStorageKeyError)
      throw new InvalidPayloadError(`storageKey: ${e.message}`);
    throw e;
  }
  if (key.orgId !== p.orgId || key.artifactId !== p.artifactId) {
    throw new InvalidPayloadError(
      "storageKey must be <orgId>/<execution>/<artifactId> of this payload",
    );
  }
}

/**
 * graphile-worker 0.18 has no way for a task to fail without retries
 * (graphile/worker#148): the running job's max_attempts is lowered to the
 * attempt it is on, which makes this failure its last (graphile-worker's own
 * add_jobs stops a superseded job the same way). Its row stays, with the
 * error, for an operator to see; a new job with the same key replaces it.
 */
async function failForGood(helpers: JobHelpers, error: Error): Promise<never> {
  const { rows } = await helpers.query<{ max_attempts: number }>(
    `update graphile_worker._private_jobs set max_attempts = greatest(attempts, 1)
      where id = $1 returning max_attempts`,
    [helpers.job.id],
  );
  // The worker's copy too, so that it logs "attempt n of n" and reports the job failed for good.
  if (rows[0]) helpers.job.max_attempts = rows[0].max_attempts;
  throw error;
}

/** The task, bound to the storage it deletes from (the configured one in the worker, src/worker/runner.ts). */
export function pipeline_artifacts__delete(
  storage: ArtifactStorage,
): Task<"pipeline_artifacts__delete"> {
  return async (payload, helpers) => {
    try {
      assertPayload(payload);
    } catch (e) {
      if (e instanceof InvalidPayloadError) await failForGood(helpers, e);
      throw e;
    }
    const { orgId, artifactId, storageKey } = payload;
    const { executionId } = parseStorageKey(storageKey);

    let acting = false;
    let rowExists: boolean;
    try {
      rowExists = await helpers.withPgClient((client) =>
        withTenant(
          client,
          { orgId, actor: "worker", requestId: `job-${helpers.job.id}` },
          async (c) => {
            acting = true;
            // Any row of the tenant that holds this key (the execution's artifacts, by index).
            const { rows } = await c.query<{ held: boolean }>(
              `select exists (select 1 from app_public.pipeline_artifacts
                               where execution_id = $1 and storage_key = $2) as held`,
              [executionId, storageKey],
            );
            return rows[0]?.held ?? false;
          },
        ),
      );
    } catch (e) {
      // FL003 before the callback ran: the organization is gone, and its rows with it.
      if (acting || (e as { code?: string }).code !== "FL003") throw e;
      helpers.logger.info(
        `pipeline_artifacts__delete: organization ${orgId} no longer exists; deleting the object of artifact ${artifactId}`,
      );
      rowExists = false;
    }
    if (rowExists) {
      helpers.logger.warn(
        `pipeline_artifacts__delete: a row still holds ${storageKey}; the object is kept`,
      );
      return;
    }
    await storage.delete(storageKey, { signal: helpers.abortSignal });
    helpers.logger.info(`pipeline_artifacts__delete: deleted the object of artifact ${artifactId}`);
  };
}
