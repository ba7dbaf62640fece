/**
 * The artifact storage a process uses, made from its configuration: the local
 * filesystem under ARTIFACT_STORAGE_DIR (default `<DATA_DIR>/artifacts`). An
 * object-store adapter would be chosen here.
 */
import { loadConfig, type Config } from "../config.ts";
import type { ArtifactStorage } from "./artifacts.ts";
import { LocalArtifactStorage } from "./local.ts";

export function artifactStorageFor(config: Pick<Config, "artifactStorageDir">): ArtifactStorage {
  return new LocalArtifactStorage(config.artifactStorageDir);
}

/**
 * The storage of the environment's configuration (process.env), made when it is
 * first used rather than when this module is imported, so that importing the
 * task list reads no configuration. Commands validate the configuration before
 * they start, so this cannot fail later for a reason they did not report.
 */
export function configuredArtifactStorage(): ArtifactStorage {
  let storage: ArtifactStorage | undefined;
  const get = () => (storage ??= artifactStorageFor(loadConfig()));
  return {
    put: (key, body, options) => get().put(key, body, options),
    open: (key, options) => get().open(key, options),
    delete: (key, options) => get().delete(key, options),
    exists: (key, options) => get().exists(key, options),
  };
}
