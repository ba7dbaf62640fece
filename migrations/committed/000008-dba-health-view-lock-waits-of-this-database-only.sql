--! Previous: sha1:8e1d638c9856d6159b1584b2797e4debbcd45ac8
--! Hash: sha1:74230891e1362f56f406418b19b030c4536010bf
--! Message: DBA health view: lock waits of this database only

-- The DBA health view counted lock waits of the whole server, so another
-- database's activity showed up in this one's health (and failed a test when a
-- concurrency test ran beside it). It now counts the sessions of this database
-- that wait on a lock (row-lock waits have no database in pg_locks, so they are
-- counted from pg_stat_activity).
create or replace view app_private.db_health_check as
select
  (select count(*) from pg_catalog.pg_stat_activity where datname = current_database()) as connections,
  (select count(*) from pg_catalog.pg_stat_activity where datname = current_database() and state = 'active') as active_connections,
  current_setting('max_connections')::integer as max_connections,
  (select count(*) from pg_catalog.pg_stat_activity
    where datname = current_database() and state <> 'idle' and now() - query_start > interval '5 minutes') as long_running_queries,
  (select count(*) from pg_catalog.pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock') as locks_waiting,
  (select max(extract(epoch from replay_lag)) from pg_catalog.pg_stat_replication) as replication_lag_seconds,
  pg_catalog.pg_database_size(current_database()) as database_bytes,
  now() as checked_at;
comment on view app_private.db_health_check is
  E'One row: connections to this database (all, active, the server''s limit), its queries running over 5 minutes, its sessions waiting on a lock, replication lag in seconds (null without replicas), database size.';
