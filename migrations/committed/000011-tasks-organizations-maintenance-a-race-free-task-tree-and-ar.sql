--! Previous: sha1:7d05db82879872dfb7838f772ed5a91939653fc3
--! Hash: sha1:d0504dd8b62934fc4da33593ca5220ddc2988991
--! Message: Tasks, organizations, maintenance: a race-free task tree and archiving, cascades through archived projects, owners re-checked after the organization's lock, partition maintenance locked for direct callers

-- Tasks, organizations and maintenance under concurrency and cascades (issues
-- #6, #8, #9):
--
-- * The task tree: every change of a project's tree takes its tree lock (an
--   insert under a parent, any change of parent, the root included, a delete),
--   so a move to the root racing an insert or move under the moved subtree can
--   no longer leave stale rows in task_hierarchy_paths.
-- * Archived projects (FL102): the project's status is read with its row
--   locked (lock_task_project), and archiving takes its row FOR UPDATE, so an
--   archiving and the writes of its tasks and dependencies are serialised; and
--   foreign-key cascades go through (a removed user's tasks and links lose
--   assignee and creator, a deleted task its links, a deleted organization
--   everything). The two validation triggers become definers for the row lock.
-- * A dependency on a task of another organization is FL111, not a bare 23503.
-- * Parents auto-complete when their last open child is done or cancelled, if
--   one child is done.
-- * An owner demoted while their update or delete of the organization waited
--   for the demotion's lock is refused (FL002, trigger _050_owner_only).
-- * maintain_partitions() and apply_retention() take the maintenance lock
--   themselves, for direct callers such as migrations.
-- * pipeline_stats says what it counts: executions created since `since`.
--
-- Idempotent: the one new trigger is dropped first; everything else is
-- create or replace.

drop trigger if exists _050_owner_only on app_public.organizations;

--! Included tasks/lock_task_project.sql
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
--! EndIncluded tasks/lock_task_project.sql
--! Included tasks/tg_tasks__validate.sql
/*
 * tg_tasks__validate: the rules of one task row, on every write path
 * (createTask, updateTask, deleteTask, trusted code), each a coded error that
 * changes nothing:
 *
 *   - the project is archived: its tasks are read-only (FL102), except for what
 *     a foreign key's cascade does (deleting a user sets assignee_id and
 *     created_by to null; deleting the project or organization deletes its
 *     tasks);
 *   - the title is 1 to 500 characters (FL005);
 *   - a status change follows app_public.task_status_transitions (FL103), and
 *     completed_at is the database's: set when a task becomes done, cleared when
 *     it leaves done;
 *   - a task stays in its project (FL105), its parent is in the same project and
 *     organization (FL105) and is not the task itself (FL104): a move under one
 *     of its own descendants is refused by the hierarchy trigger, which sees the
 *     whole statement (tg_tasks__hierarchy);
 *   - the assignee is a user of the same organization (FL108).
 *
 * Locks, always in this order: every change of the tree (an insert under a
 * parent, any change of parent, the root to null included, and a delete) first
 * takes the project's tree lock (a transaction advisory lock), so the closure
 * table is rewritten one change at a time and each sees the one before; a
 * cascaded delete is covered by the lock its top-level delete took. (A delete
 * of a subtree racing a move of a task inside it can deadlock, the move holding
 * the task's row and the delete the tree lock: PostgreSQL then fails one of the
 * two with 40P01.) Then the project's row, locked by lock_task_project() while
 * its status is read, so an archiving and the writes of its tasks are
 * serialised.
 * Definer: a row lock under RLS needs the projects' update policy (admins),
 * and members write tasks; every lookup here names the row's organization.
 * Works with: app_public.tasks (_200_validate), tg_tasks__hierarchy,
 * lock_task_project().
 */
create or replace function app_private.tg_tasks__validate() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the project's row is locked while its status is read (under RLS that
-- takes the projects' update policy, admins only), and members write tasks.
declare
  v_row app_public.tasks := case when tg_op = 'DELETE' then old else new end;
  v_status app_public.project_status;
