/*
 * Time and retention: steps and executions past their timeout end TIMED_OUT
 * (a step with an attempt left is retried first) and the freed slot starts the
 * next run; executions, their steps, logs and artifacts live in the partition
 * of the execution's month and are dropped together a year later, whole
 * partitions in order (no foreign key in the way), the stored objects of
 * dropped or expired artifacts handed to the worker (one
 * pipeline_artifacts__delete job per artifact, on every path that deletes
 * them). Every clock is a fixed date of this file, never today's.
 */
begin;
select plan(49);

select tests.create_org('acme') as acme \gset
select pg_catalog.pg_get_userbyid(c.relowner) as owner
  from pg_catalog.pg_class c where c.oid = 'app_public.pipeline_executions'::regclass \gset

-- The clocks: the timeouts' runs from 2024-01-05 08:00 UTC (minute m), the
-- partitioned runs of January and February 2024.
create function pg_temp.t1(m integer) returns timestamptz language sql immutable
  as $$ select timestamptz '2024-01-05 08:00:00+00' + pg_catalog.make_interval(mins => t1.m) $$;
create function pg_temp.jan() returns timestamptz language sql immutable
  as $$ select timestamptz '2024-01-15 12:00:00+00' $$;
create function pg_temp.feb() returns timestamptz language sql immutable
  as $$ select timestamptz '2024-02-15 12:00:00+00' $$;
create temp table runs (label text primary key, id uuid not null);
grant all on runs to public;
create function pg_temp.run(label text, pipeline text, at timestamptz) returns uuid language sql volatile as $$
  insert into runs (label, id)
  select run.label, (app_private.create_execution(p, 'push', 'main', null, null, '{}', null, run.at)).id
    from app_public.pipelines p where p.name = run.pipeline
  returning id;
$$;
create function pg_temp.id(label text) returns uuid language sql stable
  as $$ select r.id from runs r where r.label = id.label $$;
create function pg_temp.step_id(label text, name text) returns uuid language sql stable as $$
  select s.id from app_public.pipeline_steps s where s.execution_id = pg_temp.id(step_id.label) and s.name = step_id.name;
$$;
-- What start_step does, with a clock (trusted code; a legal change).
create function pg_temp.begin_step(label text, name text, at timestamptz) returns void language sql volatile as $$
  update app_public.pipeline_steps s
     set status = 'in_progress', started_at = begin_step.at,
         timeout_at = begin_step.at + pg_catalog.make_interval(mins => s.timeout_minutes)
   where s.id = pg_temp.step_id(begin_step.label, begin_step.name);
$$;
-- The pipeline_artifacts__delete jobs for an artifact, as task, key and payload.
create function pg_temp.deletion_jobs(artifact_id uuid) returns table (task text, key text, payload jsonb) language sql stable as $$
  select t.identifier, j.key, j.payload::jsonb
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
   where t.identifier = 'pipeline_artifacts__delete' and j.payload::jsonb ->> 'artifactId' = deletion_jobs.artifact_id::text;
$$;
-- `SQLSTATE: argument` of the error `sql` raises (FL204's detail names the argument).
create function pg_temp.refusal(sql text) returns text language sql volatile as $$
  select pg_catalog.regexp_replace(tests.error_of(refusal.sql), '^([A-Z0-9]{5}: [A-Za-z_]+):.*$', '\1');
$$;
-- The partition a row of `tab` with id (or step_id) `row_id` lives in.
create function pg_temp.partition_of(tab regclass, row_id uuid) returns text language plpgsql stable as $$
declare
  v_part text;
begin
  execute pg_catalog.format('select tableoid::regclass::text from %s where %I = $1 limit 1', partition_of.tab,
                            case when partition_of.tab = 'app_public.pipeline_step_logs'::regclass then 'step_id' else 'id' end)
    into v_part using partition_of.row_id;
  return v_part;
end;
$$;

select tests.authenticate_as('acme', 'admin');
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/api', 'https://github.com/acme/api.git') returning id as api \gset
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/slow', 'https://github.com/acme/slow.git') returning id as slow_repo \gset
insert into app_public.pipelines (repository_id, name, definition, concurrency_limit) values
  (:'slow_repo', 'slow', '{"timeout_minutes": 60, "steps": [
     {"name": "flaky", "timeout_minutes": 10, "retry": {"max_attempts": 2}},
     {"name": "after", "needs": ["flaky"]}]}', 1),
  (:'api', 'ci', '{"steps": [{"name": "build"}, {"name": "test", "needs": ["build"]}]}', null),
  (:'api', 'scratch', '{"steps": [{"name": "only"}]}', null);

