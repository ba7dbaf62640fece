--! Previous: sha1:94e94dc74c68f5d167952b45d2799151b803a217
--! Hash: sha1:8e1d638c9856d6159b1584b2797e4debbcd45ac8
--! Message: Projects, repositories and tasks: closure-table tree, dependencies without cycles, status machine, search

-- Projects, repositories and tasks (issue #8, modules 2 and 3 of DESIGN §4):
-- tasks nest without limit (a closure table kept by triggers), depend on each
-- other without cycles, follow a status machine, and are found by full-text and
-- trigram search. Idempotent: drops first, in reverse order.

drop function if exists app_public.task_by_identifier(text);
drop function if exists app_public.search_tasks(text, uuid);
drop function if exists app_hidden.html_escape(text);
drop function if exists app_public.task_critical_path(uuid, uuid);
drop function if exists app_public.task_execution_order(uuid);
drop function if exists app_public.ready_tasks(uuid);
drop function if exists app_public.blocked_tasks(uuid);
drop function if exists app_public.task_blockers(uuid, boolean);
drop function if exists app_public.task_descendants(uuid, integer);
drop function if exists app_public.task_ancestors(uuid);
drop function if exists app_public.tasks_rollup(app_public.tasks);
drop function if exists app_public.tasks_identifier(app_public.tasks);
drop table if exists app_public.task_dependencies;
drop table if exists app_public.task_status_changes;
drop table if exists app_public.task_hierarchy_paths;
drop table if exists app_public.tasks;
drop table if exists app_public.task_status_transitions;
drop table if exists app_public.repositories;
drop table if exists app_public.projects;
drop function if exists app_private.tg_task_dependencies__validate();
drop function if exists app_private.tg_tasks__status_history();
drop function if exists app_private.tg_tasks__hierarchy();
drop function if exists app_private.tg_tasks__number();
drop function if exists app_private.tg_tasks__validate();
drop function if exists app_hidden.task_status_allows(app_public.task_status, app_public.task_status);
drop function if exists app_private.tg_repositories__validate();
drop function if exists app_private.tg_projects__validate();
drop type if exists app_public.task_rollup;
drop type if exists app_public.task_dependency_type;
drop type if exists app_public.task_status;
drop type if exists app_public.task_type;
drop type if exists app_public.repository_provider;
drop type if exists app_public.project_status;

-------------------------------------------------------------------------------
-- Types
-------------------------------------------------------------------------------
create type app_public.project_status as enum ('active', 'archived');
comment on type app_public.project_status is E'Active projects change; archived projects and their tasks are read-only.';
create type app_public.repository_provider as enum ('github', 'gitlab', 'bitbucket', 'local');
comment on type app_public.repository_provider is E'Where a repository is hosted.';
create type app_public.task_type as enum ('feature', 'bug', 'chore', 'research', 'epic');
comment on type app_public.task_type is E'What kind of work a task is.';
create type app_public.task_status as enum ('backlog', 'todo', 'in_progress', 'in_review', 'done', 'cancelled');
comment on type app_public.task_status is
  E'Where a task is; allowed changes are listed by `taskStatusTransitions`. Done and cancelled tasks are finished.';
create type app_public.task_dependency_type as enum ('blocks', 'relates_to', 'duplicates');
comment on type app_public.task_dependency_type is
  E'`blocks`: the dependency must finish before the dependent starts (never in a cycle); `relates_to` and `duplicates` are links.';
create type app_public.task_rollup as (
  children integer,
  descendants integer,
  backlog integer,
  todo integer,
  in_progress integer,
  in_review integer,
  done integer,
  cancelled integer,
  estimated_effort numeric,
  actual_effort numeric
);
comment on type app_public.task_rollup is E'A task''s subtree at a glance (see `rollup`).';
comment on column app_public.task_rollup.children is E'Direct subtasks.';
comment on column app_public.task_rollup.descendants is E'Subtasks at every depth.';
comment on column app_public.task_rollup.backlog is E'Descendants in backlog.';
comment on column app_public.task_rollup.todo is E'Descendants to do.';
comment on column app_public.task_rollup.in_progress is E'Descendants in progress.';
comment on column app_public.task_rollup.in_review is E'Descendants in review.';
comment on column app_public.task_rollup.done is E'Descendants done.';
comment on column app_public.task_rollup.cancelled is E'Descendants cancelled.';
comment on column app_public.task_rollup.estimated_effort is E'Estimated effort of the task and all its descendants (hours).';
comment on column app_public.task_rollup.actual_effort is E'Actual effort of the task and all its descendants (hours).';

-------------------------------------------------------------------------------
-- projects
-------------------------------------------------------------------------------
create table app_public.projects (
  organization_id uuid not null default app_public.current_org_id()
    references app_public.organizations (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  key text not null,
  name text not null check (length(name) between 1 and 200),
  description text check (length(description) <= 10000),
  status app_public.project_status not null default 'active',
  settings jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  lead_id uuid,
  next_task_number integer not null default 1 check (next_task_number > 0),
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, id),
  unique (organization_id, key),
  foreign key (organization_id, lead_id)
    references app_public.users (organization_id, id) on delete set null (lead_id)
);
alter table app_public.projects enable row level security;
create unique index projects_name_idx on app_public.projects (organization_id, lower(name));
create index on app_public.projects (organization_id, lead_id);
create trigger _100_timestamps
  before insert or update on app_public.projects
  for each row execute function app_private.tg__timestamps();
--! Included projects/tg_projects__validate.sql
/*
 * tg_projects__validate: coded errors for a project's key and name on every
 * path that writes them (createProject, updateProject). A key (`ENG`) prefixes
 * every task identifier (`ENG-42`), so it is 2 to 10 uppercase letters and
 * digits, starts with a letter, and never changes once tasks carry it (it is
 * outside the update grant). Keys and names are unique per organization: two
 * requests racing for one take a transaction advisory lock on it first, so the
 * second sees the first's row and gets FL101, not a bare 23505.
 * Works with: app_public.projects (_200_validate).
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
create trigger _200_validate
  before insert or update on app_public.projects
  for each row execute function app_private.tg_projects__validate();
create policy select_member on app_public.projects for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
create policy insert_admin on app_public.projects for insert with check (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
create policy update_admin on app_public.projects for update using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
create policy delete_admin on app_public.projects for delete using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
grant select, delete on app_public.projects to :DATABASE_VISITOR;
grant insert (key, name, description, status, settings, lead_id) on app_public.projects to :DATABASE_VISITOR;
grant update (name, description, status, settings, lead_id) on app_public.projects to :DATABASE_VISITOR;
comment on table app_public.projects is
  E'A body of work with its own task numbering (`ENG-42`). Admins manage projects; archiving one makes its tasks read-only.';
comment on column app_public.projects.organization_id is E'The organization the project belongs to.';
comment on column app_public.projects.id is E'The project''s id.';
comment on column app_public.projects.key is E'@behavior +orderBy\nShort uppercase key (2–10 letters and digits) that prefixes task identifiers; unique in the organization, fixed once set.';
comment on column app_public.projects.name is E'@behavior +orderBy +filterBy\nDisplay name, unique in the organization (case-insensitive).';
comment on column app_public.projects.description is E'What the project is about.';
comment on column app_public.projects.status is E'@behavior +filterBy\n`ACTIVE`, or `ARCHIVED` (its tasks are then read-only).';
comment on column app_public.projects.settings is E'Project settings (a JSON object). `auto_complete_parents: true` completes a task when all its subtasks are finished.';
comment on column app_public.projects.lead_id is E'The user who leads the project.';
comment on column app_public.projects.next_task_number is E'@behavior -*\nThe number the next task gets (internal).';
comment on column app_public.projects.archived_at is E'When the project was archived, while it is.';
comment on column app_public.projects.created_at is E'When the project was created.';
comment on column app_public.projects.updated_at is E'When the project was last changed.';
select app_private.enable_audit('app_public.projects');
alter table app_public.projects alter column organization_id set (n_distinct = -0.01);

-------------------------------------------------------------------------------
-- repositories
-------------------------------------------------------------------------------
create table app_public.repositories (
  organization_id uuid not null default app_public.current_org_id()
    references app_public.organizations (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  project_id uuid,
  provider app_public.repository_provider not null,
  full_name text not null,
  external_id text check (length(external_id) between 1 and 200),
  clone_url text not null,
  default_branch text not null default 'main',
  analysis_config jsonb not null default '{}',
  webhook_config jsonb not null default '{}',
  last_analyzed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, id),
  unique (organization_id, provider, external_id),
  unique (organization_id, provider, full_name),
  foreign key (organization_id, project_id)
    references app_public.projects (organization_id, id) on delete set null (project_id)
);
alter table app_public.repositories enable row level security;
create index on app_public.repositories (organization_id, project_id);
create trigger _100_timestamps
  before insert or update on app_public.repositories
  for each row execute function app_private.tg__timestamps();
--! Included projects/tg_repositories__validate.sql
/*
 * tg_repositories__validate: coded errors for a repository's fields on every
 * path that writes them. `full_name` is `owner/name` as the provider spells it;
 * `clone_url` is an https:// URL, an scp-style `git@host:owner/name.git`, or (for
 * provider `local`) a file:// URL or absolute path; `default_branch` is a valid
 * git branch name; the two configs are JSON objects, and `webhook_config` holds
 * no secrets (keys such as `secret` or `token`): webhook secrets belong to the
 * integrations module, encrypted, never in a readable column (FL109). The
 * provider's own id is unique per organization and provider (FL110).
 * Works with: app_public.repositories (_200_validate).
 */
create or replace function app_private.tg_repositories__validate() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if new.full_name is null or new.full_name !~ '^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$' then
    raise exception 'A repository''s full name is "owner/name", not "%"', new.full_name
      using errcode = 'FL005', hint = 'For example "acme/api".';
  end if;
  if new.clone_url is null
     or not (new.clone_url ~ '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[^[:space:]]+$'
             or new.clone_url ~ '^[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:[^[:space:]]+$'
             or (new.provider = 'local' and new.clone_url ~ '^(file://)?/[^[:space:]]*$'))
     or pg_catalog.length(new.clone_url) > 2000 then
    raise exception 'The clone URL "%" is not one git can clone', new.clone_url
      using errcode = 'FL005',
            hint = 'Use https://host/owner/name.git or git@host:owner/name.git (file:// or a path for local repositories).';
  end if;
  if new.default_branch is null
     or new.default_branch !~ '^[A-Za-z0-9._/-]{1,255}$'
     or new.default_branch ~ '(^[./-]|\.\.|//|/$|\.lock$|@\{)' then
    raise exception 'The branch name "%" is not valid', new.default_branch using errcode = 'FL005';
  end if;
  if pg_catalog.jsonb_typeof(new.analysis_config) is distinct from 'object'
     or pg_catalog.jsonb_typeof(new.webhook_config) is distinct from 'object' then
    raise exception 'analysis_config and webhook_config must be JSON objects' using errcode = 'FL005';
  end if;
  if exists (select 1 from pg_catalog.jsonb_each(new.webhook_config) e
              where e.key ~* '(secret|token|password|passwd|private|credential|api_?key)') then
    raise exception 'webhook_config must not hold secrets' using errcode = 'FL109',
      hint = 'Webhook secrets are kept encrypted by the integration, never in a readable column.';
  end if;
  if new.external_id is not null then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
      'forgeline.repository:' || new.organization_id::text || ':' || new.provider::text || ':' || new.external_id, 0));
    if exists (select 1 from app_public.repositories r
                where r.organization_id = new.organization_id and r.provider = new.provider
                  and r.external_id = new.external_id and r.id <> new.id) then
      raise exception 'This % repository (id %) is already connected to the organization', new.provider, new.external_id
        using errcode = 'FL110';
    end if;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_repositories__validate() is
  E'Trigger function: validates a repository''s names, URL, branch and configs (FL005, FL109, FL110).';
