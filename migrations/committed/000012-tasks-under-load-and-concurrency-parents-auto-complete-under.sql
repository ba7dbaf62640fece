--! Previous: sha1:d0504dd8b62934fc4da33593ca5220ddc2988991
--! Hash: sha1:3c5fda5f15e4e0f77e38febc0abde036fd127163
--! Message: Tasks under load and concurrency: parents auto-complete under concurrent finishes, bulk inserts in linear time, the task counter advanced once per statement and left out of the projects' audit

-- Tasks under load and concurrency (issue #8):
--
-- * Parents auto-complete under concurrency: when the last two open children of
--   a parent finish in concurrent transactions, the second waits on the
--   parent's row lock and sees the first's change (tg_tasks__status_history).
-- * A bulk insert of tasks is linear: the closure table's insert trigger walks
--   up by index probes instead of joining the transition table with itself,
--   and the project's task counter advances once per statement instead of once
--   per task (_500_number_counter).
-- * The projects' audit log omits next_task_number: advancing the counter is no
--   event (it was one event per task created).
--
-- Idempotent: the new and re-created triggers are dropped first; the
-- functions are create or replace.

drop trigger if exists _500_number_counter on app_public.tasks;
drop trigger if exists _800_audit_insert on app_public.projects;
drop trigger if exists _800_audit_update on app_public.projects;
drop trigger if exists _800_audit_delete on app_public.projects;

--! Included tasks/tg_tasks__number.sql
/*
 * tg_tasks__number: gives each new task the next number of its project, so it
 * has a human identifier (`ENG-42`, see tasks_identifier). Numbers are unique
 * in the project and never reused, even after a delete, and a burst of
 * concurrent inserts into one project numbers them 1…N without gaps.
 *
 * The counter is the project row's next_task_number, read under the row's lock
 * (FOR NO KEY UPDATE, taken a moment before by tg_tasks__validate through
 * lock_task_project, and taken again here in case it was not: a no-op when it
 * is held), so concurrent inserts into one project wait for each other;
 * inserts into different projects do not.
 *
 * Two triggers, one per granularity, so that a bulk insert costs linear time:
 *
 *   BEFORE INSERT, per row (_500_number): the row's number is the greater of the
 *     counter and one past the project's highest number so far. A row-level
 *     BEFORE trigger sees the rows its statement inserted before this one, so
 *     that maximum (one probe of the unique index on (organization_id,
 *     project_id, number)) covers the numbers this statement has already given;
 *   AFTER INSERT, per statement (_500_number_counter): the counter moves past
 *     the statement's highest number, one update per project and statement.
 *
 * Updating the project row per task instead, as this did before, left one
 * dead version of that row per task in the transaction, which every later
 * update and lock of the row had to walk past (a 2,000-task insert took
 * seconds, 8,000 minutes), and wrote one project audit event per task.
 * The counter is omitted from the projects' audit (enable_audit's `omit`), so
 * advancing it records nothing.
 * Works with: app_public.tasks (_500_number, _500_number_counter),
 * app_public.projects.next_task_number, lock_task_project().
 */
create or replace function app_private.tg_tasks__number() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: next_task_number is outside the visitor's update grant; this is its only writer.
begin
  if tg_level = 'STATEMENT' then
    update app_public.projects p
       set next_task_number = m.next_number
      from (select n.organization_id, n.project_id, pg_catalog.max(n.number) + 1 as next_number
              from new_rows n
             group by n.organization_id, n.project_id) m
     where p.organization_id = m.organization_id and p.id = m.project_id
       and p.next_task_number < m.next_number;
    return null;
  end if;

  if new.organization_id is distinct from app_public.current_org_id() then
    raise exception 'No such project in this organization' using errcode = 'FL003';
  end if;
  -- The lock first, then the read: a statement's snapshot is taken when it starts,
  -- so a read in the statement that waited for the lock would miss the numbers
  -- the transaction it waited for gave.
  perform 1 from app_public.projects p
    where p.organization_id = new.organization_id and p.id = new.project_id
      for no key update of p;
  if not found then
    raise exception 'No such project in this organization' using errcode = 'FL003';
  end if;
  select greatest(
           p.next_task_number,
           (select t.number + 1 from app_public.tasks t
             where t.organization_id = new.organization_id and t.project_id = new.project_id
             order by t.number desc
             limit 1))
    into new.number
    from app_public.projects p
   where p.organization_id = new.organization_id and p.id = new.project_id;
  return new;
end;
$$;
comment on function app_private.tg_tasks__number() is
  E'Trigger function: numbers a new task within its project (never reused, safe under concurrent inserts) and advances the project''s counter once per statement.';
--! EndIncluded tasks/tg_tasks__number.sql
--! Included tasks/tg_tasks__hierarchy.sql
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
--! EndIncluded tasks/tg_tasks__hierarchy.sql
--! Included tasks/tg_tasks__status_history.sql
/*
 * tg_tasks__status_history: every task's status story, one row per change in
 * app_public.task_status_changes (who, from, to, when; `from` is null when the
 * task is created), written per statement from the transition tables.
 *
 * It also completes parents when the project asks for it
 * (settings.auto_complete_parents): when a task becomes finished (done or
 * cancelled) and so every child of its parent is finished, the parent becomes
 * done too if at least one child is done (a parent whose children were all
 * cancelled stays open: nothing was done), and if its status may go to done (an
 * open parent in backlog stays there). That update fires this trigger again,
 * so completion climbs as far as it should. The parents are locked before their
 * children are read, so two children finishing in concurrent transactions
 * cannot each see the other still open.
 * Works with: app_public.tasks (_220_status_history_* triggers).
 */
create or replace function app_private.tg_tasks__status_history() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the visitor has no write grant on the history; this is its only writer.
declare
  v_parents uuid[];
  v_user uuid := app_public.current_user_id();
  v_actor text := coalesce(nullif(pg_catalog.current_setting('forgeline.actor', true), ''),
                           case when app_public.current_user_id() is not null then 'user' else 'system' end);
begin
  if tg_op = 'INSERT' then
    insert into app_public.task_status_changes
      (organization_id, task_id, from_status, to_status, changed_by, actor)
    select n.organization_id, n.id, null, n.status, v_user, v_actor from new_rows n;
    return null;
  end if;

  insert into app_public.task_status_changes
    (organization_id, task_id, from_status, to_status, changed_by, actor)
  select n.organization_id, n.id, o.status, n.status, v_user, v_actor
    from new_rows n join old_rows o on o.organization_id = n.organization_id and o.id = n.id
   where n.status is distinct from o.status;

  -- Parents of tasks that just became finished. (A statement trigger fires even
  -- for an update of no rows, so the update below runs only when there is one:
  -- it fires this trigger again, and would otherwise never stop.)
  select pg_catalog.array_agg(distinct n.parent_id) into v_parents
    from new_rows n join old_rows o on o.organization_id = n.organization_id and o.id = n.id
   where n.status in ('done', 'cancelled') and o.status not in ('done', 'cancelled')
     and n.parent_id is not null;
  if v_parents is null then
    return null;
  end if;
  -- Lock the parents (those whose project completes parents) before reading their
  -- children: when the last two open children of a parent finish in concurrent
  -- transactions, the second waits here for the first to commit, and its update
  -- below, a new statement with a new snapshot, sees both children finished.
  -- Without the lock each saw the other still open and the parent stayed open
  -- (#8). Completion climbs child → parent → grandparent, always upwards, and
  -- parents of one statement are locked in id order, so these locks cannot wait
  -- for each other in a cycle.
  perform 1
     from app_public.tasks parent
     join app_public.projects p on p.organization_id = parent.organization_id and p.id = parent.project_id
    where parent.organization_id = app_public.current_org_id()
      and parent.id = any (v_parents)
      and coalesce((p.settings ->> 'auto_complete_parents')::boolean, false)
    order by parent.id
      for no key update of parent;
  if not found then
    return null;
  end if;
  update app_public.tasks parent
     set status = 'done'
   where parent.organization_id = app_public.current_org_id()
     and parent.id = any (v_parents)
     and parent.status not in ('done', 'cancelled')
     and app_hidden.task_status_allows(parent.status, 'done')
     and exists (select 1 from app_public.projects p
                  where p.organization_id = parent.organization_id and p.id = parent.project_id
                    and p.status = 'active'
                    and coalesce((p.settings ->> 'auto_complete_parents')::boolean, false))
     and not exists (select 1 from app_public.tasks child
                      where child.organization_id = parent.organization_id and child.parent_id = parent.id
                        and child.status not in ('done', 'cancelled'))
     and exists (select 1 from app_public.tasks child
                  where child.organization_id = parent.organization_id and child.parent_id = parent.id
                    and child.status = 'done');
  return null;
end;
$$;
comment on function app_private.tg_tasks__status_history() is
  E'Trigger function: records task status changes and completes parents whose children are all finished, one at least done (if the project says so).';
--! EndIncluded tasks/tg_tasks__status_history.sql

create trigger _500_number_counter
  after insert on app_public.tasks
  referencing new table as new_rows
  for each statement execute function app_private.tg_tasks__number();

select app_private.enable_audit('app_public.projects', omit => '{updated_at,created_at,next_task_number}');