select tests.clear_authentication();
set local role :"owner";
select pg_catalog.count(*) as made from app_private.maintain_partitions(pg_temp.t1(0)) \gset
select pg_catalog.count(*) as made from app_private.maintain_partitions(pg_catalog.now()) \gset

-------------------------------------------------------------------------------
-- Timeouts (app_private.time_out_pipelines, a step of run_maintenance).
-------------------------------------------------------------------------------
select null from pg_temp.run('tA', 'slow', pg_temp.t1(0));
select null from pg_temp.run('tB', 'slow', pg_temp.t1(1));
select null from pg_temp.run('tC', 'slow', pg_temp.t1(2));
select pg_temp.begin_step('tA', 'flaky', pg_temp.t1(0));
select is_empty($$select app_private.time_out_pipelines(pg_temp.t1(0) + interval '9 minutes 59 seconds')$$,
  'nothing times out before its time');
select is(tests.error_of($$select app_private.time_out_pipelines(pg_temp.t1(10))$$), null,
  'a step past its timeout is timed out');
select results_eq(
  $$select status::text, attempt, previous_attempts -> 0 ->> 'conclusion', (previous_attempts -> 0 ->> 'completed_at')::timestamptz
      from app_public.pipeline_steps where id = pg_temp.step_id('tA', 'flaky')$$,
  $$values ('queued', 2, 'timed_out', pg_temp.t1(10))$$,
  'with an attempt left it is queued again, the timed-out try kept');
select results_eq(
  $$select (select status::text from app_public.pipeline_steps where id = pg_temp.step_id('tA', 'after')),
           (select status::text from app_public.pipeline_executions where id = pg_temp.id('tA'))$$,
  $$values ('queued', 'in_progress')$$, 'and the run goes on');
select pg_temp.begin_step('tA', 'flaky', pg_temp.t1(11));
select is(tests.error_of($$select app_private.time_out_pipelines(pg_temp.t1(21))$$), null,
  'its second attempt times out too');
select results_eq(
  $$select s.name, s.status::text, s.conclusion::text, s.attempt from app_public.pipeline_steps s
     where s.execution_id = pg_temp.id('tA') order by s.position$$,
  $$values ('flaky', 'completed', 'timed_out', 2), ('after', 'completed', 'skipped', 1)$$,
  'with no attempt left it ends timed out, and what needs it is skipped');
select results_eq(
  $$select e.status::text, e.conclusion::text, e.completed_at from app_public.pipeline_executions e where e.id = pg_temp.id('tA')$$,
  $$values ('completed', 'failure', pg_temp.t1(21))$$,
  'the run then fails, at the clock''s time');
select results_eq(
  $$select status::text, started_at from app_public.pipeline_executions where id = pg_temp.id('tB')$$,
  $$values ('in_progress', pg_temp.t1(21))$$,
  'and the freed slot starts the next queued run');
select pg_temp.begin_step('tB', 'flaky', pg_temp.t1(75));
select is(tests.error_of($$select app_private.time_out_pipelines(pg_temp.t1(21) + interval '60 minutes')$$), null,
  'a run past its own timeout is timed out');
select results_eq(
  $$select e.status::text, e.conclusion::text, e.completed_at, e.end_reason is not null, e.timeout_at
      from app_public.pipeline_executions e where e.id = pg_temp.id('tB')$$,
  $$values ('completed', 'timed_out', pg_temp.t1(81), true, null::timestamptz)$$,
  'it ends timed out after its 60 minutes, saying why');
select results_eq(
  $$select s.name, s.conclusion::text from app_public.pipeline_steps s where s.execution_id = pg_temp.id('tB') order by s.position$$,
  $$values ('flaky', 'timed_out'), ('after', 'skipped')$$,
  'its running step is timed out (no retry: the run is over) and the rest skipped');
