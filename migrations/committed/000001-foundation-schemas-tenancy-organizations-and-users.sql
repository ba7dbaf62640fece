--! Previous: -
--! Hash: sha1:44f299d37011a4b3f62e556bfadcb60cfcc09428
--! Message: Foundation: schemas, tenancy, organizations and users

-- Foundation: schemas, tenancy helpers, organizations and users.
-- Idempotent: drops first (reverse order), then creates.

drop schema if exists app_partitions cascade;
drop schema if exists app_private cascade;
drop schema if exists app_hidden cascade;
drop schema if exists app_public cascade;

-------------------------------------------------------------------------------
-- Schemas and default privileges (DESIGN §2)
-------------------------------------------------------------------------------
create schema app_public;
create schema app_hidden;
create schema app_private;
create schema app_partitions;

grant usage on schema app_public, app_hidden to :DATABASE_VISITOR;

-- Functions are not executable by PUBLIC unless granted; exposed schemas grant
-- execute to the visitor by default. Tables are never granted by default.
alter default privileges revoke all on functions from public;
alter default privileges in schema app_public, app_hidden
  grant execute on functions to :DATABASE_VISITOR;
alter default privileges in schema app_public, app_hidden
  grant usage, select on sequences to :DATABASE_VISITOR;

comment on schema app_public is E'Forgeline''s public API: exposed in GraphQL, guarded by RLS.';

-------------------------------------------------------------------------------
-- Shared helpers
-------------------------------------------------------------------------------
create type app_public.user_role as enum ('viewer', 'member', 'admin', 'owner');
comment on type app_public.user_role is
  E'A user''s role in an organization, weakest first: viewers read, members write their own work, admins manage users, owners manage the organization.';

--! Included common/tg__timestamps.sql
/*
 * tg__timestamps: keeps created_at/updated_at honest on every table that opts in
 * with a `_100_timestamps` before-insert-or-update trigger. Clients cannot forge
 * either column (they are never in an insert/update grant), and an update keeps
 * the original created_at.
 */
create or replace function app_private.tg__timestamps() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  new.created_at := case when tg_op = 'INSERT' then pg_catalog.now() else old.created_at end;
  new.updated_at := case when tg_op = 'UPDATE' and old.updated_at >= pg_catalog.now()
                          then old.updated_at + interval '1 millisecond'
                          else pg_catalog.now() end;
  return new;
end;
$$;
comment on function app_private.tg__timestamps() is
  E'Trigger function: sets created_at on insert and updated_at on every write.';
--! EndIncluded common/tg__timestamps.sql
--! Included tenancy/claims.sql
/*
 * Tenancy claims. Every API request runs as the visitor role with the verified
 * JWT's claims in per-transaction settings (jwt.claims.org_id, jwt.claims.user_id,
 * jwt.claims.role), set by src/server/auth.ts through PostGraphile's pgSettings.
 * Policies read them through these functions, always wrapped as
 * `(select app_public.current_org_id())` so Postgres evaluates them once per query.
 *
 * The effective role is not the token's `role` claim: current_user_role() reads
 * the role stored on the user's row (app_public.users), so a demotion or removal
 * takes effect at once, not when the token expires. Trusted code that acts for a
 * tenant without a user (worker jobs) uses app_private.set_current_tenant(), which
 * the visitor cannot execute.
 */
create or replace function app_public.current_org_id() returns uuid
  language sql stable parallel safe
as $$
  select nullif(pg_catalog.current_setting('jwt.claims.org_id', true), '')::uuid;
$$;
comment on function app_public.current_org_id() is
  E'The organization the current request acts for (the verified token''s `org_id` claim), or null.';

create or replace function app_public.current_user_id() returns uuid
  language sql stable parallel safe
as $$
  select nullif(pg_catalog.current_setting('jwt.claims.user_id', true), '')::uuid;
