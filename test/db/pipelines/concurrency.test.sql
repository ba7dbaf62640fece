/*
 * Concurrency: a pipeline's concurrency_limit queues the runs over it and
 * starts the oldest when a slot frees (also for a pipeline disabled since);
 * concurrency groups follow GitHub Actions: per repository across pipelines, at
 * most one running and one pending per group, a newer pending run replaces the
 * older (which ends CANCELLED, saying why), cancel_in_progress cancels the
 * running one too, placeholders such as {branch} make one group per value.
 * Timed runs use the internals with a clock fixed in this file; the public
 * functions are shown on runs started now.
 */
begin;
select plan(27);

select tests.create_org('acme') as acme \gset
select pg_catalog.pg_get_userbyid(c.relowner) as owner
  from pg_catalog.pg_class c where c.oid = 'app_public.pipeline_executions'::regclass \gset

-- This file's clock: minute m after 2024-05-06 10:00 UTC.
create function pg_temp.t(m integer) returns timestamptz language sql immutable
  as $$ select timestamptz '2024-05-06 10:00:00+00' + pg_catalog.make_interval(mins => t.m) $$;
-- Runs by label, started by trusted code at minute m.
create temp table runs (label text primary key, id uuid not null);
grant all on runs to public;
create function pg_temp.run(label text, pipeline text, branch text, m integer) returns uuid language sql volatile as $$
  insert into runs (label, id)
  select run.label, (app_private.create_execution(p, 'push', run.branch, null, null, '{}', null, pg_temp.t(run.m))).id
    from app_public.pipelines p where p.name = run.pipeline
  returning id;
$$;
-- A runner starting (if need be) and finishing a run's steps at minute m.
create function pg_temp.finish(label text, m integer) returns void language plpgsql volatile as $$
declare
  v_step app_public.pipeline_steps;
begin
  update app_public.pipeline_steps s
     set status = 'in_progress', started_at = pg_temp.t(finish.m),
         timeout_at = pg_temp.t(finish.m) + pg_catalog.make_interval(mins => s.timeout_minutes)
   where s.execution_id = (select r.id from runs r where r.label = finish.label) and s.status = 'queued';
  for v_step in select s.* from app_public.pipeline_steps s
                 where s.execution_id = (select r.id from runs r where r.label = finish.label) and s.status = 'in_progress'
  loop
    perform app_private.finish_step(v_step, 'success', 0, null, null, pg_temp.t(finish.m));
  end loop;
end;
$$;
-- label, status, conclusion of the given runs.
create function pg_temp.states(labels text[]) returns table (label text, status text, conclusion text) language sql stable as $$
  select r.label, e.status::text, e.conclusion::text
    from runs r join app_public.pipeline_executions e on e.id = r.id
   where r.label = any (states.labels)
   order by r.label;
$$;

select tests.authenticate_as('acme', 'admin');
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/app', 'https://github.com/acme/app.git') returning id as app \gset
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/infra', 'https://github.com/acme/infra.git') returning id as infra \gset
insert into app_public.repositories (provider, full_name, clone_url)
values ('github', 'acme/site', 'https://github.com/acme/site.git') returning id as site \gset
insert into app_public.pipelines (repository_id, name, definition, concurrency_limit, concurrency_group, cancel_in_progress) values
  (:'app', 'limited', '{"steps": [{"name": "run"}]}', 2, null, false),
  (:'app', 'deploy-a', '{"steps": [{"name": "run"}]}', null, 'deploy-{branch}', false),
  (:'app', 'deploy-b', '{"steps": [{"name": "run"}]}', null, 'deploy-{branch}', false),
  (:'infra', 'deploy-c', '{"steps": [{"name": "run"}]}', null, 'deploy-{branch}', false),
  (:'app', 'release', '{"steps": [{"name": "run"}]}', null, 'release', true),
  (:'app', 'release-manual', '{"steps": [{"name": "run"}]}', null, 'release', false),
  (:'app', 'templated', '{"steps": [{"name": "run"}]}', null, 'ci-{pipeline}-{event}-{branch}-{pull_request}', false),
  (:'infra', 'both', '{"steps": [{"name": "run"}]}', 1, 'both-{branch}', false),
  (:'site', 'site-limited', '{"steps": [{"name": "run"}]}', 1, null, false),
  (:'site', 'site-group', '{"steps": [{"name": "run"}]}', null, 'site', false);

select tests.clear_authentication();
set local role :"owner";
select pg_catalog.count(*) as made from app_private.maintain_partitions(pg_temp.t(0)) \gset
select pg_catalog.count(*) as made from app_private.maintain_partitions(pg_catalog.now()) \gset

