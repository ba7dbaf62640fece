/*
 * run_maintenance(at): the one entry point of routine maintenance (DESIGN §5),
 * called every minute by pg_cron (`forgeline schedule`) or else the worker's
 * crontab (task maintenance__partitions): partitions ahead, retention, idle
 * rate-limit buckets, then each module's steps registered in
 * app_private.maintenance_steps (pipeline timeouts, artifact expiry), in order.
 * Two runs may overlap (pg_cron and a worker, two workers, an operator by hand):
 * the transaction-level advisory lock makes the second wait for the first, after
 * which every step finds nothing left to do (maintain_partitions() and
 * apply_retention() take the same lock themselves, for their direct callers). Each run is recorded in
 * app_private.maintenance_state, which the worker reads to leave the work to
 * pg_cron when pg_cron has it (maintenance_is_scheduled_elsewhere()).
 * `caller` names who ran it (`worker`, `pg_cron`, an operator). Returns one line
 * per thing done.
 */
create or replace function app_private.run_maintenance(
  at timestamptz default pg_catalog.now(),
  caller text default 'unknown'
) returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_pruned bigint;
  v_step record;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('forgeline.maintenance', 0));
  return query select app_private.maintain_partitions(run_maintenance.at);
  return query select app_private.apply_retention(run_maintenance.at);
  v_pruned := app_private.prune_rate_limit_buckets(run_maintenance.at);
  if v_pruned > 0 then
    return next pg_catalog.format('pruned %s idle rate-limit buckets', v_pruned);
  end if;
  for v_step in select m.fn from app_private.maintenance_steps m order by m.position, m.name loop
    return query execute pg_catalog.format('select * from %s($1)', v_step.fn::regproc) using run_maintenance.at;
  end loop;
  insert into app_private.maintenance_state as s (singleton, last_run_at, last_run_by)
  values (true, pg_catalog.clock_timestamp(),
          pg_catalog.left(coalesce(nullif(run_maintenance.caller, ''), 'unknown'), 64))
  on conflict (singleton) do update
     set last_run_at = excluded.last_run_at,
         last_run_by = excluded.last_run_by,
         scheduler_last_run_at = case when excluded.last_run_by = s.scheduler
                                      then excluded.last_run_at else s.scheduler_last_run_at end;
end;
$$;
comment on function app_private.run_maintenance(timestamptz, text) is
  E'Routine maintenance (partitions ahead, retention, idle rate-limit buckets, the modules'' registered steps), serialised against overlapping runs; returns what it did.';

/*
 * record_maintenance_schedule(scheduler, job): what `forgeline schedule` tells
 * this database after it (un)registered the job with pg_cron, which lives in
 * another database and cannot be asked from here.
 */
create or replace function app_private.record_maintenance_schedule(scheduler text, job text)
  returns void
  language sql volatile
  set search_path = pg_catalog, pg_temp
as $$
  insert into app_private.maintenance_state as s (singleton, scheduler, scheduled_job, scheduled_at)
  values (true, record_maintenance_schedule.scheduler, record_maintenance_schedule.job,
          case when record_maintenance_schedule.scheduler is null then null else pg_catalog.now() end)
  on conflict (singleton) do update
     set scheduler = excluded.scheduler, scheduled_job = excluded.scheduled_job,
         scheduled_at = excluded.scheduled_at;
$$;
comment on function app_private.record_maintenance_schedule(text, text) is
  E'Records that maintenance is (or, with nulls, is no longer) scheduled by another scheduler such as pg_cron.';

/*
 * maintenance_is_scheduled_elsewhere(at): true when pg_cron has the maintenance
 * job and has run it within the last ten minutes, so the worker's crontab (every
 * minute, like pg_cron's job) can skip it. If pg_cron stops running it (extension dropped, server without
 * the library), the worker takes over again on its own.
 */
create or replace function app_private.maintenance_is_scheduled_elsewhere(
  at timestamptz default pg_catalog.now()
) returns boolean
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select coalesce((
    select s.scheduler = 'pg_cron'
       and s.scheduler_last_run_at > maintenance_is_scheduled_elsewhere.at - interval '10 minutes'
      from app_private.maintenance_state s), false);
$$;
comment on function app_private.maintenance_is_scheduled_elsewhere(timestamptz) is
  E'Whether pg_cron has the maintenance job and ran it in the last ten minutes (the worker then skips its own run).';
