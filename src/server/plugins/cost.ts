/**
 * What an operation costs, and whether its page arguments are acceptable, from
 * the document and the request's variables (`first: $n` counts as the value of
 * $n). graphql-query-complexity walks the operation; the estimator here prices it:
 *
 *   - every field costs 1 plus what it selects;
 *   - a connection costs 1 + page × (what it selects), the page being `first` or
 *     `last` (1 when it selects only totalCount/pageInfo/aggregates, which need
 *     no page); nested connections multiply;
 *   - any other list of objects (not a connection's nodes/edges) costs
 *     1 + maxPageSize × (what it selects): its size is not bounded by an argument;
 *   - introspection costs 1 per field (its depth is bounded by the depth rule).
 *
 * While pricing it checks the page arguments: `first`/`last` in 0…maxPageSize,
 * `offset` in 0…maxOffset and not with `last` (FL905), and a connection that
 * selects `nodes` or `edges` must pass `first` or `last` (FL906, GitHub's rule:
 * otherwise it returns every row).
 */
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "postgraphile/graphql";
import { getComplexity, type ComplexityEstimator } from "graphql-query-complexity";
import type { ApiLimits } from "../../config.ts";

export interface CostVerdict {
  cost: number;
  /** Empty when the operation may run. */
  errors: GraphQLError[];
}

interface Walk {
  limits: ApiLimits;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  errors: GraphQLError[];
}

/** Fields the pricing walk visits at most (fragments counted once per spread). */
const MAX_FIELD_VISITS = 10_000;

const connectionTypes = new WeakMap<GraphQLNamedType, boolean>();

/** A Relay connection as PostGraphile makes them: pageInfo plus nodes or edges. */
function isConnection(type: GraphQLNamedType): boolean {
  let known = connectionTypes.get(type);
  if (known === undefined) {
    const fields = isObjectType(type) ? type.getFields() : undefined;
    known = !!fields && "pageInfo" in fields && ("nodes" in fields || "edges" in fields);
    connectionTypes.set(type, known);
  }
  return known;
}

/** Does this selection (fragments followed) ask for the connection's items? */
function selectsItems(
  selectionSet: SelectionSetNode | undefined,
  fragments: Walk["fragments"],
  seen = new Set<string>(),
): boolean {
  for (const selection of selectionSet?.selections ?? []) {
    switch (selection.kind) {
      case Kind.FIELD:
        if (selection.name.value === "nodes" || selection.name.value === "edges") return true;
        break;
      case Kind.INLINE_FRAGMENT:
        if (selectsItems(selection.selectionSet, fragments, seen)) return true;
        break;
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        if (seen.has(name)) break;
        seen.add(name);
        if (selectsItems(fragments.get(name)?.selectionSet, fragments, seen)) return true;
        break;
      }
    }
  }
  return false;
}

/**
 * Fields the operation has once its fragments are spread, counted with one
 * memoised pass over the document: fragments spread into each other (each
 * twice, twenty deep: a million fields in 200 tokens) are caught here in
 * microseconds, before the pricing walk would visit every copy.
 */
function expandedFields(
  selectionSet: SelectionSetNode,
  fragments: Walk["fragments"],
  memo: Map<string, number>,
): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      count +=
        1 + (selection.selectionSet ? expandedFields(selection.selectionSet, fragments, memo) : 0);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += expandedFields(selection.selectionSet, fragments, memo);
    } else {
      const name = selection.name.value;
      let size = memo.get(name);
      if (size === undefined) {
        memo.set(name, 0); // a cycle (refused by validation) counts nothing
        const fragment = fragments.get(name);
        size = fragment ? expandedFields(fragment.selectionSet, fragments, memo) : 0;
        memo.set(name, size);
      }
      count += size;
    }
    if (count > MAX_FIELD_VISITS) return count;
  }
  return count;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

