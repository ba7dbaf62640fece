/*
 * A GitHub Actions workflow in a pipeline's definition, as it is written (issue
 * #9 §1): step and job names are any printable text ("Set up Node (v24)",
 * "actions/checkout@v4"), a step may have no name (keyed `<job>#<n>`, its
 * number in its job) or an `id` (its key instead of its name, so steps of two
 * jobs may share a name), a job has its own `needs`, and what the database does
 * not interpret (runs-on, strategy/matrix, services, container, if, shell, …)
 * is kept in `metadata`. Each rule is refused with FL201 and its path, like
 * `jobs.deploy.needs[0]: unknown job "tset"`; one real workflow, translated
 * key by key, is accepted, expands to step rows with resolved needs, and runs.
 */
begin;
select plan(39);

select tests.create_org('acme') as acme \gset

-- What the caller gets creating a pipeline with this definition
-- (`SQLSTATE: detail`, null when it is accepted; nothing is kept either way).
create function pg_temp.definition_error(definition text) returns text
  language plpgsql volatile
as $$
declare
  v_error text := tests.error_of(pg_catalog.format(
    'insert into app_public.pipelines (repository_id, name, definition)
     select r.id, %L, %L from app_public.repositories r where r.full_name = ''acme/api''',
    'check ' || pg_catalog.md5(definition_error.definition), definition_error.definition));
begin
  delete from app_public.pipelines where name = 'check ' || pg_catalog.md5(definition_error.definition);
  return v_error;
end;
$$;

-- .github/workflows/ci.yml of a Node service, translated key by key: the
-- workflow's name, triggers, permissions and concurrency, each job's runs-on,
-- matrix, services, container, environment and if, and each step's shell,
-- working-directory and expression-valued continue-on-error are metadata; the
-- rest is the definition's own. The lint and test jobs both have a step named
-- "Install dependencies": ids tell them apart.
create function pg_temp.github_ci() returns jsonb
  language sql immutable
as $json$ select $$
{
  "metadata": {"name": "CI", "on": {"push": {"branches": ["main"]}, "pull_request": {}},
               "permissions": {"contents": "read"},
               "concurrency": {"group": "ci-${{ github.ref }}", "cancel-in-progress": true}},
  "env": {"FORCE_COLOR": "1"},
  "deployment": {"environment": "production", "url": "https://forgeline.example.com"},
  "jobs": {
    "lint": {"metadata": {"runs-on": "ubuntu-latest", "timeout-minutes": 10}},
    "test": {
      "needs": ["lint"],
      "metadata": {
        "name": "test (${{ matrix.os }}, node ${{ matrix.node }})",
        "runs-on": "${{ matrix.os }}",
        "timeout-minutes": 30,
        "strategy": {"fail-fast": false,
                     "matrix": {"os": ["ubuntu-latest", "macos-latest"], "node": [22, 24],
                                "exclude": [{"os": "macos-latest", "node": 22}]}},
        "services": {"postgres": {"image": "postgres:15",
                                  "env": {"POSTGRES_PASSWORD": "postgres"},
                                  "ports": ["5432:5432"],
                                  "options": "--health-cmd pg_isready --health-interval 5s"}},
        "env": {"DATABASE_URL": "postgres://postgres:postgres@localhost:5432/postgres"}
      }
    },
    "deploy": {
      "needs": ["lint", "test"],
      "metadata": {
        "if": "github.event_name == 'push' && github.ref == 'refs/heads/main'",
        "runs-on": "ubuntu-latest",
        "container": {"image": "node:24-bookworm"},
        "environment": {"name": "production", "url": "https://forgeline.example.com"},
        "permissions": {"id-token": "write", "contents": "read"}
      }
    }
  },
  "steps": [
    {"job": "lint", "uses": "actions/checkout@v4"},
    {"job": "lint", "name": "Set up Node (v24)", "uses": "actions/setup-node@v4",
     "with": {"node-version": 24, "cache": "npm"}},
    {"job": "lint", "id": "lint.install", "name": "Install dependencies", "run": "npm ci"},
    {"job": "lint", "run": "npm run lint -- --max-warnings=0"},

    {"job": "test", "uses": "actions/checkout@v4"},
    {"job": "test", "name": "Set up Node (v${{ matrix.node }})", "uses": "actions/setup-node@v4",
     "with": {"node-version": "${{ matrix.node }}", "cache": "npm"}},
    {"job": "test", "id": "test.install", "name": "Install dependencies", "run": "npm ci"},
    {"job": "test", "name": "Test", "run": "npm test -- --reporter=junit --outputFile=junit.xml",
     "env": {"TZ": "UTC"},
     "metadata": {"id": "test", "continue-on-error": "${{ matrix.os == 'macos-latest' }}"}},
    {"job": "test", "name": "Upload test report", "uses": "actions/upload-artifact@v4",
     "if": "always()", "with": {"name": "junit-${{ matrix.os }}-${{ matrix.node }}", "path": "junit.xml"}},

    {"job": "deploy", "uses": "actions/checkout@v4"},
    {"job": "deploy", "name": "Deploy to production", "run": "./scripts/deploy.sh\n./scripts/smoke-test.sh",
     "timeout_minutes": 15,
     "env": {"DEPLOY_TOKEN": "${{ secrets.DEPLOY_TOKEN }}"},
     "metadata": {"shell": "bash", "working-directory": "infra"}}
  ]
}
$$::jsonb $json$;

select tests.authenticate_as('acme', 'admin');
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/api', 'https://github.com/acme/api.git') returning id as api \gset

-------------------------------------------------------------------------------
-- Names: any printable text of 1 to 100 characters.
-------------------------------------------------------------------------------
select is(pg_temp.definition_error($${"steps": [
    {"name": "Set up Node (v24)"}, {"name": "actions/checkout@v4"}, {"name": "-b"},
    {"name": "Déploiement 🚀 (prod) — étape 2/3"}, {"name": "Run ${{ matrix.os }} tests"},
    {"name": "x", "job": "Build & test (ubuntu-latest, 24)"}]}$$),
  null, 'GitHub step and job names are accepted as written');
select is(pg_temp.definition_error(pg_catalog.jsonb_build_object('steps', pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_build_object('name', pg_catalog.repeat('é', 100))))::text),
  null, 'a name of 100 characters is accepted');
select is(pg_temp.definition_error(pg_catalog.jsonb_build_object('steps', pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_build_object('name', pg_catalog.repeat('é', 101))))::text),
  'FL201: steps[0].name: must be 1 to 100 characters, without control characters or spaces at either end',
  'a name of 101 characters is refused');
select is(pg_temp.definition_error('{"steps": [{"name": "a\nb"}]}'),
  'FL201: steps[0].name: must be 1 to 100 characters, without control characters or spaces at either end',
  'a name with a line break is refused');
select is(pg_temp.definition_error(pg_catalog.jsonb_build_object('steps', pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_build_object('name', 'deploy' || pg_catalog.chr(8238) || 'dorp')))::text),
  'FL201: steps[0].name: must be 1 to 100 characters, without control characters or spaces at either end',
  'a name with a bidirectional override (that would display reversed) is refused');
select is(pg_temp.definition_error(pg_catalog.jsonb_build_object('steps', pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_build_object('name', 'build' || pg_catalog.chr(8203))))::text),
  'FL201: steps[0].name: must be 1 to 100 characters, without control characters or spaces at either end',
  'a name with a zero-width space is refused');
select is(pg_temp.definition_error('{"steps": [{"name": "build "}]}'),
  'FL201: steps[0].name: must be 1 to 100 characters, without control characters or spaces at either end',
  'a name ending in a space is refused');
select is(pg_temp.definition_error('{"steps": [{"name": "a", "job": " build"}]}'),
  'FL201: steps[0].job: must be 1 to 100 characters, without control characters or spaces at either end',
  'a job name follows the same rule');

-------------------------------------------------------------------------------
-- Keys: the id, else the name, else <job>#<n>; unique in the definition.
-------------------------------------------------------------------------------
select is(pg_temp.definition_error('{"steps": [{"job": "a", "name": "Install"}, {"job": "b", "name": "Install"}]}'),
  'FL201: steps[1].name: duplicate step "Install"',
  'two steps keyed by the same name are refused, whatever their jobs');
select is(pg_temp.definition_error('{"steps": [{"job": "a", "id": "a-install", "name": "Install"}, {"job": "b", "id": "b-install", "name": "Install"}, {"name": "x", "needs": ["a-install", "b-install"]}]}'),
  null, 'with ids, steps of two jobs share a name, and needs name the ids');
select is(pg_temp.definition_error('{"steps": [{"id": "i", "name": "Install"}, {"name": "x", "needs": ["Install"]}]}'),
  'FL201: steps[1].needs[0]: unknown step "Install"',
  'a step with an id is needed by its id, not its name');
select is(pg_temp.definition_error('{"steps": [{"id": "x", "name": "one"}, {"id": "x", "name": "two"}]}'),
  'FL201: steps[1].id: duplicate step "x"',
  'ids are unique');
select is(pg_temp.definition_error('{"steps": [{"id": "shared"}, {"name": "shared"}]}'),
  'FL201: steps[1].name: duplicate step "shared"',
  'an id and a name that would key two steps alike are refused');
select is(pg_temp.definition_error('{"steps": [{"id": "", "name": "a"}]}'),
  'FL201: steps[0].id: must be 1 to 100 characters, without control characters or spaces at either end',
  'an id follows the rule of names');
select is(pg_temp.definition_error('{"steps": [{"job": "build", "run": "make"}, {"job": "build", "run": "make test"}, {"name": "ship", "needs": ["build#2"]}]}'),
  null, 'steps of a job need no name: they are keyed by their number in the job');
select is(pg_temp.definition_error('{"steps": [{"name": "build#1"}, {"job": "build", "run": "make"}]}'),
  'FL201: steps[1]: duplicate step "build#1"',
  'an unnamed step''s number cannot key a second step');
select is(pg_temp.definition_error('{"steps": [{"job": "build", "run": "make"}, {"name": "x", "needs": ["build#2"]}]}'),
  'FL201: steps[1].needs[0]: unknown step "build#2"',
  'a need naming a step number the job does not have is refused');

-------------------------------------------------------------------------------
-- Jobs: their own needs and metadata.
-------------------------------------------------------------------------------
select is(pg_temp.definition_error('{"steps": [{"job": "build"}], "jobs": []}'),
  'FL201: jobs: must be an object of job names to jobs, like {"test": {"needs": ["build"]}}',
  'jobs is an object');
select is(pg_temp.definition_error('{"steps": [{"job": "build"}], "jobs": {"deploy": {}}}'),
  'FL201: jobs.deploy: no step belongs to this job',
  'a job no step belongs to is refused by its path');
select is(pg_temp.definition_error('{"steps": [{"job": "build"}], "jobs": {"build": "ubuntu-latest"}}'),
  'FL201: jobs.build: must be an object like {"needs": ["build"], "metadata": {}}',
  'a job is an object');
select is(pg_temp.definition_error('{"steps": [{"job": "build"}], "jobs": {"build": {"runs-on": "ubuntu-latest"}}}'),
  'FL201: jobs.build.runs-on: unknown key (expected needs, metadata)',
  'what the database does not interpret goes in metadata, not beside it');
select is(pg_temp.definition_error('{"steps": [{"job": "build"}], "jobs": {"build": {"metadata": ["ubuntu-latest"]}}}'),
  'FL201: jobs.build.metadata: must be an object of at most 65536 characters as JSON',
  'a job''s metadata is an object');
select is(pg_temp.definition_error('{"steps": [{"job": "build"}, {"job": "test"}], "jobs": {"test": {"needs": "build"}}}'),
  'FL201: jobs.test.needs: must be an array of job names',
  'a job''s needs is an array');
select is(pg_temp.definition_error('{"steps": [{"job": "build"}, {"job": "test"}], "jobs": {"test": {"needs": [1]}}}'),
  'FL201: jobs.test.needs[0]: must be a job name',
  'a job''s need is a name');
select is(pg_temp.definition_error('{"steps": [{"job": "build"}, {"job": "test"}], "jobs": {"test": {"needs": ["build", "tset"]}}}'),
  'FL201: jobs.test.needs[1]: unknown job "tset"',
  'a job''s need naming an unknown job is refused with its path');
select is(pg_temp.definition_error('{"steps": [{"job": "build"}, {"name": "lint"}, {"job": "test"}], "jobs": {"test": {"needs": ["lint"]}}}'),
  'FL201: jobs.test.needs[0]: unknown job "lint"',
  'a job needs jobs, not steps');
select is(pg_temp.definition_error('{"steps": [{"job": "test"}], "jobs": {"test": {"needs": ["test"]}}}'),
  'FL201: jobs.test.needs[0]: a job cannot need itself',
  'a job cannot need itself');
select is(pg_temp.definition_error('{"steps": [{"name": "a1", "job": "a"}, {"name": "b1", "job": "b"}], "jobs": {"a": {"needs": ["b"]}, "b": {"needs": ["a"]}}}'),
  'FL201: steps[0].needs: cycle a1 → b1 → a1',
  'a cycle through jobs'' needs is found');

-------------------------------------------------------------------------------
-- Metadata: stored, not interpreted; an object of bounded size.
-------------------------------------------------------------------------------
select is(pg_temp.definition_error('{"steps": [{"name": "a", "metadata": "bash"}]}'),
  'FL201: steps[0].metadata: must be an object of at most 65536 characters as JSON',
  'a step''s metadata is an object');
select is(pg_temp.definition_error(pg_catalog.jsonb_build_object(
    'steps', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
      'name', 'a', 'metadata', pg_catalog.jsonb_build_object('blob', pg_catalog.repeat('x', 65536)))))::text),
  'FL201: steps[0].metadata: must be an object of at most 65536 characters as JSON',
  'a step''s metadata is bounded');
select is(pg_temp.definition_error('{"steps": [{"name": "a"}], "metadata": 1}'),
  'FL201: metadata: must be an object of at most 65536 characters as JSON',
  'the definition''s metadata is an object');

-------------------------------------------------------------------------------
-- A real workflow.
-------------------------------------------------------------------------------
select is(pg_temp.definition_error(pg_temp.github_ci()::text), null,
  'a real GitHub Actions workflow, translated key by key, is accepted');
select lives_ok(pg_catalog.format(
  'insert into app_public.pipelines (repository_id, name, definition, trigger_config) values (%L, %L, %L, %L)',
  :'api', 'CI', pg_temp.github_ci(), '{"events": ["push", "pull_request"], "branches": ["main"]}'),
  'an admin creates the pipeline');
select is((select definition from app_public.pipelines where name = 'CI'), pg_temp.github_ci(),
  'the definition is stored as written, metadata and all');
select results_eq(
  $$select d.name, d.job, d.position,
           array(select n from pg_catalog.unnest(d.needs) n order by n collate "C"),
           d.timeout_minutes, d.spec ->> 'name', d.spec -> 'metadata'
      from app_public.pipelines p, app_hidden.pipeline_definition_steps(p.definition) d
     where p.name = 'CI'
     order by d.position$$,
  $$values
    ('lint#1', 'lint', 0, '{}'::text[], 360, null::text, null::jsonb),
    ('Set up Node (v24)', 'lint', 1, '{lint#1}', 360, null, null),
    ('lint.install', 'lint', 2, '{"Set up Node (v24)"}', 360, 'Install dependencies', null),
    ('lint#4', 'lint', 3, '{lint.install}', 360, null, null),
    ('test#1', 'test', 4, '{"Set up Node (v24)",lint#1,lint#4,lint.install}', 360, null, null),
    ('Set up Node (v${{ matrix.node }})', 'test', 5, '{test#1}', 360, null, null),
    ('test.install', 'test', 6, '{"Set up Node (v${{ matrix.node }})"}', 360, 'Install dependencies', null),
    ('Test', 'test', 7, '{test.install}', 360, null,
     '{"id": "test", "continue-on-error": "${{ matrix.os == ''macos-latest'' }}"}'),
    ('Upload test report', 'test', 8, '{Test}', 360, null, null),
    ('deploy#1', 'deploy', 9,
     '{"Set up Node (v${{ matrix.node }})","Set up Node (v24)",Test,"Upload test report",lint#1,lint#4,lint.install,test#1,test.install}',
     360, null, null),
    ('Deploy to production', 'deploy', 10, '{deploy#1}', 15, null,
     '{"shell": "bash", "working-directory": "infra"}')$$,
  'its steps are keyed by id, name or number; jobs'' needs reach the first step of the job; ids keep their names');

select tests.authenticate_as('acme', 'member');
select id as run from app_public.start_execution((select id from app_public.pipelines where name = 'CI'), 'push', 'main') \gset
select results_eq(
  pg_catalog.format($$select name from app_public.ready_steps(%L)$$, :'run'),
  $$values ('lint#1')$$,
  'a run of it starts with the lint job''s checkout, the one step that needs nothing');
select results_eq(
  pg_catalog.format($$select name, spec ->> 'name' from app_public.pipeline_steps where execution_id = %L and name like '%%install' order by position$$, :'run'),
  $$values ('lint.install', 'Install dependencies'), ('test.install', 'Install dependencies')$$,
  'its step rows are named by the keys, and keep GitHub''s names');

-------------------------------------------------------------------------------
-- What was valid before still means what it meant.
-------------------------------------------------------------------------------
select tests.authenticate_as('acme', 'admin');
select results_eq(
  $$select d.name, d.needs, d.spec
      from app_hidden.pipeline_definition_steps('{"steps": [{"name": "checkout", "job": "build", "uses": "actions/checkout@v4"}, {"name": "compile", "job": "build", "run": "make"}, {"name": "test", "needs": ["build"]}]}') d
     order by d.position$$,
  $$values ('checkout', '{}'::text[], '{"uses": "actions/checkout@v4"}'::jsonb),
           ('compile', '{checkout}', '{"run": "make"}'),
           ('test', '{checkout,compile}', '{}')$$,
  'a definition without ids, jobs or metadata expands as before: steps keyed by their names');
select is((select pg_catalog.count(*)::integer from app_public.pipelines), 1,
  'no checked definition left a pipeline behind');

select * from finish();
rollback;
