/**
 * The GraphQL surface, decided once for every module (docs/adding-a-module.md,
 * "The GraphQL surface"):
 *
 * 1. A row is addressed by its `rowId` alone; the organization comes from the
 *    token. Tenant tables key everything by `(organization_id, …)` (DESIGN §3:
 *    a row can never point into another tenant, and the schema can be
 *    distributed by organization), but a client must never send an
 *    `organizationId` its token already implies. So, for PostGraphile only, the
 *    introspection is rewritten before the schema is built: `organization_id` is
 *    dropped from every primary key, unique constraint and tenant-to-tenant
 *    foreign key that has other columns. RLS restricts every statement to the
 *    token's organization, so within what a request can see `id` alone is
 *    unique and every join stays inside one tenant; the SQL PostGraphile sends
 *    (`where id = $1`, `parent.id = child.parent_id`) is planned on the same
 *    composite indexes, the policy supplying `organization_id = …`. The database
 *    keeps its composite keys unchanged.
 *    A partitioned table's keys also hold its partition key (PostgreSQL
 *    requires it: `(organization_id, id, created_at)`); the partition key is
 *    the timestamptz column of the primary key (docs/adding-a-module.md, checked
 *    by the catalog test). PostGraphile is shown those keys without it, so an
 *    execution is `pipelineExecution(rowId:)` like any row: `where id = $1`
 *    probes each month's index on (organization_id, id, …). References keep it,
 *    so joins between partitioned tables prune to the month.
 * 2. One update and one delete per row, by primary key (`updateTask(input:
 *    {rowId, patch})`): none by other unique constraints, none by node id.
 *    Lookups stay by primary key (`task(rowId:)`) and by natural unique keys
 *    (`organizationBySlug(slug:)`), plus the Relay `node(id:)`; no per-type
 *    `…ById` fields (NodeAccessorPlugin's are removed from Query).
 * 3. Enum values are ALL_CAPS, the GraphQL convention (`role: OWNER`,
 *    `status: IN_PROGRESS`), whatever the SQL label's case.
 */
import type { Introspection as PgIntrospection, PgConstraint } from "pg-introspection";

const TENANT_COLUMN = "organization_id";
const TIMESTAMPTZ_OID = "1184";
const EXPOSED_SCHEMAS = new Set(["app_public"]);

/** The attnum of `organization_id` in a class, if it has one. */
function tenantAttnum(introspection: PgIntrospection, classId: string): number | undefined {
  return introspection.attributes.find(
    (a) => a.attrelid === classId && a.attname === TENANT_COLUMN && !a.attisdropped,
  )?.attnum;
}

function refreshAccessors(constraint: PgConstraint, introspection: PgIntrospection) {
  // pg-introspection memoises these from conkey/confkey on first use.
  const byNumber = (classId: string, numbers: readonly number[] | null) =>
    (numbers ?? []).map((n) =>
      introspection.attributes.find((a) => a.attrelid === classId && a.attnum === n)!,
    );
  constraint.getAttributes = () => byNumber(constraint.conrelid, constraint.conkey);
  if (constraint.confrelid && constraint.confrelid !== "0") {
    constraint.getForeignAttributes = () => byNumber(constraint.confrelid, constraint.confkey);
  }
}

/** The partition key of a partitioned table: the timestamptz columns of its primary key. */
function partitionKey(introspection: PgIntrospection, classId: string): Set<number> {
  const primary = introspection.constraints.find(
    (k) => k.conrelid === classId && k.contype === "p",
  );
  return new Set(
    (primary?.conkey ?? []).filter(
      (n) =>
        introspection.attributes.find((a) => a.attrelid === classId && a.attnum === n)?.atttypid ===
        TIMESTAMPTZ_OID,
    ),
  );
}

/**
 * Drops organization_id (and a partitioned table's partition key) from the keys
 * of tenant tables, as PostGraphile sees them.
 */
export function impliedTenantKeys(introspection: PgIntrospection): void {
  const exposed = new Set(
    introspection.namespaces.filter((n) => EXPOSED_SCHEMAS.has(n.nspname)).map((n) => n._id),
  );
  const partitionKeys = new Map<string, Set<number>>();
  for (const table of introspection.classes) {
    if (table.relkind === "p" && exposed.has(table.relnamespace)) {
      partitionKeys.set(table._id, partitionKey(introspection, table._id));
    }
  }
  for (const constraint of introspection.constraints) {
    const table = introspection.classes.find((c) => c._id === constraint.conrelid);
    if (!table || !exposed.has(table.relnamespace) || !constraint.conkey) continue;
    const own = tenantAttnum(introspection, table._id);
    if (own === undefined || constraint.conkey.length < 2) continue;
    const position = constraint.conkey.indexOf(own);
    if (position < 0) continue;
    if (constraint.contype === "p" || constraint.contype === "u") {
      const hidden = partitionKeys.get(table._id) ?? new Set<number>();
      constraint.conkey = constraint.conkey.filter((n, i) => i !== position && !hidden.has(n));
    } else if (constraint.contype === "f" && constraint.confkey) {
      // Only a reference between two tenant tables, matching organization_id with
      // organization_id, is implied; a reference to the tenant root stays.
      const theirs = tenantAttnum(introspection, constraint.confrelid);
      if (theirs === undefined || constraint.confkey[position] !== theirs) continue;
      constraint.conkey = constraint.conkey.filter((_, i) => i !== position);
      constraint.confkey = constraint.confkey.filter((_, i) => i !== position);
    } else {
      continue;
    }
    refreshAccessors(constraint, introspection);
  }
}

export const SurfacePlugin: GraphileConfig.Plugin = {
  name: "ForgelineSurfacePlugin",
  version: "0.1.0",
  description: "Rows addressed by rowId alone, one update/delete per row, ALL_CAPS enum values",
  after: ["PgFakeConstraintsPlugin", "NodeAccessorPlugin"],
  gather: {
    hooks: {
      pgIntrospection_introspection(_info, event) {
        impliedTenantKeys(event.introspection);
      },
    },
  },
  inflection: {
    replace: {
      enumValue(previous, _options, value, codec) {
        return previous!(value, codec).toUpperCase();
      },
    },
  },
  schema: {
    hooks: {
      GraphQLObjectType_fields(fields, build, context) {
        if (!context.scope.isRootQuery || !build.getNodeTypeNames) return fields;
        const byId = new Set(build.getNodeTypeNames().map((t) => build.inflection.nodeById(t)));
        return Object.fromEntries(Object.entries(fields).filter(([name]) => !byId.has(name)));
      },
    },
    entityBehavior: {
      pgResourceUnique: {
        inferred: {
          provides: ["forgelineSurface"],
          after: ["default"],
          callback(behavior, [, unique]) {
            // By primary key only; node-id mutations are off in the preset's defaultBehavior.
            return unique.isPrimary
              ? behavior
              : [behavior, "-constraint:resource:update", "-constraint:resource:delete"];
          },
        },
      },
    },
  },
};
