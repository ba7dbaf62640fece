/*
 * Executions and steps: the status machine refuses every change it does not
 * allow with FL202 (all status pairs, and a completed row's conclusion), for
 * trusted code writing the tables directly and through the public functions;
 * the database sets timestamps and computes durations (shown with the
 * clock-taking internals); runs start, complete, cancel and re-run as attempts
 * (FL207), skip what can no longer run, retry under their policy, keep going
 * past continue_on_error steps and derive their conclusion; disabled pipelines
 * (FL203), bad input (FL204), steps not ready (FL205), the log cap (FL206).
 * Clocks are fixed dates of this file, never today's.
 */
begin;
select plan(141);

select tests.create_org('acme') as acme \gset
select tests.create_org('globex') as globex \gset
select pg_catalog.pg_get_userbyid(c.relowner) as owner
  from pg_catalog.pg_class c where c.oid = 'app_public.pipeline_executions'::regclass \gset

-- The clock of this file's timed runs.
create function pg_temp.t0() returns timestamptz language sql immutable
  as $$ select timestamptz '2024-03-04 09:00:00+00' $$;
create function pg_temp.step_id(execution_id uuid, name text) returns uuid language sql stable as $$
  select s.id from app_public.pipeline_steps s
   where s.execution_id = step_id.execution_id and s.name = step_id.name;
$$;
create function pg_temp.step(execution_id uuid, name text) returns app_public.pipeline_steps language sql stable as $$
  select s from app_public.pipeline_steps s
   where s.execution_id = step.execution_id and s.name = step.name;
$$;
-- What start_step does, with a clock (trusted code; a legal change).
create function pg_temp.begin_step(step_id uuid, at timestamptz) returns void language sql volatile as $$
  update app_public.pipeline_steps s
     set status = 'in_progress', started_at = begin_step.at,
         timeout_at = begin_step.at + pg_catalog.make_interval(mins => s.timeout_minutes)
   where s.id = begin_step.step_id;
$$;
-- `SQLSTATE: argument` of the error `sql` raises (FL204's detail names the argument).
create function pg_temp.refusal(sql text) returns text language sql volatile as $$
  select pg_catalog.regexp_replace(tests.error_of(refusal.sql), '^([A-Z0-9]{5}: [A-Za-z_]+):.*$', '\1');
$$;

-- Rows in a given state, written directly by trusted code (the table owner),
-- for the status machine: an execution of the pipeline `machine`, a step of
-- the execution `machine-host`.
create function pg_temp.execution_in(status text) returns uuid language sql volatile as $$
  insert into app_public.pipeline_executions (
    organization_id, created_at, pipeline_id, repository_id, run_id, event, branch, timeout_minutes,
    status, conclusion, started_at, completed_at)
  select p.organization_id, pg_temp.t0(), p.id, p.repository_id, pg_catalog.gen_random_uuid(), 'manual', 'main', 60,
         execution_in.status::app_public.pipeline_run_status,
         case when execution_in.status = 'completed' then 'success'::app_public.pipeline_conclusion end,
         case when execution_in.status in ('in_progress', 'completed') then pg_temp.t0() end,
         case when execution_in.status = 'completed' then pg_temp.t0() + interval '1 minute' end
    from app_public.pipelines p where p.name = 'machine'
  returning id;
$$;
create function pg_temp.step_in(status text) returns uuid language sql volatile as $$
  insert into app_public.pipeline_steps (
    organization_id, execution_id, execution_created_at, name, "position", timeout_minutes,
    status, conclusion, started_at, completed_at)
  select e.organization_id, e.id, e.created_at, 'm-' || pg_catalog.gen_random_uuid(), 0, 10,
         step_in.status::app_public.pipeline_run_status,
         case when step_in.status = 'completed' then 'success'::app_public.pipeline_conclusion end,
         case when step_in.status in ('in_progress', 'completed') then pg_temp.t0() end,
         case when step_in.status = 'completed' then pg_temp.t0() + interval '1 minute' end
    from app_public.pipeline_executions e where e.trigger_metadata ->> 'role' = 'machine-host'
  returning id;
$$;
-- A fresh row in `from_status` updated to `to_status` (with what a row in that
-- status needs); returns the error (`FL202: IN_PROGRESS → QUEUED`) or null.
create function pg_temp.move(kind text, from_status text, to_status text, to_conclusion text default 'success')
  returns text language plpgsql volatile as $$
declare
  v_id uuid := case move.kind when 'execution' then pg_temp.execution_in(move.from_status)
                              else pg_temp.step_in(move.from_status) end;
begin
  return tests.error_of(pg_catalog.format(
    'update %s set status = %L, conclusion = %L,
            started_at = case when %L = ''in_progress'' then coalesce(started_at, %L) else started_at end,
            completed_at = case when %L = ''completed'' then coalesce(completed_at, %L) end
      where id = %L',
    case move.kind when 'execution' then 'app_public.pipeline_executions' else 'app_public.pipeline_steps' end,
    move.to_status, case when move.to_status = 'completed' then move.to_conclusion end,
    move.to_status, pg_temp.t0() + interval '1 minute',
    move.to_status, pg_temp.t0() + interval '2 minutes',
    v_id));
end;
$$;

-- Partitions for this file's clock, and for runs started now by the public functions.
select tests.clear_authentication();
set local role :"owner";
select pg_catalog.count(*) as made from app_private.maintain_partitions(pg_temp.t0()) \gset
select pg_catalog.count(*) as made from app_private.maintain_partitions(pg_catalog.now()) \gset

select tests.authenticate_as('acme', 'admin');
insert into app_public.repositories (provider, full_name, clone_url, default_branch)
values ('github', 'acme/api', 'https://github.com/acme/api.git', 'trunk') returning id as api \gset
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/clock', 'https://github.com/acme/clock.git') returning id as clock_repo \gset
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/machine', 'https://github.com/acme/machine.git') returning id as machine_repo \gset
insert into app_public.pipelines (repository_id, name, definition) values
  (:'machine_repo', 'machine', '{"steps": [{"name": "only"}]}'),
  (:'api', 'flow', '{"steps": [
     {"name": "build", "run": "make"},
     {"name": "test", "needs": ["build"], "run": "make test"},
     {"name": "lint", "needs": ["build"], "run": "make lint", "continue_on_error": true},
     {"name": "deploy", "needs": ["test", "lint"], "run": "make deploy"}]}'),
  (:'api', 'retry', '{"retry": {"max_attempts": 2}, "steps": [
     {"name": "flaky", "run": "make flaky"},
     {"name": "once", "needs": ["flaky"], "retry": {"max_attempts": 1}}]}'),
  (:'api', 'solo', '{"steps": [{"name": "only", "run": "true"}]}'),
  (:'api', 'chain', '{"steps": [{"name": "a"}, {"name": "b", "needs": ["a"]}, {"name": "c", "needs": ["b"]}, {"name": "other"}]}');