select results_eq(
  $$select status::text, started_at from app_public.pipeline_executions where id = pg_temp.id('tC')$$,
  $$values ('in_progress', pg_temp.t1(81))$$,
  'and the next queued run starts');
select pg_temp.begin_step('tC', 'flaky', pg_temp.t1(82));
select is(tests.error_of($$select app_private.run_maintenance(at => pg_temp.t1(92), caller => 'test')$$), null,
  'maintenance times steps out too');
select is((select attempt from app_public.pipeline_steps where id = pg_temp.step_id('tC', 'flaky')), 2,
  'the timed-out step is on its second attempt');
-- Nothing of the slow pipeline may still run when the clock jumps a year ahead below.
select tests.authenticate_as('acme', 'member');
select pg_catalog.count(app_public.cancel_execution(e.id)) as cancelled
  from app_public.pipeline_executions e where e.repository_id = :'slow_repo' and e.status <> 'completed' \gset

-------------------------------------------------------------------------------
-- Partition routing: an execution's month holds it and everything of it.
-------------------------------------------------------------------------------
select tests.clear_authentication();
set local role :"owner";
select null from pg_temp.run('jan', 'ci', pg_temp.jan());
select null from pg_temp.run('feb', 'ci', pg_temp.feb());
select tests.authenticate_as('acme', 'member');
select null from app_public.start_step(pg_temp.step_id('jan', 'build'));
select null from app_public.append_step_log(pg_temp.step_id('jan', 'build'), 'compiling');
select id as a_jan from app_public.add_artifact(pg_temp.step_id('jan', 'build'), 'dist/app.tar.gz', 1024, 'application/gzip') \gset
select null from app_public.complete_step(pg_temp.step_id('jan', 'build'), 'success', 0);
select null from app_public.start_step(pg_temp.step_id('jan', 'test'));
select null from app_public.complete_step(pg_temp.step_id('jan', 'test'), 'failure', 1);
select null from app_public.start_step(pg_temp.step_id('feb', 'build'));
select null from app_public.append_step_log(pg_temp.step_id('feb', 'build'), 'compiling');
select id as a_feb, storage_key as a_feb_key, expires_at - created_at as a_feb_kept
  from app_public.add_artifact(pg_temp.step_id('feb', 'build'), 'dist/app.tar.gz', 2048, 'application/gzip') \gset
select tests.clear_authentication();
set local role :"owner";
-- A re-run of January's run, made in February.
insert into runs (label, id)
select 'rerun', (app_private.create_execution(p, e.event, e.branch, null, null, '{}', null, pg_temp.feb() + interval '1 day', e, true)).id
  from app_public.pipelines p, app_public.pipeline_executions e
 where p.name = 'ci' and e.id = pg_temp.id('jan');

select results_eq(
  $$select pg_temp.partition_of('app_public.pipeline_executions', pg_temp.id('jan')),
           pg_temp.partition_of('app_public.pipeline_steps', pg_temp.step_id('jan', 'test')),
           pg_temp.partition_of('app_public.pipeline_step_logs', pg_temp.step_id('jan', 'build'))$$,
  $$values ('app_partitions.pipeline_executions_p202401', 'app_partitions.pipeline_steps_p202401', 'app_partitions.pipeline_step_logs_p202401')$$,
  'a January execution, its steps and its logs live in the January partitions');
select is(pg_temp.partition_of('app_public.pipeline_artifacts', :'a_jan'), 'app_partitions.pipeline_artifacts_p202401',
  'and its artifacts too, whenever they were added');
select results_eq(
  $$select pg_catalog.count(*)::integer, pg_catalog.bool_and(s.execution_created_at = e.created_at)
      from app_public.pipeline_steps s join app_public.pipeline_executions e on e.id = s.execution_id
     where e.id in (pg_temp.id('jan'), pg_temp.id('feb'), pg_temp.id('rerun'))$$,
  $$values (6, true)$$, 'steps carry their execution''s created_at');
