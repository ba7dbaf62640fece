/*
 * Tenancy claims: current_org_id(), current_user_id() and current_user_role()
 * read the per-transaction settings the API sets (src/server/auth.ts); a
 * request without claims sees nothing; app_private.set_current_tenant() is for
 * trusted code only and, with `set local role` to the visitor, scopes that code
 * to one tenant as 'admin'.
 */
begin;
select plan(24);

select tests.create_org('acme') as acme \gset
select tests.create_org('globex') as globex \gset
select tests.user_id('acme', 'member') as acme_member \gset
select tests.visitor_role() as visitor \gset

-- The claim functions, as the superuser (no RLS involved).
set local jwt.claims.org_id = :'acme';
set local jwt.claims.user_id = :'acme_member';
select is(app_public.current_org_id(), :'acme'::uuid, 'current_org_id() reads jwt.claims.org_id');
select is(app_public.current_user_id(), :'acme_member'::uuid, 'current_user_id() reads jwt.claims.user_id');
select is(app_public.current_user_role(), 'member'::app_public.user_role,
  'current_user_role() is the role stored on the user''s row');
set local jwt.claims.role = 'owner';
select is(app_public.current_user_role(), 'member'::app_public.user_role,
  'a token''s role claim does not change current_user_role()');
set local jwt.claims.org_id = :'globex';
select is(app_public.current_user_role(), null,
  'a user has no role in an organization they do not belong to');
set local jwt.claims.org_id = '';
set local jwt.claims.user_id = '';
select is(app_public.current_org_id(), null, 'an empty org_id claim is null');
select is(app_public.current_user_id(), null, 'an empty user_id claim is null');
select is(app_public.current_user_role(), null, 'no claims, no role');

-- Anonymous: the visitor with no claims.
select tests.authenticate_as_anonymous();
select is(current_user, :'visitor'::name, 'authenticate_as_anonymous() runs as the visitor');
select is_empty('select * from app_public.organizations', 'anonymous sees no organizations');
select is_empty('select * from app_public.users', 'anonymous sees no users');
select is((app_public.current_organization()).id, null, 'anonymous has no current_organization()');

-- A signed-in user whose token names another organization sees nothing.
set local jwt.claims.org_id = :'globex';
set local jwt.claims.user_id = :'acme_member';
select is_empty('select * from app_public.organizations',
  'a user with another organization''s org_id sees no organizations');
select is_empty('select * from app_public.users',
  'a user with another organization''s org_id sees no users');

-- set_current_tenant is for trusted code only.
select throws_ok(
  format('select app_private.set_current_tenant(%L)', :'acme'), '42501', null,
  'the visitor cannot execute app_private.set_current_tenant()');
select tests.clear_authentication();
select ok(
  not has_function_privilege(:'visitor', 'app_private.set_current_tenant(uuid)', 'execute'),
  'the visitor has no execute grant on app_private.set_current_tenant()');
select throws_ok('select app_private.set_current_tenant(null)', 'FL008', null,
  'set_current_tenant() needs a tenant id');

-- Trusted code: set the tenant as the superuser, then drop to the visitor.
select app_private.set_current_tenant(:'acme');
set local role :"visitor";
select is(current_user, :'visitor'::name, 'set local role switches to the visitor');
select results_eq('select id from app_public.organizations', array[:'acme'::uuid],
  'a service tenant sees only its organization');
select results_eq('select distinct organization_id from app_public.users', array[:'acme'::uuid],
  'a service tenant sees only its organization''s users');
select is((select count(*)::int from app_public.users), 4, 'a service tenant sees all its users');
select is(app_public.current_user_role(), 'admin'::app_public.user_role,
  'a service tenant acts as admin');
select is(app_public.current_user_id(), null, 'a service tenant has no user');

select tests.clear_authentication();
select is(current_user, session_user, 'clear_authentication() returns to the session''s role');

select * from finish();
rollback;
