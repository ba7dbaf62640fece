/*
 * Computed fields of a task: its identifier (`ENG-42`: the project's key and the
 * task's number in the project) and its rollup over the whole subtree (from the
 * closure table): children and descendants, descendants by status, and the
 * estimated and actual effort of the task and everything below it.
 */
create or replace function app_public.tasks_identifier(t app_public.tasks) returns text
  language sql stable
as $$
  select p.key || '-' || t.number from app_public.projects p
   where p.organization_id = t.organization_id and p.id = t.project_id;
$$;
comment on function app_public.tasks_identifier(app_public.tasks) is
  E'The task''s human identifier: its project''s key and its number, like ENG-42.';

create or replace function app_public.tasks_rollup(t app_public.tasks) returns app_public.task_rollup
  language sql stable
as $$
  select (pg_catalog.count(*) filter (where p.depth = 1))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'backlog'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'todo'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'in_progress'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'in_review'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'done'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'cancelled'))::integer,
         coalesce(pg_catalog.sum(d.estimated_effort), 0),
         coalesce(pg_catalog.sum(d.actual_effort), 0)
    from app_public.task_hierarchy_paths p
    join app_public.tasks d on d.organization_id = p.organization_id and d.id = p.descendant_id
   where p.organization_id = t.organization_id and p.ancestor_id = t.id;
$$;
comment on function app_public.tasks_rollup(app_public.tasks) is
  E'The task''s subtree at a glance: how many children and descendants, descendants by status, and the effort of the task and everything below it.';
