/**
 * Imported first by the CLI: Grafast reads GRAPHILE_ENV when it loads, so it is
 * derived from NODE_ENV before anything imports PostGraphile.
 */
process.env.GRAPHILE_ENV ??= process.env.NODE_ENV === "production" ? "production" : "development";
