--! Previous: sha1:df338e869ef77442dd4642a512185ad9f5dc9b1a
--! Hash: sha1:94e94dc74c68f5d167952b45d2799151b803a217
--! Message: One way to act as a tenant; plpgsql policy helper; n_distinct on every tenant table

-- One way to act as a tenant, a cheaper policy path, and the planner's decision
-- stated for every tenant table (issue #7). Idempotent: drops first.

drop function if exists app_private.act_as_user(text, uuid, uuid, text);
drop function if exists app_private.act_for_tenant(uuid, text, text);

-- Every policy calls it: plpgsql, so its plan is cached per session.
--! Included tenancy/current_user_role.sql
/*
 * current_user_role(): the role the current request holds in the current
 * organization. It is the role stored on the user's row (not the token's claim),
 * so changes apply immediately: a demotion holds from the very next statement.
 * Trusted code that set the tenant through app_private.set_current_tenant() acts
 * as 'admin' inside that one tenant; that branch holds only for sessions logged
 * in as the schema's owner (the worker), so a request, which logs in as the
 * authenticator, can never take it even if the setting were forged.
 *
 * Every policy calls it, so it is on the path of every query. It is plpgsql
 * because PostgreSQL caches a plpgsql function's plans per session, while a
 * `language sql` security-definer function (which cannot be inlined) is planned
 * again in every query that calls it. Measured with pgbench on the bench dataset
 * (the API's transaction around a 20-row list, 10 clients): 1.6× the tx/s of the
 * SQL version. Caching the role in a transaction-local setting measured no
 * better and could go stale within a transaction, so it does not.
 * Works with: app_public.users, app_private.set_current_tenant(), every policy.
 */
create or replace function app_public.current_user_role() returns app_public.user_role
  language plpgsql stable parallel safe
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: it must read the caller's own row even where RLS would recurse
-- (the users policies call this function).
declare
  v_org uuid := app_public.current_org_id();
  v_user uuid := app_public.current_user_id();
  v_role app_public.user_role;
begin
  if v_org is null then
    return null;
  end if;
  if v_user is not null then
    select u.role into v_role
      from app_public.users u
     where u.organization_id = v_org and u.id = v_user;
    return v_role;
  end if;
  if pg_catalog.current_setting('forgeline.service_tenant', true) = v_org::text
     and pg_catalog.pg_has_role(
           session_user,
           (select c.relowner from pg_catalog.pg_class c
             where c.oid = 'app_public.users'::pg_catalog.regclass),
           'MEMBER') then
    return 'admin'::app_public.user_role;
  end if;
  return null;
end;
$$;
comment on function app_public.current_user_role() is
  E'The role (`owner`, `admin`, `member`, `viewer`) the current user holds in the current organization, read from the user''s row; null when the request is anonymous or not a member.';
--! EndIncluded tenancy/current_user_role.sql
-- The two ways trusted code acts inside the database (src/db/session.ts).
--! Included tenancy/act_as.sql
/*
 * How trusted code (the worker, seed, tests, the bench) acts inside the
 * database, for the rest of the current transaction; the only two ways, used by
 * src/db/session.ts (withTenant, asUser) and by the pgTAP helpers:
 *
 *   act_for_tenant(org, actor, request_id)  a service acting for one tenant, no
 *       user: set_current_tenant(org) (so current_user_role() is 'admin' there),
 *       `forgeline.actor` for the audit log (`worker`, `webhook`, …), and then the
 *       visitor role, so every statement after it is guarded by RLS like a request.
 *   act_as_user(sub, org, user, request_id)  a signed-in user, exactly as the API
 *       sets a request up from a verified token (src/server/auth.ts, pgSettingsFor):
 *       the jwt.claims.* settings and the visitor role; with a null `sub`, an
 *       anonymous request (no claims at all).
 *
 * Both switch to the visitor with set_config('role', …, true), which is why they
 * are invokers without a SET clause (a definer could not change the role, and a
 * SET clause would undo the settings when the function returns). The visitor has
 * no access to app_private, so a request can never call them.
 */
create or replace function app_private.act_for_tenant(
  org_id uuid,
  actor text,
  request_id text default null
) returns void
  language plpgsql volatile
as $$
begin
  if act_for_tenant.actor is null or act_for_tenant.actor !~ '^[a-z][a-z0-9_-]{0,31}$' then
    raise exception 'An actor names the trusted code acting, like "worker"; got "%"', act_for_tenant.actor
      using errcode = 'FL005';
  end if;
  perform app_private.set_current_tenant(act_for_tenant.org_id);
  perform pg_catalog.set_config('jwt.claims.sub', 'service:' || act_for_tenant.actor, true);
  perform pg_catalog.set_config('forgeline.actor', act_for_tenant.actor, true);
  perform pg_catalog.set_config('forgeline.request_id', coalesce(act_for_tenant.request_id, ''), true);
  perform pg_catalog.set_config('role', ':DATABASE_VISITOR', true);
end;
$$;
comment on function app_private.act_for_tenant(uuid, text, text) is
  E'Trusted code only: act for one organization as the named service (no user), under RLS as the visitor, for the rest of the transaction.';

create or replace function app_private.act_as_user(
  sub text default null,
  org_id uuid default null,
  user_id uuid default null,
  request_id text default null
) returns void
  language plpgsql volatile
as $$
begin
  if coalesce(act_as_user.sub, '') = '' and (act_as_user.org_id is not null or act_as_user.user_id is not null) then
    raise exception 'A user needs a subject (the token''s sub)' using errcode = 'FL005';
  end if;
  perform pg_catalog.set_config('jwt.claims.sub', coalesce(act_as_user.sub, ''), true);
  perform pg_catalog.set_config('jwt.claims.org_id', coalesce(act_as_user.org_id::text, ''), true);
  perform pg_catalog.set_config('jwt.claims.user_id', coalesce(act_as_user.user_id::text, ''), true);
  perform pg_catalog.set_config('jwt.claims.role', '', true);
  perform pg_catalog.set_config('forgeline.service_tenant', '', true);
  perform pg_catalog.set_config('forgeline.actor', '', true);
  perform pg_catalog.set_config('forgeline.request_id', coalesce(act_as_user.request_id, ''), true);
  perform pg_catalog.set_config('role', ':DATABASE_VISITOR', true);
end;
$$;
comment on function app_private.act_as_user(text, uuid, uuid, text) is
  E'Trusted code only: act as a signed-in user (the claims a verified token gives a request), under RLS as the visitor, for the rest of the transaction.';
--! EndIncluded tenancy/act_as.sql
-- plpgsql_check: no unused variable.
--! Included organizations/tg_users__keep_an_owner.sql
/*
 * tg_users__keep_an_owner: an organization always keeps at least one owner.
 * Statement-level, over the transition table of changed users, so a bulk update
 * costs one check per organization touched. Deleting the organization itself
 * cascades to its users; the organization is gone by then and the check lets it
 * through. It is a definer so that it sees every owner whoever the caller is
 * (RLS would otherwise decide what "no owner left" means).
 *
 * Concurrency: two owners demoting each other at the same time must not both
 * pass. Each transaction first locks the organization rows the rule is about
 * (`for no key update`, which does not block inserts that only reference them),
 * in id order, and only then counts the owners: under READ COMMITTED that count
 * is a new statement with a new snapshot, so the second transaction, which
 * waited for the first, sees its committed demotion and refuses (FL004).
 * Works with: app_public.users (_200_keep_an_owner_* triggers), change_user_role(),
 * remove_user() (which take the same lock first, so the lock order is always
 * organization, then user).
 */
create or replace function app_private.tg_users__keep_an_owner() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the check must see all of the organization's users, not what RLS shows the caller.
begin
  perform 1 from app_public.organizations org
   where org.id in (select t.organization_id from old_rows t where t.role = 'owner')
   order by org.id
     for no key update of org;
  perform 1
    from (select distinct t.organization_id from old_rows t where t.role = 'owner') o
   where exists (select 1 from app_public.organizations org where org.id = o.organization_id)
     and not exists (
       select 1 from app_public.users u
        where u.organization_id = o.organization_id and u.role = 'owner')
   limit 1;
  if found then
    raise exception 'An organization must keep at least one owner'
      using errcode = 'FL004',
            hint = 'Make another user an owner first, or delete the organization.';
  end if;
  return null;
end;
$$;
comment on function app_private.tg_users__keep_an_owner() is
  E'Trigger function: refuses a change that leaves an organization without an owner; safe under concurrent changes.';
--! EndIncluded organizations/tg_users__keep_an_owner.sql

-- Tenant tables plan for large tenants (see migration 000003 and
-- docs/adding-a-module.md); organization_limits holds one row per organization.
alter table app_public.organization_feature_flags alter column organization_id set (n_distinct = -0.01);
alter table app_public.audit_events
  alter column organization_id set (n_distinct = -0.01, n_distinct_inherited = -0.01);
alter table app_private.organization_limits alter column organization_id set (n_distinct = -1);

-- Partitions copy the decision from their parent (guard_partition).
--! Included maintenance/partitions.sql
/*
 * Monthly partitions and retention (DESIGN §5). Partitioned tables register in
 * app_private.partitioned_tables with their retention and how many months to
 * create ahead. maintain_partitions(at) creates the month of `at` and `premake`
 * months ahead, as app_partitions.<table>_pYYYYMM (never in an exposed schema: a
 * partition there would be readable past the parent's RLS), each guarded like
 * its parent (guard_partition). apply_retention(at) detaches and drops whole
 * partitions whose month ended before the retention window; it never deletes
 * row by row. Both take the clock as a parameter (tests pass one), create only
 * what is missing, and are called from app_private.run_maintenance(), which
 * serialises overlapping runs.
 */

/*
 * guard_partition(parent, partition): what a partition needs beyond what
 * PostgreSQL copies from its parent. Row-level triggers, indexes and constraints
 * are cloned automatically, but row-level security is per table, and
 * statement-level TRUNCATE triggers of the parent do not fire when the
 * partition itself is truncated: `truncate app_partitions.audit_events_p202612`
 * would otherwise empty a month of an append-only log. The planner's
 * per-column decisions (n_distinct on organization_id, see
 * docs/adding-a-module.md) are per table too, and are copied. Idempotent.
 */
create or replace function app_private.guard_partition(parent regclass, part regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_trigger record;
  v_option record;
begin
  execute pg_catalog.format('alter table %s enable row level security', guard_partition.part);
  for v_option in
    select a.attname, o.opt
      from pg_catalog.pg_attribute a
     cross join lateral pg_catalog.unnest(a.attoptions) o(opt)
     where a.attrelid = guard_partition.parent and a.attnum > 0 and not a.attisdropped
       and o.opt like 'n\_distinct=%'
  loop
    execute pg_catalog.format('alter table %s alter column %I set (%s)',
                              guard_partition.part, v_option.attname, v_option.opt);
  end loop;
  for v_trigger in
    select t.tgname, t.tgfoid::regproc as fn,
           case when (t.tgtype & 2) <> 0 then 'before' else 'after' end as timing
      from pg_catalog.pg_trigger t
     where t.tgrelid = guard_partition.parent and not t.tgisinternal
       and (t.tgtype & 32) <> 0          -- TRUNCATE
       and t.tgnargs = 0
  loop
    if not exists (select 1 from pg_catalog.pg_trigger p
                    where p.tgrelid = guard_partition.part and p.tgname = v_trigger.tgname) then
      execute pg_catalog.format(
        'create trigger %I %s truncate on %s for each statement execute function %s()',
        v_trigger.tgname, v_trigger.timing, guard_partition.part, v_trigger.fn);
    end if;
  end loop;
end;
$$;
comment on function app_private.guard_partition(regclass, regclass) is
  E'Gives a partition its parent''s RLS, statement-level TRUNCATE triggers and n_distinct settings (not copied by PostgreSQL).';

create or replace function app_private.maintain_partitions(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_table record;
  v_month date;
  v_name text;
begin
  for v_table in
    select p.table_name::regclass as parent, c.relname, p.premake
      from app_private.partitioned_tables p
      join pg_catalog.pg_class c on c.oid = p.table_name
     order by c.relname
  loop
    for i in 0 .. v_table.premake loop
      v_month := (pg_catalog.date_trunc('month', maintain_partitions.at at time zone 'UTC')
                  + pg_catalog.make_interval(months => i))::date;
      v_name := pg_catalog.format('%s_p%s', v_table.relname, pg_catalog.to_char(v_month, 'YYYYMM'));
      if pg_catalog.to_regclass(pg_catalog.format('app_partitions.%I', v_name)) is null then
        execute pg_catalog.format(
          'create table if not exists app_partitions.%I partition of %s for values from (%L) to (%L)',
          v_name, v_table.parent,
          (v_month::timestamp at time zone 'UTC'),
          ((v_month + interval '1 month')::timestamp at time zone 'UTC'));
        perform app_private.guard_partition(v_table.parent,
                                            pg_catalog.format('app_partitions.%I', v_name)::regclass);
        return next pg_catalog.format('created app_partitions.%I', v_name);
      end if;
    end loop;
  end loop;
end;
$$;
comment on function app_private.maintain_partitions(timestamptz) is
  E'Creates the missing monthly partitions of every registered table for the month of `at` and the months ahead; returns what it created.';

create or replace function app_private.apply_retention(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_part record;
begin
  for v_part in
    select p.table_name::regclass as parent, c.oid::regclass as part, c.relname,
           pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') as month
      from app_private.partitioned_tables p
      join pg_catalog.pg_inherits h on h.inhparent = p.table_name
      join pg_catalog.pg_class c on c.oid = h.inhrelid
     where p.retention is not null
       and c.relname ~ '_p[0-9]{6}$'
       and (pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') + interval '1 month')
           <= (apply_retention.at at time zone 'UTC') - p.retention
     order by 4, 3
  loop
    execute pg_catalog.format('alter table %s detach partition %s', v_part.parent, v_part.part);
    execute pg_catalog.format('drop table %s', v_part.part);
    return next pg_catalog.format('dropped app_partitions.%I', v_part.relname);
  end loop;
end;
$$;
comment on function app_private.apply_retention(timestamptz) is
  E'Detaches and drops whole partitions whose month ended before each registered table''s retention, counted back from `at`; returns what it dropped.';
--! EndIncluded maintenance/partitions.sql
select app_private.guard_partition(h.inhparent::regclass, h.inhrelid::regclass)
  from app_private.partitioned_tables p
  join pg_catalog.pg_inherits h on h.inhparent = p.table_name;
analyze app_public.organization_feature_flags, app_public.audit_events, app_private.organization_limits;

-- A bucket's clock is when it was last refilled, kept by take_request_tokens
-- itself, not a row's updated_at (which the _100_timestamps trigger keeps).
do $$
begin
  if exists (select 1 from pg_catalog.pg_attribute
              where attrelid = 'app_private.rate_limit_buckets'::regclass and attname = 'updated_at') then
    alter table app_private.rate_limit_buckets rename column updated_at to refilled_at;
  end if;
end;
$$;
--! Included ratelimit/take_request_tokens.sql
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
--! EndIncluded ratelimit/take_request_tokens.sql
--! Included ratelimit/prune_rate_limit_buckets.sql
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
--! EndIncluded ratelimit/prune_rate_limit_buckets.sql
