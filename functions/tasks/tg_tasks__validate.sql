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
