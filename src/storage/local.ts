/**
 * The local-filesystem artifact storage (the default): the object of key
 * `<org>/<execution>/<artifact>` is the file `<root>/<org>/<execution>/<artifact>`.
 *
 * - Keys are checked before any path is made (parseStorageKey: three uuids, so
 *   no `..`, separator or absolute path can get in), the path is checked to be
 *   under the root, and the folders on the way are checked to be real folders
 *   (a symbolic link planted inside the root is refused, never followed, and
 *   folders are made one at a time so none is made through one); files are
 *   opened with O_NOFOLLOW.
 * - Writes are atomic: the bytes go to a temporary file beside the object
 *   (`.<artifact>.<random>.tmp`, a name no key can have), which is fsynced, then
 *   renamed over the object, and the folder is fsynced so the rename survives a
 *   crash. A reader sees the old object or the new one, never part of one.
 * - Deletes are idempotent (a missing object is success) and durable (the
 *   folder is fsynced, so a completed deletion job cannot be undone by a power
 *   cut), remove what a crashed upload of the same artifact left behind, and
 *   then remove the execution's and the organization's folders if they are
 *   empty. A concurrent upload into a folder being removed retries.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import {
  ArtifactMismatchError,
  ArtifactNotFoundError,
  InvalidStorageKeyError,
  parseStorageKey,
  type ArtifactBody,
  type ArtifactStorage,
  type PutOptions,
  type StorageCallOptions,
  type StoredObject,
} from "./artifacts.ts";

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** O_NOFOLLOW where the platform has it (not on Windows, which has no such links to fear here). */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

const codeOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/** fsync a folder, so that entries created, renamed or removed in it are durable. */
async function syncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await handle.sync();
  } catch (e) {
    // Some filesystems (and Windows) cannot fsync a folder; nothing more can be done there.
    if (!["EISDIR", "EINVAL", "EPERM", "ENOTSUP", "EBADF"].includes(codeOf(e) ?? "")) throw e;
  } finally {
    await handle?.close();
  }
}

async function* chunksOf(body: ArtifactBody): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    yield typeof chunk === "string" ? Buffer.from(chunk) : chunk;
  }
}

export class LocalArtifactStorage implements ArtifactStorage {
  /** The absolute root folder; created on the first write. */
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The file of `key`: InvalidStorageKeyError unless the key has the shape of one and stays under the root. */
  pathOf(key: string): string {
    const { orgId, executionId, artifactId } = parseStorageKey(key);
    const file = path.join(this.root, orgId, executionId, artifactId);
    // Cannot fail for three uuids; kept so that no future key shape can ever escape.
    const relative = path.relative(this.root, file);
    if (relative !== [orgId, executionId, artifactId].join(path.sep)) {
      throw new InvalidStorageKeyError(key, "leads outside the storage root");
    }
    return file;
  }

  /** The object's two folders below the root: the organization's, then the execution's. */
  private foldersOf(file: string): [string, string] {
    const exec = path.dirname(file);
    return [path.dirname(exec), exec];
  }

  /**
   * Refuses a folder on the object's path that is not a real folder (a symbolic
   * link would lead elsewhere; the root itself may be one, the operator's choice).
   * ENOENT propagates: the folder is not there.
   */
  private async checkFolders(key: string, file: string): Promise<void> {
    for (const dir of this.foldersOf(file)) {
      if (!(await fsp.lstat(dir)).isDirectory()) {
        throw new InvalidStorageKeyError(key, "leads outside the storage root (not a folder)");
      }
    }
  }

  /**
   * Makes the object's folders one level at a time, never following a link (a
   * recursive mkdir would create folders wherever a planted link points), and
   * fsyncs the parent of each one it creates so that the new entries survive a
   * crash.
   */
  private async makeFolders(key: string, file: string): Promise<void> {
    const createdRoot = await fsp.mkdir(this.root, { recursive: true, mode: DIR_MODE });
    if (createdRoot) await syncDir(path.dirname(this.root));
    for (const dir of this.foldersOf(file)) {
      try {
        await fsp.mkdir(dir, { mode: DIR_MODE });
        await syncDir(path.dirname(dir));
      } catch (e) {
        if (codeOf(e) !== "EEXIST") throw e;
      }
      if (!(await fsp.lstat(dir)).isDirectory()) {
        throw new InvalidStorageKeyError(key, "leads outside the storage root (not a folder)");
      }
    }
  }