--! EndIncluded projects/tg_repositories__validate.sql
create trigger _200_validate
  before insert or update on app_public.repositories
  for each row execute function app_private.tg_repositories__validate();
create policy select_member on app_public.repositories for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
create policy insert_admin on app_public.repositories for insert with check (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
create policy update_admin on app_public.repositories for update using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
create policy delete_admin on app_public.repositories for delete using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
grant select, delete on app_public.repositories to :DATABASE_VISITOR;
grant insert (project_id, provider, full_name, external_id, clone_url, default_branch, analysis_config, webhook_config)
  on app_public.repositories to :DATABASE_VISITOR;
grant update (project_id, full_name, clone_url, default_branch, analysis_config, webhook_config)
  on app_public.repositories to :DATABASE_VISITOR;
comment on table app_public.repositories is
  E'A code repository the organization works in, optionally part of a project. Admins manage repositories.';
comment on column app_public.repositories.organization_id is E'The organization the repository belongs to.';
comment on column app_public.repositories.id is E'The repository''s id.';
comment on column app_public.repositories.project_id is E'The project it belongs to, if any.';
comment on column app_public.repositories.provider is E'Where it is hosted.';
comment on column app_public.repositories.full_name is E'@behavior +orderBy +filterBy\n`owner/name`, as the provider spells it.';
comment on column app_public.repositories.external_id is E'The provider''s own id of the repository; unique per organization and provider.';
comment on column app_public.repositories.clone_url is E'How to clone it: https://…, git@host:owner/name.git, or for a local repository a path.';
comment on column app_public.repositories.default_branch is E'The branch work merges into.';
comment on column app_public.repositories.analysis_config is E'How to analyse the code (a JSON object).';
comment on column app_public.repositories.webhook_config is E'Which events to receive (a JSON object, without secrets: those stay encrypted with the integration).';
comment on column app_public.repositories.last_analyzed_at is E'When the code was last analysed (set by the analysis job).';
comment on column app_public.repositories.created_at is E'When the repository was added.';
comment on column app_public.repositories.updated_at is E'When the repository was last changed.';
select app_private.enable_audit('app_public.repositories');
alter table app_public.repositories alter column organization_id set (n_distinct = -0.01);

-------------------------------------------------------------------------------
-- The task status machine (data, so clients can read it)
-------------------------------------------------------------------------------
create table app_public.task_status_transitions (
  from_status app_public.task_status not null,
  to_status app_public.task_status not null,
  primary key (from_status, to_status),
  check (from_status <> to_status)
);
alter table app_public.task_status_transitions enable row level security;
create policy select_all on app_public.task_status_transitions for select using (true);
grant select on app_public.task_status_transitions to :DATABASE_VISITOR;
comment on table app_public.task_status_transitions is
  E'@behavior -insert -update -delete\nThe allowed changes of a task''s status.';
comment on column app_public.task_status_transitions.from_status is E'The status a task is in.';
comment on column app_public.task_status_transitions.to_status is E'A status it may change to.';
insert into app_public.task_status_transitions (from_status, to_status) values
  ('backlog', 'todo'), ('backlog', 'in_progress'), ('backlog', 'cancelled'),
  ('todo', 'backlog'), ('todo', 'in_progress'), ('todo', 'done'), ('todo', 'cancelled'),
  ('in_progress', 'todo'), ('in_progress', 'in_review'), ('in_progress', 'done'), ('in_progress', 'cancelled'),
  ('in_review', 'in_progress'), ('in_review', 'done'), ('in_review', 'cancelled'),
  ('done', 'in_progress'),
  ('cancelled', 'backlog'), ('cancelled', 'todo');
--! Included tasks/task_transitions.sql
/*
 * task_status_allows(from, to): the task status machine, kept as data in
 * app_public.task_status_transitions so clients can show the allowed next
 * statuses (`taskStatusTransitions`) and the trigger that enforces it
 * (tg_tasks__validate) reads the same rows. Staying in a status is always
 * allowed.
 */
create or replace function app_hidden.task_status_allows(
  from_status app_public.task_status,
  to_status app_public.task_status
) returns boolean
  language sql stable parallel safe
as $$
  select task_status_allows.from_status = task_status_allows.to_status
      or exists (select 1 from app_public.task_status_transitions s
                  where s.from_status = task_status_allows.from_status
                    and s.to_status = task_status_allows.to_status);
$$;
comment on function app_hidden.task_status_allows(app_public.task_status, app_public.task_status) is
  E'Whether a task may go from one status to another (app_public.task_status_transitions).';
--! EndIncluded tasks/task_transitions.sql

-------------------------------------------------------------------------------
-- tasks
-------------------------------------------------------------------------------
create table app_public.tasks (
  organization_id uuid not null default app_public.current_org_id()
    references app_public.organizations (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  project_id uuid not null,
  parent_id uuid,
  number integer not null check (number > 0),
  title text not null check (length(title) between 1 and 500),
  description text check (length(description) <= 100000),
  type app_public.task_type not null default 'feature',
  status app_public.task_status not null default 'backlog',
  priority smallint not null default 3 check (priority between 1 and 5),
  assignee_id uuid,
  created_by uuid default app_public.current_user_id(),
  estimated_effort numeric(10, 2) check (estimated_effort >= 0),
  actual_effort numeric(10, 2) check (actual_effort >= 0),
  due_on date,
  completed_at timestamptz,
  external_refs jsonb not null default '{}' check (jsonb_typeof(external_refs) = 'object'),
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  search tsvector generated always as (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', coalesce(description, '')), 'B')) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, id),
  unique (organization_id, project_id, number),
  foreign key (organization_id, project_id)
    references app_public.projects (organization_id, id) on delete cascade,
  foreign key (organization_id, parent_id)
    references app_public.tasks (organization_id, id) on delete cascade,
  foreign key (organization_id, assignee_id)
    references app_public.users (organization_id, id) on delete set null (assignee_id),
  foreign key (organization_id, created_by)
    references app_public.users (organization_id, id) on delete set null (created_by)
);
alter table app_public.tasks enable row level security;
create index on app_public.tasks (organization_id, parent_id);
create index on app_public.tasks (organization_id, assignee_id);
create index on app_public.tasks (organization_id, created_by);
create index tasks_project_status_idx on app_public.tasks (organization_id, project_id, status, priority);
create index tasks_search_idx on app_public.tasks using gin (search);
create index tasks_title_trgm_idx on app_public.tasks using gin (title public.gin_trgm_ops);
create trigger _100_timestamps
  before insert or update on app_public.tasks
  for each row execute function app_private.tg__timestamps();
--! Included tasks/tg_tasks__validate.sql
/*
 * tg_tasks__validate: the rules of one task row, on every write path
 * (createTask, updateTask, deleteTask, trusted code), each a coded error that
 * changes nothing:
 *
 *   - the project is archived: its tasks are read-only (FL102);
 *   - the title is 1 to 500 characters (FL005);
 *   - a status change follows app_public.task_status_transitions (FL103), and
 *     completed_at is the database's: set when a task becomes done, cleared when
 *     it leaves done;
 *   - a task stays in its project (FL105), its parent is in the same project
 *     (FL105) and is not the task itself (FL104): a move under one of its own
 *     descendants is refused by the hierarchy trigger, which sees the whole
 *     statement (tg_tasks__hierarchy);
 *   - the assignee is a user of the same organization (FL108).
 *
 * A change of parent takes the project's tree lock (a transaction advisory
 * lock), so two moves racing to put two tasks under each other are serialised
 * and the second sees the first. Invoker: every lookup is what RLS shows the
 * caller, which is exactly the organization's rows.
 * Works with: app_public.tasks (_200_validate), tg_tasks__hierarchy.
 */
create or replace function app_private.tg_tasks__validate() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_row app_public.tasks := case when tg_op = 'DELETE' then old else new end;
  v_status app_public.project_status;
begin
  select p.status into v_status from app_public.projects p
   where p.organization_id = v_row.organization_id and p.id = v_row.project_id;
  -- Not found: the project is being deleted (a cascade) or does not exist (the
  -- foreign key refuses that). Either way there is nothing archived to protect.
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
      perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
        'forgeline.task_tree:' || new.organization_id::text || ':' || new.project_id::text, 0));
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
create trigger _200_validate
  before insert or update or delete on app_public.tasks
  for each row execute function app_private.tg_tasks__validate();
--! Included tasks/tg_tasks__number.sql
/*
 * tg_tasks__number: gives each new task the next number of its project, so it
 * has a human identifier (`ENG-42`, see tasks_identifier). The counter is the
 * project row's next_task_number, incremented under the row's lock: concurrent
 * inserts into one project wait for each other at this point, so no number is
 * given twice, and since the counter only grows a number is never reused, even
 * after a delete. Inserts into different projects do not wait for each other.
 * Works with: app_public.tasks (_500_number), app_public.projects.next_task_number.
 */
create or replace function app_private.tg_tasks__number() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: next_task_number is outside the visitor's update grant; this is its only writer.
begin
  update app_public.projects p
     set next_task_number = p.next_task_number + 1
   where p.organization_id = new.organization_id and p.id = new.project_id
     and new.organization_id = app_public.current_org_id()
  returning p.next_task_number - 1 into new.number;
  if new.number is null then
    raise exception 'No such project in this organization' using errcode = 'FL003';
  end if;
  return new;
end;
$$;
comment on function app_private.tg_tasks__number() is
  E'Trigger function: numbers a new task within its project (never reused, safe under concurrent inserts).';
--! EndIncluded tasks/tg_tasks__number.sql
create trigger _500_number
  before insert on app_public.tasks
  for each row execute function app_private.tg_tasks__number();
create policy select_member on app_public.tasks for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
create policy insert_member on app_public.tasks for insert with check (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'member');
create policy update_member on app_public.tasks for update using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'member');
create policy delete_admin on app_public.tasks for delete using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'admin');
grant select, delete on app_public.tasks to :DATABASE_VISITOR;
grant insert (project_id, parent_id, title, description, type, status, priority, assignee_id,
              estimated_effort, actual_effort, due_on, external_refs, metadata)
  on app_public.tasks to :DATABASE_VISITOR;
