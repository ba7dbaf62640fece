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
 *
 * The hot path (a runner's startStep and completeStep, thousands a second):
 * the small helpers (pipeline_need_met, ready_steps) are language sql without a
 * SET clause, so the planner inlines them; those that read tables are plpgsql
 * (plans cached per session). A step is found by its id alone once, with one
 * index probe per month's partition (lock_step); every read and write after
 * that names its partition key (execution_created_at), so it touches one month.
 * The public functions run with plan_cache_mode = force_generic_plan: a cached
 * plan whose parameters include the partition key looks dearer than a plan made
 * for the values (which names one partition), so PostgreSQL would plan every
 * such statement again at every call (0.1–0.3 ms each); the generic plan prunes
 * to the month when it runs. Measured with pgbench, complete_step at 10 clients:
 * 630–890 calls/s against 490–760 with plans made per call.
 */
create or replace function app_hidden.pipeline_need_met(
  status app_public.pipeline_run_status,
  conclusion app_public.pipeline_conclusion,
  continue_on_error boolean
) returns boolean
  language sql immutable parallel safe
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
  v_execution uuid;
  v_month timestamptz;
  v_repository uuid;
  v_step app_public.pipeline_steps;
begin
  -- By id alone: an index probe in each month's partition, once. What it reads
  -- (the partition key) lets the reads after it go to one month.
  select s.execution_id, s.execution_created_at into v_execution, v_month
    from app_public.pipeline_steps s
   where s.organization_id = v_org and s.id = lock_step.step_id;
  if not found then
    raise exception 'No such step in this organization' using errcode = 'FL003';
  end if;
  select e.repository_id into v_repository from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = v_execution and e.created_at = v_month;
  perform app_private.lock_pipeline_runs(v_org, v_repository);
  -- Again under the lock: what the rule is about, as the last writer left it.
  select * into v_step from app_public.pipeline_steps s
   where s.organization_id = v_org and s.id = lock_step.step_id and s.execution_created_at = v_month;
  if not found then  -- deleted (with its execution) while we waited
    raise exception 'No such step in this organization' using errcode = 'FL003';
  end if;
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
  set plan_cache_mode = force_generic_plan  -- see the top of this file
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
  set plan_cache_mode = force_generic_plan  -- see the top of this file
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
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
begin
  -- plpgsql, not language sql: a sub-select is never inlined, and its plan is kept here.
  return coalesce((select l.step_log_bytes from app_private.pipeline_limits l
                    where l.organization_id = step_log_limit.org), 4194304);
end;
$$;
comment on function app_private.step_log_limit(uuid) is
  E'The most bytes of log a step of this organization may have: the operator''s override (app_private.pipeline_limits, `forgeline limits`), else 4 MiB.';

create or replace function app_public.append_step_log(step_id uuid, content text)
  returns app_public.pipeline_steps
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan  -- see the top of this file
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
