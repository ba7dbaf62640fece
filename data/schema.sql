--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: app_hidden; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_hidden;

--
-- Name: app_partitions; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_partitions;

--
-- Name: app_private; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_private;

--
-- Name: app_public; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_public;

--
-- Name: SCHEMA app_public; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA app_public IS 'Forgeline''s public API: exposed in GraphQL, guarded by RLS.';

--
-- Name: citext; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;

--
-- Name: EXTENSION citext; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';

--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

--
-- Name: user_role; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.user_role AS ENUM (
    'viewer',
    'member',
    'admin',
    'owner'
);

--
-- Name: TYPE user_role; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.user_role IS 'A user''s role in an organization, weakest first: viewers read, members write their own work, admins manage users, owners manage the organization.';

--
-- Name: current_migration(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_migration() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: graphile_migrate's bookkeeping belongs to the owner; this exposes only the hash.
begin
  return (select m.hash from graphile_migrate.migrations m order by m.filename desc limit 1);
end;
$$;

--
-- Name: FUNCTION current_migration(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_migration() IS 'The hash of the newest applied committed migration (for the readiness probe).';

--
-- Name: act_as_user(text, uuid, uuid, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.act_as_user(sub text DEFAULT NULL::text, org_id uuid DEFAULT NULL::uuid, user_id uuid DEFAULT NULL::uuid, request_id text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: FUNCTION act_as_user(sub text, org_id uuid, user_id uuid, request_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.act_as_user(sub text, org_id uuid, user_id uuid, request_id text) IS 'Trusted code only: act as a signed-in user (the claims a verified token gives a request), under RLS as the visitor, for the rest of the transaction.';

--
-- Name: act_for_tenant(uuid, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.act_for_tenant(org_id uuid, actor text, request_id text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
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
$_$;

--
-- Name: FUNCTION act_for_tenant(org_id uuid, actor text, request_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.act_for_tenant(org_id uuid, actor text, request_id text) IS 'Trusted code only: act for one organization as the named service (no user), under RLS as the visitor, for the rest of the transaction.';

--
-- Name: apply_retention(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.apply_retention(at timestamp with time zone DEFAULT now()) RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

--
-- Name: FUNCTION apply_retention(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.apply_retention(at timestamp with time zone) IS 'Detaches and drops whole partitions whose month ended before each registered table''s retention, counted back from `at`; returns what it dropped.';

--
-- Name: assert_valid_user(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.assert_valid_user(name text, email text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  if pg_catalog.length(pg_catalog.btrim(coalesce(assert_valid_user.name, ''))) = 0 then
    raise exception 'A user needs a name' using errcode = 'FL005';
  end if;
  if assert_valid_user.email is null
     or assert_valid_user.email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'
     or pg_catalog.length(assert_valid_user.email) > 320 then
    raise exception 'The email address "%" is not valid', assert_valid_user.email
      using errcode = 'FL005', hint = 'Use an address like name@example.com.';
  end if;
end;
$_$;

--
-- Name: FUNCTION assert_valid_user(name text, email text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.assert_valid_user(name text, email text) IS 'Raises FL005 for an empty name or a malformed email address.';

--
-- Name: enable_audit(regclass, text[]); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.enable_audit(target regclass, omit text[] DEFAULT '{updated_at,created_at}'::text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_org_column text;
  v_keys text;
  v_args text;
begin
  select case when exists (select 1 from pg_catalog.pg_attribute a
                            where a.attrelid = enable_audit.target and a.attname = 'organization_id'
                              and not a.attisdropped)
              then 'organization_id' else 'id' end
    into v_org_column;
  select pg_catalog.string_agg(a.attname, ',' order by k.ord)
    into v_keys
    from pg_catalog.pg_index i
    cross join lateral pg_catalog.unnest(i.indkey) with ordinality k(attnum, ord)
    join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
   where i.indrelid = enable_audit.target and i.indisprimary;
  if v_keys is null then
    raise exception 'Table % has no primary key to audit by', enable_audit.target using errcode = 'FL005';
  end if;
  v_args := pg_catalog.format('%L, %L, %L', v_org_column, v_keys, pg_catalog.array_to_string(enable_audit.omit, ','));
  execute pg_catalog.format(
    'create trigger _800_audit_insert after insert on %s referencing new table as new_rows
       for each statement execute function app_private.tg__audit(%s)', enable_audit.target, v_args);
  execute pg_catalog.format(
    'create trigger _800_audit_update after update on %s referencing old table as old_rows new table as new_rows
       for each statement execute function app_private.tg__audit(%s)', enable_audit.target, v_args);
  execute pg_catalog.format(
    'create trigger _800_audit_delete after delete on %s referencing old table as old_rows
       for each statement execute function app_private.tg__audit(%s)', enable_audit.target, v_args);
end;
$$;

--
-- Name: FUNCTION enable_audit(target regclass, omit text[]); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.enable_audit(target regclass, omit text[]) IS 'Opts a table into the audit log (one line per table in a migration); `omit` lists columns never recorded.';

--
-- Name: guard_partition(regclass, regclass); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.guard_partition(parent regclass, part regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION guard_partition(parent regclass, part regclass); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.guard_partition(parent regclass, part regclass) IS 'Gives a partition its parent''s RLS, statement-level TRUNCATE triggers and n_distinct settings (not copied by PostgreSQL).';

--
-- Name: jsonb_pick(jsonb, text[]); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.jsonb_pick(j jsonb, keys text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce(pg_catalog.jsonb_object_agg(k, j -> k), '{}'::jsonb)
    from pg_catalog.unnest(keys) k;
$$;

--
-- Name: FUNCTION jsonb_pick(j jsonb, keys text[]); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.jsonb_pick(j jsonb, keys text[]) IS 'The given keys of a JSON object (a row''s key columns, for audit events).';

--
-- Name: lock_organization(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.lock_organization() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform 1 from app_public.organizations o
   where o.id = app_public.current_org_id()
     for no key update;
end;
$$;

--
-- Name: FUNCTION lock_organization(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.lock_organization() IS 'Locks the current organization''s row until the transaction ends (serialises organization-wide rules).';

--
-- Name: maintain_partitions(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.maintain_partitions(at timestamp with time zone DEFAULT now()) RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION maintain_partitions(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.maintain_partitions(at timestamp with time zone) IS 'Creates the missing monthly partitions of every registered table for the month of `at` and the months ahead; returns what it created.';

--
-- Name: maintenance_is_scheduled_elsewhere(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.maintenance_is_scheduled_elsewhere(at timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce((
    select s.scheduler = 'pg_cron'
       and s.scheduler_last_run_at > maintenance_is_scheduled_elsewhere.at - interval '2 hours'
      from app_private.maintenance_state s), false);
$$;

--
-- Name: FUNCTION maintenance_is_scheduled_elsewhere(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.maintenance_is_scheduled_elsewhere(at timestamp with time zone) IS 'Whether pg_cron has the maintenance job and ran it in the last two hours (the worker then skips its own run).';

--
-- Name: prune_rate_limit_buckets(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.prune_rate_limit_buckets(at timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  with gone as (
    delete from app_private.rate_limit_buckets b
     where b.refilled_at < prune_rate_limit_buckets.at - interval '1 hour'
    returning 1)
  select pg_catalog.count(*) from gone;
$$;

--
-- Name: FUNCTION prune_rate_limit_buckets(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.prune_rate_limit_buckets(at timestamp with time zone) IS 'Removes rate-limit buckets idle for an hour before `at` (they would be full again); returns how many.';

--
-- Name: record_maintenance_schedule(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.record_maintenance_schedule(scheduler text, job text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  insert into app_private.maintenance_state as s (singleton, scheduler, scheduled_job, scheduled_at)
  values (true, record_maintenance_schedule.scheduler, record_maintenance_schedule.job,
          case when record_maintenance_schedule.scheduler is null then null else pg_catalog.now() end)
  on conflict (singleton) do update
     set scheduler = excluded.scheduler, scheduled_job = excluded.scheduled_job,
         scheduled_at = excluded.scheduled_at;
$$;

--
-- Name: FUNCTION record_maintenance_schedule(scheduler text, job text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.record_maintenance_schedule(scheduler text, job text) IS 'Records that maintenance is (or, with nulls, is no longer) scheduled by another scheduler such as pg_cron.';

--
-- Name: require_role(app_public.user_role); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.require_role(minimum app_public.user_role) RETURNS app_public.user_role
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role app_public.user_role := app_public.current_user_role();
begin
  if v_role is null then
    raise exception 'You must be signed in to an organization to do this'
      using errcode = 'FL001', hint = 'Send a token that carries org_id and user_id claims.';
  end if;
  if v_role < require_role.minimum then
    raise exception 'Your role (%) may not do this; it needs % or above', v_role, require_role.minimum
      using errcode = 'FL002';
  end if;
  return v_role;
end;
$$;

--
-- Name: FUNCTION require_role(minimum app_public.user_role); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.require_role(minimum app_public.user_role) IS 'Raises FL001/FL002 unless the caller holds at least the given role in the current organization.';

--
-- Name: run_maintenance(timestamp with time zone, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.run_maintenance(at timestamp with time zone DEFAULT now(), caller text DEFAULT 'unknown'::text) RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_pruned bigint;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('forgeline.maintenance', 0));
  return query select app_private.maintain_partitions(run_maintenance.at);
  return query select app_private.apply_retention(run_maintenance.at);
  v_pruned := app_private.prune_rate_limit_buckets(run_maintenance.at);
  if v_pruned > 0 then
    return next pg_catalog.format('pruned %s idle rate-limit buckets', v_pruned);
  end if;
  insert into app_private.maintenance_state as s (singleton, last_run_at, last_run_by)
  values (true, pg_catalog.clock_timestamp(),
          pg_catalog.left(coalesce(nullif(run_maintenance.caller, ''), 'unknown'), 64))
  on conflict (singleton) do update
     set last_run_at = excluded.last_run_at,
         last_run_by = excluded.last_run_by,
         scheduler_last_run_at = case when excluded.last_run_by = s.scheduler
                                      then excluded.last_run_at else s.scheduler_last_run_at end;
end;
$$;

--
-- Name: FUNCTION run_maintenance(at timestamp with time zone, caller text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.run_maintenance(at timestamp with time zone, caller text) IS 'Routine maintenance (partitions ahead, retention, idle rate-limit buckets), serialised against overlapping runs; returns what it did.';

--
-- Name: set_current_tenant(uuid); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.set_current_tenant(org_id uuid) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if set_current_tenant.org_id is null then
    raise exception 'A tenant id is required' using errcode = 'FL008',
      hint = 'Pass the organization id the job acts for.';
  end if;
  if not exists (select 1 from app_public.organizations o where o.id = set_current_tenant.org_id) then
    raise exception 'No organization with id %', set_current_tenant.org_id using errcode = 'FL003';
  end if;
  perform pg_catalog.set_config('jwt.claims.org_id', set_current_tenant.org_id::text, true);
  perform pg_catalog.set_config('jwt.claims.user_id', '', true);
  perform pg_catalog.set_config('jwt.claims.role', '', true);
  perform pg_catalog.set_config('forgeline.service_tenant', set_current_tenant.org_id::text, true);
end;
$$;

--
-- Name: FUNCTION set_current_tenant(org_id uuid); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.set_current_tenant(org_id uuid) IS 'Trusted code only: act for one organization, with no user, for the rest of the transaction.';

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: organization_limits; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.organization_limits (
    organization_id uuid NOT NULL,
    requests_per_minute integer NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organization_limits_note_check CHECK ((length(note) <= 500)),
    CONSTRAINT organization_limits_requests_per_minute_check CHECK (((requests_per_minute >= 1) AND (requests_per_minute <= 1000000000)))
);
ALTER TABLE ONLY app_private.organization_limits ALTER COLUMN organization_id SET (n_distinct=-1);

--
-- Name: TABLE organization_limits; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.organization_limits IS 'The operator''s per-organization overrides of service limits (API requests per minute); never writable by a tenant.';

--
-- Name: set_organization_limit(uuid, integer, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.set_organization_limit(organization_id uuid, requests_per_minute integer, note text DEFAULT NULL::text) RETURNS app_private.organization_limits
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_row app_private.organization_limits;
begin
  if not exists (select 1 from app_public.organizations o
                  where o.id = set_organization_limit.organization_id) then
    raise exception 'No organization with id %', set_organization_limit.organization_id
      using errcode = 'FL003';
  end if;
  if set_organization_limit.requests_per_minute is null then
    delete from app_private.organization_limits l
     where l.organization_id = set_organization_limit.organization_id
    returning * into v_row;
    return v_row;
  end if;
  if set_organization_limit.requests_per_minute not between 1 and 1000000000 then
    raise exception 'A rate limit is 1 to 1,000,000,000 requests per minute, not %',
      set_organization_limit.requests_per_minute
      using errcode = 'FL005', hint = 'Clear the override instead to use the server default.';
  end if;
  insert into app_private.organization_limits as l (organization_id, requests_per_minute, note)
  values (set_organization_limit.organization_id, set_organization_limit.requests_per_minute,
          set_organization_limit.note)
  on conflict on constraint organization_limits_pkey do update
     set requests_per_minute = excluded.requests_per_minute,
         note = coalesce(excluded.note, l.note)
  returning * into v_row;
  return v_row;
end;
$$;

--
-- Name: FUNCTION set_organization_limit(organization_id uuid, requests_per_minute integer, note text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.set_organization_limit(organization_id uuid, requests_per_minute integer, note text) IS 'Operator only: sets (or with null clears) an organization''s API rate limit per minute.';

--
-- Name: take_request_tokens(uuid, text, integer, integer, integer); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer) RETURNS TABLE(granted integer, retry_after_ms integer, lim integer, remaining integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer) IS 'Takes up to `wanted` requests from the key''s token bucket; says how many were granted and, when none, when to retry.';

--
-- Name: tg__audit(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg__audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Definer: the visitor has no insert grant on audit_events; this is its only writer.
declare
  v_org_column text := tg_argv[0];
  v_keys text[] := pg_catalog.string_to_array(tg_argv[1], ',');
  v_omit text[] := pg_catalog.string_to_array(coalesce(tg_argv[2], ''), ',');
  v_user uuid := app_public.current_user_id();
  v_actor text := coalesce(
    nullif(pg_catalog.current_setting('forgeline.actor', true), ''),
    case when v_user is not null then 'user' else 'system' end);
  -- The API validates x-request-id before setting it; trusted code might not, and
  -- a log must not store whatever it is handed: anything else is recorded as null.
  v_request text := case when pg_catalog.current_setting('forgeline.request_id', true)
                              ~ '^[A-Za-z0-9._-]{1,64}$'
                         then pg_catalog.current_setting('forgeline.request_id', true) end;
  v_table text := pg_catalog.format('%I.%I', tg_table_schema, tg_table_name);
begin
  if tg_op = 'INSERT' then
    insert into app_public.audit_events
      (organization_id, actor_user_id, actor, action, table_name, row_key, changes, request_id)
    select (r.j ->> v_org_column)::uuid, v_user, v_actor, 'insert', v_table,
           app_private.jsonb_pick(r.j, v_keys),
           (select coalesce(pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('new', e.value)), '{}')
              from pg_catalog.jsonb_each(r.j - v_omit) e),
           v_request
      from (select pg_catalog.to_jsonb(n) as j from new_rows n) r;
  elsif tg_op = 'DELETE' then
    insert into app_public.audit_events
      (organization_id, actor_user_id, actor, action, table_name, row_key, changes, request_id)
    select (r.j ->> v_org_column)::uuid, v_user, v_actor, 'delete', v_table,
           app_private.jsonb_pick(r.j, v_keys),
           (select coalesce(pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('old', e.value)), '{}')
              from pg_catalog.jsonb_each(r.j - v_omit) e),
           v_request
      from (select pg_catalog.to_jsonb(o) as j from old_rows o) r;
  else
    insert into app_public.audit_events
      (organization_id, actor_user_id, actor, action, table_name, row_key, changes, request_id)
    select (n.j ->> v_org_column)::uuid, v_user, v_actor, 'update', v_table, n.k, d.changes, v_request
      from (select pg_catalog.to_jsonb(x) as j, app_private.jsonb_pick(pg_catalog.to_jsonb(x), v_keys) as k from new_rows x) n
      join (select pg_catalog.to_jsonb(x) as j, app_private.jsonb_pick(pg_catalog.to_jsonb(x), v_keys) as k from old_rows x) o
        on o.k operator(pg_catalog.=) n.k
     cross join lateral (
       select pg_catalog.jsonb_object_agg(ne.key, pg_catalog.jsonb_build_object('old', oe.value, 'new', ne.value)) as changes
         from pg_catalog.jsonb_each(n.j - v_omit) ne
         join pg_catalog.jsonb_each(o.j - v_omit) oe on oe.key = ne.key
        where oe.value is distinct from ne.value) d
     where d.changes is not null;  -- an update that changed nothing recordable is no event
  end if;
  return null;
end;
$_$;

--
-- Name: FUNCTION tg__audit(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg__audit() IS 'Trigger function: records inserted, updated (changed columns only) and deleted rows in audit_events.';

--
-- Name: tg__timestamps(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg__timestamps() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  new.created_at := case when tg_op = 'INSERT' then pg_catalog.now() else old.created_at end;
  new.updated_at := case when tg_op = 'UPDATE' and old.updated_at >= pg_catalog.now()
                          then old.updated_at + interval '1 millisecond'
                          else pg_catalog.now() end;
  return new;
end;
$$;

--
-- Name: FUNCTION tg__timestamps(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg__timestamps() IS 'Trigger function: sets created_at on insert and updated_at on every write.';

--
-- Name: tg_audit_events__append_only(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_audit_events__append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  raise exception 'Audit events cannot be changed or deleted'
    using errcode = 'FL009',
          hint = 'Old events leave only with their monthly partition (app_private.apply_retention).';
end;
$$;

--
-- Name: FUNCTION tg_audit_events__append_only(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_audit_events__append_only() IS 'Trigger function: refuses update, delete and truncate of audit events, for every role.';

--
-- Name: tg_organizations__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_organizations__validate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Definer: a slug is unique across all organizations, which the caller cannot see.
begin
  if tg_op = 'INSERT' or new.name is distinct from old.name then
    if pg_catalog.length(pg_catalog.btrim(coalesce(new.name, ''))) not between 1 and 200 then
      raise exception 'An organization needs a name of 1 to 200 characters' using errcode = 'FL005';
    end if;
    new.name := pg_catalog.btrim(new.name);
  end if;
  if tg_op = 'INSERT' or new.slug is distinct from old.slug then
    if new.slug is null or new.slug !~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' then
      raise exception 'The slug "%" is not valid', new.slug
        using errcode = 'FL005',
              hint = 'Use 1 to 63 lowercase letters, digits and inner hyphens, like "acme-labs".';
    end if;
    perform pg_catalog.pg_advisory_xact_lock(
      pg_catalog.hashtextextended('forgeline.organization_slug:' || new.slug, 0));
    if exists (select 1 from app_public.organizations o where o.slug = new.slug and o.id <> new.id) then
      raise exception 'The slug "%" is already taken', new.slug
        using errcode = 'FL006', hint = 'Choose another slug.';
    end if;
  end if;
  if (tg_op = 'INSERT' or new.settings is distinct from old.settings)
     and new.settings ? 'rate_limit'
     and (tg_op = 'INSERT' or (new.settings -> 'rate_limit') is distinct from (old.settings -> 'rate_limit')) then
    raise exception 'Rate limits are set by the operator, not in organization settings'
      using errcode = 'FL011',
            hint = 'Remove "rate_limit" from settings; ask the operator to change the limit (forgeline limits).';
  end if;
  return new;
end;
$_$;

--
-- Name: FUNCTION tg_organizations__validate(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_organizations__validate() IS 'Trigger function: validates an organization''s name, slug and settings with FL005/FL006/FL011.';

--
-- Name: tg_users__keep_an_owner(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_users__keep_an_owner() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION tg_users__keep_an_owner(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_users__keep_an_owner() IS 'Trigger function: refuses a change that leaves an organization without an owner; safe under concurrent changes.';

--
-- Name: users; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.users (
    organization_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email public.citext NOT NULL,
    name text NOT NULL,
    role app_public.user_role DEFAULT 'member'::app_public.user_role NOT NULL,
    external_ids jsonb DEFAULT '{}'::jsonb NOT NULL,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_email_check CHECK (((email OPERATOR(public.~) '^[^@\s]+@[^@\s]+\.[^@\s]+$'::public.citext) AND (length((email)::text) <= 320))),
    CONSTRAINT users_external_ids_check CHECK ((jsonb_typeof(external_ids) = 'object'::text)),
    CONSTRAINT users_name_check CHECK (((length(btrim(name)) >= 1) AND (length(btrim(name)) <= 200))),
    CONSTRAINT users_settings_check CHECK ((jsonb_typeof(settings) = 'object'::text))
);
ALTER TABLE ONLY app_public.users ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE users; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.users IS '@behavior -insert -delete +aggregates
A person in one organization. Added with `addUser`, re-roled with `changeUserRole`, removed with `removeUser`.';

--
-- Name: COLUMN users.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.organization_id IS 'The organization this user belongs to.';

--
-- Name: COLUMN users.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.id IS 'The user''s id; the `user_id` claim of their tokens.';

--
-- Name: COLUMN users.email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.email IS 'Email address, unique within the organization (case-insensitive).';

--
-- Name: COLUMN users.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.name IS 'Display name.';

--
-- Name: COLUMN users.role; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.role IS 'Role in the organization; change it with `changeUserRole`.';

--
-- Name: COLUMN users.external_ids; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.external_ids IS 'Ids on outside services, e.g. {"github": "1234", "linear": "…", "slack": "U…"}.';

--
-- Name: COLUMN users.settings; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.settings IS 'Personal settings (a JSON object).';

--
-- Name: COLUMN users.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.created_at IS 'When the user was added.';

--
-- Name: COLUMN users.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.updated_at IS 'When the user was last changed.';

--
-- Name: add_user(text, text, app_public.user_role); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.add_user(email text, name text, role app_public.user_role DEFAULT 'member'::app_public.user_role) RETURNS app_public.users
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the visitor has no insert grant on users; the checks below replace it.
declare
  v_caller app_public.user_role;
  v_user app_public.users;
begin
  -- Lock first, then read the caller's role: see lock_organization.sql.
  perform app_private.lock_organization();
  v_caller := app_private.require_role('admin');
  if add_user.role is null then
    raise exception 'A role is required' using errcode = 'FL005';
  end if;
  if add_user.role = 'owner' and v_caller <> 'owner' then
    raise exception 'Only an owner may add an owner' using errcode = 'FL002';
  end if;
  perform app_private.assert_valid_user(add_user.name, add_user.email);
  if exists (
    select 1 from app_public.users u
     where u.organization_id = app_public.current_org_id()
       -- citext's case-insensitive `=` lives in `public`, off this function's search_path.
       and u.email operator(public.=) add_user.email::public.citext
  ) then
    raise exception 'A user with the email "%" is already in this organization', add_user.email
      using errcode = 'FL007';
  end if;

  insert into app_public.users (organization_id, email, name, role)
  values (app_public.current_org_id(), add_user.email::public.citext,
          pg_catalog.btrim(add_user.name), add_user.role)
  returning * into v_user;
  return v_user;
end;
$$;

--
-- Name: FUNCTION add_user(email text, name text, role app_public.user_role); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.add_user(email text, name text, role app_public.user_role) IS '@resultFieldName user
Adds a user to the current organization (admins and owners; only owners add owners).';

--
-- Name: change_user_role(uuid, app_public.user_role); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.change_user_role(user_id uuid, role app_public.user_role) RETURNS app_public.users
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: `role` is not in the visitor's update grant; this is its only writer.
declare
  v_caller app_public.user_role;
  v_target app_public.users;
begin
  -- Lock first, then read the caller's role: see lock_organization.sql.
  perform app_private.lock_organization();
  v_caller := app_private.require_role('admin');
  if change_user_role.role is null then
    raise exception 'A role is required' using errcode = 'FL005';
  end if;
  select * into v_target from app_public.users u
   where u.organization_id = app_public.current_org_id() and u.id = change_user_role.user_id
   for update;
  if not found then
    raise exception 'No such user in this organization' using errcode = 'FL003';
  end if;
  if (v_target.role = 'owner' or change_user_role.role = 'owner') and v_caller <> 'owner' then
    raise exception 'Only an owner may grant or remove the owner role' using errcode = 'FL002';
  end if;

  update app_public.users u set role = change_user_role.role
   where u.organization_id = v_target.organization_id and u.id = v_target.id
  returning * into v_target;
  return v_target;
end;
$$;

--
-- Name: FUNCTION change_user_role(user_id uuid, role app_public.user_role); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.change_user_role(user_id uuid, role app_public.user_role) IS '@resultFieldName user
Changes a user''s role in the current organization (admins and owners; only owners touch the owner role).';

--
-- Name: create_organization(text, text, text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.create_organization(name text, slug text, owner_name text, owner_email text) RETURNS app_public.users
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the visitor has no insert grant on organizations or users; this
-- function is the single, checked path that creates both.
declare
  v_org app_public.organizations;
  v_user app_public.users;
begin
  if coalesce(pg_catalog.current_setting('jwt.claims.sub', true), '') = '' then
    raise exception 'You must be signed in to create an organization'
      using errcode = 'FL001', hint = 'Send a valid token in the Authorization header.';
  end if;
  -- Name and slug are validated by tg_organizations__validate (FL005, FL006).
  perform app_private.assert_valid_user(create_organization.owner_name, create_organization.owner_email);

  insert into app_public.organizations (name, slug)
  values (create_organization.name, create_organization.slug)
  returning * into v_org;

  insert into app_public.users (organization_id, email, name, role)
  values (v_org.id, create_organization.owner_email::public.citext,
          pg_catalog.btrim(create_organization.owner_name), 'owner')
  returning * into v_user;

  return v_user;
end;
$$;

--
-- Name: FUNCTION create_organization(name text, slug text, owner_name text, owner_email text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.create_organization(name text, slug text, owner_name text, owner_email text) IS '@resultFieldName user
Creates an organization whose first owner is the caller. Needs a signed-in token, with or without an organization. Returns the owner''s user: mint the next token with its `organizationId` and `rowId`.';

--
-- Name: current_org_id(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_org_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select nullif(pg_catalog.current_setting('jwt.claims.org_id', true), '')::uuid;
$$;

--
-- Name: FUNCTION current_org_id(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_org_id() IS 'The organization the current request acts for (the verified token''s `org_id` claim), or null.';

--
-- Name: organizations; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.organizations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    slug text NOT NULL,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organizations_name_check CHECK (((length(btrim(name)) >= 1) AND (length(btrim(name)) <= 200))),
    CONSTRAINT organizations_settings_check CHECK ((jsonb_typeof(settings) = 'object'::text)),
    CONSTRAINT organizations_slug_check CHECK ((slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'::text))
);

--
-- Name: TABLE organizations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.organizations IS '@behavior -insert
A tenant: every other row belongs to exactly one organization. Created with `createOrganization`.';

--
-- Name: COLUMN organizations.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.id IS 'The organization''s id; the `org_id` claim of its tokens.';

--
-- Name: COLUMN organizations.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.name IS 'Display name.';

--
-- Name: COLUMN organizations.slug; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.slug IS 'Unique URL name: lowercase letters, digits and inner hyphens.';

--
-- Name: COLUMN organizations.settings; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.settings IS 'Organization settings (a JSON object).';

--
-- Name: COLUMN organizations.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.created_at IS 'When the organization was created.';

--
-- Name: COLUMN organizations.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.updated_at IS 'When the organization was last changed.';

--
-- Name: current_organization(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_organization() RETURNS app_public.organizations
    LANGUAGE sql STABLE
    AS $$
  select o.* from app_public.organizations o where o.id = app_public.current_org_id();
$$;

--
-- Name: FUNCTION current_organization(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_organization() IS 'The organization the request acts for, or null.';

--
-- Name: current_user(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public."current_user"() RETURNS app_public.users
    LANGUAGE sql STABLE
    AS $$
  select u.* from app_public.users u
   where u.organization_id = app_public.current_org_id() and u.id = app_public.current_user_id();
$$;

--
-- Name: FUNCTION "current_user"(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public."current_user"() IS 'The signed-in user, or null.';

--
-- Name: current_user_id(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select nullif(pg_catalog.current_setting('jwt.claims.user_id', true), '')::uuid;
$$;

--
-- Name: FUNCTION current_user_id(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_user_id() IS 'The user the current request acts for (the verified token''s `user_id` claim), or null.';

--
-- Name: current_user_role(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_user_role() RETURNS app_public.user_role
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION current_user_role(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_user_role() IS 'The role (`owner`, `admin`, `member`, `viewer`) the current user holds in the current organization, read from the user''s row; null when the request is anonymous or not a member.';

--
-- Name: feature_enabled(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.feature_enabled(name text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_default boolean;
  v_override boolean;
begin
  select f.default_enabled into v_default from app_public.feature_flags f where f.name = feature_enabled.name;
  if not found then
    raise exception 'Unknown feature flag "%"', feature_enabled.name using errcode = 'FL010';
  end if;
  select o.enabled into v_override
    from app_public.organization_feature_flags o
   where o.organization_id = app_public.current_org_id() and o.flag_name = feature_enabled.name;
  return coalesce(v_override, v_default);
end;
$$;

--
-- Name: FUNCTION feature_enabled(name text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.feature_enabled(name text) IS 'Whether a feature is on for the current organization: its override if set, else the global default. Unknown names raise FL010.';

--
-- Name: feature_flags; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.feature_flags (
    name text NOT NULL,
    description text NOT NULL,
    default_enabled boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT feature_flags_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

--
-- Name: TABLE feature_flags; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.feature_flags IS '@behavior -insert -update -delete
A feature that organizations can have on or off; `enabled` is its state for the current organization.';

--
-- Name: COLUMN feature_flags.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.feature_flags.name IS 'The flag''s name, as `featureEnabled(name:)` takes it.';

--
-- Name: COLUMN feature_flags.description; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.feature_flags.description IS 'What the flag turns on.';

--
-- Name: COLUMN feature_flags.default_enabled; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.feature_flags.default_enabled IS 'The state for organizations without an override.';

--
-- Name: COLUMN feature_flags.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.feature_flags.created_at IS 'When the flag was introduced.';

--
-- Name: feature_flags_enabled(app_public.feature_flags); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.feature_flags_enabled(f app_public.feature_flags) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select coalesce(
    (select o.enabled from app_public.organization_feature_flags o
      where o.organization_id = app_public.current_org_id() and o.flag_name = f.name),
    f.default_enabled);
$$;

--
-- Name: FUNCTION feature_flags_enabled(f app_public.feature_flags); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.feature_flags_enabled(f app_public.feature_flags) IS 'Whether this feature is on for the current organization.';

--
-- Name: remove_user(uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.remove_user(user_id uuid) RETURNS app_public.users
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the visitor has no delete grant on users; this is the checked path.
declare
  v_caller app_public.user_role;
  v_target app_public.users;
begin
  -- Lock first, then read the caller's role: see lock_organization.sql.
  perform app_private.lock_organization();
  v_caller := app_private.require_role('viewer');
  select * into v_target from app_public.users u
   where u.organization_id = app_public.current_org_id() and u.id = remove_user.user_id
   for update;
  if not found then
    raise exception 'No such user in this organization' using errcode = 'FL003';
  end if;
  if v_target.id is distinct from app_public.current_user_id() then
    if v_caller < 'admin' then
      raise exception 'Your role (%) may not remove other users', v_caller using errcode = 'FL002';
    end if;
    if v_target.role = 'owner' and v_caller <> 'owner' then
      raise exception 'Only an owner may remove an owner' using errcode = 'FL002';
    end if;
  end if;

  delete from app_public.users u
   where u.organization_id = v_target.organization_id and u.id = v_target.id;
  return v_target;
end;
$$;

--
-- Name: FUNCTION remove_user(user_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.remove_user(user_id uuid) IS '@resultFieldName user
Removes a user from the current organization (admins and owners, or the user themself). Returns the removed user.';

--
-- Name: set_feature_flag(text, boolean); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.set_feature_flag(name text, enabled boolean) RETURNS app_public.feature_flags
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: overrides are written only here, after the role check below.
declare
  v_flag app_public.feature_flags;
begin
  perform app_private.require_role('admin');
  select * into v_flag from app_public.feature_flags f where f.name = set_feature_flag.name;
  if not found then
    raise exception 'Unknown feature flag "%"', set_feature_flag.name using errcode = 'FL010';
  end if;
  if set_feature_flag.enabled is null then
    delete from app_public.organization_feature_flags o
     where o.organization_id = app_public.current_org_id() and o.flag_name = v_flag.name;
  else
    insert into app_public.organization_feature_flags as o (organization_id, flag_name, enabled, updated_by)
    values (app_public.current_org_id(), v_flag.name, set_feature_flag.enabled, app_public.current_user_id())
    on conflict (organization_id, flag_name) do update
      set enabled = excluded.enabled, updated_by = excluded.updated_by
      where o.enabled is distinct from excluded.enabled;
  end if;
  return v_flag;
end;
$$;

--
-- Name: FUNCTION set_feature_flag(name text, enabled boolean); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.set_feature_flag(name text, enabled boolean) IS '@resultFieldName featureFlag
Turns a feature on or off for the current organization (admins and owners); null returns it to the global default.';

--
-- Name: audit_events_id_seq; Type: SEQUENCE; Schema: app_private; Owner: -
--

CREATE SEQUENCE app_private.audit_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: audit_events; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.audit_events (
    organization_id uuid NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    id bigint DEFAULT nextval('app_private.audit_events_id_seq'::regclass) NOT NULL,
    actor_user_id uuid,
    actor text NOT NULL,
    action text NOT NULL,
    table_name text,
    row_key jsonb DEFAULT '{}'::jsonb NOT NULL,
    changes jsonb DEFAULT '{}'::jsonb NOT NULL,
    request_id text,
    CONSTRAINT audit_events_action_check CHECK ((action ~ '^[a-z][a-z0-9_.]{0,63}$'::text)),
    CONSTRAINT audit_events_actor_check CHECK ((actor ~ '^[a-z][a-z0-9_-]{0,31}$'::text))
)
PARTITION BY RANGE (occurred_at);
ALTER TABLE ONLY app_public.audit_events ALTER COLUMN organization_id SET (n_distinct=-0.01, n_distinct_inherited=-0.01);

--
-- Name: TABLE audit_events; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.audit_events IS '@behavior -insert -update -delete
Who changed what in the organization: one event per inserted, updated or deleted row of an audited table, or per named business action. Append-only; admins and owners read it. Order by `OCCURRED_AT_DESC` for newest first.';

--
-- Name: COLUMN audit_events.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.organization_id IS 'The organization the event belongs to.';

--
-- Name: COLUMN audit_events.occurred_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.occurred_at IS 'When it happened (the transaction''s time).';

--
-- Name: COLUMN audit_events.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.id IS 'Orders events within the same instant.';

--
-- Name: COLUMN audit_events.actor_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.actor_user_id IS '@behavior +filterBy
The user who acted, when a user did.';

--
-- Name: COLUMN audit_events.actor; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.actor IS 'Who acted: `user`, or trusted code such as `worker`, `webhook`, `system`.';

--
-- Name: COLUMN audit_events.action; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.action IS '`insert`, `update`, `delete`, or a named business action.';

--
-- Name: COLUMN audit_events.table_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.table_name IS '@behavior +filterBy
The table changed, schema-qualified.';

--
-- Name: COLUMN audit_events.row_key; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.row_key IS '@behavior +filterBy
The changed row''s primary key, e.g. {"organization_id": "…", "id": "…"}.';

--
-- Name: COLUMN audit_events.changes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.changes IS 'Changed columns: {"column": {"old": …, "new": …}}. Secrets are never recorded.';

--
-- Name: COLUMN audit_events.request_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.request_id IS '@behavior +filterBy
The API request (x-request-id) that made the change.';

--
-- Name: db_health_check; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.db_health_check AS
 SELECT ( SELECT count(*) AS count
           FROM pg_stat_activity
          WHERE (pg_stat_activity.datname = current_database())) AS connections,
    ( SELECT count(*) AS count
           FROM pg_stat_activity
          WHERE ((pg_stat_activity.datname = current_database()) AND (pg_stat_activity.state = 'active'::text))) AS active_connections,
    (current_setting('max_connections'::text))::integer AS max_connections,
    ( SELECT count(*) AS count
           FROM pg_stat_activity
          WHERE ((pg_stat_activity.datname = current_database()) AND (pg_stat_activity.state <> 'idle'::text) AND ((now() - pg_stat_activity.query_start) > '00:05:00'::interval))) AS long_running_queries,
    ( SELECT count(*) AS count
           FROM pg_locks
          WHERE (NOT pg_locks.granted)) AS locks_waiting,
    ( SELECT max(EXTRACT(epoch FROM pg_stat_replication.replay_lag)) AS max
           FROM pg_stat_replication) AS replication_lag_seconds,
    pg_database_size(current_database()) AS database_bytes,
    now() AS checked_at;

--
-- Name: VIEW db_health_check; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.db_health_check IS 'One row: connections (all, active, limit), queries running over 5 minutes, waiting locks, replication lag in seconds (null without replicas), database size.';

--
-- Name: maintenance_state; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.maintenance_state (
    singleton boolean DEFAULT true NOT NULL,
    scheduler text,
    scheduled_job text,
    scheduled_at timestamp with time zone,
    scheduler_last_run_at timestamp with time zone,
    last_run_at timestamp with time zone,
    last_run_by text,
    CONSTRAINT maintenance_state_scheduler_check CHECK ((scheduler = 'pg_cron'::text)),
    CONSTRAINT maintenance_state_singleton_check CHECK (singleton)
);

--
-- Name: TABLE maintenance_state; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.maintenance_state IS 'One row: which scheduler runs maintenance (pg_cron, or the worker''s crontab when null) and when it last ran.';

--
-- Name: partitioned_tables; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.partitioned_tables (
    table_name regclass NOT NULL,
    retention interval,
    premake integer DEFAULT 3 NOT NULL,
    CONSTRAINT partitioned_tables_premake_check CHECK (((premake >= 1) AND (premake <= 24))),
    CONSTRAINT partitioned_tables_retention_check CHECK ((retention > '00:00:00'::interval))
);

--
-- Name: TABLE partitioned_tables; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.partitioned_tables IS 'Monthly-partitioned tables: how long their partitions are kept and how many months are created ahead.';

--
-- Name: partition_counts; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.partition_counts AS
 SELECT (p.table_name)::text AS table_name,
    (count(h.inhrelid))::integer AS partitions,
    min(to_date("right"((c.relname)::text, 6), 'YYYYMM'::text)) AS oldest_month,
    max(to_date("right"((c.relname)::text, 6), 'YYYYMM'::text)) AS newest_month,
    (((EXTRACT(year FROM age((max(to_date("right"((c.relname)::text, 6), 'YYYYMM'::text)))::timestamp with time zone, ((date_trunc('month'::text, now()))::date)::timestamp with time zone)) * (12)::numeric) + EXTRACT(month FROM age((max(to_date("right"((c.relname)::text, 6), 'YYYYMM'::text)))::timestamp with time zone, ((date_trunc('month'::text, now()))::date)::timestamp with time zone))))::integer AS months_ahead,
    p.retention,
    p.premake
   FROM ((app_private.partitioned_tables p
     LEFT JOIN pg_inherits h ON ((h.inhparent = (p.table_name)::oid)))
     LEFT JOIN pg_class c ON ((c.oid = h.inhrelid)))
  GROUP BY p.table_name, p.retention, p.premake;

--
-- Name: VIEW partition_counts; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.partition_counts IS 'Per partitioned table: how many monthly partitions exist, the oldest and newest month, and how many months ahead are ready.';

--
-- Name: rate_limit_buckets; Type: TABLE; Schema: app_private; Owner: -
--

CREATE UNLOGGED TABLE app_private.rate_limit_buckets (
    key text NOT NULL,
    tokens double precision NOT NULL,
    refilled_at timestamp with time zone NOT NULL
);

--
-- Name: TABLE rate_limit_buckets; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.rate_limit_buckets IS 'Token buckets of the API rate limit (unlogged: losing them on a crash only refills them).';

--
-- Name: table_sizes; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.table_sizes AS
 SELECT n.nspname AS schema_name,
    c.relname AS table_name,
    (c.relkind = 'p'::"char") AS partitioned,
    (COALESCE(sum(pg_total_relation_size(t.relid)), (0)::numeric))::bigint AS total_bytes,
    (COALESCE(sum(pg_relation_size(t.relid)), (0)::numeric))::bigint AS table_bytes,
    (COALESCE(sum(pg_indexes_size(t.relid)), (0)::numeric))::bigint AS index_bytes,
    (COALESCE(sum(GREATEST(tc.reltuples, (0)::real)), (0)::real))::bigint AS estimated_rows
   FROM (((pg_class c
     JOIN pg_namespace n ON ((n.oid = c.relnamespace)))
     CROSS JOIN LATERAL ( SELECT pt.relid
           FROM pg_partition_tree((c.oid)::regclass) pt(relid, parentrelid, isleaf, level)
          WHERE (c.relkind = 'p'::"char")
        UNION ALL
         SELECT (c.oid)::regclass AS oid
          WHERE (c.relkind = 'r'::"char")) t)
     JOIN pg_class tc ON ((tc.oid = (t.relid)::oid)))
  WHERE ((n.nspname = ANY (ARRAY['app_public'::name, 'app_hidden'::name, 'app_private'::name, 'graphile_worker'::name])) AND (c.relkind = ANY (ARRAY['r'::"char", 'p'::"char"])) AND (NOT c.relispartition))
  GROUP BY n.nspname, c.relname, c.relkind
  ORDER BY ((COALESCE(sum(pg_total_relation_size(t.relid)), (0)::numeric))::bigint) DESC;

--
-- Name: VIEW table_sizes; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.table_sizes IS 'Size of every table (partitioned tables summed over their partitions): total, heap, indexes, estimated rows.';

--
-- Name: organization_feature_flags; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.organization_feature_flags (
    organization_id uuid NOT NULL,
    flag_name text NOT NULL,
    enabled boolean NOT NULL,
    updated_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY app_public.organization_feature_flags ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE organization_feature_flags; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.organization_feature_flags IS '@behavior -insert -update -delete
An organization''s override of a feature flag''s default; set with `setFeatureFlag`.';

--
-- Name: COLUMN organization_feature_flags.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.organization_id IS 'The organization.';

--
-- Name: COLUMN organization_feature_flags.flag_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.flag_name IS 'The feature flag.';

--
-- Name: COLUMN organization_feature_flags.enabled; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.enabled IS 'On or off for this organization.';

--
-- Name: COLUMN organization_feature_flags.updated_by; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.updated_by IS 'The user who last set it.';

--
-- Name: COLUMN organization_feature_flags.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.created_at IS 'When the override was first set.';

--
-- Name: COLUMN organization_feature_flags.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.updated_at IS 'When the override last changed.';

--
-- Name: maintenance_state maintenance_state_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.maintenance_state
    ADD CONSTRAINT maintenance_state_pkey PRIMARY KEY (singleton);

--
-- Name: organization_limits organization_limits_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.organization_limits
    ADD CONSTRAINT organization_limits_pkey PRIMARY KEY (organization_id);

--
-- Name: partitioned_tables partitioned_tables_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.partitioned_tables
    ADD CONSTRAINT partitioned_tables_pkey PRIMARY KEY (table_name);

--
-- Name: rate_limit_buckets rate_limit_buckets_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.rate_limit_buckets
    ADD CONSTRAINT rate_limit_buckets_pkey PRIMARY KEY (key);

--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (organization_id, occurred_at, id);

--
-- Name: feature_flags feature_flags_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.feature_flags
    ADD CONSTRAINT feature_flags_pkey PRIMARY KEY (name);

--
-- Name: organization_feature_flags organization_feature_flags_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organization_feature_flags
    ADD CONSTRAINT organization_feature_flags_pkey PRIMARY KEY (organization_id, flag_name);

--
-- Name: organizations organizations_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organizations
    ADD CONSTRAINT organizations_pkey PRIMARY KEY (id);

--
-- Name: organizations organizations_slug_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organizations
    ADD CONSTRAINT organizations_slug_key UNIQUE (slug);

--
-- Name: users users_organization_id_email_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.users
    ADD CONSTRAINT users_organization_id_email_key UNIQUE (organization_id, email);

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (organization_id, id);

--
-- Name: audit_events_organization_id_actor_user_id_occurred_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_events_organization_id_actor_user_id_occurred_at_idx ON ONLY app_public.audit_events USING btree (organization_id, actor_user_id, occurred_at);

--
-- Name: audit_events_organization_id_request_id_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_events_organization_id_request_id_idx ON ONLY app_public.audit_events USING btree (organization_id, request_id);

--
-- Name: audit_events_organization_id_table_name_occurred_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_events_organization_id_table_name_occurred_at_idx ON ONLY app_public.audit_events USING btree (organization_id, table_name, occurred_at);

--
-- Name: audit_events_row_key_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_events_row_key_idx ON ONLY app_public.audit_events USING gin (row_key jsonb_path_ops);

--
-- Name: organization_feature_flags_flag_name_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX organization_feature_flags_flag_name_idx ON app_public.organization_feature_flags USING btree (flag_name);

--
-- Name: organization_feature_flags_organization_id_updated_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX organization_feature_flags_organization_id_updated_by_idx ON app_public.organization_feature_flags USING btree (organization_id, updated_by);

--
-- Name: users_external_ids_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX users_external_ids_idx ON app_public.users USING gin (external_ids jsonb_path_ops);

--
-- Name: users_organization_id_role_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX users_organization_id_role_idx ON app_public.users USING btree (organization_id, role);

--
-- Name: organization_limits _100_timestamps; Type: TRIGGER; Schema: app_private; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_private.organization_limits FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: audit_events _100_append_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_append_only BEFORE DELETE OR UPDATE ON app_public.audit_events FOR EACH ROW EXECUTE FUNCTION app_private.tg_audit_events__append_only();

--
-- Name: audit_events _100_append_only_truncate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_append_only_truncate BEFORE TRUNCATE ON app_public.audit_events FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_audit_events__append_only();

--
-- Name: organization_feature_flags _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.organization_feature_flags FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: organizations _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.organizations FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: users _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.users FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: users _200_keep_an_owner_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_keep_an_owner_delete AFTER DELETE ON app_public.users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_users__keep_an_owner();

--
-- Name: users _200_keep_an_owner_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_keep_an_owner_update AFTER UPDATE ON app_public.users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_users__keep_an_owner();

--
-- Name: organizations _200_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_validate BEFORE INSERT OR UPDATE OF name, slug, settings ON app_public.organizations FOR EACH ROW EXECUTE FUNCTION app_private.tg_organizations__validate();

--
-- Name: organization_feature_flags _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.organization_feature_flags REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,flag_name', 'updated_at,created_at');

--
-- Name: organizations _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.organizations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('id', 'id', 'updated_at,created_at');

--
-- Name: users _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at');

--
-- Name: organization_feature_flags _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.organization_feature_flags REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,flag_name', 'updated_at,created_at');

--
-- Name: organizations _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.organizations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('id', 'id', 'updated_at,created_at');

--
-- Name: users _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.users REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at');

--
-- Name: organization_feature_flags _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.organization_feature_flags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,flag_name', 'updated_at,created_at');

--
-- Name: organizations _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.organizations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('id', 'id', 'updated_at,created_at');

--
-- Name: users _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at');

--
-- Name: organization_limits organization_limits_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.organization_limits
    ADD CONSTRAINT organization_limits_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: organization_feature_flags organization_feature_flags_flag_name_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organization_feature_flags
    ADD CONSTRAINT organization_feature_flags_flag_name_fkey FOREIGN KEY (flag_name) REFERENCES app_public.feature_flags(name) ON DELETE CASCADE;

--
-- Name: organization_feature_flags organization_feature_flags_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organization_feature_flags
    ADD CONSTRAINT organization_feature_flags_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: organization_feature_flags organization_feature_flags_organization_id_updated_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organization_feature_flags
    ADD CONSTRAINT organization_feature_flags_organization_id_updated_by_fkey FOREIGN KEY (organization_id, updated_by) REFERENCES app_public.users(organization_id, id) ON DELETE SET NULL (updated_by);

--
-- Name: users users_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.users
    ADD CONSTRAINT users_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: maintenance_state; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.maintenance_state ENABLE ROW LEVEL SECURITY;

--
-- Name: organization_limits; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.organization_limits ENABLE ROW LEVEL SECURITY;

--
-- Name: partitioned_tables; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.partitioned_tables ENABLE ROW LEVEL SECURITY;

--
-- Name: rate_limit_buckets; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.rate_limit_buckets ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_events; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.audit_events ENABLE ROW LEVEL SECURITY;

--
-- Name: organizations delete_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_owner ON app_public.organizations FOR DELETE USING (((id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) = 'owner'::app_public.user_role)));

--
-- Name: feature_flags; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.feature_flags ENABLE ROW LEVEL SECURITY;

--
-- Name: organization_feature_flags; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.organization_feature_flags ENABLE ROW LEVEL SECURITY;

--
-- Name: organizations; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.organizations ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_events select_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_admin ON app_public.audit_events FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: feature_flags select_all; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_all ON app_public.feature_flags FOR SELECT USING (true);

--
-- Name: organization_feature_flags select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.organization_feature_flags FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: organizations select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.organizations FOR SELECT USING (((id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: users select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.users FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: users update_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_admin ON app_public.users FOR UPDATE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role) AND ((role <> 'owner'::app_public.user_role) OR (( SELECT app_public.current_user_role() AS current_user_role) = 'owner'::app_public.user_role))));

--
-- Name: organizations update_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_owner ON app_public.organizations FOR UPDATE USING (((id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) = 'owner'::app_public.user_role)));

--
-- Name: users update_self; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_self ON app_public.users FOR UPDATE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (id = ( SELECT app_public.current_user_id() AS current_user_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'member'::app_public.user_role)));

--
-- Name: users; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.users ENABLE ROW LEVEL SECURITY;

--
-- Name: SCHEMA app_hidden; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app_hidden TO :DATABASE_VISITOR;

--
-- Name: SCHEMA app_private; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app_private TO :DATABASE_AUTHENTICATOR;

--
-- Name: SCHEMA app_public; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app_public TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_migration(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_migration() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_migration() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION act_as_user(sub text, org_id uuid, user_id uuid, request_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.act_as_user(sub text, org_id uuid, user_id uuid, request_id text) FROM PUBLIC;

--
-- Name: FUNCTION act_for_tenant(org_id uuid, actor text, request_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.act_for_tenant(org_id uuid, actor text, request_id text) FROM PUBLIC;

--
-- Name: FUNCTION apply_retention(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.apply_retention(at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION assert_valid_user(name text, email text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_valid_user(name text, email text) FROM PUBLIC;

--
-- Name: FUNCTION enable_audit(target regclass, omit text[]); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.enable_audit(target regclass, omit text[]) FROM PUBLIC;

--
-- Name: FUNCTION guard_partition(parent regclass, part regclass); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.guard_partition(parent regclass, part regclass) FROM PUBLIC;

--
-- Name: FUNCTION jsonb_pick(j jsonb, keys text[]); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.jsonb_pick(j jsonb, keys text[]) FROM PUBLIC;

--
-- Name: FUNCTION lock_organization(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.lock_organization() FROM PUBLIC;

--
-- Name: FUNCTION maintain_partitions(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.maintain_partitions(at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION maintenance_is_scheduled_elsewhere(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.maintenance_is_scheduled_elsewhere(at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION prune_rate_limit_buckets(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.prune_rate_limit_buckets(at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION record_maintenance_schedule(scheduler text, job text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.record_maintenance_schedule(scheduler text, job text) FROM PUBLIC;

--
-- Name: FUNCTION require_role(minimum app_public.user_role); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.require_role(minimum app_public.user_role) FROM PUBLIC;

--
-- Name: FUNCTION run_maintenance(at timestamp with time zone, caller text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.run_maintenance(at timestamp with time zone, caller text) FROM PUBLIC;

--
-- Name: FUNCTION set_current_tenant(org_id uuid); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.set_current_tenant(org_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION set_organization_limit(organization_id uuid, requests_per_minute integer, note text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.set_organization_limit(organization_id uuid, requests_per_minute integer, note text) FROM PUBLIC;

--
-- Name: FUNCTION take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer) TO :DATABASE_AUTHENTICATOR;

--
-- Name: FUNCTION tg__audit(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg__audit() FROM PUBLIC;

--
-- Name: FUNCTION tg__timestamps(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg__timestamps() FROM PUBLIC;

--
-- Name: FUNCTION tg_audit_events__append_only(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_audit_events__append_only() FROM PUBLIC;

--
-- Name: FUNCTION tg_organizations__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_organizations__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_users__keep_an_owner(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_users__keep_an_owner() FROM PUBLIC;

--
-- Name: TABLE users; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.users TO :DATABASE_VISITOR;

--
-- Name: COLUMN users.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(name) ON TABLE app_public.users TO :DATABASE_VISITOR;

--
-- Name: COLUMN users.external_ids; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(external_ids) ON TABLE app_public.users TO :DATABASE_VISITOR;

--
-- Name: COLUMN users.settings; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(settings) ON TABLE app_public.users TO :DATABASE_VISITOR;

--
-- Name: FUNCTION add_user(email text, name text, role app_public.user_role); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.add_user(email text, name text, role app_public.user_role) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.add_user(email text, name text, role app_public.user_role) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION change_user_role(user_id uuid, role app_public.user_role); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.change_user_role(user_id uuid, role app_public.user_role) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.change_user_role(user_id uuid, role app_public.user_role) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION create_organization(name text, slug text, owner_name text, owner_email text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.create_organization(name text, slug text, owner_name text, owner_email text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.create_organization(name text, slug text, owner_name text, owner_email text) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_org_id(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_org_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_org_id() TO :DATABASE_VISITOR;

--
-- Name: TABLE organizations; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.organizations TO :DATABASE_VISITOR;

--
-- Name: COLUMN organizations.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(name) ON TABLE app_public.organizations TO :DATABASE_VISITOR;

--
-- Name: COLUMN organizations.slug; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(slug) ON TABLE app_public.organizations TO :DATABASE_VISITOR;

--
-- Name: COLUMN organizations.settings; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(settings) ON TABLE app_public.organizations TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_organization(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_organization() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_organization() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION "current_user"(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public."current_user"() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public."current_user"() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_user_id(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_user_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_user_id() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_user_role(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_user_role() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_user_role() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION feature_enabled(name text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.feature_enabled(name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.feature_enabled(name text) TO :DATABASE_VISITOR;

--
-- Name: TABLE feature_flags; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.feature_flags TO :DATABASE_VISITOR;

--
-- Name: FUNCTION feature_flags_enabled(f app_public.feature_flags); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.feature_flags_enabled(f app_public.feature_flags) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.feature_flags_enabled(f app_public.feature_flags) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION remove_user(user_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.remove_user(user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.remove_user(user_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION set_feature_flag(name text, enabled boolean); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.set_feature_flag(name text, enabled boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.set_feature_flag(name text, enabled boolean) TO :DATABASE_VISITOR;

--
-- Name: TABLE audit_events; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.audit_events TO :DATABASE_VISITOR;

--
-- Name: TABLE organization_feature_flags; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.organization_feature_flags TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR SEQUENCES; Type: DEFAULT ACL; Schema: app_hidden; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER IN SCHEMA app_hidden GRANT SELECT,USAGE ON SEQUENCES  TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: app_hidden; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER IN SCHEMA app_hidden GRANT ALL ON FUNCTIONS  TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR SEQUENCES; Type: DEFAULT ACL; Schema: app_public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER IN SCHEMA app_public GRANT SELECT,USAGE ON SEQUENCES  TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: app_public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER IN SCHEMA app_public GRANT ALL ON FUNCTIONS  TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: -; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER REVOKE ALL ON FUNCTIONS  FROM PUBLIC;

--
-- PostgreSQL database dump complete
--
