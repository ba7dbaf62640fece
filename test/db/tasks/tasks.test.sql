/*
 * Tasks: numbered per project and never reused, titles of 1 to 500 characters,
 * the status machine with completed_at kept by the database, parents in the same
 * project and never the task's own subtree, assignees of the same organization,
 * the role matrix (viewers read, members write, admins delete), the status
 * history, the audit log, the rollup over a subtree, and parents completed when
 * the project asks for it (all children finished, done or cancelled, and at
 * least one done). Parents and projects of another organization are refused.
 * Every refusal is a code and changes nothing.
 */
begin;
select plan(40);

select tests.create_org('wayne') as wayne \gset
select tests.create_org('queen') as queen \gset
select tests.authenticate_as('wayne', 'admin');
insert into app_public.projects (key, name) values ('ENG', 'Engineering'), ('OPS', 'Operations');
select id as eng from app_public.projects where key = 'ENG' \gset
select id as ops from app_public.projects where key = 'OPS' \gset

select tests.authenticate_as('wayne', 'member');
insert into app_public.tasks (project_id, title) values (:'eng', 'First'), (:'eng', 'Second');
insert into app_public.tasks (project_id, title) values (:'ops', 'Elsewhere');
select id as first from app_public.tasks where title = 'First' \gset
select id as second from app_public.tasks where title = 'Second' \gset
select id as elsewhere from app_public.tasks where title = 'Elsewhere' \gset
select results_eq(
  $$select app_public.tasks_identifier(t) from app_public.tasks t order by t.project_id = $$ || quote_literal(:'eng') || $$ desc, t.number$$,
  $$values ('ENG-1'), ('ENG-2'), ('OPS-1')$$,
  'tasks are numbered per project: ENG-1, ENG-2, OPS-1');
select tests.authenticate_as('wayne', 'admin');
delete from app_public.tasks where id = :'second';
select tests.authenticate_as('wayne', 'member');
insert into app_public.tasks (project_id, title) values (:'eng', 'Third');
select is((select app_public.tasks_identifier(t) from app_public.tasks t where title = 'Third'), 'ENG-3',
  'a deleted task''s number is never given again');
select is((app_public.task_by_identifier('eng-3')).title, 'Third', 'a task is found by its identifier, in any case');
select is((app_public.task_by_identifier('ENG-99')).id, null, 'an unknown identifier finds nothing');

-- Titles and input.
select throws_ok(format($$insert into app_public.tasks (project_id, title) values (%L, %L)$$, :'eng', repeat('x', 501)),
  'FL005', null, 'a 501-character title is refused');
select lives_ok(format($$insert into app_public.tasks (project_id, title) values (%L, %L)$$, :'eng', repeat('x', 500)),
  'a 500-character title is fine');
select throws_ok(format($$insert into app_public.tasks (project_id, title) values (%L, '   ')$$, :'eng'),
  'FL005', null, 'a blank title is refused');
select throws_ok(format($$insert into app_public.tasks (project_id, title, priority) values (%L, 'P', 6)$$, :'eng'),
  '23514', null, 'priority is 1 to 5');
select throws_ok(format($$insert into app_public.tasks (project_id, title, number) values (%L, 'Forged', 99)$$, :'eng'),
  '42501', null, 'clients do not choose a number');

-- The status machine; completed_at belongs to the database.
select throws_ok(format($$update app_public.tasks set status = 'done' where id = %L$$, :'first'),
  'FL103', null, 'backlog cannot go straight to done');
update app_public.tasks set status = 'in_progress' where id = :'first';
update app_public.tasks set status = 'done' where id = :'first';
select isnt((select completed_at from app_public.tasks where id = :'first'), null, 'becoming done sets completed_at');
update app_public.tasks set status = 'in_progress' where id = :'first';
select is((select completed_at from app_public.tasks where id = :'first'), null, 'reopening clears it');
select throws_ok(format($$update app_public.tasks set completed_at = now() where id = %L$$, :'first'),
  '42501', null, 'clients cannot set completed_at');
select results_eq(
  format($$select from_status::text, to_status::text, actor from app_public.task_status_changes where task_id = %L order by id$$, :'first'),
  $$values (null, 'backlog', 'user'), ('backlog', 'in_progress', 'user'), ('in_progress', 'done', 'user'), ('done', 'in_progress', 'user')$$,
  'every status change is recorded, from creation on');
