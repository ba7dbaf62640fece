/*
 * Issue #3 in SQL: audit events are written by the generic trigger, read only by
 * admins and owners of the same organization, and append-only; feature flags
 * answer from defaults and per-organization overrides, toggled by admins only.
 */
begin;
select plan(14);

select tests.create_org('umbrella') as umbrella \gset
select tests.create_org('wayne') as wayne \gset

-- Audit: a profile change made by a member is recorded with who, what and why.
select tests.authenticate_as('umbrella', 'member');
set local forgeline.request_id = 'tap-req-1';
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

-- Feature flags.
select tests.authenticate_as('umbrella', 'viewer');
select is(app_public.feature_enabled('advanced_analytics'), false, 'a flag follows its default without an override');
select tests.authenticate_as('umbrella', 'member');
select throws_ok($$select app_public.set_feature_flag('advanced_analytics', true)$$, 'FL002', null,
  'members may not toggle flags');
select tests.authenticate_as('umbrella', 'admin');
select lives_ok($$select app_public.set_feature_flag('advanced_analytics', true)$$, 'admins toggle flags');
select is(app_public.feature_enabled('advanced_analytics'), true, 'the override applies to the organization');
select tests.authenticate_as('wayne', 'viewer');
select is(app_public.feature_enabled('advanced_analytics'), false, 'and to no other organization');
select throws_ok($$select app_public.feature_enabled('warp_drive')$$, 'FL010', null, 'unknown flags are refused');

select * from finish();
rollback;
