/*
 * Bulk inserts of tasks (#8): thousands of tasks in one statement get what one
 * task at a time gets. Numbers 1…N in the project, each once, the project's
 * counter past them and never reused; the closure table equal to a recursive
 * query over the parent ids, for root tasks and for a whole subtree inserted in
 * one statement below existing tasks; one status-history row per task; one
 * audit event per task, and none for the project's counter. (That these
 * inserts take linear time is the bench's business, not a test's.)
 */
begin;
select plan(11);

select tests.create_org('initech') as initech \gset

-- What the closure must be, computed from the parent ids (read as the superuser).
create temporary view expected_paths as
  with recursive up (ancestor_id, descendant_id, depth) as (
    select t.id, t.id, 0 from app_public.tasks t
    union all
    select t.parent_id, up.descendant_id, up.depth + 1
      from up join app_public.tasks t on t.id = up.ancestor_id
     where t.parent_id is not null)
  select ancestor_id, descendant_id, depth from up;

select tests.authenticate_as('initech', 'admin');
insert into app_public.projects (key, name) values ('BULK', 'Bulk') returning id as proj \gset

-- 3,000 root tasks in one statement, as a service acting for the tenant.
select tests.act_for_tenant('initech', 'importer');
insert into app_public.tasks (project_id, title, status)
select :'proj', 'Imported ' || g,
       (array['backlog', 'todo', 'in_progress', 'in_review', 'done', 'cancelled']::app_public.task_status[])[1 + g % 6]
  from generate_series(1, 3000) g;

-- 1,500 tasks in one statement as a tree eleven levels deep (task g under task
-- g / 2, the first under an imported task), as trusted code writes it: acting
-- for the tenant in the session's own role (clients cannot choose ids).
set local role none;
insert into app_public.tasks (id, project_id, parent_id, title)
select md5('tree ' || g)::uuid, :'proj',
       case when g = 1 then (select id from app_public.tasks where title = 'Imported 7')
            else md5('tree ' || (g / 2))::uuid end,
       'Tree ' || g
  from generate_series(1, 1500) g
 order by g;

select tests.clear_authentication();
select results_eq(
  format($$select count(*)::int, count(distinct number)::int, min(number), max(number)
             from app_public.tasks where project_id = %L$$, :'proj'),
  $$values (4500, 4500, 1, 4500)$$,
  'the tasks of both statements are numbered 1…4,500, each number once');
select is((select next_task_number from app_public.projects where id = :'proj'), 4501,
  'and the project''s counter is past them');
select is((select max(depth) from app_public.task_hierarchy_paths
            where ancestor_id = (select id from app_public.tasks where title = 'Imported 7')), 11,
  'the tree went in eleven levels deep, below an imported task');
select set_eq('select ancestor_id, descendant_id, depth from app_public.task_hierarchy_paths',
              'select * from expected_paths',
              'the closure table equals a recursive query over the parent ids');
select set_eq(
  'select task_id, from_status, to_status, actor from app_public.task_status_changes',
  $$select id, null::app_public.task_status, status, 'importer' from app_public.tasks$$,
  'each task has one status-history row: created in its status, by the service');
select is((select count(*)::int from app_public.audit_events
            where table_name = 'app_public.tasks' and action = 'insert'), 4500,
  'each task has its audit event');
select is_empty(format($$select 1 from app_public.audit_events
                         where table_name = 'app_public.projects' and action = 'update'
                           and row_key @> jsonb_build_object('id', %L::uuid)$$, :'proj'),
  'advancing the project''s task counter writes no audit event');

-- The counter is never reused: a later statement continues after the highest
-- number, even once that task is gone.
select tests.authenticate_as('initech', 'admin');
delete from app_public.tasks where project_id = :'proj' and number = 4500;
select tests.authenticate_as('initech', 'member');
insert into app_public.tasks (project_id, title) values (:'proj', 'After the import'), (:'proj', 'And another');
select results_eq(
  format($$select number from app_public.tasks where project_id = %L and title in ('After the import', 'And another') order by number$$, :'proj'),
  $$values (4501), (4502)$$,
  'a later insert continues after the highest number, even a deleted one');

-- A change of the project itself is still audited, without the counter.
select tests.authenticate_as('initech', 'admin');
update app_public.projects set description = 'Imported from the old tracker' where id = :'proj';
select tests.clear_authentication();
select is((select changes from app_public.audit_events
            where table_name = 'app_public.projects' and action = 'update'
              and row_key @> jsonb_build_object('id', :'proj')),
  '{"description": {"old": null, "new": "Imported from the old tracker"}}'::jsonb,
  'a project''s own change is audited, and only it');
select ok((select not (changes ? 'next_task_number') from app_public.audit_events
            where table_name = 'app_public.projects' and action = 'insert'
              and row_key @> jsonb_build_object('id', :'proj')),
  'the counter is not recorded when a project is created either');
select is((select next_task_number from app_public.projects where id = :'proj'), 4503,
  'the counter follows every statement');

select * from finish();
rollback;