select results_eq(
  pg_catalog.format($$select pg_temp.partition_of('app_public.pipeline_executions', pg_temp.id('feb')),
           pg_temp.partition_of('app_public.pipeline_executions', pg_temp.id('rerun')),
           pg_temp.partition_of('app_public.pipeline_steps', pg_temp.step_id('rerun', 'build')),
           pg_temp.partition_of('app_public.pipeline_artifacts', %L)$$, :'a_feb'),
  $$values ('app_partitions.pipeline_executions_p202402', 'app_partitions.pipeline_executions_p202402',
            'app_partitions.pipeline_steps_p202402', 'app_partitions.pipeline_artifacts_p202402')$$,
  'February''s runs, a re-run of a January run included, live in February''s partitions');
select results_eq(
  $$select s.name, s.reused, e.previous_attempt_id = pg_temp.id('jan') from app_public.pipeline_steps s
      join app_public.pipeline_executions e on e.id = s.execution_id where e.id = pg_temp.id('rerun') order by s.position$$,
  $$values ('build', true, true), ('test', false, true)$$,
  'the re-run kept the step that succeeded and points at the attempt it re-ran');

-------------------------------------------------------------------------------
-- Artifacts: expiry, and every path that deletes one hands its object on.
-------------------------------------------------------------------------------
select results_eq(
  pg_catalog.format($$select storage_key = organization_id || '/' || execution_id || '/' || id,
                            expires_at between created_at + interval '90 days' and pg_catalog.clock_timestamp() + interval '90 days'
      from app_public.pipeline_artifacts where id = %L$$, :'a_feb'),
  $$values (true, true)$$,
  'an artifact is stored under ids only and kept 90 days by default');
select tests.authenticate_as('acme', 'owner');
update app_public.organizations set settings = settings || '{"artifact_retention_days": 7}';
select tests.authenticate_as('acme', 'member');
select id as a_week from app_public.add_artifact(pg_temp.step_id('feb', 'build'), 'coverage.xml', 100, 'application/xml') \gset
select id as a_week2 from app_public.add_artifact(pg_temp.step_id('feb', 'build'), 'junit.xml', 100, 'application/xml') \gset
select id as a_gone from app_public.add_artifact(pg_temp.step_id('feb', 'build'), 'trace.json', 10, 'application/json') \gset
select throws_ok(pg_catalog.format($$select app_public.add_artifact(%L, 'coverage.xml', 1)$$, pg_temp.step_id('feb', 'build')),
  '23505', null, 'an artifact name is unique in its execution');
select is(array[pg_temp.refusal(pg_catalog.format($$select app_public.add_artifact(%L, '../secret', 1)$$, pg_temp.step_id('feb', 'build'))),
                pg_temp.refusal(pg_catalog.format($$select app_public.add_artifact(%L, '/etc/passwd', 1)$$, pg_temp.step_id('feb', 'build'))),
                pg_temp.refusal(pg_catalog.format($$select app_public.add_artifact(%L, 'dist/./app', 1)$$, pg_temp.step_id('feb', 'build'))),
                pg_temp.refusal(pg_catalog.format($$select app_public.add_artifact(%L, E'dist\\app', 1)$$, pg_temp.step_id('feb', 'build')))],
  array['FL204: name', 'FL204: name', 'FL204: name', 'FL204: name'],
  'an artifact name is a relative path without "." or ".." segments or backslashes');
select is(array[pg_temp.refusal(pg_catalog.format($$select app_public.add_artifact(%L, 'a.bin', -1)$$, pg_temp.step_id('feb', 'build'))),
                pg_temp.refusal(pg_catalog.format($$select app_public.add_artifact(%L, 'a.bin', 1, 'zip')$$, pg_temp.step_id('feb', 'build'))),
                pg_temp.refusal(pg_catalog.format($$select app_public.add_artifact(%L, 'a.bin', 1, 'application/zip', 'md5:abc')$$, pg_temp.step_id('feb', 'build')))],
  array['FL204: sizeBytes', 'FL204: contentType', 'FL204: checksum'],
  'its size, media type and checksum are checked');
select is(tests.error_of(pg_catalog.format($$select app_public.add_artifact(%L, 'late.bin', 1)$$, pg_temp.step_id('jan', 'build'))),
  'FL202: COMPLETED', 'a step that is not running adds no artifact');
