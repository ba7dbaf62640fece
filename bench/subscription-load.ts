/**
 * One subscription load run: N graphql-ws clients of the API (one WebSocket
 * and one subscription each, the identity's token in `connectionParams`), and
 * a driver, one pg connection of this process, committing writes at a fixed
 * rate. Each write names a topic (e.g. the execution whose step it changed);
 * every subscriber of that topic must receive one event for it, and that
 * event's latency is its arrival here minus the moment the write's COMMIT was
 * sent (its statements have run; the commit and the delivery are both in it).
 *
 *   1. every client subscribes; the first event of each (the state when the
 *      subscription starts, sent once the server listens) is awaited, so no
 *      write of the run can be missed by a subscription still starting;
 *   2. the driver calls at `perSecond` for the run's seconds (call j is due at
 *      j / perSecond; a late call starts at once, and the next ones catch up);
 *   3. once it stops, the events still owed get up to GRACE_MS to arrive.
 *
 * A subscriber's events after its first are matched, in order, with the writes
 * of its topic (events arrive in commit order, one per notification): the
 * oldest write it has not yet received. An event with no write owed is
 * `unexpected`, one with GraphQL errors an error; a write still owed at the end
 * is `missed`. Each of those counts as an error, as do the driver's failed
 * calls (by SQLSTATE) and a subscription that fails or ends. The result's
 * throughput is events delivered per second; its outcomes add `commits`.
 */
import type pg from "pg";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { RunningLoad } from "./load.ts";
import type { Row } from "./set.ts";
import type { SqlCall } from "./sql-load.ts";
import { graphqlErrorCode, LatencyRecorder, perSecond, type LoadResult } from "./stats.ts";

/** How long the events owed when the driver stops may take to arrive. */
export const GRACE_MS = 5_000;
/** How long N subscriptions may take to start (their first event). */
const SUBSCRIBE_TIMEOUT_MS = 30_000;

/** A subscription scenario made concrete (bench/prepare.ts). */
export interface SubscriptionPlan {
  query: string;
  /** Subscriber i's variables. */
  variables: (subscriber: number) => Record<string, unknown>;
  /** What subscriber i listens to. */
  topic: (subscriber: number) => string;
  /** The driver's calls per second. */
  perSecond: number;
  /** One driver call; `beforeCommit` gets its results once its statements have run. */
  driverCall: (beforeCommit: (results: Row[][]) => void) => SqlCall;
  /** What a driver call changed, from its results. */
  driverTopic: (results: Row[][]) => string;
}

const sqlStateOf = (e: unknown): string | null => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : null;
};

interface Subscriber {
  topic: string;
  /** The first event (the state when the subscription started); later ones are deliveries. */
  first?: unknown;
  /** Commit times of the writes it is owed, oldest first. */
  owed: number[];
  ended?: string;
}

/**
 * The bookkeeping of N subscribers, without the sockets (so it is tested on
 * its own): who listens to what, what each is owed, what arrived. `event` and
 * `end` are what the subscriptions report; `expect` says a write of a topic is
 * being committed at a time.
 */
export class Deliveries {
  readonly latencies = new LatencyRecorder();
  readonly outcomes: Record<string, number> = {};
  errors = 0;
  protected readonly subscribers: Subscriber[];
  private readonly byTopic = new Map<string, number[]>();
  private waiters: Array<() => void> = [];
  /** While false, deliveries are not counted (before the driver starts, after it is settled). */
  private counting = false;

  constructor(topics: readonly string[]) {
    this.subscribers = topics.map((topic) => ({ topic, owed: [] }));
    topics.forEach((topic, i) => {
      const same = this.byTopic.get(topic);
      if (same) same.push(i);
      else this.byTopic.set(topic, [i]);
    });
  }

  get size(): number {
    return this.subscribers.length;
  }

  /** Subscriber i's first event. */
  firstEvent(i: number): unknown {
    return this.subscribers[i]?.first;
  }

