/*
 * task_status_allows(from, to): the task status machine, kept as data in
 * app_public.task_status_transitions so clients can show the allowed next
 * statuses (`taskStatusTransitions`) and the trigger that enforces it
 * (tg_tasks__validate) reads the same rows. Staying in a status is always
 * allowed.
 */
create or replace function app_hidden.task_status_allows(
  from_status app_public.task_status,
  to_status app_public.task_status
) returns boolean
  language sql stable parallel safe
as $$
  select task_status_allows.from_status = task_status_allows.to_status
      or exists (select 1 from app_public.task_status_transitions s
                  where s.from_status = task_status_allows.from_status
                    and s.to_status = task_status_allows.to_status);
$$;
comment on function app_hidden.task_status_allows(app_public.task_status, app_public.task_status) is
  E'Whether a task may go from one status to another (app_public.task_status_transitions).';
