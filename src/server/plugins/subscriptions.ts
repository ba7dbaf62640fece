/**
 * Live status of pipeline executions (issue #9 §5), a GraphQL subscription:
 *
 *   subscription($id: UUID!) {
 *     pipelineExecutionUpdated(rowId: $id) {
 *       execution { rowId status conclusion steps(first: 50) { nodes { name status } } }
 *     }
 *   }
 *
 * The database tells: after each statement that inserts or updates executions
 * or steps, a statement trigger sends one NOTIFY per organization on the
 * channel `pipelines:<organization id>` with the ids of the executions it
 * touched, delivered at commit (functions/pipelines/notify.sql). Here, a
 * grafast `listen` step on the pg service's PgSubscriber (one LISTEN
 * connection per process, shared by every subscriber of a channel) turns the
 * notifications into events:
 *
 *   - the channel comes from the subscriber's verified token (the `org_id` of
 *     the pgSettings its operation runs with), never from the arguments; a
 *     token without `org_id` and `user_id` is refused (FL001);
 *   - only notifications naming the subscribed execution become events, so a
 *     subscriber never hears of another execution, and a payload that is not
 *     ours (anyone may NOTIFY) is only ever a reason to read again;
 *   - each event reads the execution again, with the operation's pgSettings
 *     (RLS as the subscriber): `execution` is what `pipelineExecution(rowId:)`
 *     would answer at that moment, null when it is not (or no longer) visible.
 *
 * The first event is the execution as it is when the subscription starts, sent
 * once the channel is being listened to: every change committed after the
 * client receives it arrives as another event (changes committed in between may
 * be folded into the first). Events arrive in commit order; each one reads the
 * latest state, so several commits in quick succession can show the same state.
 *
 * The WebSocket transport (graphql-ws, authentication at connection time, rate
 * limit, graceful stop) is in src/server/http.ts. This plugin also lifts, for
 * subscriptions only, Grafast's execution budget: Grafast measures it from the
 * start of the operation, so a subscription would fail every event after
 * GRAPHQL_EXECUTION_TIMEOUT_MS; each event's reads are still bounded by the
 * transaction's statement_timeout.
 */
import { PgSubscriber } from "postgraphile/adaptors/pg";
import {
  context,
  lambda,
  listen,
  SafeError,
  type GrafastSubscriber,
  type Step,
} from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";

/** The channel of an organization's pipeline notifications (functions/pipelines/notify.sql). */
export const PIPELINES_CHANNEL_PREFIX = "pipelines:";

type PgSettings = Record<string, string | undefined> | null | undefined;

/**
 * The channel a subscriber listens to: its own organization's, from the settings
 * its reads run with (built from the verified token by requestPgSettings).
 */
export function pipelinesChannel(pgSettings: PgSettings): string {
  const orgId = pgSettings?.["jwt.claims.org_id"];
  const userId = pgSettings?.["jwt.claims.user_id"];
  if (!orgId || !userId) {
    throw new SafeError(
      "Live status needs a signed-in user: connect with a token that has org_id and user_id",
      { code: "FL001" },
    );
  }
  return `${PIPELINES_CHANNEL_PREFIX}${orgId}`;
}

/** The execution ids a notification names; none for a payload that is not ours. */
export function executionIdsOf(payload: unknown): string[] {
  if (typeof payload !== "string") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return [];
  }
  if (typeof parsed !== "object" || parsed === null || !("executions" in parsed)) return [];
  const ids = parsed.executions;
  return Array.isArray(ids)
    ? ids.filter((id): id is string => typeof id === "string").map((id) => id.toLowerCase())
    : [];
}

/**
 * Resolves once `subscriber`'s connection listens on every channel subscribed to
 * so far. PgSubscriber (@dataplan/pg 1.x) runs its LISTEN and UNLISTEN commands
 * one after the other on a promise chain, `_chain` (private, so checked by
 * `knowsWhenListening` and by the tests): waiting for it is what lets the first
 * event promise that no later change is missed.
 */
export function listening(subscriber: GrafastSubscriber): Promise<void> {
  const chain = (subscriber as { _chain?: unknown })._chain;
  return chain instanceof Promise ? chain.then(() => undefined) : Promise.resolve();
}

/** Whether `listening()` can wait for this subscriber (false: the first event could race LISTEN). */
export function knowsWhenListening(subscriber: GrafastSubscriber): boolean {
  return (subscriber as { _chain?: unknown })._chain instanceof Promise;
}

