/*
 * charge_request: one request against the per-tenant rate limit, the one-token
 * form of take_request_tokens (which holds the token bucket's logic; the API
 * leases tokens through it, see src/server/rate-limit.ts). Kept for callers that
 * charge one request at a time. prune_rate_limit_buckets forgets idle buckets.
 */
create or replace function app_private.charge_request(
  org_id uuid,
  key text,
  default_per_minute integer,
  anonymous_per_minute integer
) returns table (allowed boolean, retry_after_ms integer, lim integer, remaining integer)
  language sql volatile
  set search_path = pg_catalog, pg_temp
as $$
  select t.granted > 0, t.retry_after_ms, t.lim, t.remaining
    from app_private.take_request_tokens(org_id, key, default_per_minute, anonymous_per_minute, 1) t;
$$;
comment on function app_private.charge_request(uuid, text, integer, integer) is
  E'Takes one request from the key''s token bucket; says whether it was allowed and when to retry.';

create or replace function app_private.prune_rate_limit_buckets() returns bigint
  language sql volatile
  set search_path = pg_catalog, pg_temp
as $$
  -- A bucket idle for an hour is full again: forgetting it changes nothing.
  with gone as (
    delete from app_private.rate_limit_buckets b
     where b.updated_at < pg_catalog.now() - interval '1 hour'
    returning 1)
  select pg_catalog.count(*) from gone;
$$;
comment on function app_private.prune_rate_limit_buckets() is
  E'Removes rate-limit buckets idle for an hour (they would be full again); returns how many.';