$$;
comment on function app_public.current_user_id() is
  E'The user the current request acts for (the verified token''s `user_id` claim), or null.';
--! EndIncluded tenancy/claims.sql

-------------------------------------------------------------------------------
-- organizations
-------------------------------------------------------------------------------
create table app_public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(btrim(name)) between 1 and 200),
  slug text not null unique check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
  settings jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table app_public.organizations enable row level security;

create trigger _100_timestamps
  before insert or update on app_public.organizations
  for each row execute function app_private.tg__timestamps();
--! Included organizations/tg_organizations__validate.sql
/*
 * tg_organizations__validate: clear, coded errors for an organization's name and
 * slug, on every path that writes them (create_organization and the owner's
 * direct updates through updateOrganization). The check constraints and the
 * unique index stay as the last line of defence (and catch concurrent races).
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
    if exists (select 1 from app_public.organizations o where o.slug = new.slug and o.id <> new.id) then
      raise exception 'The slug "%" is already taken', new.slug
        using errcode = 'FL006', hint = 'Choose another slug.';
    end if;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_organizations__validate() is
  E'Trigger function: validates an organization''s name and slug with FL005/FL006.';
--! EndIncluded organizations/tg_organizations__validate.sql
create trigger _200_validate
  before insert or update of name, slug on app_public.organizations
  for each row execute function app_private.tg_organizations__validate();

comment on table app_public.organizations is
  E'@behavior -insert\nA tenant: every other row belongs to exactly one organization. Created with `createOrganization`.';
comment on column app_public.organizations.id is E'The organization''s id; the `org_id` claim of its tokens.';
comment on column app_public.organizations.name is E'Display name.';
comment on column app_public.organizations.slug is E'Unique URL name: lowercase letters, digits and inner hyphens.';
comment on column app_public.organizations.settings is E'Organization settings (a JSON object).';
comment on column app_public.organizations.created_at is E'When the organization was created.';
comment on column app_public.organizations.updated_at is E'When the organization was last changed.';

-------------------------------------------------------------------------------
-- users
-------------------------------------------------------------------------------
create table app_public.users (
  organization_id uuid not null references app_public.organizations (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  email citext not null check (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' and length(email) <= 320),
  name text not null check (length(btrim(name)) between 1 and 200),
  role app_public.user_role not null default 'member',
  external_ids jsonb not null default '{}' check (jsonb_typeof(external_ids) = 'object'),
  settings jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, id),
  unique (organization_id, email)
);
alter table app_public.users enable row level security;

create index users_external_ids_idx on app_public.users using gin (external_ids jsonb_path_ops);
create index on app_public.users (organization_id, role);

create trigger _100_timestamps
  before insert or update on app_public.users
  for each row execute function app_private.tg__timestamps();

--! Included organizations/tg_users__keep_an_owner.sql
/*
 * tg_users__keep_an_owner: an organization always keeps at least one owner.
 * Statement-level, over the transition table of changed users, so a bulk update
 * costs one check per organization touched. Deleting the organization itself
 * cascades to its users; the organization is gone by then and the check lets it
 * through. It is a definer so that it sees every owner whoever the caller is
 * (RLS would otherwise decide what "no owner left" means). Works with: app_public.users (_200_keep_an_owner_* triggers),
 * change_user_role(), remove_user().
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
  E'Trigger function: refuses a change that leaves an organization without an owner.';
--! EndIncluded organizations/tg_users__keep_an_owner.sql
create trigger _200_keep_an_owner_update
  after update on app_public.users
  referencing old table as old_rows
  for each statement execute function app_private.tg_users__keep_an_owner();
create trigger _200_keep_an_owner_delete
  after delete on app_public.users
  referencing old table as old_rows
  for each statement execute function app_private.tg_users__keep_an_owner();

comment on table app_public.users is
  E'@behavior -insert -delete +aggregates\nA person in one organization. Added with `addUser`, re-roled with `changeUserRole`, removed with `removeUser`.';
comment on column app_public.users.organization_id is E'The organization this user belongs to.';
comment on column app_public.users.id is E'The user''s id; the `user_id` claim of their tokens.';
comment on column app_public.users.email is E'Email address, unique within the organization (case-insensitive).';
comment on column app_public.users.name is E'Display name.';
comment on column app_public.users.role is E'Role in the organization; change it with `changeUserRole`.';
comment on column app_public.users.external_ids is E'Ids on outside services, e.g. {"github": "1234", "linear": "…", "slack": "U…"}.';
comment on column app_public.users.settings is E'Personal settings (a JSON object).';
comment on column app_public.users.created_at is E'When the user was added.';
comment on column app_public.users.updated_at is E'When the user was last changed.';

-------------------------------------------------------------------------------
-- Role helpers (need users) and policies
-------------------------------------------------------------------------------
--! Included tenancy/current_user_role.sql
/*
 * current_user_role(): the role the current request holds in the current
 * organization. It is the role stored on the user's row (not the token's claim),
 * so changes apply immediately. Trusted code that set the tenant through
 * app_private.set_current_tenant() acts as 'admin' inside that one tenant; that
 * branch holds only for sessions logged in as the schema's owner (the worker),
 * so a request, which logs in as the authenticator, can never take it even if
 * the setting were forged.
 * Works with: app_public.users, app_private.set_current_tenant(), every policy.
 */
