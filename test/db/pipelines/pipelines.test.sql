/*
 * Pipelines: a definition is checked on every write, each rule refused with
 * FL201 and the offending path in `detail` (the contract: `steps[2].needs[0]:
 * unknown step "tset"`, `steps[0].needs: cycle a → b → a`), cycles found through
 * job names and through the implicit order of a job's steps; trigger_config and
 * the concurrency settings likewise; a pipeline stays in its repository and its
 * name is unique there. A GitHub-Actions-shaped definition (jobs) expands to
 * step rows with resolved `needs`; branch patterns follow `*`, `**`, `?`.
 * Admins manage pipelines, members and viewers only read them, another tenant
 * sees nothing; settings.artifact_retention_days is checked with FL208.
 */
begin;
select plan(107);

select tests.create_org('acme') as acme \gset
select tests.create_org('globex') as globex \gset
select pg_catalog.pg_get_userbyid(c.relowner) as owner
  from pg_catalog.pg_class c where c.oid = 'app_public.pipelines'::regclass \gset

-- What the caller gets creating a pipeline in acme/api with this definition
-- (`SQLSTATE: detail`, null when it is accepted).
create function pg_temp.definition_error(definition text) returns text
  language sql volatile
as $$
  select tests.error_of(pg_catalog.format(
    'insert into app_public.pipelines (repository_id, name, definition)
     select r.id, %L, %L from app_public.repositories r where r.full_name = ''acme/api''',
    'check ' || pg_catalog.md5(definition_error.definition), definition_error.definition));
$$;
-- What the caller gets changing the pipeline `ci` with this SET list.
create function pg_temp.update_error(assignments text) returns text
  language sql volatile
as $$
  select tests.error_of('update app_public.pipelines set ' || update_error.assignments || ' where name = ''ci''');
$$;

select tests.authenticate_as('acme', 'admin');
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/api', 'https://github.com/acme/api.git') returning id as api \gset
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/web', 'https://github.com/acme/web.git') returning id as web \gset

-------------------------------------------------------------------------------
-- The definition's top level.
-------------------------------------------------------------------------------
select is(pg_temp.definition_error('[]'),
  'FL201: definition: must be a JSON object',
  'a definition is a JSON object');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "stages": []}'),
  'FL201: stages: unknown key (expected steps, jobs, timeout_minutes, retry, deployment, env, metadata)',
  'an unknown top-level key is refused by name');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "timeout_minutes": 0}'),
  'FL201: timeout_minutes: must be a whole number of minutes from 1 to 4320',
  'a run timeout of 0 minutes is refused');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "timeout_minutes": 4321}'),
  'FL201: timeout_minutes: must be a whole number of minutes from 1 to 4320',
  'a run timeout over 3 days is refused');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "timeout_minutes": "30"}'),
  'FL201: timeout_minutes: must be a whole number of minutes from 1 to 4320',
  'a run timeout given as a string is refused');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "timeout_minutes": 2.5}'),
  'FL201: timeout_minutes: must be a whole number of minutes from 1 to 4320',
  'a fractional run timeout is refused');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "retry": 2}'),
  'FL201: retry: must be an object like {"max_attempts": 2}',
  'retry is an object');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "retry": {"attempts": 2}}'),
  'FL201: retry.attempts: unknown key (expected max_attempts)',
  'an unknown key of retry is refused by its path');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "retry": {"max_attempts": 11}}'),
  'FL201: retry.max_attempts: must be a whole number from 1 to 10',
  'at most 10 attempts');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "retry": {"max_attempts": 0}}'),
  'FL201: retry.max_attempts: must be a whole number from 1 to 10',
  'at least 1 attempt');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "deployment": "production"}'),
  'FL201: deployment: must be an object like {"environment": "production"}',
  'deployment is an object');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "deployment": {"environment": "prod", "region": "eu"}}'),
  'FL201: deployment.region: unknown key (expected environment, url)',
  'an unknown key of deployment is refused by its path');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "deployment": {"url": "https://example.com"}}'),
  'FL201: deployment.environment: must be a name of 1 to 100 letters, digits, ''_'', ''.'' or ''-''',
  'a deployment names its environment');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "deployment": {"environment": "prod", "url": "ftp://example.com"}}'),
  'FL201: deployment.url: must be an http(s) URL',
  'a deployment URL is http(s)');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "env": ["CI"]}'),
  'FL201: env: must be an object of variable names to values',
  'env is an object');