begin
  if (tg_op = 'INSERT' and new.parent_id is not null)
     or (tg_op = 'UPDATE' and new.parent_id is distinct from old.parent_id)
     or (tg_op = 'DELETE' and pg_catalog.pg_trigger_depth() = 1) then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
      'forgeline.task_tree:' || v_row.organization_id::text || ':' || v_row.project_id::text, 0));
  end if;

  -- A user's deletion cascading to the tasks they were assigned or created
  -- (on delete set null): let it through, whatever the project's status.
  if tg_op = 'UPDATE' and pg_catalog.pg_trigger_depth() > 1
     and (new.assignee_id is null or new.assignee_id is not distinct from old.assignee_id)
     and (new.created_by is null or new.created_by is not distinct from old.created_by)
     and (pg_catalog.to_jsonb(new) - '{assignee_id,created_by,updated_at,search}'::text[])
         = (pg_catalog.to_jsonb(old) - '{assignee_id,created_by,updated_at,search}'::text[]) then
    return new;
  end if;

  -- Null: the project or its organization is being deleted (a cascade), or does
  -- not exist (the foreign key refuses that). Nothing archived to protect.
  v_status := app_private.lock_task_project(v_row.organization_id, v_row.project_id, tg_op = 'INSERT');
  if v_status = 'archived' then
    raise exception 'The project is archived: its tasks are read-only'
      using errcode = 'FL102', hint = 'Unarchive the project (updateProject status: ACTIVE) first.';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;

  if tg_op = 'INSERT' or new.title is distinct from old.title then
    new.title := pg_catalog.btrim(coalesce(new.title, ''));
    if pg_catalog.length(new.title) not between 1 and 500 then
      raise exception 'A task needs a title of 1 to 500 characters (this one has %)',
        pg_catalog.length(new.title) using errcode = 'FL005';
    end if;
  end if;

  if tg_op = 'UPDATE' and new.project_id is distinct from old.project_id then
    raise exception 'A task cannot move to another project' using errcode = 'FL105',
      hint = 'Create the task in the other project instead.';
  end if;

  if tg_op = 'INSERT' or new.parent_id is distinct from old.parent_id then
    if new.parent_id is not null then
      if new.parent_id = new.id then
        raise exception 'A task cannot be its own parent' using errcode = 'FL104';
      end if;
      if not exists (select 1 from app_public.tasks p
                      where p.organization_id = new.organization_id and p.id = new.parent_id
                        and p.project_id = new.project_id) then
        raise exception 'The parent task is not in this task''s project' using errcode = 'FL105',
          hint = 'A parent must be a task of the same project.';
      end if;
    end if;
  end if;

  if new.assignee_id is not null and (tg_op = 'INSERT' or new.assignee_id is distinct from old.assignee_id)
     and not exists (select 1 from app_public.users u
                      where u.organization_id = new.organization_id and u.id = new.assignee_id) then
    raise exception 'The assignee is not a user of this organization' using errcode = 'FL108';
  end if;

  if tg_op = 'UPDATE' and new.status is distinct from old.status then
    if not app_hidden.task_status_allows(old.status, new.status) then
      raise exception 'A task cannot go from % to %', old.status, new.status
        using errcode = 'FL103',
              hint = 'Allowed next statuses: ' || coalesce((
                select pg_catalog.string_agg(s.to_status::text, ', ' order by s.to_status)
                  from app_public.task_status_transitions s where s.from_status = old.status), 'none');
    end if;
  end if;
  -- completed_at belongs to the database: when the task last became done.
  if tg_op = 'INSERT' or new.status is distinct from old.status then
    new.completed_at := case when new.status = 'done' then pg_catalog.now() end;
  else
    new.completed_at := old.completed_at;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_tasks__validate() is
  E'Trigger function: archived projects, titles, status transitions, parents and assignees of tasks (FL005, FL102–FL105, FL108).';
--! EndIncluded tasks/tg_tasks__validate.sql
--! Included tasks/tg_task_dependencies__validate.sql
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
--! EndIncluded tasks/tg_task_dependencies__validate.sql
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
 * so completion climbs as far as it should.
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
--! Included projects/tg_projects__validate.sql
/*
 * tg_projects__validate: coded errors for a project's key and name on every
 * path that writes them (createProject, updateProject). A key (`ENG`) prefixes
 * every task identifier (`ENG-42`), so it is 2 to 10 uppercase letters and
 * digits, starts with a letter, and never changes once tasks carry it (it is
 * outside the update grant). Keys and names are unique per organization: two
 * requests racing for one take a transaction advisory lock on it first, so the
 * second sees the first's row and gets FL101, not a bare 23505.
 *
 * Archiving makes the project's tasks read-only (FL102), a rule the task and
 * dependency triggers check with the project's row locked FOR KEY SHARE
 * (lock_task_project()). An update holds the row FOR NO KEY UPDATE, which does
 * not conflict with that, so an archiving takes its row FOR UPDATE here: it
 * waits for the task writes in flight to commit, and a task write that comes
 * after it waits for it, then sees `archived`.
 * Works with: app_public.projects (_200_validate), lock_task_project().
 */
