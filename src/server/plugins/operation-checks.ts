/**
 * Per-request checks of a validated document, before Grafast plans it (a grafast
 * `execute` middleware: planning happens inside `next()`, so a refused operation
 * costs no planning and no database work):
 *
 *   1. the operation to run exists (GRAPHQL_VALIDATION_FAILED otherwise);
 *   2. the variables coerce to their types (BAD_USER_INPUT);
 *   3. introspection is allowed for this caller (FL910; per request, so it cannot
 *      be a validation rule: grafserv caches validation per document text);
 *   4. page arguments and the estimated cost, variables included (FL904–FL906,
 *      src/server/plugins/cost.ts).
 *
 * What does not depend on the request is remembered per document object (grafserv
 * hands the same DocumentNode for the same text): the operation's introspection
 * flag, and the whole price when the operation has no variables.
 */
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "postgraphile/graphql";
import type { ExecutionResult } from "postgraphile/graphql";
import type { ApiSettings } from "../../config.ts";
import { withCode } from "../errors.ts";
import { priceOperation } from "./cost.ts";

interface Known {
  operation: OperationDefinitionNode | null | undefined;
  introspection: boolean;
  /** The price's errors, when it needs no variables. */
  priced?: readonly GraphQLError[];
}

/** Does the operation's root selection ask for __schema or __type (fragments followed)? */
function introspects(
  selectionSet: SelectionSetNode,
  document: DocumentNode,
  seen = new Set<string>(),
): boolean {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === "__schema" || selection.name.value === "__type") return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (introspects(selection.selectionSet, document, seen)) return true;
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (
        fragment?.kind === Kind.FRAGMENT_DEFINITION &&
        introspects(fragment.selectionSet, document, seen)
      )
        return true;
    }
  }
  return false;
}

export interface OperationChecksOptions {
  settings: ApiSettings;
  /** Does the request carry a verified token? (for `introspection: authenticated`) */
  isAuthenticated(requestContext: Partial<Grafast.RequestContext> | undefined): boolean;
}

export function makeOperationChecksPlugin(options: OperationChecksOptions): GraphileConfig.Plugin {
  const { settings } = options;
  const { limits, hideSuggestions } = settings;
  const known = new WeakMap<DocumentNode, Map<string | undefined, Known>>();

  const refuse = (errors: readonly GraphQLError[]): ExecutionResult => ({ errors });

  return {
    name: "ForgelineOperationChecksPlugin",
    version: "0.1.0",
    grafast: {
      middleware: {
        execute(next, event) {
          const { schema, document, operationName, variableValues, requestContext } = event.args;
          const name = operationName ?? undefined;
          let byName = known.get(document);
          if (!byName) known.set(document, (byName = new Map<string | undefined, Known>()));
          let k = byName.get(name);
          if (!k) {
            const operation = getOperationAST(document, name);
            k = {
              operation,
              introspection:
                !!operation &&
                operation.operation === OperationTypeNode.QUERY &&
                introspects(operation.selectionSet, document),
            };
            byName.set(name, k);
          }
          const operation = k.operation;
          if (!operation) {
            return refuse([
              new GraphQLError(
                name === undefined
                  ? "The document has several operations: say which one to run with `operationName`"
                  : `The document has no operation named "${name}"`,
                { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } },
              ),
            ]);
          }
          const definitions = operation.variableDefinitions ?? [];
          const given = (variableValues ?? {}) as Record<string, unknown>;
          if (definitions.length > 0) {
            const coerced = getVariableValues(schema, definitions, given, { maxErrors: 10 });
            if (coerced.errors) {
              return refuse(
                coerced.errors.map((e) => withCode(e, "BAD_USER_INPUT", { hideSuggestions })),
              );
            }
          }
          if (k.introspection) {
            const allowed =
              settings.introspection === "on" ||
              (settings.introspection === "authenticated" &&
                options.isAuthenticated(requestContext));
            if (!allowed) {
              return refuse([
                new GraphQLError(
                  settings.introspection === "off"
                    ? "Introspection is turned off on this server"
                    : "Introspection needs a verified token on this server",
                  { extensions: { code: "FL910" } },
                ),
              ]);
            }
          }
          if (!limits.enabled) return next();
          let errors = k.priced;
          if (!errors) {
            try {
              errors = priceOperation(
                schema,
                document,
                operation.name?.value,
                given,
                limits,
              ).errors;
            } catch (e) {
              if (!(e instanceof GraphQLError)) throw e;
              errors = [withCode(e, "BAD_USER_INPUT", { hideSuggestions })];
            }
            if (definitions.length === 0) k.priced = errors;
          }
          if (errors.length > 0) return refuse(errors);
          return next();
        },
      },
    },
  };
}