function pageError(message: string, walk: Walk, field: string, node: FieldNode) {
  walk.errors.push(
    new GraphQLError(message, {
      nodes: node,
      extensions: {
        code: "FL905",
        field,
        maxPageSize: walk.limits.maxPageSize,
        maxOffset: walk.limits.maxOffset,
      },
    }),
  );
}

const estimator: ComplexityEstimator = ({ field, args, childComplexity, node, type, context }) => {
  const walk = context as Walk;
  const { maxPageSize, maxOffset } = walk.limits;
  const named = getNamedType(field.type);
  if (type.name.startsWith("__") || named.name.startsWith("__")) return 1 + childComplexity;
  if (isConnection(named)) {
    const coordinate = `${type.name}.${field.name}`;
    const first: unknown = args.first;
    const last: unknown = args.last;
    const offset: unknown = args.offset;
    for (const [name, value] of [
      ["first", first],
      ["last", last],
    ] as const) {
      if (isInt(value) && (value < 0 || value > maxPageSize)) {
        pageError(
          `\`${name}\` of ${coordinate} must be between 0 and ${maxPageSize}`,
          walk,
          coordinate,
          node,
        );
      }
    }
    if (isInt(offset) && (offset < 0 || offset > maxOffset)) {
      pageError(
        `\`offset\` of ${coordinate} must be between 0 and ${maxOffset}`,
        walk,
        coordinate,
        node,
      );
    }
    if (isInt(offset) && offset > 0 && isInt(last)) {
      pageError(`${coordinate} cannot take \`offset\` with \`last\``, walk, coordinate, node);
    }
    const paged = field.args.some((a) => a.name === "first");
    let page = isInt(first) ? first : isInt(last) ? last : undefined;
    if (page === undefined && selectsItems(node.selectionSet, walk.fragments)) {
      if (paged) {
        walk.errors.push(
          new GraphQLError(
            `${coordinate} selects nodes or edges: pass \`first\` or \`last\` (at most ${maxPageSize})`,
            { nodes: node, extensions: { code: "FL906", field: coordinate, maxPageSize } },
          ),
        );
      }
      page = maxPageSize;
    }
    return 1 + Math.min(Math.max(page ?? 1, 1), maxPageSize) * childComplexity;
  }
  // A connection's nodes/edges are priced by the connection's page, above.
  if (isListType(getNullableType(field.type)) && isCompositeType(named) && !isConnection(type)) {
    return 1 + maxPageSize * childComplexity;
  }
  return 1 + childComplexity;
};

/**
 * The cost of `operationName` in `document` with `variables` (already known to
 * coerce) and the page-argument errors found on the way.
 */
export function priceOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  limits: ApiLimits,
): CostVerdict {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  const walk: Walk = { limits, fragments, errors: [] };
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && d.name?.value === operationName,
  );
  let cost: number;
  try {
    if (
      operation &&
      expandedFields(operation.selectionSet, fragments, new Map()) > MAX_FIELD_VISITS
    ) {
      throw new GraphQLError("too many fields");
    }
    cost = getComplexity({
      schema,
      query: document,
      operationName,
      variables,
      estimators: [estimator],
      context: walk,
      maxQueryNodes: MAX_FIELD_VISITS,
    });
  } catch (e) {
    // Validation passed and variables coerce, so what is left to throw is the
    // walk's own bound: fragments spread into each other until the pricing itself
    // would be the denial of service.
    if (!(e instanceof GraphQLError)) throw e;
    return {
      cost: Infinity,
      errors: [
        new GraphQLError(
          `The operation has more than ${MAX_FIELD_VISITS} fields once its fragments are spread`,
          { extensions: { code: "FL904", maxCost: limits.maxCost } },
        ),
      ],
    };
  }
  const errors = walk.errors;
  if (errors.length === 0 && cost > limits.maxCost) {
    errors.push(
      new GraphQLError(
        `The operation's estimated cost is ${cost}, over the maximum of ${limits.maxCost}: ask for smaller pages or fewer nested connections`,
        { extensions: { code: "FL904", cost, maxCost: limits.maxCost } },
      ),
    );
  }
  return { cost, errors };
}
