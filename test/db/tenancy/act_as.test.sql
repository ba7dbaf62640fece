/*
 * The two ways trusted code acts inside the database (functions/tenancy/act_as.sql):
 * act_for_tenant runs as the visitor under RLS as that tenant's service ('admin'
 * there, nothing elsewhere) and is named in the audit log; act_as_user(null) is an
 * anonymous request; neither can be called by the visitor.
 */
begin;
select plan(8);

select tests.create_org('initech') as initech \gset
select tests.create_org('hooli') as hooli \gset
select tests.visitor_role() as visitor \gset

select tests.act_for_tenant('initech', 'worker');
select is(current_user, :'visitor'::name, 'act_for_tenant switches to the visitor');
select is(app_public.current_user_role(), 'admin'::app_public.user_role,
  'trusted code is admin of the tenant it acts for');
select is((select count(*)::int from app_public.users), 4, 'it sees its tenant''s users');
select is_empty(format('select 1 from app_public.users where organization_id = %L', :'hooli'),
  'and nothing of another tenant');
update app_public.users set settings = '{"from": "job"}' where id = tests.user_id('initech', 'member');
select tests.clear_authentication();
select is(
  (select actor from app_public.audit_events
    where table_name = 'app_public.users' and action = 'update' and changes ? 'settings'
      and organization_id = :'initech'),
  'worker', 'its changes are audited under its actor');

select tests.authenticate_as('initech', 'viewer');
select throws_ok(format('select app_private.act_for_tenant(%L, %L)', :'hooli', 'worker'),
  '42501', null, 'a request cannot act for a tenant');
select tests.clear_authentication();
select throws_ok(format('select app_private.act_for_tenant(%L, %L)', :'initech', 'Not An Actor'),
  'FL005', null, 'the actor must be a short lowercase name');

select tests.authenticate_as_anonymous();
select is_empty('select 1 from app_public.users', 'act_as_user(null) is an anonymous request');

select * from finish();
rollback;