insert into app_public.pipelines (repository_id, name, definition, concurrency_limit) values
  (:'api', 'limited', '{"steps": [{"name": "only"}]}', 1),
  (:'clock_repo', 'clocked', '{"timeout_minutes": 60, "steps": [{"name": "only", "timeout_minutes": 15}]}', 1);
select id as flow from app_public.pipelines where name = 'flow' \gset
select id as retry from app_public.pipelines where name = 'retry' \gset
select id as solo from app_public.pipelines where name = 'solo' \gset
select id as limited from app_public.pipelines where name = 'limited' \gset

-------------------------------------------------------------------------------
-- The status machine, table by table, for trusted code writing directly.
-------------------------------------------------------------------------------
select tests.clear_authentication();
set local role :"owner";
select pg_temp.execution_in('in_progress') as host \gset
update app_public.pipeline_executions set trigger_metadata = '{"role": "machine-host"}' where id = :'host';

select is(pg_temp.move('execution', 'queued', 'waiting'), null, 'an execution may go from QUEUED to WAITING');
select is(pg_temp.move('execution', 'queued', 'in_progress'), null, 'an execution may go from QUEUED to IN_PROGRESS');
select is(pg_temp.move('execution', 'queued', 'completed', 'cancelled'), null, 'an execution may go from QUEUED to COMPLETED');
select is(pg_temp.move('execution', 'waiting', 'queued'), null, 'an execution may go from WAITING to QUEUED');
select is(pg_temp.move('execution', 'waiting', 'in_progress'), null, 'an execution may go from WAITING to IN_PROGRESS');
select is(pg_temp.move('execution', 'waiting', 'completed', 'cancelled'), null, 'an execution may go from WAITING to COMPLETED');
select is(pg_temp.move('execution', 'in_progress', 'completed'), null, 'an execution may go from IN_PROGRESS to COMPLETED');
select is(pg_temp.move('execution', 'in_progress', 'queued'), 'FL202: IN_PROGRESS → QUEUED',
  'an execution cannot go from IN_PROGRESS back to QUEUED');
select is(pg_temp.move('execution', 'in_progress', 'waiting'), 'FL202: IN_PROGRESS → WAITING',
  'an execution cannot go from IN_PROGRESS back to WAITING');
select is(pg_temp.move('execution', 'completed', 'queued'), 'FL202: COMPLETED → QUEUED',
  'a completed execution cannot go back to QUEUED');
select is(pg_temp.move('execution', 'completed', 'waiting'), 'FL202: COMPLETED → WAITING',
  'a completed execution cannot go back to WAITING');
select is(pg_temp.move('execution', 'completed', 'in_progress'), 'FL202: COMPLETED → IN_PROGRESS',
  'a completed execution cannot go back to IN_PROGRESS');
select is(array[pg_temp.move('execution', 'completed', 'completed', 'failure'),
                pg_temp.move('execution', 'completed', 'completed', 'cancelled'),
                pg_temp.move('execution', 'completed', 'completed', 'skipped'),
                pg_temp.move('execution', 'completed', 'completed', 'timed_out'),
                pg_temp.move('execution', 'completed', 'completed', 'neutral')],
  array_fill('FL202: COMPLETED → COMPLETED'::text, array[5]),
  'a completed execution''s conclusion (SUCCESS) never changes, to any other');
select is(array[pg_temp.move('execution', 'queued', 'queued'), pg_temp.move('execution', 'waiting', 'waiting'),
                pg_temp.move('execution', 'in_progress', 'in_progress'), pg_temp.move('execution', 'completed', 'completed', 'success')],
  array[null, null, null, null]::text[],
  'writing an execution''s status (and conclusion) unchanged is not a change');

select is(pg_temp.move('step', 'queued', 'in_progress'), null, 'a step may go from QUEUED to IN_PROGRESS');
select is(pg_temp.move('step', 'queued', 'completed', 'skipped'), null, 'a step may go from QUEUED to COMPLETED (skipped)');
select is(pg_temp.move('step', 'in_progress', 'completed'), null, 'a step may go from IN_PROGRESS to COMPLETED');
select is(pg_temp.move('step', 'in_progress', 'queued'), null, 'a step may go from IN_PROGRESS back to QUEUED (its next attempt)');
select is(pg_temp.move('step', 'queued', 'waiting'), 'FL202: QUEUED → WAITING', 'a step is never WAITING, from QUEUED');
select is(pg_temp.move('step', 'in_progress', 'waiting'), 'FL202: IN_PROGRESS → WAITING', 'a step is never WAITING, from IN_PROGRESS');
select is(pg_temp.move('step', 'completed', 'queued'), 'FL202: COMPLETED → QUEUED', 'a completed step cannot go back to QUEUED');
select is(pg_temp.move('step', 'completed', 'waiting'), 'FL202: COMPLETED → WAITING', 'a completed step cannot become WAITING');
select is(pg_temp.move('step', 'completed', 'in_progress'), 'FL202: COMPLETED → IN_PROGRESS', 'a completed step cannot go back to IN_PROGRESS');
select is(array[pg_temp.move('step', 'completed', 'completed', 'failure'),
                pg_temp.move('step', 'completed', 'completed', 'cancelled'),
                pg_temp.move('step', 'completed', 'completed', 'skipped'),
                pg_temp.move('step', 'completed', 'completed', 'timed_out'),
                pg_temp.move('step', 'completed', 'completed', 'neutral')],
  array_fill('FL202: COMPLETED → COMPLETED'::text, array[5]),
  'a completed step''s conclusion (SUCCESS) never changes, to any other');
