/*
 * app_public.users: every member reads the users of their organization; members
 * edit their own profile, admins everyone's; add_user(), change_user_role() and
 * remove_user() enforce the role matrix (FL002), unique emails per organization
 * (FL007), input checks (FL005) and the last owner (FL004); nothing crosses to
 * another organization.
 */
begin;
select plan(41);

select tests.create_org('acme') as acme \gset
select tests.create_org('globex') as globex \gset

select results_eq(
  format('select u.email::text, u.role::text from app_public.users u where u.organization_id = %L order by u.role', :'acme'),
  $$values ('viewer@acme.test', 'viewer'), ('member@acme.test', 'member'),
           ('admin@acme.test', 'admin'), ('owner@acme.test', 'owner')$$,
  'tests.create_org() makes one user of each role');

-- Viewers read, and change nothing.
select tests.authenticate_as('acme', 'viewer');
select results_eq('select email::text from app_public.users order by email::text',
  $$values ('admin@acme.test'), ('member@acme.test'), ('owner@acme.test'), ('viewer@acme.test')$$,
  'a viewer reads every user of their organization and no other');
select is((app_public.current_user()).email::text, 'viewer@acme.test',
  'current_user() is the signed-in user');
select is_empty(
  $$update app_public.users set name = 'Vic' where id = app_public.current_user_id() returning id$$,
  'a viewer cannot update their own profile');
select throws_ok($$select app_public.add_user('new@acme.test', 'New', 'viewer')$$,
  'FL002', null, 'a viewer cannot add users');

-- Members edit their own profile only.
select tests.authenticate_as('acme', 'member');
select results_eq(
  $$update app_public.users
       set name = 'Mia Member', external_ids = '{"github": "1234"}', settings = '{"tz": "UTC"}'
     where id = app_public.current_user_id()
    returning name, external_ids, settings$$,
  $$values ('Mia Member', '{"github": "1234"}'::jsonb, '{"tz": "UTC"}'::jsonb)$$,
  'a member updates their own profile');
select is_empty(
  $$update app_public.users set name = 'Hacked' where id = tests.user_id('acme', 'owner') returning id$$,
  'a member cannot update another user''s profile');
select throws_ok(
  $$update app_public.users set role = 'owner' where id = app_public.current_user_id()$$,
  '42501', null, 'role is not in the visitor''s update grant');
select throws_ok(
  $$select app_public.change_user_role(tests.user_id('acme', 'viewer'), 'member')$$,
  'FL002', null, 'a member cannot change roles');
select throws_ok($$select app_public.remove_user(tests.user_id('acme', 'viewer'))$$,
  'FL002', null, 'a member cannot remove another user');
select throws_ok($$delete from app_public.users where id = tests.user_id('acme', 'viewer')$$,
  '42501', null, 'the visitor cannot delete users (remove_user() is the way)');
select throws_ok(
  $$insert into app_public.users (organization_id, email, name)
    values (app_public.current_org_id(), 'friend@acme.test', 'Friend')$$,
  '42501', null, 'the visitor cannot insert users (add_user() is the way)');

-- Admins manage users, but not owners.
select tests.authenticate_as('acme', 'admin');
select results_eq(
  $$select email::text, name, role::text from app_public.add_user('New@acme.test', ' Nora New ', 'member')$$,
  $$values ('New@acme.test', 'Nora New', 'member')$$,
  'an admin adds a user');
select throws_ok($$select app_public.add_user('boss@acme.test', 'Boss', 'owner')$$,
  'FL002', null, 'an admin cannot add an owner');
select throws_ok($$select app_public.add_user('MEMBER@Acme.TEST', 'Twin', 'viewer')$$,
  'FL007', null, 'an email already in the organization is refused, whatever its case');
select throws_ok($$select app_public.add_user('new@ACME.test', 'Twin', 'viewer')$$,
  'FL007', null, 'a just-added email is refused too');
select throws_ok($$select app_public.add_user('not-an-email', 'Nobody', 'member')$$,
  'FL005', null, 'an invalid email is refused');
select throws_ok($$select app_public.add_user('blank@acme.test', '  ', 'member')$$,
  'FL005', null, 'a blank name is refused');
select results_eq(
  $$update app_public.users set name = 'Renamed' where id = tests.user_id('acme', 'member') returning name$$,
  $$values ('Renamed')$$,
  'an admin updates another user''s profile');
