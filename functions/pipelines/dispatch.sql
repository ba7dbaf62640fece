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
 *
 * Dispatch runs after every completed execution and every start, so it is
 * cheap when there is nothing to do: it reads what runs only once it has found
 * an execution that waits (pipeline_executions_pending_idx holds just those),
 * and a repository with many runs and nothing queued costs one index probe per
 * month. lock_pipeline_runs is language sql without a SET clause, so it is
 * inlined into its callers' cached plans.
 */
create or replace function app_private.lock_pipeline_runs(org uuid, repository_id uuid) returns void
  language sql volatile
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
  v_running jsonb;  -- running executions per pipeline; null until something waits
  v_groups text[];  -- the concurrency groups that have a running execution
  v_e record;
  v_next app_public.pipeline_run_status;
  v_started integer := 0;
begin
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
    if v_running is null then
      -- Something waits: what runs now (nothing else changes it under the run lock).
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
    end if;
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