select is(array[pg_temp.move('step', 'queued', 'queued'), pg_temp.move('step', 'in_progress', 'in_progress'),
                pg_temp.move('step', 'completed', 'completed', 'success')],
  array[null, null, null]::text[],
  'writing a step''s status (and conclusion) unchanged is not a change');
select throws_ok(pg_catalog.format($$update app_public.pipeline_executions set queued_duration_ms = 1 where id = %L$$, :'host'),
  '428C9', null, 'durations are computed by the database, not written');

-- The API has no direct path at all.
select tests.authenticate_as('acme', 'owner');
select throws_ok(pg_catalog.format($$update app_public.pipeline_executions set status = 'completed', conclusion = 'success', completed_at = now() where id = %L$$, :'host'),
  '42501', null, 'even an owner cannot change an execution''s status directly');
select throws_ok(pg_catalog.format($$update app_public.pipeline_steps set status = 'in_progress', started_at = now() where execution_id = %L$$, :'host'),
  '42501', null, 'nor a step''s');
select throws_ok(pg_catalog.format($$insert into app_public.pipeline_executions (organization_id, pipeline_id, repository_id, run_id, event, branch, timeout_minutes) select organization_id, pipeline_id, repository_id, run_id, event, branch, timeout_minutes from app_public.pipeline_executions where id = %L$$, :'host'),
  '42501', null, 'nor insert an execution');
select throws_ok(pg_catalog.format($$select app_private.create_execution(p, 'manual', 'main', null, null, '{}', null, now()) from app_public.pipelines p where p.id = %L$$, :'flow'),
  '42501', null, 'nor call the internals');

-------------------------------------------------------------------------------
-- A run from start to end, through the public functions (a member as runner).
-------------------------------------------------------------------------------
select tests.authenticate_as('acme', 'member');
select id as e1 from app_public.start_execution(:'flow', 'push', 'main', pg_catalog.repeat('a', 40), null, '{"delivery": "d-1"}') \gset
select results_eq(
  pg_catalog.format($$select status::text, attempt, run_id = id, previous_attempt_id, actor_id, event, branch, commit_sha, trigger_metadata
                        from app_public.pipeline_executions where id = %L$$, :'e1'),
  pg_catalog.format($$values ('in_progress', 1, true, null::uuid, %L::uuid, 'push', 'main', %L, '{"delivery": "d-1"}'::jsonb)$$,
                    tests.user_id('acme', 'member'), pg_catalog.repeat('a', 40)),
  'a started run is attempt 1 of its own run, by its actor, running at once');
select results_eq(
  pg_catalog.format($$select started_at = created_at, queued_duration_ms, run_duration_ms, timeout_at = started_at + interval '360 minutes'
                        from app_public.pipeline_executions where id = %L$$, :'e1'),
  $$values (true, 0::bigint, null::bigint, true)$$,
  'the database sets when it started, how long it queued and when it times out (default 360 minutes)');
select results_eq(
  pg_catalog.format($$select name, position, needs, status::text, attempt, max_attempts from app_public.pipeline_steps where execution_id = %L order by position$$, :'e1'),
  $$values ('build', 0, '{}'::text[], 'queued', 1, 1), ('test', 1, '{build}', 'queued', 1, 1),
           ('lint', 2, '{build}', 'queued', 1, 1), ('deploy', 3, '{lint,test}', 'queued', 1, 1)$$,
  'its steps come from the definition, all queued');
select results_eq(pg_catalog.format($$select name from app_public.ready_steps(%L)$$, :'e1'),
  $$values ('build')$$, 'at first only the step without needs is ready');
select is(tests.error_of(pg_catalog.format($$select app_public.start_step(%L)$$, pg_temp.step_id(:'e1', 'test'))),
  'FL205: build', 'a step whose needs have not succeeded cannot start (FL205, detail the unmet needs)');
select results_eq(
  pg_catalog.format($$select status::text, started_at is not null, timeout_at = started_at + interval '360 minutes' from app_public.start_step(%L)$$, pg_temp.step_id(:'e1', 'build')),
  $$values ('in_progress', true, true)$$,
  'a ready step starts; the database sets when, and when it times out');
select is(tests.error_of(pg_catalog.format($$select app_public.start_step(%L)$$, pg_temp.step_id(:'e1', 'build'))),
  'FL202: IN_PROGRESS → IN_PROGRESS', 'a step cannot start twice');
select is_empty(pg_catalog.format($$select 1 from app_public.ready_steps(%L)$$, :'e1'),
  'nothing is ready while the first step runs');
select results_eq(
  pg_catalog.format($$select status::text, conclusion::text, exit_code, metrics, completed_at is not null, duration_ms is not null
                        from app_public.complete_step(%L, 'success', 0, '{"warnings": 2}')$$, pg_temp.step_id(:'e1', 'build')),
  $$values ('completed', 'success', 0, '{"warnings": 2}'::jsonb, true, true)$$,
  'a step completes with its exit code and metrics; the database sets when and its duration');
select results_eq(pg_catalog.format($$select name from app_public.ready_steps(%L)$$, :'e1'),
  $$values ('test'), ('lint')$$, 'then the steps that needed it are ready, in definition order');
select null from app_public.start_step(pg_temp.step_id(:'e1', 'test'));
select null from app_public.start_step(pg_temp.step_id(:'e1', 'lint'));
select is((app_public.complete_step(pg_temp.step_id(:'e1', 'lint'), 'failure', 1)).conclusion::text, 'failure',
  'a continue_on_error step may fail');
select is_empty(pg_catalog.format($$select 1 from app_public.ready_steps(%L)$$, :'e1'),
  'a step waits for all it needs');