  /** Resolves once every subscription has sent its first event; throws when one failed or it took too long. */
  async started(timeoutMs = SUBSCRIBE_TIMEOUT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const failed = this.subscribers.find((s) => s.ended !== undefined);
      if (failed) throw new Error(`a subscriber could not start: ${failed.ended}`);
      const waiting = this.subscribers.filter((s) => s.first === undefined).length;
      if (waiting === 0) return;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `${waiting} of ${this.size} subscriptions sent no first event within ${timeoutMs} ms`,
        );
      }
      await this.changed(left);
    }
  }

  /** Starts counting deliveries (and forgets anything owed before). */
  count(): void {
    for (const s of this.subscribers) s.owed.length = 0;
    this.counting = true;
  }

  /** A write of `topic` is being committed now (`at`): its subscribers are owed one event each. */
  expect(topic: string, at: number): void {
    if (!this.counting) return;
    for (const i of this.byTopic.get(topic) ?? []) this.subscribers[i]!.owed.push(at);
  }

  /** The write expected at `at` did not commit after all. */
  retract(topic: string, at: number): void {
    for (const i of this.byTopic.get(topic) ?? []) {
      const owed = this.subscribers[i]!.owed;
      const k = owed.lastIndexOf(at);
      if (k >= 0) owed.splice(k, 1);
    }
  }

  /** Events still owed. */
  owed(): number {
    return this.subscribers.reduce((n, s) => n + s.owed.length, 0);
  }

  /** Waits until nothing is owed, or `ms` have passed. */
  async drained(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (this.owed() > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await this.changed(left);
    }
  }

  /** Stops counting: what is still owed is missed. */
  settle(): { missed: number } {
    this.counting = false;
    let missed = 0;
    for (const s of this.subscribers) {
      missed += s.owed.length;
      s.owed.length = 0;
    }
    if (missed > 0) this.add("missed", missed, true);
    return { missed };
  }

  /**
   * Subscriber i received `value` at `now`: its first event, or (while
   * counting) the answer to the oldest write it is owed — delivered, or an
   * error when it carries GraphQL errors — or, owed nothing, unexpected.
   */
  event(i: number, value: unknown, now = performance.now()): void {
    const s = this.subscribers[i]!;
    if (s.first === undefined) {
      s.first = value;
    } else if (this.counting) {
      const at = s.owed.shift();
      const code = graphqlErrorCode(value);
      if (at === undefined) this.add("unexpected", 1, true);
      else if (code !== null) this.add(`GraphQL ${code}`, 1, true);
      else {
        this.latencies.add(now - at);
        this.add("delivered", 1, false);
      }
    }
    this.wake();
  }

  /** Subscriber i's subscription failed or completed: while counting, an error, and what it was owed is missed. */
  end(i: number, reason: string): void {
    const s = this.subscribers[i]!;
    if (s.ended !== undefined) return;
    s.ended = reason;
    if (this.counting) {
      this.add(`ended: ${reason.slice(0, 80)}`, 1, true);
      if (s.owed.length > 0) this.add("missed", s.owed.length, true);
      s.owed.length = 0;
    }
    this.wake();
  }

  private add(outcome: string, n: number, error: boolean): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + n;
    if (error) this.errors += n;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private changed(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** N subscriptions, each on its own graphql-ws client (WebSocket), reporting to their Deliveries. */
export class Subscribers extends Deliveries {
  private readonly clients: Client[] = [];
  private readonly disposers: Array<() => void> = [];

  constructor(url: string, token: string, plan: SubscriptionPlan, n: number) {
    super(Array.from({ length: n }, (_, i) => plan.topic(i)));
    for (let i = 0; i < n; i++) {
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
        lazy: true,
      });
      this.clients.push(client);
      this.disposers.push(
        client.subscribe(
          { query: plan.query, variables: plan.variables(i) },
          {
            next: (value) => this.event(i, value),
            error: (e) => this.end(i, `subscription error: ${describe(e)}`),
            complete: () => this.end(i, "subscription completed"),
          },
        ),
      );
    }
  }

  async close(): Promise<void> {
    for (const dispose of this.disposers.splice(0)) dispose();
    await Promise.all(this.clients.splice(0).map((c) => Promise.resolve(c.dispose())));
  }
}

/** A graphql-ws failure in a few words: a close event, an error, or GraphQL errors. */
export function describe(e: unknown): string {
  if (Array.isArray(e)) {
    const first = e[0] as { message?: unknown; extensions?: { code?: unknown } } | undefined;
    const code = first?.extensions?.code;
    const message = first?.message;
    return `GraphQL ${typeof code === "string" ? code : "error"}: ${typeof message === "string" ? message : ""}`;
  }
  if (e && typeof e === "object") {
    const { code, reason, message, type } = e as Record<string, unknown>;
    if (typeof code === "number")
      return `close ${code} ${typeof reason === "string" ? reason : ""}`.trim();
    if (typeof message === "string") return message;
    if (typeof type === "string") return `${type} event`;
  }
  return String(e);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Drives `subscribers` (started) for `durationSeconds`: the driver's calls at
 * the plan's rate on `client`, then up to GRACE_MS for what is owed.
 */
export function runSubscriptionLoad(
  subscribers: Deliveries,
  plan: SubscriptionPlan,
  client: pg.Client,
  durationSeconds: number,
): RunningLoad {
  let stopped = false;
  let commits = 0;
  const driverErrors: Record<string, number> = {};
  let pending: { topic: string; at: number } | null = null;
  const call = plan.driverCall((results) => {
    const topic = plan.driverTopic(results);
    pending = { topic, at: performance.now() };
    subscribers.expect(topic, pending.at);
  });

  const result = (async (): Promise<LoadResult> => {
    subscribers.count();
    const started = performance.now();
    const deadline = started + durationSeconds * 1000;
    const interval = 1000 / plan.perSecond;
    for (let j = 0; !stopped; j++) {
      const due = started + j * interval;
      if (due >= deadline) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (stopped) break;
      pending = null;
      try {
        await call(client);
        commits++;
      } catch (e) {
        const failed = pending as { topic: string; at: number } | null;
        if (failed) subscribers.retract(failed.topic, failed.at);
        const code = sqlStateOf(e);
        const outcome = `driver ${code ?? "connection error"}`;
        driverErrors[outcome] = (driverErrors[outcome] ?? 0) + 1;
        if (code === null) break; // the connection is broken
      }
    }
    const seconds = (performance.now() - started) / 1000;
    if (!stopped) await subscribers.drained(GRACE_MS);
    subscribers.settle();
    const outcomes: Record<string, number> = { ...subscribers.outcomes, commits, ...driverErrors };
    const driverFailures = Object.values(driverErrors).reduce((a, b) => a + b, 0);
    return {
      connections: subscribers.size,
      seconds: Math.round(seconds * 1000) / 1000,
      operations: subscribers.latencies.count,
      perSecond: perSecond(subscribers.latencies.count, seconds),
      latencyMs: subscribers.latencies.summary(),
      errors: subscribers.errors + driverFailures,
      outcomes,
    };
  })();
  return {
    result,
    stop: () => {
      stopped = true;
    },
  };
}
