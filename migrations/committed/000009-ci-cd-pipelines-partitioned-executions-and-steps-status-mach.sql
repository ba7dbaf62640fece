--! Previous: sha1:74230891e1362f56f406418b19b030c4536010bf
--! Hash: sha1:55b3a116ea3fcd0e9c7c191087ac73c9fc6ac97c
--! Message: CI/CD pipelines: partitioned executions and steps, status machine, concurrency, artifacts, live status

-- CI/CD pipelines (issue #9, module 4 of DESIGN §4): pipelines with a validated
-- definition; executions, steps, step logs and artifacts partitioned by month
-- (a month of executions and everything of theirs live and die together); a
-- status machine; concurrency limits and groups; retries kept as attempts;
-- artifacts whose objects the worker deletes; live status by NOTIFY.
-- Maintenance gains a registry of module steps and ordered retention.
-- Idempotent: drops first, in reverse order.

create table if not exists app_private.maintenance_steps (
  name text primary key check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  fn regprocedure not null,
  position integer not null default 100
);
delete from app_private.maintenance_steps where name in ('pipeline_timeouts', 'pipeline_artifact_expiry');
delete from app_private.partitioned_tables
 where table_name::text in ('app_public.pipeline_step_logs', 'app_public.pipeline_artifacts',
                            'app_public.pipeline_steps', 'app_public.pipeline_executions');
drop trigger if exists _200_validate_pipeline_settings on app_public.organizations;
drop function if exists app_public.pipeline_stats(uuid, timestamptz);
drop function if exists app_private.time_out_pipelines(timestamptz);
drop function if exists app_private.expire_pipeline_artifacts(timestamptz);
drop function if exists app_private.pipeline_artifacts__before_drop(regclass);
drop function if exists app_public.add_artifact(uuid, text, bigint, text, text);
drop function if exists app_public.pipeline_steps_log(app_public.pipeline_steps);
drop function if exists app_public.append_step_log(uuid, text);
drop function if exists app_private.step_log_limit(uuid);
drop function if exists app_public.complete_step(uuid, app_public.pipeline_conclusion, integer, jsonb, jsonb);
drop function if exists app_private.finish_step(app_public.pipeline_steps, app_public.pipeline_conclusion, integer, jsonb, jsonb, timestamptz);
drop function if exists app_public.start_step(uuid);
drop function if exists app_private.lock_step(uuid);
drop function if exists app_public.ready_steps(uuid);
drop function if exists app_public.rerun_execution(uuid, boolean);
drop function if exists app_public.complete_execution(uuid, app_public.pipeline_conclusion);
drop function if exists app_private.derived_conclusion(uuid, uuid, timestamptz);
drop function if exists app_public.cancel_execution(uuid, text);
drop function if exists app_private.lock_execution(uuid);
drop function if exists app_public.start_execution(uuid, text, text, text, integer, jsonb);
drop function if exists app_private.create_execution(app_public.pipelines, text, text, text, integer, jsonb, uuid, timestamptz, app_public.pipeline_executions, boolean);
drop function if exists app_private.admit_execution(app_public.pipeline_executions, boolean, timestamptz);
drop function if exists app_private.end_execution(uuid, uuid, timestamptz, app_public.pipeline_conclusion, app_public.pipeline_conclusion, app_public.pipeline_conclusion, timestamptz, text);
drop function if exists app_private.dispatch_executions(uuid, uuid, timestamptz);
drop function if exists app_private.lock_pipeline_runs(uuid, uuid);
drop table if exists app_public.pipeline_artifacts;
drop table if exists app_public.pipeline_step_logs;
drop table if exists app_public.pipeline_steps;
drop table if exists app_public.pipeline_executions;
drop table if exists app_public.pipelines;
drop function if exists app_private.set_pipeline_limit(uuid, integer, text);
drop table if exists app_private.pipeline_limits;
drop function if exists app_private.tg_organizations__pipeline_settings();
drop function if exists app_private.artifact_retention_days(uuid);
drop function if exists app_private.tg_pipeline_artifacts__delete_objects();
drop function if exists app_private.artifact_deletion_jobs(jsonb);
drop function if exists app_private.tg_pipeline_steps__notify();
drop function if exists app_private.tg_pipeline_executions__notify();
drop function if exists app_private.tg_pipeline_runs__status();
drop function if exists app_hidden.pipeline_status_allows(text, app_public.pipeline_run_status, app_public.pipeline_run_status);
drop function if exists app_hidden.pipeline_need_met(app_public.pipeline_run_status, app_public.pipeline_conclusion, boolean);
drop function if exists app_private.tg_pipelines__validate();
drop function if exists app_hidden.pipeline_accepts(jsonb, text, text);
drop function if exists app_hidden.branch_pattern_regex(text);
drop function if exists app_hidden.pipeline_trigger_config_error(jsonb);
drop function if exists app_hidden.pipeline_definition_error(jsonb);
drop function if exists app_hidden.pipeline_definition_steps(jsonb);
drop type if exists app_public.pipeline_branch_stats;
drop type if exists app_public.pipeline_conclusion;
drop type if exists app_public.pipeline_run_status;
drop type if exists app_public.pipeline_status;

-------------------------------------------------------------------------------
-- Maintenance: module steps, and retention in order
-------------------------------------------------------------------------------
alter table app_private.maintenance_steps enable row level security;
comment on table app_private.maintenance_steps is
  E'Each module''s routine work, run by app_private.run_maintenance(at) after partitions, retention and rate-limit buckets, by position: a function (at timestamptz) returning setof text.';

alter table app_private.partitioned_tables add column if not exists drop_order integer not null default 0;
alter table app_private.partitioned_tables add column if not exists before_drop regprocedure;
comment on column app_private.partitioned_tables.drop_order is
  E'Within a month, partitions are dropped in this order (lowest first): a table before the tables it references.';
comment on column app_private.partitioned_tables.before_drop is
  E'Called with a partition (regclass) before retention drops it, e.g. to hand what its rows point at to the worker.';

--! Included maintenance/partitions.sql
/*
 * Monthly partitions and retention (DESIGN §5). Partitioned tables register in
 * app_private.partitioned_tables with their retention and how many months to
 * create ahead (and, for tables that reference each other, a drop_order and a
 * before_drop hook). maintain_partitions(at) creates the month of `at` and `premake`
 * months ahead, as app_partitions.<table>_pYYYYMM (never in an exposed schema: a
 * partition there would be readable past the parent's RLS), each guarded like
 * its parent (guard_partition). apply_retention(at) detaches and drops whole
 * partitions whose month ended before the retention window; it never deletes
 * row by row. Both take the clock as a parameter (tests pass one), create only
 * what is missing, and are called from app_private.run_maintenance(), which
 * serialises overlapping runs.
 */

/*
 * guard_partition(parent, partition): what a partition needs beyond what
 * PostgreSQL copies from its parent. Row-level triggers, indexes and constraints
 * are cloned automatically, but row-level security is per table, and
 * statement-level TRUNCATE triggers of the parent do not fire when the
 * partition itself is truncated: `truncate app_partitions.audit_events_p202612`
 * would otherwise empty a month of an append-only log. The planner's
 * per-column decisions (n_distinct on organization_id, see
 * docs/adding-a-module.md) are per table too, and are copied. Idempotent.
 */
create or replace function app_private.guard_partition(parent regclass, part regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_trigger record;
  v_option record;
begin
  execute pg_catalog.format('alter table %s enable row level security', guard_partition.part);
  for v_option in
    select a.attname, o.opt
      from pg_catalog.pg_attribute a
     cross join lateral pg_catalog.unnest(a.attoptions) o(opt)
     where a.attrelid = guard_partition.parent and a.attnum > 0 and not a.attisdropped
       and o.opt like 'n\_distinct=%'
  loop
    execute pg_catalog.format('alter table %s alter column %I set (%s)',
                              guard_partition.part, v_option.attname, v_option.opt);
  end loop;
  for v_trigger in
    select t.tgname, t.tgfoid::regproc as fn,
           case when (t.tgtype & 2) <> 0 then 'before' else 'after' end as timing
      from pg_catalog.pg_trigger t
     where t.tgrelid = guard_partition.parent and not t.tgisinternal
       and (t.tgtype & 32) <> 0          -- TRUNCATE
       and t.tgnargs = 0
  loop
    if not exists (select 1 from pg_catalog.pg_trigger p
                    where p.tgrelid = guard_partition.part and p.tgname = v_trigger.tgname) then
      execute pg_catalog.format(
        'create trigger %I %s truncate on %s for each statement execute function %s()',
        v_trigger.tgname, v_trigger.timing, guard_partition.part, v_trigger.fn);
    end if;
  end loop;
end;
$$;
comment on function app_private.guard_partition(regclass, regclass) is
  E'Gives a partition its parent''s RLS, statement-level TRUNCATE triggers and n_distinct settings (not copied by PostgreSQL).';

create or replace function app_private.maintain_partitions(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_table record;
  v_month date;
  v_name text;
begin
  for v_table in
    select p.table_name::regclass as parent, c.relname, p.premake
      from app_private.partitioned_tables p
      join pg_catalog.pg_class c on c.oid = p.table_name
     order by c.relname
  loop
    for i in 0 .. v_table.premake loop
      v_month := (pg_catalog.date_trunc('month', maintain_partitions.at at time zone 'UTC')
                  + pg_catalog.make_interval(months => i))::date;
      v_name := pg_catalog.format('%s_p%s', v_table.relname, pg_catalog.to_char(v_month, 'YYYYMM'));
      if pg_catalog.to_regclass(pg_catalog.format('app_partitions.%I', v_name)) is null then
        execute pg_catalog.format(
          'create table if not exists app_partitions.%I partition of %s for values from (%L) to (%L)',
          v_name, v_table.parent,
          (v_month::timestamp at time zone 'UTC'),
          ((v_month + interval '1 month')::timestamp at time zone 'UTC'));
        perform app_private.guard_partition(v_table.parent,
                                            pg_catalog.format('app_partitions.%I', v_name)::regclass);
        return next pg_catalog.format('created app_partitions.%I', v_name);
      end if;
    end loop;
  end loop;
end;
$$;
comment on function app_private.maintain_partitions(timestamptz) is
  E'Creates the missing monthly partitions of every registered table for the month of `at` and the months ahead; returns what it created.';

create or replace function app_private.apply_retention(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_part record;
begin
  -- Month by month, oldest first; within a month by drop_order, so a table is
  -- dropped before the tables it references (steps before their executions).
  for v_part in
    select p.table_name::regclass as parent, c.oid::regclass as part, c.relname, p.before_drop,
           pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') as month, p.drop_order
      from app_private.partitioned_tables p
      join pg_catalog.pg_inherits h on h.inhparent = p.table_name
      join pg_catalog.pg_class c on c.oid = h.inhrelid
     where p.retention is not null
       and c.relname ~ '_p[0-9]{6}$'
       and (pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') + interval '1 month')
           <= (apply_retention.at at time zone 'UTC') - p.retention
     order by month, p.drop_order, c.relname
  loop
    if v_part.before_drop is not null then
      execute pg_catalog.format('select %s($1)', v_part.before_drop::regproc) using v_part.part;
    end if;
    execute pg_catalog.format('alter table %s detach partition %s', v_part.parent, v_part.part);
    execute pg_catalog.format('drop table %s', v_part.part);
    return next pg_catalog.format('dropped app_partitions.%I', v_part.relname);
  end loop;
end;
$$;
comment on function app_private.apply_retention(timestamptz) is
  E'Detaches and drops whole partitions whose month ended before each registered table''s retention, counted back from `at`, in drop_order within a month and after each table''s before_drop hook; returns what it dropped.';
--! EndIncluded maintenance/partitions.sql
--! Included maintenance/run_maintenance.sql
/*
 * run_maintenance(at): the one entry point of routine maintenance (DESIGN §5),
 * called every minute by pg_cron (`forgeline schedule`) or else the worker's
 * crontab (task maintenance__partitions): partitions ahead, retention, idle
 * rate-limit buckets, then each module's steps registered in
 * app_private.maintenance_steps (pipeline timeouts, artifact expiry), in order.
 * Two runs may overlap (pg_cron and a worker, two workers, an operator by hand):
 * the transaction-level advisory lock makes the second wait for the first, after
 * which every step finds nothing left to do. Each run is recorded in
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
--! EndIncluded maintenance/run_maintenance.sql

-------------------------------------------------------------------------------
-- Types
-------------------------------------------------------------------------------
create type app_public.pipeline_status as enum ('active', 'disabled');
comment on type app_public.pipeline_status is E'Active pipelines run; disabled ones start no new runs (queued runs still run).';
create type app_public.pipeline_run_status as enum ('queued', 'waiting', 'in_progress', 'completed');
comment on type app_public.pipeline_run_status is
  E'Where an execution or step is: `QUEUED` (an execution: for a slot under its pipeline''s concurrency limit; a step: not started), `WAITING` (an execution pending in its concurrency group), `IN_PROGRESS`, `COMPLETED` (see its conclusion).';
create type app_public.pipeline_conclusion as enum ('success', 'failure', 'cancelled', 'skipped', 'timed_out', 'neutral');
comment on type app_public.pipeline_conclusion is E'How a completed execution or step ended.';
create type app_public.pipeline_branch_stats as (
  branch text,
  runs integer,
  successes integer,
  failures integer,
  success_rate double precision,
  p50_run_ms bigint,
  p95_run_ms bigint,
  p50_queue_ms bigint,
  p95_queue_ms bigint
);
comment on type app_public.pipeline_branch_stats is E'A pipeline''s statistics over a period, for one branch or (branch null) all of them.';
comment on column app_public.pipeline_branch_stats.branch is E'The branch, or null for all branches together.';
comment on column app_public.pipeline_branch_stats.runs is E'Completed executions.';
comment on column app_public.pipeline_branch_stats.successes is E'Of which concluded `SUCCESS`.';
comment on column app_public.pipeline_branch_stats.failures is E'Of which concluded `FAILURE` or `TIMED_OUT`.';
comment on column app_public.pipeline_branch_stats.success_rate is E'successes / (successes + failures); null when nothing ran to a verdict.';
comment on column app_public.pipeline_branch_stats.p50_run_ms is E'Median time from start to completion, ms.';
comment on column app_public.pipeline_branch_stats.p95_run_ms is E'95th percentile of the time from start to completion, ms.';
comment on column app_public.pipeline_branch_stats.p50_queue_ms is E'Median time from creation to start, ms.';
comment on column app_public.pipeline_branch_stats.p95_queue_ms is E'95th percentile of the time from creation to start, ms.';

--! Included pipelines/definition.sql
/*
 * A pipeline's definition, checked in the database (issue #9 §1) so every
 * writer — GraphQL, the integrations module mapping a GitHub workflow, a script —
 * meets the same rules, each refused with FL201 and the offending path, like
 * `steps[2].needs[0]: unknown step "tset"`.
 *
 *   {
 *     "timeout_minutes": 60,                      -- the whole run (default 360)
 *     "retry": {"max_attempts": 2},               -- default of every step (default 1)
 *     "deployment": {"environment": "production", "url": "https://…"},
 *     "env": {"NODE_ENV": "test"},
 *     "steps": [
 *       {"name": "build/checkout", "job": "build", "uses": "actions/checkout@v4"},
 *       {"name": "build/compile", "job": "build", "run": "make"},
 *       {"name": "test", "needs": ["build"], "run": "make test",
 *        "timeout_minutes": 10, "retry": {"max_attempts": 3}, "continue_on_error": false}
 *     ]
 *   }
 *
 * Steps run in parallel unless `needs` orders them. A GitHub Actions workflow
 * maps onto this: each job's steps carry the job's name in `job` and run in
 * their listed order (a step of a job implicitly needs the one before it), and a
 * `needs` entry may name a job (all of its steps) as well as a step.
 *
 * pipeline_definition_steps(definition) turns a valid definition into the step
 * rows of an execution, `needs` expanded to step names; pipeline_definition_error
 * returns the first problem as `path: message`, or null.
 */
create or replace function app_hidden.pipeline_definition_steps(definition jsonb)
  returns table (
    name text,
    job text,
    "position" integer,
    needs text[],
    max_attempts integer,
    timeout_minutes integer,
    continue_on_error boolean,
    spec jsonb
  )
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  with s as (
    select e.value as step, (e.ordinality - 1)::integer as pos,
           e.value ->> 'name' as name, e.value ->> 'job' as job
      from pg_catalog.jsonb_array_elements(pipeline_definition_steps.definition -> 'steps')
           with ordinality e
  )
  select s.name, s.job, s.pos,
         coalesce((
           select pg_catalog.array_agg(distinct n.need order by n.need)
             from (
               -- named steps, and every step of a named job
               select t.name as need
                 from pg_catalog.jsonb_array_elements_text(coalesce(s.step -> 'needs', '[]')) w(want)
                 join s t on t.name = w.want or t.job = w.want
                where t.name <> s.name
               union all
               -- the step before it in its job
               select (select p.name from s p
                        where p.job = s.job and p.pos < s.pos order by p.pos desc limit 1)
             ) n
            where n.need is not null), '{}'),
         coalesce((s.step -> 'retry' ->> 'max_attempts')::integer,
                  (pipeline_definition_steps.definition -> 'retry' ->> 'max_attempts')::integer, 1),
         coalesce((s.step ->> 'timeout_minutes')::integer, 360),
         coalesce((s.step ->> 'continue_on_error')::boolean, false),
         s.step - 'name' - 'job' - 'needs' - 'retry' - 'timeout_minutes' - 'continue_on_error'
    from s
   order by s.pos;
$$;
comment on function app_hidden.pipeline_definition_steps(jsonb) is
  E'The steps of a valid pipeline definition as an execution''s step rows, `needs` expanded to step names (job names and the implicit previous step of a job resolved).';

create or replace function app_hidden.pipeline_definition_error(definition jsonb) returns text
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_name_re constant text := '^[A-Za-z0-9][A-Za-z0-9 _./:-]{0,99}$';
  v_steps jsonb;
  v_step jsonb;
  v_key text;
  v_need jsonb;
  v_i integer;
  v_j integer;
  v_names text[] := '{}';
  v_jobs text[] := '{}';
  v_rows record;
  v_remaining jsonb := '{}';  -- name -> needs not yet placed
  v_ready text[];
  v_cycle text[];
  v_cur text;
begin
  if definition is null or pg_catalog.jsonb_typeof(definition) <> 'object' then
    return 'definition: must be a JSON object';
  end if;
  for v_key in select k from pg_catalog.jsonb_object_keys(definition) k order by 1 loop
    if v_key <> all (array['steps', 'timeout_minutes', 'retry', 'deployment', 'env']) then
      return pg_catalog.format('%s: unknown key (expected steps, timeout_minutes, retry, deployment, env)', v_key);
    end if;
  end loop;
  if definition ? 'timeout_minutes' and not coalesce(
       pg_catalog.jsonb_typeof(definition -> 'timeout_minutes') = 'number'
       and (definition ->> 'timeout_minutes') ~ '^[0-9]{1,4}$'
       and (definition ->> 'timeout_minutes')::integer between 1 and 4320, false) then
    return 'timeout_minutes: must be a whole number of minutes from 1 to 4320';
  end if;
  if definition ? 'retry' then
    if pg_catalog.jsonb_typeof(definition -> 'retry') <> 'object' then
      return 'retry: must be an object like {"max_attempts": 2}';
    end if;
    for v_key in select k from pg_catalog.jsonb_object_keys(definition -> 'retry') k order by 1 loop
      if v_key <> 'max_attempts' then
        return pg_catalog.format('retry.%s: unknown key (expected max_attempts)', v_key);
      end if;
    end loop;
    if not coalesce(pg_catalog.jsonb_typeof(definition -> 'retry' -> 'max_attempts') = 'number'
                    and (definition -> 'retry' ->> 'max_attempts') ~ '^[0-9]{1,2}$'
                    and (definition -> 'retry' ->> 'max_attempts')::integer between 1 and 10, false) then
      return 'retry.max_attempts: must be a whole number from 1 to 10';
    end if;
  end if;
  if definition ? 'deployment' then
    if pg_catalog.jsonb_typeof(definition -> 'deployment') <> 'object' then
      return 'deployment: must be an object like {"environment": "production"}';
    end if;
    for v_key in select k from pg_catalog.jsonb_object_keys(definition -> 'deployment') k order by 1 loop
      if v_key <> all (array['environment', 'url']) then
        return pg_catalog.format('deployment.%s: unknown key (expected environment, url)', v_key);
      end if;
    end loop;
    if not coalesce(pg_catalog.jsonb_typeof(definition -> 'deployment' -> 'environment') = 'string'
                    and (definition -> 'deployment' ->> 'environment') ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$', false) then
      return 'deployment.environment: must be a name of 1 to 100 letters, digits, ''_'', ''.'' or ''-''';
    end if;
    if definition -> 'deployment' ? 'url' and not coalesce(
         pg_catalog.jsonb_typeof(definition -> 'deployment' -> 'url') = 'string'
         and (definition -> 'deployment' ->> 'url') ~ '^https?://[^\s/$.?#][^\s]*$'
         and pg_catalog.length(definition -> 'deployment' ->> 'url') <= 2048, false) then
      return 'deployment.url: must be an http(s) URL';
    end if;
  end if;
  if definition ? 'env' and pg_catalog.jsonb_typeof(definition -> 'env') <> 'object' then
    return 'env: must be an object of variable names to values';
  end if;

  v_steps := definition -> 'steps';
  if v_steps is null or pg_catalog.jsonb_typeof(v_steps) <> 'array'
     or pg_catalog.jsonb_array_length(v_steps) not between 1 and 200 then
    return 'steps: must be an array of 1 to 200 steps';
  end if;

  -- Each step on its own; names and jobs collected for the references below.
  for v_i in 0 .. pg_catalog.jsonb_array_length(v_steps) - 1 loop
    v_step := v_steps -> v_i;
    if pg_catalog.jsonb_typeof(v_step) <> 'object' then
      return pg_catalog.format('steps[%s]: must be an object with a name', v_i);
    end if;
    for v_key in select k from pg_catalog.jsonb_object_keys(v_step) k order by 1 loop
      if v_key <> all (array['name', 'job', 'needs', 'run', 'uses', 'with', 'env', 'if',
                             'timeout_minutes', 'retry', 'continue_on_error']) then
        return pg_catalog.format(
          'steps[%s].%s: unknown key (expected name, job, needs, run, uses, with, env, if, timeout_minutes, retry, continue_on_error)',
          v_i, v_key);
      end if;
    end loop;
    if not coalesce(pg_catalog.jsonb_typeof(v_step -> 'name') = 'string'
                    and (v_step ->> 'name') ~ v_name_re, false) then
      return pg_catalog.format(
        'steps[%s].name: must be 1 to 100 letters, digits, spaces or ''_'', ''.'', ''/'', '':'', ''-'', starting with a letter or digit', v_i);
    end if;
    if (v_step ->> 'name') = any (v_names) then
      return pg_catalog.format('steps[%s].name: duplicate step "%s"', v_i, v_step ->> 'name');
    end if;
    v_names := v_names || (v_step ->> 'name');
    if v_step ? 'job' then
      if not coalesce(pg_catalog.jsonb_typeof(v_step -> 'job') = 'string'
                      and (v_step ->> 'job') ~ v_name_re, false) then
        return pg_catalog.format('steps[%s].job: must be a name like a step''s', v_i);
      end if;
      if not (v_step ->> 'job') = any (v_jobs) then
        v_jobs := v_jobs || (v_step ->> 'job');
      end if;
    end if;
    foreach v_key in array array['run', 'uses', 'if'] loop
      if v_step ? v_key and not coalesce(pg_catalog.jsonb_typeof(v_step -> v_key) = 'string'
                                         and pg_catalog.length(v_step ->> v_key) between 1 and 65536, false) then
        return pg_catalog.format('steps[%s].%s: must be a string of 1 to 65536 characters', v_i, v_key);
      end if;
    end loop;
    foreach v_key in array array['with', 'env'] loop
      if v_step ? v_key and pg_catalog.jsonb_typeof(v_step -> v_key) <> 'object' then
        return pg_catalog.format('steps[%s].%s: must be an object', v_i, v_key);
      end if;
    end loop;
    if v_step ? 'timeout_minutes' and not coalesce(
         pg_catalog.jsonb_typeof(v_step -> 'timeout_minutes') = 'number'
         and (v_step ->> 'timeout_minutes') ~ '^[0-9]{1,4}$'
         and (v_step ->> 'timeout_minutes')::integer between 1 and 4320, false) then
      return pg_catalog.format('steps[%s].timeout_minutes: must be a whole number of minutes from 1 to 4320', v_i);
    end if;
    if v_step ? 'retry' then
      if pg_catalog.jsonb_typeof(v_step -> 'retry') <> 'object' then
        return pg_catalog.format('steps[%s].retry: must be an object like {"max_attempts": 2}', v_i);
      end if;
      for v_key in select k from pg_catalog.jsonb_object_keys(v_step -> 'retry') k order by 1 loop
        if v_key <> 'max_attempts' then
          return pg_catalog.format('steps[%s].retry.%s: unknown key (expected max_attempts)', v_i, v_key);
        end if;
      end loop;
      if not coalesce(pg_catalog.jsonb_typeof(v_step -> 'retry' -> 'max_attempts') = 'number'
                      and (v_step -> 'retry' ->> 'max_attempts') ~ '^[0-9]{1,2}$'
                      and (v_step -> 'retry' ->> 'max_attempts')::integer between 1 and 10, false) then
        return pg_catalog.format('steps[%s].retry.max_attempts: must be a whole number from 1 to 10', v_i);
      end if;
    end if;
    if v_step ? 'continue_on_error' and pg_catalog.jsonb_typeof(v_step -> 'continue_on_error') <> 'boolean' then
      return pg_catalog.format('steps[%s].continue_on_error: must be true or false', v_i);
    end if;
    if v_step ? 'needs' and pg_catalog.jsonb_typeof(v_step -> 'needs') <> 'array' then
      return pg_catalog.format('steps[%s].needs: must be an array of step or job names', v_i);
    end if;
  end loop;

  -- A name is a step or a job, never both (a `needs` entry must mean one thing).
  for v_i in 0 .. pg_catalog.jsonb_array_length(v_steps) - 1 loop
    if (v_steps -> v_i ->> 'job') = any (v_names) then
      return pg_catalog.format('steps[%s].job: "%s" is also the name of a step', v_i, v_steps -> v_i ->> 'job');
    end if;
  end loop;

  -- References.
  for v_i in 0 .. pg_catalog.jsonb_array_length(v_steps) - 1 loop
    v_step := v_steps -> v_i;
    if not v_step ? 'needs' then
      continue;
    end if;
    for v_j in 0 .. pg_catalog.jsonb_array_length(v_step -> 'needs') - 1 loop
      v_need := v_step -> 'needs' -> v_j;
      if pg_catalog.jsonb_typeof(v_need) <> 'string' then
        return pg_catalog.format('steps[%s].needs[%s]: must be a step or job name', v_i, v_j);
      end if;
      if v_need #>> '{}' = v_step ->> 'name' or v_need #>> '{}' = v_step ->> 'job' then
        return pg_catalog.format('steps[%s].needs[%s]: a step cannot need itself or its own job', v_i, v_j);
      end if;
      if not (v_need #>> '{}' = any (v_names) or v_need #>> '{}' = any (v_jobs)) then
        return pg_catalog.format('steps[%s].needs[%s]: unknown step "%s"', v_i, v_j, v_need #>> '{}');
      end if;
    end loop;
  end loop;

  -- Cycles, over the expanded needs (jobs and the implicit order within a job):
  -- Kahn's algorithm; what cannot be placed lies on or behind a cycle.
  for v_rows in select d.name, d.needs from app_hidden.pipeline_definition_steps(definition) d loop
    v_remaining := v_remaining || pg_catalog.jsonb_build_object(v_rows.name, pg_catalog.to_jsonb(v_rows.needs));
  end loop;
  loop
    select pg_catalog.array_agg(r.key) into v_ready
      from pg_catalog.jsonb_each(v_remaining) r
     where not exists (select 1 from pg_catalog.jsonb_array_elements_text(r.value) n(need)
                        where v_remaining ? n.need);
    exit when v_ready is null;
    v_remaining := v_remaining - v_ready;
  end loop;
  if v_remaining = '{}'::jsonb then
    return null;
  end if;
  -- Walk needs among the remaining steps until a name repeats: that is a cycle.
  select r.key into v_cur from pg_catalog.jsonb_each(v_remaining) r order by r.key limit 1;
  v_cycle := array[v_cur];
  loop
    select n.need into v_cur
      from pg_catalog.jsonb_array_elements_text(v_remaining -> v_cur) n(need)
     where v_remaining ? n.need
     order by n.need limit 1;
    exit when v_cur = any (v_cycle);
    v_cycle := v_cycle || v_cur;
  end loop;
  v_cycle := v_cycle[pg_catalog.array_position(v_cycle, v_cur):] || v_cur;
  select (e.ordinality - 1)::integer into v_i
    from pg_catalog.jsonb_array_elements(v_steps) with ordinality e
   where e.value ->> 'name' = v_cycle[1];
  return pg_catalog.format('steps[%s].needs: cycle %s', v_i, pg_catalog.array_to_string(v_cycle, ' → '));
end;
$$;
comment on function app_hidden.pipeline_definition_error(jsonb) is
  E'The first problem of a pipeline definition as `path: message` (e.g. `steps[2].needs[0]: unknown step "tset"`), or null when it is valid.';

/*
 * trigger_config: which events start the pipeline automatically (the
 * integrations module asks pipeline_accepts() for each GitHub event), e.g.
 * {"events": ["push", "pull_request"], "branches": ["main", "release-*"]}.
 * Branch patterns are GitHub's filter patterns: `*` matches within a path
 * segment, `**` across segments, `?` makes the character before it optional and
 * `+` repeats it; a pattern starting with `!` excludes what it matches, the
 * last matching pattern deciding (so `!` needs a pattern without it). Character
 * classes (`[…]`) are not supported. Absent keys accept everything.
 */
create or replace function app_hidden.pipeline_trigger_config_error(config jsonb) returns text
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_key text;
  v_i integer;
  v_pattern text;
begin
  if config is null or pg_catalog.jsonb_typeof(config) <> 'object' then
    return 'trigger_config: must be a JSON object';
  end if;
  for v_key in select k from pg_catalog.jsonb_object_keys(config) k order by 1 loop
    if v_key <> all (array['events', 'branches']) then
      return pg_catalog.format('trigger_config.%s: unknown key (expected events, branches)', v_key);
    end if;
    if pg_catalog.jsonb_typeof(config -> v_key) <> 'array' or pg_catalog.jsonb_array_length(config -> v_key) > 100 then
      return pg_catalog.format('trigger_config.%s: must be an array of at most 100 strings', v_key);
    end if;
    for v_i in 0 .. pg_catalog.jsonb_array_length(config -> v_key) - 1 loop
      if v_key = 'events' and not coalesce(pg_catalog.jsonb_typeof(config -> v_key -> v_i) = 'string'
                                           and (config -> v_key ->> v_i) ~ '^[a-z][a-z_]{0,49}$', false) then
        return pg_catalog.format('trigger_config.events[%s]: must be an event name like "push"', v_i);
      end if;
      if v_key = 'branches' then
        if not coalesce(pg_catalog.jsonb_typeof(config -> v_key -> v_i) = 'string'
                        and (config -> v_key ->> v_i) ~ '^!?[^\s~^:\\[\]!]{1,255}$', false) then
          return pg_catalog.format('trigger_config.branches[%s]: must be a branch name or pattern like "main", "release-*" or "!wip-*"', v_i);
        end if;
        v_pattern := config -> v_key ->> v_i;
        begin
          perform '' ~ app_hidden.branch_pattern_regex(pg_catalog.ltrim(v_pattern, '!'));
        exception when invalid_regular_expression then
          return pg_catalog.format('trigger_config.branches[%s]: "%s" is not a valid pattern (a "?" or "+" must follow a character)', v_i, v_pattern);
        end;
      end if;
    end loop;
    if v_key = 'branches' and pg_catalog.jsonb_array_length(config -> 'branches') > 0 and not exists (
         select 1 from pg_catalog.jsonb_array_elements_text(config -> 'branches') b(pattern)
          where b.pattern not like '!%') then
      return 'trigger_config.branches: a "!" pattern needs a pattern without "!" to exclude from';
    end if;
  end loop;
  return null;
end;
$$;
comment on function app_hidden.pipeline_trigger_config_error(jsonb) is
  E'The first problem of a pipeline''s trigger_config as `path: message`, or null when it is valid.';

create or replace function app_hidden.branch_pattern_regex(pattern text) returns text
  language sql immutable parallel safe strict
  set search_path = pg_catalog, pg_temp
as $$
  select '^' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
           pg_catalog.regexp_replace(branch_pattern_regex.pattern, '([.()|{}$\\])', '\\\1', 'g'),
           '**', pg_catalog.chr(1)), '*', '[^/]*'), pg_catalog.chr(1), '.*') || '$';
$$;
comment on function app_hidden.branch_pattern_regex(text) is
  E'A GitHub branch filter pattern (`*`, `**`, `?`, `+`; without its leading `!`) as an anchored regular expression.';

create or replace function app_hidden.pipeline_accepts(trigger_config jsonb, event text, branch text)
  returns boolean
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  select (not pipeline_accepts.trigger_config ? 'events'
          or pipeline_accepts.trigger_config -> 'events' ? pipeline_accepts.event)
     and (not pipeline_accepts.trigger_config ? 'branches'
          -- the last pattern that matches decides: `!` excludes, any other includes
          or coalesce((select b.pattern not like '!%'
                         from pg_catalog.jsonb_array_elements_text(pipeline_accepts.trigger_config -> 'branches')
                              with ordinality b(pattern, n)
                        where pipeline_accepts.branch ~ app_hidden.branch_pattern_regex(pg_catalog.ltrim(b.pattern, '!'))
                        order by b.n desc
                        limit 1), false));
$$;
comment on function app_hidden.pipeline_accepts(jsonb, text, text) is
  E'Whether a trigger_config starts the pipeline for this event on this branch.';
--! EndIncluded pipelines/definition.sql
--! Included pipelines/status.sql
/*
 * The status machine of executions and steps (issue #9 §2), GitHub's two
 * fields: `status` (queued | waiting | in_progress | completed) and, once
 * completed, a `conclusion` (success | failure | cancelled | skipped | timed_out
 * | neutral). Allowed changes:
 *
 *   execution  queued      → waiting, in_progress, completed
 *              waiting     → queued, in_progress, completed
 *              in_progress → completed
 *   step       queued      → in_progress, completed (skipped, cancelled)
 *              in_progress → completed, queued (a retry: a new attempt of the step)
 *
 * `completed` is final: neither its status nor its conclusion changes again (a
 * re-run is a new execution, the next attempt). The check constraints tie the
 * conclusion to `completed`; this trigger refuses every other change with FL202,
 * whoever makes it — the functions below are the only writers the API has, and
 * the owner's own updates meet the same rule.
 * Works with: app_public.pipeline_executions, app_public.pipeline_steps (_200_status,
 * with 'execution' or 'step' as its argument).
 */
create or replace function app_hidden.pipeline_status_allows(
  kind text,
  from_status app_public.pipeline_run_status,
  to_status app_public.pipeline_run_status
) returns boolean
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  select case pipeline_status_allows.kind
    when 'execution' then (pipeline_status_allows.from_status, pipeline_status_allows.to_status) in (
      ('queued', 'waiting'), ('queued', 'in_progress'), ('queued', 'completed'),
      ('waiting', 'queued'), ('waiting', 'in_progress'), ('waiting', 'completed'),
      ('in_progress', 'completed'))
    when 'step' then (pipeline_status_allows.from_status, pipeline_status_allows.to_status) in (
      ('queued', 'in_progress'), ('queued', 'completed'),
      ('in_progress', 'completed'), ('in_progress', 'queued'))
    else false
  end;
$$;
comment on function app_hidden.pipeline_status_allows(text, app_public.pipeline_run_status, app_public.pipeline_run_status) is
  E'Whether an execution or a step may go from one status to another.';

create or replace function app_private.tg_pipeline_runs__status() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  -- The kind comes as the trigger's argument: on a partition tg_table_name is the
  -- partition's own name (pipeline_steps_p202612).
  v_kind constant text := tg_argv[0];
begin
  if old.status = 'completed' and (new.status <> 'completed' or new.conclusion is distinct from old.conclusion) then
    raise exception 'This % is completed (%): it cannot change again', v_kind, old.conclusion
      using errcode = 'FL202',
            detail = pg_catalog.format('%s → %s', pg_catalog.upper(old.status::text), pg_catalog.upper(new.status::text)),
            hint = case v_kind when 'execution' then 'Re-run it (rerunExecution): that makes a new attempt.'
                       else 'Re-run the execution (rerunExecution) to run the step again.' end;
  end if;
  if new.status <> old.status and not app_hidden.pipeline_status_allows(v_kind, old.status, new.status) then
    raise exception 'A % cannot go from % to %', v_kind, old.status, new.status
      using errcode = 'FL202',
            detail = pg_catalog.format('%s → %s', pg_catalog.upper(old.status::text), pg_catalog.upper(new.status::text));
  end if;
  return new;
end;
$$;
comment on function app_private.tg_pipeline_runs__status() is
  E'Trigger function: refuses status changes of executions and steps that the status machine does not allow (FL202).';
--! EndIncluded pipelines/status.sql

-------------------------------------------------------------------------------
-- pipelines
-------------------------------------------------------------------------------
create table app_public.pipelines (
  organization_id uuid not null default app_public.current_org_id()
    references app_public.organizations (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  repository_id uuid not null,
  name text not null check (length(name) between 1 and 100),
  description text check (length(description) <= 2000),
  definition jsonb not null,
  trigger_config jsonb not null default '{}',
  status app_public.pipeline_status not null default 'active',
  concurrency_limit integer check (concurrency_limit between 1 and 1000),
  concurrency_group text,
  cancel_in_progress boolean not null default false,
  created_by uuid default app_public.current_user_id(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, id),
  unique (organization_id, repository_id, name),
  foreign key (organization_id, repository_id)
    references app_public.repositories (organization_id, id) on delete cascade,
  foreign key (organization_id, created_by)
    references app_public.users (organization_id, id) on delete set null (created_by)
);
alter table app_public.pipelines enable row level security;
create index on app_public.pipelines (organization_id, created_by);
create trigger _100_timestamps
  before insert or update on app_public.pipelines
  for each row execute function app_private.tg__timestamps();
--! Included pipelines/tg_pipelines__validate.sql
/*
 * tg_pipelines__validate: a pipeline's name, definition, trigger_config and
 * concurrency settings, each refused with FL201 and the offending path in the
 * error's detail (`steps[2].needs[0]: unknown step "tset"`), on every path that
 * writes them. A pipeline stays in the repository it was made in: its
 * executions carry that repository (the key of their concurrency groups).
 * Names are unique per repository (the unique constraint; FL201 first, with the
 * name, also under a race thanks to the advisory lock).
 * Works with: app_public.pipelines (_200_validate), pipeline_definition_error().
 */
create or replace function app_private.tg_pipelines__validate() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_error text;
  v_placeholder text;
begin
  if tg_op = 'UPDATE' and new.repository_id is distinct from old.repository_id then
    raise exception 'A pipeline stays in its repository' using errcode = 'FL201',
      detail = 'repository_id: cannot change', hint = 'Create a pipeline in the other repository instead.';
  end if;
  if tg_op = 'INSERT' or new.name is distinct from old.name then
    new.name := pg_catalog.btrim(new.name);
    if coalesce(pg_catalog.length(new.name), 0) not between 1 and 100 then
      raise exception 'A pipeline needs a name of 1 to 100 characters' using errcode = 'FL201',
        detail = 'name: must be 1 to 100 characters';
    end if;
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
      'forgeline.pipeline_name:' || new.organization_id::text || ':' || new.repository_id::text || ':' || new.name, 0));
    if exists (select 1 from app_public.pipelines p
                where p.organization_id = new.organization_id and p.repository_id = new.repository_id
                  and p.name = new.name and p.id <> new.id) then
      raise exception 'The repository already has a pipeline named "%"', new.name using errcode = 'FL201',
        detail = 'name: already used in this repository', hint = 'Choose another name.';
    end if;
  end if;
  if tg_op = 'INSERT' or new.definition is distinct from old.definition then
    v_error := app_hidden.pipeline_definition_error(new.definition);
    if v_error is not null then
      raise exception 'Invalid pipeline definition: %', v_error using errcode = 'FL201', detail = v_error;
    end if;
  end if;
  if tg_op = 'INSERT' or new.trigger_config is distinct from old.trigger_config then
    v_error := app_hidden.pipeline_trigger_config_error(new.trigger_config);
    if v_error is not null then
      raise exception 'Invalid trigger configuration: %', v_error using errcode = 'FL201', detail = v_error;
    end if;
  end if;
  if new.concurrency_group is not null then
    if new.concurrency_group !~ '^[A-Za-z0-9 _./:{}-]{1,200}$' then
      raise exception 'Invalid concurrency group "%"', new.concurrency_group using errcode = 'FL201',
        detail = 'concurrency_group: must be 1 to 200 letters, digits, spaces or _ . / : - and placeholders';
    end if;
    for v_placeholder in
      select m[1] from pg_catalog.regexp_matches(new.concurrency_group, '\{([^}]*)\}', 'g') m
    loop
      if v_placeholder <> all (array['branch', 'event', 'pipeline', 'pull_request']) then
        raise exception 'Unknown placeholder {%} in the concurrency group', v_placeholder using errcode = 'FL201',
          detail = pg_catalog.format('concurrency_group: unknown placeholder {%s} (expected {branch}, {event}, {pipeline}, {pull_request})', v_placeholder);
      end if;
    end loop;
    if pg_catalog.regexp_replace(new.concurrency_group, '\{(branch|event|pipeline|pull_request)\}', '', 'g') ~ '[{}]' then
      raise exception 'Unbalanced braces in the concurrency group "%"', new.concurrency_group using errcode = 'FL201',
        detail = 'concurrency_group: a { or } outside a placeholder like {branch}';
    end if;
  elsif new.cancel_in_progress then
    raise exception 'cancel_in_progress needs a concurrency group' using errcode = 'FL201',
      detail = 'cancel_in_progress: needs a concurrency_group';
  end if;
  return new;
end;
$$;
comment on function app_private.tg_pipelines__validate() is
  E'Trigger function: validates a pipeline''s name, definition, trigger_config and concurrency settings (FL201 with the path in detail).';
--! EndIncluded pipelines/tg_pipelines__validate.sql
create trigger _200_validate
  before insert or update on app_public.pipelines
  for each row execute function app_private.tg_pipelines__validate();
create policy select_member on app_public.pipelines for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
create policy insert_admin on app_public.pipelines for insert with check (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
create policy update_admin on app_public.pipelines for update using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
create policy delete_admin on app_public.pipelines for delete using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
grant select, delete on app_public.pipelines to :DATABASE_VISITOR;
grant insert (repository_id, name, description, definition, trigger_config, status,
              concurrency_limit, concurrency_group, cancel_in_progress)
  on app_public.pipelines to :DATABASE_VISITOR;
grant update (name, description, definition, trigger_config, status,
              concurrency_limit, concurrency_group, cancel_in_progress)
  on app_public.pipelines to :DATABASE_VISITOR;
comment on table app_public.pipelines is
  E'A CI/CD pipeline of a repository: its steps (`definition`), what triggers it and how many of its runs may go at once. Admins manage pipelines; members start runs (`startExecution`).';
comment on column app_public.pipelines.organization_id is E'The organization the pipeline belongs to.';
comment on column app_public.pipelines.id is E'The pipeline''s id.';
comment on column app_public.pipelines.repository_id is E'The repository it builds (fixed once set).';
comment on column app_public.pipelines.name is E'@behavior +orderBy\nIts name, 1 to 100 characters, unique in the repository.';
comment on column app_public.pipelines.description is E'What it is for.';
comment on column app_public.pipelines.definition is
  E'Its steps, as JSON: `{"steps": [{"name": "build", "run": "make"}, {"name": "test", "needs": ["build"], "timeout_minutes": 10, "retry": {"max_attempts": 2}}], "timeout_minutes": 60, "deployment": {"environment": "production"}}`. A step may name its `job` (GitHub Actions: a job''s steps run in order, and `needs` may name a job). Checked when written: FL201 names the offending path in `detail`.';
comment on column app_public.pipelines.trigger_config is
  E'Which events start it automatically: `{"events": ["push", "pull_request"], "branches": ["main", "release/**"]}` (absent keys accept all).';
comment on column app_public.pipelines.status is E'@behavior +filterBy\n`ACTIVE`, or `DISABLED` (no new runs).';
comment on column app_public.pipelines.concurrency_limit is E'At most this many of its executions run at once (null: no limit); the others queue.';
comment on column app_public.pipelines.concurrency_group is
  E'A concurrency group (GitHub Actions semantics, across the repository): at most one execution of a group runs and one waits; a newer waiting one replaces the older, which ends cancelled. May use `{branch}`, `{event}`, `{pipeline}`, `{pull_request}`, e.g. `deploy-{branch}`.';
comment on column app_public.pipelines.cancel_in_progress is E'With a concurrency group: a new execution also cancels the group''s running one.';
comment on column app_public.pipelines.created_by is E'The user who created it.';
comment on column app_public.pipelines.created_at is E'When it was created.';
comment on column app_public.pipelines.updated_at is E'When it was last changed.';
select app_private.enable_audit('app_public.pipelines');
alter table app_public.pipelines alter column organization_id set (n_distinct = -0.01);

-------------------------------------------------------------------------------
-- pipeline_executions (partitioned by month)
-------------------------------------------------------------------------------
create table app_public.pipeline_executions (
  organization_id uuid not null references app_public.organizations (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  created_at timestamptz not null default now(),
  pipeline_id uuid not null,
  repository_id uuid not null,
  run_id uuid not null,
  attempt integer not null default 1 check (attempt between 1 and 100),
  previous_attempt_id uuid,
  status app_public.pipeline_run_status not null default 'queued',
  conclusion app_public.pipeline_conclusion,
  event text not null check (event ~ '^[a-z][a-z_]{0,49}$'),
  branch text not null check (length(branch) between 1 and 255),
  commit_sha text check (commit_sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'),
  pull_request_number integer check (pull_request_number > 0),
  actor_id uuid,
  trigger_metadata jsonb not null default '{}' check (jsonb_typeof(trigger_metadata) = 'object'),
  concurrency_group text,
  deployment_environment text,
  timeout_minutes integer not null check (timeout_minutes between 1 and 4320),
  started_at timestamptz,
  completed_at timestamptz,
  timeout_at timestamptz,
  end_reason text,
  queued_duration_ms bigint generated always as
    ((extract(epoch from (started_at - created_at)) * 1000)::bigint) stored,
  run_duration_ms bigint generated always as
    ((extract(epoch from (completed_at - started_at)) * 1000)::bigint) stored,
  primary key (organization_id, id, created_at),
  constraint pipeline_executions_pipeline_fkey foreign key (organization_id, pipeline_id)
    references app_public.pipelines (organization_id, id) on delete cascade,
  check ((status = 'completed') = (conclusion is not null)),
  check ((status = 'completed') = (completed_at is not null)),
  check (status <> 'in_progress' or started_at is not null),
  check (started_at >= created_at and completed_at >= coalesce(started_at, created_at))
) partition by range (created_at);
comment on constraint pipeline_executions_pipeline_fkey on app_public.pipeline_executions is
  E'@fieldName pipeline\n@foreignFieldName executions';
alter table app_public.pipeline_executions enable row level security;
create index on app_public.pipeline_executions (organization_id, pipeline_id, created_at)
  include (branch, status, conclusion, run_duration_ms, queued_duration_ms);
create index on app_public.pipeline_executions (organization_id, created_at);
create index on app_public.pipeline_executions (organization_id, run_id, attempt);
-- The unfinished executions of a repository: what dispatch looks at.
create index pipeline_executions_active_idx on app_public.pipeline_executions (organization_id, repository_id, created_at)
  where status <> 'completed';
create index pipeline_executions_timeout_idx on app_public.pipeline_executions (timeout_at)
  where status = 'in_progress';
create trigger _200_status
  before update of status, conclusion on app_public.pipeline_executions
  for each row execute function app_private.tg_pipeline_runs__status('execution');
create policy select_member on app_public.pipeline_executions for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
grant select on app_public.pipeline_executions to :DATABASE_VISITOR;
comment on table app_public.pipeline_executions is
  E'@behavior -insert -update -delete +aggregates\nA run of a pipeline: what triggered it, where it is, how it ended and how long it took. Begun by `startExecution`, re-run as a new attempt by `rerunExecution`; kept for a year.';
comment on column app_public.pipeline_executions.organization_id is E'The organization it belongs to.';
comment on column app_public.pipeline_executions.id is E'The execution''s id.';
comment on column app_public.pipeline_executions.created_at is E'@behavior +orderBy +filterBy\nWhen it was triggered (also its month''s partition).';
comment on column app_public.pipeline_executions.pipeline_id is E'@behavior +filterBy\nThe pipeline it runs.';
comment on column app_public.pipeline_executions.repository_id is E'The pipeline''s repository (its concurrency groups are the repository''s).';
comment on column app_public.pipeline_executions.run_id is E'@behavior +filterBy\nThe run it is an attempt of: the id of its first attempt.';
comment on column app_public.pipeline_executions.attempt is E'@behavior +orderBy\n1 for the first run, then one more per re-run.';
comment on column app_public.pipeline_executions.previous_attempt_id is E'The attempt it re-ran (it may be older than the retention of a year).';
comment on column app_public.pipeline_executions.status is E'@behavior +filterBy\n`QUEUED`, `WAITING`, `IN_PROGRESS` or `COMPLETED`; set by the database.';
comment on column app_public.pipeline_executions.conclusion is E'@behavior +filterBy\nHow it ended, once completed.';
comment on column app_public.pipeline_executions.event is E'What triggered it: `manual`, `push`, `pull_request`, …';
comment on column app_public.pipeline_executions.branch is E'@behavior +filterBy\nThe branch it ran on.';
comment on column app_public.pipeline_executions.commit_sha is E'The commit it ran on, if known.';
comment on column app_public.pipeline_executions.pull_request_number is E'The pull request it ran for, if any.';
comment on column app_public.pipeline_executions.actor_id is E'The user who triggered it (kept after the user is removed).';
comment on column app_public.pipeline_executions.trigger_metadata is E'More about the trigger, as given (e.g. the GitHub delivery and workflow run ids).';
comment on column app_public.pipeline_executions.concurrency_group is E'Its concurrency group, the pipeline''s template filled in.';
comment on column app_public.pipeline_executions.deployment_environment is E'The environment it deploys to, from the definition.';
comment on column app_public.pipeline_executions.timeout_minutes is E'It ends `TIMED_OUT` after running this long.';
comment on column app_public.pipeline_executions.started_at is E'When it started running; set by the database.';
comment on column app_public.pipeline_executions.completed_at is E'When it completed; set by the database.';
comment on column app_public.pipeline_executions.timeout_at is E'When it will time out, while it runs.';
comment on column app_public.pipeline_executions.end_reason is E'Why it ended early, if it did (cancelled, superseded, timed out).';
comment on column app_public.pipeline_executions.queued_duration_ms is E'From triggered to started, in ms; computed by the database.';
comment on column app_public.pipeline_executions.run_duration_ms is E'From started to completed, in ms; computed by the database.';
alter table app_public.pipeline_executions alter column organization_id set (n_distinct = -0.01);

-------------------------------------------------------------------------------
-- pipeline_steps (partitioned with their execution)
-------------------------------------------------------------------------------
create table app_public.pipeline_steps (
  organization_id uuid not null references app_public.organizations (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  execution_created_at timestamptz not null,
  execution_id uuid not null,
  name text not null,
  job text,
  "position" integer not null check ("position" >= 0),
  needs text[] not null default '{}',
  status app_public.pipeline_run_status not null default 'queued'
    check (status <> 'waiting'),
  conclusion app_public.pipeline_conclusion,
  attempt integer not null default 1 check (attempt >= 1),
  max_attempts integer not null default 1 check (max_attempts between 1 and 10),
  timeout_minutes integer not null check (timeout_minutes between 1 and 4320),
  continue_on_error boolean not null default false,
  spec jsonb not null default '{}',
  reused boolean not null default false,
  started_at timestamptz,
  completed_at timestamptz,
  timeout_at timestamptz,
  exit_code integer,
  metrics jsonb not null default '{}' check (jsonb_typeof(metrics) = 'object'),
  error jsonb check (jsonb_typeof(error) = 'object'),
  previous_attempts jsonb not null default '[]' check (jsonb_typeof(previous_attempts) = 'array'),
  log_bytes integer not null default 0,
  log_chunks integer not null default 0,
  duration_ms bigint generated always as
    ((extract(epoch from (completed_at - started_at)) * 1000)::bigint) stored,
  primary key (organization_id, id, execution_created_at),
  unique (organization_id, execution_id, execution_created_at, name),
  constraint pipeline_steps_execution_fkey foreign key (organization_id, execution_id, execution_created_at)
    references app_public.pipeline_executions (organization_id, id, created_at) on delete cascade,
  check ((status = 'completed') = (conclusion is not null)),
  check (status <> 'in_progress' or started_at is not null)
) partition by range (execution_created_at);
comment on constraint pipeline_steps_execution_fkey on app_public.pipeline_steps is
  E'@fieldName execution\n@foreignFieldName steps';
alter table app_public.pipeline_steps enable row level security;
create index pipeline_steps_timeout_idx on app_public.pipeline_steps (timeout_at)
  where status = 'in_progress';
create trigger _200_status
  before update of status, conclusion on app_public.pipeline_steps
  for each row execute function app_private.tg_pipeline_runs__status('step');
create policy select_member on app_public.pipeline_steps for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
grant select on app_public.pipeline_steps to :DATABASE_VISITOR;
comment on table app_public.pipeline_steps is
  E'@behavior -insert -update -delete\nA step of an execution, from its pipeline''s definition; started and completed by runners (`readySteps`, `startStep`, `appendStepLog`, `completeStep`).';
comment on column app_public.pipeline_steps.organization_id is E'The organization it belongs to.';
comment on column app_public.pipeline_steps.id is E'The step''s id.';
comment on column app_public.pipeline_steps.execution_created_at is E'Its execution''s creation time (the partition key they share).';
comment on column app_public.pipeline_steps.execution_id is E'The execution it is a step of.';
comment on column app_public.pipeline_steps.name is E'Its name in the definition, unique in the execution.';
comment on column app_public.pipeline_steps.job is E'The job it belongs to (GitHub Actions), if any.';
comment on column app_public.pipeline_steps.position is E'@behavior +orderBy\nIts place in the definition, from 0.';
comment on column app_public.pipeline_steps.needs is E'The steps that must succeed before it starts (names; jobs and the order within a job resolved).';
comment on column app_public.pipeline_steps.status is E'`QUEUED` (not started), `IN_PROGRESS` or `COMPLETED`; set by the database.';
comment on column app_public.pipeline_steps.conclusion is E'How it ended, once completed.';
comment on column app_public.pipeline_steps.attempt is E'Which try this is (its retry policy allows max_attempts).';
comment on column app_public.pipeline_steps.max_attempts is E'How many tries a failure or timeout allows.';
comment on column app_public.pipeline_steps.timeout_minutes is E'It ends `TIMED_OUT` after running this long.';
comment on column app_public.pipeline_steps.continue_on_error is E'A failure of this step does not stop what needs it, nor fail the execution.';
comment on column app_public.pipeline_steps.spec is E'The rest of its definition (run, uses, with, env, if).';
comment on column app_public.pipeline_steps.reused is E'Kept from the previous attempt by a re-run of failed steps (not run again).';
comment on column app_public.pipeline_steps.started_at is E'When it started (this attempt); set by the database.';
comment on column app_public.pipeline_steps.completed_at is E'When it completed; set by the database.';
comment on column app_public.pipeline_steps.timeout_at is E'When it will time out, while it runs.';
comment on column app_public.pipeline_steps.exit_code is E'The exit code the runner reported.';
comment on column app_public.pipeline_steps.metrics is E'Metrics the runner reported (a JSON object, merged over completions).';
comment on column app_public.pipeline_steps.error is E'Error details, if it failed or timed out.';
comment on column app_public.pipeline_steps.previous_attempts is E'The earlier tries of this step (attempt, conclusion, exit code, error, times).';
comment on column app_public.pipeline_steps.log_bytes is E'The size of its log so far, in bytes.';
comment on column app_public.pipeline_steps.log_chunks is E'@behavior -*\nHow many chunks its log has (internal).';
comment on column app_public.pipeline_steps.duration_ms is E'From started to completed, in ms; computed by the database.';
alter table app_public.pipeline_steps alter column organization_id set (n_distinct = -0.01);

-------------------------------------------------------------------------------
-- pipeline_step_logs (partitioned with their execution)
-------------------------------------------------------------------------------
create table app_public.pipeline_step_logs (
  organization_id uuid not null references app_public.organizations (id) on delete cascade,
  step_id uuid not null,
  execution_created_at timestamptz not null,
  seq integer not null check (seq >= 1),
  content text not null,
  created_at timestamptz not null default now(),
  primary key (organization_id, step_id, execution_created_at, seq),
  constraint pipeline_step_logs_step_fkey foreign key (organization_id, step_id, execution_created_at)
    references app_public.pipeline_steps (organization_id, id, execution_created_at) on delete cascade
) partition by range (execution_created_at);
alter table app_public.pipeline_step_logs enable row level security;
create policy select_member on app_public.pipeline_step_logs for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
grant select on app_public.pipeline_step_logs to :DATABASE_VISITOR;
comment on table app_public.pipeline_step_logs is
  E'@behavior -*\nA step''s log in the chunks it was written in (read it as `log` on the step).';
comment on column app_public.pipeline_step_logs.organization_id is E'The organization it belongs to.';
comment on column app_public.pipeline_step_logs.step_id is E'The step.';
comment on column app_public.pipeline_step_logs.execution_created_at is E'The execution''s creation time (the partition key).';
comment on column app_public.pipeline_step_logs.seq is E'The chunk''s place in the log, from 1.';
comment on column app_public.pipeline_step_logs.content is E'The text.';
comment on column app_public.pipeline_step_logs.created_at is E'When it was written.';
alter table app_public.pipeline_step_logs alter column organization_id set (n_distinct = -0.01);

-------------------------------------------------------------------------------
-- pipeline_artifacts (partitioned with their execution)
-------------------------------------------------------------------------------
create table app_public.pipeline_artifacts (
  organization_id uuid not null references app_public.organizations (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  execution_created_at timestamptz not null,
  execution_id uuid not null,
  step_id uuid,
  name text not null check (length(name) between 1 and 255),
  size_bytes bigint not null check (size_bytes >= 0),
  content_type text not null,
  checksum text check (checksum ~ '^sha256:[0-9a-f]{64}$'),
  storage_key text not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  primary key (organization_id, id, execution_created_at),
  unique (organization_id, execution_id, execution_created_at, name),
  constraint pipeline_artifacts_execution_fkey foreign key (organization_id, execution_id, execution_created_at)
    references app_public.pipeline_executions (organization_id, id, created_at) on delete cascade,
  constraint pipeline_artifacts_step_fkey foreign key (organization_id, step_id, execution_created_at)
    references app_public.pipeline_steps (organization_id, id, execution_created_at) on delete set null (step_id)
) partition by range (execution_created_at);
comment on constraint pipeline_artifacts_execution_fkey on app_public.pipeline_artifacts is
  E'@fieldName execution\n@foreignFieldName artifacts';
comment on constraint pipeline_artifacts_step_fkey on app_public.pipeline_artifacts is
  E'@fieldName step\n@foreignFieldName artifacts';
alter table app_public.pipeline_artifacts enable row level security;
create index on app_public.pipeline_artifacts (organization_id, step_id, execution_created_at);
create index pipeline_artifacts_expiry_idx on app_public.pipeline_artifacts (expires_at);
create policy select_member on app_public.pipeline_artifacts for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
create policy delete_admin on app_public.pipeline_artifacts for delete using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
grant select, delete on app_public.pipeline_artifacts to :DATABASE_VISITOR;
comment on table app_public.pipeline_artifacts is
  E'@behavior -insert -update\nA file a step produced, kept in the artifact storage under `storageKey` until `expiresAt` (registered with `addArtifact`; admins may delete one earlier). Its object is deleted by the worker after its row.';
comment on column app_public.pipeline_artifacts.organization_id is E'The organization it belongs to.';
comment on column app_public.pipeline_artifacts.id is E'The artifact''s id.';
comment on column app_public.pipeline_artifacts.execution_created_at is E'Its execution''s creation time (the partition key).';
comment on column app_public.pipeline_artifacts.execution_id is E'The execution that produced it.';
comment on column app_public.pipeline_artifacts.step_id is E'The step that produced it.';
comment on column app_public.pipeline_artifacts.name is E'@behavior +orderBy\nIts name (a relative path), unique in the execution.';
comment on column app_public.pipeline_artifacts.size_bytes is E'Its size in bytes.';
comment on column app_public.pipeline_artifacts.content_type is E'Its media type.';
comment on column app_public.pipeline_artifacts.checksum is E'`sha256:` and its SHA-256 in hex, if given.';
comment on column app_public.pipeline_artifacts.storage_key is E'Where the artifact storage keeps it (chosen by the database, ids only).';
comment on column app_public.pipeline_artifacts.expires_at is E'When it is deleted: added + the organization''s `artifact_retention_days` (default 90).';
comment on column app_public.pipeline_artifacts.created_at is E'When it was added.';
alter table app_public.pipeline_artifacts alter column organization_id set (n_distinct = -0.01);

-------------------------------------------------------------------------------
-- Settings and limits
-------------------------------------------------------------------------------
create table app_private.pipeline_limits (
  organization_id uuid primary key references app_public.organizations (id) on delete cascade,
  step_log_bytes integer not null check (step_log_bytes between 1024 and 1073741824),
  note text check (length(note) <= 500),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table app_private.pipeline_limits enable row level security;
create trigger _100_timestamps
  before insert or update on app_private.pipeline_limits
  for each row execute function app_private.tg__timestamps();
comment on table app_private.pipeline_limits is
  E'The operator''s per-organization overrides of pipeline limits (bytes of log per step); never readable or writable by a tenant.';
alter table app_private.pipeline_limits alter column organization_id set (n_distinct = -1);

--! Included pipelines/settings.sql
/*
 * The pipelines module's settings. An organization's own:
 * `settings.artifact_retention_days` (1 to 365, default 90; owners change it
 * with updateOrganization), checked here on every write of
 * organizations.settings (FL208). The operator's: the cap on a step's log, in
 * app_private.pipeline_limits, which no API role can read or write
 * (`forgeline limits set <org> --step-log-bytes <n>`).
 */
create or replace function app_private.tg_organizations__pipeline_settings() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_days jsonb := new.settings -> 'artifact_retention_days';
begin
  if v_days is not null and not coalesce(pg_catalog.jsonb_typeof(v_days) = 'number'
                                         and (v_days #>> '{}') ~ '^[0-9]{1,3}$'
                                         and (v_days #>> '{}')::integer between 1 and 365, false) then
    raise exception 'artifact_retention_days must be a whole number of days from 1 to 365' using errcode = 'FL208',
      detail = 'settings.artifact_retention_days: must be a whole number from 1 to 365';
  end if;
  return new;
end;
$$;
comment on function app_private.tg_organizations__pipeline_settings() is
  E'Trigger function: validates the pipelines module''s organization settings (FL208).';

create or replace function app_private.set_pipeline_limit(
  organization_id uuid,
  step_log_bytes integer,
  note text default null
) returns app_private.pipeline_limits
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_row app_private.pipeline_limits;
begin
  if not exists (select 1 from app_public.organizations o where o.id = set_pipeline_limit.organization_id) then
    raise exception 'No organization with id %', set_pipeline_limit.organization_id using errcode = 'FL003';
  end if;
  if set_pipeline_limit.step_log_bytes is null then
    delete from app_private.pipeline_limits l where l.organization_id = set_pipeline_limit.organization_id
    returning * into v_row;
    return v_row;
  end if;
  if set_pipeline_limit.step_log_bytes not between 1024 and 1073741824 then
    raise exception 'A step log limit is 1 KiB to 1 GiB, not % bytes', set_pipeline_limit.step_log_bytes
      using errcode = 'FL005', hint = 'Clear the override instead to use the default (4 MiB).';
  end if;
  insert into app_private.pipeline_limits as l (organization_id, step_log_bytes, note)
  values (set_pipeline_limit.organization_id, set_pipeline_limit.step_log_bytes, set_pipeline_limit.note)
  on conflict on constraint pipeline_limits_pkey do update
     set step_log_bytes = excluded.step_log_bytes, note = coalesce(excluded.note, l.note)
  returning * into v_row;
  return v_row;
end;
$$;
comment on function app_private.set_pipeline_limit(uuid, integer, text) is
  E'Operator only: sets (or with null clears) an organization''s cap on the bytes of log per pipeline step.';
--! EndIncluded pipelines/settings.sql
create trigger _200_validate_pipeline_settings
  before insert or update of settings on app_public.organizations
  for each row execute function app_private.tg_organizations__pipeline_settings();

-------------------------------------------------------------------------------
-- Runs: queue handling, executions, steps, timeouts, statistics, artifacts
-------------------------------------------------------------------------------
--! Included pipelines/dispatch.sql
/*
 * Queue handling (issue #9 §2): which executions of a repository run, wait or
 * queue, decided one repository at a time.
 *
 * Every function that changes an execution's or a step's status first takes
 * lock_pipeline_runs(org, repository), a transaction-level advisory lock. So
 * "at most concurrency_limit running per pipeline", "at most one running and
 * one pending per concurrency group" and "no execution starts twice" are
 * checked by one transaction at a time per repository, and each sees what the
 * one before committed (READ COMMITTED takes a new snapshot per statement). One
 * lock, always taken first, is also why these functions cannot deadlock with
 * each other: the row locks they take afterwards are all under it. Different
 * repositories never wait for each other. (Concurrency groups are per
 * repository, as in GitHub Actions, so the repository is the unit.)
 *
 *   queued       waiting for a slot under its pipeline's concurrency_limit
 *   waiting      pending in its concurrency group behind a running execution
 *   in_progress  running; its steps are started by runners (startStep)
 *
 * dispatch_executions(org, repository, at) starts, oldest first, every queued or
 * waiting execution that fits both rules and files the rest as queued or
 * waiting; it is called whenever a slot may have freed or a run arrived.
 * admit_execution() applies the concurrency group to a new execution first:
 * GitHub's semantics, a newer pending run replaces the older pending one (which
 * ends cancelled), and with cancel_in_progress the running one is cancelled too.
 * end_execution() completes an execution and its unfinished steps.
 */
create or replace function app_private.lock_pipeline_runs(org uuid, repository_id uuid) returns void
  language sql volatile
  set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
    'forgeline.pipeline_runs:' || lock_pipeline_runs.org::text || ':' || lock_pipeline_runs.repository_id::text, 0));
$$;
comment on function app_private.lock_pipeline_runs(uuid, uuid) is
  E'Serialises the run-state changes of one repository''s pipelines for the rest of the transaction (taken first by every writer).';

create or replace function app_private.dispatch_executions(org uuid, repository_id uuid, at timestamptz)
  returns integer
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_running jsonb;
  v_groups text[];
  v_e record;
  v_next app_public.pipeline_run_status;
  v_started integer := 0;
begin
  select coalesce(pg_catalog.jsonb_object_agg(x.pipeline_id, x.n), '{}'),
         coalesce((select pg_catalog.array_agg(distinct e.concurrency_group)
                     from app_public.pipeline_executions e
                    where e.organization_id = dispatch_executions.org
                      and e.repository_id = dispatch_executions.repository_id
                      and e.status = 'in_progress' and e.concurrency_group is not null), '{}')
    into v_running, v_groups
    from (select e.pipeline_id::text as pipeline_id, pg_catalog.count(*) as n
            from app_public.pipeline_executions e
           where e.organization_id = dispatch_executions.org
             and e.repository_id = dispatch_executions.repository_id
             and e.status = 'in_progress'
           group by 1) x;
  for v_e in
    select e.id, e.created_at, e.pipeline_id, e.status, e.concurrency_group, e.timeout_minutes,
           p.concurrency_limit
      from app_public.pipeline_executions e
      join app_public.pipelines p on p.organization_id = e.organization_id and p.id = e.pipeline_id
     where e.organization_id = dispatch_executions.org
       and e.repository_id = dispatch_executions.repository_id
       and e.status in ('queued', 'waiting')
     order by e.created_at, e.id
  loop
    if v_e.concurrency_group = any (v_groups) then
      v_next := 'waiting';
    elsif v_e.concurrency_limit is not null
          and coalesce((v_running ->> v_e.pipeline_id::text)::integer, 0) >= v_e.concurrency_limit then
      v_next := 'queued';
    else
      v_next := 'in_progress';
      v_running := v_running || pg_catalog.jsonb_build_object(
        v_e.pipeline_id::text, coalesce((v_running ->> v_e.pipeline_id::text)::integer, 0) + 1);
      if v_e.concurrency_group is not null then
        v_groups := v_groups || v_e.concurrency_group;
      end if;
    end if;
    if v_next = 'in_progress' then
      update app_public.pipeline_executions e
         set status = 'in_progress', started_at = dispatch_executions.at,
             timeout_at = dispatch_executions.at + pg_catalog.make_interval(mins => v_e.timeout_minutes)
       where e.organization_id = dispatch_executions.org and e.id = v_e.id and e.created_at = v_e.created_at;
      v_started := v_started + 1;
    elsif v_next <> v_e.status then
      update app_public.pipeline_executions e
         set status = v_next
       where e.organization_id = dispatch_executions.org and e.id = v_e.id and e.created_at = v_e.created_at;
    end if;
  end loop;
  return v_started;
end;
$$;
comment on function app_private.dispatch_executions(uuid, uuid, timestamptz) is
  E'Starts every queued or waiting execution of the repository that its concurrency limit and group allow, oldest first; the caller holds lock_pipeline_runs(). Returns how many started.';

create or replace function app_private.end_execution(
  org uuid,
  execution_id uuid,
  execution_created_at timestamptz,
  conclusion app_public.pipeline_conclusion,
  running_steps app_public.pipeline_conclusion,
  pending_steps app_public.pipeline_conclusion,
  at timestamptz,
  reason text default null
) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  update app_public.pipeline_steps s
     set status = 'completed',
         conclusion = case s.status when 'in_progress' then end_execution.running_steps
                                    else end_execution.pending_steps end,
         completed_at = end_execution.at, timeout_at = null
   where s.organization_id = end_execution.org and s.execution_id = end_execution.execution_id
     and s.execution_created_at = end_execution.execution_created_at and s.status <> 'completed';
  update app_public.pipeline_executions e
     set status = 'completed',
         -- null: what the steps give, now that they have all ended
         conclusion = coalesce(end_execution.conclusion,
                               app_private.derived_conclusion(e.organization_id, e.id, e.created_at)),
         completed_at = end_execution.at, timeout_at = null,
         end_reason = coalesce(end_execution.reason, e.end_reason)
   where e.organization_id = end_execution.org and e.id = end_execution.execution_id
     and e.created_at = end_execution.execution_created_at and e.status <> 'completed';
end;
$$;
comment on function app_private.end_execution(uuid, uuid, timestamptz, app_public.pipeline_conclusion, app_public.pipeline_conclusion, app_public.pipeline_conclusion, timestamptz, text) is
  E'Completes an execution with a conclusion (null: the one its steps give once ended), and its unfinished steps (running ones and pending ones each with their own conclusion); the caller holds lock_pipeline_runs() and dispatches afterwards.';

create or replace function app_private.admit_execution(
  execution app_public.pipeline_executions,
  cancel_in_progress boolean,
  at timestamptz
) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_other record;
begin
  if (admit_execution.execution).concurrency_group is not null then
    for v_other in
      select e.id, e.created_at, e.status
        from app_public.pipeline_executions e
       where e.organization_id = (admit_execution.execution).organization_id
         and e.repository_id = (admit_execution.execution).repository_id
         and e.concurrency_group = (admit_execution.execution).concurrency_group
         and e.id <> (admit_execution.execution).id
         and (e.status in ('queued', 'waiting')
              or (admit_execution.cancel_in_progress and e.status = 'in_progress'))
       order by e.created_at, e.id
    loop
      perform app_private.end_execution(
        (admit_execution.execution).organization_id, v_other.id, v_other.created_at,
        'cancelled', 'cancelled', 'cancelled', admit_execution.at,
        pg_catalog.format('superseded by execution %s in concurrency group "%s"',
                          (admit_execution.execution).id, (admit_execution.execution).concurrency_group));
    end loop;
  end if;
  perform app_private.dispatch_executions((admit_execution.execution).organization_id,
                                          (admit_execution.execution).repository_id, admit_execution.at);
end;
$$;
comment on function app_private.admit_execution(app_public.pipeline_executions, boolean, timestamptz) is
  E'Applies a new execution''s concurrency group (the older pending run, and with cancel_in_progress the running one, end cancelled), then dispatches; the caller holds lock_pipeline_runs().';
--! EndIncluded pipelines/dispatch.sql
--! Included pipelines/steps.sql
/*
 * Steps (issue #9 §2), driven by runners: readySteps(execution) says what may
 * start, startStep marks one running, appendStepLog adds to its log (capped per
 * step, FL206), completeStep ends it. A step's `needs` are met when each named
 * step completed with success or neutral (or failed with continue_on_error); a
 * need that ends otherwise skips the steps after it. A failed or timed-out step
 * with attempts left under its retry policy goes back to queued as its next
 * attempt (the earlier one kept in previous_attempts). When the last step
 * completes, the execution completes with the conclusion its steps give, and
 * the repository's next queued execution may start. Every writer holds the
 * repository's run lock (dispatch.sql), so two runners cannot both start one
 * step, and the last two steps of an execution finishing at once still complete
 * it exactly once.
 */
create or replace function app_hidden.pipeline_need_met(
  status app_public.pipeline_run_status,
  conclusion app_public.pipeline_conclusion,
  continue_on_error boolean
) returns boolean
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  select pipeline_need_met.status = 'completed'
     and (pipeline_need_met.conclusion in ('success', 'neutral')
          or (pipeline_need_met.continue_on_error and pipeline_need_met.conclusion in ('failure', 'timed_out')));
$$;
comment on function app_hidden.pipeline_need_met(app_public.pipeline_run_status, app_public.pipeline_conclusion, boolean) is
  E'Whether a step, as it ended, lets the steps that need it run.';

create or replace function app_public.ready_steps(execution_id uuid)
  returns setof app_public.pipeline_steps
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select s.*
    from app_public.pipeline_executions e
    join app_public.pipeline_steps s
      on s.organization_id = e.organization_id and s.execution_id = e.id and s.execution_created_at = e.created_at
   where e.organization_id = app_public.current_org_id() and e.id = ready_steps.execution_id
     and e.status = 'in_progress' and s.status = 'queued'
     and not exists (
       select 1 from pg_catalog.unnest(s.needs) n(name)
        where not exists (
          select 1 from app_public.pipeline_steps d
           where d.organization_id = s.organization_id and d.execution_id = s.execution_id
             and d.execution_created_at = s.execution_created_at and d.name = n.name
             and app_hidden.pipeline_need_met(d.status, d.conclusion, d.continue_on_error)))
   order by s.position;
$$;
comment on function app_public.ready_steps(uuid) is
  E'The steps of a running execution that may start now: not started, every step they need met. Runners call `startStep` on them.';

create or replace function app_private.lock_step(step_id uuid)
  returns app_public.pipeline_steps
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org constant uuid := app_public.current_org_id();
  v_repository uuid;
  v_step app_public.pipeline_steps;
begin
  select e.repository_id into v_repository
    from app_public.pipeline_steps s
    join app_public.pipeline_executions e
      on e.organization_id = s.organization_id and e.id = s.execution_id and e.created_at = s.execution_created_at
   where s.organization_id = v_org and s.id = lock_step.step_id;
  if not found then
    raise exception 'No such step in this organization' using errcode = 'FL003';
  end if;
  perform app_private.lock_pipeline_runs(v_org, v_repository);
  select * into v_step from app_public.pipeline_steps s
   where s.organization_id = v_org and s.id = lock_step.step_id;
  return v_step;
end;
$$;
comment on function app_private.lock_step(uuid) is
  E'Finds a step of the current organization (FL003), takes its repository''s run lock and returns it as it is under the lock.';

create or replace function app_public.start_step(step_id uuid)
  returns app_public.pipeline_steps
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: steps have no update grant; status changes go through these functions.
declare
  v_step app_public.pipeline_steps;
  v_status app_public.pipeline_run_status;
  v_unmet text[];
begin
  perform app_private.require_role('member');
  v_step := app_private.lock_step(start_step.step_id);
  if v_step.status <> 'queued' then
    raise exception 'The step "%" is already %', v_step.name, v_step.status using errcode = 'FL202',
      detail = pg_catalog.format('%s → IN_PROGRESS', pg_catalog.upper(v_step.status::text));
  end if;
  select e.status into v_status from app_public.pipeline_executions e
   where e.organization_id = v_step.organization_id and e.id = v_step.execution_id
     and e.created_at = v_step.execution_created_at;
  if v_status <> 'in_progress' then
    raise exception 'The execution is %, not running: its steps cannot start', v_status using errcode = 'FL205';
  end if;
  select pg_catalog.array_agg(n.name order by n.name) into v_unmet
    from pg_catalog.unnest(v_step.needs) n(name)
   where not exists (
     select 1 from app_public.pipeline_steps d
      where d.organization_id = v_step.organization_id and d.execution_id = v_step.execution_id
        and d.execution_created_at = v_step.execution_created_at and d.name = n.name
        and app_hidden.pipeline_need_met(d.status, d.conclusion, d.continue_on_error));
  if v_unmet is not null then
    raise exception 'The step "%" needs steps that have not succeeded yet', v_step.name using errcode = 'FL205',
      detail = pg_catalog.array_to_string(v_unmet, ', '), hint = 'Start one of readySteps instead.';
  end if;
  update app_public.pipeline_steps s
     set status = 'in_progress', started_at = pg_catalog.clock_timestamp(), completed_at = null,
         timeout_at = pg_catalog.clock_timestamp() + pg_catalog.make_interval(mins => s.timeout_minutes)
   where s.organization_id = v_step.organization_id and s.id = v_step.id
     and s.execution_created_at = v_step.execution_created_at
  returning * into v_step;
  return v_step;
end;
$$;
comment on function app_public.start_step(uuid) is
  E'@resultFieldName step\nMarks a ready step of a running execution as started (members, e.g. a runner); FL205 when its needs are not met or the execution is not running.';

/*
 * finish_step(step, conclusion, …, at): the one place a step ends (completeStep,
 * the timeout handling). The caller holds the run lock and passes the step as
 * read under it.
 */
create or replace function app_private.finish_step(
  step app_public.pipeline_steps,
  conclusion app_public.pipeline_conclusion,
  exit_code integer,
  metrics jsonb,
  error jsonb,
  at timestamptz
) returns app_public.pipeline_steps
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_step app_public.pipeline_steps := finish_step.step;
  v_repository uuid;
begin
  if v_step.status = 'completed' or (v_step.status = 'queued' and finish_step.conclusion <> 'skipped') then
    raise exception 'The step "%" is %: it cannot complete %', v_step.name, v_step.status, finish_step.conclusion
      using errcode = 'FL202',
            detail = pg_catalog.format('%s → COMPLETED', pg_catalog.upper(v_step.status::text)),
            hint = case when v_step.status = 'queued' then 'Start it first (startStep); a step not started can only be skipped.'
                        else 'Re-run the execution (rerunExecution) to run the step again.' end;
  end if;
  if finish_step.conclusion in ('failure', 'timed_out') and v_step.status = 'in_progress'
     and v_step.attempt < v_step.max_attempts then
    -- Its retry policy allows another attempt: back to queued, the try kept.
    update app_public.pipeline_steps s
       set status = 'queued', attempt = s.attempt + 1,
           previous_attempts = s.previous_attempts || pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(
             pg_catalog.jsonb_build_object(
               'attempt', s.attempt, 'conclusion', finish_step.conclusion, 'exit_code', finish_step.exit_code,
               'error', finish_step.error, 'started_at', s.started_at, 'completed_at', finish_step.at))),
           started_at = null, timeout_at = null, exit_code = null, error = null,
           metrics = s.metrics || coalesce(finish_step.metrics, '{}')
     where s.organization_id = v_step.organization_id and s.id = v_step.id
       and s.execution_created_at = v_step.execution_created_at
    returning * into v_step;
    return v_step;
  end if;
  update app_public.pipeline_steps s
     set status = 'completed', conclusion = finish_step.conclusion, completed_at = finish_step.at,
         timeout_at = null, exit_code = finish_step.exit_code, error = finish_step.error,
         metrics = s.metrics || coalesce(finish_step.metrics, '{}')
   where s.organization_id = v_step.organization_id and s.id = v_step.id
     and s.execution_created_at = v_step.execution_created_at
  returning * into v_step;

  if not app_hidden.pipeline_need_met(v_step.status, v_step.conclusion, v_step.continue_on_error) then
    -- What needs it cannot run: skip it, and what needs that, and so on.
    loop
      update app_public.pipeline_steps s
         set status = 'completed', conclusion = 'skipped', completed_at = finish_step.at
       where s.organization_id = v_step.organization_id and s.execution_id = v_step.execution_id
         and s.execution_created_at = v_step.execution_created_at and s.status = 'queued'
         and exists (
           select 1 from app_public.pipeline_steps d
            where d.organization_id = s.organization_id and d.execution_id = s.execution_id
              and d.execution_created_at = s.execution_created_at and d.name = any (s.needs)
              and d.status = 'completed'
              and not app_hidden.pipeline_need_met(d.status, d.conclusion, d.continue_on_error));
      exit when not found;
    end loop;
  end if;

  if not exists (select 1 from app_public.pipeline_steps s
                  where s.organization_id = v_step.organization_id and s.execution_id = v_step.execution_id
                    and s.execution_created_at = v_step.execution_created_at and s.status <> 'completed') then
    update app_public.pipeline_executions e
       set status = 'completed', completed_at = finish_step.at, timeout_at = null,
           conclusion = app_private.derived_conclusion(e.organization_id, e.id, e.created_at)
     where e.organization_id = v_step.organization_id and e.id = v_step.execution_id
       and e.created_at = v_step.execution_created_at and e.status = 'in_progress'
    returning e.repository_id into v_repository;
    if v_repository is not null then
      perform app_private.dispatch_executions(v_step.organization_id, v_repository, finish_step.at);
    end if;
  end if;
  return v_step;
end;
$$;
comment on function app_private.finish_step(app_public.pipeline_steps, app_public.pipeline_conclusion, integer, jsonb, jsonb, timestamptz) is
  E'Ends a step (or retries it under its retry policy), skips what can no longer run, and completes the execution after its last step; the caller holds the run lock.';

create or replace function app_public.complete_step(
  step_id uuid,
  conclusion app_public.pipeline_conclusion,
  exit_code integer default null,
  metrics jsonb default null,
  error jsonb default null
) returns app_public.pipeline_steps
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: steps have no update grant; status changes go through these functions.
declare
  v_step app_public.pipeline_steps;
begin
  perform app_private.require_role('member');
  if complete_step.conclusion is null then
    raise exception 'A step completes with a conclusion' using errcode = 'FL204',
      detail = 'conclusion: must be SUCCESS, FAILURE, CANCELLED, SKIPPED, TIMED_OUT or NEUTRAL';
  end if;
  if complete_step.metrics is not null and (pg_catalog.jsonb_typeof(complete_step.metrics) <> 'object'
                                            or pg_catalog.octet_length(complete_step.metrics::text) > 65536) then
    raise exception 'Invalid step metrics' using errcode = 'FL204', detail = 'metrics: must be a JSON object of at most 64 KiB';
  end if;
  if complete_step.error is not null and (pg_catalog.jsonb_typeof(complete_step.error) <> 'object'
                                          or pg_catalog.octet_length(complete_step.error::text) > 65536) then
    raise exception 'Invalid step error' using errcode = 'FL204', detail = 'error: must be a JSON object of at most 64 KiB';
  end if;
  v_step := app_private.lock_step(complete_step.step_id);
  if v_step.status <> 'completed' and not exists (
       select 1 from app_public.pipeline_executions e
        where e.organization_id = v_step.organization_id and e.id = v_step.execution_id
          and e.created_at = v_step.execution_created_at and e.status = 'in_progress') then
    raise exception 'The execution is not running: its steps cannot complete' using errcode = 'FL205',
      hint = 'Cancel the execution instead (cancelExecution).';
  end if;
  return app_private.finish_step(v_step, complete_step.conclusion, complete_step.exit_code,
                                 complete_step.metrics, complete_step.error, pg_catalog.clock_timestamp());
end;
$$;
comment on function app_public.complete_step(uuid, app_public.pipeline_conclusion, integer, jsonb, jsonb) is
  E'@resultFieldName step\nEnds a running step (members, e.g. a runner) with its conclusion, exit code, metrics (merged) and error details. A failure with attempts left under the step''s retry policy queues its next attempt; steps that needed a failed step are skipped; the last step completes the execution. A step not started can only be `SKIPPED`.';

create or replace function app_private.step_log_limit(org uuid) returns integer
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select coalesce((select l.step_log_bytes from app_private.pipeline_limits l
                    where l.organization_id = step_log_limit.org), 4194304);
$$;
comment on function app_private.step_log_limit(uuid) is
  E'The most bytes of log a step of this organization may have: the operator''s override (app_private.pipeline_limits, `forgeline limits`), else 4 MiB.';

create or replace function app_public.append_step_log(step_id uuid, content text)
  returns app_public.pipeline_steps
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: logs have no insert grant, and the cap is the operator's (not readable by the visitor).
declare
  v_step app_public.pipeline_steps;
  v_bytes constant integer := pg_catalog.octet_length(append_step_log.content);
  v_limit integer;
begin
  perform app_private.require_role('member');
  if coalesce(v_bytes, 0) = 0 then
    raise exception 'Nothing to append' using errcode = 'FL204', detail = 'content: must not be empty';
  end if;
  v_step := app_private.lock_step(append_step_log.step_id);
  if v_step.status <> 'in_progress' then
    raise exception 'The step "%" is %: logs are written while it runs', v_step.name, v_step.status
      using errcode = 'FL202', detail = pg_catalog.upper(v_step.status::text);
  end if;
  v_limit := app_private.step_log_limit(v_step.organization_id);
  if v_step.log_bytes + v_bytes > v_limit then
    raise exception 'The step''s log would exceed % bytes', v_limit using errcode = 'FL206',
      detail = pg_catalog.format('limit %s bytes, written %s, refused %s', v_limit, v_step.log_bytes, v_bytes),
      hint = 'Write less (or store the full log as an artifact); the operator sets the limit.';
  end if;
  insert into app_public.pipeline_step_logs (organization_id, step_id, execution_created_at, seq, content)
  values (v_step.organization_id, v_step.id, v_step.execution_created_at, v_step.log_chunks + 1, append_step_log.content);
  update app_public.pipeline_steps s
     set log_bytes = s.log_bytes + v_bytes, log_chunks = s.log_chunks + 1
   where s.organization_id = v_step.organization_id and s.id = v_step.id
     and s.execution_created_at = v_step.execution_created_at
  returning * into v_step;
  return v_step;
end;
$$;
comment on function app_public.append_step_log(uuid, text) is
  E'@resultFieldName step\nAppends text to a running step''s log (members, e.g. a runner). A step''s log is capped (4 MiB unless the operator set another limit): a chunk that would pass the cap is refused whole with FL206.';

create or replace function app_public.pipeline_steps_log(step app_public.pipeline_steps) returns text
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.string_agg(l.content, '' order by l.seq)
    from app_public.pipeline_step_logs l
   where l.organization_id = (pipeline_steps_log.step).organization_id
     and l.step_id = (pipeline_steps_log.step).id
     and l.execution_created_at = (pipeline_steps_log.step).execution_created_at;
$$;
comment on function app_public.pipeline_steps_log(app_public.pipeline_steps) is
  E'The step''s log so far (null before anything was written).';
--! EndIncluded pipelines/steps.sql
--! Included pipelines/executions.sql
/*
 * Executions (issue #9 §2): how a run begins, ends and is re-run. Each public
 * function is a security definer — executions and steps have no insert or
 * update grant, so their status, timestamps and durations are only ever written
 * here, computed by the database — and each takes lock_pipeline_runs() on the
 * execution's repository before it reads what its rule is about (dispatch.sql).
 *
 *   start_execution(pipeline, event, branch, sha, pull request, metadata)
 *       a new run, attempt 1, with the steps of the pipeline's definition; it
 *       starts at once when a slot is free, else it is queued or waiting
 *   cancel_execution(execution, reason)      any unfinished execution
 *   complete_execution(execution, conclusion) a running one, explicitly (its
 *       conclusion derived from the steps when not given); an execution also
 *       completes by itself when its last step does (complete_step)
 *   rerun_execution(execution, failed_only)  a completed one, the latest
 *       attempt of its run: a new execution with attempt + 1, linked to it;
 *       failed_only keeps the steps that succeeded (`reused`) and runs the others
 *       and everything after them again
 *
 * Times are read after the run lock (clock_timestamp()), so within a repository
 * they follow the order in which the lock was held; app_private.create_execution()
 * (null: now) and the timeout handling take the time as a parameter, so tests pass
 * a clock.
 */
create or replace function app_private.create_execution(
  pipeline app_public.pipelines,
  event text,
  branch text,
  commit_sha text,
  pull_request_number integer,
  trigger_metadata jsonb,
  actor_id uuid,
  at timestamptz,
  previous app_public.pipeline_executions default null,
  failed_only boolean default false
) returns app_public.pipeline_executions
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org constant uuid := (create_execution.pipeline).organization_id;
  v_id constant uuid := pg_catalog.gen_random_uuid();
  v_exec app_public.pipeline_executions;
  v_branch text := create_execution.branch;
  v_group text;
  v_rerun text[];
  v_at timestamptz;
begin
  if create_execution.event is null or create_execution.event !~ '^[a-z][a-z_]{0,49}$' then
    raise exception 'Invalid event "%"', create_execution.event using errcode = 'FL204',
      detail = 'event: must be an event name like "push" or "manual"';
  end if;
  if v_branch is null then
    select r.default_branch into v_branch from app_public.repositories r
     where r.organization_id = v_org and r.id = (create_execution.pipeline).repository_id;
  end if;
  if v_branch !~ '^[^\s~^:?*\[\\]{1,255}$' or v_branch ~ '(^/|/$|\.\.|//|@\{)' then
    raise exception 'Invalid branch "%"', v_branch using errcode = 'FL204',
      detail = 'branch: must be a git branch name like "main" or "feature/x"';
  end if;
  if create_execution.commit_sha is not null and create_execution.commit_sha !~ '^[0-9a-f]{40}([0-9a-f]{24})?$' then
    raise exception 'Invalid commit sha "%"', create_execution.commit_sha using errcode = 'FL204',
      detail = 'commitSha: must be 40 (SHA-1) or 64 (SHA-256) lowercase hexadecimal digits';
  end if;
  if create_execution.pull_request_number is not null and create_execution.pull_request_number < 1 then
    raise exception 'Invalid pull request number %', create_execution.pull_request_number using errcode = 'FL204',
      detail = 'pullRequestNumber: must be 1 or more';
  end if;
  if create_execution.trigger_metadata is null or pg_catalog.jsonb_typeof(create_execution.trigger_metadata) <> 'object'
     or pg_catalog.octet_length(create_execution.trigger_metadata::text) > 16384 then
    raise exception 'Invalid trigger metadata' using errcode = 'FL204',
      detail = 'triggerMetadata: must be a JSON object of at most 16 KiB';
  end if;

  perform app_private.lock_pipeline_runs(v_org, (create_execution.pipeline).repository_id);
  -- The time is read under the lock, so a repository's executions are created
  -- (and queued, started, superseded) in the order they are admitted.
  v_at := coalesce(create_execution.at, pg_catalog.clock_timestamp());

  if (create_execution.pipeline).concurrency_group is not null then
    v_group := pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
      (create_execution.pipeline).concurrency_group,
      '{branch}', v_branch), '{event}', create_execution.event),
      '{pipeline}', (create_execution.pipeline).name),
      '{pull_request}', coalesce(create_execution.pull_request_number::text, ''));
  end if;

  insert into app_public.pipeline_executions (
    organization_id, id, created_at, pipeline_id, repository_id, run_id, attempt, previous_attempt_id,
    event, branch, commit_sha, pull_request_number, actor_id, trigger_metadata,
    concurrency_group, deployment_environment, timeout_minutes)
  values (
    v_org, v_id, v_at, (create_execution.pipeline).id, (create_execution.pipeline).repository_id,
    coalesce((create_execution.previous).run_id, v_id),
    coalesce((create_execution.previous).attempt + 1, 1),
    (create_execution.previous).id,
    create_execution.event, v_branch, create_execution.commit_sha, create_execution.pull_request_number,
    create_execution.actor_id, create_execution.trigger_metadata, v_group,
    case when create_execution.previous is null
         then (create_execution.pipeline).definition -> 'deployment' ->> 'environment'
         else (create_execution.previous).deployment_environment end,
    case when create_execution.previous is null
         then coalesce(((create_execution.pipeline).definition ->> 'timeout_minutes')::integer, 360)
         else (create_execution.previous).timeout_minutes end)
  returning * into v_exec;

  if create_execution.previous is null then
    insert into app_public.pipeline_steps (
      organization_id, execution_id, execution_created_at, name, job, "position", needs,
      max_attempts, timeout_minutes, continue_on_error, spec)
    select v_org, v_exec.id, v_exec.created_at, d.name, d.job, d.position, d.needs,
           d.max_attempts, d.timeout_minutes, d.continue_on_error, d.spec
      from app_hidden.pipeline_definition_steps((create_execution.pipeline).definition) d;
  else
    -- A re-run repeats the previous attempt's steps (the definition it ran with).
    -- failed_only: the steps that did not succeed and every step after them run
    -- again; the others are kept as they ended, marked reused.
    if create_execution.failed_only then
      with recursive again (name) as (
        select s.name from app_public.pipeline_steps s
         where s.organization_id = v_org and s.execution_id = (create_execution.previous).id
           and s.execution_created_at = (create_execution.previous).created_at
           and not app_hidden.pipeline_need_met(s.status, s.conclusion, s.continue_on_error)
        union
        select s.name from app_public.pipeline_steps s join again a on a.name = any (s.needs)
         where s.organization_id = v_org and s.execution_id = (create_execution.previous).id
           and s.execution_created_at = (create_execution.previous).created_at
      )
      select pg_catalog.array_agg(a.name) into v_rerun from again a;
    end if;
    insert into app_public.pipeline_steps (
      organization_id, execution_id, execution_created_at, name, job, "position", needs,
      max_attempts, timeout_minutes, continue_on_error, spec,
      status, conclusion, started_at, completed_at, exit_code, metrics, reused)
    select v_org, v_exec.id, v_exec.created_at, s.name, s.job, s.position, s.needs,
           s.max_attempts, s.timeout_minutes, s.continue_on_error, s.spec,
           k.status, k.conclusion, k.started_at, k.completed_at, k.exit_code, k.metrics, k.reused
      from app_public.pipeline_steps s
     cross join lateral (
       select case when keep then s.status else 'queued' end as status,
              case when keep then s.conclusion end as conclusion,
              case when keep then s.started_at end as started_at,
              case when keep then s.completed_at end as completed_at,
              case when keep then s.exit_code end as exit_code,
              case when keep then s.metrics else '{}'::jsonb end as metrics,
              keep as reused
         from (select create_execution.failed_only and not s.name = any (coalesce(v_rerun, '{}')) as keep) x
     ) k
     where s.organization_id = v_org and s.execution_id = (create_execution.previous).id
       and s.execution_created_at = (create_execution.previous).created_at;
  end if;

  perform app_private.admit_execution(v_exec, (create_execution.pipeline).cancel_in_progress, v_at);
  select * into v_exec from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = v_exec.id and e.created_at = v_exec.created_at;
  return v_exec;
end;
$$;
comment on function app_private.create_execution(app_public.pipelines, text, text, text, integer, jsonb, uuid, timestamptz, app_public.pipeline_executions, boolean) is
  E'Creates an execution with its steps (from the definition, or for a re-run from the previous attempt), applies its concurrency group and dispatches; validates the trigger fields (FL204).';

create or replace function app_public.start_execution(
  pipeline_id uuid,
  event text default 'manual',
  branch text default null,
  commit_sha text default null,
  pull_request_number integer default null,
  trigger_metadata jsonb default '{}'
) returns app_public.pipeline_executions
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: executions have no insert grant; this is where runs begin.
declare
  v_pipeline app_public.pipelines;
begin
  perform app_private.require_role('member');
  select * into v_pipeline from app_public.pipelines p
   where p.organization_id = app_public.current_org_id() and p.id = start_execution.pipeline_id;
  if not found then
    raise exception 'No such pipeline in this organization' using errcode = 'FL003';
  end if;
  if v_pipeline.status = 'disabled' then
    raise exception 'The pipeline "%" is disabled', v_pipeline.name using errcode = 'FL203',
      hint = 'Enable it (updatePipeline with status: ACTIVE) first.';
  end if;
  return app_private.create_execution(
    v_pipeline, start_execution.event, start_execution.branch, start_execution.commit_sha,
    start_execution.pull_request_number, start_execution.trigger_metadata,
    app_public.current_user_id(), null);
end;
$$;
comment on function app_public.start_execution(uuid, text, text, text, integer, jsonb) is
  E'@resultFieldName execution\nStarts a run of a pipeline (members): it begins at once if the pipeline''s concurrency limit and group allow, otherwise it is `QUEUED` or `WAITING` and starts when a slot frees. `event` is what triggered it (default `manual`), `branch` defaults to the repository''s default branch.';

create or replace function app_private.lock_execution(execution_id uuid)
  returns app_public.pipeline_executions
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org constant uuid := app_public.current_org_id();
  v_repository uuid;
  v_exec app_public.pipeline_executions;
begin
  select e.repository_id into v_repository from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = lock_execution.execution_id;
  if not found then
    raise exception 'No such execution in this organization' using errcode = 'FL003';
  end if;
  perform app_private.lock_pipeline_runs(v_org, v_repository);
  select * into v_exec from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = lock_execution.execution_id;
  return v_exec;
end;
$$;
comment on function app_private.lock_execution(uuid) is
  E'Finds an execution of the current organization (FL003), takes its repository''s run lock and returns it as it is under the lock.';

create or replace function app_public.cancel_execution(execution_id uuid, reason text default null)
  returns app_public.pipeline_executions
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: executions have no update grant; status changes go through these functions.
declare
  v_exec app_public.pipeline_executions;
begin
  perform app_private.require_role('member');
  if pg_catalog.length(cancel_execution.reason) > 500 then
    raise exception 'A reason is at most 500 characters' using errcode = 'FL204', detail = 'reason: at most 500 characters';
  end if;
  v_exec := app_private.lock_execution(cancel_execution.execution_id);
  if v_exec.status = 'completed' then
    raise exception 'The execution is already completed (%)', v_exec.conclusion using errcode = 'FL202',
      detail = 'COMPLETED → COMPLETED';
  end if;
  perform app_private.end_execution(v_exec.organization_id, v_exec.id, v_exec.created_at,
    'cancelled', 'cancelled', 'cancelled', pg_catalog.clock_timestamp(),
    coalesce(cancel_execution.reason, 'cancelled by a user'));
  perform app_private.dispatch_executions(v_exec.organization_id, v_exec.repository_id, pg_catalog.clock_timestamp());
  select * into v_exec from app_public.pipeline_executions e
   where e.organization_id = v_exec.organization_id and e.id = v_exec.id and e.created_at = v_exec.created_at;
  return v_exec;
end;
$$;
comment on function app_public.cancel_execution(uuid, text) is
  E'@resultFieldName execution\nCancels an unfinished execution (members): it and its unfinished steps end `CANCELLED`, and the next queued execution may start.';

create or replace function app_private.derived_conclusion(org uuid, execution_id uuid, execution_created_at timestamptz)
  returns app_public.pipeline_conclusion
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select case
           when pg_catalog.bool_or(s.conclusion in ('failure', 'timed_out') and not s.continue_on_error) then 'failure'
           when pg_catalog.bool_or(s.conclusion = 'cancelled') then 'cancelled'
           when pg_catalog.bool_and(s.conclusion = 'skipped') then 'skipped'
           else 'success'
         end::app_public.pipeline_conclusion
    from app_public.pipeline_steps s
   where s.organization_id = derived_conclusion.org and s.execution_id = derived_conclusion.execution_id
     and s.execution_created_at = derived_conclusion.execution_created_at;
$$;
comment on function app_private.derived_conclusion(uuid, uuid, timestamptz) is
  E'An execution''s conclusion from its steps: failure if a step failed or timed out (without continue_on_error), else cancelled if one was, skipped if all were, else success.';

create or replace function app_public.complete_execution(
  execution_id uuid,
  conclusion app_public.pipeline_conclusion default null
) returns app_public.pipeline_executions
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: executions have no update grant; status changes go through these functions.
declare
  v_exec app_public.pipeline_executions;
begin
  perform app_private.require_role('member');
  v_exec := app_private.lock_execution(complete_execution.execution_id);
  if v_exec.status <> 'in_progress' then
    raise exception 'Only a running execution can be completed; this one is %', v_exec.status
      using errcode = 'FL202',
            detail = pg_catalog.format('%s → COMPLETED', pg_catalog.upper(v_exec.status::text)),
            hint = case when v_exec.status = 'completed' then 'Re-run it instead (rerunExecution).'
                        else 'Cancel it instead (cancelExecution).' end;
  end if;
  perform app_private.end_execution(v_exec.organization_id, v_exec.id, v_exec.created_at,
    complete_execution.conclusion, 'cancelled', 'skipped', pg_catalog.clock_timestamp(), 'completed by a user');
  perform app_private.dispatch_executions(v_exec.organization_id, v_exec.repository_id, pg_catalog.clock_timestamp());
  select * into v_exec from app_public.pipeline_executions e
   where e.organization_id = v_exec.organization_id and e.id = v_exec.id and e.created_at = v_exec.created_at;
  return v_exec;
end;
$$;
comment on function app_public.complete_execution(uuid, app_public.pipeline_conclusion) is
  E'@resultFieldName execution\nCompletes a running execution (members), with the given conclusion or one derived from its steps; running steps end `CANCELLED` and steps not started end `SKIPPED`. An execution also completes by itself when its last step does.';

create or replace function app_public.rerun_execution(execution_id uuid, failed_only boolean default false)
  returns app_public.pipeline_executions
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: executions have no insert grant; a re-run is a new execution.
declare
  v_prev app_public.pipeline_executions;
  v_pipeline app_public.pipelines;
  v_latest app_public.pipeline_executions;
begin
  perform app_private.require_role('member');
  v_prev := app_private.lock_execution(rerun_execution.execution_id);
  if v_prev.status <> 'completed' then
    raise exception 'Only a completed execution can be re-run; this one is %', v_prev.status
      using errcode = 'FL207', hint = 'Wait for it to finish, or cancel it first.';
  end if;
  select * into v_latest from app_public.pipeline_executions e
   where e.organization_id = v_prev.organization_id and e.run_id = v_prev.run_id
   order by e.attempt desc limit 1;
  if v_latest.id <> v_prev.id then
    raise exception 'Attempt % of this run exists already: re-run the latest attempt', v_latest.attempt
      using errcode = 'FL207', detail = v_latest.id::text;
  end if;
  if v_prev.attempt >= 100 then
    raise exception 'A run has at most 100 attempts' using errcode = 'FL207';
  end if;
  if rerun_execution.failed_only and not exists (
       select 1 from app_public.pipeline_steps s
        where s.organization_id = v_prev.organization_id and s.execution_id = v_prev.id
          and s.execution_created_at = v_prev.created_at
          and not app_hidden.pipeline_need_met(s.status, s.conclusion, s.continue_on_error)) then
    raise exception 'No step of this execution failed' using errcode = 'FL207',
      hint = 'Re-run all steps instead (failedOnly: false).';
  end if;
  select * into v_pipeline from app_public.pipelines p
   where p.organization_id = v_prev.organization_id and p.id = v_prev.pipeline_id;
  if v_pipeline.status = 'disabled' then
    raise exception 'The pipeline "%" is disabled', v_pipeline.name using errcode = 'FL203',
      hint = 'Enable it (updatePipeline with status: ACTIVE) first.';
  end if;
  return app_private.create_execution(
    v_pipeline, v_prev.event, v_prev.branch, v_prev.commit_sha, v_prev.pull_request_number,
    v_prev.trigger_metadata, app_public.current_user_id(), null, v_prev, rerun_execution.failed_only);
end;
$$;
comment on function app_public.rerun_execution(uuid, boolean) is
  E'@resultFieldName execution\nRe-runs a completed execution (members, the latest attempt of its run) as a new execution with the next `attempt`, linked by `previousAttemptId`. `failedOnly`: steps that succeeded are kept (`reused`), the others and every step after them run again.';
--! EndIncluded pipelines/executions.sql
--! Included pipelines/timeouts.sql
/*
 * time_out_pipelines(at): a running execution past its own timeout ends
 * timed_out with its running steps timed out and the rest skipped, and a
 * running step past its timeout_at ends timed_out (retried if its policy
 * allows, else what needs it is skipped); the freed slots go to the queued executions. A step
 * of maintenance (app_private.maintenance_steps), so run_maintenance runs it
 * every minute; `at` is the clock, passed by tests. Each repository is handled
 * under its run lock, and what is found is checked again under it: a runner
 * completing the step at the same moment wins or loses cleanly.
 */
create or replace function app_private.time_out_pipelines(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_repo record;
  v_step app_public.pipeline_steps;
  v_exec record;
  v_steps integer;
  v_execs integer;
begin
  for v_repo in
    select distinct x.organization_id, x.repository_id from (
      select e.organization_id, e.repository_id
        from app_public.pipeline_steps s
        join app_public.pipeline_executions e
          on e.organization_id = s.organization_id and e.id = s.execution_id and e.created_at = s.execution_created_at
       where s.status = 'in_progress' and s.timeout_at <= time_out_pipelines.at
      union all
      select e.organization_id, e.repository_id
        from app_public.pipeline_executions e
       where e.status = 'in_progress' and e.timeout_at <= time_out_pipelines.at) x
  loop
    perform app_private.lock_pipeline_runs(v_repo.organization_id, v_repo.repository_id);
    v_steps := 0;
    v_execs := 0;
    -- Executions first: a run past its own timeout ends with its running steps
    -- timed out (not retried); then the steps of the runs that go on.
    for v_exec in
      select e.id, e.created_at, e.timeout_minutes from app_public.pipeline_executions e
       where e.organization_id = v_repo.organization_id and e.repository_id = v_repo.repository_id
         and e.status = 'in_progress' and e.timeout_at <= time_out_pipelines.at
    loop
      perform app_private.end_execution(v_repo.organization_id, v_exec.id, v_exec.created_at,
        'timed_out', 'timed_out', 'skipped', time_out_pipelines.at,
        pg_catalog.format('timed out after %s minutes', v_exec.timeout_minutes));
      v_execs := v_execs + 1;
    end loop;
    for v_step in
      select s.* from app_public.pipeline_steps s
        join app_public.pipeline_executions e
          on e.organization_id = s.organization_id and e.id = s.execution_id and e.created_at = s.execution_created_at
       where s.organization_id = v_repo.organization_id and e.repository_id = v_repo.repository_id
         and s.status = 'in_progress' and s.timeout_at <= time_out_pipelines.at
       order by s.timeout_at
    loop
      perform app_private.finish_step(v_step, 'timed_out', null, null,
        pg_catalog.jsonb_build_object('message', pg_catalog.format('timed out after %s minutes', v_step.timeout_minutes)),
        time_out_pipelines.at);
      v_steps := v_steps + 1;
    end loop;
    perform app_private.dispatch_executions(v_repo.organization_id, v_repo.repository_id, time_out_pipelines.at);
    if v_steps + v_execs > 0 then
      return next pg_catalog.format('timed out %s steps and %s executions in repository %s',
                                    v_steps, v_execs, v_repo.repository_id);
    end if;
  end loop;
end;
$$;
comment on function app_private.time_out_pipelines(timestamptz) is
  E'Ends running steps and executions past their timeout as timed_out, then starts what the freed slots allow; returns one line per repository.';
--! EndIncluded pipelines/timeouts.sql
--! Included pipelines/stats.sql
/*
 * pipeline_stats(pipeline, since): runs, success rate and the p50/p95 of run
 * and queue time of a pipeline's executions completed since `since`, per branch
 * and (branch null) for all of them. The success rate counts what ran to a
 * verdict: success / (success + failure + timed_out); cancelled, skipped and
 * neutral runs are counted in `runs` but not in the rate.
 *
 * Exact, and fast as history grows: executions are partitioned by month, so
 * `since` prunes whole months, and within a month the index
 * (organization_id, pipeline_id, created_at) includes every column read here, so
 * a 90-day window is an index-only scan of that pipeline's rows in 3–4
 * partitions. (An execution counts by when it was created.) Invoker: RLS decides.
 */
create or replace function app_public.pipeline_stats(
  pipeline_id uuid,
  since timestamptz default pg_catalog.now() - interval '30 days'
) returns setof app_public.pipeline_branch_stats
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select e.branch,
         pg_catalog.count(*)::integer,
         pg_catalog.count(*) filter (where e.conclusion = 'success')::integer,
         pg_catalog.count(*) filter (where e.conclusion in ('failure', 'timed_out'))::integer,
         case when pg_catalog.count(*) filter (where e.conclusion in ('success', 'failure', 'timed_out')) > 0
              then (pg_catalog.count(*) filter (where e.conclusion = 'success'))::double precision
                   / pg_catalog.count(*) filter (where e.conclusion in ('success', 'failure', 'timed_out')) end,
         pg_catalog.round(pg_catalog.percentile_cont(0.5) within group (order by e.run_duration_ms))::bigint,
         pg_catalog.round(pg_catalog.percentile_cont(0.95) within group (order by e.run_duration_ms))::bigint,
         pg_catalog.round(pg_catalog.percentile_cont(0.5) within group (order by e.queued_duration_ms))::bigint,
         pg_catalog.round(pg_catalog.percentile_cont(0.95) within group (order by e.queued_duration_ms))::bigint
    from app_public.pipeline_executions e
   where e.organization_id = app_public.current_org_id()
     and e.pipeline_id = pipeline_stats.pipeline_id
     and e.created_at >= pipeline_stats.since
     and e.status = 'completed'
   group by grouping sets ((e.branch), ())
   order by e.branch nulls first;
$$;
comment on function app_public.pipeline_stats(uuid, timestamptz) is
  E'Runs, success rate and p50/p95 run and queue times (ms) of a pipeline''s executions completed since `since` (default 30 days ago), per branch; the row with `branch: null` is all branches together.';
--! EndIncluded pipelines/stats.sql
--! Included pipelines/artifacts.sql
/*
 * Artifacts (issue #9 §3): a row per stored object, registered by a runner with
 * add_artifact(), which also decides where the object goes (storage_key:
 * `<organization>/<execution>/<artifact>`, only ids, so a name can never steer
 * a path). An artifact expires `artifact_retention_days` (an organization
 * setting, default 90) after it was added.
 *
 * The object is deleted after its row, by the worker task
 * `pipeline_artifacts__delete`, enqueued in the same transaction that deletes
 * the row (statement trigger _900_delete_objects, every path: expiry, a user's
 * delete, a cascade from its execution, pipeline, repository or organization).
 * So a row never points at a deleted object, and an object whose row is gone
 * always has a job that will delete it, retried until it does: a crash between
 * the two leaves the job, not the object. Partitions dropped by retention hand
 * their remaining rows to the same task first (pipeline_artifacts__before_drop).
 */
create or replace function app_private.artifact_retention_days(org uuid) returns integer
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select coalesce((select (o.settings ->> 'artifact_retention_days')::integer
                     from app_public.organizations o where o.id = artifact_retention_days.org), 90);
$$;
comment on function app_private.artifact_retention_days(uuid) is
  E'How many days an organization keeps pipeline artifacts: settings.artifact_retention_days, default 90.';

create or replace function app_public.add_artifact(
  step_id uuid,
  name text,
  size_bytes bigint,
  content_type text default 'application/octet-stream',
  checksum text default null
) returns app_public.pipeline_artifacts
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: artifacts have no insert grant; the storage key and expiry are the database's.
declare
  v_step app_public.pipeline_steps;
  v_id constant uuid := pg_catalog.gen_random_uuid();
  v_artifact app_public.pipeline_artifacts;
  v_at timestamptz;
begin
  perform app_private.require_role('member');
  if add_artifact.name is null or pg_catalog.length(add_artifact.name) not between 1 and 255
     or add_artifact.name ~ '[[:cntrl:]\\]' or add_artifact.name ~ '(^/|^\.\.?(/|$)|/\.\.?(/|$))' then
    raise exception 'Invalid artifact name "%"', add_artifact.name using errcode = 'FL204',
      detail = 'name: must be 1 to 255 characters, a relative path without control characters, backslashes, "." or ".." segments';
  end if;
  if add_artifact.size_bytes is null or add_artifact.size_bytes < 0 then
    raise exception 'Invalid artifact size' using errcode = 'FL204', detail = 'sizeBytes: must be 0 or more';
  end if;
  if add_artifact.content_type is null or add_artifact.content_type !~ '^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$' then
    raise exception 'Invalid content type "%"', add_artifact.content_type using errcode = 'FL204',
      detail = 'contentType: must be a media type like "application/zip"';
  end if;
  if add_artifact.checksum is not null and add_artifact.checksum !~ '^sha256:[0-9a-f]{64}$' then
    raise exception 'Invalid checksum' using errcode = 'FL204', detail = 'checksum: must be "sha256:" and 64 lowercase hexadecimal digits';
  end if;
  v_step := app_private.lock_step(add_artifact.step_id);
  if v_step.status <> 'in_progress' then
    raise exception 'The step "%" is %: artifacts are added while it runs', v_step.name, v_step.status
      using errcode = 'FL202', detail = pg_catalog.upper(v_step.status::text);
  end if;
  v_at := pg_catalog.clock_timestamp();
  insert into app_public.pipeline_artifacts (
    organization_id, id, execution_created_at, execution_id, step_id, name, size_bytes, content_type,
    checksum, storage_key, created_at, expires_at)
  values (
    v_step.organization_id, v_id, v_step.execution_created_at, v_step.execution_id, v_step.id,
    add_artifact.name, add_artifact.size_bytes, add_artifact.content_type, add_artifact.checksum,
    pg_catalog.format('%s/%s/%s', v_step.organization_id, v_step.execution_id, v_id), v_at,
    v_at + pg_catalog.make_interval(days => app_private.artifact_retention_days(v_step.organization_id)))
  returning * into v_artifact;
  return v_artifact;
end;
$$;
comment on function app_public.add_artifact(uuid, text, bigint, text, text) is
  E'@resultFieldName artifact\nRegisters an artifact of a running step (members, e.g. a runner) and returns where to store it (`storageKey`); it expires after the organization''s `artifact_retention_days` (default 90). A name is unique per execution.';

create or replace function app_private.artifact_deletion_jobs(artifacts jsonb)
  returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform graphile_worker.add_jobs(array(
    select row(
             'pipeline_artifacts__delete',
             pg_catalog.json_build_object('orgId', a ->> 'organization_id', 'artifactId', a ->> 'id',
                                          'storageKey', a ->> 'storage_key'),
             null, null, 25, 'pipeline_artifacts__delete:' || (a ->> 'id'), null, null
           )::graphile_worker.job_spec
      from pg_catalog.jsonb_array_elements(artifact_deletion_jobs.artifacts) a));
end;
$$;
comment on function app_private.artifact_deletion_jobs(jsonb) is
  E'Enqueues one pipeline_artifacts__delete job per artifact (a JSON array of rows with organization_id, id, storage_key).';

create or replace function app_private.tg_pipeline_artifacts__delete_objects() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the visitor (an admin deleting an artifact) has no rights on graphile_worker's schema.
begin
  perform app_private.artifact_deletion_jobs(
    (select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
              'organization_id', o.organization_id, 'id', o.id, 'storage_key', o.storage_key))
       from old_rows o));
  return null;
end;
$$;
comment on function app_private.tg_pipeline_artifacts__delete_objects() is
  E'Trigger function: after artifacts are deleted (one statement, any number of rows), enqueues the deletion of their stored objects.';

create or replace function app_private.pipeline_artifacts__before_drop(part regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_rows jsonb;
begin
  execute pg_catalog.format(
    'select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''organization_id'', a.organization_id, ''id'', a.id, ''storage_key'', a.storage_key)) from %s a',
    pipeline_artifacts__before_drop.part)
    into v_rows;
  if v_rows is not null then
    perform app_private.artifact_deletion_jobs(v_rows);
  end if;
end;
$$;
comment on function app_private.pipeline_artifacts__before_drop(regclass) is
  E'Retention hook: before a month of artifacts is dropped, enqueues the deletion of the objects its rows still point at.';

create or replace function app_private.expire_pipeline_artifacts(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_count integer;
begin
  -- At most 10,000 per run (maintenance runs every minute): a backlog drains
  -- over a few runs instead of holding one long transaction.
  with expired as (
    select a.organization_id, a.id, a.execution_created_at
      from app_public.pipeline_artifacts a
     where a.expires_at <= expire_pipeline_artifacts.at
     order by a.expires_at
     limit 10000
  ), gone as (
    delete from app_public.pipeline_artifacts a
     using expired x
     where a.organization_id = x.organization_id and a.id = x.id
       and a.execution_created_at = x.execution_created_at
    returning 1
  )
  select pg_catalog.count(*) into v_count from gone;
  if v_count > 0 then
    return next pg_catalog.format('expired %s pipeline artifacts', v_count);
  end if;
end;
$$;
comment on function app_private.expire_pipeline_artifacts(timestamptz) is
  E'Deletes (up to 10,000) artifacts whose expires_at has passed; their objects are then deleted by the worker. Returns what it did.';
--! EndIncluded pipelines/artifacts.sql
create trigger _900_delete_objects
  after delete on app_public.pipeline_artifacts
  referencing old table as old_rows
  for each statement execute function app_private.tg_pipeline_artifacts__delete_objects();
--! Included pipelines/notify.sql
/*
 * Live status (issue #9 §5): after each statement that inserts or updates
 * executions or steps, one notification per organization on the channel
 * `pipelines:<organization id>`, its payload the ids of the executions the
 * statement touched, `{"executions": ["…", …]}` (in chunks of 100, well under
 * NOTIFY's 8000 bytes) — one per statement, not per row, and delivered only when
 * the transaction commits. The API's subscriptions listen on the channel of the
 * subscriber's own organization (from the verified token, never from the
 * query's arguments) and re-read the execution under the subscriber's RLS.
 */
create or replace function app_private.tg_pipeline_executions__notify() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_notify('pipelines:' || c.organization_id::text,
                               pg_catalog.json_build_object('executions', c.ids)::text)
     from (select x.organization_id, pg_catalog.array_agg(x.id order by x.id) as ids
             from (select n.organization_id, n.id,
                          (pg_catalog.row_number() over (partition by n.organization_id order by n.id) - 1) / 100 as chunk
                     from (select distinct r.organization_id, r.id from new_rows r) n) x
            group by x.organization_id, x.chunk) c;
  return null;
end;
$$;
comment on function app_private.tg_pipeline_executions__notify() is
  E'Trigger function: one NOTIFY per organization and statement with the ids of the executions it changed.';

create or replace function app_private.tg_pipeline_steps__notify() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_notify('pipelines:' || c.organization_id::text,
                               pg_catalog.json_build_object('executions', c.ids)::text)
     from (select x.organization_id, pg_catalog.array_agg(x.execution_id order by x.execution_id) as ids
             from (select n.organization_id, n.execution_id,
                          (pg_catalog.row_number() over (partition by n.organization_id order by n.execution_id) - 1) / 100 as chunk
                     from (select distinct r.organization_id, r.execution_id from new_rows r) n) x
            group by x.organization_id, x.chunk) c;
  return null;
end;
$$;
comment on function app_private.tg_pipeline_steps__notify() is
  E'Trigger function: one NOTIFY per organization and statement with the ids of the executions whose steps it changed.';
--! EndIncluded pipelines/notify.sql
create trigger _900_notify_insert
  after insert on app_public.pipeline_executions
  referencing new table as new_rows
  for each statement execute function app_private.tg_pipeline_executions__notify();
create trigger _900_notify_update
  after update on app_public.pipeline_executions
  referencing new table as new_rows
  for each statement execute function app_private.tg_pipeline_executions__notify();
create trigger _900_notify_insert
  after insert on app_public.pipeline_steps
  referencing new table as new_rows
  for each statement execute function app_private.tg_pipeline_steps__notify();
create trigger _900_notify_update
  after update on app_public.pipeline_steps
  referencing new table as new_rows
  for each statement execute function app_private.tg_pipeline_steps__notify();

-------------------------------------------------------------------------------
-- Partitions (a month of executions and everything of theirs together), and
-- the module's maintenance steps
-------------------------------------------------------------------------------
insert into app_private.partitioned_tables (table_name, retention, premake, drop_order, before_drop) values
  ('app_public.pipeline_step_logs', interval '1 year', 3, 10, null),
  ('app_public.pipeline_artifacts', interval '1 year', 3, 20,
   'app_private.pipeline_artifacts__before_drop(regclass)'),
  ('app_public.pipeline_steps', interval '1 year', 3, 30, null),
  ('app_public.pipeline_executions', interval '1 year', 3, 40, null);
select app_private.maintain_partitions();
insert into app_private.maintenance_steps (name, fn, position) values
  ('pipeline_timeouts', 'app_private.time_out_pipelines(timestamptz)', 100),
  ('pipeline_artifact_expiry', 'app_private.expire_pipeline_artifacts(timestamptz)', 200);
