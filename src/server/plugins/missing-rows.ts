/**
 * The generated `update…` and `delete…` mutations answer a row they could not
 * change with a code, the same for both (issue 6 §7):
 *
 *   - FL003 when the caller cannot see the row: it does not exist, or it is
 *     another organization's (RLS hides it). @dataplan/pg answers such an update
 *     with a null record and no error (`PgUpdateSingleStep` returns null when
 *     `rowCount` is 0) and such a delete with a plain "No values were deleted"
 *     error (`PgDeleteSingleStep`).
 *   - FL002 when the caller can see the row but its role may not change it (a
 *     member deleting a task, an admin deleting the organization): the update
 *     or delete policy refused what the select policy shows.
 *
 * How: each such field's plan is wrapped. After the generated plan, a
 * `trap(…, TRAP_ERROR)` of its `pgUpdateSingle`/`pgDeleteSingle` step feeds a
 * step that acts only when no row was changed (null, or the "No values were
 * deleted" error): it then reads whether the caller can see the row, one
 * primary-key probe in a transaction with the request's pgSettings (its RLS),
 * and raises a SafeError with the code. A changed row costs no query and no
 * connection; any other error (a trigger's FL…, a constraint) passes through
 * untouched. The payload is rebuilt as `object({ checked, result })`, so its
 * fields (the record, `clientMutationId`, `deleted…Id`) plan exactly as before
 * from `result`, and the payload fails with the check's coded error (the check
 * is a `sideEffect` step: a step planned after one fails with its error first).
 * Grafast's rule that matters here: a step planned after a side effect (the
 * mutation) fails with it, unless it is a trap or planned after one; the
 * key and the pg context are therefore planned before the mutation.
 *
 * Rows are addressed by primary key only (plugins/surface.ts), so the input's
 * key fields are the primary key's attributes, named by the same inflector as
 * PgMutationUpdateDeletePlugin's.
 */
import {
  object,
  SafeError,
  sideEffect,
  trap,
  TRAP_ERROR,
  type ExecutableStep,
  type FieldArgs,
  type FieldInfo,
  type ObjectStep,
  type Step,
} from "postgraphile/grafast";
import {
  type PgClient,
  type PgCodec,
  type PgCodecWithAttributes,
  type PgResource,
} from "postgraphile/@dataplan/pg";
import { sql } from "postgraphile/pg-sql2";
import { isNothingDeleted } from "../errors.ts";

type Mode = "update" | "delete";

/** What the caller is told, by whether it can see the row. */
export const MISSING_ROW = {
  update: {
    hidden: "No row to update was found in the current organization",
    refused: "Your role in this organization may not update this row",
  },
  delete: {
    hidden: "No row to delete was found in the current organization",
    refused: "Your role in this organization may not delete this row",
  },
} as const;

const HINTS = {
  hidden: "Check the rowId, and that the token is for the organization the row belongs to.",
  refused: "Ask an admin or owner of the organization.",
} as const;

interface KeyAttribute {
  /** The column. */
  attribute: string;
  /** Its field in the mutation's input. */
  field: string;
  codec: PgCodec;
}

/** Reads whether the caller can see the row with this key (RLS decides). */
async function visible(
  client: PgClient,
  resource: PgResource,
  keys: readonly KeyAttribute[],
  key: Readonly<Record<string, unknown>>,
): Promise<boolean> {
  if (!sql.isSQL(resource.from)) return false;
  const where = sql.join(
    keys.map(
      (k) =>
        sql`${sql.identifier(k.attribute)} = ${sql.value(k.codec.toPg(key[k.field]))}::${k.codec.sqlType}`,
    ),
    " and ",
  );
  const { text, values } = sql.compile(sql`select 1 from ${resource.from} where ${where} limit 1`);
  const { rows } = await client.query({ text, values });
  return rows.length > 0;
}

function guarded(
  plan: (parent: ExecutableStep, args: FieldArgs, info: FieldInfo) => Step,
  resource: PgResource,
  keys: readonly KeyAttribute[],
  mode: Mode,
) {
  return function planGuarded(parent: ExecutableStep, args: FieldArgs, info: FieldInfo): Step {
    // What the check reads is planned before the mutation's step: a step planned
    // after a side effect fails with it, and the check must run when the delete
    // failed (that is what it looks at).
    const $key = object(
      Object.fromEntries(keys.map((k) => [k.field, args.getRaw(["input", k.field])])),
    );
    const $pg = resource.executor.context();
    const $payload = plan(parent, args, info) as ObjectStep<{ result: Step }>;
    const $row = $payload.getStepForKey("result");
    // A trap (and what follows it) is outside that chain of side effects.
    const $outcome = trap($row, TRAP_ERROR);
    // A side effect in Grafast's sense: whatever is planned after it (the payload)
    // fails with its error, before looking at its own dependencies.
    const $checked = sideEffect(
      { outcome: $outcome, key: $key, pg: $pg },
      async ({ outcome, key, pg }) => {
        const nothingChanged = outcome == null || (mode === "delete" && isNothingDeleted(outcome));
        // A changed row (or another error, which the payload carries) needs no read.
        if (!nothingChanged) return null;
        const settings = pg.pgSettings as Record<string, string | undefined> | null;
        const seen = await pg.withPgClient(settings, (client) =>
          visible(client, resource, keys, key),
        );
        const which = seen ? "refused" : "hidden";
        throw new SafeError(MISSING_ROW[mode][which], {
          code: seen ? "FL002" : "FL003",
          hint: HINTS[which],
        });
      },
    );
    return object({ checked: $checked, result: $row });
  };
}

export const MissingRowsPlugin: GraphileConfig.Plugin = {
  name: "ForgelineMissingRowsPlugin",
  version: "0.1.0",
  description:
    "update… and delete… of a row the caller cannot see answer FL003, of one its role may not change FL002",
  after: ["PgMutationUpdateDeletePlugin"],
  schema: {
    hooks: {
      GraphQLObjectType_fields_field(field, build, context) {
        const { isPgUpdateMutation, isPgDeleteMutation, pgFieldResource, fieldBehaviorScope } =
          context.scope;
        if (!(isPgUpdateMutation || isPgDeleteMutation) || !pgFieldResource || !field.plan) {
          return field;
        }
        // By key only: node-id mutations are off (preset's defaultBehavior).
        if (!fieldBehaviorScope?.startsWith("constraint:")) return field;
        const resource = pgFieldResource as PgResource;
        const primary = resource.uniques.find((u) => u.isPrimary);
        if (!primary) return field;
        const codec = resource.codec as PgCodecWithAttributes;
        if (!codec.attributes) return field;
        const keys: KeyAttribute[] = primary.attributes.map((attribute) => ({
          attribute,
          field: build.inflection.attribute({ attributeName: attribute, codec }),
          codec: codec.attributes[attribute]!.codec,
        }));
        return {
          ...field,
          plan: guarded(
            field.plan as (parent: ExecutableStep, args: FieldArgs, info: FieldInfo) => Step,
            resource,
            keys,
            isPgUpdateMutation ? "update" : "delete",
          ),
        };
      },
    },
  },
};