select null from app_public.complete_step(pg_temp.step_id(:'e1', 'test'), 'success', 0);
select results_eq(pg_catalog.format($$select name from app_public.ready_steps(%L)$$, :'e1'),
  $$values ('deploy')$$, 'a failed continue_on_error step does not stop what needs it');
select null from app_public.start_step(pg_temp.step_id(:'e1', 'deploy'));
select null from app_public.complete_step(pg_temp.step_id(:'e1', 'deploy'), 'success', 0);
select results_eq(
  pg_catalog.format($$select status::text, conclusion::text, completed_at is not null, run_duration_ms is not null, timeout_at
                        from app_public.pipeline_executions where id = %L$$, :'e1'),
  $$values ('completed', 'success', true, true, null::timestamptz)$$,
  'the last step completes the run, a success despite the continue_on_error failure');
select is(tests.error_of(pg_catalog.format($$select app_public.complete_step(%L, 'failure')$$, pg_temp.step_id(:'e1', 'deploy'))),
  'FL202: COMPLETED → COMPLETED', 'a completed step cannot complete again');
select is(tests.error_of(pg_catalog.format($$select app_public.start_step(%L)$$, pg_temp.step_id(:'e1', 'deploy'))),
  'FL202: COMPLETED → IN_PROGRESS', 'nor start again');
select is(tests.error_of(pg_catalog.format($$select app_public.cancel_execution(%L)$$, :'e1')),
  'FL202: COMPLETED → COMPLETED', 'a completed execution cannot be cancelled');
select is(tests.error_of(pg_catalog.format($$select app_public.complete_execution(%L)$$, :'e1')),
  'FL202: COMPLETED → COMPLETED', 'nor completed again');
select is(tests.error_of(pg_catalog.format($$select app_public.append_step_log(%L, 'late')$$, pg_temp.step_id(:'e1', 'deploy'))),
  'FL202: COMPLETED', 'nor its steps written to');

-------------------------------------------------------------------------------
-- A failure skips what needs it; the run fails once nothing is left.
-------------------------------------------------------------------------------
select id as e2 from app_public.start_execution(:'flow') \gset
select results_eq(pg_catalog.format($$select event, branch from app_public.pipeline_executions where id = %L$$, :'e2'),
  $$values ('manual', 'trunk')$$, 'a run is manual on the repository''s default branch unless told otherwise');
select null from app_public.start_step(pg_temp.step_id(:'e2', 'build'));
select null from app_public.complete_step(pg_temp.step_id(:'e2', 'build'), 'success', 0);
select null from app_public.start_step(pg_temp.step_id(:'e2', 'test'));
select null from app_public.complete_step(pg_temp.step_id(:'e2', 'test'), 'failure', 2, null, '{"message": "2 tests failed"}');
select results_eq(
  pg_catalog.format($$select name, status::text, conclusion::text, started_at is null from app_public.pipeline_steps where execution_id = %L and name in ('deploy', 'lint') order by position$$, :'e2'),
  $$values ('lint', 'queued', null, true), ('deploy', 'completed', 'skipped', true)$$,
  'a failed step skips at once what needs it, and nothing else');
select is((select status::text from app_public.pipeline_executions where id = :'e2'), 'in_progress',
  'the run goes on while a step can still run');
select throws_ok(pg_catalog.format($$select app_public.rerun_execution(%L)$$, :'e2'),
  'FL207', null, 'a running execution cannot be re-run');
select is(tests.error_of(pg_catalog.format($$select app_public.complete_step(%L, 'success')$$, pg_temp.step_id(:'e2', 'lint'))),
  'FL202: QUEUED → COMPLETED', 'a step not started cannot succeed');
select null from app_public.start_step(pg_temp.step_id(:'e2', 'lint'));
select null from app_public.complete_step(pg_temp.step_id(:'e2', 'lint'), 'success', 0);
select is((select conclusion::text from app_public.pipeline_executions where id = :'e2'), 'failure',
  'the run completes as a failure when its last step ends');

select id as ch from app_public.start_execution((select id from app_public.pipelines where name = 'chain')) \gset
select null from app_public.start_step(pg_temp.step_id(:'ch', 'a'));
select null from app_public.start_step(pg_temp.step_id(:'ch', 'other'));
select null from app_public.complete_step(pg_temp.step_id(:'ch', 'other'), 'success', 0);
select null from app_public.complete_step(pg_temp.step_id(:'ch', 'a'), 'failure', 1);
select results_eq(
  pg_catalog.format($$select name, conclusion::text from app_public.pipeline_steps where execution_id = %L order by position$$, :'ch'),
  $$values ('a', 'failure'), ('b', 'skipped'), ('c', 'skipped'), ('other', 'success')$$,
  'skipping goes down the chain: what needs a skipped step is skipped too');
select results_eq(pg_catalog.format($$select status::text, conclusion::text from app_public.pipeline_executions where id = %L$$, :'ch'),
  $$values ('completed', 'failure')$$, 'and when nothing is left to run, the run fails at once');

-------------------------------------------------------------------------------
-- Re-runs are new attempts of the run.
-------------------------------------------------------------------------------
select id as e3 from app_public.rerun_execution(:'e2', true) \gset
select results_eq(
  pg_catalog.format($$select attempt, run_id, previous_attempt_id, status::text, branch from app_public.pipeline_executions where id = %L$$, :'e3'),
  pg_catalog.format($$values (2, %L::uuid, %L::uuid, 'in_progress', 'trunk')$$, :'e2', :'e2'),
  'a re-run is the next attempt of the same run, linked to the one it re-ran');
select results_eq(
  pg_catalog.format($$select name, status::text, conclusion::text, reused from app_public.pipeline_steps where execution_id = %L order by position$$, :'e3'),
  $$values ('build', 'completed', 'success', true), ('test', 'queued', null, false),
           ('lint', 'completed', 'success', true), ('deploy', 'queued', null, false)$$,
  'failed_only keeps the steps that succeeded and runs the failed one and what follows it');
