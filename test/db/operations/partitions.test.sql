/*
 * Partitions in SQL: every audit partition refuses truncate like its parent,
 * including those maintenance makes later, and partition maintenance run with a
 * clock creates the month it is given and the months ahead.
 */
begin;
select plan(3);

select tests.create_org('tyrell') as tyrell \gset

-- Partitions: every one refuses truncate, including those made later.
select throws_ok(
  format('truncate app_partitions.audit_events_p%s', to_char(now() at time zone 'UTC', 'YYYYMM')),
  'FL009', null, 'truncating this month''s audit partition is refused');
select set_eq(
  $$select m from app_private.maintain_partitions('2040-02-10 00:00:00+00') m where m like '%audit_events%'$$,
  $$values ('created app_partitions.audit_events_p204002'), ('created app_partitions.audit_events_p204003'),
           ('created app_partitions.audit_events_p204004'), ('created app_partitions.audit_events_p204005')$$,
  'partition maintenance at a given clock creates that month and the months ahead');
select throws_ok(
  'truncate app_partitions.audit_events_p204002',
  'FL009', null, 'a partition made by maintenance refuses truncate too');

select * from finish();
rollback;