select is(pg_temp.definition_error('{"timeout_minutes": 10}'),
  'FL201: steps: must be an array of 1 to 200 steps',
  'a definition has steps');
select is(pg_temp.definition_error('{"steps": []}'),
  'FL201: steps: must be an array of 1 to 200 steps',
  'at least one step');
select is(pg_temp.definition_error(
    (select pg_catalog.jsonb_build_object('steps', pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('name', 's' || i)))
       from pg_catalog.generate_series(1, 201) i)::text),
  'FL201: steps: must be an array of 1 to 200 steps',
  'at most 200 steps');

-------------------------------------------------------------------------------
-- Each step.
-------------------------------------------------------------------------------
select is(pg_temp.definition_error('{"steps": [{"name": "a"}, "b"]}'),
  'FL201: steps[1]: must be an object with a name',
  'a step is an object, refused by its index');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "script": "make"}]}'),
  'FL201: steps[0].script: unknown key (expected id, name, job, needs, run, uses, with, env, if, timeout_minutes, retry, continue_on_error, metadata)',
  'an unknown key of a step is refused by its path');
select is(pg_temp.definition_error('{"steps": [{"run": "make"}]}'),
  'FL201: steps[0].name: a step outside a job needs a name or an id',
  'a step outside a job has a name (or an id)');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}, {"name": "b\tc"}]}'),
  'FL201: steps[1].name: must be 1 to 100 characters, without control characters or spaces at either end',
  'a step name has no control characters');
select is(pg_temp.definition_error('{"steps": [{"name": "build"}, {"name": "build"}]}'),
  'FL201: steps[1].name: duplicate step "build"',
  'step names are unique, the second one is refused');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "job": ""}]}'),
  'FL201: steps[0].job: must be 1 to 100 characters, without control characters or spaces at either end',
  'a job name follows the rules of a step name');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "run": ""}]}'),
  'FL201: steps[0].run: must be a string of 1 to 65536 characters',
  'run is a non-empty string');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "uses": 5}]}'),
  'FL201: steps[0].uses: must be a string of 1 to 65536 characters',
  'uses is a string');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "if": true}]}'),
  'FL201: steps[0].if: must be a string of 1 to 65536 characters',
  'if is a string');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "with": ["x"]}]}'),
  'FL201: steps[0].with: must be an object',
  'with is an object');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "env": "CI=1"}]}'),
  'FL201: steps[0].env: must be an object',
  'a step''s env is an object');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "timeout_minutes": 0}]}'),
  'FL201: steps[0].timeout_minutes: must be a whole number of minutes from 1 to 4320',
  'a step timeout of 0 minutes is refused');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "retry": "twice"}]}'),
  'FL201: steps[0].retry: must be an object like {"max_attempts": 2}',
  'a step''s retry is an object');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "retry": {"max": 2}}]}'),
  'FL201: steps[0].retry.max: unknown key (expected max_attempts)',
  'an unknown key of a step''s retry is refused by its path');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "retry": {"max_attempts": 11}}]}'),
  'FL201: steps[0].retry.max_attempts: must be a whole number from 1 to 10',
  'a step has at most 10 attempts');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "continue_on_error": "yes"}]}'),
  'FL201: steps[0].continue_on_error: must be true or false',
  'continue_on_error is a boolean');
select is(pg_temp.definition_error('{"steps": [{"name": "build"}, {"name": "test", "needs": "build"}]}'),
  'FL201: steps[1].needs: must be an array of step or job names',
  'needs is an array');
select is(pg_temp.definition_error('{"steps": [{"name": "build"}, {"name": "x", "job": "build"}]}'),
  'FL201: steps[1].job: "build" is also the name of a step',
  'a name is a step or a job, never both');

