/*
 * tg_tasks__hierarchy: keeps the closure table app_public.task_hierarchy_paths
 * equal to the transitive closure of tasks.parent_id (every ancestor/descendant
 * pair with its distance, each task its own ancestor at depth 0), by
 * statement-level triggers over transition tables, so a bulk insert is a few
 * set-based statements:
 *
 *   INSERT  the new tasks' paths: up the batch itself (a subtree inserted in one
 *           statement), then the existing paths above the batch's top tasks,
 *           each step an index probe, linear in the paths written;
 *   UPDATE OF parent_id (a move)  per moved task, in the order the rows come: the
 *           paths from its subtree to its old ancestors are removed and paths to
 *           the new parent's ancestors added (|subtree| × depth rows). A move
 *           under the task's own subtree is refused here (FL104), seeing every
 *           move of the statement;
 *   DELETE  the paths of deleted tasks (children go by the parent_id foreign key's
 *           cascade, which fires this trigger again for them).
 *
 * The reads these serve are indexed: (organization_id, ancestor_id, depth) for
 * subtrees and (organization_id, descendant_id, depth) for ancestors. Every
 * change of one project's tree (an insert under a parent, a move, the root
 * included, a delete) holds tg_tasks__validate's tree lock before this trigger
 * reads the closure table, so under READ COMMITTED each sees the change before
 * it: a move to the root racing an insert under the moved subtree cannot leave
 * a path to the old ancestors behind.
 * Works with: app_public.tasks (_210_hierarchy_* triggers), task_ancestors(),
 * task_descendants(), tasks_rollup().
 */
create or replace function app_private.tg_tasks__hierarchy() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  -- A recursive CTE's estimates grow tenfold per level, past jit_above_cost from a
  -- few hundred rows, and compiling the plan then cost 0.3–0.4 s, more than the
  -- work: these are short index-probe statements that JIT never pays off for.
  set jit = off
as $$
-- Definer: the closure table has no write grant; these triggers are its only writers.
declare
  v_move record;
begin
  if tg_op = 'INSERT' then
    -- Each new task's paths: up through its ancestors inserted by this statement
    -- (a subtree in one statement), by the tasks' primary key, then the stored
    -- paths of the first ancestor that was there before. "Was there before" is
    -- "has its own depth-0 path", an index probe: every stored task has one,
    -- and this statement's tasks get theirs only from this insert (a parent
    -- inserted by this statement has no stored paths yet, so the second part
    -- joins only the first ancestor that was there before).
    -- The transition table has no index and no statistics: joined with itself
    -- it was quadratic (#8), and joined with the tables the planner, guessing
    -- ten times its rows, hashed whole tables (every tenant's tasks and paths).
    -- So each step is a LATERAL probe (OFFSET 0 keeps it one: a nested loop of
    -- index lookups), linear in the paths written whatever the batch.
    insert into app_public.task_hierarchy_paths (organization_id, ancestor_id, descendant_id, depth)
    with recursive up (organization_id, descendant_id, ancestor_id, parent_id, depth) as (
      select n.organization_id, n.id, n.id, n.parent_id, 0 from new_rows n
      union all
      select up.organization_id, up.descendant_id, t.id, t.parent_id, up.depth + 1
        from up
       cross join lateral (
         select t.id, t.parent_id from app_public.tasks t
          where t.organization_id = up.organization_id and t.id = up.parent_id
            and not exists (select 1 from app_public.task_hierarchy_paths s
                             where s.organization_id = t.organization_id and s.descendant_id = t.id
                               and s.depth = 0)
         offset 0) t
       where up.parent_id is not null
    )
    select up.organization_id, up.ancestor_id, up.descendant_id, up.depth from up
    union all
    select up.organization_id, p.ancestor_id, up.descendant_id, up.depth + 1 + p.depth
      from up
     cross join lateral (
       select p.ancestor_id, p.depth from app_public.task_hierarchy_paths p
        where p.organization_id = up.organization_id and p.descendant_id = up.parent_id
       offset 0) p
     where up.parent_id is not null;
  elsif tg_op = 'UPDATE' then
    for v_move in
      select n.organization_id, n.id, n.parent_id
        from new_rows n
        join old_rows o on o.organization_id = n.organization_id and o.id = n.id
       where n.parent_id is distinct from o.parent_id
    loop
      if v_move.parent_id is not null and exists (
           select 1 from app_public.task_hierarchy_paths s
            where s.organization_id = v_move.organization_id
              and s.ancestor_id = v_move.id and s.descendant_id = v_move.parent_id) then
        raise exception 'A task cannot move under one of its own subtasks'
          using errcode = 'FL104', hint = 'Move the subtask out first, or pick another parent.';
      end if;
      -- Cut the subtree from its old ancestors…
      delete from app_public.task_hierarchy_paths p
       using app_public.task_hierarchy_paths sub, app_public.task_hierarchy_paths above
       where sub.organization_id = v_move.organization_id and sub.ancestor_id = v_move.id
         and above.organization_id = v_move.organization_id and above.descendant_id = v_move.id
         and above.ancestor_id <> v_move.id
         and p.organization_id = v_move.organization_id
         and p.ancestor_id = above.ancestor_id and p.descendant_id = sub.descendant_id;
      -- …and graft it under the new parent's.
      if v_move.parent_id is not null then
        insert into app_public.task_hierarchy_paths (organization_id, ancestor_id, descendant_id, depth)
        select v_move.organization_id, above.ancestor_id, sub.descendant_id, above.depth + 1 + sub.depth
          from app_public.task_hierarchy_paths above
          cross join app_public.task_hierarchy_paths sub
         where above.organization_id = v_move.organization_id and above.descendant_id = v_move.parent_id
           and sub.organization_id = v_move.organization_id and sub.ancestor_id = v_move.id;
      end if;
    end loop;
  else
    delete from app_public.task_hierarchy_paths p
     using old_rows o
     where p.organization_id = o.organization_id and p.descendant_id = o.id;
  end if;
  return null;
end;
$$;
comment on function app_private.tg_tasks__hierarchy() is
  E'Trigger function: keeps app_public.task_hierarchy_paths the closure of tasks.parent_id on insert, move and delete.';