select results_eq(
  $$select role::text from app_public.change_user_role(tests.user_id('acme', 'new'), 'admin')$$,
  $$values ('admin')$$,
  'an admin changes a user''s role');
select throws_ok(
  $$select app_public.change_user_role(tests.user_id('acme', 'member'), 'owner')$$,
  'FL002', null, 'an admin cannot make an owner');
select throws_ok(
  $$select app_public.change_user_role(tests.user_id('acme', 'owner'), 'admin')$$,
  'FL002', null, 'an admin cannot demote an owner');
select throws_ok($$select app_public.remove_user(tests.user_id('acme', 'owner'))$$,
  'FL002', null, 'an admin cannot remove an owner');
select throws_ok(
  $$select app_public.change_user_role(tests.user_id('globex', 'member'), 'viewer')$$,
  'FL003', null, 'an admin cannot change the role of another organization''s user');
select results_eq(
  $$select email::text from app_public.remove_user(tests.user_id('acme', 'viewer'))$$,
  $$values ('viewer@acme.test')$$,
  'an admin removes a user');
select is_empty($$select * from app_public.users where email = 'viewer@acme.test'$$,
  'a removed user is gone');

-- Owners: the last one stays; roles apply at once.
select tests.authenticate_as('acme', 'owner');
select throws_ok($$select app_public.change_user_role(app_public.current_user_id(), 'admin')$$,
  'FL004', null, 'the last owner cannot be demoted');
select throws_ok($$select app_public.remove_user(app_public.current_user_id())$$,
  'FL004', null, 'the last owner cannot remove themself');
select results_eq(
  $$select role::text from app_public.add_user('co@acme.test', 'Co Owner', 'owner')$$,
  $$values ('owner')$$,
  'an owner adds another owner');
select results_eq(
  $$select role::text from app_public.change_user_role(tests.user_id('acme', 'admin'), 'viewer')$$,
  $$values ('viewer')$$,
  'an owner demotes an admin');
select tests.authenticate_as('acme', 'admin');
select throws_ok($$select app_public.add_user('late@acme.test', 'Late', 'viewer')$$,
  'FL002', null, 'a demotion applies at once, whatever the token says');
select tests.authenticate_as('acme', 'owner');
select results_eq(
  $$select role::text from app_public.change_user_role(app_public.current_user_id(), 'admin')$$,
  $$values ('admin')$$,
  'with another owner left, an owner may step down');
select tests.authenticate_as('acme', 'co');
select results_eq(
  $$select email::text from app_public.remove_user(tests.user_id('acme', 'owner'))$$,
  $$values ('owner@acme.test')$$,
  'an owner removes another user, even a former owner');

-- Another organization's owner: sees none of acme's users, changes none.
select tests.authenticate_as('globex', 'owner');
select results_eq('select distinct organization_id from app_public.users', array[:'globex'::uuid],
  'another organization''s owner sees only their own users');
select is_empty(format('select * from app_public.users where organization_id = %L', :'acme'),
  'another organization''s owner sees none of acme''s users');
select is_empty(
  format($$update app_public.users set name = 'Pwned' where organization_id = %L returning id$$, :'acme'),
  'another organization''s owner cannot update acme''s users');
select throws_ok(
  format('delete from app_public.users where organization_id = %L returning id', :'acme'),
  '42501', null, 'another organization''s owner cannot delete acme''s users');
select throws_ok($$select app_public.remove_user(tests.user_id('acme', 'member'))$$,
  'FL003', null, 'nor remove them with remove_user()');
select throws_ok(
  format($$insert into app_public.users (organization_id, email, name, role)
           values (%L, 'spy@globex.test', 'Spy', 'owner')$$, :'acme'),
  '42501', null, 'another organization''s owner cannot insert a user into acme');
select results_eq(
  $$select email::text from app_public.add_user('member@acme.test', 'Moonlighter', 'member')$$,
  $$values ('member@acme.test')$$,
  'emails are unique per organization, not across organizations');

select tests.clear_authentication();
select results_eq(
  format('select name from app_public.users where organization_id = %L order by name', :'acme'),
  $$values ('Admin of acme'), ('Co Owner'), ('Nora New'), ('Renamed')$$,
  'acme''s users are as acme left them');

select * from finish();
rollback;