select results_eq(pg_catalog.format($$select name from app_public.ready_steps(%L)$$, :'e3'),
  $$values ('test')$$, 'the re-run picks up at the failed step');
select is(tests.error_of(pg_catalog.format($$select app_public.rerun_execution(%L)$$, :'e2')),
  'FL207: ' || :'e3', 'only the latest attempt can be re-run (detail: the latest attempt)');
select throws_ok(pg_catalog.format($$select app_public.rerun_execution(%L)$$, :'e3'),
  'FL207', null, 'nor a re-run that is still running');
select null from app_public.start_step(pg_temp.step_id(:'e3', 'test'));
select null from app_public.complete_step(pg_temp.step_id(:'e3', 'test'), 'success', 0);
select null from app_public.start_step(pg_temp.step_id(:'e3', 'deploy'));
select null from app_public.complete_step(pg_temp.step_id(:'e3', 'deploy'), 'success', 0);
select is((select conclusion::text from app_public.pipeline_executions where id = :'e3'), 'success',
  'the re-run succeeds, its reused steps counted');
select throws_ok(pg_catalog.format($$select app_public.rerun_execution(%L, true)$$, :'e3'),
  'FL207', null, 'failed_only needs a step that did not succeed');
select id as e4 from app_public.rerun_execution(:'e3') \gset
select results_eq(
  pg_catalog.format($$select attempt, run_id, previous_attempt_id from app_public.pipeline_executions where id = %L$$, :'e4'),
  pg_catalog.format($$values (3, %L::uuid, %L::uuid)$$, :'e2', :'e3'),
  'a full re-run is attempt 3 of the same run');
select results_eq(
  pg_catalog.format($$select pg_catalog.count(*)::integer, pg_catalog.count(*) filter (where status = 'queued' and not reused)::integer from app_public.pipeline_steps where execution_id = %L$$, :'e4'),
  $$values (4, 4)$$, 'and runs every step again');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.cancel_execution(%L, %L)$$, :'e4', pg_catalog.repeat('r', 501))),
  'FL204: reason', 'a cancel reason is at most 500 characters');
select results_eq(
  pg_catalog.format($$select status::text, conclusion::text, end_reason, completed_at is not null from app_public.cancel_execution(%L, 'no longer needed')$$, :'e4'),
  $$values ('completed', 'cancelled', 'no longer needed', true)$$,
  'a member cancels a run, with the reason given');
select results_eq(
  pg_catalog.format($$select distinct status::text, conclusion::text from app_public.pipeline_steps where execution_id = %L$$, :'e4'),
  $$values ('completed', 'cancelled')$$, 'and its unfinished steps are cancelled with it');

-------------------------------------------------------------------------------
-- Retries: a failure with attempts left is kept and the step queued again.
-------------------------------------------------------------------------------
select id as e5 from app_public.start_execution(:'retry') \gset
select results_eq(pg_catalog.format($$select name, max_attempts from app_public.pipeline_steps where execution_id = %L order by position$$, :'e5'),
  $$values ('flaky', 2), ('once', 1)$$, 'a step takes its retry policy from its own or the definition''s retry');
select pg_temp.step_id(:'e5', 'flaky') as e5_flaky, pg_temp.step_id(:'e5', 'once') as e5_once \gset
select null from app_public.start_step(:'e5_flaky');
select is(tests.error_of(pg_catalog.format($$select app_public.complete_step(%L, 'failure', 3, '{"t1": 1}', '{"message": "boom"}')$$, :'e5_flaky')),
  null, 'a runner reports a failure of a step with an attempt left');
select results_eq(
  pg_catalog.format($$select status::text, conclusion::text, attempt, started_at, exit_code, error, metrics,
                             (previous_attempts -> 0) - 'started_at' - 'completed_at',
                             (previous_attempts -> 0) ? 'started_at' and (previous_attempts -> 0) ? 'completed_at',
                             pg_catalog.jsonb_array_length(previous_attempts)
                        from app_public.pipeline_steps where id = %L$$, :'e5_flaky'),
  $$values ('queued', null::text, 2, null::timestamptz, null::integer, null::jsonb, '{"t1": 1}'::jsonb,
            '{"attempt": 1, "conclusion": "failure", "exit_code": 3, "error": {"message": "boom"}}'::jsonb, true, 1)$$,
  'the step is queued again as attempt 2, the first try kept in previous_attempts');
select results_eq(
  pg_catalog.format($$select s.status::text, e.status::text from app_public.pipeline_steps s join app_public.pipeline_executions e on e.id = s.execution_id where s.id = %L$$, :'e5_once'),
  $$values ('queued', 'in_progress')$$, 'what needs a retried step is not skipped, and the run goes on');
select results_eq(pg_catalog.format($$select name, attempt from app_public.ready_steps(%L)$$, :'e5'),
  $$values ('flaky', 2)$$, 'the retried step is ready again');
select is(tests.error_of(pg_catalog.format($$select app_public.start_step(%L)$$, :'e5_flaky')),
  null, 'its next attempt starts');
select is(tests.error_of(pg_catalog.format($$select app_public.complete_step(%L, 'success', 0, '{"t2": 2}')$$, :'e5_flaky')),
  null, 'and succeeds');
select results_eq(
  pg_catalog.format($$select status::text, conclusion::text, attempt, metrics from app_public.pipeline_steps where id = %L$$, :'e5_flaky'),
  $$values ('completed', 'success', 2, '{"t1": 1, "t2": 2}'::jsonb)$$,
  'the step ends a success at attempt 2, metrics merged over both');
select is(tests.error_of(pg_catalog.format($$select app_public.start_step(%L)$$, :'e5_once')),
  null, 'what needed it starts');
select null from app_public.complete_step(:'e5_once', 'failure', 1);
select results_eq(
  pg_catalog.format($$select status::text, conclusion::text, attempt from app_public.pipeline_steps where id = %L$$, :'e5_once'),
  $$values ('completed', 'failure', 1)$$, 'a step with one attempt fails for good');