/**
 * The events of one execution from a channel's notifications: its id once when
 * the channel is listened to, then once per notification that names it. The
 * iterator is written by hand (not an async generator) so that `return()` ends
 * it at once, even while it waits for the next notification.
 */
function executionEvents(
  source: AsyncIterableIterator<string>,
  ready: Promise<void>,
  executionId: string,
): AsyncIterableIterator<string> {
  let initial = true;
  let closed = false;
  const done = (): IteratorResult<string> => ({ done: true, value: undefined });
  const iterator: AsyncIterableIterator<string> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      if (initial) {
        initial = false;
        await ready;
        return closed ? done() : { done: false, value: executionId };
      }
      for (;;) {
        const result = await source.next();
        if (result.done || closed) return done();
        if (executionIdsOf(result.value).includes(executionId)) {
          return { done: false, value: executionId };
        }
      }
    },
    async return() {
      closed = true;
      await source.return?.();
      return done();
    },
    async throw(error: unknown) {
      closed = true;
      if (source.throw) await source.throw(error);
      else await source.return?.();
      throw error;
    },
  };
  return iterator;
}

/** A subscriber whose topics yield the events of one execution (see executionEvents). */
function executionSubscriber(pgSubscriber: PgSubscriber, executionId: string): GrafastSubscriber {
  const id = executionId.toLowerCase();
  return {
    subscribe(topic) {
      const source = pgSubscriber.subscribe(topic) as AsyncIterableIterator<string>;
      return executionEvents(source, listening(pgSubscriber), id);
    },
  };
}

function requireSubscriber(subscriber: PgSubscriber | null | undefined): PgSubscriber {
  if (!subscriber) throw new SafeError("Subscriptions are not available on this server");
  return subscriber;
}

export const PipelineSubscriptionsPlugin: GraphileConfig.Plugin = {
  ...extendSchema((build) => {
    const executions = build.input.pgRegistry.pgResources.pipeline_executions;
    if (!executions) {
      throw new Error("PipelineSubscriptionsPlugin: app_public.pipeline_executions is not exposed");
    }
    return {
      typeDefs: gql`
        extend type Subscription {
          """
          Live status of one pipeline execution. The first event is the execution as it is when the subscription starts; then one event follows each commit that changes the execution or one of its steps. Only your own organization's changes are listened to (the token's, never an argument), only this execution's become events, and each event reads the execution again with your token. Needs a token with \`org_id\` and \`user_id\` (FL001). Over WebSocket (graphql-ws), authenticated when the connection opens.
          """
          pipelineExecutionUpdated(
            """
            The execution's \`rowId\`.
            """
            rowId: UUID!
          ): PipelineExecutionUpdatedPayload
        }

        """
        An event of \`pipelineExecutionUpdated\`.
        """
        type PipelineExecutionUpdatedPayload {
          """
          The execution as it is now, read with your token; null when it is not (or no longer) visible to you.
          """
          execution: PipelineExecution
        }
      `,
      objects: {
        Subscription: {
          plans: {
            pipelineExecutionUpdated: {
              subscribePlan(_$root, fieldArgs) {
                const $rowId = fieldArgs.getRaw("rowId") as Step<string>;
                const $channel = lambda(context().get("pgSettings"), pipelinesChannel);
                const $subscriber = lambda(
                  [context().get("pgSubscriber"), $rowId],
                  ([subscriber, rowId]) =>
                    executionSubscriber(requireSubscriber(subscriber), rowId),
                );
                // Each event is the execution's id (lower case).
                return listen($subscriber, $channel);
              },
              plan($event: Step) {
                return $event;
              },
            },
          },
        },
        PipelineExecutionUpdatedPayload: {
          plans: {
            execution($event: Step<string>) {
              return executions.get({ id: $event });
            },
          },
        },
      },
    };
  }, "ForgelinePipelineSubscriptionsPlugin"),
  version: "0.1.0",
  description: "pipelineExecutionUpdated: live status of an execution over LISTEN/NOTIFY",
  grafast: {
    middleware: {
      subscribe(next, event) {
        // Grafast's execution budget runs from the start of the operation (see the top).
        const preset = event.args.resolvedPreset;
        const timeouts = preset?.grafast?.timeouts;
        if (preset && timeouts?.execution !== undefined) {
          event.args.resolvedPreset = {
            ...preset,
            grafast: { ...preset.grafast, timeouts: { ...timeouts, execution: undefined } },
          };
        }
        return next();
      },
    },
  },
};