  async put(key: string, body: ArtifactBody, options: PutOptions = {}): Promise<StoredObject> {
    const { signal, expect } = options;
    signal?.throwIfAborted();
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(8).toString("hex")}.tmp`);
    const handle = await this.openTemp(key, file, temp);
    let renamed = false;
    try {
      const hash = createHash("sha256");
      let sizeBytes = 0;
      for await (const chunk of chunksOf(body)) {
        signal?.throwIfAborted();
        hash.update(chunk);
        sizeBytes += chunk.byteLength;
        let written = 0;
        while (written < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, written);
          written += bytesWritten;
        }
      }
      signal?.throwIfAborted();
      const stored = { sizeBytes, checksum: `sha256:${hash.digest("hex")}` };
      if (
        (expect?.sizeBytes !== undefined && expect.sizeBytes !== stored.sizeBytes) ||
        (expect?.checksum != null && expect.checksum !== stored.checksum)
      ) {
        throw new ArtifactMismatchError(key, expect ?? {}, stored);
      }
      await handle.sync(); // the bytes are on disk before the name points at them
      await handle.close();
      try {
        await fsp.rename(temp, file);
      } catch (e) {
        // A deletion of this artifact (its row is gone) removed the unfinished upload.
        if (codeOf(e) === "ENOENT") {
          throw new Error(`The artifact ${key} was deleted while it was being stored`, {
            cause: e,
          });
        }
        throw e;
      }
      renamed = true;
      await syncDir(dir); // and the name survives a crash
      return stored;
    } finally {
      if (!renamed) {
        await handle.close().catch(() => undefined);
        await fsp.rm(temp, { force: true }).catch(() => undefined);
      }
    }
  }

  /**
   * Makes the object's folders and opens its temporary file. A concurrent delete
   * may remove an empty folder between the two (it cleans up after itself): then
   * the folders are made again, a few times at most.
   */
  private async openTemp(key: string, file: string, temp: string): Promise<fsp.FileHandle> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.makeFolders(key, file);
        return await fsp.open(
          temp,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW,
          FILE_MODE,
        );
      } catch (e) {
        if (codeOf(e) === "ENOENT" && attempt < 5) continue;
        throw e;
      }
    }
  }

  async open(key: string, options: StorageCallOptions = {}): Promise<Readable> {
    options.signal?.throwIfAborted();
    const file = this.pathOf(key);
    let handle: fsp.FileHandle;
    try {
      await this.checkFolders(key, file);
      handle = await fsp.open(file, constants.O_RDONLY | NOFOLLOW);
    } catch (e) {
      if (codeOf(e) === "ENOENT") throw new ArtifactNotFoundError(key);
      throw e;
    }
    // The stream closes the file when it ends, fails or is aborted.
    return handle.createReadStream({ signal: options.signal });
  }

  async exists(key: string, options: StorageCallOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted();
    const file = this.pathOf(key);
    try {
      await this.checkFolders(key, file);
      return (await fsp.lstat(file)).isFile();
    } catch (e) {
      if (codeOf(e) === "ENOENT") return false;
      throw e;
    }
  }

  async delete(key: string, options: StorageCallOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    const artifact = path.basename(file);
    let names: string[] = [];
    try {
      await this.checkFolders(key, file);
      names = await fsp.readdir(dir);
    } catch (e) {
      // No folder, no object: done by an earlier attempt, or never stored.
      if (codeOf(e) !== "ENOENT") throw e;
    }
    // The object, and the temporary files of an upload of it that never finished.
    const mine = names.filter(
      (n) => n === artifact || (n.startsWith(`.${artifact}.`) && n.endsWith(".tmp")),
    );
    for (const name of mine) await fsp.rm(path.join(dir, name), { force: true });
    if (mine.length > 0) await syncDir(dir);
    // Empty folders go too: the execution's, then the organization's (also when an
    // earlier attempt stopped between the two).
    for (const d of [dir, path.dirname(dir)]) {
      try {
        await fsp.rmdir(d);
      } catch (e) {
        if (codeOf(e) === "ENOENT") continue;
        if (["ENOTEMPTY", "EEXIST", "EBUSY"].includes(codeOf(e) ?? "")) break;
        throw e;
      }
    }
  }
}
