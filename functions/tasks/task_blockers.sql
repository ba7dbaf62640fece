/*
 * task_blockers(task, include_finished): every task that (transitively) blocks
 * this one, with its distance (1 = a direct blocker), each once at its shortest
 * distance. A search over the adjacency list, level by level (the blocker graph
 * is too dense for a closure table, see DESIGN notes): each level is one indexed
 * query for the `blocks` edges of the tasks found at the level before, and a
 * jsonb object remembers what was seen (logarithmic lookups, so a dense 5,000-
 * task graph costs a few queries, not a quadratic scan). By default finished
 * blockers (done, cancelled) and what lies behind them are left out: they no
 * longer block. Invoker: RLS decides what the caller sees.
 */
create or replace function app_public.task_blockers(task_id uuid, include_finished boolean default false)
  returns table (distance integer, task app_public.tasks)
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org uuid := app_public.current_org_id();
  v_seen jsonb := pg_catalog.jsonb_build_object(task_blockers.task_id::text, 0);
  v_frontier uuid[] := array[task_blockers.task_id];
  v_distance integer := 0;
begin
  while pg_catalog.cardinality(v_frontier) > 0 loop
    v_distance := v_distance + 1;
    select coalesce(pg_catalog.array_agg(distinct b.id), '{}') into v_frontier
      from app_public.task_dependencies d
      join app_public.tasks b on b.organization_id = d.organization_id and b.id = d.dependency_id
     where d.organization_id = v_org and d.dependent_id = any (v_frontier) and d.type = 'blocks'
       and not v_seen ? b.id::text
       and (task_blockers.include_finished or b.status not in ('done', 'cancelled'));
    if pg_catalog.cardinality(v_frontier) > 0 then
      v_seen := v_seen || (select pg_catalog.jsonb_object_agg(x::text, v_distance)
                             from pg_catalog.unnest(v_frontier) x);
      return query
        select v_distance, t from app_public.tasks t
         where t.organization_id = v_org and t.id = any (v_frontier)
         order by t.priority, t.number;
    end if;
  end loop;
end;
$$;
comment on function app_public.task_blockers(uuid, boolean) is
  E'Every task that blocks this one, directly or through others, with its distance (1 = direct); finished blockers only with `includeFinished`.';

/*
 * blocked_tasks(task): what finishing this task would unblock: the tasks it
 * directly blocks, each with how many other open tasks still block it (0: it
 * becomes ready when this one is done).
 */
create or replace function app_public.blocked_tasks(task_id uuid)
  returns table (other_open_blockers integer, task app_public.tasks)
  language sql stable
as $$
  select (select pg_catalog.count(*)::integer
            from app_public.task_dependencies o
            join app_public.tasks b on b.organization_id = o.organization_id and b.id = o.dependency_id
           where o.organization_id = d.organization_id and o.dependent_id = d.dependent_id
             and o.type = 'blocks' and o.dependency_id <> blocked_tasks.task_id
             and b.status not in ('done', 'cancelled')) as other_open_blockers,
         t
    from app_public.task_dependencies d
    join app_public.tasks t on t.organization_id = d.organization_id and t.id = d.dependent_id
   where d.organization_id = app_public.current_org_id()
     and d.dependency_id = blocked_tasks.task_id and d.type = 'blocks'
   order by 1, t.priority, t.number;
$$;
comment on function app_public.blocked_tasks(uuid) is
  E'The tasks this one blocks directly, each with the number of other open tasks that still block it (0: finishing this one makes it ready).';
