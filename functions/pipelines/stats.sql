/*
 * pipeline_stats(pipeline, since): runs, success rate and the p50/p95 of run
 * and queue time of a pipeline's completed executions created (queued) since
 * `since`, per branch and (branch null) for all of them. The success rate counts what ran to a
 * verdict: success / (success + failure + timed_out); cancelled, skipped and
 * neutral runs are counted in `runs` but not in the rate.
 *
 * Exact, and fast as history grows: executions are partitioned by month, so
 * `since` prunes whole months, and within a month the index
 * (organization_id, pipeline_id, created_at) includes every column read here, so
 * a 90-day window is an index-only scan of that pipeline's rows in 3–4
 * partitions. An execution counts by when it was created, not when it
 * completed: created_at is the partition key, so the window prunes months and
 * stays an index-only scan; filtering on completed_at could not prune (a run may
 * complete in a later month than it was created) and would read every month.
 * Runs still going are left out until they complete. Invoker: RLS decides.
 */
create or replace function app_public.pipeline_stats(
  pipeline_id uuid,
  since timestamptz default pg_catalog.now() - interval '30 days'
) returns setof app_public.pipeline_branch_stats
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select e.branch,
         pg_catalog.count(*)::integer,
         pg_catalog.count(*) filter (where e.conclusion = 'success')::integer,
         pg_catalog.count(*) filter (where e.conclusion in ('failure', 'timed_out'))::integer,
         case when pg_catalog.count(*) filter (where e.conclusion in ('success', 'failure', 'timed_out')) > 0
              then (pg_catalog.count(*) filter (where e.conclusion = 'success'))::double precision
                   / pg_catalog.count(*) filter (where e.conclusion in ('success', 'failure', 'timed_out')) end,
         pg_catalog.round(pg_catalog.percentile_cont(0.5) within group (order by e.run_duration_ms))::bigint,
         pg_catalog.round(pg_catalog.percentile_cont(0.95) within group (order by e.run_duration_ms))::bigint,
         pg_catalog.round(pg_catalog.percentile_cont(0.5) within group (order by e.queued_duration_ms))::bigint,
         pg_catalog.round(pg_catalog.percentile_cont(0.95) within group (order by e.queued_duration_ms))::bigint
    from app_public.pipeline_executions e
   where e.organization_id = app_public.current_org_id()
     and e.pipeline_id = pipeline_stats.pipeline_id
     and e.created_at >= pipeline_stats.since
     and e.status = 'completed'
   group by grouping sets ((e.branch), ())
   order by e.branch nulls first;
$$;
comment on function app_public.pipeline_stats(uuid, timestamptz) is
  E'Runs, success rate and p50/p95 run and queue times (ms) of a pipeline''s completed executions created since `since` (default 30 days ago), per branch; the row with `branch: null` is all branches together.';