-------------------------------------------------------------------------------
-- concurrency_limit: the runs over it queue; the oldest starts when one ends.
-------------------------------------------------------------------------------
select null from pg_temp.run('l1', 'limited', 'main', 0);
select null from pg_temp.run('l2', 'limited', 'main', 1);
select null from pg_temp.run('l3', 'limited', 'main', 2);
select null from pg_temp.run('l4', 'limited', 'main', 3);
select results_eq($$select label, status, conclusion from pg_temp.states('{l1,l2,l3,l4}')$$,
  $$values ('l1', 'in_progress', null), ('l2', 'in_progress', null), ('l3', 'queued', null), ('l4', 'queued', null)$$,
  'with a limit of 2, the first two runs start and the others queue');
select pg_temp.finish('l2', 10);
select results_eq($$select label, status, conclusion from pg_temp.states('{l2,l3,l4}')$$,
  $$values ('l2', 'completed', 'success'), ('l3', 'in_progress', null), ('l4', 'queued', null)$$,
  'when one completes, the oldest queued run starts, and only it');
select is((select e.started_at from runs r join app_public.pipeline_executions e on e.id = r.id where r.label = 'l3'), pg_temp.t(10),
  'it starts when the slot freed');
select pg_temp.finish('l1', 11);
select results_eq($$select label, status, conclusion from pg_temp.states('{l1,l4}')$$,
  $$values ('l1', 'completed', 'success'), ('l4', 'in_progress', null)$$,
  'the next freed slot goes to the next oldest');
select null from pg_temp.run('l5', 'limited', 'main', 12);
update app_public.pipelines set status = 'disabled' where name = 'limited';
select pg_temp.finish('l3', 20);
select results_eq($$select label, status, conclusion from pg_temp.states('{l5}')$$,
  $$values ('l5', 'in_progress', null)$$,
  'a run queued before its pipeline was disabled still runs');
select is((select pg_catalog.count(*)::integer from app_public.pipeline_executions e
            join app_public.pipelines p on p.id = e.pipeline_id where p.name = 'limited' and e.status = 'in_progress'), 2,
  'and never more than the limit run at once');

-------------------------------------------------------------------------------
-- Concurrency groups: one running and one pending per group and repository.
-------------------------------------------------------------------------------
select null from pg_temp.run('g1', 'deploy-a', 'main', 0);
select null from pg_temp.run('g2', 'deploy-a', 'main', 1);
select results_eq($$select label, status, conclusion from pg_temp.states('{g1,g2}')$$,
  $$values ('g1', 'in_progress', null), ('g2', 'waiting', null)$$,
  'a second run of a group waits for the running one');
select is((select e.concurrency_group from runs r join app_public.pipeline_executions e on e.id = r.id where r.label = 'g2'), 'deploy-main',
  'the group is the pipeline''s template filled in');
select null from pg_temp.run('g3', 'deploy-b', 'main', 2);
select results_eq($$select label, status, conclusion from pg_temp.states('{g1,g2,g3}')$$,
  $$values ('g1', 'in_progress', null), ('g2', 'completed', 'cancelled'), ('g3', 'waiting', null)$$,
  'a newer pending run, even of another pipeline of the repository, replaces the older one, which ends cancelled');
select ok((select e.end_reason like '%' || (select id from runs where label = 'g3') || '%deploy-main%'
             from runs r join app_public.pipeline_executions e on e.id = r.id where r.label = 'g2'),
  'the replaced run says which run and group superseded it');
select results_eq(
  $$select distinct s.status::text, s.conclusion::text from runs r join app_public.pipeline_steps s on s.execution_id = r.id where r.label = 'g2'$$,
  $$values ('completed', 'cancelled')$$, 'and its steps are cancelled with it');
select null from pg_temp.run('g4', 'deploy-a', 'dev', 3);
select null from pg_temp.run('g5', 'deploy-c', 'main', 4);
select results_eq($$select label, status, conclusion from pg_temp.states('{g4,g5}')$$,
  $$values ('g4', 'in_progress', null), ('g5', 'in_progress', null)$$,
  'another branch is another group ({branch}), and another repository has its own groups');
select results_eq(
  $$select e.status::text, pg_catalog.count(*)::integer from app_public.pipeline_executions e
     where e.repository_id = (select id from app_public.repositories where full_name = 'acme/app')
       and e.concurrency_group = 'deploy-main' and e.status <> 'completed'
     group by 1 order by 1$$,
  $$values ('in_progress', 1), ('waiting', 1)$$,
  'a group holds at most one running and one pending run');
select pg_temp.finish('g1', 10);
select results_eq($$select label, status, conclusion from pg_temp.states('{g1,g3}')$$,
  $$values ('g1', 'completed', 'success'), ('g3', 'in_progress', null)$$,
  'when the running one ends, the pending one starts');
select is((select e.started_at from runs r join app_public.pipeline_executions e on e.id = r.id where r.label = 'g3'), pg_temp.t(10),
  'at that moment');

