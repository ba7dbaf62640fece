/*
 * pipeline_stats(pipeline, since), exactly: runs, successes, failures, success
 * rate and the p50/p95 of run and queue time (percentile_cont, rounded to the
 * ms), per branch and for all branches together (the row with branch null),
 * over executions written by trusted code with fixed durations:
 *
 *   main  queue 1, 2, 3, 4, 100 s; run 10, 20, 30, 40, 50 s;
 *         success ×3, failure, timed_out
 *   dev   success (queue 5 s, run 60 s); cancelled before it started (no
 *         durations); cancelled while running (queue 7 s, run 70 s)
 *
 * Cancelled runs count in `runs`, not in the rate or in `failures`; one that
 * ran counts in the percentiles, one that never started does not (its
 * durations are null). Left out: runs not completed, runs of another pipeline
 * or organization, and runs created before `since` — the cutoff is on
 * created_at, inclusive, whenever the run completed (a run created before
 * `since` and completed after it is not counted; one created at `since` is).
 * A window without runs still answers one overall row, of zeros and nulls.
 * Clocks are fixed dates of this file, never today's.
 */
begin;
select plan(13);

select tests.create_org('stats') as stats \gset
select tests.create_org('stats-other') as other \gset
select pg_catalog.pg_get_userbyid(c.relowner) as owner
  from pg_catalog.pg_class c where c.oid = 'app_public.pipeline_executions'::regclass \gset

-- The cutoff of this file: runs are created from it on (one, earlier, before it).
create function pg_temp.since() returns timestamptz language sql immutable
  as $$ select timestamptz '2024-03-04 09:00:00+00' $$;

select tests.authenticate_as('stats', 'admin');
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'stats/app', 'https://github.com/stats/app.git') returning id as repo \gset
insert into app_public.pipelines (repository_id, name, definition)
values (:'repo', 'ci', '{"steps": [{"name": "build"}]}') returning id as ci \gset
insert into app_public.pipelines (repository_id, name, definition)
values (:'repo', 'nightly', '{"steps": [{"name": "build"}]}') returning id as nightly \gset
select tests.authenticate_as('stats-other', 'admin');
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'other/app', 'https://github.com/other/app.git') returning id as other_repo \gset
insert into app_public.pipelines (repository_id, name, definition)
values (:'other_repo', 'ci', '{"steps": [{"name": "build"}]}') returning id as other_ci \gset

-- Trusted code writes the runs, with the times that give their durations.
select tests.clear_authentication();
set local role :"owner";
select pg_catalog.count(*) as made from app_private.maintain_partitions(pg_temp.since() - interval '1 month') \gset

-- A completed run of `pipeline` on `branch`, created `at` minutes after the
-- cutoff, queued `queue_s` and running `run_s` seconds (null: never started).
create function pg_temp.run(pipeline uuid, branch text, at_minute integer, queue_s integer, run_s integer,
                            conclusion text, status text default 'completed')
  returns uuid language sql volatile as $$
  insert into app_public.pipeline_executions (
    organization_id, created_at, pipeline_id, repository_id, run_id, event, branch, timeout_minutes,
    status, conclusion, started_at, completed_at)
  select p.organization_id, c.created, p.id, p.repository_id, pg_catalog.gen_random_uuid(), 'push', run.branch, 60,
         run.status::app_public.pipeline_run_status, run.conclusion::app_public.pipeline_conclusion,
         c.created + pg_catalog.make_interval(secs => run.queue_s),
         case when run.status = 'completed'
              then c.created + pg_catalog.make_interval(secs => coalesce(run.queue_s, 0) + coalesce(run.run_s, 10)) end
    from app_public.pipelines p,
         lateral (select pg_temp.since() + pg_catalog.make_interval(mins => run.at_minute) as created) c
   where p.id = run.pipeline
  returning id;
$$;

select pg_catalog.count(pg_temp.run(v.pipeline::uuid, v.branch, v.at_minute, v.queue_s, v.run_s, v.conclusion,
                                     coalesce(v.status, 'completed'))) as written
  from (values
    -- main: the first exactly at the cutoff (counted: `since` is inclusive).
    (:'ci', 'main', 0, 1, 10, 'success', null),
    (:'ci', 'main', 10, 2, 20, 'success', null),
    (:'ci', 'main', 20, 3, 30, 'success', null),
    (:'ci', 'main', 30, 4, 40, 'failure', null),
    (:'ci', 'main', 40, 100, 50, 'timed_out', null),
    -- dev
    (:'ci', 'dev', 50, 5, 60, 'success', null),
    (:'ci', 'dev', 60, null, null, 'cancelled', null),
    (:'ci', 'dev', 70, 7, 70, 'cancelled', null),
    -- Left out: still running, still queued; created a minute before the cutoff
    -- though it completed an hour after it; another pipeline's; another organization's.
    (:'ci', 'main', 80, 1, null, null, 'in_progress'),
    (:'ci', 'main', 90, null, null, null, 'queued'),
    (:'ci', 'main', -1, 60, 3600, 'success', null),
    (:'nightly', 'main', 5, 1, 1, 'failure', null),
    (:'other_ci', 'main', 5, 1, 1, 'failure', null)
  ) v (pipeline, branch, at_minute, queue_s, run_s, conclusion, status) \gset

