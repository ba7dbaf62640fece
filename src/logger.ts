/**
 * The process's one logger: pino, one JSON object per line on stdout, so a log
 * shipper can index it without parsing prose. Lines about an HTTP request carry
 * its `requestId` (see src/server/http.ts); errors go under `err` with their stack.
 *
 * The level starts from LOG_LEVEL when it is valid (so lines written before the
 * configuration is loaded respect it) and is set again from the validated
 * configuration by src/runtime.ts.
 */
import { pino, type Logger } from "pino";

export type { Logger };

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function initialLevel(): LogLevel {
  const fromEnv = process.env.LOG_LEVEL;
  return LOG_LEVELS.find((l) => l === fromEnv) ?? "info";
}

export const logger: Logger = pino({
  level: initialLevel(),
  base: { pid: process.pid, service: "forgeline" },
  timestamp: pino.stdTimeFunctions.isoTime,
  // `"level":"info"` rather than pino's numeric 30: readable without a lookup table.
  formatters: { level: (label) => ({ level: label }) },
});

export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}
