/**
 * Artifact storage: where the files of pipeline artifacts live, outside the
 * database. The database decides every object's key when a runner registers an
 * artifact (`app_public.add_artifact` → `storage_key`,
 * functions/pipelines/artifacts.sql) and owns its lifetime: a row is the
 * artifact, and when rows are deleted the same transaction enqueues the
 * worker task `pipeline_artifacts__delete`, which deletes their objects here.
 *
 * A key is `<organization>/<execution>/<artifact>`, three lowercase uuids as
 * PostgreSQL prints them, and nothing else: no name a user chose ever becomes
 * part of a path. Every adapter refuses any other key (InvalidStorageKeyError)
 * before it touches anything.
 *
 * Adapters: the local filesystem (./local.ts, the default); one for an object
 * store would implement the same interface. ./index.ts makes the configured
 * one.
 */
import type { Readable } from "node:stream";

/** What an artifact's bytes can be given as: a buffer, or a stream (a Readable is one). */
export type ArtifactBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface StorageCallOptions {
  /** Cancels the call (the worker's `helpers.abortSignal`); it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface PutOptions extends StorageCallOptions {
  /**
   * What the registered artifact says the bytes are (`size_bytes`, `checksum`):
   * when given, a body that differs is refused (ArtifactMismatchError) and
   * nothing is stored.
   */
  expect?: { sizeBytes?: number; checksum?: string | null };
}

/** What was stored: the size and `sha256:<hex>` of the bytes, in the form of pipeline_artifacts.checksum. */
export interface StoredObject {
  sizeBytes: number;
  checksum: string;
}

export interface ArtifactStorage {
  /**
   * Stores `body` under `key`, whole or not at all: readers never see a partial
   * object, and an object already there is replaced only once the new one is
   * complete and durable.
   */
  put(key: string, body: ArtifactBody, options?: PutOptions): Promise<StoredObject>;
  /** The object's bytes as a stream; ArtifactNotFoundError if there is none. */
  open(key: string, options?: StorageCallOptions): Promise<Readable>;
  /**
   * Deletes the object. Idempotent: an object that is not there (never stored,
   * or deleted by an earlier attempt) is success.
   */
  delete(key: string, options?: StorageCallOptions): Promise<void>;
  exists(key: string, options?: StorageCallOptions): Promise<boolean>;
}

/** A key that is not `<uuid>/<uuid>/<uuid>`, or that would lead outside the storage. */
export class InvalidStorageKeyError extends Error {
  readonly code = "ARTIFACT_KEY_INVALID";
  constructor(key: unknown, why: string) {
    super(`Invalid artifact storage key ${JSON.stringify(String(key)).slice(0, 200)}: ${why}`);
    this.name = "InvalidStorageKeyError";
  }
}

export class ArtifactNotFoundError extends Error {
  readonly code = "ARTIFACT_NOT_FOUND";
  readonly key: string;
  constructor(key: string) {
    super(`No stored artifact under ${key}`);
    this.name = "ArtifactNotFoundError";
    this.key = key;
  }
}

/** A body that is not what the artifact's row says (PutOptions.expect). */
export class ArtifactMismatchError extends Error {
  readonly code = "ARTIFACT_MISMATCH";
  readonly key: string;
  readonly actual: StoredObject;
  constructor(
    key: string,
    expected: { sizeBytes?: number; checksum?: string | null },
    actual: StoredObject,
  ) {
    super(
      `The body for ${key} is ${actual.sizeBytes} bytes, ${actual.checksum}; expected ${
        expected.sizeBytes ?? "any size"
      }, ${expected.checksum ?? "any checksum"}`,
    );
    this.name = "ArtifactMismatchError";
    this.key = key;
    this.actual = actual;
  }
}

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const KEY = new RegExp(`^(${UUID})/(${UUID})/(${UUID})$`);

export interface StorageKey {
  orgId: string;
  executionId: string;
  artifactId: string;
}

/** The ids a key is made of; InvalidStorageKeyError for anything that is not exactly `<uuid>/<uuid>/<uuid>`. */
export function parseStorageKey(key: unknown): StorageKey {
  if (typeof key !== "string") throw new InvalidStorageKeyError(key, "must be a string");
  const m = KEY.exec(key);
  if (!m) {
    throw new InvalidStorageKeyError(
      key,
      "must be <organization>/<execution>/<artifact>, three lowercase uuids",
    );
  }
  return { orgId: m[1]!, executionId: m[2]!, artifactId: m[3]! };
}