select is(
  (select pg_catalog.array_agg(e.run_duration_ms || '/' || e.queued_duration_ms order by e.created_at)
     from app_public.pipeline_executions e where e.pipeline_id = :'ci' and e.branch = 'main' and e.status = 'completed'),
  array['3600000/60000', '10000/1000', '20000/2000', '30000/3000', '40000/4000', '50000/100000'],
  'the database computes the durations from the times trusted code wrote');

-------------------------------------------------------------------------------
-- The statistics, as a viewer sees them.
-------------------------------------------------------------------------------
select tests.authenticate_as('stats', 'viewer');

select results_eq(
  format($$select branch, runs, successes, failures, p50_run_ms, p95_run_ms, p50_queue_ms, p95_queue_ms
             from app_public.pipeline_stats(%L, %L)$$, :'ci', pg_temp.since()),
  $$values (null::text, 8, 4, 2, 40000::bigint, 67000::bigint, 4000::bigint, 72100::bigint),
           ('dev', 3, 1, 0, 65000, 69500, 6000, 6900),
           ('main', 5, 3, 2, 30000, 48000, 3000, 80800)$$,
  'runs, successes, failures and exact p50/p95 of run and queue time: overall first, then per branch');

select results_eq(
  format($$select branch, success_rate from app_public.pipeline_stats(%L, %L)$$, :'ci', pg_temp.since()),
  $$values (null::text, 4::double precision / 6), ('dev', 1::double precision), ('main', 3::double precision / 5)$$,
  'the success rate is success / (success + failure + timed_out): cancelled runs are not in it');

select is(
  (select s.runs from app_public.pipeline_stats(:'ci', pg_temp.since()) s where s.branch = 'dev'),
  3, 'cancelled runs count as runs (dev: one success, two cancelled)');
select is(
  (select array[s.p50_run_ms, s.p50_queue_ms] from app_public.pipeline_stats(:'ci', pg_temp.since()) s where s.branch = 'dev'),
  array[65000, 6000]::bigint[],
  'a cancelled run that ran counts in the percentiles (60 s and 70 s), one that never started does not');
select is(
  (select s.failures from app_public.pipeline_stats(:'ci', pg_temp.since()) s where s.branch = 'main'),
  2, 'failures are failure and timed_out');

-- The cutoff is on created_at, inclusive.
select is(
  (select s.runs from app_public.pipeline_stats(:'ci', pg_temp.since() - interval '1 minute') s where s.branch is null),
  9, 'a minute earlier, the run created before the cutoff (and completed an hour after it) counts too');
select is(
  (select s.runs from app_public.pipeline_stats(:'ci', pg_temp.since() + interval '1 second') s where s.branch is null),
  7, 'a second later, the run created at the cutoff no longer counts');
select is(
  (select s.runs from app_public.pipeline_stats(:'ci', pg_temp.since() + interval '55 minutes') s where s.branch is null),
  2, 'since 55 minutes after: only the two dev runs created after it (the running and queued ones never count)');
select results_eq(
  format($$select branch, runs, successes, failures, success_rate, p50_run_ms, p95_run_ms, p50_queue_ms, p95_queue_ms
             from app_public.pipeline_stats(%L, %L)$$, :'ci', pg_temp.since() + interval '1 day'),
  $$values (null::text, 0, 0, 0, null::double precision, null::bigint, null::bigint, null::bigint, null::bigint)$$,
  'a window without runs answers one overall row of zeros and nulls, no branch rows');

-- Only that pipeline, only this organization.
select is(
  (select s.runs from app_public.pipeline_stats(:'nightly', pg_temp.since()) s where s.branch is null),
  1, 'another pipeline''s runs are its own');
select results_eq(
  format($$select runs from app_public.pipeline_stats(%L, %L)$$, :'other_ci', pg_temp.since()),
  $$values (0)$$,
  'another organization''s pipeline shows nothing (its run is invisible)');
select tests.authenticate_as('stats-other', 'viewer');
select results_eq(
  format($$select branch, runs, failures from app_public.pipeline_stats(%L, %L)$$, :'other_ci', pg_temp.since()),
  $$values (null::text, 1, 1), ('main', 1, 1)$$,
  'its own organization sees its one run');

select * from finish();
rollback;