select is((select changed_by from app_public.task_status_changes where task_id = :'first' order by id desc limit 1),
  tests.user_id('wayne', 'member'), 'with who made it');

-- Parents.
select throws_ok(format($$update app_public.tasks set parent_id = %L where id = %L$$, :'elsewhere', :'first'),
  'FL105', null, 'a parent must be in the same project');
select throws_ok(format($$update app_public.tasks set parent_id = %L where id = %L$$, :'first', :'first'),
  'FL104', null, 'a task is not its own parent');
insert into app_public.tasks (project_id, parent_id, title) values (:'eng', :'first', 'Child');
select id as child from app_public.tasks where title = 'Child' \gset
insert into app_public.tasks (project_id, parent_id, title) values (:'eng', :'child', 'Grandchild');
select id as grandchild from app_public.tasks where title = 'Grandchild' \gset
select throws_ok(format($$update app_public.tasks set parent_id = %L where id = %L$$, :'grandchild', :'first'),
  'FL104', null, 'a task cannot move under its own subtask');
select is((select parent_id from app_public.tasks where id = :'first'), null, 'and nothing moved');
select throws_ok(format($$update app_public.tasks set project_id = %L where id = %L$$, :'ops', :'first'),
  '42501', null, 'a task never changes project');

-- Assignees: users of the organization only.
select throws_ok(format($$update app_public.tasks set assignee_id = %L where id = %L$$, tests.user_id('queen', 'member'), :'first'),
  'FL108', null, 'an assignee of another organization is refused');
select lives_ok(format($$update app_public.tasks set assignee_id = %L where id = %L$$, tests.user_id('wayne', 'viewer'), :'first'),
  'an assignee of the organization is fine');

-- Role matrix: viewers read, members write, admins delete.
select tests.authenticate_as('wayne', 'viewer');
select ok((select count(*) > 0 from app_public.tasks), 'a viewer reads the tasks');
select throws_ok(format($$insert into app_public.tasks (project_id, title) values (%L, 'By a viewer')$$, :'eng'),
  '42501', null, 'a viewer cannot create a task');
select is_empty(format($$update app_public.tasks set title = 'By a viewer' where id = %L returning id$$, :'first'),
  'a viewer changes no task');
select tests.authenticate_as('wayne', 'member');
select is_empty(format($$delete from app_public.tasks where id = %L returning id$$, :'grandchild'),
  'a member deletes no task');
select tests.authenticate_as('queen', 'owner');
select is_empty('select 1 from app_public.tasks', 'another organization sees none of them');

-- Parents complete themselves when the project says so.
select tests.authenticate_as('wayne', 'admin');
update app_public.projects set settings = '{"auto_complete_parents": true}' where id = :'eng';
update app_public.tasks set status = 'todo' where id in (:'child', :'grandchild');
update app_public.tasks set status = 'done' where id = :'grandchild';
select results_eq(
  format($$select status::text from app_public.tasks where id in (%L, %L) order by number$$, :'first', :'child'),
  $$values ('done'), ('done')$$,
  'a finished subtree completes its parents, up the tree');
select is((select actor from app_public.task_status_changes where task_id = :'first' order by id desc limit 1), 'user',
  'and the history says who set it off');

-- A parent completes when its last open child is cancelled, if another child is
-- done; a parent whose children were all cancelled stays open.
select tests.authenticate_as('wayne', 'member');
insert into app_public.tasks (project_id, title, status) values (:'eng', 'AC parent', 'in_progress')
  returning id as ac_parent \gset
insert into app_public.tasks (project_id, parent_id, title, status) values
  (:'eng', :'ac_parent', 'AC one', 'todo'), (:'eng', :'ac_parent', 'AC two', 'todo');
update app_public.tasks set status = 'done' where title = 'AC one';
select is((select status::text from app_public.tasks where id = :'ac_parent'), 'in_progress',
  'a parent with an open child stays open');
update app_public.tasks set status = 'cancelled' where title = 'AC two';
select is((select status::text from app_public.tasks where id = :'ac_parent'), 'done',
  'cancelling the last open child completes the parent, since another child is done');