select is((select conclusion::text from app_public.pipeline_executions where id = :'e5'), 'failure',
  'and the run fails');

-------------------------------------------------------------------------------
-- Derived conclusions of single-step runs.
-------------------------------------------------------------------------------
select id as s1 from app_public.start_execution(:'solo') \gset
select id as s2 from app_public.start_execution(:'solo') \gset
select id as s3 from app_public.start_execution(:'solo') \gset
select id as s4 from app_public.start_execution(:'solo') \gset
select null from app_public.start_step(pg_temp.step_id(:'s1', 'only'));
select null from app_public.complete_step(pg_temp.step_id(:'s1', 'only'), 'cancelled');
select null from app_public.start_step(pg_temp.step_id(:'s2', 'only'));
select null from app_public.complete_step(pg_temp.step_id(:'s2', 'only'), 'neutral');
select null from app_public.complete_step(pg_temp.step_id(:'s3', 'only'), 'skipped');
select null from app_public.start_step(pg_temp.step_id(:'s4', 'only'));
select null from app_public.complete_step(pg_temp.step_id(:'s4', 'only'), 'timed_out');
select results_eq(
  pg_catalog.format($$select e.id, e.conclusion::text from app_public.pipeline_executions e where e.id in (%L, %L, %L, %L) order by array_position(array[%L, %L, %L, %L]::uuid[], e.id)$$,
                    :'s1', :'s2', :'s3', :'s4', :'s1', :'s2', :'s3', :'s4'),
  pg_catalog.format($$values (%L::uuid, 'cancelled'), (%L::uuid, 'success'), (%L::uuid, 'skipped'), (%L::uuid, 'failure')$$,
                    :'s1', :'s2', :'s3', :'s4'),
  'a run''s conclusion comes from its steps: cancelled, neutral → success, all skipped, timed out → failure');

-------------------------------------------------------------------------------
-- Completing a running execution explicitly.
-------------------------------------------------------------------------------
select id as c1 from app_public.start_execution(:'flow') \gset
select null from app_public.start_step(pg_temp.step_id(:'c1', 'build'));
select results_eq(
  pg_catalog.format($$select status::text, end_reason is not null from app_public.complete_execution(%L)$$, :'c1'),
  $$values ('completed', true)$$, 'a member completes a running execution');
select results_eq(
  pg_catalog.format($$select name, conclusion::text from app_public.pipeline_steps where execution_id = %L order by position$$, :'c1'),
  $$values ('build', 'cancelled'), ('test', 'skipped'), ('lint', 'skipped'), ('deploy', 'skipped')$$,
  'its running steps end cancelled and the ones not started skipped');
select is((select conclusion::text from app_public.pipeline_executions where id = :'c1'), 'cancelled',
  'and its derived conclusion is that of the steps as they ended: cancelled, not success');
select id as c2 from app_public.start_execution(:'flow') \gset
select is((app_public.complete_execution(:'c2', 'neutral')).conclusion::text, 'neutral',
  'a conclusion given to complete_execution is kept');

-------------------------------------------------------------------------------
-- A queued execution: its steps wait (FL205), it cannot be completed (FL202).
-------------------------------------------------------------------------------
select id as q1 from app_public.start_execution(:'limited') \gset
select id as q2 from app_public.start_execution(:'limited') \gset
select pg_temp.step_id(:'q1', 'only') as q1_only, pg_temp.step_id(:'q2', 'only') as q2_only \gset
select results_eq(
  pg_catalog.format($$select status::text, started_at, queued_duration_ms from app_public.pipeline_executions where id = %L$$, :'q2'),
  $$values ('queued', null::timestamptz, null::bigint)$$,
  'a run over its pipeline''s concurrency limit is queued, not started');
select throws_ok(pg_catalog.format($$select app_public.start_step(%L)$$, pg_temp.step_id(:'q2', 'only')),
  'FL205', null, 'a step of a queued execution cannot start');
select is_empty(pg_catalog.format($$select 1 from app_public.ready_steps(%L)$$, :'q2'),
  'nothing of a queued execution is ready');
select is(tests.error_of(pg_catalog.format($$select app_public.complete_execution(%L)$$, :'q2')),
  'FL202: QUEUED → COMPLETED', 'a queued execution cannot be completed (only cancelled)');
select throws_ok(pg_catalog.format($$select app_public.complete_step(%L, 'skipped')$$, pg_temp.step_id(:'q2', 'only')),
  'FL205', null, 'a step of a queued execution cannot be completed either, not even skipped');
select is((select status::text from app_public.pipeline_steps where id = pg_temp.step_id(:'q2', 'only')), 'queued',
  'so the queued execution keeps its steps to run');

-------------------------------------------------------------------------------
-- Disabled pipelines (FL203) and bad input (FL204).
-------------------------------------------------------------------------------
select tests.authenticate_as('acme', 'admin');
update app_public.pipelines set status = 'disabled' where name = 'solo';
select tests.authenticate_as('acme', 'member');
select throws_ok(pg_catalog.format($$select app_public.start_execution(%L)$$, :'solo'),
  'FL203', null, 'a disabled pipeline starts no run');
select throws_ok(pg_catalog.format($$select app_public.rerun_execution(%L)$$, :'s2'),
  'FL203', null, 'nor a re-run');
select tests.authenticate_as('acme', 'admin');
update app_public.pipelines set status = 'active' where name = 'solo';
select tests.authenticate_as('acme', 'member');
select pg_catalog.count(*) as runs_before from app_public.pipeline_executions \gset
select is(pg_temp.refusal(pg_catalog.format($$select app_public.start_execution(%L, 'Push!')$$, :'flow')),
  'FL204: event', 'an event is a lowercase name');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.start_execution(%L, 'push', 'has space')$$, :'flow')),
  'FL204: branch', 'a branch has no spaces');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.start_execution(%L, 'push', 'feature/')$$, :'flow')),
  'FL204: branch', 'a branch does not end with a slash');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.start_execution(%L, 'push', 'a..b')$$, :'flow')),
  'FL204: branch', 'a branch has no ".."');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.start_execution(%L, 'push', 'main', 'ABC123')$$, :'flow')),
  'FL204: commitSha', 'a commit sha is 40 or 64 lowercase hex digits');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.start_execution(%L, 'pull_request', 'main', null, 0)$$, :'flow')),
  'FL204: pullRequestNumber', 'a pull request number is positive');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.start_execution(%L, 'push', 'main', null, null, '[1]')$$, :'flow')),
  'FL204: triggerMetadata', 'trigger metadata is a JSON object');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.start_execution(%L, 'push', 'main', null, null, null)$$, :'flow')),
  'FL204: triggerMetadata', 'trigger metadata is not null');
