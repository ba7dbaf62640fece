/**
 * The process's one logger: pino. For a log shipper (stdout is not a terminal, or
 * NODE_ENV=production) it writes one JSON object per line, so nothing has to parse
 * prose; for a person at a terminal it writes readable lines through pino-pretty,
 *
 *   [forgeline] GraphQL API: http://127.0.0.1:5678/graphql (POST; bearer token optional)
 *   [postgres] initialising a new cluster in /…/.data/postgres
 *   [worker] WARN …
 *
 * formatted synchronously in this thread (pino-pretty's prettyFactory, not a worker
 * transport: a line is on the terminal before the next statement runs, and
 * nothing is lost when the process exits at once). LOG_FORMAT=json|pretty
 * overrides the choice. Lines about an HTTP request carry its `requestId` (see
 * src/server/http.ts); errors go under `err` with their stack.
 *
 * The level and format start from LOG_LEVEL and LOG_FORMAT when they are valid (so
 * lines written before the configuration is loaded respect them; src/cli/env.ts
 * has loaded `.env` by then); src/runtime.ts sets the level again from the
 * validated configuration.
 *
 * Commands whose stdout is their product (`token`, `seed`) move the logs to
 * stderr (logToStderr); long-running commands route third-party console.* output
 * into the logger too (routeConsoleToLogger), so stdout stays one format.
 */
import { format } from "node:util";
import { pino, type DestinationStream, type Logger } from "pino";
import pinoPretty from "pino-pretty";

export type { Logger };

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

function initialLevel(): LogLevel {
  const fromEnv = process.env.LOG_LEVEL;
  return LOG_LEVELS.find((l) => l === fromEnv) ?? "info";
}

/** LOG_FORMAT when valid; otherwise pretty on a terminal, except in production. */
export function chooseLogFormat(env: NodeJS.ProcessEnv, isTTY: boolean | undefined): LogFormat {
  const given = LOG_FORMATS.find((f) => f === env.LOG_FORMAT);
  if (given) return given;
  return isTTY && env.NODE_ENV !== "production" ? "pretty" : "json";
}

const LEVEL_COLORS = { warn: "yellow", error: "red", fatal: "red" } as const;

/** `[component] LEVEL message`: the level only when it is worth a look. */
function prettifier(colorize: boolean): (line: string) => string {
  return pinoPretty.prettyFactory({
    colorize,
    ignore: "level,time,pid,hostname,service,component",
    messageFormat: (log, messageKey, _levelLabel, { colors }) => {
      const component = typeof log.component === "string" ? log.component : "forgeline";
      const level = typeof log.level === "string" ? log.level : "";
      const message = typeof log[messageKey] === "string" ? log[messageKey] : "";
      const color = LEVEL_COLORS[level as keyof typeof LEVEL_COLORS];
      const label = color ? `${colors[color](level.toUpperCase())} ` : "";
      return `${colors.gray(`[${component}]`)} ${label}${message}`;
    },
  });
}

type Target = "stdout" | "stderr";

/** Where lines go and how they look; switchable before (or while) anything logs. */
const output = {
  target: "stdout" as Target,
  sinks: {} as Partial<Record<Target, DestinationStream>>,
  format: "json" as LogFormat,
  prettify: undefined as ((line: string) => string) | undefined,
  setTarget(target: Target) {
    const tty = (target === "stdout" ? process.stdout : process.stderr).isTTY;
    this.target = target;
    this.format = chooseLogFormat(process.env, tty);
    const colorize = Boolean(tty) && !("NO_COLOR" in process.env);
    this.prettify = this.format === "pretty" ? prettifier(colorize) : undefined;
  },
  sink(): DestinationStream {
    // Synchronous writes: a line logged just before process.exit() is not lost.
    return (this.sinks[this.target] ??= pino.destination({
      dest: this.target === "stdout" ? 1 : 2,
      sync: true,
    }));
  },
};
output.setTarget("stdout");

const stream: DestinationStream = {
  write(line: string) {
    output.sink().write(output.prettify ? output.prettify(line) : line);
  },
};

export const logger: Logger = pino(
  {
    level: initialLevel(),
    base: { pid: process.pid, service: "forgeline" },
    timestamp: pino.stdTimeFunctions.isoTime,
    // `"level":"info"` rather than pino's numeric 30: readable without a lookup table.
    formatters: { level: (label) => ({ level: label }) },
  },
  stream,
);

export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}

/** Logs go to stderr from now on, formatted for it: stdout is the command's product. */
export function logToStderr(): void {
  output.setTarget("stderr");
}

/**
 * console.log/info/warn/error/debug/trace/dir become log lines (component
 * "console"), so what a library prints itself (grafserv's and @dataplan/pg's
 * unexpected-error paths, graphile-build's schema warnings) does not break the
 * JSON stream. The first Error among the arguments is kept as `err`, with its stack.
 */
export function routeConsoleToLogger(): void {
  const consoleLog = logger.child({ component: "console" });
  const route =
    (level: "debug" | "info" | "warn" | "error") =>
    (...args: unknown[]): void => {
      const err = args.find((a): a is Error => a instanceof Error);
      const text = format(...args.map((a) => (err && a === err ? err.message : a)));
      if (err) consoleLog[level]({ err }, text);
      else consoleLog[level](text);
    };
  console.log = route("info");
  console.info = route("info");
  console.debug = route("debug");
  console.warn = route("warn");
  console.trace = route("warn");
  console.error = route("error");
  console.dir = (item: unknown) => route("info")(item);
}
