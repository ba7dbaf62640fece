/*
 * app_public.organizations: created only through create_organization() (with
 * its FL001/FL005/FL006 checks), read by every member, updated and deleted by
 * owners only, and invisible and untouchable from another organization.
 */
begin;
select plan(25);

select tests.create_org('acme') as acme \gset
select tests.create_org('globex') as globex \gset

-- create_organization()
select tests.authenticate_as_anonymous();
select throws_ok(
  $$select app_public.create_organization('Initech', 'initech', 'Bill', 'bill@initech.test')$$,
  'FL001', null, 'create_organization() needs a signed-in token (a sub claim)');
select tests.authenticate_as_subject('auth0|bill');
select results_eq(
  $$select role::text, email::text, name
      from app_public.create_organization(' Initech ', 'initech', ' Bill ', 'Bill@Initech.test')$$,
  $$values ('owner', 'Bill@Initech.test', 'Bill')$$,
  'a signed-in visitor creates an organization and is returned as its owner');
select throws_ok(
  $$select app_public.create_organization('Bad', 'Not A Slug', 'Bill', 'bill@bad.test')$$,
  'FL005', null, 'a slug with capitals and spaces is invalid');
select throws_ok(
  $$select app_public.create_organization('Bad', 'bad-', 'Bill', 'bill@bad.test')$$,
  'FL005', null, 'a slug ending in a hyphen is invalid');
select throws_ok(
  $$select app_public.create_organization('Acme again', 'acme', 'Bill', 'bill@acme.test')$$,
  'FL006', null, 'a slug already in use is refused');
select throws_ok(
  $$select app_public.create_organization('   ', 'blank', 'Bill', 'bill@blank.test')$$,
  'FL005', null, 'an organization needs a name');
select throws_ok(
  $$select app_public.create_organization('Soylent', 'soylent', 'Bill', 'not-an-email')$$,
  'FL005', null, 'the owner needs a valid email address');

select tests.clear_authentication();
select results_eq(
  $$select o.name, u.name, u.role::text
      from app_public.organizations o join app_public.users u on u.organization_id = o.id
     where o.slug = 'initech'$$,
  $$values ('Initech', 'Bill', 'owner')$$,
  'the new organization has its trimmed name and exactly one user, the owner');
select is_empty(
  $$select slug from app_public.organizations where slug in ('bad', 'blank', 'soylent')$$,
  'refused calls create nothing');

-- Members read their own organization, and only it.
select tests.authenticate_as('acme', 'viewer');
select results_eq('select slug from app_public.organizations', $$values ('acme')$$,
  'a viewer sees their organization and no other');
select is((app_public.current_organization()).slug, 'acme',
  'current_organization() is the organization of the token');

-- Only owners change it.
select is_empty($$update app_public.organizations set name = 'Viewed' returning id$$,
  'a viewer cannot update their organization');
select tests.authenticate_as('acme', 'member');
select is_empty($$update app_public.organizations set name = 'Membered' returning id$$,
  'a member cannot update their organization');
select tests.authenticate_as('acme', 'admin');
select is_empty($$update app_public.organizations set name = 'Administered' returning id$$,
  'an admin cannot update their organization');
select is_empty($$delete from app_public.organizations returning id$$,
  'an admin cannot delete their organization');
select tests.authenticate_as('acme', 'owner');
select results_eq(
  $$update app_public.organizations set name = 'Acme Inc', settings = '{"theme": "dark"}'
    returning name, slug, settings$$,
  $$values ('Acme Inc', 'acme', '{"theme": "dark"}'::jsonb)$$,
  'an owner updates their organization');
select throws_ok($$update app_public.organizations set created_at = now()$$,
  '42501', null, 'created_at is not in the visitor''s update grant');

-- Another organization's owner: sees nothing of acme, changes nothing.
select tests.authenticate_as('globex', 'owner');
select results_eq('select slug from app_public.organizations', $$values ('globex')$$,
  'another organization''s owner sees only their own organization');
select is_empty(format('select * from app_public.organizations where id = %L', :'acme'),
  'another organization''s owner cannot read acme');
select is_empty(
  format($$update app_public.organizations set name = 'Pwned' where id = %L returning id$$, :'acme'),
  'another organization''s owner cannot update acme');
select is_empty(format('delete from app_public.organizations where id = %L returning id', :'acme'),
  'another organization''s owner cannot delete acme');
select throws_ok(
  $$insert into app_public.organizations (name, slug) values ('Globex 2', 'globex-2')$$,
  '42501', null, 'the visitor cannot insert organizations (create_organization() is the way)');

select tests.clear_authentication();
select results_eq(
  format('select name, settings from app_public.organizations where id = %L', :'acme'),
  $$values ('Acme Inc', '{"theme": "dark"}'::jsonb)$$,
  'acme is as its owner left it');

-- An owner deletes the organization, and its users go with it.
select tests.authenticate_as('acme', 'owner');
select results_eq('delete from app_public.organizations returning slug', $$values ('acme')$$,
  'an owner deletes their organization (and only it)');
select tests.clear_authentication();
select is_empty(format('select * from app_public.users where organization_id = %L', :'acme'),
  'deleting an organization deletes its users');

select * from finish();
rollback;
