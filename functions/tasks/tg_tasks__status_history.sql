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
