/**
 * `forgeline bench`: the benchmark harness (bench/README.md). This file only
 * validates the options; bench/run.ts does the work. It is imported when the
 * command runs, not when the CLI loads: every other command (`start` above all)
 * starts without loading the harness and its load generator, and keeps working
 * while the harness is being changed.
 */
import { z } from "zod";
import { ConfigError } from "../config.ts";

const optionsSchema = z.object({
  quick: z.boolean().default(false),
  duration: z.coerce
    .number({ message: "must be a number of seconds" })
    .int("must be a whole number of seconds")
    .min(1, "must be at least 1 second")
    .max(3600, "must be at most 3600 seconds")
    .optional(),
  connections: z
    .string()
    .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, "must be a list like 1,10,50")
    .default("1,10,50")
    .transform((list) => list.split(",").map((n) => Number(n.trim())))
    .refine((list) => list.every((n) => n >= 1 && n <= 1000), {
      message: "must each be between 1 and 1000",
    }),
  keep: z.boolean().default(false),
  /** Set names (bench/sets/<name>.ts), comma-separated; checked against the folder by the harness. */
  set: z
    .string()
    .regex(/^\s*[a-z][a-z0-9-]*(\s*,\s*[a-z][a-z0-9-]*)*\s*$/, "must be a list like users,tasks")
    .optional(),
});

export async function benchCommand(raw: Record<string, unknown>): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`--${String(issue?.path[0] ?? "options")}`, issue?.message ?? "invalid");
  }
  const options = parsed.data;
  const { runBench } = await import("../../bench/run.ts");
  await runBench({
    quick: options.quick,
    durationSeconds: options.duration ?? (options.quick ? 3 : 10),
    connections: [...new Set(options.connections)],
    keep: options.keep,
    sets: options.set,
  });
}
