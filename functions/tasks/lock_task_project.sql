/*
 * lock_task_project(organization, project, for_insert): the status of the
 * project a task or dependency write touches, read under a lock on the
 * project's row, so that archiving a project and writing its tasks are
 * serialised and FL102 holds under concurrent transactions:
 *
 *   - changes and deletes lock the row FOR KEY SHARE, which no write of the
 *     project conflicts with but archiving: tg_projects__validate takes the
 *     archiving update's lock up to FOR UPDATE. An archiving then waits for the
 *     task writes in flight, and a task write that comes after it waits for the
 *     archiving to commit and reads `archived`;
 *   - inserts lock it FOR NO KEY UPDATE, the lock tg_tasks__number takes anyway
 *     to count the task: KEY SHARE first and that lock second would deadlock
 *     with an archiving that came in between.
 *
 * Null when the project or its organization is gone: deleted earlier in this
 * transaction (a cascade is deleting its tasks), or never there (the foreign
 * key refuses that). Callers are the tasks' and dependencies' validation
 * triggers, definers (the row lock needs no policy then); the visitor cannot
 * call it.
 * Works with: tg_tasks__validate, tg_task_dependencies__validate,
 * tg_projects__validate, tg_tasks__number.
 */
create or replace function app_private.lock_task_project(
  organization_id uuid,
  project_id uuid,
  for_insert boolean default false
) returns app_public.project_status
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_status app_public.project_status;
begin
  if lock_task_project.for_insert then
    select p.status into v_status
      from app_public.projects p
     where p.organization_id = lock_task_project.organization_id
       and p.id = lock_task_project.project_id
       and exists (select 1 from app_public.organizations o where o.id = p.organization_id)
       for no key update of p;
  else
    select p.status into v_status
      from app_public.projects p
     where p.organization_id = lock_task_project.organization_id
       and p.id = lock_task_project.project_id
       and exists (select 1 from app_public.organizations o where o.id = p.organization_id)
       for key share of p;
  end if;
  return v_status;
end;
$$;
comment on function app_private.lock_task_project(uuid, uuid, boolean) is
  E'The status of a task''s project, its row locked against a concurrent archiving (null when the project or organization is gone).';
