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
 *
 * A start copies the steps its pipeline's definition expands to, expanded once
 * when the pipeline was saved (pipelines.definition_steps, definition.sql)
 * rather than at each start. An execution is found by its id alone once
 * (lock_execution: an index probe per month's partition); what follows names
 * its partition key. derived_conclusion is plpgsql so that its query's plan is
 * kept per session (a language sql function with a SET clause is planned again
 * at every call: 2–3 ms a completed execution, against ~0.1 ms). The public
 * functions run with plan_cache_mode = force_generic_plan, for the reason
 * steps.sql gives: their statements name the partition key as a parameter.
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
    -- The definition's steps as expanded when the pipeline was saved.
    insert into app_public.pipeline_steps (
      organization_id, execution_id, execution_created_at, name, job, "position", needs,
      max_attempts, timeout_minutes, continue_on_error, spec)
    select v_org, v_exec.id, v_exec.created_at, d.name, d.job, d.position, d.needs,
           d.max_attempts, d.timeout_minutes, d.continue_on_error, d.spec
      from pg_catalog.jsonb_to_recordset((create_execution.pipeline).definition_steps)
           as d(name text, job text, "position" integer, needs text[], max_attempts integer,
                timeout_minutes integer, continue_on_error boolean, spec jsonb);
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
  set plan_cache_mode = force_generic_plan  -- see the top of this file
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
  v_month timestamptz;
  v_exec app_public.pipeline_executions;
begin
  -- By id alone: an index probe in each month's partition, once; the read under
  -- the lock goes to the month it found.
  select e.repository_id, e.created_at into v_repository, v_month from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = lock_execution.execution_id;
  if not found then
    raise exception 'No such execution in this organization' using errcode = 'FL003';
  end if;
  perform app_private.lock_pipeline_runs(v_org, v_repository);
  select * into v_exec from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = lock_execution.execution_id and e.created_at = v_month;
  if not found then  -- deleted while we waited
    raise exception 'No such execution in this organization' using errcode = 'FL003';
  end if;
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
  set plan_cache_mode = force_generic_plan  -- see the top of this file
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
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
begin
  -- plpgsql, not language sql: its plan is kept for the session (see the top of this file).
  return (
    select case
             when pg_catalog.bool_or(s.conclusion in ('failure', 'timed_out') and not s.continue_on_error) then 'failure'
             when pg_catalog.bool_or(s.conclusion = 'cancelled') then 'cancelled'
             when pg_catalog.bool_and(s.conclusion = 'skipped') then 'skipped'
             else 'success'
           end::app_public.pipeline_conclusion
      from app_public.pipeline_steps s
     where s.organization_id = derived_conclusion.org and s.execution_id = derived_conclusion.execution_id
       and s.execution_created_at = derived_conclusion.execution_created_at);
end;
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
  set plan_cache_mode = force_generic_plan  -- see the top of this file
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
  set plan_cache_mode = force_generic_plan  -- see the top of this file
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