create or replace function app_private.tg_projects__validate() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: uniqueness is checked against the whole organization, whatever RLS shows the caller.
begin
  if tg_op = 'INSERT' or new.key is distinct from old.key then
    new.key := pg_catalog.upper(pg_catalog.btrim(coalesce(new.key, '')));
    if new.key !~ '^[A-Z][A-Z0-9]{1,9}$' then
      raise exception 'A project key is 2 to 10 letters and digits starting with a letter, not "%"', new.key
        using errcode = 'FL005', hint = 'Use a short key such as "ENG"; it prefixes task identifiers (ENG-42).';
    end if;
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
      'forgeline.project_key:' || new.organization_id::text || ':' || new.key, 0));
    if exists (select 1 from app_public.projects p
                where p.organization_id = new.organization_id and p.key = new.key and p.id <> new.id) then
      raise exception 'The project key "%" is already used in this organization', new.key
        using errcode = 'FL101', hint = 'Choose another key.';
    end if;
  end if;
  if tg_op = 'INSERT' or new.name is distinct from old.name then
    new.name := pg_catalog.btrim(coalesce(new.name, ''));
    if pg_catalog.length(new.name) not between 1 and 200 then
      raise exception 'A project needs a name of 1 to 200 characters' using errcode = 'FL005';
    end if;
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
      'forgeline.project_name:' || new.organization_id::text || ':' || pg_catalog.lower(new.name), 0));
    if exists (select 1 from app_public.projects p
                where p.organization_id = new.organization_id
                  and pg_catalog.lower(p.name) = pg_catalog.lower(new.name) and p.id <> new.id) then
      raise exception 'A project named "%" already exists in this organization', new.name
        using errcode = 'FL101', hint = 'Choose another name.';
    end if;
  end if;
  if new.settings is null or pg_catalog.jsonb_typeof(new.settings) <> 'object' then
    raise exception 'Project settings must be a JSON object' using errcode = 'FL005';
  end if;
  if new.settings ? 'auto_complete_parents'
     and pg_catalog.jsonb_typeof(new.settings -> 'auto_complete_parents') <> 'boolean' then
    raise exception 'settings.auto_complete_parents must be true or false' using errcode = 'FL005';
  end if;
  if tg_op = 'UPDATE' and new.status is distinct from old.status then
    if new.status = 'archived' then
      perform 1 from app_public.projects p
       where p.organization_id = old.organization_id and p.id = old.id
         for update;
    end if;
    new.archived_at := case when new.status = 'archived' then pg_catalog.now() end;
  elsif tg_op = 'INSERT' then
    new.archived_at := case when new.status = 'archived' then pg_catalog.now() end;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_projects__validate() is
  E'Trigger function: validates a project''s key, name and settings (FL005, FL101) and keeps archived_at.';
--! EndIncluded projects/tg_projects__validate.sql

--! Included organizations/tg_organizations__owner_only.sql
/*
 * tg_organizations__owner_only: the update_owner and delete_owner policies,
 * checked again once the organization's row is locked. A policy's
 * `(select current_user_role())` is read when the statement starts; if the row
 * is then locked by change_user_role() or remove_user() (lock_organization.sql),
 * the statement waits, and when the demotion commits the row itself is
 * unchanged, so PostgreSQL does not evaluate the policy again: an owner demoted
 * meanwhile would still rename or delete the organization. This BEFORE ROW
 * trigger runs after the row lock is granted, in a statement of its own (a new
 * snapshot under READ COMMITTED), and refuses with FL002 when the caller is no
 * longer an owner.
 *
 * Only where the policies apply (row_security_active: a request as the
 * visitor); trusted code and security-definer functions, which bypass RLS, are
 * not affected. Invoker, for that very test.
 * Works with: app_public.organizations (_050_owner_only), lock_organization(),
 * change_user_role(), remove_user().
 */
create or replace function app_private.tg_organizations__owner_only() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.row_security_active('app_public.organizations'::pg_catalog.regclass)
     and app_public.current_user_role() is distinct from 'owner' then
    raise exception 'Only an owner may change or delete the organization'
      using errcode = 'FL002', hint = 'Your role changed while the request waited; ask an owner.';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_organizations__owner_only() is
  E'Trigger function: refuses an update or delete of the organization by a caller who is no longer an owner once its row is locked (FL002).';
--! EndIncluded organizations/tg_organizations__owner_only.sql
create trigger _050_owner_only
  before update or delete on app_public.organizations
  for each row execute function app_private.tg_organizations__owner_only();