-------------------------------------------------------------------------------
-- References and cycles.
-------------------------------------------------------------------------------
select is(pg_temp.definition_error('{"steps": [{"name": "build"}, {"name": "test", "needs": [1]}]}'),
  'FL201: steps[1].needs[0]: must be a step or job name',
  'a need is a name');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "needs": ["a"]}]}'),
  'FL201: steps[0].needs[0]: a step cannot need itself or its own job',
  'a step cannot need itself');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "job": "j"}, {"name": "b", "job": "j", "needs": ["j"]}]}'),
  'FL201: steps[1].needs[0]: a step cannot need itself or its own job',
  'a step cannot need its own job');
select is(pg_temp.definition_error('{"steps": [{"name": "build"}, {"name": "test", "needs": ["build"]}, {"name": "deploy", "needs": ["tset"]}]}'),
  'FL201: steps[2].needs[0]: unknown step "tset"',
  'a need naming an unknown step is refused with its path');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "needs": ["b"]}, {"name": "b", "needs": ["a"]}]}'),
  'FL201: steps[0].needs: cycle a → b → a',
  'a two-step cycle is refused, naming the cycle');
select is(pg_temp.definition_error('{"steps": [{"name": "x", "needs": ["a"]}, {"name": "a", "needs": ["b"]}, {"name": "b", "needs": ["c"]}, {"name": "c", "needs": ["a"]}]}'),
  'FL201: steps[1].needs: cycle a → b → c → a',
  'a longer cycle is named without the step waiting behind it');
select is(pg_temp.definition_error('{"steps": [{"name": "compile", "job": "build"}, {"name": "package", "job": "build", "needs": ["deploy"]}, {"name": "deploy", "needs": ["build"]}]}'),
  'FL201: steps[2].needs: cycle deploy → package → deploy',
  'a cycle through a job name is found (needing a job needs all its steps)');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "job": "j", "needs": ["c"]}, {"name": "b", "job": "j"}, {"name": "c", "needs": ["b"]}]}'),
  'FL201: steps[0].needs: cycle a → c → b → a',
  'a cycle through the implicit order of a job''s steps is found');
select is(pg_temp.definition_error('{"steps": [{"name": "s1", "job": "j", "needs": ["s2"]}, {"name": "s2", "job": "j"}]}'),
  'FL201: steps[0].needs: cycle s1 → s2 → s1',
  'a step cannot need a later step of its own job');
select is((select pg_catalog.count(*)::integer from app_public.pipelines), 0,
  'no refused definition left a pipeline behind');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "deployment": {"environment": "production", "url": "https://example.com/app"}}'),
  null, 'a deployment with an https URL is accepted');
delete from app_public.pipelines where definition -> 'deployment' ? 'url';

-------------------------------------------------------------------------------
-- Updates meet the same rules.
-------------------------------------------------------------------------------
select lives_ok(pg_catalog.format($$insert into app_public.pipelines (repository_id, name, definition)
  values (%L, 'ci', '{"steps": [{"name": "build", "run": "make"}, {"name": "test", "needs": ["build"], "run": "make test"}]}')$$, :'api'),
  'an admin creates a valid pipeline');
select is(pg_temp.update_error($$definition = '{"steps": [{"name": "build"}, {"name": "test", "needs": ["biuld"]}]}'$$),
  'FL201: steps[1].needs[0]: unknown step "biuld"',
  'a changed definition is checked like a new one');
select is((select definition -> 'steps' -> 1 -> 'needs' from app_public.pipelines where name = 'ci'), '["build"]'::jsonb,
  'and the refused change changed nothing');

-------------------------------------------------------------------------------
-- trigger_config.
-------------------------------------------------------------------------------
select is(pg_temp.update_error($$trigger_config = '[]'$$),
  'FL201: trigger_config: must be a JSON object',
  'trigger_config is a JSON object');
select is(pg_temp.update_error($$trigger_config = '{"event": ["push"]}'$$),
  'FL201: trigger_config.event: unknown key (expected events, branches)',
  'an unknown key of trigger_config is refused by its path');
