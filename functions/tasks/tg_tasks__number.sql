/*
 * tg_tasks__number: gives each new task the next number of its project, so it
 * has a human identifier (`ENG-42`, see tasks_identifier). The counter is the
 * project row's next_task_number, incremented under the row's lock (taken a
 * moment before by tg_tasks__validate, which reads the project's status under
 * it): concurrent inserts into one project wait for each other, so no number is
 * given twice, and since the counter only grows a number is never reused, even
 * after a delete. Inserts into different projects do not wait for each other.
 * Works with: app_public.tasks (_500_number), app_public.projects.next_task_number,
 * lock_task_project().
 */
create or replace function app_private.tg_tasks__number() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: next_task_number is outside the visitor's update grant; this is its only writer.
begin
  update app_public.projects p
     set next_task_number = p.next_task_number + 1
   where p.organization_id = new.organization_id and p.id = new.project_id
     and new.organization_id = app_public.current_org_id()
  returning p.next_task_number - 1 into new.number;
  if new.number is null then
    raise exception 'No such project in this organization' using errcode = 'FL003';
  end if;
  return new;
end;
$$;
comment on function app_private.tg_tasks__number() is
  E'Trigger function: numbers a new task within its project (never reused, safe under concurrent inserts).';