--! Included maintenance/partitions.sql
/*
 * Monthly partitions and retention (DESIGN §5). Partitioned tables register in
 * app_private.partitioned_tables with their retention and how many months to
 * create ahead (and, for tables that reference each other, a drop_order and a
 * before_drop hook). maintain_partitions(at) creates the month of `at` and `premake`
 * months ahead, as app_partitions.<table>_pYYYYMM (never in an exposed schema: a
 * partition there would be readable past the parent's RLS), each guarded like
 * its parent (guard_partition). apply_retention(at) detaches and drops whole
 * partitions whose month ended before the retention window; it never deletes
 * row by row. Both take the clock as a parameter (tests pass one) and create
 * or drop only what is there to create or drop. They are called from
 * app_private.run_maintenance() and directly (migrations, the module recipe in
 * docs/adding-a-module.md), so each takes the maintenance lock itself: the same
 * transaction advisory lock as run_maintenance() (re-entrant within a
 * session), held to the end of the transaction. A second call that overlaps
 * one not yet committed (a migration during a deploy and a worker's run) waits,
 * then finds the partitions made or dropped, instead of failing on them
 * (42P07, 42P01).
 */

/*
 * guard_partition(parent, partition): what a partition needs beyond what
 * PostgreSQL copies from its parent. Row-level triggers, indexes and constraints
 * are cloned automatically, but row-level security is per table, and
 * statement-level TRUNCATE triggers of the parent do not fire when the
 * partition itself is truncated: `truncate app_partitions.audit_events_p202612`
 * would otherwise empty a month of an append-only log. The planner's
 * per-column decisions (n_distinct on organization_id, see
 * docs/adding-a-module.md) are per table too, and are copied. Idempotent.
 */
