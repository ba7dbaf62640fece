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
 *
 * pipeline_status_allows is an invoker without a SET clause, so the planner
 * inlines it into the trigger's expression (planned once per session); its
 * names need no search_path (pg_catalog's operators on enums and rows).
 */
create or replace function app_hidden.pipeline_status_allows(
  kind text,
  from_status app_public.pipeline_run_status,
  to_status app_public.pipeline_run_status
) returns boolean
  language sql immutable parallel safe
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
