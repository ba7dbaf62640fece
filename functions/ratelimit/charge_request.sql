/*
 * charge_request: the per-tenant rate limit, shared by every API replica. A token
 * bucket per key (`org:<id>`, or `addr:<client address>` for anonymous requests)
 * lives in the unlogged app_private.rate_limit_buckets; one upsert refills it for
 * the time elapsed and takes a token if one is there. The row lock of
 * `on conflict do update` serialises concurrent requests on a key, so a burst is
 * never over-admitted. An organization's limit is the caller's default unless its
 * settings say {"rate_limit": {"requests_per_minute": N}}. Called by the API
 * (as the authenticator, before GraphQL) through src/server/rate-limit.ts.
 */
create or replace function app_private.charge_request(
  org_id uuid,
  key text,
  default_per_minute integer,
  anonymous_per_minute integer
) returns table (allowed boolean, retry_after_ms integer, lim integer, remaining integer)
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the authenticator may charge a bucket, not read or write the table.
declare
  v_limit integer;
  v_rate double precision;
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_tokens double precision;
  v_seen timestamptz;
begin
  if charge_request.org_id is null then
    v_limit := charge_request.anonymous_per_minute;
  else
    select case when pg_catalog.jsonb_typeof(o.settings #> '{rate_limit,requests_per_minute}') = 'number'
                 and (o.settings #>> '{rate_limit,requests_per_minute}')::numeric between 1 and 1000000000
                then (o.settings #>> '{rate_limit,requests_per_minute}')::numeric::integer end
      into v_limit
      from app_public.organizations o where o.id = charge_request.org_id;
    v_limit := coalesce(v_limit, charge_request.default_per_minute);
  end if;
  v_rate := v_limit / 60.0;

  insert into app_private.rate_limit_buckets as b (key, tokens, updated_at)
  values (charge_request.key, v_limit - 1, v_now)
  on conflict on constraint rate_limit_buckets_pkey do update
     set tokens = least(v_limit::double precision,
                        b.tokens + greatest(0, extract(epoch from v_now - b.updated_at)) * v_rate) - 1,
         updated_at = greatest(b.updated_at, v_now)
   where least(v_limit::double precision,
               b.tokens + greatest(0, extract(epoch from v_now - b.updated_at)) * v_rate) >= 1
  returning b.tokens into v_tokens;
  if v_tokens is not null then
    return query select true, 0, v_limit, greatest(0, pg_catalog.floor(v_tokens))::integer;
    return;
  end if;

  select b.tokens, b.updated_at into v_tokens, v_seen
    from app_private.rate_limit_buckets b where b.key = charge_request.key;
  v_tokens := least(v_limit::double precision, v_tokens + greatest(0, extract(epoch from v_now - v_seen)) * v_rate);
  return query select false, greatest(1, pg_catalog.ceil((1 - v_tokens) / v_rate * 1000))::integer, v_limit, 0;
end;
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