grant update (parent_id, title, description, type, status, priority, assignee_id,
              estimated_effort, actual_effort, due_on, external_refs, metadata)
  on app_public.tasks to :DATABASE_VISITOR;
comment on table app_public.tasks is
  E'A unit of work in a project. Tasks nest without limit (`parentId`, `rollup`, `taskDescendants`), block each other (`taskDependencies`), and move through statuses (`taskStatusTransitions`). Members create and edit tasks; admins delete them (with their subtasks).';
comment on column app_public.tasks.organization_id is E'The organization the task belongs to.';
comment on column app_public.tasks.id is E'The task''s id.';
comment on column app_public.tasks.project_id is E'The project the task is in; it cannot move to another.';
comment on column app_public.tasks.parent_id is E'The task this one is a subtask of (same project). Changing it moves the task with its subtree.';
comment on column app_public.tasks.number is E'@behavior +orderBy\nThe task''s number in its project (ENG-42 is number 42); never reused.';
comment on column app_public.tasks.title is E'@behavior +orderBy\nWhat to do, 1 to 500 characters.';
comment on column app_public.tasks.description is E'More about it (searched with the title).';
comment on column app_public.tasks.type is E'@behavior +filterBy\nWhat kind of work it is.';
comment on column app_public.tasks.status is E'@behavior +filterBy +orderBy\nWhere it is; see `taskStatusTransitions` for the allowed changes.';
comment on column app_public.tasks.priority is E'@behavior +filterBy +orderBy\n1 (most urgent) to 5.';
comment on column app_public.tasks.assignee_id is E'@behavior +filterBy\nThe user working on it (a user of the organization).';
comment on column app_public.tasks.created_by is E'The user who created it.';
comment on column app_public.tasks.estimated_effort is E'Estimated effort, in hours.';
comment on column app_public.tasks.actual_effort is E'Effort spent so far, in hours.';
comment on column app_public.tasks.due_on is E'@behavior +filterBy +orderBy\nWhen it is due.';
comment on column app_public.tasks.completed_at is E'When it was last done (set by the database).';
comment on column app_public.tasks.external_refs is E'Ids on outside services, e.g. {"github": {"issue": 12}, "linear": "ENG-7"}.';
comment on column app_public.tasks.metadata is E'Anything else (a JSON object).';
comment on column app_public.tasks.search is E'@behavior -*\nThe full-text document (internal).';
comment on column app_public.tasks.created_at is E'@behavior +orderBy\nWhen it was created.';
comment on column app_public.tasks.updated_at is E'@behavior +orderBy\nWhen it was last changed.';
select app_private.enable_audit('app_public.tasks', omit => '{updated_at,created_at,search}');
alter table app_public.tasks alter column organization_id set (n_distinct = -0.01);

