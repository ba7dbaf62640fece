/*
 * prune_rate_limit_buckets(now): forgets rate-limit buckets nobody used for an
 * hour. Such a bucket has refilled completely, so forgetting it changes no
 * decision; it only keeps app_private.rate_limit_buckets small. Part of
 * app_private.run_maintenance(); the clock is a parameter so tests can pass one.
 */
create or replace function app_private.prune_rate_limit_buckets(
  at timestamptz default pg_catalog.now()
) returns bigint
  language sql volatile
  set search_path = pg_catalog, pg_temp
as $$
  with gone as (
    delete from app_private.rate_limit_buckets b
     where b.refilled_at < prune_rate_limit_buckets.at - interval '1 hour'
    returning 1)
  select pg_catalog.count(*) from gone;
$$;
comment on function app_private.prune_rate_limit_buckets(timestamptz) is
  E'Removes rate-limit buckets idle for an hour before `at` (they would be full again); returns how many.';
