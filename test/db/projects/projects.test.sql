/*
 * Projects and repositories: keys and names are valid and unique per
 * organization, admins manage them while members and viewers only read, an
 * archived project's tasks are read-only on every write path (moves and
 * dependencies included), and repositories keep valid names, URLs and branches,
 * and no secrets. Read-only does not stop cascades: a user who created, was
 * assigned or linked tasks of an archived project can still be removed, a task
 * linked to one can still be deleted, and the organization can be deleted.
 */
begin;
select plan(34);

select tests.create_org('stark') as stark \gset
select tests.create_org('oscorp') as oscorp \gset

-- Admins manage projects; members and viewers cannot.
select tests.authenticate_as('stark', 'member');
select throws_ok($$insert into app_public.projects (key, name) values ('ENG', 'Engineering')$$,
  '42501', null, 'a member cannot create a project');
select tests.authenticate_as('stark', 'admin');
select lives_ok($$insert into app_public.projects (key, name) values ('eng', 'Engineering')$$,
  'an admin creates a project');
select is((select key from app_public.projects where name = 'Engineering'), 'ENG', 'keys are stored in uppercase');
select throws_ok($$insert into app_public.projects (key, name) values ('ENG', 'Other')$$,
  'FL101', null, 'a key is unique in the organization');
select throws_ok($$insert into app_public.projects (key, name) values ('OPS', 'ENGINEERING')$$,
  'FL101', null, 'a name is unique in the organization, whatever its case');
select throws_ok($$insert into app_public.projects (key, name) values ('1X', 'Numbers')$$,
  'FL005', null, 'a key starts with a letter');
select throws_ok($$insert into app_public.projects (key, name) values ('ABCDEFGHIJK', 'Long')$$,
  'FL005', null, 'a key has at most 10 characters');
select throws_ok($$insert into app_public.projects (key, name) values ('OK', '')$$,
  'FL005', null, 'a project needs a name');
select throws_ok($$insert into app_public.projects (key, name, settings) values ('SET', 'Settings', '{"auto_complete_parents": "yes"}')$$,
  'FL005', null, 'auto_complete_parents is a boolean');
select throws_ok($$update app_public.projects set key = 'NEW'$$,
  '42501', null, 'a key never changes once set');
select tests.authenticate_as('oscorp', 'admin');
select lives_ok($$insert into app_public.projects (key, name) values ('ENG', 'Engineering')$$,
  'another organization uses the same key and name freely');
select tests.authenticate_as('stark', 'viewer');
select is((select count(*)::int from app_public.projects), 1, 'a viewer reads the organization''s projects, and only those');

-- Archiving makes the project's tasks read-only.
select tests.authenticate_as('stark', 'member');
insert into app_public.tasks (project_id, title)
  select id, 'Before archiving' from app_public.projects where key = 'ENG';
insert into app_public.tasks (project_id, title)
  select id, 'Another' from app_public.projects where key = 'ENG';
insert into app_public.task_dependencies (dependent_id, dependency_id, type)
  select a.id, b.id, 'relates_to' from app_public.tasks a, app_public.tasks b
   where a.title = 'Another' and b.title = 'Before archiving';
select tests.authenticate_as('stark', 'admin');
update app_public.projects set status = 'archived' where key = 'ENG';
select isnt((select archived_at from app_public.projects where key = 'ENG'), null, 'archiving records when');
select tests.authenticate_as('stark', 'member');
select throws_ok($$insert into app_public.tasks (project_id, title) select id, 'After' from app_public.projects where key = 'ENG'$$,
  'FL102', null, 'no new task in an archived project');
select throws_ok($$update app_public.tasks set title = 'Renamed' where title = 'Before archiving'$$,
  'FL102', null, 'no change to a task of an archived project');
select throws_ok($$insert into app_public.task_dependencies (dependent_id, dependency_id)
                   select a.id, b.id from app_public.tasks a, app_public.tasks b
                    where a.title = 'Before archiving' and b.title = 'Another'$$,
  'FL102', null, 'no new dependency between its tasks');
select throws_ok($$update app_public.tasks set parent_id = (select id from app_public.tasks where title = 'Another')
                    where title = 'Before archiving'$$,
  'FL102', null, 'no move of its tasks');
select throws_ok($$update app_public.task_dependencies set type = 'blocks'$$,
  'FL102', null, 'no change to a dependency between its tasks');
select throws_ok($$delete from app_public.task_dependencies$$,
  'FL102', null, 'no removal of one either');