select is((select pg_catalog.count(*) from app_public.pipeline_executions), :'runs_before'::bigint,
  'refused runs leave nothing behind');
select id as b1 from app_public.start_execution(:'solo') \gset
select pg_temp.step_id(:'b1', 'only') as b1_only \gset
select null from app_public.start_step(pg_temp.step_id(:'b1', 'only'));
select is(pg_temp.refusal(pg_catalog.format($$select app_public.complete_step(%L, 'success', 0, '[]')$$, pg_temp.step_id(:'b1', 'only'))),
  'FL204: metrics', 'metrics are a JSON object');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.complete_step(%L, 'failure', 1, null, '"boom"')$$, pg_temp.step_id(:'b1', 'only'))),
  'FL204: error', 'error details are a JSON object');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.complete_step(%L, 'success', 0, %L)$$, pg_temp.step_id(:'b1', 'only'),
                                            pg_catalog.jsonb_build_object('blob', pg_catalog.repeat('x', 65536)))),
  'FL204: metrics', 'metrics are at most 64 KiB');
select throws_ok(pg_catalog.format($$select app_public.complete_step(%L, null)$$, pg_temp.step_id(:'b1', 'only')),
  'FL204', null, 'a step completes with a conclusion (null is bad input, not a constraint violation)');
select is((select status::text from app_public.pipeline_steps where id = pg_temp.step_id(:'b1', 'only')), 'in_progress',
  'and a refused completion changes nothing');

-------------------------------------------------------------------------------
-- Logs: in order, capped per step in bytes (FL206).
-------------------------------------------------------------------------------
select tests.clear_authentication();
set local role :"owner";
select null from app_private.set_pipeline_limit(:'acme', 1024, null);
select tests.authenticate_as('acme', 'member');
select is((select app_public.pipeline_steps_log(s) from app_public.pipeline_steps s where s.id = pg_temp.step_id(:'b1', 'only')), null,
  'a step has no log before anything is written');
select null from app_public.append_step_log(pg_temp.step_id(:'b1', 'only'), 'hello ');
select null from app_public.append_step_log(pg_temp.step_id(:'b1', 'only'), 'world');
select results_eq(
  pg_catalog.format($$select log_bytes, app_public.pipeline_steps_log(s) from app_public.pipeline_steps s where s.id = %L$$, pg_temp.step_id(:'b1', 'only')),
  $$values (11, 'hello world')$$, 'chunks are appended in order and counted in bytes');
select is((app_public.append_step_log(pg_temp.step_id(:'b1', 'only'), 'é')).log_bytes, 13,
  'the cap counts bytes, not characters');
select is(pg_temp.refusal(pg_catalog.format($$select app_public.append_step_log(%L, '')$$, pg_temp.step_id(:'b1', 'only'))),
  'FL204: content', 'an empty chunk is refused');
select is((app_public.append_step_log(pg_temp.step_id(:'b1', 'only'), pg_catalog.repeat('x', 1011))).log_bytes, 1024,
  'a log may reach the cap exactly');
select throws_ok(pg_catalog.format($$select app_public.append_step_log(%L, 'y')$$, pg_temp.step_id(:'b1', 'only')),
  'FL206', null, 'a chunk past the cap is refused');
select results_eq(
  pg_catalog.format($$select log_bytes, log_chunks, pg_catalog.octet_length(app_public.pipeline_steps_log(s)) from app_public.pipeline_steps s where s.id = %L$$, pg_temp.step_id(:'b1', 'only')),
  $$values (1024, 4, 1024)$$, 'whole: nothing of it was written');
select throws_ok(pg_catalog.format($$insert into app_public.pipeline_step_logs (organization_id, step_id, execution_created_at, seq, content) select organization_id, id, execution_created_at, 99, 'forged' from app_public.pipeline_steps where id = %L$$, pg_temp.step_id(:'b1', 'only')),
  '42501', null, 'logs are written through append_step_log only');
select id as l1 from app_public.start_execution(:'flow') \gset
select is(tests.error_of(pg_catalog.format($$select app_public.append_step_log(%L, 'early')$$, pg_temp.step_id(:'l1', 'test'))),
  'FL202: QUEUED', 'a step that is not running gets no log');
select tests.authenticate_as('acme', 'viewer');
select is((select pg_catalog.left(app_public.pipeline_steps_log(s), 11) from app_public.pipeline_steps s where s.id = pg_temp.step_id(:'b1', 'only')), 'hello world',
  'a viewer reads a step''s log');

-------------------------------------------------------------------------------
-- Roles: members run pipelines; viewers read; nobody signed out.
-------------------------------------------------------------------------------
select ok((select pg_catalog.count(*) > 0 from app_public.pipeline_executions) and (select pg_catalog.count(*) > 0 from app_public.pipeline_steps),
  'a viewer reads executions and steps');