-------------------------------------------------------------------------------
-- The task tree: closure table, kept by statement-level triggers
-------------------------------------------------------------------------------
create table app_public.task_hierarchy_paths (
  organization_id uuid not null,
  ancestor_id uuid not null,
  descendant_id uuid not null,
  depth integer not null check (depth >= 0),
  primary key (organization_id, ancestor_id, descendant_id),
  foreign key (organization_id) references app_public.organizations (id) on delete cascade
);
alter table app_public.task_hierarchy_paths enable row level security;
create index on app_public.task_hierarchy_paths (organization_id, ancestor_id, depth);
create index on app_public.task_hierarchy_paths (organization_id, descendant_id, depth);
create policy select_member on app_public.task_hierarchy_paths for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
grant select on app_public.task_hierarchy_paths to :DATABASE_VISITOR;
comment on table app_public.task_hierarchy_paths is
  E'@behavior -*\nThe closure of the task tree: every ancestor and descendant pair with its distance (each task is its own ancestor at depth 0). Kept by triggers; read through taskAncestors, taskDescendants and rollup.';
comment on column app_public.task_hierarchy_paths.organization_id is E'The organization.';
comment on column app_public.task_hierarchy_paths.ancestor_id is E'The ancestor task.';
comment on column app_public.task_hierarchy_paths.descendant_id is E'The descendant task.';
comment on column app_public.task_hierarchy_paths.depth is E'How many levels below the ancestor the descendant is.';
alter table app_public.task_hierarchy_paths alter column organization_id set (n_distinct = -0.01);
--! Included tasks/tg_tasks__hierarchy.sql
/*
 * tg_tasks__hierarchy: keeps the closure table app_public.task_hierarchy_paths
 * equal to the transitive closure of tasks.parent_id (every ancestor/descendant
 * pair with its distance, each task its own ancestor at depth 0), by
 * statement-level triggers over transition tables, so a bulk insert is a few
 * set-based statements:
 *
 *   INSERT  the new tasks' paths: up the batch itself (a subtree inserted in one
 *           statement), then the existing paths above the batch's top tasks;
 *   UPDATE OF parent_id (a move)  per moved task, in the order the rows come: the
 *           paths from its subtree to its old ancestors are removed and paths to
 *           the new parent's ancestors added (|subtree| × depth rows). A move
 *           under the task's own subtree is refused here (FL104), seeing every
 *           move of the statement;
 *   DELETE  the paths of deleted tasks (children go by the parent_id foreign key's
 *           cascade, which fires this trigger again for them).
 *
 * The reads these serve are indexed: (organization_id, ancestor_id, depth) for
 * subtrees and (organization_id, descendant_id, depth) for ancestors. Moves in one
 * project are serialised by tg_tasks__validate's tree lock.
 * Works with: app_public.tasks (_210_hierarchy_* triggers), task_ancestors(),
 * task_descendants(), tasks_rollup().
 */
