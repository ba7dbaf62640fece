/*
 * Hardening in SQL: limits are the operator's (a tenant can neither write the
 * override table nor put a limit in its settings), every audit partition refuses
 * truncate like its parent, and partition maintenance run with a clock creates
 * the month it is given.
 */
begin;
select plan(9);

select tests.create_org('tyrell') as tyrell \gset

-- Limits: the owner's settings may not carry one; the override table is closed.
select tests.authenticate_as('tyrell', 'owner');
select throws_ok(
  $$update app_public.organizations set settings = '{"rate_limit": {"requests_per_minute": 1000000000}}'$$,
  'FL011', null, 'an owner cannot set a rate limit in the organization''s settings');
select lives_ok(
  $$update app_public.organizations set settings = '{"theme": "dark"}'$$,
  'other settings stay the owner''s');
select throws_ok(
  $$select app_private.set_organization_limit(app_public.current_org_id(), 1000000000)$$,
  '42501', null, 'the visitor cannot call the operator''s setter');
select throws_ok(
  $$select * from app_private.organization_limits$$,
  '42501', null, 'the visitor cannot read the overrides');
select tests.clear_authentication();
select is(
  (app_private.set_organization_limit(tests.org_id('tyrell'), 50, 'tap')).requests_per_minute, 50,
  'the operator sets an override');
select is(
  (select lim from app_private.take_request_tokens(tests.org_id('tyrell'), 'org:tap', 1000, 10, 1)), 50,
  'the rate limit reads the operator''s override');

-- Partitions: every one refuses truncate, including those made later.
select throws_ok(
  format('truncate app_partitions.audit_events_p%s', to_char(now() at time zone 'UTC', 'YYYYMM')),
  'FL009', null, 'truncating this month''s audit partition is refused');
select set_eq(
  $$select app_private.maintain_partitions('2040-02-10 00:00:00+00')$$,
  $$values ('created app_partitions.audit_events_p204002'), ('created app_partitions.audit_events_p204003'),
           ('created app_partitions.audit_events_p204004'), ('created app_partitions.audit_events_p204005')$$,
  'partition maintenance at a given clock creates that month and the months ahead');
select throws_ok(
  'truncate app_partitions.audit_events_p204002',
  'FL009', null, 'a partition made by maintenance refuses truncate too');

select * from finish();
rollback;