select throws_ok(pg_catalog.format($$select app_public.start_execution(%L)$$, :'flow'), 'FL002', null, 'a viewer cannot start a run');
select throws_ok(pg_catalog.format($$select app_public.rerun_execution(%L)$$, :'e5'), 'FL002', null, 'nor re-run one');
select throws_ok(pg_catalog.format($$select app_public.cancel_execution(%L)$$, :'q2'), 'FL002', null, 'nor cancel one');
select throws_ok(pg_catalog.format($$select app_public.complete_execution(%L)$$, :'q1'), 'FL002', null, 'nor complete one');
select throws_ok(pg_catalog.format($$select app_public.start_step(%L)$$, :'q1_only'), 'FL002', null, 'nor start a step');
select throws_ok(pg_catalog.format($$select app_public.complete_step(%L, 'success')$$, :'b1_only'), 'FL002', null, 'nor complete one');
select throws_ok(pg_catalog.format($$select app_public.append_step_log(%L, 'x')$$, :'b1_only'), 'FL002', null, 'nor write its log');
select tests.authenticate_as_anonymous();
select throws_ok(pg_catalog.format($$select app_public.start_execution(%L)$$, :'flow'), 'FL001', null, 'a signed-out request starts nothing');

-------------------------------------------------------------------------------
-- Another tenant.
-------------------------------------------------------------------------------
select tests.authenticate_as('globex', 'owner');
select is_empty($$select 1 from app_public.pipeline_executions union all select 1 from app_public.pipeline_steps union all select 1 from app_public.pipeline_step_logs$$,
  'another organization sees no executions, steps or logs');
select throws_ok(pg_catalog.format($$select app_public.start_execution(%L)$$, :'flow'), 'FL003', null, 'nor starts another''s pipeline');
select throws_ok(pg_catalog.format($$select app_public.rerun_execution(%L)$$, :'e5'), 'FL003', null, 'nor re-runs its executions');
select throws_ok(pg_catalog.format($$select app_public.cancel_execution(%L)$$, :'q2'), 'FL003', null, 'nor cancels them');
select throws_ok(pg_catalog.format($$select app_public.complete_execution(%L)$$, :'q1'), 'FL003', null, 'nor completes them');
select throws_ok(pg_catalog.format($$select app_public.start_step(%L)$$, :'q1_only'), 'FL003', null, 'nor starts their steps');
select throws_ok(pg_catalog.format($$select app_public.complete_step(%L, 'success')$$, :'b1_only'), 'FL003', null, 'nor completes them');
select throws_ok(pg_catalog.format($$select app_public.append_step_log(%L, 'x')$$, :'b1_only'), 'FL003', null, 'nor writes their logs');
select is_empty(pg_catalog.format($$select 1 from app_public.ready_steps(%L)$$, :'q1'), 'nor sees their ready steps');

-------------------------------------------------------------------------------
-- Timestamps and durations with a clock (the internals trusted code calls).
-------------------------------------------------------------------------------
select tests.clear_authentication();
set local role :"owner";
select id as k1 from app_private.create_execution(
  (select p from app_public.pipelines p where p.name = 'clocked'), 'push', 'main', null, null, '{}', null, pg_temp.t0()) \gset
select id as k2 from app_private.create_execution(
  (select p from app_public.pipelines p where p.name = 'clocked'), 'push', 'main', null, null, '{}', null, pg_temp.t0() + interval '1 minute') \gset
select results_eq(
  pg_catalog.format($$select id, status::text, started_at, queued_duration_ms, timeout_at from app_public.pipeline_executions where id in (%L, %L) order by created_at$$, :'k1', :'k2'),
  pg_catalog.format($$values (%L::uuid, 'in_progress', %L::timestamptz, 0::bigint, %L::timestamptz), (%L::uuid, 'queued', null, null, null)$$,
                    :'k1', pg_temp.t0(), pg_temp.t0() + interval '60 minutes', :'k2'),
  'a run starts when it is created if it may (timing out after the definition''s 60 minutes); the next one queues');
select pg_temp.begin_step(pg_temp.step_id(:'k1', 'only'), pg_temp.t0() + interval '30 seconds');
select results_eq(
  pg_catalog.format($$select status::text, conclusion::text, completed_at, duration_ms, timeout_at, metrics
                        from app_private.finish_step(pg_temp.step(%L, 'only'), 'success', 0, '{"cpu_ms": 1200}', null, %L)$$,
                    :'k1', pg_temp.t0() + interval '5 minutes'),
  pg_catalog.format($$values ('completed', 'success', %L::timestamptz, 270000::bigint, null::timestamptz, '{"cpu_ms": 1200}'::jsonb)$$,
                    pg_temp.t0() + interval '5 minutes'),
  'a step''s completion time is the clock''s, its duration computed (4.5 minutes)');
select results_eq(
  pg_catalog.format($$select id, status::text, conclusion::text, started_at, completed_at, queued_duration_ms, run_duration_ms, timeout_at
                        from app_public.pipeline_executions where id in (%L, %L) order by created_at$$, :'k1', :'k2'),
  pg_catalog.format($$values (%L::uuid, 'completed', 'success', %L::timestamptz, %L::timestamptz, 0::bigint, 300000::bigint, null::timestamptz),
                             (%L::uuid, 'in_progress', null, %L, null, 240000, null, %L)$$,
                    :'k1', pg_temp.t0(), pg_temp.t0() + interval '5 minutes',
                    :'k2', pg_temp.t0() + interval '5 minutes', pg_temp.t0() + interval '65 minutes'),
  'the run completes with its last step (5 minutes), and the queued one starts then (queued 4 minutes)');
select id as k3 from app_private.create_execution(
  (select p from app_public.pipelines p where p.name = 'clocked'), 'push', 'main', null, null, '{}', null, pg_temp.t0() + interval '6 minutes') \gset
update app_public.pipelines set concurrency_limit = 2 where name = 'clocked';
select is(app_private.dispatch_executions(:'acme', :'clock_repo', pg_temp.t0() + interval '10 minutes'), 1,
  'dispatching with a clock starts what now fits');
select results_eq(
  pg_catalog.format($$select status::text, started_at, queued_duration_ms from app_public.pipeline_executions where id = %L$$, :'k3'),
  pg_catalog.format($$values ('in_progress', %L::timestamptz, 240000::bigint)$$, pg_temp.t0() + interval '10 minutes'),
  'at the clock''s time');
select is(app_private.dispatch_executions(:'acme', :'clock_repo', pg_temp.t0() + interval '11 minutes'), 0,
  'and a second dispatch finds nothing to start');

select * from finish();
rollback;
