/*
 * Audit events in SQL: written by the generic trigger with who, what and why,
 * read only by admins and owners of the same organization, append-only for
 * every role.
 */
begin;
select plan(9);

select tests.create_org('umbrella') as umbrella \gset
select tests.create_org('wayne') as wayne \gset

-- Audit: a profile change made by a member is recorded with who, what and why.
select tests.authenticate_as('umbrella', 'member', 'tap-req-1');
update app_public.users set name = 'Mel' where id = tests.user_id('umbrella', 'member');
select tests.authenticate_as('umbrella', 'admin');
select results_eq(
  $$select action, actor, actor_user_id, changes, request_id
      from app_public.audit_events where request_id = 'tap-req-1'$$,
  $$values ('update', 'user', tests.user_id('umbrella', 'member'),
            '{"name": {"old": "Member of umbrella", "new": "Mel"}}'::jsonb, 'tap-req-1')$$,
  'an update is recorded with its actor, changed columns and request id');
select ok(
  (select count(*) > 0 from app_public.audit_events where table_name = 'app_public.users' and action = 'insert'),
  'admins read the organization''s audit events');

-- Trusted code is recorded by name, with its job as the request id.
select tests.act_for_tenant('umbrella', 'worker', 'job-7');
update app_public.users set name = 'Mel M.' where id = tests.user_id('umbrella', 'member');
select tests.authenticate_as('umbrella', 'admin');
select results_eq(
  $$select action, actor, actor_user_id from app_public.audit_events where request_id = 'job-7'$$,
  $$values ('update', 'worker', null::uuid)$$,
  'a change made by trusted code is recorded with its actor and request id');

select tests.authenticate_as('umbrella', 'member');
select is_empty($$select 1 from app_public.audit_events$$, 'members read no audit events');
select tests.authenticate_as('umbrella', 'viewer');
select is_empty($$select 1 from app_public.audit_events$$, 'viewers read no audit events');
select tests.authenticate_as('wayne', 'owner');
select is_empty(
  format($$select 1 from app_public.audit_events where organization_id = %L$$, :'umbrella'),
  'another organization''s owner reads none of them');

select tests.authenticate_as('umbrella', 'owner');
select throws_ok($$delete from app_public.audit_events$$, '42501', null, 'the visitor may not delete audit events');
select throws_ok($$insert into app_public.audit_events (organization_id, actor, action) values (tests.org_id('umbrella'), 'user', 'forged')$$,
  '42501', null, 'the visitor may not write audit events');
select tests.clear_authentication();
select throws_ok($$update app_public.audit_events set actor = 'someone'$$, 'FL009', null,
  'not even a superuser may rewrite audit events');

select * from finish();
rollback;