create or replace function app_private.tg_tasks__hierarchy() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the closure table has no write grant; these triggers are its only writers.
declare
  v_move record;
begin
  if tg_op = 'INSERT' then
    insert into app_public.task_hierarchy_paths (organization_id, ancestor_id, descendant_id, depth)
    with recursive up (organization_id, descendant_id, ancestor_id, depth) as (
      select n.organization_id, n.id, n.id, 0 from new_rows n
      union all
      select up.organization_id, up.descendant_id, n.parent_id, up.depth + 1
        from up
        join new_rows n on n.organization_id = up.organization_id and n.id = up.ancestor_id
       where n.parent_id is not null
         and exists (select 1 from new_rows p where p.organization_id = n.organization_id and p.id = n.parent_id)
    )
    select up.organization_id, up.ancestor_id, up.descendant_id, up.depth from up
    union all
    select up.organization_id, p.ancestor_id, up.descendant_id, up.depth + 1 + p.depth
      from up
      join new_rows top on top.organization_id = up.organization_id and top.id = up.ancestor_id
      join app_public.task_hierarchy_paths p
        on p.organization_id = top.organization_id and p.descendant_id = top.parent_id
     where top.parent_id is not null
       and not exists (select 1 from new_rows x where x.organization_id = top.organization_id and x.id = top.parent_id);
  elsif tg_op = 'UPDATE' then
    for v_move in
      select n.organization_id, n.id, n.parent_id
        from new_rows n
        join old_rows o on o.organization_id = n.organization_id and o.id = n.id
       where n.parent_id is distinct from o.parent_id
    loop
      if v_move.parent_id is not null and exists (
           select 1 from app_public.task_hierarchy_paths s
            where s.organization_id = v_move.organization_id
              and s.ancestor_id = v_move.id and s.descendant_id = v_move.parent_id) then
        raise exception 'A task cannot move under one of its own subtasks'
          using errcode = 'FL104', hint = 'Move the subtask out first, or pick another parent.';
      end if;
      -- Cut the subtree from its old ancestors…
      delete from app_public.task_hierarchy_paths p
       using app_public.task_hierarchy_paths sub, app_public.task_hierarchy_paths above
       where sub.organization_id = v_move.organization_id and sub.ancestor_id = v_move.id
         and above.organization_id = v_move.organization_id and above.descendant_id = v_move.id
         and above.ancestor_id <> v_move.id
         and p.organization_id = v_move.organization_id
         and p.ancestor_id = above.ancestor_id and p.descendant_id = sub.descendant_id;
      -- …and graft it under the new parent's.
      if v_move.parent_id is not null then
        insert into app_public.task_hierarchy_paths (organization_id, ancestor_id, descendant_id, depth)
        select v_move.organization_id, above.ancestor_id, sub.descendant_id, above.depth + 1 + sub.depth
          from app_public.task_hierarchy_paths above
          cross join app_public.task_hierarchy_paths sub
         where above.organization_id = v_move.organization_id and above.descendant_id = v_move.parent_id
           and sub.organization_id = v_move.organization_id and sub.ancestor_id = v_move.id;
      end if;
    end loop;
  else
    delete from app_public.task_hierarchy_paths p
     using old_rows o
     where p.organization_id = o.organization_id and p.descendant_id = o.id;
  end if;
  return null;
end;
$$;
comment on function app_private.tg_tasks__hierarchy() is
  E'Trigger function: keeps app_public.task_hierarchy_paths the closure of tasks.parent_id on insert, move and delete.';
--! EndIncluded tasks/tg_tasks__hierarchy.sql
create trigger _210_hierarchy_insert
  after insert on app_public.tasks
  referencing new table as new_rows
  for each statement execute function app_private.tg_tasks__hierarchy();
create trigger _210_hierarchy_move
  after update on app_public.tasks
  referencing old table as old_rows new table as new_rows
  for each statement execute function app_private.tg_tasks__hierarchy();
create trigger _210_hierarchy_delete
  after delete on app_public.tasks
  referencing old table as old_rows
  for each statement execute function app_private.tg_tasks__hierarchy();

-------------------------------------------------------------------------------
-- Status history
-------------------------------------------------------------------------------
create table app_public.task_status_changes (
  organization_id uuid not null,
  id bigint generated always as identity,
  task_id uuid not null,
  from_status app_public.task_status,
  to_status app_public.task_status not null,
  changed_by uuid,
  actor text not null,
  changed_at timestamptz not null default now(),
  primary key (organization_id, id),
  foreign key (organization_id, task_id)
    references app_public.tasks (organization_id, id) on delete cascade,
  foreign key (organization_id, changed_by)
    references app_public.users (organization_id, id) on delete set null (changed_by)
);
alter table app_public.task_status_changes enable row level security;
create index on app_public.task_status_changes (organization_id, task_id, changed_at);
create index on app_public.task_status_changes (organization_id, changed_by);
create policy select_member on app_public.task_status_changes for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
grant select on app_public.task_status_changes to :DATABASE_VISITOR;
comment on table app_public.task_status_changes is
  E'@behavior -insert -update -delete\nEvery status a task went through: who changed it, from what, to what, when.';
