/*
 * pgTAP helpers, in the style of graphile/starter's and basejump's `tests`
 * schema. test/run-pgtap.ts runs this file once per scratch database, as the
 * superuser, after `create extension pgtap`, with the role placeholders
 * (:DATABASE_VISITOR, :DATABASE_OWNER, :DATABASE_AUTHENTICATOR) replaced by the
 * run's quoted role names. Suites (test/db/<area>/<object>.test.sql) run as the
 * superuser inside `begin; … rollback;` and switch identity with these helpers:
 *
 *   tests.create_org(slug)             org + owner/admin/member/viewer users,
 *                                      emails <role>@<slug>.test, through the
 *                                      real business functions
 *   tests.org_id(slug)                 that organization's id
 *   tests.user_id(slug, role)          id of <role>@<slug>.test
 *   tests.authenticate_as(slug, role[, request_id])
 *                                      act as that user, the way the API does
 *   tests.authenticate_as_subject(sub[, request_id])
 *                                      a signed-in token with no organization yet
 *                                      (what createOrganization is called with)
 *   tests.authenticate_as_anonymous()  act as the visitor with no claims
 *   tests.act_for_tenant(slug[, actor[, request_id]])
 *                                      act as trusted code for that organization
 *   tests.clear_authentication()       back to the superuser, claims cleared
 *   tests.visitor_role()               the visitor's role name (for `set local role`)
 *   tests.error_of(sql)                the SQLSTATE and DETAIL of the error `sql`
 *                                      raises (`FL201: steps[0].name: …`), or
 *                                      null when it runs without error
 *
 * Everything is local to the suite's transaction (set_config(…, true)). These
 * helpers are the only place a suite's tenant settings are made (besides the
 * tenancy suites that test the settings themselves):
 * test/unit/tenant-settings.test.ts fails on a hand-made `set local
 * jwt.claims.…` anywhere else. The optional request id stands for the API's
 * X-Request-Id (or a job's id), recorded in the audit log.
 */
drop schema if exists tests cascade;
create schema tests;
comment on schema tests is E'pgTAP helpers (test databases only).';

-- The visitor's role name, for `set_config('role', …)` and psql's `\gset`.
create function tests.visitor_role() returns name
  language sql stable
as $$
  select r.rolname from pg_catalog.pg_roles r
   where r.oid = ':DATABASE_VISITOR'::pg_catalog.regrole;
$$;

create function tests.org_id(slug text) returns uuid
  language plpgsql stable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: suites look up other tenants' ids while acting as the visitor (RLS hides them).
declare
  v_id uuid;
begin
  select o.id into v_id from app_public.organizations o where o.slug = org_id.slug;
  if v_id is null then
    -- Never return null: `where id = null` would make an is_empty() pass vacuously.
    raise exception 'tests.org_id: no organization with slug "%"', org_id.slug;
  end if;
  return v_id;
end;
$$;
alter function tests.org_id(text) owner to :DATABASE_OWNER;

create function tests.user_id(slug text, role text) returns uuid
  language plpgsql stable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: suites look up other tenants' ids while acting as the visitor (RLS hides them).
declare
  v_id uuid;
begin
  select u.id into v_id
    from app_public.users u
    join app_public.organizations o on o.id = u.organization_id
   where o.slug = user_id.slug
     -- operator(public.=): with this search_path a bare `=` would compare citext as text.
     and u.email operator(public.=) (user_id.role || '@' || user_id.slug || '.test')::public.citext;
  if v_id is null then
    raise exception 'tests.user_id: no user %@%.test', user_id.role, user_id.slug;
  end if;
  return v_id;
end;
$$;
alter function tests.user_id(text, text) owner to :DATABASE_OWNER;

-- Not a definer, and no SET clause: its set_config(…, true) calls must outlive the call.
create function tests.clear_authentication() returns void
  language plpgsql volatile
as $$
begin
  perform pg_catalog.set_config('role', 'none', true);
  perform pg_catalog.set_config('jwt.claims.sub', '', true);
  perform pg_catalog.set_config('jwt.claims.org_id', '', true);
  perform pg_catalog.set_config('jwt.claims.user_id', '', true);
  perform pg_catalog.set_config('jwt.claims.role', '', true);
  perform pg_catalog.set_config('forgeline.service_tenant', '', true);
  perform pg_catalog.set_config('forgeline.actor', '', true);
  perform pg_catalog.set_config('forgeline.request_id', '', true);
end;
$$;

-- Acting goes through app_private.act_as_user / act_for_tenant, as all trusted
-- code does (src/db/session.ts): the settings the API gives a request.
create function tests.authenticate_as_anonymous() returns void
  language plpgsql volatile
as $$
begin
  perform tests.clear_authentication();
  perform app_private.act_as_user(null);
end;
$$;

create function tests.authenticate_as(slug text, role text, request_id text default null)
  returns void
  language plpgsql volatile
as $$
declare
  v_org uuid := tests.org_id(authenticate_as.slug);
  v_user uuid := tests.user_id(authenticate_as.slug, authenticate_as.role);
