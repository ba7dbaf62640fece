/**
 * The PostgreSQL server that throw-away databases (src/db/scratch.ts) are made
 * on, for the tests (test/support/server.ts) and the bench (bench/database.ts):
 * the first superuser URL set among the caller's variables, else an embedded
 * server of the caller's own, in its own data folder on its own port, so neither
 * ever touches the development database or each other's server.
 *
 * The port is the caller's variable when set, else its default; with no default
 * (the tests) or 0, a port the system reports free at start-up, so a run never
 * depends on a fixed port being free on the machine it runs on. A port taken
 * between that check and the server's bind is replaced by another free one (a
 * few times); a configured port is never replaced.
 */
import { createServer } from "node:net";
import { ConfigError } from "../config.ts";
import { EmbeddedPostgres } from "./embedded.ts";

const HOST = "127.0.0.1";
/** Free ports tried when the one picked is taken before the server binds it. */
const FREE_PORT_ATTEMPTS = 3;

/** A port nothing listens on at this moment on 127.0.0.1, as the system assigns one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") {
    throw new Error("The system did not assign a TCP port");
  }
  return address.port;
}

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
  /** or this default (absent or 0: a port that is free at start-up), */
  defaultPort?: number;
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
  // 0 (in the variable or as the default) asks for a free port, like PORT=0.
  const given = rawPort ? Number(rawPort) : options.defaultPort;
  const configured = given === 0 ? undefined : given;
  if (
    configured !== undefined &&
    (!Number.isInteger(configured) || configured < 1 || configured > 65535)
  ) {
    throw new ConfigError(
      options.portVariable,
      "must be a port number (1-65535, or 0 for a free one)",
    );
  }
  for (let attempt = 1; ; attempt++) {
    const port = configured ?? (await freePort());
    const embedded = new EmbeddedPostgres({
      dataDir: options.dataDir,
      port,
      superuser: "postgres",
      password: options.password,
      portVariable: options.portVariable,
      log: options.log,
    });
    options.log(`starting the embedded PostgreSQL server in ${embedded.pgData}`);
    try {
      await embedded.start();
    } catch (e) {
      // Taken by another program between freePort() and the server's bind: pick again.
      const taken = e instanceof ConfigError && e.variable === options.portVariable;
      if (configured === undefined && taken && attempt < FREE_PORT_ATTEMPTS) {
        options.log(`port ${port} was taken before the server could bind it: trying another`);
        continue;
      }
      throw e;
    }
    return { rootUrl: embedded.url, source: "embedded", embedded };
  }
}