comment on column app_public.task_status_changes.organization_id is E'The organization.';
comment on column app_public.task_status_changes.id is E'Orders the changes.';
comment on column app_public.task_status_changes.task_id is E'The task.';
comment on column app_public.task_status_changes.from_status is E'The status before (null when the task was created).';
comment on column app_public.task_status_changes.to_status is E'The status after.';
comment on column app_public.task_status_changes.changed_by is E'The user who changed it, when a user did.';
comment on column app_public.task_status_changes.actor is E'Who changed it: `user`, or trusted code such as `worker`.';
comment on column app_public.task_status_changes.changed_at is E'@behavior +orderBy\nWhen.';
alter table app_public.task_status_changes alter column organization_id set (n_distinct = -0.01);
--! Included tasks/tg_tasks__status_history.sql
/*
 * tg_tasks__status_history: every task's status story, one row per change in
 * app_public.task_status_changes (who, from, to, when; `from` is null when the
 * task is created), written per statement from the transition tables.
 *
 * It also completes parents when the project asks for it
 * (settings.auto_complete_parents): when a task becomes done and every other
 * child of its parent is done or cancelled, the parent becomes done too, if its
 * status may go to done (an open parent in backlog stays there). That update
 * fires this trigger again, so completion climbs as far as it should.
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

  -- Parents of tasks that just became done. (A statement trigger fires even for an
  -- update of no rows, so the update below runs only when there is one: it fires
  -- this trigger again, and would otherwise never stop.)
  select pg_catalog.array_agg(distinct n.parent_id) into v_parents
    from new_rows n join old_rows o on o.organization_id = n.organization_id and o.id = n.id
   where n.status = 'done' and o.status <> 'done' and n.parent_id is not null;
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
                        and child.status not in ('done', 'cancelled'));
  return null;
end;
$$;
comment on function app_private.tg_tasks__status_history() is
  E'Trigger function: records task status changes and completes parents whose children are all finished (if the project says so).';
--! EndIncluded tasks/tg_tasks__status_history.sql
create trigger _220_status_history_insert
  after insert on app_public.tasks
  referencing new table as new_rows
  for each statement execute function app_private.tg_tasks__status_history();
create trigger _220_status_history_update
  after update on app_public.tasks
  referencing old table as old_rows new table as new_rows
  for each statement execute function app_private.tg_tasks__status_history();

-------------------------------------------------------------------------------
-- Dependencies
-------------------------------------------------------------------------------
create table app_public.task_dependencies (
  organization_id uuid not null default app_public.current_org_id(),
  dependent_id uuid not null,
  dependency_id uuid not null,
  type app_public.task_dependency_type not null default 'blocks',
  created_by uuid default app_public.current_user_id(),
  created_at timestamptz not null default now(),
  primary key (organization_id, dependent_id, dependency_id),
  check (dependent_id <> dependency_id),
  foreign key (organization_id, dependent_id)
    references app_public.tasks (organization_id, id) on delete cascade,
  foreign key (organization_id, dependency_id)
    references app_public.tasks (organization_id, id) on delete cascade,
  foreign key (organization_id, created_by)
    references app_public.users (organization_id, id) on delete set null (created_by)
);
alter table app_public.task_dependencies enable row level security;
create index on app_public.task_dependencies (organization_id, dependency_id);
create index on app_public.task_dependencies (organization_id, created_by);
--! Included tasks/tg_task_dependencies__validate.sql
/*
 * tg_task_dependencies__validate: the rules of a dependency edge, each a coded
 * error that changes nothing: no task depends on itself, a pair is linked once
 * (FL107, also when two requests race to link it); neither end's project is archived (FL102); and a `blocks` edge never
 * closes a cycle (FL106), the error's detail naming the cycle by task identifiers
 * (`ENG-3 → ENG-7 → ENG-3`).
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
 * Works with: app_public.task_dependencies (_200_validate).
 */
create or replace function app_private.tg_task_dependencies__validate() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_nodes uuid[];
  v_from uuid[];
  v_cur uuid;
  v_path uuid[];
  v_names text;
begin
  if tg_op = 'DELETE' then
    if exists (select 1 from app_public.tasks t join app_public.projects p
                 on p.organization_id = t.organization_id and p.id = t.project_id
                where t.organization_id = old.organization_id
                  and t.id in (old.dependent_id, old.dependency_id) and p.status = 'archived') then
      raise exception 'The project is archived: its tasks are read-only' using errcode = 'FL102';
    end if;
    return old;
  end if;
  if new.dependent_id = new.dependency_id then
    raise exception 'A task cannot depend on itself' using errcode = 'FL107';
  end if;
  if exists (select 1 from app_public.tasks t join app_public.projects p
               on p.organization_id = t.organization_id and p.id = t.project_id
              where t.organization_id = new.organization_id
                and t.id in (new.dependent_id, new.dependency_id) and p.status = 'archived') then
    raise exception 'The project is archived: its tasks are read-only' using errcode = 'FL102';
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
  E'Trigger function: refuses self-dependencies (FL107), edges into archived projects (FL102) and blocking cycles (FL106, the cycle in the detail).';
--! EndIncluded tasks/tg_task_dependencies__validate.sql
create trigger _200_validate
  before insert or update or delete on app_public.task_dependencies
  for each row execute function app_private.tg_task_dependencies__validate();
create policy select_member on app_public.task_dependencies for select using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) is not null);
create policy insert_member on app_public.task_dependencies for insert with check (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'member');
create policy update_member on app_public.task_dependencies for update using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'member');
create policy delete_member on app_public.task_dependencies for delete using (
  organization_id = (select app_public.current_org_id())
  and (select app_public.current_user_role()) >= 'member');
grant select, delete on app_public.task_dependencies to :DATABASE_VISITOR;
grant insert (dependent_id, dependency_id, type) on app_public.task_dependencies to :DATABASE_VISITOR;
grant update (type) on app_public.task_dependencies to :DATABASE_VISITOR;
comment on table app_public.task_dependencies is
  E'A link between two tasks of the organization: the dependent waits for the dependency (`BLOCKS`, never in a cycle), or they relate or duplicate. Members add and remove links.';
comment on column app_public.task_dependencies.organization_id is E'The organization.';
comment on column app_public.task_dependencies.dependent_id is E'The task that depends.';
comment on column app_public.task_dependencies.dependency_id is E'The task it depends on.';
comment on column app_public.task_dependencies.type is E'@behavior +filterBy\n`BLOCKS`, `RELATES_TO` or `DUPLICATES`.';
comment on column app_public.task_dependencies.created_by is E'The user who added the link.';
comment on column app_public.task_dependencies.created_at is E'When it was added.';
select app_private.enable_audit('app_public.task_dependencies', omit => '{created_at}');
alter table app_public.task_dependencies alter column organization_id set (n_distinct = -0.01);

-------------------------------------------------------------------------------
-- Reading the tree, the dependencies and the plan; search
-------------------------------------------------------------------------------
--! Included tasks/task_fields.sql
/*
 * Computed fields of a task: its identifier (`ENG-42`: the project's key and the
 * task's number in the project) and its rollup over the whole subtree (from the
 * closure table): children and descendants, descendants by status, and the
 * estimated and actual effort of the task and everything below it.
 */
create or replace function app_public.tasks_identifier(t app_public.tasks) returns text
  language sql stable
as $$
  select p.key || '-' || t.number from app_public.projects p
   where p.organization_id = t.organization_id and p.id = t.project_id;
$$;
comment on function app_public.tasks_identifier(app_public.tasks) is
  E'The task''s human identifier: its project''s key and its number, like ENG-42.';

create or replace function app_public.tasks_rollup(t app_public.tasks) returns app_public.task_rollup
  language sql stable
