/*
 * Dependencies and what they resolve to: no self-links, one link per pair, same
 * organization only (FL111), no blocking cycle (refused with the cycle in the
 * detail), links of any other type free, every change in the audit log; and the
 * resolution functions over them:
 * transitive blockers with distances, ready tasks, the execution order by
 * levels, the critical path of a project and of a task, what finishing a task
 * unblocks, and search by words, misspellings and identifiers.
 */
begin;
select plan(27);

select tests.create_org('umbrella') as umbrella \gset
select tests.create_org('aperture') as aperture \gset
select tests.authenticate_as('aperture', 'admin');
insert into app_public.projects (key, name) values ('LAB', 'Lab');
insert into app_public.tasks (project_id, title) select id, 'Foreign' from app_public.projects;
select id as foreign_task from app_public.tasks \gset

select tests.authenticate_as('umbrella', 'admin');
insert into app_public.projects (key, name) values ('ENG', 'Engineering');
select id as eng from app_public.projects \gset
select tests.authenticate_as('umbrella', 'member');
-- design(8h) → build(13h) → test(5h) → ship(2h); docs(1h) blocks ship; research(20h) alone.
insert into app_public.tasks (project_id, title, estimated_effort, description) values
  (:'eng', 'Design the login', 8, 'Sketch the login page and the password reset'),
  (:'eng', 'Build the login', 13, 'Implement it'),
  (:'eng', 'Test the login', 5, null),
  (:'eng', 'Ship it', 2, null),
  (:'eng', 'Write the docs', 1, null),
  (:'eng', 'Research passkeys', 20, null);
select id as design from app_public.tasks where title = 'Design the login' \gset
select id as build from app_public.tasks where title = 'Build the login' \gset
select id as test from app_public.tasks where title = 'Test the login' \gset
select id as ship from app_public.tasks where title = 'Ship it' \gset
select id as docs from app_public.tasks where title = 'Write the docs' \gset
insert into app_public.task_dependencies (dependent_id, dependency_id) values
  (:'build', :'design'), (:'test', :'build'), (:'ship', :'test'), (:'ship', :'docs');

select throws_ok(format($$insert into app_public.task_dependencies (dependent_id, dependency_id) values (%L, %L)$$, :'design', :'design'),
  'FL107', null, 'a task cannot depend on itself');
select throws_ok(format($$insert into app_public.task_dependencies (dependent_id, dependency_id, type) values (%L, %L, 'relates_to')$$, :'build', :'design'),
  'FL107', null, 'two tasks are linked once');
select throws_ok(format($$insert into app_public.task_dependencies (dependent_id, dependency_id) values (%L, %L)$$, :'design', :'ship'),
  'FL106', null, 'a blocking cycle is refused');
do $$
declare
  v_detail text;
begin
  insert into app_public.task_dependencies (dependent_id, dependency_id)
  select d.id, s.id from app_public.tasks d, app_public.tasks s
   where d.title = 'Design the login' and s.title = 'Ship it';
exception when sqlstate 'FL106' then
  get stacked diagnostics v_detail = pg_exception_detail;
  perform set_config('tests.cycle', v_detail, true);
end;
$$;
select is(current_setting('tests.cycle'), 'ENG-1 → ENG-4 → ENG-3 → ENG-2 → ENG-1',
  'the detail names the cycle by identifiers, each waiting for the next');
select lives_ok(format($$insert into app_public.task_dependencies (dependent_id, dependency_id, type) values (%L, %L, 'relates_to')$$, :'design', :'ship'),
  'a relates_to link may go round');
select throws_ok(format($$update app_public.task_dependencies set type = 'blocks' where dependent_id = %L and dependency_id = %L$$, :'design', :'ship'),
  'FL106', null, 'and cannot become a blocking cycle');
select throws_ok(format($$insert into app_public.task_dependencies (dependent_id, dependency_id) values (%L, %L)$$, :'design', :'foreign_task'),
  'FL111', null, 'a task of another organization cannot be linked');
select throws_ok(format($$insert into app_public.task_dependencies (dependent_id, dependency_id, type) values (%L, %L, 'relates_to')$$, :'foreign_task', :'design'),
  'FL111', null, 'neither as the dependent');
select tests.authenticate_as('umbrella', 'viewer');
select throws_ok(format($$insert into app_public.task_dependencies (dependent_id, dependency_id) values (%L, %L)$$, :'docs', :'design'),
  '42501', null, 'a viewer cannot link tasks');
select tests.authenticate_as('umbrella', 'member');

-- Blockers, transitive, each at its shortest distance.
select results_eq(
  format($$select b.distance, (b.task).title from app_public.task_blockers(%L) b order by 1, 2$$, :'ship'),
  $$values (1, 'Test the login'), (1, 'Write the docs'), (2, 'Build the login'), (3, 'Design the login')$$,
  'the blockers of ship, by distance');
update app_public.tasks set status = 'todo' where id = :'docs';
update app_public.tasks set status = 'done' where id = :'docs';
select results_eq(
  format($$select (b.task).title from app_public.task_blockers(%L) b where b.distance = 1$$, :'ship'),
  $$values ('Test the login')$$, 'a finished blocker no longer blocks');