create or replace function app_public.current_user_role() returns app_public.user_role
  language sql stable parallel safe
  security definer
  set search_path = pg_catalog, pg_temp
as $$
  -- Definer: it must read the caller's own row even where RLS would recurse
  -- (the users policies call this function).
  select coalesce(
    (select u.role
       from app_public.users u
      where u.organization_id = app_public.current_org_id()
        and u.id = app_public.current_user_id()),
    case
      when app_public.current_user_id() is null
       and pg_catalog.current_setting('forgeline.service_tenant', true)
           = app_public.current_org_id()::text
       and pg_catalog.pg_has_role(
             session_user,
             (select c.relowner from pg_catalog.pg_class c
               where c.oid = 'app_public.users'::pg_catalog.regclass),
             'MEMBER')
      then 'admin'::app_public.user_role
    end
  );
$$;
comment on function app_public.current_user_role() is
  E'The role (`owner`, `admin`, `member`, `viewer`) the current user holds in the current organization, read from the user''s row; null when the request is anonymous or not a member.';
--! EndIncluded tenancy/current_user_role.sql
--! Included tenancy/set_current_tenant.sql
/*
 * set_current_tenant(org): for trusted code only (worker jobs, maintenance). It
 * sets the tenant for the rest of the current transaction, with no user, and
 * marks the transaction as a service acting for that tenant so that
 * current_user_role() answers 'admin' there. Callers then `set local role` to the
 * visitor so RLS still guards every statement. The visitor has no execute grant:
 * a request must never be able to switch tenants.
 */
create or replace function app_private.set_current_tenant(org_id uuid) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_private.set_current_tenant(uuid) is
  E'Trusted code only: act for one organization, with no user, for the rest of the transaction.';
--! EndIncluded tenancy/set_current_tenant.sql
--! Included organizations/require_role.sql
/*
 * require_role(minimum): the one place business functions check the caller's
 * standing. It raises FL001 when the request has no organization or user, and
 * FL002 when the caller's role is below `minimum` (roles are ordered
 * viewer < member < admin < owner). Returns the caller's role.
 */
create or replace function app_private.require_role(minimum app_public.user_role)
  returns app_public.user_role
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_private.require_role(app_public.user_role) is
  E'Raises FL001/FL002 unless the caller holds at least the given role in the current organization.';
--! EndIncluded organizations/require_role.sql
--! Included organizations/assert_valid_user.sql
/*
 * assert_valid_user(name, email): input checks shared by create_organization and
 * add_user, raised as FL005 with a sentence the caller can act on before the
 * table's own check constraints would refuse the row less helpfully.
 */