select tests.clear_authentication();
set local role :"owner";
select ok((select expires_at between created_at + interval '7 days' and pg_catalog.clock_timestamp() + interval '7 days'
             from app_public.pipeline_artifacts where id = :'a_week'),
  'artifact_retention_days sets how long new artifacts are kept');
select pg_catalog.min(expires_at) as first_expiry, pg_catalog.max(expires_at) as week_expiry
  from app_public.pipeline_artifacts where id in (:'a_week', :'a_week2') \gset
update app_public.pipeline_artifacts set expires_at = :'week_expiry'::timestamptz + interval '1 hour' where id = :'a_gone';
select is_empty(pg_catalog.format($$select app_private.expire_pipeline_artifacts(%L::timestamptz - interval '1 microsecond')$$, :'first_expiry'),
  'nothing expires before its time');
select lives_ok(pg_catalog.format($$select app_private.expire_pipeline_artifacts(%L)$$, :'week_expiry'),
  'expiry runs at the clock given');
select set_eq(
  pg_catalog.format($$select id from app_public.pipeline_artifacts where id in (%L, %L, %L, %L, %L)$$, :'a_jan', :'a_feb', :'a_week', :'a_week2', :'a_gone'),
  pg_catalog.format($$values (%L::uuid), (%L::uuid), (%L::uuid)$$, :'a_jan', :'a_feb', :'a_gone'),
  'the artifacts whose expires_at has come are deleted, and only they');
select results_eq(pg_catalog.format($$select task, key, payload from pg_temp.deletion_jobs(%L)$$, :'a_week'),
  pg_catalog.format($$values ('pipeline_artifacts__delete', %L, pg_catalog.jsonb_build_object('orgId', %L, 'artifactId', %L, 'storageKey', %L))$$,
                    'pipeline_artifacts__delete:' || :'a_week', :'acme', :'a_week',
                    :'acme' || '/' || pg_temp.id('feb') || '/' || :'a_week'),
  'each stored object gets one deletion job, keyed by its artifact');
select is((select pg_catalog.count(*)::integer from pg_temp.deletion_jobs(:'a_week2')), 1,
  'one job per artifact, also when one statement deletes several');
select is_empty(pg_catalog.format($$select app_private.expire_pipeline_artifacts(%L)$$, :'week_expiry'),
  'expiring again finds nothing');
select results_eq(pg_catalog.format($$select pg_catalog.count(*)::integer from pg_temp.deletion_jobs(%L)$$, :'a_week'),
  $$values (1)$$, 'and enqueues nothing twice');
select tests.authenticate_as('acme', 'viewer');
select is_empty(pg_catalog.format($$delete from app_public.pipeline_artifacts where id = %L returning id$$, :'a_gone'),
  'a viewer deletes no artifact');
select tests.authenticate_as('acme', 'member');
select is_empty(pg_catalog.format($$delete from app_public.pipeline_artifacts where id = %L returning id$$, :'a_gone'),
  'nor does a member');
select tests.authenticate_as('acme', 'admin');
select results_eq(pg_catalog.format($$delete from app_public.pipeline_artifacts where id = %L returning id$$, :'a_gone'),
  pg_catalog.format($$values (%L::uuid)$$, :'a_gone'), 'an admin deletes an artifact early');
select tests.clear_authentication();
set local role :"owner";
select is((select pg_catalog.count(*)::integer from pg_temp.deletion_jobs(:'a_gone')), 1,
  'and its object gets a deletion job');
select tests.authenticate_as('acme', 'member');
select id as scratch_run from app_public.start_execution((select id from app_public.pipelines where name = 'scratch')) \gset
select null from app_public.start_step((select id from app_public.pipeline_steps where execution_id = :'scratch_run'));
select id as a_scratch from app_public.add_artifact((select id from app_public.pipeline_steps where execution_id = :'scratch_run'), 'out.bin', 1) \gset
select tests.authenticate_as('acme', 'admin');
delete from app_public.pipelines where name = 'scratch';
select tests.clear_authentication();
set local role :"owner";
select is((select pg_catalog.count(*)::integer from pg_temp.deletion_jobs(:'a_scratch')), 1,
  'deleting a pipeline hands the objects of its runs'' artifacts to the worker too');

