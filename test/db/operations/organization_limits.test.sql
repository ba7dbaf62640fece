/*
 * Limits are the operator's in SQL: a tenant can neither write the override
 * table nor put a limit in its settings (FL011); the operator's override is
 * what the rate limit reads.
 */
begin;
select plan(6);

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

select * from finish();
rollback;