insert into app_public.tasks (project_id, title, status) values (:'eng', 'AC dropped', 'in_progress')
  returning id as ac_dropped \gset
insert into app_public.tasks (project_id, parent_id, title, status) values (:'eng', :'ac_dropped', 'AC only', 'todo');
update app_public.tasks set status = 'cancelled' where title = 'AC only';
select is((select status::text from app_public.tasks where id = :'ac_dropped'), 'in_progress',
  'a parent whose children were all cancelled stays open: nothing was done');

-- The rollup: every status count, the children and descendants, and the effort
-- of the task and its whole subtree.
insert into app_public.tasks (project_id, title, estimated_effort, actual_effort)
  values (:'ops', 'Rollup root', 1, 0.5) returning id as rroot \gset
insert into app_public.tasks (project_id, parent_id, title, status, estimated_effort, actual_effort) values
  (:'ops', :'rroot', 'R backlog', 'backlog', 2, null),
  (:'ops', :'rroot', 'R todo', 'todo', 3, 1),
  (:'ops', :'rroot', 'R in progress', 'in_progress', 5, 2.25),
  (:'ops', :'rroot', 'R in review', 'in_review', null, 4),
  (:'ops', :'rroot', 'R done', 'done', 8, 7.5),
  (:'ops', :'rroot', 'R cancelled', 'cancelled', 1, 0);
insert into app_public.tasks (project_id, parent_id, title, status, actual_effort)
  select :'ops', id, 'R done''s child', 'done', 1 from app_public.tasks where title = 'R done';
select results_eq(
  format($$select (r).children, (r).descendants, (r).backlog, (r).todo, (r).in_progress, (r).in_review,
                  (r).done, (r).cancelled, (r).estimated_effort, (r).actual_effort
             from (select app_public.tasks_rollup(t) as r from app_public.tasks t where t.id = %L) x$$, :'rroot'),
  $$values (6, 7, 1, 1, 1, 1, 2, 1, 20::numeric, 16.25::numeric)$$,
  'the rollup counts children, descendants and every status, and sums estimated and actual effort of the subtree');

-- The audit log records task changes, with who made them.
select tests.authenticate_as('wayne', 'admin');
select results_eq(
  format($$select action from app_public.audit_events
            where table_name = 'app_public.tasks' and row_key ->> 'id' = %L order by id$$, :'second'),
  $$values ('insert'), ('delete')$$,
  'a task''s creation and deletion are in the audit log');
select results_eq(
  format($$select changes -> 'status', actor_user_id from app_public.audit_events
            where table_name = 'app_public.tasks' and action = 'update' and row_key ->> 'id' = %L
            order by id limit 1$$, :'first'),
  format($$values ('{"old": "backlog", "new": "in_progress"}'::jsonb, %L::uuid)$$, tests.user_id('wayne', 'member')),
  'an update is recorded with the changed columns and who changed them');

-- Another organization's tasks and projects are out of reach, with codes.
select tests.authenticate_as('queen', 'admin');
insert into app_public.projects (key, name) values ('QNS', 'Queens') returning id as queen_project \gset
insert into app_public.tasks (project_id, title) values (:'queen_project', 'Queen''s task') returning id as queen_task \gset
select tests.authenticate_as('wayne', 'member');
select throws_ok(format($$update app_public.tasks set parent_id = %L where id = %L$$, :'queen_task', :'first'),
  'FL105', null, 'a task cannot move under a task of another organization');
select throws_ok(format($$insert into app_public.tasks (project_id, title) values (%L, 'Smuggled')$$, :'queen_project'),
  'FL003', null, 'a task cannot be created in another organization''s project');
select throws_ok(format($$insert into app_public.tasks (project_id, parent_id, title) values (%L, %L, 'Smuggled')$$, :'eng', :'queen_task'),
  'FL105', null, 'nor under another organization''s task');
select tests.clear_authentication();
select results_eq(
  format($$select count(*)::int from app_public.tasks where organization_id = %L$$, :'queen'),
  $$values (1)$$, 'and nothing was added there');
select is((select parent_id from app_public.tasks where id = :'first'), null, 'nor anything moved');

select * from finish();
rollback;