-------------------------------------------------------------------------------
-- Retention: a year after their month, whole partitions, in order.
-------------------------------------------------------------------------------
select is_empty($$select x from app_private.apply_retention('2025-01-31 23:59:59+00') x where x like '%pipeline%'$$,
  'a month is kept for a year after it ended');
select lives_ok($$create temp table retention_run as
                    select r.line, r.n from app_private.run_maintenance(at => '2025-02-01 00:00:00+00', caller => 'test') with ordinality r(line, n)$$,
  'maintenance a year after January drops January without a foreign key in the way');
select results_eq($$select line from retention_run where line like 'dropped %pipeline%' order by n$$,
  $$values ('dropped app_partitions.pipeline_step_logs_p202401'), ('dropped app_partitions.pipeline_artifacts_p202401'),
           ('dropped app_partitions.pipeline_steps_p202401'), ('dropped app_partitions.pipeline_executions_p202401')$$,
  'logs, artifacts, steps, then executions: each before what it references');
select is(array[pg_catalog.to_regclass('app_partitions.pipeline_executions_p202401'), pg_catalog.to_regclass('app_partitions.pipeline_steps_p202401'),
                pg_catalog.to_regclass('app_partitions.pipeline_step_logs_p202401'), pg_catalog.to_regclass('app_partitions.pipeline_artifacts_p202401')],
  array[null, null, null, null]::regclass[], 'the January partitions are gone');
select results_eq(
  $$select (select pg_catalog.count(*)::integer from app_public.pipeline_executions where id = pg_temp.id('jan')),
           (select pg_catalog.count(*)::integer from app_public.pipeline_steps where execution_id = pg_temp.id('jan')),
           (select pg_catalog.count(*)::integer from app_public.pipeline_executions where id in (pg_temp.id('feb'), pg_temp.id('rerun'))),
           (select pg_catalog.count(*)::integer from app_public.pipeline_steps where execution_id in (pg_temp.id('feb'), pg_temp.id('rerun'))),
           (select pg_catalog.count(*)::integer from app_public.pipeline_step_logs where step_id = pg_temp.step_id('feb', 'build')),
           (select pg_catalog.count(*)::integer from app_public.pipeline_artifacts where execution_id = pg_temp.id('feb'))$$,
  $$values (0, 0, 2, 4, 1, 1)$$,
  'January''s run and steps are gone; February''s runs, steps, log and artifact stay');
select results_eq(pg_catalog.format($$select task, key, payload ->> 'storageKey' from pg_temp.deletion_jobs(%L)$$, :'a_jan'),
  pg_catalog.format($$values ('pipeline_artifacts__delete', %L, %L)$$,
                    'pipeline_artifacts__delete:' || :'a_jan', :'acme' || '/' || pg_temp.id('jan') || '/' || :'a_jan'),
  'an artifact dropped with its partition hands its object to the worker');
select is_empty(pg_catalog.format($$select 1 from pg_temp.deletion_jobs(%L)$$, :'a_feb'),
  'while February''s artifact keeps its object');
select is((select previous_attempt_id from app_public.pipeline_executions where id = pg_temp.id('rerun')), pg_temp.id('jan'),
  'a re-run may point at an attempt past retention');
select is_empty($$select x from app_private.apply_retention('2025-02-01 00:00:00+00') x$$,
  'retention run again drops nothing more');
select lives_ok($$select app_private.run_maintenance(at => '2025-03-01 00:00:00+00', caller => 'test')$$,
  'a month later maintenance drops February');
select results_eq(
  $$select (select pg_catalog.count(*)::integer from app_public.pipeline_executions where id in (pg_temp.id('feb'), pg_temp.id('rerun'))),
           pg_catalog.to_regclass('app_partitions.pipeline_steps_p202402') is null$$,
  $$values (0, true)$$, 'and February''s runs with it');
select is((select pg_catalog.count(*)::integer from pg_temp.deletion_jobs(:'a_feb')), 1,
  'its artifact''s object goes to the worker then');

select * from finish();
rollback;
