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
    if exists (select 1 from app_public.organizations o where o.slug = new.slug and o.id <> new.id) then
      raise exception 'The slug "%" is already taken', new.slug
        using errcode = 'FL006', hint = 'Choose another slug.';
    end if;
  end if;
  return new;
end;
$_$;

--
-- Name: FUNCTION tg_organizations__validate(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_organizations__validate() IS 'Trigger function: validates an organization''s name and slug with FL005/FL006.';

--
-- Name: tg_users__keep_an_owner(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_users__keep_an_owner() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION tg_users__keep_an_owner(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_users__keep_an_owner() IS 'Trigger function: refuses a change that leaves an organization without an owner.';

SET default_tablespace = '';

SET default_table_access_method = heap;

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
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION current_user_role(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_user_role() IS 'The role (`owner`, `admin`, `member`, `viewer`) the current user holds in the current organization, read from the user''s row; null when the request is anonymous or not a member.';

--
-- Name: remove_user(uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.remove_user(user_id uuid) RETURNS app_public.users
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION remove_user(user_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.remove_user(user_id uuid) IS '@resultFieldName user
Removes a user from the current organization (admins and owners, or the user themself). Returns the removed user.';

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
-- Name: users_external_ids_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX users_external_ids_idx ON app_public.users USING gin (external_ids jsonb_path_ops);

--
-- Name: users_organization_id_role_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX users_organization_id_role_idx ON app_public.users USING btree (organization_id, role);

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

CREATE TRIGGER _200_validate BEFORE INSERT OR UPDATE OF name, slug ON app_public.organizations FOR EACH ROW EXECUTE FUNCTION app_private.tg_organizations__validate();

--
-- Name: users users_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.users
    ADD CONSTRAINT users_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: organizations delete_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_owner ON app_public.organizations FOR DELETE USING (((id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) = 'owner'::app_public.user_role)));

--
-- Name: organizations; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.organizations ENABLE ROW LEVEL SECURITY;

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
-- Name: SCHEMA app_public; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app_public TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_migration(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_migration() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_migration() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION assert_valid_user(name text, email text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_valid_user(name text, email text) FROM PUBLIC;

--
-- Name: FUNCTION require_role(minimum app_public.user_role); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.require_role(minimum app_public.user_role) FROM PUBLIC;

--
-- Name: FUNCTION set_current_tenant(org_id uuid); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.set_current_tenant(org_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION tg__timestamps(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg__timestamps() FROM PUBLIC;

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
-- Name: FUNCTION remove_user(user_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.remove_user(user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.remove_user(user_id uuid) TO :DATABASE_VISITOR;

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
