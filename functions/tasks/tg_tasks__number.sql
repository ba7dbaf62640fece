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