select results_eq(
  format($$select (b.task).title from app_public.task_blockers(%L, include_finished => true) b where b.distance = 1 order by 1$$, :'ship'),
  $$values ('Test the login'), ('Write the docs')$$, 'unless asked for');

-- Ready tasks and the execution order.
select results_eq(format($$select title from app_public.ready_tasks(%L) order by title$$, :'eng'),
  $$values ('Design the login'), ('Research passkeys')$$, 'ready: not started and not blocked by open work');
select results_eq(
  format($$select o.level, (o.task).title from app_public.task_execution_order(%L) o order by 1, 2$$, :'eng'),
  $$values (0, 'Design the login'), (0, 'Research passkeys'), (1, 'Build the login'), (2, 'Test the login'), (3, 'Ship it')$$,
  'the execution order puts each task one level after its last blocker');

-- The critical path.
select results_eq(
  format($$select c.position, (c.task).title, c.total_effort from app_public.task_critical_path(project_id => %L) c$$, :'eng'),
  $$values (1, 'Design the login', 8::numeric), (2, 'Build the login', 21::numeric), (3, 'Test the login', 26::numeric), (4, 'Ship it', 28::numeric)$$,
  'the project''s critical path is the longest chain by estimate, with the running total');
select results_eq(
  format($$select c.position, (c.task).title from app_public.task_critical_path(task_id => %L) c$$, :'test'),
  $$values (1, 'Design the login'), (2, 'Build the login'), (3, 'Test the login')$$,
  'a task''s critical path is the longest chain ending at it');
select throws_ok('select * from app_public.task_critical_path()', 'FL005', null, 'it needs a project or a task');

-- What finishing a task unblocks.
select results_eq(
  format($$select (b.task).title, b.other_open_blockers from app_public.blocked_tasks(%L) b$$, :'test'),
  $$values ('Ship it', 0)$$, 'finishing the tests would unblock shipping');
select results_eq(
  format($$select (b.task).title, b.other_open_blockers from app_public.blocked_tasks(%L) b$$, :'design'),
  $$values ('Build the login', 0)$$, 'finishing the design would unblock building');

-- A task blocked from another project is not ready, but the project's order
-- counts only its own edges; a task with blockers on two levels goes after the
-- higher one.
select tests.authenticate_as('umbrella', 'admin');
insert into app_public.projects (key, name) values ('OPS', 'Operations') returning id as ops \gset
select tests.authenticate_as('umbrella', 'member');
insert into app_public.tasks (project_id, title) values (:'ops', 'Provision the servers') returning id as provision \gset
insert into app_public.tasks (project_id, title) values (:'eng', 'Announce the login') returning id as announce \gset
select id as research from app_public.tasks where title = 'Research passkeys' \gset
insert into app_public.task_dependencies (dependent_id, dependency_id) values
  (:'research', :'provision'), (:'announce', :'design'), (:'announce', :'test');
select results_eq(format($$select title from app_public.ready_tasks(%L) order by title$$, :'eng'),
  $$values ('Design the login')$$, 'a task blocked by open work of another project is not ready');
select results_eq(
  format($$select o.level, (o.task).title from app_public.task_execution_order(%L) o order by 1, 2$$, :'eng'),
  $$values (0, 'Design the login'), (0, 'Research passkeys'), (1, 'Build the login'), (2, 'Test the login'),
           (3, 'Announce the login'), (3, 'Ship it')$$,
  'the order ignores other projects, and places a task after its highest blocker');

-- Search.
select results_eq($$select (s.task).title from app_public.search_tasks('password reset') s limit 1$$,
  $$values ('Design the login')$$, 'full-text search over title and description, matches first');
select matches((select s.snippet from app_public.search_tasks('password') s limit 1), '<mark>password</mark>',
  'the snippet marks the match');
select results_eq($$select (s.task).title from app_public.search_tasks('paskeys') s limit 1$$,
  $$values ('Research passkeys')$$, 'a misspelt word of a title still finds it');
select results_eq($$select (s.task).title from app_public.search_tasks('eng-4') s limit 1$$,
  $$values ('Ship it')$$, 'an identifier finds its task first');
select tests.authenticate_as('aperture', 'owner');
select is_empty($$select 1 from app_public.search_tasks('login')$$, 'search sees only the organization''s tasks');

-- Every change of a link is in the audit log, with who made it.
select tests.authenticate_as('umbrella', 'member');
update app_public.task_dependencies set type = 'relates_to' where dependent_id = :'ship' and dependency_id = :'docs';
delete from app_public.task_dependencies where dependent_id = :'ship' and dependency_id = :'docs';
select tests.authenticate_as('umbrella', 'admin');
select results_eq(
  format($$select action, actor_user_id, case when action = 'update' then changes end
             from app_public.audit_events
            where table_name = 'app_public.task_dependencies'
              and row_key ->> 'dependent_id' = %L and row_key ->> 'dependency_id' = %L order by id$$, :'ship', :'docs'),
  format($$values ('insert', %1$L::uuid, null::jsonb),
                  ('update', %1$L::uuid, '{"type": {"old": "blocks", "new": "relates_to"}}'::jsonb),
                  ('delete', %1$L::uuid, null::jsonb)$$, tests.user_id('umbrella', 'member')),
  'adding, changing and removing a link are in the audit log, with who did it');

select * from finish();
rollback;
