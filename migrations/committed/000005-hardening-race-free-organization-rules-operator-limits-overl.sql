--! Previous: sha1:d25dce28215d46c39c7ea94eabff6c0f8bb36e2d
--! Hash: sha1:df338e869ef77442dd4642a512185ad9f5dc9b1a
--! Message: Hardening: race-free organization rules, operator limits, overlapping maintenance, partition guards

-- Hardening (issue #6): rules that hold under concurrency, limits only the
-- operator can raise, maintenance that can overlap, guards on every partition.
-- Idempotent: drops first, in reverse order, then creates.

drop function if exists app_private.maintenance_is_scheduled_elsewhere(timestamptz);
drop function if exists app_private.record_maintenance_schedule(text, text);
drop function if exists app_private.run_maintenance(timestamptz, text);
drop table if exists app_private.maintenance_state;
drop function if exists app_private.set_organization_limit(uuid, integer, text);
drop table if exists app_private.organization_limits;
drop function if exists app_private.guard_partition(regclass, regclass);
drop function if exists app_private.lock_organization();
-- Replaced by versions that take the clock as a parameter (tests pass one).
drop function if exists app_private.apply_retention();
drop function if exists app_private.maintain_partitions();
drop function if exists app_private.prune_rate_limit_buckets();
-- Its one caller was a test: take_request_tokens is the bucket's only entry point.
drop function if exists app_private.charge_request(uuid, text, integer, integer);

-------------------------------------------------------------------------------
-- Organization-wide rules, serialised (FL004 "keep an owner", FL006, FL007)
-------------------------------------------------------------------------------
--! Included organizations/lock_organization.sql
/*
 * lock_organization(): serialises the rules that are about a whole organization
 * ("keep one owner", "one user per email", "who may act as owner") for the rest
 * of the transaction. It locks the current organization's row with
 * `for no key update`: concurrent changes to the same organization's users wait
 * here, and what they check afterwards (a new statement under READ COMMITTED)
 * sees what the transaction before them committed. Inserts that merely reference
 * the organization (`for key share` foreign-key checks) are not blocked.
 * Callers take it before reading the caller's role, so an owner demoted a moment
 * ago can no longer act as one. Works with: add_user(), change_user_role(),
 * remove_user(), tg_users__keep_an_owner().
 */
create or replace function app_private.lock_organization() returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform 1 from app_public.organizations o
   where o.id = app_public.current_org_id()
     for no key update;
end;
$$;
comment on function app_private.lock_organization() is
  E'Locks the current organization''s row until the transaction ends (serialises organization-wide rules).';
--! EndIncluded organizations/lock_organization.sql
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
declare
  v_org uuid;
begin
  perform 1 from app_public.organizations org
   where org.id in (select t.organization_id from old_rows t where t.role = 'owner')
   order by org.id
     for no key update of org;
  select o.organization_id into v_org
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
--! Included organizations/add_user.sql
/*
 * add_user: admins and owners add a user to their own organization. Only an
 * owner may add another owner. A duplicate email (case-insensitive) in the same
 * organization is refused with FL007, also when two requests race to add it
 * (both take the organization's lock, see lock_organization.sql, so the second
 * sees the first's user).
 */
create or replace function app_public.add_user(
  email text,
  name text,
  role app_public.user_role default 'member'
) returns app_public.users
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_public.add_user(text, text, app_public.user_role) is
  E'@resultFieldName user\nAdds a user to the current organization (admins and owners; only owners add owners).';
--! EndIncluded organizations/add_user.sql
--! Included organizations/change_user_role.sql
/*
 * change_user_role: admins and owners change another user's role within their
 * organization. Only an owner may grant or take away the owner role. The last
 * owner cannot be demoted (tg_users__keep_an_owner raises FL004), also when two
 * owners demote each other at the same time: the organization's lock
 * (lock_organization.sql) makes the second wait and then see the first.
 */
create or replace function app_public.change_user_role(
  user_id uuid,
  role app_public.user_role
) returns app_public.users
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_public.change_user_role(uuid, app_public.user_role) is
  E'@resultFieldName user\nChanges a user''s role in the current organization (admins and owners; only owners touch the owner role).';
--! EndIncluded organizations/change_user_role.sql
--! Included organizations/remove_user.sql
/*
 * remove_user: admins and owners remove a user from their organization. Only an
 * owner may remove an owner, and the last owner stays (FL004 from the trigger).
 * Any user may remove themself, within the same last-owner rule.
 */
create or replace function app_public.remove_user(user_id uuid) returns app_public.users
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_public.remove_user(uuid) is
  E'@resultFieldName user\nRemoves a user from the current organization (admins and owners, or the user themself). Returns the removed user.';
--! EndIncluded organizations/remove_user.sql

drop trigger if exists _200_validate on app_public.organizations;
--! Included organizations/tg_organizations__validate.sql
/*
 * tg_organizations__validate: clear, coded errors for an organization's name,
 * slug and settings, on every path that writes them (create_organization and the
 * owner's direct updates through updateOrganization). The check constraints and
 * the unique index stay as the last line of defence.
 *
 * Slugs are unique across organizations: two requests racing for the same slug
 * both take a transaction advisory lock on it before looking, so the second
 * waits, then sees the first's row and gets FL006 rather than a bare 23505.
 * Settings may not carry `rate_limit`: limits that protect the service are the
 * operator's (app_private.organization_limits, `forgeline limits`), FL011.
 */
create or replace function app_private.tg_organizations__validate() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function app_private.tg_organizations__validate() is
  E'Trigger function: validates an organization''s name, slug and settings with FL005/FL006/FL011.';
--! EndIncluded organizations/tg_organizations__validate.sql
create trigger _200_validate
  before insert or update of name, slug, settings on app_public.organizations
  for each row execute function app_private.tg_organizations__validate();

-------------------------------------------------------------------------------
-- Rate limits belong to the operator
-------------------------------------------------------------------------------
create table app_private.organization_limits (
  organization_id uuid primary key references app_public.organizations (id) on delete cascade,
  requests_per_minute integer not null check (requests_per_minute between 1 and 1000000000),
  note text check (length(note) <= 500),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table app_private.organization_limits enable row level security;
create trigger _100_timestamps
  before insert or update on app_private.organization_limits
  for each row execute function app_private.tg__timestamps();
comment on table app_private.organization_limits is
  E'The operator''s per-organization overrides of service limits (API requests per minute); never writable by a tenant.';

--! Included ratelimit/set_organization_limit.sql
/*
 * set_organization_limit(org, requests_per_minute, note): the operator's override
 * of one organization's API rate limit, kept in app_private.organization_limits,
 * which the visitor can neither read nor write (DESIGN §8b: limits that protect
 * the service are the operator's; a tenant cannot raise its own). null clears
 * the override, so the server's RATE_LIMIT_PER_MINUTE applies again. Called by
 * `forgeline limits` as the owner; take_request_tokens() reads the table.
 */
create or replace function app_private.set_organization_limit(
  organization_id uuid,
  requests_per_minute integer,
  note text default null
) returns app_private.organization_limits
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_private.set_organization_limit(uuid, integer, text) is
  E'Operator only: sets (or with null clears) an organization''s API rate limit per minute.';
--! EndIncluded ratelimit/set_organization_limit.sql
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
  insert into app_private.rate_limit_buckets as b (key, tokens, updated_at)
  values (take_request_tokens.key, v_limit, v_now)
  on conflict on constraint rate_limit_buckets_pkey do nothing;
  select b.tokens, b.updated_at into v_tokens, v_seen
    from app_private.rate_limit_buckets b where b.key = take_request_tokens.key
     for update;

  v_tokens := least(v_limit::double precision,
                    v_tokens + greatest(0, extract(epoch from v_now - v_seen)) * v_rate);
  v_granted := case when v_tokens >= 1
                    then least(take_request_tokens.wanted, pg_catalog.floor(v_tokens))::integer
                    else 0 end;
  update app_private.rate_limit_buckets b
     set tokens = v_tokens - v_granted, updated_at = greatest(v_seen, v_now)
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
     where b.updated_at < prune_rate_limit_buckets.at - interval '1 hour'
    returning 1)
  select pg_catalog.count(*) from gone;
$$;
comment on function app_private.prune_rate_limit_buckets(timestamptz) is
  E'Removes rate-limit buckets idle for an hour before `at` (they would be full again); returns how many.';
--! EndIncluded ratelimit/prune_rate_limit_buckets.sql

-- Self-set limits were never the tenant's to set: drop them (FL011 from now on).
update app_public.organizations set settings = settings - 'rate_limit' where settings ? 'rate_limit';

-------------------------------------------------------------------------------
-- Maintenance: one entry point, safe to overlap; every partition guarded
-------------------------------------------------------------------------------
create table app_private.maintenance_state (
  singleton boolean primary key default true check (singleton),
  scheduler text check (scheduler in ('pg_cron')),
  scheduled_job text,
  scheduled_at timestamptz,
  scheduler_last_run_at timestamptz,
  last_run_at timestamptz,
  last_run_by text
);
alter table app_private.maintenance_state enable row level security;
comment on table app_private.maintenance_state is
  E'One row: which scheduler runs maintenance (pg_cron, or the worker''s crontab when null) and when it last ran.';

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
 * would otherwise empty a month of an append-only log. Idempotent.
 */
create or replace function app_private.guard_partition(parent regclass, part regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_trigger record;
begin
  execute pg_catalog.format('alter table %s enable row level security', guard_partition.part);
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
  E'Gives a partition its parent''s RLS and statement-level TRUNCATE triggers (not copied by PostgreSQL).';

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
--! Included maintenance/run_maintenance.sql
/*
 * run_maintenance(at): the one entry point of routine maintenance (DESIGN §5),
 * called by the worker's crontab (task maintenance__partitions) and by pg_cron
 * (`forgeline schedule`): partitions ahead, retention, idle rate-limit buckets.
 * Two runs may overlap (pg_cron and a worker, two workers, an operator by hand):
 * the transaction-level advisory lock makes the second wait for the first, after
 * which every step finds nothing left to do. Each run is recorded in
 * app_private.maintenance_state, which the worker reads to leave the work to
 * pg_cron when pg_cron has it (maintenance_is_scheduled_elsewhere()).
 * `caller` names who ran it (`worker`, `pg_cron`, an operator). Returns one line
 * per thing done.
 */
create or replace function app_private.run_maintenance(
  at timestamptz default pg_catalog.now(),
  caller text default 'unknown'
) returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_private.run_maintenance(timestamptz, text) is
  E'Routine maintenance (partitions ahead, retention, idle rate-limit buckets), serialised against overlapping runs; returns what it did.';

/*
 * record_maintenance_schedule(scheduler, job): what `forgeline schedule` tells
 * this database after it (un)registered the job with pg_cron, which lives in
 * another database and cannot be asked from here.
 */
create or replace function app_private.record_maintenance_schedule(scheduler text, job text)
  returns void
  language sql volatile
  set search_path = pg_catalog, pg_temp
as $$
  insert into app_private.maintenance_state as s (singleton, scheduler, scheduled_job, scheduled_at)
  values (true, record_maintenance_schedule.scheduler, record_maintenance_schedule.job,
          case when record_maintenance_schedule.scheduler is null then null else pg_catalog.now() end)
  on conflict (singleton) do update
     set scheduler = excluded.scheduler, scheduled_job = excluded.scheduled_job,
         scheduled_at = excluded.scheduled_at;
$$;
comment on function app_private.record_maintenance_schedule(text, text) is
  E'Records that maintenance is (or, with nulls, is no longer) scheduled by another scheduler such as pg_cron.';

/*
 * maintenance_is_scheduled_elsewhere(at): true when pg_cron has the maintenance
 * job and has run it within the last two hours, so the worker's hourly crontab
 * can skip it. If pg_cron stops running it (extension dropped, server without
 * the library), the worker takes over again on its own.
 */
create or replace function app_private.maintenance_is_scheduled_elsewhere(
  at timestamptz default pg_catalog.now()
) returns boolean
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select coalesce((
    select s.scheduler = 'pg_cron'
       and s.scheduler_last_run_at > maintenance_is_scheduled_elsewhere.at - interval '2 hours'
      from app_private.maintenance_state s), false);
$$;
comment on function app_private.maintenance_is_scheduled_elsewhere(timestamptz) is
  E'Whether pg_cron has the maintenance job and ran it in the last two hours (the worker then skips its own run).';
--! EndIncluded maintenance/run_maintenance.sql

-- Partitions made before guard_partition existed get their guards now.
select app_private.guard_partition(h.inhparent::regclass, h.inhrelid::regclass)
  from app_private.partitioned_tables p
  join pg_catalog.pg_inherits h on h.inhparent = p.table_name;
select app_private.maintain_partitions();

-------------------------------------------------------------------------------
-- Audit: a request id is stored only in its valid form
-------------------------------------------------------------------------------
--! Included audit/tg__audit.sql
/*
 * tg__audit: the one generic audit trigger. Statement-level, over transition
 * tables, so a bulk change costs one insert into app_public.audit_events. Tables
 * opt in with one line, `select app_private.enable_audit('app_public.x')`, which
 * creates the three triggers (a trigger with transition tables serves one event)
 * and passes the table's tenant column, key columns and the columns never to
 * record (secrets, timestamps). Who and why come from the request's settings:
 * jwt.claims.user_id, forgeline.actor (worker, webhook, …) and forgeline.request_id.
 */
create or replace function app_private.jsonb_pick(j jsonb, keys text[]) returns jsonb
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  select coalesce(pg_catalog.jsonb_object_agg(k, j -> k), '{}'::jsonb)
    from pg_catalog.unnest(keys) k;
$$;
comment on function app_private.jsonb_pick(jsonb, text[]) is
  E'The given keys of a JSON object (a row''s key columns, for audit events).';

create or replace function app_private.tg__audit() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function app_private.tg__audit() is
  E'Trigger function: records inserted, updated (changed columns only) and deleted rows in audit_events.';

create or replace function app_private.enable_audit(target regclass, omit text[] default '{updated_at,created_at}')
  returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_private.enable_audit(regclass, text[]) is
  E'Opts a table into the audit log (one line per table in a migration); `omit` lists columns never recorded.';

create or replace function app_private.tg_audit_events__append_only() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception 'Audit events cannot be changed or deleted'
    using errcode = 'FL009',
          hint = 'Old events leave only with their monthly partition (app_private.apply_retention).';
end;
$$;
comment on function app_private.tg_audit_events__append_only() is
  E'Trigger function: refuses update, delete and truncate of audit events, for every role.';
--! EndIncluded audit/tg__audit.sql