begin
  perform tests.clear_authentication();
  perform app_private.act_as_user(authenticate_as.role || '@' || authenticate_as.slug, v_org, v_user,
                                  authenticate_as.request_id);
end;
$$;

-- A verified token with a subject and no organization or user: someone who
-- signed in and is about to create their organization.
create function tests.authenticate_as_subject(sub text, request_id text default null)
  returns void
  language plpgsql volatile
as $$
begin
  perform tests.clear_authentication();
  perform app_private.act_as_user(authenticate_as_subject.sub, null, null,
                                  authenticate_as_subject.request_id);
end;
$$;

-- Trusted code (a worker job) acting for organization `slug` as `actor`.
create function tests.act_for_tenant(slug text, actor text default 'worker', request_id text default null)
  returns void
  language plpgsql volatile
as $$
begin
  perform tests.clear_authentication();
  perform app_private.act_for_tenant(tests.org_id(act_for_tenant.slug), act_for_tenant.actor,
                                     act_for_tenant.request_id);
end;
$$;

/*
 * An organization named after `slug` whose owner is owner@<slug>.test, plus
 * admin@, member@ and viewer@<slug>.test, made with create_organization() and
 * add_user() under temporary claims. The caller's role and claims are restored.
 */
create function tests.create_org(slug text) returns uuid
  language plpgsql volatile
as $$
declare
  v_saved text[] := array[
    pg_catalog.current_setting('jwt.claims.sub', true),
    pg_catalog.current_setting('jwt.claims.org_id', true),
    pg_catalog.current_setting('jwt.claims.user_id', true),
    pg_catalog.current_setting('jwt.claims.role', true),
    pg_catalog.current_setting('role')];
  v_owner app_public.users;
  v_role app_public.user_role;
begin
  perform tests.clear_authentication();
  perform app_private.act_as_user('owner@' || create_org.slug);
  v_owner := app_public.create_organization(
    pg_catalog.initcap(create_org.slug), create_org.slug,
    'Owner of ' || create_org.slug, 'owner@' || create_org.slug || '.test');

  perform tests.clear_authentication();
  perform app_private.act_as_user('owner@' || create_org.slug, v_owner.organization_id, v_owner.id);
  foreach v_role in array array['admin', 'member', 'viewer']::app_public.user_role[] loop
    perform app_public.add_user(
      v_role::text || '@' || create_org.slug || '.test',
      pg_catalog.initcap(v_role::text) || ' of ' || create_org.slug,
      v_role);
  end loop;

  perform tests.clear_authentication();
  perform pg_catalog.set_config('jwt.claims.sub', coalesce(v_saved[1], ''), true);
  perform pg_catalog.set_config('jwt.claims.org_id', coalesce(v_saved[2], ''), true);
  perform pg_catalog.set_config('jwt.claims.user_id', coalesce(v_saved[3], ''), true);
  perform pg_catalog.set_config('jwt.claims.role', coalesce(v_saved[4], ''), true);
  perform pg_catalog.set_config('role', v_saved[5], true);
  return v_owner.organization_id;
end;
$$;

comment on function tests.create_org(text) is
  E'Creates organization `slug` with users <role>@<slug>.test for every role; returns its id.';
comment on function tests.org_id(text) is E'The id of organization `slug` (raises if missing).';
comment on function tests.user_id(text, text) is
  E'The id of user <role>@<slug>.test (raises if missing).';
comment on function tests.authenticate_as(text, text, text) is
  E'Acts as <role>@<slug>.test for the rest of the transaction: visitor role plus JWT claims (and the request id, if given).';
comment on function tests.authenticate_as_subject(text, text) is
  E'Acts as a signed-in token with subject `sub` and no organization for the rest of the transaction.';
comment on function tests.authenticate_as_anonymous() is
  E'Acts as the visitor with no claims for the rest of the transaction.';
comment on function tests.act_for_tenant(text, text, text) is
  E'Acts as trusted code (`actor`, default worker) for organization `slug`, under RLS as the visitor (with the request id, if given).';
comment on function tests.clear_authentication() is
  E'Back to the session''s own (superuser) role with every claim cleared.';

/*
 * For rules whose `detail` is part of the contract (FL201 names the offending
 * path, FL202 the refused change): pgTAP's throws_ok compares only the code and
 * the message. Runs `sql` as the caller, in a subtransaction: a refused
 * statement changes nothing; one that succeeds keeps its changes.
 */
create function tests.error_of(sql text) returns text
  language plpgsql volatile
as $$
declare
  v_state text;
  v_detail text;
begin
  execute error_of.sql;
  return null;
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_detail = pg_exception_detail;
  return v_state || coalesce(': ' || nullif(v_detail, ''), '');
end;
$$;
comment on function tests.error_of(text) is
  E'Runs `sql`; returns the error it raised as `SQLSTATE: detail` (just the SQLSTATE without a detail), or null when it succeeded.';

revoke all on all functions in schema tests from public;
grant usage on schema tests to :DATABASE_VISITOR;
grant execute on all functions in schema tests to :DATABASE_VISITOR;
