/**
 * Imported first by the CLI, before anything reads the environment:
 *
 * - `.env` in the working directory is loaded when present (Node's own parser,
 *   process.loadEnvFile): a variable already set in the environment wins over the
 *   file, so `PORT=0 npm start` still means port 0. The same file serves
 *   docker-compose.yml (see .env.example).
 * - Grafast reads GRAPHILE_ENV when it loads, so it is derived from NODE_ENV
 *   (which `.env` may set) before anything imports PostGraphile.
 */
import fs from "node:fs";
import path from "node:path";

const envFile = path.resolve(".env");
if (fs.existsSync(envFile)) {
  try {
    process.loadEnvFile(envFile);
  } catch (e) {
    process.stderr.write(`Cannot read ${envFile}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}

process.env.GRAPHILE_ENV ??= process.env.NODE_ENV === "production" ? "production" : "development";