as $$
  select (pg_catalog.count(*) filter (where p.depth = 1))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'backlog'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'todo'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'in_progress'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'in_review'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'done'))::integer,
         (pg_catalog.count(*) filter (where p.depth > 0 and d.status = 'cancelled'))::integer,
         coalesce(pg_catalog.sum(d.estimated_effort), 0),
         coalesce(pg_catalog.sum(d.actual_effort), 0)
    from app_public.task_hierarchy_paths p
    join app_public.tasks d on d.organization_id = p.organization_id and d.id = p.descendant_id
   where p.organization_id = t.organization_id and p.ancestor_id = t.id;
$$;
comment on function app_public.tasks_rollup(app_public.tasks) is
  E'The task''s subtree at a glance: how many children and descendants, descendants by status, and the effort of the task and everything below it.';
--! EndIncluded tasks/task_fields.sql
--! Included tasks/task_tree.sql
/*
 * The tree, read from the closure table (app_public.task_hierarchy_paths, kept
 * by tg_tasks__hierarchy): a task's ancestors nearest first, and its subtree in
 * depth order, optionally down to `max_depth` levels. Invokers: RLS decides what
 * the caller sees; the current organization in the lookup keeps the reads on
 * the (organization_id, descendant_id | ancestor_id, depth) indexes.
 */
create or replace function app_public.task_ancestors(task_id uuid)
  returns table (depth integer, task app_public.tasks)
  language sql stable
as $$
  select p.depth, t
    from app_public.task_hierarchy_paths p
    join app_public.tasks t on t.organization_id = p.organization_id and t.id = p.ancestor_id
   where p.organization_id = app_public.current_org_id()
     and p.descendant_id = task_ancestors.task_id and p.depth > 0
   order by p.depth;
$$;
comment on function app_public.task_ancestors(uuid) is
  E'The task''s ancestors, its parent first, each with its distance (1 = the parent).';

create or replace function app_public.task_descendants(task_id uuid, max_depth integer default null)
  returns table (depth integer, task app_public.tasks)
  language sql stable
as $$
  select p.depth, t
    from app_public.task_hierarchy_paths p
    join app_public.tasks t on t.organization_id = p.organization_id and t.id = p.descendant_id
   where p.organization_id = app_public.current_org_id()
     and p.ancestor_id = task_descendants.task_id and p.depth > 0
     and (task_descendants.max_depth is null or p.depth <= task_descendants.max_depth)
   order by p.depth, t.number;
$$;
comment on function app_public.task_descendants(uuid, integer) is
  E'The task''s subtree in depth order (1 = its children), down to `maxDepth` levels when given.';
--! EndIncluded tasks/task_tree.sql
--! Included tasks/task_blockers.sql
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
--! EndIncluded tasks/task_blockers.sql
--! Included tasks/task_planning.sql
/*
 * Planning a project's open work over its `blocks` edges (open: not done and
 * not cancelled; only edges between tasks of the project count):
 *
 *   ready_tasks(project)           open tasks not started (backlog, todo) that no
 *                                  open task blocks: what can be picked up now
 *   task_execution_order(project)  every open task with a level: level 0 is
 *                                  blocked by nothing open, level n only by tasks
 *                                  of lower levels, so one level's tasks can run
 *                                  in parallel (Kahn's algorithm, by levels)
 *   task_critical_path(project | task)  the longest chain of blocking tasks by
 *                                  estimated effort (unestimated tasks count 0),
 *                                  first task first, with the running total; for
 *                                  a task, the longest chain that ends at it
 *
 * The levels are found with one set-based query per level and a jsonb object of
 * what is placed; the critical path is the longest-path recurrence evaluated in
 * that order. Invokers: RLS decides what the caller sees.
 */
create or replace function app_public.ready_tasks(project_id uuid)
  returns setof app_public.tasks
  language sql stable
as $$
  select t.*
    from app_public.tasks t
   where t.organization_id = app_public.current_org_id()
     and t.project_id = ready_tasks.project_id
     and t.status in ('backlog', 'todo')
     and not exists (
       select 1 from app_public.task_dependencies d
         join app_public.tasks b on b.organization_id = d.organization_id and b.id = d.dependency_id
        where d.organization_id = t.organization_id and d.dependent_id = t.id and d.type = 'blocks'
          and b.status not in ('done', 'cancelled'))
   order by t.priority, t.number;
$$;
comment on function app_public.ready_tasks(uuid) is
  E'Open tasks of the project that are not started and that no open task blocks, most urgent first.';

create or replace function app_public.task_execution_order(project_id uuid)
  returns table (level integer, task app_public.tasks)
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org uuid := app_public.current_org_id();
  v_placed jsonb := '{}'::jsonb;
  v_batch uuid[];
  v_level integer := 0;
begin
  loop
    select pg_catalog.array_agg(t.id) into v_batch
      from app_public.tasks t
     where t.organization_id = v_org and t.project_id = task_execution_order.project_id
       and t.status not in ('done', 'cancelled')
       and not v_placed ? t.id::text
       and not exists (
         select 1 from app_public.task_dependencies d
           join app_public.tasks b on b.organization_id = d.organization_id and b.id = d.dependency_id
          where d.organization_id = v_org and d.dependent_id = t.id and d.type = 'blocks'
            and b.project_id = task_execution_order.project_id
            and b.status not in ('done', 'cancelled')
            and not v_placed ? b.id::text);
    exit when v_batch is null;
    return query
      select v_level, t from app_public.tasks t
       where t.organization_id = v_org and t.id = any (v_batch)
       order by t.priority, t.number;
    v_placed := v_placed || (select pg_catalog.jsonb_object_agg(x::text, v_level) from pg_catalog.unnest(v_batch) x);
    v_level := v_level + 1;
  end loop;
end;
$$;
comment on function app_public.task_execution_order(uuid) is
  E'The project''s open tasks in an order that respects blocking: tasks of one level can run in parallel once the lower levels are done.';

create or replace function app_public.task_critical_path(project_id uuid default null, task_id uuid default null)
  returns table ("position" integer, effort numeric, total_effort numeric, task app_public.tasks)
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org uuid := app_public.current_org_id();
  v_project uuid := task_critical_path.project_id;
  v_scope jsonb;            -- task id → true: the tasks considered (null: the whole project)
  v_best jsonb := '{}'::jsonb;     -- task id → [longest total ending at it, the task before it]
  v_level record;
  v_end uuid;
  v_chain uuid[] := '{}'::uuid[];
