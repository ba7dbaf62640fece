/*
 * The tree, read from the closure table (app_public.task_hierarchy_paths, kept
 * by tg_tasks__hierarchy): a task's ancestors nearest first, and its subtree in
 * depth order, optionally down to `max_depth` levels. Invokers: RLS decides what
 * the caller sees; the current organization in the lookup keeps the reads on
 * the (organization_id, descendant_id | ancestor_id, depth) indexes.
 */
create or replace function app_public.task_ancestors(task_id uuid)
  returns table (depth integer, task app_public.tasks)
  language sql stable
as $$
  select p.depth, t
    from app_public.task_hierarchy_paths p
    join app_public.tasks t on t.organization_id = p.organization_id and t.id = p.ancestor_id
   where p.organization_id = app_public.current_org_id()
     and p.descendant_id = task_ancestors.task_id and p.depth > 0
   order by p.depth;
$$;
comment on function app_public.task_ancestors(uuid) is
  E'The task''s ancestors, its parent first, each with its distance (1 = the parent).';

create or replace function app_public.task_descendants(task_id uuid, max_depth integer default null)
  returns table (depth integer, task app_public.tasks)
  language sql stable
as $$
  select p.depth, t
    from app_public.task_hierarchy_paths p
    join app_public.tasks t on t.organization_id = p.organization_id and t.id = p.descendant_id
   where p.organization_id = app_public.current_org_id()
     and p.ancestor_id = task_descendants.task_id and p.depth > 0
     and (task_descendants.max_depth is null or p.depth <= task_descendants.max_depth)
   order by p.depth, t.number;
$$;
comment on function app_public.task_descendants(uuid, integer) is
  E'The task''s subtree in depth order (1 = its children), down to `maxDepth` levels when given.';
