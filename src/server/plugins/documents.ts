/**
 * Parsing and validation of GraphQL documents, with the limits that need no
 * variables: tokens (FL903), aliases (FL901) and depth (FL902). A grafserv
 * plugin: `setPreset` adds the limit rules to grafserv's validation rules and
 * swaps grafserv's parse-and-validate step for this one, which
 *
 *   - parses with graphql-js's own token limit, so an oversized document costs at
 *     most that many tokens of work (a 2,500-alias document stalled the API for
 *     47 s before; its validation alone took 100 ms of blocked event loop);
 *   - gives every error `extensions.code`: GRAPHQL_PARSE_FAILED,
 *     GRAPHQL_VALIDATION_FAILED, or the limit's FL9xx code;
 *   - strips "Did you mean …?" suggestions when asked (production);
 *   - caches the outcome per document text, as grafserv does: nothing here may
 *     depend on the request (introspection by caller and page sizes by variables
 *     are checked per request in operation-checks.ts).
 */
import { createHash } from "node:crypto";
import {
  GraphQLError,
  Lexer,
  parse,
  Source,
  TokenKind,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from "postgraphile/graphql";
import { isPromiseLike } from "postgraphile/grafast";
import { depthLimit } from "@graphile/depth-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import type { ApiSettings } from "../../config.ts";
import { withCode } from "../errors.ts";

type ParseAndValidateResult =
  | { document: DocumentNode; errors?: undefined }
  | { document?: undefined; errors: readonly GraphQLError[] };

const CACHE_SIZE = 500;

/**
 * A rule whose errors carry `code`: the rule reports through a view of the
 * validation context whose reportError adds it (the libraries' errors have none).
 */
function codedRule(rule: ValidationRule, code: string): ValidationRule {
  return (context) => {
    const coded = Object.create(context) as ValidationContext;
    coded.reportError = (error: GraphQLError) => context.reportError(withCode(error, code));
    return rule(coded);
  };
}

/** The validation rules of the limits; they only read the document and the schema. */
export function limitRules(limits: ApiSettings["limits"]): ValidationRule[] {
  return [
    codedRule(
      depthLimit({
        maxDepth: limits.maxDepth,
        maxListDepth: limits.maxListDepth,
        maxSelfReferentialDepth: limits.maxSelfReferentialDepth,
        // graphql-js 16.15's own introspection query (GraphiQL's, Ruru's) is 14
        // deep with __Type.ofType nested 9 times, past the library's defaults.
        maxIntrospectionDepth: 16,
        maxIntrospectionListDepth: 3,
        maxIntrospectionSelfReferentialDepth: 2,
        maxDepthByFieldCoordinates: { "__Type.ofType": 10 },
        revealDetails: true,
      }),
      "FL902",
    ),
    maxAliasesRule({
      n: limits.maxAliases,
      // Report through the context instead of throwing: a throw escapes graphql-js's
      // validate() and grafserv would answer 500.
      propagateOnRejection: false,
      onReject: [
        (context) =>
          context?.reportError(
            new GraphQLError(
              `Too many aliases: an operation may have at most ${limits.maxAliases}`,
              {
                extensions: { code: "FL901", maxAliases: limits.maxAliases },
              },
            ),
          ),
      ],
    }),
  ];
}

/**
 * graphql-js stops at token `maxTokens + 1` with a syntax error positioned on
 * that token: the error is the token limit exactly when its position is where a
 * lexer finds that token (no error message is matched).
 */
function isTokenLimit(source: Source, error: GraphQLError, maxTokens: number): boolean {
  const position = error.positions?.[0];
  if (position === undefined) return false;
  const lexer = new Lexer(source);
  try {
    for (let i = 0; i <= maxTokens; i++) {
      const token = lexer.advance();
      if (token.kind === TokenKind.EOF) return false;
      if (i === maxTokens) return token.start === position;
    }
  } catch {
    // A lexical error before the limit: a syntax error, not the limit.
  }
  return false;
}

export function makeParseAndValidate(
  schema: GraphQLSchema,
  rules: readonly ValidationRule[],
  settings: ApiSettings,
): (query: string) => ParseAndValidateResult {
  const { maxTokens } = settings.limits;
  const code = (error: GraphQLError, fallback: string) =>
    withCode(error, fallback, { hideSuggestions: settings.hideSuggestions });
  const cache = new Map<string, ParseAndValidateResult>();
  let lastQuery: string | undefined;
  let lastResult: ParseAndValidateResult | undefined;

  const compute = (query: string): ParseAndValidateResult => {
    const source = new Source(query, "GraphQL HTTP Request");
    let document: DocumentNode;
    try {
      document = parse(source, settings.limits.enabled ? { maxLexicalTokens: maxTokens } : {});
    } catch (e) {
      if (!(e instanceof GraphQLError)) throw e;
      if (isTokenLimit(source, e, maxTokens)) {
        return {
          errors: [
            new GraphQLError(`The document has more than ${maxTokens} tokens`, {
              extensions: { code: "FL903", maxTokens },
            }),
          ],
        };
      }
      return { errors: [code(e, "GRAPHQL_PARSE_FAILED")] };
    }
    const errors = validate(schema, document, rules);
    return errors.length > 0
      ? { errors: errors.map((e) => code(e, "GRAPHQL_VALIDATION_FAILED")) }
      : { document };
  };

  return (query) => {
    if (query === lastQuery && lastResult) return lastResult;
    const key = query.length > 500 ? createHash("sha1").update(query).digest("base64") : query;
    let result = cache.get(key);
    if (!result) {
      result = compute(query);
      if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(key, result);
    }
    lastQuery = query;
    lastResult = result;
    return result;
  };
}

export function makeDocumentsPlugin(settings: ApiSettings): GraphileConfig.Plugin {
  return {
    name: "ForgelineDocumentsPlugin",
    version: "0.1.0",
    grafserv: {
      middleware: {
        setPreset(next, event) {
          if (settings.limits.enabled) event.validationRules.push(...limitRules(settings.limits));
          const rules = event.validationRules;
          const getExecutionConfig = event.getExecutionConfig;
          let schemaSeen: GraphQLSchema | undefined;
          let ours: ReturnType<typeof makeParseAndValidate> | undefined;
          type Config = Awaited<ReturnType<typeof getExecutionConfig>>;
          const withOurs = (config: Config): Config => {
            if (config.schema !== schemaSeen || !ours) {
              schemaSeen = config.schema;
              ours = makeParseAndValidate(config.schema, rules, settings);
            }
            return { ...config, parseAndValidate: ours };
          };
          event.getExecutionConfig = function (ctx) {
            const config = getExecutionConfig.call(this, ctx);
            return isPromiseLike(config)
              ? Promise.resolve(config).then(withOurs)
              : withOurs(config);
          };
          return next();
        },
      },
    },
  };
}
