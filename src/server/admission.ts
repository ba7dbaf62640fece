/**
 * Admission control for /graphql: what the API does beyond its capacity.
 *
 * At most `maxInFlight` requests of a process are past this gate at once (by
 * default its pool's size, so a request that gets in finds a connection and no
 * request waits in pg's unbounded pool queue). The rest wait here, in arrival
 * order, for at most `queueTimeoutMs`; at most `maxQueued` wait. A request that
 * cannot get in within that time, or finds the queue full, is answered at once
 * with HTTP 503 and `Retry-After` (src/server/http.ts) instead of hanging its
 * socket: clients and load balancers learn to back off, and the process keeps
 * its memory and its event loop (so /healthz answers) however many arrive.
 *
 * Waiting is per process; a request whose client goes away while it waits
 * leaves the queue.
 */

export interface AdmissionLimits {
  /** Requests past the gate at once (≥ 1). */
  maxInFlight: number;
  /** Requests waiting at once; one more is refused without waiting (≥ 0). */
  maxQueued: number;
  /** How long a request may wait for its turn, in ms. */
  queueTimeoutMs: number;
}

/** Why a request was not admitted. */
export type Refusal = "queue_full" | "queue_timeout";

export type Admitted = { ok: true; release: () => void } | { ok: false; reason: Refusal };

export interface Admission {
  readonly limits: AdmissionLimits;
  /** Requests past the gate now. */
  inFlight(): number;
  /** Requests waiting now. */
  queued(): number;
  /**
   * Waits for a place; `release` must be called exactly once when the request is
   * done (extra calls are ignored). An aborted `signal` leaves the queue (then the
   * answer is a queue_timeout refusal nobody reads).
   */
  enter(signal?: AbortSignal): Promise<Admitted>;
}

interface Waiter {
  admit: () => void;
  refuse: (reason: Refusal) => void;
}

export function makeAdmission(limits: AdmissionLimits): Admission {
  let inFlight = 0;
  // Arrival order; a waiter that timed out or was aborted is removed at once.
  const waiting = new Set<Waiter>();

  const releaser = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.values().next();
      if (next.done) {
        inFlight--;
        return;
      }
      // Hand the place over directly: inFlight stays the same.
      waiting.delete(next.value);
      next.value.admit();
    };
  };

  return {
    limits,
    inFlight: () => inFlight,
    queued: () => waiting.size,
    enter(signal) {
      if (inFlight < limits.maxInFlight && waiting.size === 0) {
        inFlight++;
        return Promise.resolve({ ok: true, release: releaser() });
      }
      if (waiting.size >= limits.maxQueued) {
        return Promise.resolve({ ok: false, reason: "queue_full" });
      }
      return new Promise<Admitted>((resolve) => {
        const leave = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          waiting.delete(waiter);
        };
        const waiter: Waiter = {
          admit: () => {
            leave();
            resolve({ ok: true, release: releaser() });
          },
          refuse: (reason) => {
            leave();
            resolve({ ok: false, reason });
          },
        };
        const onAbort = () => waiter.refuse("queue_timeout");
        const timer = setTimeout(() => waiter.refuse("queue_timeout"), limits.queueTimeoutMs);
        waiting.add(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}
