/*
 * tg_task_dependencies__validate: the rules of a dependency edge, each a coded
 * error that changes nothing: no task depends on itself, a pair is linked once
 * (FL107, also when two requests race to link it); both ends are tasks of the
 * row's organization (FL111, rather than the foreign key's bare 23503, as the
 * tasks trigger gives FL105 for a parent of another organization); neither end's
 * project is archived (FL102), on insert, change and delete; and a `blocks`
 * edge never closes a cycle (FL106), the error's detail naming the cycle by task
 * identifiers (`ENG-3 → ENG-7 → ENG-3`).
 *
 * The archived check reads each end's project under a row lock
 * (lock_task_project(), in project order), so it is serialised with an
 * archiving. Cascades go through whatever the projects' status: deleting a task
 * deletes its links (the task is gone when they go), deleting a user sets the
 * links' created_by to null.
 *
 * The cycle check is a search over the adjacency list (no closure table: for a
 * dense blocker graph one would hold millions of rows): from the new edge's
 * dependency, follow `blocks` edges towards what it depends on; a cycle exists if
 * that reaches the new edge's dependent. The recursive query visits each
 * reachable task once and stops at the first hit; only when there is a cycle is
 * the search run again to name it. Two transactions adding the two halves of a cycle
 * would each miss the other's uncommitted edge, so `blocks` edges of one
 * organization are added one at a time: a transaction advisory lock, then the
 * search, which under READ COMMITTED sees what the transaction before committed.
 * Definer: the projects' rows are locked (under RLS that takes the projects'
 * update policy, admins only), and members link tasks; every lookup here names
 * the row's organization.
 * Works with: app_public.task_dependencies (_200_validate), lock_task_project().
 */
create or replace function app_private.tg_task_dependencies__validate() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the ends' project rows are locked while their status is read (under
-- RLS that takes the projects' update policy, admins only), and members link tasks.
declare
  v_row app_public.task_dependencies := case when tg_op = 'DELETE' then old else new end;
  v_end record;
  v_ends integer := 0;
  v_nodes uuid[];
  v_from uuid[];
  v_cur uuid;
  v_path uuid[];
  v_names text;
begin
  -- Cascades: a deleted task's links (it is already gone), a deleted user's
  -- links (created_by set to null). Let them through.
  if pg_catalog.pg_trigger_depth() > 1 then
    if tg_op = 'DELETE'
       and (select pg_catalog.count(*) from app_public.tasks t
             where t.organization_id = old.organization_id
               and t.id in (old.dependent_id, old.dependency_id)) < 2 then
      return old;
    end if;
    if tg_op = 'UPDATE' and new.created_by is null
       and (pg_catalog.to_jsonb(new) - 'created_by') = (pg_catalog.to_jsonb(old) - 'created_by') then
      return new;
    end if;
  end if;
  if tg_op <> 'DELETE' and new.dependent_id = new.dependency_id then
    raise exception 'A task cannot depend on itself' using errcode = 'FL107';
  end if;
  for v_end in
    select t.project_id from app_public.tasks t
     where t.organization_id = v_row.organization_id
       and t.id in (v_row.dependent_id, v_row.dependency_id)
     order by t.project_id
  loop
    v_ends := v_ends + 1;
    if app_private.lock_task_project(v_row.organization_id, v_end.project_id) = 'archived' then
      raise exception 'The project is archived: its tasks are read-only' using errcode = 'FL102',
        hint = 'Unarchive the project (updateProject status: ACTIVE) first.';
    end if;
  end loop;
  if tg_op = 'DELETE' then
    return old;
  end if;
  if v_ends < 2 then
    raise exception 'Both tasks of a dependency must be tasks of this organization'
      using errcode = 'FL111', hint = 'Link tasks of the organization (tasks lists them).';
  end if;
  -- One link per pair, and blocking edges of one organization one at a time.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
    'forgeline.task_dependencies:' || new.organization_id::text, 0));
  if tg_op = 'INSERT' and exists (
       select 1 from app_public.task_dependencies d
        where d.organization_id = new.organization_id
          and d.dependent_id = new.dependent_id and d.dependency_id = new.dependency_id) then
    raise exception 'These two tasks are already linked' using errcode = 'FL107',
      hint = 'Change the existing link''s type instead.';
  end if;
  if new.type <> 'blocks' or (tg_op = 'UPDATE' and old.type = 'blocks') then
    return new;
  end if;

  -- Edges are walked from a task to what blocks it (dependent → dependency);
  -- `union` visits each task once, and exists() stops at the first hit.
  if not exists (
    with recursive reach (task_id) as (
      select new.dependency_id
      union
      select d.dependency_id
        from reach r
        join app_public.task_dependencies d
          on d.organization_id = new.organization_id and d.dependent_id = r.task_id and d.type = 'blocks'
    )
    select 1 from reach r where r.task_id = new.dependent_id) then
    return new;
  end if;

  -- A cycle: find one, for the error. Record how each task was first reached
  -- (breadth first), then walk back from the dependent to the dependency.
  with recursive reach (task_id, came_from) as (
    select new.dependency_id, null::uuid
    union
    select d.dependency_id, r.task_id
      from reach r
      join app_public.task_dependencies d
        on d.organization_id = new.organization_id and d.dependent_id = r.task_id and d.type = 'blocks'
  )
  select pg_catalog.array_agg(r.task_id), pg_catalog.array_agg(r.came_from) into v_nodes, v_from from reach r;
  v_cur := new.dependent_id;
  v_path := array[v_cur];
  while v_cur <> new.dependency_id and pg_catalog.cardinality(v_path) <= pg_catalog.cardinality(v_nodes) loop
    v_cur := v_from[pg_catalog.array_position(v_nodes, v_cur)];
    v_path := v_cur || v_path;
  end loop;
  -- The cycle reads: dependent waits for dependency waits for … waits for dependent.
  select pg_catalog.string_agg(coalesce(p.key || '-' || t.number, x.id::text), ' → ' order by x.ord)
    into v_names
    from pg_catalog.unnest(new.dependent_id || v_path) with ordinality x(id, ord)
    left join app_public.tasks t on t.organization_id = new.organization_id and t.id = x.id
    left join app_public.projects p on p.organization_id = t.organization_id and p.id = t.project_id;
  raise exception 'This dependency would close a cycle of blocking tasks'
    using errcode = 'FL106', detail = v_names,
          hint = 'Remove one of the dependencies in the cycle first.';
end;
$$;
comment on function app_private.tg_task_dependencies__validate() is
  E'Trigger function: refuses self-dependencies (FL107), tasks of another organization (FL111), edges into archived projects (FL102) and blocking cycles (FL106, the cycle in the detail).';
