/*
 * Feature flags in SQL: answered from defaults and per-organization overrides,
 * toggled by admins and owners only, audited.
 */
begin;
select plan(6);

select tests.create_org('umbrella') as umbrella \gset
select tests.create_org('wayne') as wayne \gset

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
