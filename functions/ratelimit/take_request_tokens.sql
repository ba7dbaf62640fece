/*
 * take_request_tokens: the rate limit's shared token bucket, handing out up to
 * `wanted` tokens at once. An API process that serves a busy key leases a few
 * tokens per call and spends them locally (src/server/rate-limit.ts), so the
 * database is asked once per lease instead of once per request; the bucket in
 * app_private.rate_limit_buckets stays the only authority, so every replica
 * together never admits more than the limit. The row lock serialises concurrent
 * takers of one key. An organization's limit is the operator's override in
 * app_private.organization_limits (set_organization_limit.sql), else the server's
 * default passed in by the caller.
 */
create or replace function app_private.take_request_tokens(
  org_id uuid,
  key text,
  default_per_minute integer,
  anonymous_per_minute integer,
  wanted integer
) returns table (granted integer, retry_after_ms integer, lim integer, remaining integer)
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the authenticator may take tokens, not read or write the table.
declare
  v_limit integer;
  v_rate double precision;
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_tokens double precision;
  v_seen timestamptz;
  v_granted integer;
begin
  if take_request_tokens.wanted is null or take_request_tokens.wanted < 1 then
    raise exception 'wanted must be at least 1' using errcode = 'FL005';
  end if;
  if take_request_tokens.org_id is null then
    v_limit := take_request_tokens.anonymous_per_minute;
  else
    -- The operator's override (set_organization_limit), never the tenant's settings.
    select l.requests_per_minute into v_limit
      from app_private.organization_limits l where l.organization_id = take_request_tokens.org_id;
    v_limit := coalesce(v_limit, take_request_tokens.default_per_minute);
  end if;
  v_rate := v_limit / 60.0;

  -- A new key starts with a full bucket; then the row is locked for this taker.
  insert into app_private.rate_limit_buckets as b (key, tokens, refilled_at)
  values (take_request_tokens.key, v_limit, v_now)
  on conflict on constraint rate_limit_buckets_pkey do nothing;
  select b.tokens, b.refilled_at into v_tokens, v_seen
    from app_private.rate_limit_buckets b where b.key = take_request_tokens.key
     for update;

  v_tokens := least(v_limit::double precision,
                    v_tokens + greatest(0, extract(epoch from v_now - v_seen)) * v_rate);
  v_granted := case when v_tokens >= 1
                    then least(take_request_tokens.wanted, pg_catalog.floor(v_tokens))::integer
                    else 0 end;
  update app_private.rate_limit_buckets b
     set tokens = v_tokens - v_granted, refilled_at = greatest(v_seen, v_now)
   where b.key = take_request_tokens.key;

  return query select
    v_granted,
    case when v_granted > 0 then 0
         else greatest(1, pg_catalog.ceil((1 - v_tokens) / v_rate * 1000))::integer end,
    v_limit,
    greatest(0, pg_catalog.floor(v_tokens - v_granted))::integer;
end;
$$;
comment on function app_private.take_request_tokens(uuid, text, integer, integer, integer) is
  E'Takes up to `wanted` requests from the key''s token bucket; says how many were granted and, when none, when to retry.';