select tests.authenticate_as('stark', 'admin');
select throws_ok($$delete from app_public.tasks where title = 'Another'$$,
  'FL102', null, 'no delete of its tasks either');
update app_public.projects set status = 'active' where key = 'ENG';
select is((select archived_at from app_public.projects where key = 'ENG'), null, 'unarchiving clears archived_at');
select lives_ok($$update app_public.tasks set title = 'Renamed' where title = 'Before archiving'$$,
  'once active again, its tasks change');

-- Repositories: admins add them, with valid fields and no secrets.
select tests.authenticate_as('stark', 'member');
select throws_ok($$insert into app_public.repositories (provider, full_name, clone_url) values ('github', 'stark/api', 'https://github.com/stark/api.git')$$,
  '42501', null, 'a member cannot add a repository');
select tests.authenticate_as('stark', 'admin');
select lives_ok($$insert into app_public.repositories (provider, full_name, external_id, clone_url, project_id)
                  select 'github', 'stark/api', '1001', 'https://github.com/stark/api.git', id from app_public.projects where key = 'ENG'$$,
  'an admin connects a repository to a project');
select throws_ok($$insert into app_public.repositories (provider, full_name, external_id, clone_url) values ('github', 'stark/api-copy', '1001', 'git@github.com:stark/api-copy.git')$$,
  'FL110', null, 'a provider''s repository is connected once');
select throws_ok($$insert into app_public.repositories (provider, full_name, clone_url) values ('github', 'not a name', 'https://github.com/x/y.git')$$,
  'FL005', null, 'a full name is owner/name');
select throws_ok($$insert into app_public.repositories (provider, full_name, clone_url) values ('github', 'stark/web', 'javascript:alert(1)')$$,
  'FL005', null, 'a clone URL is one git can clone');
select throws_ok($$insert into app_public.repositories (provider, full_name, clone_url, webhook_config) values ('github', 'stark/web', 'https://github.com/stark/web.git', '{"events": ["push"], "secret": "s3cr3t"}')$$,
  'FL109', null, 'webhook_config holds no secrets');

-- Cascades go through an archived project: removing a user sets their tasks'
-- assignee and creator and their links' creator to null there, deleting a task
-- of an active project removes its links into an archived one, and deleting the
-- organization deletes everything.
select tests.authenticate_as('stark', 'admin');
insert into app_public.projects (key, name) values ('OLD', 'Old work');
select tests.authenticate_as('stark', 'member');
insert into app_public.tasks (project_id, title, assignee_id)
  select id, 'Old task', tests.user_id('stark', 'member') from app_public.projects where key = 'OLD';
insert into app_public.tasks (project_id, title, assignee_id)
  select id, 'Old other', tests.user_id('stark', 'viewer') from app_public.projects where key = 'OLD';
insert into app_public.task_dependencies (dependent_id, dependency_id)
  select a.id, b.id from app_public.tasks a, app_public.tasks b
   where (a.title, b.title) in (('Old task', 'Old other'), ('Renamed', 'Old task'));
select tests.authenticate_as('stark', 'admin');
update app_public.projects set status = 'archived' where key = 'OLD';
select throws_ok($$update app_public.tasks set assignee_id = null where title = 'Old task'$$,
  'FL102', null, 'unassigning a task there directly is refused: only a cascade goes through');
select tests.authenticate_as('stark', 'owner');
select lives_ok(format($$select app_public.remove_user(%L)$$, tests.user_id('stark', 'member')),
  'a user who created, was assigned and linked tasks of an archived project can be removed');
select results_eq(
  $$select t.assignee_id, t.created_by, d.created_by
      from app_public.tasks t join app_public.task_dependencies d on d.dependent_id = t.id
     where t.title = 'Old task'$$,
  $$values (null::uuid, null::uuid, null::uuid)$$,
  'their tasks and links there keep everything but the user');
select tests.authenticate_as('stark', 'admin');
select lives_ok($$delete from app_public.tasks where title = 'Renamed'$$,
  'a task of an active project that depends on a task of an archived one can be deleted');
select tests.authenticate_as('stark', 'owner');
select lives_ok(format($$delete from app_public.organizations where id = %L$$, :'stark'),
  'an organization with an archived project, whose tasks its users created and are assigned, can be deleted');
select tests.clear_authentication();
select is((select count(*)::int from app_public.tasks where organization_id = :'stark'), 0,
  'and its tasks went with it');

select * from finish();
rollback;
