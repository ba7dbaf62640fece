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