begin
  if (task_critical_path.project_id is null) = (task_critical_path.task_id is null) then
    raise exception 'Give either a project or a task' using errcode = 'FL005';
  end if;
  if task_critical_path.task_id is not null then
    select t.project_id into v_project from app_public.tasks t
     where t.organization_id = v_org and t.id = task_critical_path.task_id;
    if v_project is null then
      raise exception 'No such task in this organization' using errcode = 'FL003';
    end if;
    -- The task and the open tasks of its project that block it.
    select coalesce(pg_catalog.jsonb_object_agg((b.task).id::text, true), '{}')
           || pg_catalog.jsonb_build_object(task_critical_path.task_id::text, true)
      into v_scope
      from app_public.task_blockers(task_critical_path.task_id) b
     where (b.task).project_id = v_project;
  end if;

  -- The longest-path recurrence in execution order, one level at a time: a task's
  -- best total is its effort plus the best total of its blockers in scope, all of
  -- which are on lower levels and so already known.
  for v_level in
    select o.level, pg_catalog.array_agg((o.task).id) as ids,
           pg_catalog.array_agg(coalesce((o.task).estimated_effort, 0)) as efforts
      from app_public.task_execution_order(v_project) o
     where v_scope is null or v_scope ? (o.task).id::text
     group by o.level
     order by o.level
  loop
    v_best := v_best || coalesce((
      select pg_catalog.jsonb_object_agg(c.id::text,
               pg_catalog.jsonb_build_array(c.effort + coalesce(best.total, 0), best.prev))
        from rows from (pg_catalog.unnest(v_level.ids), pg_catalog.unnest(v_level.efforts)) c(id, effort)
        left join lateral (
          select ((v_best -> d.dependency_id::text) ->> 0)::numeric as total, d.dependency_id as prev
            from app_public.task_dependencies d
           where d.organization_id = v_org and d.dependent_id = c.id and d.type = 'blocks'
             and v_best ? d.dependency_id::text
           order by 1 desc, 2
           limit 1) best on true), '{}');
  end loop;

  if task_critical_path.task_id is not null then
    v_end := case when v_best ? task_critical_path.task_id::text then task_critical_path.task_id end;
  else
    select e.key::uuid into v_end from pg_catalog.jsonb_each(v_best) e
     order by (e.value ->> 0)::numeric desc, e.key limit 1;
  end if;
  while v_end is not null loop
    v_chain := v_end || v_chain;
    v_end := nullif(v_best -> v_end::text ->> 1, '')::uuid;
  end loop;

  return query
    select x.ord::integer, coalesce(t.estimated_effort, 0), ((v_best -> t.id::text) ->> 0)::numeric, t
      from pg_catalog.unnest(v_chain) with ordinality x(id, ord)
      join app_public.tasks t on t.organization_id = v_org and t.id = x.id
     order by x.ord;
end;
$$;
comment on function app_public.task_critical_path(uuid, uuid) is
  E'The longest chain of open blocking tasks by estimated effort, first task first, with the running total: of a project (`projectId`), or ending at a task (`taskId`).';
--! EndIncluded tasks/task_planning.sql
--! Included tasks/search_tasks.sql
/*
 * Finding tasks: search_tasks(query, project) ranks full-text matches over the
 * title (weight A) and description (B) of the generated `search` tsvector (GIN
 * index), adds trigram similarity on the title for short or misspelt queries
 * (GIN trigram index: titles only, descriptions are too long for it), and puts
 * an exact identifier (`ENG-42`) first. The
 * snippet is the matching passage of the description (or the title) with the
 * text HTML-escaped and each match wrapped in <mark>…</mark>, so a web client
 * can show it as HTML without risk. One SQL statement, so a page of results
 * computes snippets for that page only (the SQL functions here have no SET
 * clause, so PostgreSQL inlines them and the page's LIMIT reaches them; every
 * name is qualified instead). task_by_identifier(`ENG-42`) looks one
 * task up by its identifier, case-insensitively.
 */
create or replace function app_hidden.html_escape(text) returns text
  language sql immutable parallel safe
as $$
  select pg_catalog.replace(pg_catalog.replace(pg_catalog.replace($1, '&', '&amp;'), '<', '&lt;'), '>', '&gt;');
$$;
comment on function app_hidden.html_escape(text) is E'Escapes &, < and > for HTML text.';

create or replace function app_public.search_tasks(query text, project_id uuid default null)
  returns table (rank real, snippet text, task app_public.tasks)
  language sql stable
as $$
  with q as (
    select pg_catalog.websearch_to_tsquery('english', search_tasks.query) as ts,
           pg_catalog.btrim(search_tasks.query) as text,
           pg_catalog.upper(pg_catalog.btrim(search_tasks.query)) as ident
  )
  -- An identifier beats any text match, and a full-text match (≥ 1) any match on
  -- trigrams alone (≤ 0.5): close spellings only break ties and find misspellings.
  select (case when p.key || '-' || t.number = q.ident then 10 else 0 end
          + case when t.search @@ q.ts then 1 + pg_catalog.ts_rank_cd(t.search, q.ts) else 0 end
          + 0.5 * greatest(public.similarity(t.title, q.text), public.word_similarity(q.text, t.title)))::real as rank,
         pg_catalog.ts_headline('english',
           app_hidden.html_escape(coalesce(nullif(t.description, ''), t.title)), q.ts,
           'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=1') as snippet,
         t
    from q, app_public.tasks t
    join app_public.projects p on p.organization_id = t.organization_id and p.id = t.project_id
   where t.organization_id = app_public.current_org_id()
     and (search_tasks.project_id is null or t.project_id = search_tasks.project_id)
     and pg_catalog.length(q.text) between 1 and 200
     and (t.search @@ q.ts
          or t.title operator(public.%) q.text            -- similar as a whole ("deplyo")
          or q.text operator(public.<%) t.title           -- like a word of the title ("logn")
          or (q.ident ~ '^[A-Z][A-Z0-9]{1,9}-[0-9]{1,9}$'
              and p.key = pg_catalog.split_part(q.ident, '-', 1)
              and t.number = pg_catalog.split_part(q.ident, '-', 2)::integer))
   order by 1 desc, t.number desc;
$$;
comment on function app_public.search_tasks(text, uuid) is
  E'Tasks matching a search (words, "phrases", -excluded; misspelt titles; or an identifier like ENG-42), best first, with a highlighted snippet (HTML-escaped text, matches in <mark>).';

create or replace function app_public.task_by_identifier(identifier text) returns app_public.tasks
  language sql stable
as $$
  select t.*
    from app_public.tasks t
    join app_public.projects p on p.organization_id = t.organization_id and p.id = t.project_id
   where t.organization_id = app_public.current_org_id()
     and pg_catalog.upper(pg_catalog.btrim(task_by_identifier.identifier)) ~ '^[A-Z][A-Z0-9]{1,9}-[0-9]{1,9}$'
     and p.key = pg_catalog.split_part(pg_catalog.upper(pg_catalog.btrim(task_by_identifier.identifier)), '-', 1)
     and t.number = pg_catalog.split_part(pg_catalog.btrim(task_by_identifier.identifier), '-', 2)::integer;
$$;
comment on function app_public.task_by_identifier(text) is E'The task with this identifier (`ENG-42`, any case), or null.';
--! EndIncluded tasks/search_tasks.sql