create or replace function app_private.guard_partition(parent regclass, part regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_trigger record;
  v_option record;
begin
  execute pg_catalog.format('alter table %s enable row level security', guard_partition.part);
  for v_option in
    select a.attname, o.opt
      from pg_catalog.pg_attribute a
     cross join lateral pg_catalog.unnest(a.attoptions) o(opt)
     where a.attrelid = guard_partition.parent and a.attnum > 0 and not a.attisdropped
       and o.opt like 'n\_distinct=%'
  loop
    execute pg_catalog.format('alter table %s alter column %I set (%s)',
                              guard_partition.part, v_option.attname, v_option.opt);
  end loop;
  for v_trigger in
    select t.tgname, t.tgfoid::regproc as fn,
           case when (t.tgtype & 2) <> 0 then 'before' else 'after' end as timing
      from pg_catalog.pg_trigger t
     where t.tgrelid = guard_partition.parent and not t.tgisinternal
       and (t.tgtype & 32) <> 0          -- TRUNCATE
       and t.tgnargs = 0
  loop
    if not exists (select 1 from pg_catalog.pg_trigger p
                    where p.tgrelid = guard_partition.part and p.tgname = v_trigger.tgname) then
      execute pg_catalog.format(
        'create trigger %I %s truncate on %s for each statement execute function %s()',
        v_trigger.tgname, v_trigger.timing, guard_partition.part, v_trigger.fn);
    end if;
  end loop;
end;
$$;
comment on function app_private.guard_partition(regclass, regclass) is
  E'Gives a partition its parent''s RLS, statement-level TRUNCATE triggers and n_distinct settings (not copied by PostgreSQL).';

create or replace function app_private.maintain_partitions(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_table record;
  v_month date;
  v_name text;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('forgeline.maintenance', 0));
  for v_table in
    select p.table_name::regclass as parent, c.relname, p.premake
      from app_private.partitioned_tables p
      join pg_catalog.pg_class c on c.oid = p.table_name
     order by c.relname
  loop
    for i in 0 .. v_table.premake loop
      v_month := (pg_catalog.date_trunc('month', maintain_partitions.at at time zone 'UTC')
                  + pg_catalog.make_interval(months => i))::date;
      v_name := pg_catalog.format('%s_p%s', v_table.relname, pg_catalog.to_char(v_month, 'YYYYMM'));
      if pg_catalog.to_regclass(pg_catalog.format('app_partitions.%I', v_name)) is null then
        execute pg_catalog.format(
          'create table if not exists app_partitions.%I partition of %s for values from (%L) to (%L)',
          v_name, v_table.parent,
          (v_month::timestamp at time zone 'UTC'),
          ((v_month + interval '1 month')::timestamp at time zone 'UTC'));
        perform app_private.guard_partition(v_table.parent,
                                            pg_catalog.format('app_partitions.%I', v_name)::regclass);
        return next pg_catalog.format('created app_partitions.%I', v_name);
      end if;
    end loop;
  end loop;
end;
$$;
comment on function app_private.maintain_partitions(timestamptz) is
  E'Creates the missing monthly partitions of every registered table for the month of `at` and the months ahead, serialised against overlapping maintenance; returns what it created.';

create or replace function app_private.apply_retention(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_part record;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('forgeline.maintenance', 0));
  -- Month by month, oldest first; within a month by drop_order, so a table is
  -- dropped before the tables it references (steps before their executions).
  for v_part in
    select p.table_name::regclass as parent, c.oid::regclass as part, c.relname, p.before_drop,
           pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') as month, p.drop_order
      from app_private.partitioned_tables p
      join pg_catalog.pg_inherits h on h.inhparent = p.table_name
      join pg_catalog.pg_class c on c.oid = h.inhrelid
     where p.retention is not null
       and c.relname ~ '_p[0-9]{6}$'
       and (pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') + interval '1 month')
           <= (apply_retention.at at time zone 'UTC') - p.retention
     order by month, p.drop_order, c.relname
  loop
    if v_part.before_drop is not null then
      execute pg_catalog.format('select %s($1)', v_part.before_drop::regproc) using v_part.part;
    end if;
    execute pg_catalog.format('alter table %s detach partition %s', v_part.parent, v_part.part);
    execute pg_catalog.format('drop table %s', v_part.part);
    return next pg_catalog.format('dropped app_partitions.%I', v_part.relname);
  end loop;
end;
$$;
comment on function app_private.apply_retention(timestamptz) is
  E'Detaches and drops whole partitions whose month ended before each registered table''s retention, counted back from `at`, in drop_order within a month and after each table''s before_drop hook, serialised against overlapping maintenance; returns what it dropped.';
--! EndIncluded maintenance/partitions.sql
--! Included pipelines/stats.sql
/*
 * pipeline_stats(pipeline, since): runs, success rate and the p50/p95 of run
 * and queue time of a pipeline's completed executions created (queued) since
 * `since`, per branch and (branch null) for all of them. The success rate counts what ran to a
 * verdict: success / (success + failure + timed_out); cancelled, skipped and
 * neutral runs are counted in `runs` but not in the rate.
 *
 * Exact, and fast as history grows: executions are partitioned by month, so
 * `since` prunes whole months, and within a month the index
 * (organization_id, pipeline_id, created_at) includes every column read here, so
 * a 90-day window is an index-only scan of that pipeline's rows in 3–4
 * partitions. An execution counts by when it was created, not when it
 * completed: created_at is the partition key, so the window prunes months and
 * stays an index-only scan; filtering on completed_at could not prune (a run may
 * complete in a later month than it was created) and would read every month.
 * Runs still going are left out until they complete. Invoker: RLS decides.
 */
create or replace function app_public.pipeline_stats(
  pipeline_id uuid,
  since timestamptz default pg_catalog.now() - interval '30 days'
) returns setof app_public.pipeline_branch_stats
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select e.branch,
         pg_catalog.count(*)::integer,
         pg_catalog.count(*) filter (where e.conclusion = 'success')::integer,
         pg_catalog.count(*) filter (where e.conclusion in ('failure', 'timed_out'))::integer,
         case when pg_catalog.count(*) filter (where e.conclusion in ('success', 'failure', 'timed_out')) > 0
              then (pg_catalog.count(*) filter (where e.conclusion = 'success'))::double precision
                   / pg_catalog.count(*) filter (where e.conclusion in ('success', 'failure', 'timed_out')) end,
         pg_catalog.round(pg_catalog.percentile_cont(0.5) within group (order by e.run_duration_ms))::bigint,
         pg_catalog.round(pg_catalog.percentile_cont(0.95) within group (order by e.run_duration_ms))::bigint,
         pg_catalog.round(pg_catalog.percentile_cont(0.5) within group (order by e.queued_duration_ms))::bigint,
         pg_catalog.round(pg_catalog.percentile_cont(0.95) within group (order by e.queued_duration_ms))::bigint
    from app_public.pipeline_executions e
   where e.organization_id = app_public.current_org_id()
     and e.pipeline_id = pipeline_stats.pipeline_id
     and e.created_at >= pipeline_stats.since
     and e.status = 'completed'
   group by grouping sets ((e.branch), ())
   order by e.branch nulls first;
$$;
comment on function app_public.pipeline_stats(uuid, timestamptz) is
  E'Runs, success rate and p50/p95 run and queue times (ms) of a pipeline''s completed executions created since `since` (default 30 days ago), per branch; the row with `branch: null` is all branches together.';
--! EndIncluded pipelines/stats.sql