-- cancel_in_progress: a new run cancels the group's running one too.
select null from pg_temp.run('c1', 'release', 'main', 0);
update app_public.pipeline_steps s set status = 'in_progress', started_at = pg_temp.t(0), timeout_at = pg_temp.t(60)
 where s.execution_id = (select id from runs where label = 'c1');
select null from pg_temp.run('c2', 'release', 'main', 1);
select results_eq($$select label, status, conclusion from pg_temp.states('{c1,c2}')$$,
  $$values ('c1', 'completed', 'cancelled'), ('c2', 'in_progress', null)$$,
  'with cancel_in_progress a new run cancels the running one and starts');
select results_eq(
  $$select e.completed_at, e.end_reason like '%' || (select id from runs where label = 'c2') || '%', s.conclusion::text
      from runs r join app_public.pipeline_executions e on e.id = r.id join app_public.pipeline_steps s on s.execution_id = e.id
     where r.label = 'c1'$$,
  $$values (pg_temp.t(1), true, 'cancelled')$$,
  'the cancelled run ends then, says why, and its running step is cancelled');
select null from pg_temp.run('d1', 'release-manual', 'main', 2);
select results_eq($$select label, status, conclusion from pg_temp.states('{c2,d1}')$$,
  $$values ('c2', 'in_progress', null), ('d1', 'waiting', null)$$,
  'a pipeline of the same group without cancel_in_progress waits instead');
select null from pg_temp.run('c3', 'release', 'main', 3);
select results_eq($$select label, status, conclusion from pg_temp.states('{c2,c3,d1}')$$,
  $$values ('c2', 'completed', 'cancelled'), ('c3', 'in_progress', null), ('d1', 'completed', 'cancelled')$$,
  'and the next cancel_in_progress run cancels both the running and the pending one');

-- Every placeholder.
select is((app_private.create_execution((select p from app_public.pipelines p where p.name = 'templated'),
            'pull_request', 'feature/x', null, 7, '{}', null, pg_temp.t(5))).concurrency_group,
  'ci-templated-pull_request-feature/x-7', 'a group fills in {pipeline}, {event}, {branch} and {pull_request}');

-- A pending run whose group frees while its pipeline is full goes back to queued.
select null from pg_temp.run('b1', 'both', 'main', 0);
select null from pg_temp.run('b2', 'both', 'dev', 1);
select null from pg_temp.run('b3', 'both', 'main', 2);
select results_eq($$select label, status, conclusion from pg_temp.states('{b1,b2,b3}')$$,
  $$values ('b1', 'in_progress', null), ('b2', 'queued', null), ('b3', 'waiting', null)$$,
  'over the limit a run queues; behind its group''s running run it waits');
select pg_temp.finish('b1', 10);
select results_eq($$select label, status, conclusion from pg_temp.states('{b2,b3}')$$,
  $$values ('b2', 'in_progress', null), ('b3', 'queued', null)$$,
  'the freed slot goes to the oldest; the pending one, its group now free, queues for the limit');

-------------------------------------------------------------------------------
-- The same through the public functions (runs started now).
-------------------------------------------------------------------------------
select tests.authenticate_as('acme', 'member');
select id as p1, status as p1_status from app_public.start_execution((select id from app_public.pipelines where name = 'site-limited')) \gset
select id as p2, status as p2_status from app_public.start_execution((select id from app_public.pipelines where name = 'site-limited')) \gset
select is(array[:'p1_status', :'p2_status']::text[], array['in_progress', 'queued'],
  'startExecution returns a run started, or queued over the limit');
select null from app_public.cancel_execution(:'p1');
select is((select status::text from app_public.pipeline_executions where id = :'p2'), 'in_progress',
  'cancelling the running one starts the queued one');
select id as s1 from app_public.start_execution((select id from app_public.pipelines where name = 'site-group')) \gset
select id as s2, status as s2_status from app_public.start_execution((select id from app_public.pipelines where name = 'site-group')) \gset
select id as s3 from app_public.start_execution((select id from app_public.pipelines where name = 'site-group')) \gset
select results_eq(pg_catalog.format($$select id, status::text, conclusion::text from app_public.pipeline_executions where id in (%L, %L, %L) order by array_position(array[%L, %L, %L]::uuid[], id)$$,
                                    :'s1', :'s2', :'s3', :'s1', :'s2', :'s3'),
  pg_catalog.format($$values (%L::uuid, 'in_progress', null), (%L::uuid, 'completed', 'cancelled'), (%L::uuid, 'waiting', null)$$, :'s1', :'s2', :'s3'),
  'startExecution in a busy group: the newest run waits, the one it replaced is cancelled');
select is(:'s2_status'::text, 'waiting', 'the replaced run had been waiting');
select null from app_public.complete_execution(:'s1');
select is((select status::text from app_public.pipeline_executions where id = :'s3'), 'in_progress',
  'completing the running one starts the waiting one');

select * from finish();
rollback;