select is(pg_temp.update_error($$trigger_config = '{"events": "push"}'$$),
  'FL201: trigger_config.events: must be an array of at most 100 strings',
  'events is an array');
select is(pg_temp.update_error($$trigger_config = '{"events": ["push", "Pull Request"]}'$$),
  'FL201: trigger_config.events[1]: must be an event name like "push"',
  'a bad event name is refused by its index');
select is(pg_temp.update_error($$trigger_config = '{"branches": ["main", "bad branch"]}'$$),
  'FL201: trigger_config.branches[1]: must be a branch name or pattern like "main", "release-*" or "!wip-*"',
  'a bad branch pattern is refused by its index');
select is(pg_temp.update_error($$trigger_config = '{"branches": ["main", "+x"]}'$$),
  'FL201: trigger_config.branches[1]: "+x" is not a valid pattern (a "?" or "+" must follow a character)',
  'a quantifier with nothing before it is refused');
select is(pg_temp.update_error($$trigger_config = '{"branches": ["!wip-*"]}'$$),
  'FL201: trigger_config.branches: a "!" pattern needs a pattern without "!" to exclude from',
  'an exclusion alone is refused (GitHub: "!" needs a positive pattern)');
select is(pg_temp.update_error($$trigger_config = '{"events": ["push", "pull_request"], "branches": ["main", "release/**"]}'$$),
  null, 'a valid trigger_config is accepted');

-------------------------------------------------------------------------------
-- Concurrency settings.
-------------------------------------------------------------------------------
select is(pg_temp.update_error($$concurrency_group = 'deploy-{ref}'$$),
  'FL201: concurrency_group: unknown placeholder {ref} (expected {branch}, {event}, {pipeline}, {pull_request})',
  'an unknown placeholder in the concurrency group is refused by name');
select is(pg_temp.update_error($$concurrency_group = 'deploy;main'$$),
  'FL201: concurrency_group: must be 1 to 200 letters, digits, spaces or _ . / : - and placeholders',
  'a concurrency group is made of safe characters');
select is(pg_temp.update_error($$cancel_in_progress = true$$),
  'FL201: cancel_in_progress: needs a concurrency_group',
  'cancel_in_progress needs a concurrency group');
select is(pg_temp.update_error($$concurrency_group = 'deploy-{branch}-{event}-{pipeline}-{pull_request}', cancel_in_progress = true$$),
  null, 'every known placeholder is accepted, with cancel_in_progress');
select is(pg_temp.update_error($$concurrency_group = null$$),
  'FL201: cancel_in_progress: needs a concurrency_group',
  'the group cannot be removed while cancel_in_progress is on');
select throws_ok($$update app_public.pipelines set concurrency_limit = 0 where name = 'ci'$$,
  '23514', null, 'a concurrency limit is at least 1');

-------------------------------------------------------------------------------
-- Names, and the repository a pipeline belongs to.
-------------------------------------------------------------------------------
select is(tests.error_of(pg_catalog.format($$insert into app_public.pipelines (repository_id, name, definition)
  values (%L, '   ', '{"steps": [{"name": "a"}]}')$$, :'api')),
  'FL201: name: must be 1 to 100 characters',
  'a blank name is refused');
insert into app_public.pipelines (repository_id, name, definition)
values (:'api', '  nightly  ', '{"steps": [{"name": "a"}]}');
select is((select pg_catalog.count(*)::integer from app_public.pipelines where name = 'nightly'), 1,
  'a name is stored trimmed');
select is(tests.error_of(pg_catalog.format($$insert into app_public.pipelines (repository_id, name, definition)
  values (%L, 'ci', '{"steps": [{"name": "a"}]}')$$, :'api')),
  'FL201: name: already used in this repository',
  'a name is unique in its repository');
select is(tests.error_of($$update app_public.pipelines set name = ' ci' where name = 'nightly'$$),
  'FL201: name: already used in this repository',
  'renaming onto a used name is refused too');
