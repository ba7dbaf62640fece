/**
 * The PostgreSQL server that throw-away databases (src/db/scratch.ts) are made
 * on, for the tests (test/support/server.ts) and the bench (bench/database.ts):
 * the first superuser URL set among the caller's variables, else an embedded
 * server of the caller's own, in its own data folder on its own port, so neither
 * ever touches the development database or each other's server.
 */
import { ConfigError } from "../config.ts";
import { EmbeddedPostgres } from "./embedded.ts";

export interface ScratchServer {
  /** Superuser URL of the server's `postgres` database. */
  rootUrl: string;
  /** Where it came from: the variable that named it, or "embedded". */
  source: string;
  /** Set when this process started the server; stop() it at the end. */
  embedded?: EmbeddedPostgres;
}

export interface ScratchServerOptions {
  /** Variables holding a superuser URL, in order of preference (the first set wins). */
  urlVariables: readonly string[];
  /** Otherwise: the embedded server's data folder (the cluster is in `<dataDir>/postgres`), */
  dataDir: string;
  /** its port, from this variable, */
  portVariable: string;
  /** or this default, */
  defaultPort: number;
  /** and the password of its `postgres` superuser. */
  password: string;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export async function startScratchServer(options: ScratchServerOptions): Promise<ScratchServer> {
  const env = options.env ?? process.env;
  for (const variable of options.urlVariables) {
    const url = env[variable];
    if (url) return { rootUrl: url, source: variable };
  }
  const rawPort = env[options.portVariable];
  const port = rawPort ? Number(rawPort) : options.defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(options.portVariable, "must be a port number (1-65535)");
  }
  const embedded = new EmbeddedPostgres({
    dataDir: options.dataDir,
    port,
    superuser: "postgres",
    password: options.password,
    portVariable: options.portVariable,
    log: options.log,
  });
  options.log(`starting the embedded PostgreSQL server in ${embedded.pgData}`);
  await embedded.start();
  return { rootUrl: embedded.url, source: "embedded", embedded };
}