create or replace function app_private.assert_valid_user(name text, email text) returns void
  language plpgsql immutable
  set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function app_private.assert_valid_user(text, text) is
  E'Raises FL005 for an empty name or a malformed email address.';
--! EndIncluded organizations/assert_valid_user.sql

create policy select_member on app_public.organizations for select using (
  id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null
);
create policy update_owner on app_public.organizations for update using (
  id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) = 'owner'
);
create policy delete_owner on app_public.organizations for delete using (
  id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) = 'owner'
);
grant select, delete on app_public.organizations to :DATABASE_VISITOR;
grant update (name, slug, settings) on app_public.organizations to :DATABASE_VISITOR;

create policy select_member on app_public.users for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null
);
create policy update_self on app_public.users for update using (
  organization_id = (select app_public.current_org_id())
  and id = (select app_public.current_user_id())
  and (select app_public.current_user_role()) >= 'member'
);
create policy update_admin on app_public.users for update using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin'
  -- Owners' profiles (and so their external ids) are edited by owners only.
  and (role <> 'owner' or (select app_public.current_user_role()) = 'owner')
);
grant select on app_public.users to :DATABASE_VISITOR;
grant update (name, external_ids, settings) on app_public.users to :DATABASE_VISITOR;

-------------------------------------------------------------------------------
-- Business functions
-------------------------------------------------------------------------------
--! Included organizations/create_organization.sql
/*
 * create_organization: the only way to create an organization. The caller must
 * hold a verified token (any `sub`); it does not need, and usually will not have,
 * an organization yet. The caller becomes the organization's first owner, with
 * the given name and email. Returns that owner's user row: its organizationId
 * and id (`rowId` in GraphQL) are what the caller's next token carries.
 */
create or replace function app_public.create_organization(
  name text,
  slug text,
  owner_name text,
  owner_email text
) returns app_public.users
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_public.create_organization(text, text, text, text) is
  E'@resultFieldName user\nCreates an organization whose first owner is the caller. Needs a signed-in token, with or without an organization. Returns the owner''s user: mint the next token with its `organizationId` and `rowId`.';
--! EndIncluded organizations/create_organization.sql
--! Included organizations/add_user.sql
/*
 * add_user: admins and owners add a user to their own organization. Only an
 * owner may add another owner. A duplicate email (case-insensitive) in the same
 * organization is refused with FL007.
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
  v_caller app_public.user_role := app_private.require_role('admin');
  v_user app_public.users;
begin
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
 * owner cannot be demoted (tg_users__keep_an_owner raises FL004).
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
  v_caller app_public.user_role := app_private.require_role('admin');
  v_target app_public.users;
begin
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
  v_caller app_public.user_role := app_private.require_role('viewer');
  v_target app_public.users;
begin
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

create function app_public.current_user() returns app_public.users
  language sql stable
as $$
  select u.* from app_public.users u
   where u.organization_id = app_public.current_org_id() and u.id = app_public.current_user_id();
$$;
comment on function app_public.current_user() is E'The signed-in user, or null.';

create function app_public.current_organization() returns app_public.organizations
  language sql stable
as $$
  select o.* from app_public.organizations o where o.id = app_public.current_org_id();
$$;
comment on function app_public.current_organization() is E'The organization the request acts for, or null.';

-------------------------------------------------------------------------------
-- Readiness: the API's /readyz compares this with the newest committed migration.
-------------------------------------------------------------------------------
create function app_hidden.current_migration() returns text
  language plpgsql stable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: graphile_migrate's bookkeeping belongs to the owner; this exposes only the hash.
begin
  return (select m.hash from graphile_migrate.migrations m order by m.filename desc limit 1);
end;
$$;
comment on function app_hidden.current_migration() is
  E'The hash of the newest applied committed migration (for the readiness probe).';