select lives_ok(pg_catalog.format($$insert into app_public.pipelines (repository_id, name, definition)
  values (%L, 'ci', '{"steps": [{"name": "a"}]}')$$, :'web'),
  'another repository may use the same name');
select throws_ok(pg_catalog.format($$update app_public.pipelines set repository_id = %L where name = 'nightly'$$, :'web'),
  '42501', null, 'the API cannot move a pipeline to another repository');
select tests.clear_authentication();
set local role :"owner";
select is(tests.error_of(pg_catalog.format($$update app_public.pipelines set repository_id = %L where name = 'nightly'$$, :'web')),
  'FL201: repository_id: cannot change',
  'not even trusted code can: a pipeline stays in its repository');

-------------------------------------------------------------------------------
-- A GitHub Actions workflow: jobs whose steps run in order, needs naming jobs.
-------------------------------------------------------------------------------
select tests.authenticate_as('acme', 'admin');
select lives_ok(pg_catalog.format($$insert into app_public.pipelines (repository_id, name, definition) values (%L, 'gha', '{
    "timeout_minutes": 60,
    "retry": {"max_attempts": 2},
    "deployment": {"environment": "production"},
    "env": {"CI": "true"},
    "steps": [
      {"name": "checkout", "job": "build", "uses": "actions/checkout@v4"},
      {"name": "compile", "job": "build", "run": "make", "env": {"CC": "clang"}},
      {"name": "unit", "job": "test", "needs": ["build"], "run": "make test"},
      {"name": "lint", "job": "test", "run": "make lint", "if": "always()"},
      {"name": "e2e", "needs": ["compile"], "run": "make e2e", "timeout_minutes": 30,
       "retry": {"max_attempts": 3}, "continue_on_error": true, "with": {"browser": "firefox"}},
      {"name": "deploy", "needs": ["test", "e2e"], "run": "make deploy"}
    ]}')$$, :'api'),
  'a GitHub-Actions-shaped definition with jobs is accepted');
select results_eq(
  $$select d.name, d.job, d.position, d.needs, d.max_attempts, d.timeout_minutes, d.continue_on_error, d.spec
      from app_public.pipelines p, app_hidden.pipeline_definition_steps(p.definition) d
     where p.name = 'gha'
     order by d.position$$,
  $$values ('checkout', 'build', 0, '{}'::text[], 2, 360, false, '{"uses": "actions/checkout@v4"}'::jsonb),
           ('compile', 'build', 1, '{checkout}', 2, 360, false, '{"run": "make", "env": {"CC": "clang"}}'),
           ('unit', 'test', 2, '{checkout,compile}', 2, 360, false, '{"run": "make test"}'),
           ('lint', 'test', 3, '{unit}', 2, 360, false, '{"run": "make lint", "if": "always()"}'),
           ('e2e', null, 4, '{compile}', 3, 30, true, '{"run": "make e2e", "with": {"browser": "firefox"}}'),
           ('deploy', null, 5, '{e2e,lint,unit}', 2, 360, false, '{"run": "make deploy"}')$$,
  'its steps expand a job to its steps, a job''s steps to the one before, and inherit the default retry');

-------------------------------------------------------------------------------
-- Branch patterns (GitHub's: * within a segment, ** across, ? one character).
-------------------------------------------------------------------------------
select ok(app_hidden.pipeline_accepts('{}', 'push', 'feature/x'),
  'an empty trigger_config accepts every event on every branch');
select is(array[app_hidden.pipeline_accepts('{"events": ["push"]}', 'push', 'main'),
                app_hidden.pipeline_accepts('{"events": ["push"]}', 'pull_request', 'main')],
  array[true, false], 'events: only the listed events');
select is(array[app_hidden.pipeline_accepts('{"branches": ["main"]}', 'push', 'main'),
                app_hidden.pipeline_accepts('{"branches": ["main"]}', 'push', 'main2'),
                app_hidden.pipeline_accepts('{"branches": ["main"]}', 'push', 'xmain')],
  array[true, false, false], 'a plain branch matches itself only');
select is(array[app_hidden.pipeline_accepts('{"branches": ["release-*"]}', 'push', 'release-1.2'),
                app_hidden.pipeline_accepts('{"branches": ["release-*"]}', 'push', 'release-'),
                app_hidden.pipeline_accepts('{"branches": ["release-*"]}', 'push', 'release-1/fix'),
                app_hidden.pipeline_accepts('{"branches": ["release-*"]}', 'push', 'release')],
  array[true, true, false, false], '* matches any characters within a path segment, none included');
select is(array[app_hidden.pipeline_accepts('{"branches": ["feature/**"]}', 'push', 'feature/a'),
                app_hidden.pipeline_accepts('{"branches": ["feature/**"]}', 'push', 'feature/a/b'),
                app_hidden.pipeline_accepts('{"branches": ["feature/**"]}', 'push', 'feature'),
                app_hidden.pipeline_accepts('{"branches": ["feature/**"]}', 'push', 'features/a')],
  array[true, true, false, false], '** matches across path segments');
select is(array[app_hidden.pipeline_accepts('{"branches": ["*"]}', 'push', 'main'),
                app_hidden.pipeline_accepts('{"branches": ["*"]}', 'push', 'feature/a'),
                app_hidden.pipeline_accepts('{"branches": ["**"]}', 'push', 'feature/a')],
  array[true, false, true], '* alone misses nested branches, ** alone takes them');
select is(array[app_hidden.pipeline_accepts('{"branches": ["releases?"]}', 'push', 'release'),
                app_hidden.pipeline_accepts('{"branches": ["releases?"]}', 'push', 'releases'),
                app_hidden.pipeline_accepts('{"branches": ["releases?"]}', 'push', 'releasess')],
  array[true, true, false], '? makes the character before it optional (GitHub filter patterns)');
select is(array[app_hidden.pipeline_accepts('{"branches": ["v1+"]}', 'push', 'v1'),
                app_hidden.pipeline_accepts('{"branches": ["v1+"]}', 'push', 'v111'),
                app_hidden.pipeline_accepts('{"branches": ["v1+"]}', 'push', 'v')],
  array[true, true, false], '+ repeats the character before it');
select is(array[app_hidden.pipeline_accepts('{"branches": ["feature/**", "!feature/wip-*"]}', 'push', 'feature/login'),
                app_hidden.pipeline_accepts('{"branches": ["feature/**", "!feature/wip-*"]}', 'push', 'feature/wip-x'),
                app_hidden.pipeline_accepts('{"branches": ["feature/**", "!feature/wip-*", "feature/wip-keep"]}', 'push', 'feature/wip-keep')],
  array[true, false, true], 'a ! pattern excludes, and the last matching pattern decides');
select is(array[app_hidden.pipeline_accepts('{"branches": ["release.1"]}', 'push', 'release.1'),
                app_hidden.pipeline_accepts('{"branches": ["release.1"]}', 'push', 'releasex1'),
                app_hidden.pipeline_accepts('{"branches": ["fix(ui)"]}', 'push', 'fix(ui)')],
  array[true, false, true], 'other characters are literal, not regular-expression syntax');
select is(array[app_hidden.pipeline_accepts('{"events": ["push"], "branches": ["main", "release/**"]}', 'push', 'release/2.0'),
                app_hidden.pipeline_accepts('{"events": ["push"], "branches": ["main", "release/**"]}', 'push', 'dev'),
                app_hidden.pipeline_accepts('{"events": ["push"], "branches": ["main", "release/**"]}', 'pull_request', 'main')],
  array[true, false, false], 'any listed pattern may match, and the event must match too');

-------------------------------------------------------------------------------
-- Role matrix: admins manage pipelines; members and viewers read them.
-------------------------------------------------------------------------------
select tests.authenticate_as('acme', 'viewer');
select is((select pg_catalog.count(*)::integer from app_public.pipelines), 4, 'a viewer reads the pipelines');
select throws_ok(pg_catalog.format($$insert into app_public.pipelines (repository_id, name, definition) values (%L, 'by viewer', '{"steps": [{"name": "a"}]}')$$, :'api'),
  '42501', null, 'a viewer cannot create a pipeline');
select is_empty($$update app_public.pipelines set description = 'by viewer' where name = 'nightly' returning id$$,
  'a viewer changes no pipeline');
select is_empty($$delete from app_public.pipelines where name = 'nightly' returning id$$,
  'a viewer deletes no pipeline');
select tests.authenticate_as('acme', 'member');
select is((select pg_catalog.count(*)::integer from app_public.pipelines), 4, 'a member reads the pipelines');
select throws_ok(pg_catalog.format($$insert into app_public.pipelines (repository_id, name, definition) values (%L, 'by member', '{"steps": [{"name": "a"}]}')$$, :'api'),
  '42501', null, 'a member cannot create a pipeline');
select is_empty($$update app_public.pipelines set description = 'by member' where name = 'nightly' returning id$$,
  'a member changes no pipeline');
select is_empty($$delete from app_public.pipelines where name = 'nightly' returning id$$,
  'a member deletes no pipeline');
select throws_ok($$update app_public.pipelines set created_by = null$$,
  '42501', null, 'created_by is the database''s');
select tests.authenticate_as('acme', 'admin');
select results_eq($$update app_public.pipelines set description = 'Nightly build', status = 'disabled' where name = 'nightly' returning description, status::text$$,
  $$values ('Nightly build', 'disabled')$$, 'an admin changes a pipeline');
select is((select created_by from app_public.pipelines where name = 'gha'), tests.user_id('acme', 'admin'),
  'a pipeline records who created it');
select results_eq($$delete from app_public.pipelines where name = 'nightly' returning name$$,
  $$values ('nightly')$$, 'an admin deletes a pipeline');

-------------------------------------------------------------------------------
-- Another tenant.
-------------------------------------------------------------------------------
select id as acme_ci from app_public.pipelines where name = 'ci' and repository_id = :'api' \gset
select tests.authenticate_as('globex', 'owner');
select is_empty($$select 1 from app_public.pipelines$$, 'another organization sees none of them');
select is_empty(pg_catalog.format($$update app_public.pipelines set description = 'hijacked' where id = %L returning id$$, :'acme_ci'),
  'another organization changes none of them');
select is_empty(pg_catalog.format($$delete from app_public.pipelines where id = %L returning id$$, :'acme_ci'),
  'another organization deletes none of them');
select throws_ok(pg_catalog.format($$insert into app_public.pipelines (repository_id, name, definition) values (%L, 'intruder', '{"steps": [{"name": "a"}]}')$$, :'api'),
  '23503', null, 'a pipeline cannot point at another organization''s repository');
select throws_ok(pg_catalog.format($$insert into app_public.pipelines (organization_id, repository_id, name, definition) values (%L, %L, 'intruder', '{"steps": [{"name": "a"}]}')$$, :'acme', :'api'),
  '42501', null, 'nor be written into another organization');

-------------------------------------------------------------------------------
-- settings.artifact_retention_days (FL208).
-------------------------------------------------------------------------------
select tests.authenticate_as('acme', 'owner');
select is(tests.error_of($$update app_public.organizations set settings = settings || '{"artifact_retention_days": 0}'$$),
  'FL208: settings.artifact_retention_days: must be a whole number from 1 to 365',
  'artifact_retention_days of 0 is refused with its path');
select throws_ok($$update app_public.organizations set settings = settings || '{"artifact_retention_days": 366}'$$,
  'FL208', null, 'artifact_retention_days is at most 365');
select throws_ok($$update app_public.organizations set settings = settings || '{"artifact_retention_days": "30"}'$$,
  'FL208', null, 'artifact_retention_days is a number, not a string');
select throws_ok($$update app_public.organizations set settings = settings || '{"artifact_retention_days": 7.5}'$$,
  'FL208', null, 'artifact_retention_days is a whole number');
select lives_ok($$update app_public.organizations set settings = settings || '{"artifact_retention_days": 30}'$$,
  'an owner sets artifact_retention_days to 30');
select is((select settings -> 'artifact_retention_days' from app_public.organizations), '30'::jsonb,
  'and it is kept');

select * from finish();
rollback;
