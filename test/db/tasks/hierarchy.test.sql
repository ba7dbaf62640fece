/*
 * The closure table (app_public.task_hierarchy_paths) is exactly the transitive
 * closure of tasks.parent_id: after a 10-level chain, after bulk inserts of
 * whole subtrees in one statement, and after hundreds of random inserts, moves
 * and deletes (seeded, so every run makes the same ones) it equals what a
 * recursive query over the parent ids computes. task_descendants stops at a
 * given depth.
 */
begin;
select plan(12);

select tests.create_org('tyrell') as tyrell \gset

-- What the closure must be, computed from the parent ids (read as the superuser).
create temporary view expected_paths as
  with recursive up (ancestor_id, descendant_id, depth) as (
    select t.id, t.id, 0 from app_public.tasks t
    union all
    select t.parent_id, up.descendant_id, up.depth + 1
      from up join app_public.tasks t on t.id = up.ancestor_id
     where t.parent_id is not null)
  select ancestor_id, descendant_id, depth from up;

select tests.authenticate_as('tyrell', 'admin');
insert into app_public.projects (key, name) values ('TREE', 'Trees');
select id as proj from app_public.projects where key = 'TREE' \gset


-- The original design's test: a chain of ten levels below a root.
do $$
declare
  v_parent uuid;
  v_id uuid;
begin
  insert into app_public.tasks (project_id, title)
  values ((select id from app_public.projects where key = 'TREE'), 'Chain root') returning id into v_parent;
  for i in 1 .. 10 loop
    insert into app_public.tasks (project_id, parent_id, title)
    values ((select id from app_public.projects where key = 'TREE'), v_parent, 'Chain ' || i) returning id into v_id;
    v_parent := v_id;
  end loop;
end;
$$;
select is((select count(*)::int from app_public.task_descendants((select id from app_public.tasks where title = 'Chain root'))),
  10, 'a chain of ten levels below a root: the root has exactly 10 descendants');
select is((select max(depth) from app_public.task_descendants((select id from app_public.tasks where title = 'Chain root'))),
  10, 'the deepest is 10 levels down');
select is((select count(*)::int from app_public.task_ancestors((select id from app_public.tasks where title = 'Chain 10'))),
  10, 'and the deepest has 10 ancestors');
select results_eq(
  $$select d.depth, (d.task).title from app_public.task_descendants((select id from app_public.tasks where title = 'Chain root'), 3) d$$,
  $$values (1, 'Chain 1'), (2, 'Chain 2'), (3, 'Chain 3')$$,
  'task_descendants with a max depth of 3 stops three levels down');
select is_empty(
  $$select 1 from app_public.task_descendants((select id from app_public.tasks where title = 'Chain root'), 0)$$,
  'and with a max depth of 0 returns nothing');

-- A whole subtree in one statement (parents and children in the same batch), as
-- trusted code can write it: acting for the tenant, but in the session's own
-- role rather than the visitor's (clients cannot choose ids).
select tests.act_for_tenant('tyrell');
set local role none;
insert into app_public.tasks (id, project_id, parent_id, title)
select v.id, :'proj', v.parent_id, v.title
  from (values ('00000000-0000-4000-8000-000000000001'::uuid, null::uuid, 'Batch root'),
               ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'Batch child'),
               ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', 'Batch grandchild'),
               ('00000000-0000-4000-8000-000000000004', (select id from app_public.tasks where title = 'Chain 10'), 'Under the chain'))
       v(id, parent_id, title);
select tests.clear_authentication();
select set_eq('select ancestor_id, descendant_id, depth from app_public.task_hierarchy_paths',
              'select * from expected_paths',
              'a subtree inserted in one statement is closed correctly, in the batch and above it');
select tests.authenticate_as('tyrell', 'admin');

-- Moving a subtree, and deleting one.
update app_public.tasks set parent_id = (select id from app_public.tasks where title = 'Chain 3')
 where title = 'Batch root';
select is((select count(*)::int from app_public.task_ancestors('00000000-0000-4000-8000-000000000003')), 6,
  'a moved subtree''s tasks get their new ancestors (Chain 3, its 3 above, and the batch''s own two)');
delete from app_public.tasks where title = 'Chain 5';
select is((select count(*)::int from app_public.task_descendants((select id from app_public.tasks where title = 'Chain root'))),
  7, 'deleting a task deletes its subtree and its paths (the root keeps Chain 1–4 and the moved batch)');
select tests.clear_authentication();
select set_eq('select ancestor_id, descendant_id, depth from app_public.task_hierarchy_paths',
              'select * from expected_paths', 'the closure still equals the parent ids after moves and deletes');
select tests.authenticate_as('tyrell', 'admin');

-- Hundreds of random operations.
select setseed(0.4242);
do $$
declare
  v_ids uuid[];
  v_pick uuid;
  v_other uuid;
  v_roll double precision;
  v_done integer := 0;
  v_under_subtree integer := 0;
  v_own_parent integer := 0;
begin
  for i in 1 .. 400 loop
    select array_agg(id order by id) into v_ids from app_public.tasks;
    v_roll := random();
    v_pick := v_ids[1 + floor(random() * coalesce(array_length(v_ids, 1), 1))::int];
    v_other := v_ids[1 + floor(random() * coalesce(array_length(v_ids, 1), 1))::int];
    begin
      if v_roll < 0.5 or v_pick is null then
        insert into app_public.tasks (project_id, parent_id, title)
        values ((select id from app_public.projects where key = 'TREE'),
                case when random() < 0.15 then null else v_pick end, 'Random ' || i);
      elsif v_roll < 0.85 then
        update app_public.tasks set parent_id = case when random() < 0.1 then null else v_other end
         where id = v_pick;
      else
        delete from app_public.tasks where id = v_pick;
      end if;
      v_done := v_done + 1;
    exception when sqlstate 'FL104' then
      -- FL104 is also a task made its own parent: count the two apart.
      if v_other = v_pick then
        v_own_parent := v_own_parent + 1;
      else
        v_under_subtree := v_under_subtree + 1;
      end if;
    end;
  end loop;
  perform set_config('tests.random_under_subtree', v_under_subtree::text, true);
  perform set_config('tests.random_done', v_done::text, true);
end;
$$;
select cmp_ok(current_setting('tests.random_done')::int, '>', 300,
  'the random run made hundreds of changes');
select cmp_ok(current_setting('tests.random_under_subtree')::int, '>', 0,
  'and met refused moves under a task''s own subtree (not counting a task made its own parent)');
select tests.clear_authentication();
select set_eq('select ancestor_id, descendant_id, depth from app_public.task_hierarchy_paths',
              'select * from expected_paths',
              'after random inserts, moves and deletes the closure equals a recursive query over the parent ids');

select * from finish();
rollback;
