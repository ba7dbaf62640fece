--! Previous: sha1:413737dbd9a0f337826bae149d0902da49eccc35
--! Hash: sha1:24dcd377cf76210439f36fa79a67693be37b2299
--! Message: Pipelines under load: hot-path helpers inlined or plpgsql with generic plans, one-month reads after a lookup by id, definitions expanded when saved, dispatch only when something waits, notifying writes commit asynchronously, pipeline_stats inlined with one sort per duration

-- Pipelines under load (issue #9 §6: step updates, starts, pipelineStats). What
-- the writes and the stats spent their time on, and what changed:
--
-- * language sql functions with a SET clause are never inlined: each call plans
--   its query again (derived_conclusion 2–3 ms per completed execution, the
--   definition's expansion 0.3–0.5 ms per start, pipeline_stats several ms per
--   call). Invokers whose names are all qualified lose the SET clause and are
--   inlined (pipeline_stats, ready_steps, pipeline_need_met,
--   pipeline_status_allows, lock_pipeline_runs, pipeline_definition_steps); the
--   others become plpgsql, whose plans are kept per session (derived_conclusion,
--   step_log_limit). Definers keep their pinned search_path.
-- * The public pipeline functions run with plan_cache_mode = force_generic_plan:
--   PostgreSQL re-planned every statement whose parameters include the partition
--   key at every call (a plan for the values prunes to one month and looks
--   cheaper); the generic plan prunes when it runs.
-- * lock_step and lock_execution find a row by id alone once (a probe in each
--   month's partition) and read it again under the run lock in its own month.
-- * A definition is expanded into step rows once, when the pipeline is saved:
--   pipelines.definition_steps, a generated column; a start copies it.
-- * Dispatch reads what runs only when something waits, and finds what waits
--   through a partial index of the queued and waiting executions.
-- * A transaction that writes executions or steps (and so sends a NOTIFY)
--   commits with synchronous_commit off: PostgreSQL serialises notifying commits
--   through their WAL flush (functions/pipelines/notify.sql says what it risks).
-- * pipeline_stats: one sort per duration and group (percentile_cont of an
--   array), exact as before.
--
-- Idempotent: drops first, in reverse order; then create or replace.

-- Drops, in reverse order
drop trigger if exists _800_audit_insert on app_public.pipelines;
drop trigger if exists _800_audit_update on app_public.pipelines;
drop trigger if exists _800_audit_delete on app_public.pipelines;
drop index if exists app_public.pipeline_executions_pending_idx;
alter table app_public.pipelines drop column if exists definition_steps;

--! Included pipelines/definition.sql
/*
 * A pipeline's definition, checked in the database (issue #9 §1) so every
 * writer — GraphQL, the integrations module mapping a GitHub workflow, a script —
 * meets the same rules, each refused with FL201 and the offending path, like
 * `steps[2].needs[0]: unknown step "tset"`.
 *
 *   {
 *     "timeout_minutes": 60,                      -- the whole run (default 360)
 *     "retry": {"max_attempts": 2},               -- default of every step (default 1)
 *     "deployment": {"environment": "production", "url": "https://…"},
 *     "env": {"NODE_ENV": "test"},
 *     "metadata": {"name": "CI", "permissions": {"contents": "read"}},
 *     "jobs": {
 *       "test": {"needs": ["build"], "metadata": {"runs-on": "ubuntu-latest"}}
 *     },
 *     "steps": [
 *       {"job": "build", "uses": "actions/checkout@v4"},
 *       {"name": "Set up Node (v24)", "job": "build", "uses": "actions/setup-node@v4"},
 *       {"id": "build-install", "name": "Install", "job": "build", "run": "npm ci"},
 *       {"id": "test-install", "name": "Install", "job": "test", "run": "npm ci"},
 *       {"name": "e2e", "needs": ["build"], "run": "make e2e",
 *        "timeout_minutes": 10, "retry": {"max_attempts": 3}, "continue_on_error": false,
 *        "metadata": {"working-directory": "web"}}
 *     ]
 *   }
 *
 * Steps run in parallel unless `needs` orders them. A GitHub Actions workflow
 * maps onto this: each job's steps carry the job's name in `job` and run in
 * their listed order (a step of a job implicitly needs the one before it); a
 * `needs` entry may name a job (all of its steps) as well as a step, and
 * `jobs.<job>.needs` is a job's own `needs` (its first step's). What the
 * database does not interpret — a job's runs-on, strategy/matrix, services,
 * container, env, if, timeout-minutes; a step's shell or working-directory;
 * the workflow's name or permissions — goes in a `metadata` object (of a step,
 * a job or the definition), stored as given.
 *
 * Every step has a key, unique in the definition: what an execution's step row
 * is named and what `needs` names. It is the step's `id` if it has one, else
 * its `name`, else, for a step of a job, `<job>#<n>` (its number in the job,
 * from 1, as GitHub numbers a job's steps). So a GitHub step keeps its name as
 * written ("Set up Node (v24)", "actions/checkout@v4"; any printable text of 1
 * to 100 characters), may have none, and steps of different jobs with the same
 * name tell themselves apart with an `id`. Definitions written before ids,
 * metadata and jobs mean what they meant: a step without an id is keyed by its
 * name, as always.
 *
 * pipeline_definition_steps(definition) turns a valid definition into the step
 * rows of an execution, `needs` expanded to step keys; pipeline_definition_error
 * returns the first problem as `path: message`, or null.
 * pipeline_definition_step_rows(definition) is the same rows as a JSON array, the
 * generated column pipelines.definition_steps: a definition is expanded once,
 * when it is saved, and every start copies the rows (0.01 ms against 0.3–0.5 ms
 * to expand it again). Changing what a definition expands to therefore needs its
 * migration to recompute the column (drop and add it again: no trigger fires).
 * pipeline_definition_steps is an invoker without a SET clause (every name
 * qualified), so a query that calls it in FROM has it inlined.
 */
create or replace function app_hidden.pipeline_definition_steps(definition jsonb)
  returns table (
    name text,
    job text,
    "position" integer,
    needs text[],
    max_attempts integer,
    timeout_minutes integer,
    continue_on_error boolean,
    spec jsonb
  )
  language sql immutable parallel safe
as $$
  with s as (
    select e.value as step, (e.ordinality - 1)::integer as pos, e.value ->> 'job' as job,
           coalesce(e.value ->> 'id', e.value ->> 'name',
                    (e.value ->> 'job') || '#'
                      || pg_catalog.row_number() over (partition by e.value ->> 'job' order by e.ordinality)) as name
      from pg_catalog.jsonb_array_elements(pipeline_definition_steps.definition -> 'steps')
           with ordinality e
  )
  select s.name, s.job, s.pos,
         coalesce((
           select pg_catalog.array_agg(distinct n.need order by n.need)
             from (
               -- named steps, and every step of a named job
               select t.name as need
                 from pg_catalog.jsonb_array_elements_text(coalesce(s.step -> 'needs', '[]')) w(want)
                 join s t on t.name = w.want or t.job = w.want
                where t.name <> s.name
               union all
               -- the step before it in its job
               select (select p.name from s p
                        where p.job = s.job and p.pos < s.pos order by p.pos desc limit 1)
               union all
               -- its job's own needs, for the job's first step: every step of those jobs
               select t.name
                 from pg_catalog.jsonb_array_elements_text(
                        coalesce(pipeline_definition_steps.definition -> 'jobs' -> s.job -> 'needs', '[]')) j(want)
                 join s t on t.job = j.want
                where not exists (select 1 from s p where p.job = s.job and p.pos < s.pos)
             ) n
            where n.need is not null), '{}'),
         coalesce((s.step -> 'retry' ->> 'max_attempts')::integer,
                  (pipeline_definition_steps.definition -> 'retry' ->> 'max_attempts')::integer, 1),
         coalesce((s.step ->> 'timeout_minutes')::integer, 360),
         coalesce((s.step ->> 'continue_on_error')::boolean, false),
         -- what the step row does not hold in its own columns; a step keyed by its
         -- id keeps its name here (GitHub's display name)
         s.step - 'job' - 'needs' - 'retry' - 'timeout_minutes' - 'continue_on_error'
                - (case when s.step ? 'id' then 'id' else 'name' end)
    from s
   order by s.pos;
$$;
comment on function app_hidden.pipeline_definition_steps(jsonb) is
  E'The steps of a valid pipeline definition as an execution''s step rows, named by their keys (id, else name, else <job>#<n>), `needs` expanded to step keys (job names, jobs'' own needs and the implicit previous step of a job resolved).';

create or replace function app_hidden.pipeline_definition_step_rows(definition jsonb) returns jsonb
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  -- Pinned search_path: the value is stored (a generated column) and must not depend on the session.
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(d) order by d.position), '[]')
    from app_hidden.pipeline_definition_steps(pipeline_definition_step_rows.definition) d;
$$;
comment on function app_hidden.pipeline_definition_step_rows(jsonb) is
  E'pipeline_definition_steps() as a JSON array of objects (name, job, position, needs, max_attempts, timeout_minutes, continue_on_error, spec): pipelines.definition_steps.';

create or replace function app_hidden.pipeline_definition_error(definition jsonb) returns text
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  -- Names (of steps and jobs) and ids: printable text of 1 to 100 characters, no
  -- control or invisible formatting characters (zero-width, bidirectional
  -- overrides, line and paragraph separators), no space at either end.
  v_name_re constant text := '^[^[:cntrl:]\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]{1,100}$';
  v_name_rule constant text := 'must be 1 to 100 characters, without control characters or spaces at either end';
  v_metadata_max constant integer := 65536;
  v_steps jsonb;
  v_step jsonb;
  v_jobs_def jsonb := definition -> 'jobs';
  v_key text;
  v_need jsonb;
  v_i integer;
  v_j integer;
  v_names text[] := '{}';     -- the steps' keys, in order
  v_jobs text[] := '{}';
  v_job_steps jsonb := '{}';  -- job -> its steps so far (numbers a step without id or name)
  v_step_key text;
  v_rows record;
  v_remaining jsonb := '{}';  -- name -> needs not yet placed
  v_ready text[];
  v_cycle text[];
  v_cur text;
begin
  if definition is null or pg_catalog.jsonb_typeof(definition) <> 'object' then
    return 'definition: must be a JSON object';
  end if;
  for v_key in select k from pg_catalog.jsonb_object_keys(definition) k order by 1 loop
    if v_key <> all (array['steps', 'jobs', 'timeout_minutes', 'retry', 'deployment', 'env', 'metadata']) then
      return pg_catalog.format('%s: unknown key (expected steps, jobs, timeout_minutes, retry, deployment, env, metadata)', v_key);
    end if;
  end loop;
  if definition ? 'timeout_minutes' and not coalesce(
       pg_catalog.jsonb_typeof(definition -> 'timeout_minutes') = 'number'
       and (definition ->> 'timeout_minutes') ~ '^[0-9]{1,4}$'
       and (definition ->> 'timeout_minutes')::integer between 1 and 4320, false) then
    return 'timeout_minutes: must be a whole number of minutes from 1 to 4320';
  end if;
  if definition ? 'retry' then
    if pg_catalog.jsonb_typeof(definition -> 'retry') <> 'object' then
      return 'retry: must be an object like {"max_attempts": 2}';
    end if;
    for v_key in select k from pg_catalog.jsonb_object_keys(definition -> 'retry') k order by 1 loop
      if v_key <> 'max_attempts' then
        return pg_catalog.format('retry.%s: unknown key (expected max_attempts)', v_key);
      end if;
    end loop;
    if not coalesce(pg_catalog.jsonb_typeof(definition -> 'retry' -> 'max_attempts') = 'number'
                    and (definition -> 'retry' ->> 'max_attempts') ~ '^[0-9]{1,2}$'
                    and (definition -> 'retry' ->> 'max_attempts')::integer between 1 and 10, false) then
      return 'retry.max_attempts: must be a whole number from 1 to 10';
    end if;
  end if;
  if definition ? 'deployment' then
    if pg_catalog.jsonb_typeof(definition -> 'deployment') <> 'object' then
      return 'deployment: must be an object like {"environment": "production"}';
    end if;
    for v_key in select k from pg_catalog.jsonb_object_keys(definition -> 'deployment') k order by 1 loop
      if v_key <> all (array['environment', 'url']) then
        return pg_catalog.format('deployment.%s: unknown key (expected environment, url)', v_key);
      end if;
    end loop;
    if not coalesce(pg_catalog.jsonb_typeof(definition -> 'deployment' -> 'environment') = 'string'
                    and (definition -> 'deployment' ->> 'environment') ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$', false) then
      return 'deployment.environment: must be a name of 1 to 100 letters, digits, ''_'', ''.'' or ''-''';
    end if;
    if definition -> 'deployment' ? 'url' and not coalesce(
         pg_catalog.jsonb_typeof(definition -> 'deployment' -> 'url') = 'string'
         and (definition -> 'deployment' ->> 'url') ~ '^https?://[^\s/$.?#][^\s]*$'
         and pg_catalog.length(definition -> 'deployment' ->> 'url') <= 2048, false) then
      return 'deployment.url: must be an http(s) URL';
    end if;
  end if;
  if definition ? 'env' and pg_catalog.jsonb_typeof(definition -> 'env') <> 'object' then
    return 'env: must be an object of variable names to values';
  end if;
  if definition ? 'metadata' and not coalesce(
       pg_catalog.jsonb_typeof(definition -> 'metadata') = 'object'
       and pg_catalog.length((definition -> 'metadata')::text) <= v_metadata_max, false) then
    return pg_catalog.format('metadata: must be an object of at most %s characters as JSON', v_metadata_max);
  end if;

  v_steps := definition -> 'steps';
  if v_steps is null or pg_catalog.jsonb_typeof(v_steps) <> 'array'
     or pg_catalog.jsonb_array_length(v_steps) not between 1 and 200 then
    return 'steps: must be an array of 1 to 200 steps';
  end if;

  -- Each step on its own; keys and jobs collected for the references below.
  for v_i in 0 .. pg_catalog.jsonb_array_length(v_steps) - 1 loop
    v_step := v_steps -> v_i;
    if pg_catalog.jsonb_typeof(v_step) <> 'object' then
      return pg_catalog.format('steps[%s]: must be an object with a name', v_i);
    end if;
    for v_key in select k from pg_catalog.jsonb_object_keys(v_step) k order by 1 loop
      if v_key <> all (array['id', 'name', 'job', 'needs', 'run', 'uses', 'with', 'env', 'if',
                             'timeout_minutes', 'retry', 'continue_on_error', 'metadata']) then
        return pg_catalog.format(
          'steps[%s].%s: unknown key (expected id, name, job, needs, run, uses, with, env, if, timeout_minutes, retry, continue_on_error, metadata)',
          v_i, v_key);
      end if;
    end loop;
    foreach v_key in array array['id', 'name', 'job'] loop
      if v_step ? v_key and not coalesce(pg_catalog.jsonb_typeof(v_step -> v_key) = 'string'
                                         and (v_step ->> v_key) ~ v_name_re
                                         and (v_step ->> v_key) !~ '^[\s\u00a0]|[\s\u00a0]$', false) then
        return pg_catalog.format('steps[%s].%s: %s', v_i, v_key, v_name_rule);
      end if;
    end loop;
    if not (v_step ? 'id' or v_step ? 'name' or v_step ? 'job') then
      return pg_catalog.format('steps[%s].name: a step outside a job needs a name or an id', v_i);
    end if;
    -- The step's key: its id, else its name, else its number in its job.
    if v_step ? 'job' then
      v_job_steps := v_job_steps || pg_catalog.jsonb_build_object(
        v_step ->> 'job', coalesce((v_job_steps ->> (v_step ->> 'job'))::integer, 0) + 1);
      if not (v_step ->> 'job') = any (v_jobs) then
        v_jobs := v_jobs || (v_step ->> 'job');
      end if;
    end if;
    v_step_key := coalesce(v_step ->> 'id', v_step ->> 'name',
                           (v_step ->> 'job') || '#' || (v_job_steps ->> (v_step ->> 'job')));
    if v_step_key = any (v_names) then
      return pg_catalog.format('steps[%s]%s: duplicate step "%s"', v_i,
        case when v_step ? 'id' then '.id' when v_step ? 'name' then '.name' else '' end, v_step_key);
    end if;
    v_names := v_names || v_step_key;
    foreach v_key in array array['run', 'uses', 'if'] loop
      if v_step ? v_key and not coalesce(pg_catalog.jsonb_typeof(v_step -> v_key) = 'string'
                                         and pg_catalog.length(v_step ->> v_key) between 1 and 65536, false) then
        return pg_catalog.format('steps[%s].%s: must be a string of 1 to 65536 characters', v_i, v_key);
      end if;
    end loop;
    foreach v_key in array array['with', 'env'] loop
      if v_step ? v_key and pg_catalog.jsonb_typeof(v_step -> v_key) <> 'object' then
        return pg_catalog.format('steps[%s].%s: must be an object', v_i, v_key);
      end if;
    end loop;
    if v_step ? 'metadata' and not coalesce(
         pg_catalog.jsonb_typeof(v_step -> 'metadata') = 'object'
         and pg_catalog.length((v_step -> 'metadata')::text) <= v_metadata_max, false) then
      return pg_catalog.format('steps[%s].metadata: must be an object of at most %s characters as JSON', v_i, v_metadata_max);
    end if;
    if v_step ? 'timeout_minutes' and not coalesce(
         pg_catalog.jsonb_typeof(v_step -> 'timeout_minutes') = 'number'
         and (v_step ->> 'timeout_minutes') ~ '^[0-9]{1,4}$'
         and (v_step ->> 'timeout_minutes')::integer between 1 and 4320, false) then
      return pg_catalog.format('steps[%s].timeout_minutes: must be a whole number of minutes from 1 to 4320', v_i);
    end if;
    if v_step ? 'retry' then
      if pg_catalog.jsonb_typeof(v_step -> 'retry') <> 'object' then
        return pg_catalog.format('steps[%s].retry: must be an object like {"max_attempts": 2}', v_i);
      end if;
      for v_key in select k from pg_catalog.jsonb_object_keys(v_step -> 'retry') k order by 1 loop
        if v_key <> 'max_attempts' then
          return pg_catalog.format('steps[%s].retry.%s: unknown key (expected max_attempts)', v_i, v_key);
        end if;
      end loop;
      if not coalesce(pg_catalog.jsonb_typeof(v_step -> 'retry' -> 'max_attempts') = 'number'
                      and (v_step -> 'retry' ->> 'max_attempts') ~ '^[0-9]{1,2}$'
                      and (v_step -> 'retry' ->> 'max_attempts')::integer between 1 and 10, false) then
        return pg_catalog.format('steps[%s].retry.max_attempts: must be a whole number from 1 to 10', v_i);
      end if;
    end if;
    if v_step ? 'continue_on_error' and pg_catalog.jsonb_typeof(v_step -> 'continue_on_error') <> 'boolean' then
      return pg_catalog.format('steps[%s].continue_on_error: must be true or false', v_i);
    end if;
    if v_step ? 'needs' and pg_catalog.jsonb_typeof(v_step -> 'needs') <> 'array' then
      return pg_catalog.format('steps[%s].needs: must be an array of step or job names', v_i);
    end if;
  end loop;

  -- A name is a step or a job, never both (a `needs` entry must mean one thing).
  for v_i in 0 .. pg_catalog.jsonb_array_length(v_steps) - 1 loop
    if (v_steps -> v_i ->> 'job') = any (v_names) then
      return pg_catalog.format('steps[%s].job: "%s" is also the name of a step', v_i, v_steps -> v_i ->> 'job');
    end if;
  end loop;

  -- Jobs: each a job some step belongs to, with its own needs (other jobs) and
  -- its metadata.
  if v_jobs_def is not null then
    if pg_catalog.jsonb_typeof(v_jobs_def) <> 'object' then
      return 'jobs: must be an object of job names to jobs, like {"test": {"needs": ["build"]}}';
    end if;
    for v_key in select k from pg_catalog.jsonb_object_keys(v_jobs_def) k order by 1 loop
      if not v_key = any (v_jobs) then
        return pg_catalog.format('jobs.%s: no step belongs to this job', v_key);
      end if;
      if pg_catalog.jsonb_typeof(v_jobs_def -> v_key) <> 'object' then
        return pg_catalog.format('jobs.%s: must be an object like {"needs": ["build"], "metadata": {}}', v_key);
      end if;
      select k into v_cur from pg_catalog.jsonb_object_keys(v_jobs_def -> v_key) k
       where k not in ('needs', 'metadata') order by 1 limit 1;
      if v_cur is not null then
        return pg_catalog.format('jobs.%s.%s: unknown key (expected needs, metadata)', v_key, v_cur);
      end if;
      if v_jobs_def -> v_key ? 'metadata' and not coalesce(
           pg_catalog.jsonb_typeof(v_jobs_def -> v_key -> 'metadata') = 'object'
           and pg_catalog.length((v_jobs_def -> v_key -> 'metadata')::text) <= v_metadata_max, false) then
        return pg_catalog.format('jobs.%s.metadata: must be an object of at most %s characters as JSON', v_key, v_metadata_max);
      end if;
      if v_jobs_def -> v_key ? 'needs' then
        if pg_catalog.jsonb_typeof(v_jobs_def -> v_key -> 'needs') <> 'array' then
          return pg_catalog.format('jobs.%s.needs: must be an array of job names', v_key);
        end if;
        for v_j in 0 .. pg_catalog.jsonb_array_length(v_jobs_def -> v_key -> 'needs') - 1 loop
          v_need := v_jobs_def -> v_key -> 'needs' -> v_j;
          if pg_catalog.jsonb_typeof(v_need) <> 'string' then
            return pg_catalog.format('jobs.%s.needs[%s]: must be a job name', v_key, v_j);
          end if;
          if v_need #>> '{}' = v_key then
            return pg_catalog.format('jobs.%s.needs[%s]: a job cannot need itself', v_key, v_j);
          end if;
          if not v_need #>> '{}' = any (v_jobs) then
            return pg_catalog.format('jobs.%s.needs[%s]: unknown job "%s"', v_key, v_j, v_need #>> '{}');
          end if;
        end loop;
      end if;
    end loop;
  end if;

  -- References.
  for v_i in 0 .. pg_catalog.jsonb_array_length(v_steps) - 1 loop
    v_step := v_steps -> v_i;
    if not v_step ? 'needs' then
      continue;
    end if;
    for v_j in 0 .. pg_catalog.jsonb_array_length(v_step -> 'needs') - 1 loop
      v_need := v_step -> 'needs' -> v_j;
      if pg_catalog.jsonb_typeof(v_need) <> 'string' then
        return pg_catalog.format('steps[%s].needs[%s]: must be a step or job name', v_i, v_j);
      end if;
      if v_need #>> '{}' = v_names[v_i + 1] or v_need #>> '{}' = v_step ->> 'job' then
        return pg_catalog.format('steps[%s].needs[%s]: a step cannot need itself or its own job', v_i, v_j);
      end if;
      if not (v_need #>> '{}' = any (v_names) or v_need #>> '{}' = any (v_jobs)) then
        return pg_catalog.format('steps[%s].needs[%s]: unknown step "%s"', v_i, v_j, v_need #>> '{}');
      end if;
    end loop;
  end loop;

  -- Cycles, over the expanded needs (jobs, jobs' own needs and the implicit order
  -- within a job): Kahn's algorithm; what cannot be placed lies on or behind a cycle.
  for v_rows in select d.name, d.needs from app_hidden.pipeline_definition_steps(definition) d loop
    v_remaining := v_remaining || pg_catalog.jsonb_build_object(v_rows.name, pg_catalog.to_jsonb(v_rows.needs));
  end loop;
  loop
    select pg_catalog.array_agg(r.key) into v_ready
      from pg_catalog.jsonb_each(v_remaining) r
     where not exists (select 1 from pg_catalog.jsonb_array_elements_text(r.value) n(need)
                        where v_remaining ? n.need);
    exit when v_ready is null;
    v_remaining := v_remaining - v_ready;
  end loop;
  if v_remaining = '{}'::jsonb then
    return null;
  end if;
  -- Walk needs among the remaining steps until a name repeats: that is a cycle.
  select r.key into v_cur from pg_catalog.jsonb_each(v_remaining) r order by r.key limit 1;
  v_cycle := array[v_cur];
  loop
    select n.need into v_cur
      from pg_catalog.jsonb_array_elements_text(v_remaining -> v_cur) n(need)
     where v_remaining ? n.need
     order by n.need limit 1;
    exit when v_cur = any (v_cycle);
    v_cycle := v_cycle || v_cur;
  end loop;
  v_cycle := v_cycle[pg_catalog.array_position(v_cycle, v_cur):] || v_cur;
  v_i := pg_catalog.array_position(v_names, v_cycle[1]) - 1;
  return pg_catalog.format('steps[%s].needs: cycle %s', v_i, pg_catalog.array_to_string(v_cycle, ' → '));
end;
$$;
comment on function app_hidden.pipeline_definition_error(jsonb) is
  E'The first problem of a pipeline definition as `path: message` (e.g. `steps[2].needs[0]: unknown step "tset"`, `jobs.deploy.needs[0]: unknown job "tset"`), or null when it is valid.';

/*
 * trigger_config: which events start the pipeline automatically (the
 * integrations module asks pipeline_accepts() for each GitHub event), e.g.
 * {"events": ["push", "pull_request"], "branches": ["main", "release-*"]}.
 * Branch patterns are GitHub's filter patterns: `*` matches within a path
 * segment, `**` across segments, `?` makes the character before it optional and
 * `+` repeats it; a pattern starting with `!` excludes what it matches, the
 * last matching pattern deciding (so `!` needs a pattern without it). Character
 * classes (`[…]`) are not supported. Absent keys accept everything.
 */
create or replace function app_hidden.pipeline_trigger_config_error(config jsonb) returns text
  language plpgsql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_key text;
  v_i integer;
  v_pattern text;
begin
  if config is null or pg_catalog.jsonb_typeof(config) <> 'object' then
    return 'trigger_config: must be a JSON object';
  end if;
  for v_key in select k from pg_catalog.jsonb_object_keys(config) k order by 1 loop
    if v_key <> all (array['events', 'branches']) then
      return pg_catalog.format('trigger_config.%s: unknown key (expected events, branches)', v_key);
    end if;
    if pg_catalog.jsonb_typeof(config -> v_key) <> 'array' or pg_catalog.jsonb_array_length(config -> v_key) > 100 then
      return pg_catalog.format('trigger_config.%s: must be an array of at most 100 strings', v_key);
    end if;
    for v_i in 0 .. pg_catalog.jsonb_array_length(config -> v_key) - 1 loop
      if v_key = 'events' and not coalesce(pg_catalog.jsonb_typeof(config -> v_key -> v_i) = 'string'
                                           and (config -> v_key ->> v_i) ~ '^[a-z][a-z_]{0,49}$', false) then
        return pg_catalog.format('trigger_config.events[%s]: must be an event name like "push"', v_i);
      end if;
      if v_key = 'branches' then
        if not coalesce(pg_catalog.jsonb_typeof(config -> v_key -> v_i) = 'string'
                        and (config -> v_key ->> v_i) ~ '^!?[^\s~^:\\[\]!]{1,255}$', false) then
          return pg_catalog.format('trigger_config.branches[%s]: must be a branch name or pattern like "main", "release-*" or "!wip-*"', v_i);
        end if;
        v_pattern := config -> v_key ->> v_i;
        begin
          perform '' ~ app_hidden.branch_pattern_regex(pg_catalog.ltrim(v_pattern, '!'));
        exception when invalid_regular_expression then
          return pg_catalog.format('trigger_config.branches[%s]: "%s" is not a valid pattern (a "?" or "+" must follow a character)', v_i, v_pattern);
        end;
      end if;
    end loop;
    if v_key = 'branches' and pg_catalog.jsonb_array_length(config -> 'branches') > 0 and not exists (
         select 1 from pg_catalog.jsonb_array_elements_text(config -> 'branches') b(pattern)
          where b.pattern not like '!%') then
      return 'trigger_config.branches: a "!" pattern needs a pattern without "!" to exclude from';
    end if;
  end loop;
  return null;
end;
$$;
comment on function app_hidden.pipeline_trigger_config_error(jsonb) is
  E'The first problem of a pipeline''s trigger_config as `path: message`, or null when it is valid.';

create or replace function app_hidden.branch_pattern_regex(pattern text) returns text
  language sql immutable parallel safe strict
  set search_path = pg_catalog, pg_temp
as $$
  select '^' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
           pg_catalog.regexp_replace(branch_pattern_regex.pattern, '([.()|{}$\\])', '\\\1', 'g'),
           '**', pg_catalog.chr(1)), '*', '[^/]*'), pg_catalog.chr(1), '.*') || '$';
$$;
comment on function app_hidden.branch_pattern_regex(text) is
  E'A GitHub branch filter pattern (`*`, `**`, `?`, `+`; without its leading `!`) as an anchored regular expression.';

create or replace function app_hidden.pipeline_accepts(trigger_config jsonb, event text, branch text)
  returns boolean
  language sql immutable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  select (not pipeline_accepts.trigger_config ? 'events'
          or pipeline_accepts.trigger_config -> 'events' ? pipeline_accepts.event)
     and (not pipeline_accepts.trigger_config ? 'branches'
          -- the last pattern that matches decides: `!` excludes, any other includes
          or coalesce((select b.pattern not like '!%'
                         from pg_catalog.jsonb_array_elements_text(pipeline_accepts.trigger_config -> 'branches')
                              with ordinality b(pattern, n)
                        where pipeline_accepts.branch ~ app_hidden.branch_pattern_regex(pg_catalog.ltrim(b.pattern, '!'))
                        order by b.n desc
                        limit 1), false));
$$;
comment on function app_hidden.pipeline_accepts(jsonb, text, text) is
  E'Whether a trigger_config starts the pipeline for this event on this branch.';
--! EndIncluded pipelines/definition.sql
--! Included pipelines/status.sql
/*
 * The status machine of executions and steps (issue #9 §2), GitHub's two
 * fields: `status` (queued | waiting | in_progress | completed) and, once
 * completed, a `conclusion` (success | failure | cancelled | skipped | timed_out
 * | neutral). Allowed changes:
 *
 *   execution  queued      → waiting, in_progress, completed
 *              waiting     → queued, in_progress, completed
 *              in_progress → completed
 *   step       queued      → in_progress, completed (skipped, cancelled)
 *              in_progress → completed, queued (a retry: a new attempt of the step)
 *
 * `completed` is final: neither its status nor its conclusion changes again (a
 * re-run is a new execution, the next attempt). The check constraints tie the
 * conclusion to `completed`; this trigger refuses every other change with FL202,
 * whoever makes it — the functions below are the only writers the API has, and
 * the owner's own updates meet the same rule.
 * Works with: app_public.pipeline_executions, app_public.pipeline_steps (_200_status,
 * with 'execution' or 'step' as its argument).
 *
 * pipeline_status_allows is an invoker without a SET clause, so the planner
 * inlines it into the trigger's expression (planned once per session); its
 * names need no search_path (pg_catalog's operators on enums and rows).
 */
create or replace function app_hidden.pipeline_status_allows(
  kind text,
  from_status app_public.pipeline_run_status,
  to_status app_public.pipeline_run_status
) returns boolean
  language sql immutable parallel safe
as $$
  select case pipeline_status_allows.kind
    when 'execution' then (pipeline_status_allows.from_status, pipeline_status_allows.to_status) in (
      ('queued', 'waiting'), ('queued', 'in_progress'), ('queued', 'completed'),
      ('waiting', 'queued'), ('waiting', 'in_progress'), ('waiting', 'completed'),
      ('in_progress', 'completed'))
    when 'step' then (pipeline_status_allows.from_status, pipeline_status_allows.to_status) in (
      ('queued', 'in_progress'), ('queued', 'completed'),
      ('in_progress', 'completed'), ('in_progress', 'queued'))
    else false
  end;
$$;
comment on function app_hidden.pipeline_status_allows(text, app_public.pipeline_run_status, app_public.pipeline_run_status) is
  E'Whether an execution or a step may go from one status to another.';

create or replace function app_private.tg_pipeline_runs__status() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  -- The kind comes as the trigger's argument: on a partition tg_table_name is the
  -- partition's own name (pipeline_steps_p202612).
  v_kind constant text := tg_argv[0];
begin
  if old.status = 'completed' and (new.status <> 'completed' or new.conclusion is distinct from old.conclusion) then
    raise exception 'This % is completed (%): it cannot change again', v_kind, old.conclusion
      using errcode = 'FL202',
            detail = pg_catalog.format('%s → %s', pg_catalog.upper(old.status::text), pg_catalog.upper(new.status::text)),
            hint = case v_kind when 'execution' then 'Re-run it (rerunExecution): that makes a new attempt.'
                       else 'Re-run the execution (rerunExecution) to run the step again.' end;
  end if;
  if new.status <> old.status and not app_hidden.pipeline_status_allows(v_kind, old.status, new.status) then
    raise exception 'A % cannot go from % to %', v_kind, old.status, new.status
      using errcode = 'FL202',
            detail = pg_catalog.format('%s → %s', pg_catalog.upper(old.status::text), pg_catalog.upper(new.status::text));
  end if;
  return new;
end;
$$;
comment on function app_private.tg_pipeline_runs__status() is
  E'Trigger function: refuses status changes of executions and steps that the status machine does not allow (FL202).';
--! EndIncluded pipelines/status.sql
--! Included pipelines/dispatch.sql
/*
 * Queue handling (issue #9 §2): which executions of a repository run, wait or
 * queue, decided one repository at a time.
 *
 * Every function that changes an execution's or a step's status first takes
 * lock_pipeline_runs(org, repository), a transaction-level advisory lock. So
 * "at most concurrency_limit running per pipeline", "at most one running and
 * one pending per concurrency group" and "no execution starts twice" are
 * checked by one transaction at a time per repository, and each sees what the
 * one before committed (READ COMMITTED takes a new snapshot per statement). One
 * lock, always taken first, is also why these functions cannot deadlock with
 * each other: the row locks they take afterwards are all under it. Different
 * repositories never wait for each other. (Concurrency groups are per
 * repository, as in GitHub Actions, so the repository is the unit.)
 *
 *   queued       waiting for a slot under its pipeline's concurrency_limit
 *   waiting      pending in its concurrency group behind a running execution
 *   in_progress  running; its steps are started by runners (startStep)
 *
 * dispatch_executions(org, repository, at) starts, oldest first, every queued or
 * waiting execution that fits both rules and files the rest as queued or
 * waiting; it is called whenever a slot may have freed or a run arrived.
 * admit_execution() applies the concurrency group to a new execution first:
 * GitHub's semantics, a newer pending run replaces the older pending one (which
 * ends cancelled), and with cancel_in_progress the running one is cancelled too.
 * end_execution() completes an execution and its unfinished steps.
 *
 * Dispatch runs after every completed execution and every start, so it is
 * cheap when there is nothing to do: it reads what runs only once it has found
 * an execution that waits (pipeline_executions_pending_idx holds just those),
 * and a repository with many runs and nothing queued costs one index probe per
 * month. lock_pipeline_runs is language sql without a SET clause, so it is
 * inlined into its callers' cached plans.
 */
create or replace function app_private.lock_pipeline_runs(org uuid, repository_id uuid) returns void
  language sql volatile
as $$
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
    'forgeline.pipeline_runs:' || lock_pipeline_runs.org::text || ':' || lock_pipeline_runs.repository_id::text, 0));
$$;
comment on function app_private.lock_pipeline_runs(uuid, uuid) is
  E'Serialises the run-state changes of one repository''s pipelines for the rest of the transaction (taken first by every writer).';

create or replace function app_private.dispatch_executions(org uuid, repository_id uuid, at timestamptz)
  returns integer
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_running jsonb;  -- running executions per pipeline; null until something waits
  v_groups text[];  -- the concurrency groups that have a running execution
  v_e record;
  v_next app_public.pipeline_run_status;
  v_started integer := 0;
begin
  for v_e in
    select e.id, e.created_at, e.pipeline_id, e.status, e.concurrency_group, e.timeout_minutes,
           p.concurrency_limit
      from app_public.pipeline_executions e
      join app_public.pipelines p on p.organization_id = e.organization_id and p.id = e.pipeline_id
     where e.organization_id = dispatch_executions.org
       and e.repository_id = dispatch_executions.repository_id
       and e.status in ('queued', 'waiting')
     order by e.created_at, e.id
  loop
    if v_running is null then
      -- Something waits: what runs now (nothing else changes it under the run lock).
      select coalesce(pg_catalog.jsonb_object_agg(x.pipeline_id, x.n), '{}'),
             coalesce((select pg_catalog.array_agg(distinct e.concurrency_group)
                         from app_public.pipeline_executions e
                        where e.organization_id = dispatch_executions.org
                          and e.repository_id = dispatch_executions.repository_id
                          and e.status = 'in_progress' and e.concurrency_group is not null), '{}')
        into v_running, v_groups
        from (select e.pipeline_id::text as pipeline_id, pg_catalog.count(*) as n
                from app_public.pipeline_executions e
               where e.organization_id = dispatch_executions.org
                 and e.repository_id = dispatch_executions.repository_id
                 and e.status = 'in_progress'
               group by 1) x;
    end if;
    if v_e.concurrency_group = any (v_groups) then
      v_next := 'waiting';
    elsif v_e.concurrency_limit is not null
          and coalesce((v_running ->> v_e.pipeline_id::text)::integer, 0) >= v_e.concurrency_limit then
      v_next := 'queued';
    else
      v_next := 'in_progress';
      v_running := v_running || pg_catalog.jsonb_build_object(
        v_e.pipeline_id::text, coalesce((v_running ->> v_e.pipeline_id::text)::integer, 0) + 1);
      if v_e.concurrency_group is not null then
        v_groups := v_groups || v_e.concurrency_group;
      end if;
    end if;
    if v_next = 'in_progress' then
      update app_public.pipeline_executions e
         set status = 'in_progress', started_at = dispatch_executions.at,
             timeout_at = dispatch_executions.at + pg_catalog.make_interval(mins => v_e.timeout_minutes)
       where e.organization_id = dispatch_executions.org and e.id = v_e.id and e.created_at = v_e.created_at;
      v_started := v_started + 1;
    elsif v_next <> v_e.status then
      update app_public.pipeline_executions e
         set status = v_next
       where e.organization_id = dispatch_executions.org and e.id = v_e.id and e.created_at = v_e.created_at;
    end if;
  end loop;
  return v_started;
end;
$$;
comment on function app_private.dispatch_executions(uuid, uuid, timestamptz) is
  E'Starts every queued or waiting execution of the repository that its concurrency limit and group allow, oldest first; the caller holds lock_pipeline_runs(). Returns how many started.';

create or replace function app_private.end_execution(
  org uuid,
  execution_id uuid,
  execution_created_at timestamptz,
  conclusion app_public.pipeline_conclusion,
  running_steps app_public.pipeline_conclusion,
  pending_steps app_public.pipeline_conclusion,
  at timestamptz,
  reason text default null
) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  update app_public.pipeline_steps s
     set status = 'completed',
         conclusion = case s.status when 'in_progress' then end_execution.running_steps
                                    else end_execution.pending_steps end,
         completed_at = end_execution.at, timeout_at = null
   where s.organization_id = end_execution.org and s.execution_id = end_execution.execution_id
     and s.execution_created_at = end_execution.execution_created_at and s.status <> 'completed';
  update app_public.pipeline_executions e
     set status = 'completed',
         -- null: what the steps give, now that they have all ended
         conclusion = coalesce(end_execution.conclusion,
                               app_private.derived_conclusion(e.organization_id, e.id, e.created_at)),
         completed_at = end_execution.at, timeout_at = null,
         end_reason = coalesce(end_execution.reason, e.end_reason)
   where e.organization_id = end_execution.org and e.id = end_execution.execution_id
     and e.created_at = end_execution.execution_created_at and e.status <> 'completed';
end;
$$;
comment on function app_private.end_execution(uuid, uuid, timestamptz, app_public.pipeline_conclusion, app_public.pipeline_conclusion, app_public.pipeline_conclusion, timestamptz, text) is
  E'Completes an execution with a conclusion (null: the one its steps give once ended), and its unfinished steps (running ones and pending ones each with their own conclusion); the caller holds lock_pipeline_runs() and dispatches afterwards.';

create or replace function app_private.admit_execution(
  execution app_public.pipeline_executions,
  cancel_in_progress boolean,
  at timestamptz
) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_other record;
begin
  if (admit_execution.execution).concurrency_group is not null then
    for v_other in
      select e.id, e.created_at, e.status
        from app_public.pipeline_executions e
       where e.organization_id = (admit_execution.execution).organization_id
         and e.repository_id = (admit_execution.execution).repository_id
         and e.concurrency_group = (admit_execution.execution).concurrency_group
         and e.id <> (admit_execution.execution).id
         and (e.status in ('queued', 'waiting')
              or (admit_execution.cancel_in_progress and e.status = 'in_progress'))
       order by e.created_at, e.id
    loop
      perform app_private.end_execution(
        (admit_execution.execution).organization_id, v_other.id, v_other.created_at,
        'cancelled', 'cancelled', 'cancelled', admit_execution.at,
        pg_catalog.format('superseded by execution %s in concurrency group "%s"',
                          (admit_execution.execution).id, (admit_execution.execution).concurrency_group));
    end loop;
  end if;
  perform app_private.dispatch_executions((admit_execution.execution).organization_id,
                                          (admit_execution.execution).repository_id, admit_execution.at);
end;
$$;
comment on function app_private.admit_execution(app_public.pipeline_executions, boolean, timestamptz) is
  E'Applies a new execution''s concurrency group (the older pending run, and with cancel_in_progress the running one, end cancelled), then dispatches; the caller holds lock_pipeline_runs().';
--! EndIncluded pipelines/dispatch.sql
--! Included pipelines/executions.sql
/*
 * Executions (issue #9 §2): how a run begins, ends and is re-run. Each public
 * function is a security definer — executions and steps have no insert or
 * update grant, so their status, timestamps and durations are only ever written
 * here, computed by the database — and each takes lock_pipeline_runs() on the
 * execution's repository before it reads what its rule is about (dispatch.sql).
 *
 *   start_execution(pipeline, event, branch, sha, pull request, metadata)
 *       a new run, attempt 1, with the steps of the pipeline's definition; it
 *       starts at once when a slot is free, else it is queued or waiting
 *   cancel_execution(execution, reason)      any unfinished execution
 *   complete_execution(execution, conclusion) a running one, explicitly (its
 *       conclusion derived from the steps when not given); an execution also
 *       completes by itself when its last step does (complete_step)
 *   rerun_execution(execution, failed_only)  a completed one, the latest
 *       attempt of its run: a new execution with attempt + 1, linked to it;
 *       failed_only keeps the steps that succeeded (`reused`) and runs the others
 *       and everything after them again
 *
 * Times are read after the run lock (clock_timestamp()), so within a repository
 * they follow the order in which the lock was held; app_private.create_execution()
 * (null: now) and the timeout handling take the time as a parameter, so tests pass
 * a clock.
 *
 * A start copies the steps its pipeline's definition expands to, expanded once
 * when the pipeline was saved (pipelines.definition_steps, definition.sql)
 * rather than at each start. An execution is found by its id alone once
 * (lock_execution: an index probe per month's partition); what follows names
 * its partition key. derived_conclusion is plpgsql so that its query's plan is
 * kept per session (a language sql function with a SET clause is planned again
 * at every call: 2–3 ms a completed execution, against ~0.1 ms). The public
 * functions run with plan_cache_mode = force_generic_plan, for the reason
 * steps.sql gives: their statements name the partition key as a parameter.
 */
create or replace function app_private.create_execution(
  pipeline app_public.pipelines,
  event text,
  branch text,
  commit_sha text,
  pull_request_number integer,
  trigger_metadata jsonb,
  actor_id uuid,
  at timestamptz,
  previous app_public.pipeline_executions default null,
  failed_only boolean default false
) returns app_public.pipeline_executions
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org constant uuid := (create_execution.pipeline).organization_id;
  v_id constant uuid := pg_catalog.gen_random_uuid();
  v_exec app_public.pipeline_executions;
  v_branch text := create_execution.branch;
  v_group text;
  v_rerun text[];
  v_at timestamptz;
begin
  if create_execution.event is null or create_execution.event !~ '^[a-z][a-z_]{0,49}$' then
    raise exception 'Invalid event "%"', create_execution.event using errcode = 'FL204',
      detail = 'event: must be an event name like "push" or "manual"';
  end if;
  if v_branch is null then
    select r.default_branch into v_branch from app_public.repositories r
     where r.organization_id = v_org and r.id = (create_execution.pipeline).repository_id;
  end if;
  if v_branch !~ '^[^\s~^:?*\[\\]{1,255}$' or v_branch ~ '(^/|/$|\.\.|//|@\{)' then
    raise exception 'Invalid branch "%"', v_branch using errcode = 'FL204',
      detail = 'branch: must be a git branch name like "main" or "feature/x"';
  end if;
  if create_execution.commit_sha is not null and create_execution.commit_sha !~ '^[0-9a-f]{40}([0-9a-f]{24})?$' then
    raise exception 'Invalid commit sha "%"', create_execution.commit_sha using errcode = 'FL204',
      detail = 'commitSha: must be 40 (SHA-1) or 64 (SHA-256) lowercase hexadecimal digits';
  end if;
  if create_execution.pull_request_number is not null and create_execution.pull_request_number < 1 then
    raise exception 'Invalid pull request number %', create_execution.pull_request_number using errcode = 'FL204',
      detail = 'pullRequestNumber: must be 1 or more';
  end if;
  if create_execution.trigger_metadata is null or pg_catalog.jsonb_typeof(create_execution.trigger_metadata) <> 'object'
     or pg_catalog.octet_length(create_execution.trigger_metadata::text) > 16384 then
    raise exception 'Invalid trigger metadata' using errcode = 'FL204',
      detail = 'triggerMetadata: must be a JSON object of at most 16 KiB';
  end if;

  perform app_private.lock_pipeline_runs(v_org, (create_execution.pipeline).repository_id);
  -- The time is read under the lock, so a repository's executions are created
  -- (and queued, started, superseded) in the order they are admitted.
  v_at := coalesce(create_execution.at, pg_catalog.clock_timestamp());

  if (create_execution.pipeline).concurrency_group is not null then
    v_group := pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
      (create_execution.pipeline).concurrency_group,
      '{branch}', v_branch), '{event}', create_execution.event),
      '{pipeline}', (create_execution.pipeline).name),
      '{pull_request}', coalesce(create_execution.pull_request_number::text, ''));
  end if;

  insert into app_public.pipeline_executions (
    organization_id, id, created_at, pipeline_id, repository_id, run_id, attempt, previous_attempt_id,
    event, branch, commit_sha, pull_request_number, actor_id, trigger_metadata,
    concurrency_group, deployment_environment, timeout_minutes)
  values (
    v_org, v_id, v_at, (create_execution.pipeline).id, (create_execution.pipeline).repository_id,
    coalesce((create_execution.previous).run_id, v_id),
    coalesce((create_execution.previous).attempt + 1, 1),
    (create_execution.previous).id,
    create_execution.event, v_branch, create_execution.commit_sha, create_execution.pull_request_number,
    create_execution.actor_id, create_execution.trigger_metadata, v_group,
    case when create_execution.previous is null
         then (create_execution.pipeline).definition -> 'deployment' ->> 'environment'
         else (create_execution.previous).deployment_environment end,
    case when create_execution.previous is null
         then coalesce(((create_execution.pipeline).definition ->> 'timeout_minutes')::integer, 360)
         else (create_execution.previous).timeout_minutes end)
  returning * into v_exec;

  if create_execution.previous is null then
    -- The definition's steps as expanded when the pipeline was saved.
    insert into app_public.pipeline_steps (
      organization_id, execution_id, execution_created_at, name, job, "position", needs,
      max_attempts, timeout_minutes, continue_on_error, spec)
    select v_org, v_exec.id, v_exec.created_at, d.name, d.job, d.position, d.needs,
           d.max_attempts, d.timeout_minutes, d.continue_on_error, d.spec
      from pg_catalog.jsonb_to_recordset((create_execution.pipeline).definition_steps)
           as d(name text, job text, "position" integer, needs text[], max_attempts integer,
                timeout_minutes integer, continue_on_error boolean, spec jsonb);
  else
    -- A re-run repeats the previous attempt's steps (the definition it ran with).
    -- failed_only: the steps that did not succeed and every step after them run
    -- again; the others are kept as they ended, marked reused.
    if create_execution.failed_only then
      with recursive again (name) as (
        select s.name from app_public.pipeline_steps s
         where s.organization_id = v_org and s.execution_id = (create_execution.previous).id
           and s.execution_created_at = (create_execution.previous).created_at
           and not app_hidden.pipeline_need_met(s.status, s.conclusion, s.continue_on_error)
        union
        select s.name from app_public.pipeline_steps s join again a on a.name = any (s.needs)
         where s.organization_id = v_org and s.execution_id = (create_execution.previous).id
           and s.execution_created_at = (create_execution.previous).created_at
      )
      select pg_catalog.array_agg(a.name) into v_rerun from again a;
    end if;
    insert into app_public.pipeline_steps (
      organization_id, execution_id, execution_created_at, name, job, "position", needs,
      max_attempts, timeout_minutes, continue_on_error, spec,
      status, conclusion, started_at, completed_at, exit_code, metrics, reused)
    select v_org, v_exec.id, v_exec.created_at, s.name, s.job, s.position, s.needs,
           s.max_attempts, s.timeout_minutes, s.continue_on_error, s.spec,
           k.status, k.conclusion, k.started_at, k.completed_at, k.exit_code, k.metrics, k.reused
      from app_public.pipeline_steps s
     cross join lateral (
       select case when keep then s.status else 'queued' end as status,
              case when keep then s.conclusion end as conclusion,
              case when keep then s.started_at end as started_at,
              case when keep then s.completed_at end as completed_at,
              case when keep then s.exit_code end as exit_code,
              case when keep then s.metrics else '{}'::jsonb end as metrics,
              keep as reused
         from (select create_execution.failed_only and not s.name = any (coalesce(v_rerun, '{}')) as keep) x
     ) k
     where s.organization_id = v_org and s.execution_id = (create_execution.previous).id
       and s.execution_created_at = (create_execution.previous).created_at;
  end if;

  perform app_private.admit_execution(v_exec, (create_execution.pipeline).cancel_in_progress, v_at);
  select * into v_exec from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = v_exec.id and e.created_at = v_exec.created_at;
  return v_exec;
end;
$$;
comment on function app_private.create_execution(app_public.pipelines, text, text, text, integer, jsonb, uuid, timestamptz, app_public.pipeline_executions, boolean) is
  E'Creates an execution with its steps (from the definition, or for a re-run from the previous attempt), applies its concurrency group and dispatches; validates the trigger fields (FL204).';

create or replace function app_public.start_execution(
  pipeline_id uuid,
  event text default 'manual',
  branch text default null,
  commit_sha text default null,
  pull_request_number integer default null,
  trigger_metadata jsonb default '{}'
) returns app_public.pipeline_executions
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan  -- see the top of this file
as $$
-- Definer: executions have no insert grant; this is where runs begin.
declare
  v_pipeline app_public.pipelines;
begin
  perform app_private.require_role('member');
  select * into v_pipeline from app_public.pipelines p
   where p.organization_id = app_public.current_org_id() and p.id = start_execution.pipeline_id;
  if not found then
    raise exception 'No such pipeline in this organization' using errcode = 'FL003';
  end if;
  if v_pipeline.status = 'disabled' then
    raise exception 'The pipeline "%" is disabled', v_pipeline.name using errcode = 'FL203',
      hint = 'Enable it (updatePipeline with status: ACTIVE) first.';
  end if;
  return app_private.create_execution(
    v_pipeline, start_execution.event, start_execution.branch, start_execution.commit_sha,
    start_execution.pull_request_number, start_execution.trigger_metadata,
    app_public.current_user_id(), null);
end;
$$;
comment on function app_public.start_execution(uuid, text, text, text, integer, jsonb) is
  E'@resultFieldName execution\nStarts a run of a pipeline (members): it begins at once if the pipeline''s concurrency limit and group allow, otherwise it is `QUEUED` or `WAITING` and starts when a slot frees. `event` is what triggered it (default `manual`), `branch` defaults to the repository''s default branch.';

create or replace function app_private.lock_execution(execution_id uuid)
  returns app_public.pipeline_executions
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org constant uuid := app_public.current_org_id();
  v_repository uuid;
  v_month timestamptz;
  v_exec app_public.pipeline_executions;
begin
  -- By id alone: an index probe in each month's partition, once; the read under
  -- the lock goes to the month it found.
  select e.repository_id, e.created_at into v_repository, v_month from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = lock_execution.execution_id;
  if not found then
    raise exception 'No such execution in this organization' using errcode = 'FL003';
  end if;
  perform app_private.lock_pipeline_runs(v_org, v_repository);
  select * into v_exec from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = lock_execution.execution_id and e.created_at = v_month;
  if not found then  -- deleted while we waited
    raise exception 'No such execution in this organization' using errcode = 'FL003';
  end if;
  return v_exec;
end;
$$;
comment on function app_private.lock_execution(uuid) is
  E'Finds an execution of the current organization (FL003), takes its repository''s run lock and returns it as it is under the lock.';

create or replace function app_public.cancel_execution(execution_id uuid, reason text default null)
  returns app_public.pipeline_executions
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan  -- see the top of this file
as $$
-- Definer: executions have no update grant; status changes go through these functions.
declare
  v_exec app_public.pipeline_executions;
begin
  perform app_private.require_role('member');
  if pg_catalog.length(cancel_execution.reason) > 500 then
    raise exception 'A reason is at most 500 characters' using errcode = 'FL204', detail = 'reason: at most 500 characters';
  end if;
  v_exec := app_private.lock_execution(cancel_execution.execution_id);
  if v_exec.status = 'completed' then
    raise exception 'The execution is already completed (%)', v_exec.conclusion using errcode = 'FL202',
      detail = 'COMPLETED → COMPLETED';
  end if;
  perform app_private.end_execution(v_exec.organization_id, v_exec.id, v_exec.created_at,
    'cancelled', 'cancelled', 'cancelled', pg_catalog.clock_timestamp(),
    coalesce(cancel_execution.reason, 'cancelled by a user'));
  perform app_private.dispatch_executions(v_exec.organization_id, v_exec.repository_id, pg_catalog.clock_timestamp());
  select * into v_exec from app_public.pipeline_executions e
   where e.organization_id = v_exec.organization_id and e.id = v_exec.id and e.created_at = v_exec.created_at;
  return v_exec;
end;
$$;
comment on function app_public.cancel_execution(uuid, text) is
  E'@resultFieldName execution\nCancels an unfinished execution (members): it and its unfinished steps end `CANCELLED`, and the next queued execution may start.';

create or replace function app_private.derived_conclusion(org uuid, execution_id uuid, execution_created_at timestamptz)
  returns app_public.pipeline_conclusion
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
begin
  -- plpgsql, not language sql: its plan is kept for the session (see the top of this file).
  return (
    select case
             when pg_catalog.bool_or(s.conclusion in ('failure', 'timed_out') and not s.continue_on_error) then 'failure'
             when pg_catalog.bool_or(s.conclusion = 'cancelled') then 'cancelled'
             when pg_catalog.bool_and(s.conclusion = 'skipped') then 'skipped'
             else 'success'
           end::app_public.pipeline_conclusion
      from app_public.pipeline_steps s
     where s.organization_id = derived_conclusion.org and s.execution_id = derived_conclusion.execution_id
       and s.execution_created_at = derived_conclusion.execution_created_at);
end;
$$;
comment on function app_private.derived_conclusion(uuid, uuid, timestamptz) is
  E'An execution''s conclusion from its steps: failure if a step failed or timed out (without continue_on_error), else cancelled if one was, skipped if all were, else success.';

create or replace function app_public.complete_execution(
  execution_id uuid,
  conclusion app_public.pipeline_conclusion default null
) returns app_public.pipeline_executions
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan  -- see the top of this file
as $$
-- Definer: executions have no update grant; status changes go through these functions.
declare
  v_exec app_public.pipeline_executions;
begin
  perform app_private.require_role('member');
  v_exec := app_private.lock_execution(complete_execution.execution_id);
  if v_exec.status <> 'in_progress' then
    raise exception 'Only a running execution can be completed; this one is %', v_exec.status
      using errcode = 'FL202',
            detail = pg_catalog.format('%s → COMPLETED', pg_catalog.upper(v_exec.status::text)),
            hint = case when v_exec.status = 'completed' then 'Re-run it instead (rerunExecution).'
                        else 'Cancel it instead (cancelExecution).' end;
  end if;
  perform app_private.end_execution(v_exec.organization_id, v_exec.id, v_exec.created_at,
    complete_execution.conclusion, 'cancelled', 'skipped', pg_catalog.clock_timestamp(), 'completed by a user');
  perform app_private.dispatch_executions(v_exec.organization_id, v_exec.repository_id, pg_catalog.clock_timestamp());
  select * into v_exec from app_public.pipeline_executions e
   where e.organization_id = v_exec.organization_id and e.id = v_exec.id and e.created_at = v_exec.created_at;
  return v_exec;
end;
$$;
comment on function app_public.complete_execution(uuid, app_public.pipeline_conclusion) is
  E'@resultFieldName execution\nCompletes a running execution (members), with the given conclusion or one derived from its steps; running steps end `CANCELLED` and steps not started end `SKIPPED`. An execution also completes by itself when its last step does.';

create or replace function app_public.rerun_execution(execution_id uuid, failed_only boolean default false)
  returns app_public.pipeline_executions
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan  -- see the top of this file
as $$
-- Definer: executions have no insert grant; a re-run is a new execution.
declare
  v_prev app_public.pipeline_executions;
  v_pipeline app_public.pipelines;
  v_latest app_public.pipeline_executions;
begin
  perform app_private.require_role('member');
  v_prev := app_private.lock_execution(rerun_execution.execution_id);
  if v_prev.status <> 'completed' then
    raise exception 'Only a completed execution can be re-run; this one is %', v_prev.status
      using errcode = 'FL207', hint = 'Wait for it to finish, or cancel it first.';
  end if;
  select * into v_latest from app_public.pipeline_executions e
   where e.organization_id = v_prev.organization_id and e.run_id = v_prev.run_id
   order by e.attempt desc limit 1;
  if v_latest.id <> v_prev.id then
    raise exception 'Attempt % of this run exists already: re-run the latest attempt', v_latest.attempt
      using errcode = 'FL207', detail = v_latest.id::text;
  end if;
  if v_prev.attempt >= 100 then
    raise exception 'A run has at most 100 attempts' using errcode = 'FL207';
  end if;
  if rerun_execution.failed_only and not exists (
       select 1 from app_public.pipeline_steps s
        where s.organization_id = v_prev.organization_id and s.execution_id = v_prev.id
          and s.execution_created_at = v_prev.created_at
          and not app_hidden.pipeline_need_met(s.status, s.conclusion, s.continue_on_error)) then
    raise exception 'No step of this execution failed' using errcode = 'FL207',
      hint = 'Re-run all steps instead (failedOnly: false).';
  end if;
  select * into v_pipeline from app_public.pipelines p
   where p.organization_id = v_prev.organization_id and p.id = v_prev.pipeline_id;
  if v_pipeline.status = 'disabled' then
    raise exception 'The pipeline "%" is disabled', v_pipeline.name using errcode = 'FL203',
      hint = 'Enable it (updatePipeline with status: ACTIVE) first.';
  end if;
  return app_private.create_execution(
    v_pipeline, v_prev.event, v_prev.branch, v_prev.commit_sha, v_prev.pull_request_number,
    v_prev.trigger_metadata, app_public.current_user_id(), null, v_prev, rerun_execution.failed_only);
end;
$$;
comment on function app_public.rerun_execution(uuid, boolean) is
  E'@resultFieldName execution\nRe-runs a completed execution (members, the latest attempt of its run) as a new execution with the next `attempt`, linked by `previousAttemptId`. `failedOnly`: steps that succeeded are kept (`reused`), the others and every step after them run again.';
--! EndIncluded pipelines/executions.sql
--! Included pipelines/steps.sql
/*
 * Steps (issue #9 §2), driven by runners: readySteps(execution) says what may
 * start, startStep marks one running, appendStepLog adds to its log (capped per
 * step, FL206), completeStep ends it. A step's `needs` are met when each named
 * step completed with success or neutral (or failed with continue_on_error); a
 * need that ends otherwise skips the steps after it. A failed or timed-out step
 * with attempts left under its retry policy goes back to queued as its next
 * attempt (the earlier one kept in previous_attempts). When the last step
 * completes, the execution completes with the conclusion its steps give, and
 * the repository's next queued execution may start. Every writer holds the
 * repository's run lock (dispatch.sql), so two runners cannot both start one
 * step, and the last two steps of an execution finishing at once still complete
 * it exactly once.
 *
 * The hot path (a runner's startStep and completeStep, thousands a second):
 * the small helpers (pipeline_need_met, ready_steps) are language sql without a
 * SET clause, so the planner inlines them; those that read tables are plpgsql
 * (plans cached per session). A step is found by its id alone once, with one
 * index probe per month's partition (lock_step); every read and write after
 * that names its partition key (execution_created_at), so it touches one month.
 * The public functions run with plan_cache_mode = force_generic_plan: a cached
 * plan whose parameters include the partition key looks dearer than a plan made
 * for the values (which names one partition), so PostgreSQL would plan every
 * such statement again at every call (0.1–0.3 ms each); the generic plan prunes
 * to the month when it runs. Measured with pgbench, complete_step at 10 clients:
 * 630–890 calls/s against 490–760 with plans made per call.
 */
create or replace function app_hidden.pipeline_need_met(
  status app_public.pipeline_run_status,
  conclusion app_public.pipeline_conclusion,
  continue_on_error boolean
) returns boolean
  language sql immutable parallel safe
as $$
  select pipeline_need_met.status = 'completed'
     and (pipeline_need_met.conclusion in ('success', 'neutral')
          or (pipeline_need_met.continue_on_error and pipeline_need_met.conclusion in ('failure', 'timed_out')));
$$;
comment on function app_hidden.pipeline_need_met(app_public.pipeline_run_status, app_public.pipeline_conclusion, boolean) is
  E'Whether a step, as it ended, lets the steps that need it run.';

create or replace function app_public.ready_steps(execution_id uuid)
  returns setof app_public.pipeline_steps
  language sql stable
as $$
  select s.*
    from app_public.pipeline_executions e
    join app_public.pipeline_steps s
      on s.organization_id = e.organization_id and s.execution_id = e.id and s.execution_created_at = e.created_at
   where e.organization_id = app_public.current_org_id() and e.id = ready_steps.execution_id
     and e.status = 'in_progress' and s.status = 'queued'
     and not exists (
       select 1 from pg_catalog.unnest(s.needs) n(name)
        where not exists (
          select 1 from app_public.pipeline_steps d
           where d.organization_id = s.organization_id and d.execution_id = s.execution_id
             and d.execution_created_at = s.execution_created_at and d.name = n.name
             and app_hidden.pipeline_need_met(d.status, d.conclusion, d.continue_on_error)))
   order by s.position;
$$;
comment on function app_public.ready_steps(uuid) is
  E'The steps of a running execution that may start now: not started, every step they need met. Runners call `startStep` on them.';

create or replace function app_private.lock_step(step_id uuid)
  returns app_public.pipeline_steps
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_org constant uuid := app_public.current_org_id();
  v_execution uuid;
  v_month timestamptz;
  v_repository uuid;
  v_step app_public.pipeline_steps;
begin
  -- By id alone: an index probe in each month's partition, once. What it reads
  -- (the partition key) lets the reads after it go to one month.
  select s.execution_id, s.execution_created_at into v_execution, v_month
    from app_public.pipeline_steps s
   where s.organization_id = v_org and s.id = lock_step.step_id;
  if not found then
    raise exception 'No such step in this organization' using errcode = 'FL003';
  end if;
  select e.repository_id into v_repository from app_public.pipeline_executions e
   where e.organization_id = v_org and e.id = v_execution and e.created_at = v_month;
  perform app_private.lock_pipeline_runs(v_org, v_repository);
  -- Again under the lock: what the rule is about, as the last writer left it.
  select * into v_step from app_public.pipeline_steps s
   where s.organization_id = v_org and s.id = lock_step.step_id and s.execution_created_at = v_month;
  if not found then  -- deleted (with its execution) while we waited
    raise exception 'No such step in this organization' using errcode = 'FL003';
  end if;
  return v_step;
end;
$$;
comment on function app_private.lock_step(uuid) is
  E'Finds a step of the current organization (FL003), takes its repository''s run lock and returns it as it is under the lock.';

create or replace function app_public.start_step(step_id uuid)
  returns app_public.pipeline_steps
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan  -- see the top of this file
as $$
-- Definer: steps have no update grant; status changes go through these functions.
declare
  v_step app_public.pipeline_steps;
  v_status app_public.pipeline_run_status;
  v_unmet text[];
begin
  perform app_private.require_role('member');
  v_step := app_private.lock_step(start_step.step_id);
  if v_step.status <> 'queued' then
    raise exception 'The step "%" is already %', v_step.name, v_step.status using errcode = 'FL202',
      detail = pg_catalog.format('%s → IN_PROGRESS', pg_catalog.upper(v_step.status::text));
  end if;
  select e.status into v_status from app_public.pipeline_executions e
   where e.organization_id = v_step.organization_id and e.id = v_step.execution_id
     and e.created_at = v_step.execution_created_at;
  if v_status <> 'in_progress' then
    raise exception 'The execution is %, not running: its steps cannot start', v_status using errcode = 'FL205';
  end if;
  select pg_catalog.array_agg(n.name order by n.name) into v_unmet
    from pg_catalog.unnest(v_step.needs) n(name)
   where not exists (
     select 1 from app_public.pipeline_steps d
      where d.organization_id = v_step.organization_id and d.execution_id = v_step.execution_id
        and d.execution_created_at = v_step.execution_created_at and d.name = n.name
        and app_hidden.pipeline_need_met(d.status, d.conclusion, d.continue_on_error));
  if v_unmet is not null then
    raise exception 'The step "%" needs steps that have not succeeded yet', v_step.name using errcode = 'FL205',
      detail = pg_catalog.array_to_string(v_unmet, ', '), hint = 'Start one of readySteps instead.';
  end if;
  update app_public.pipeline_steps s
     set status = 'in_progress', started_at = pg_catalog.clock_timestamp(), completed_at = null,
         timeout_at = pg_catalog.clock_timestamp() + pg_catalog.make_interval(mins => s.timeout_minutes)
   where s.organization_id = v_step.organization_id and s.id = v_step.id
     and s.execution_created_at = v_step.execution_created_at
  returning * into v_step;
  return v_step;
end;
$$;
comment on function app_public.start_step(uuid) is
  E'@resultFieldName step\nMarks a ready step of a running execution as started (members, e.g. a runner); FL205 when its needs are not met or the execution is not running.';

/*
 * finish_step(step, conclusion, …, at): the one place a step ends (completeStep,
 * the timeout handling). The caller holds the run lock and passes the step as
 * read under it.
 */
create or replace function app_private.finish_step(
  step app_public.pipeline_steps,
  conclusion app_public.pipeline_conclusion,
  exit_code integer,
  metrics jsonb,
  error jsonb,
  at timestamptz
) returns app_public.pipeline_steps
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_step app_public.pipeline_steps := finish_step.step;
  v_repository uuid;
begin
  if v_step.status = 'completed' or (v_step.status = 'queued' and finish_step.conclusion <> 'skipped') then
    raise exception 'The step "%" is %: it cannot complete %', v_step.name, v_step.status, finish_step.conclusion
      using errcode = 'FL202',
            detail = pg_catalog.format('%s → COMPLETED', pg_catalog.upper(v_step.status::text)),
            hint = case when v_step.status = 'queued' then 'Start it first (startStep); a step not started can only be skipped.'
                        else 'Re-run the execution (rerunExecution) to run the step again.' end;
  end if;
  if finish_step.conclusion in ('failure', 'timed_out') and v_step.status = 'in_progress'
     and v_step.attempt < v_step.max_attempts then
    -- Its retry policy allows another attempt: back to queued, the try kept.
    update app_public.pipeline_steps s
       set status = 'queued', attempt = s.attempt + 1,
           previous_attempts = s.previous_attempts || pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(
             pg_catalog.jsonb_build_object(
               'attempt', s.attempt, 'conclusion', finish_step.conclusion, 'exit_code', finish_step.exit_code,
               'error', finish_step.error, 'started_at', s.started_at, 'completed_at', finish_step.at))),
           started_at = null, timeout_at = null, exit_code = null, error = null,
           metrics = s.metrics || coalesce(finish_step.metrics, '{}')
     where s.organization_id = v_step.organization_id and s.id = v_step.id
       and s.execution_created_at = v_step.execution_created_at
    returning * into v_step;
    return v_step;
  end if;
  update app_public.pipeline_steps s
     set status = 'completed', conclusion = finish_step.conclusion, completed_at = finish_step.at,
         timeout_at = null, exit_code = finish_step.exit_code, error = finish_step.error,
         metrics = s.metrics || coalesce(finish_step.metrics, '{}')
   where s.organization_id = v_step.organization_id and s.id = v_step.id
     and s.execution_created_at = v_step.execution_created_at
  returning * into v_step;

  if not app_hidden.pipeline_need_met(v_step.status, v_step.conclusion, v_step.continue_on_error) then
    -- What needs it cannot run: skip it, and what needs that, and so on.
    loop
      update app_public.pipeline_steps s
         set status = 'completed', conclusion = 'skipped', completed_at = finish_step.at
       where s.organization_id = v_step.organization_id and s.execution_id = v_step.execution_id
         and s.execution_created_at = v_step.execution_created_at and s.status = 'queued'
         and exists (
           select 1 from app_public.pipeline_steps d
            where d.organization_id = s.organization_id and d.execution_id = s.execution_id
              and d.execution_created_at = s.execution_created_at and d.name = any (s.needs)
              and d.status = 'completed'
              and not app_hidden.pipeline_need_met(d.status, d.conclusion, d.continue_on_error));
      exit when not found;
    end loop;
  end if;

  if not exists (select 1 from app_public.pipeline_steps s
                  where s.organization_id = v_step.organization_id and s.execution_id = v_step.execution_id
                    and s.execution_created_at = v_step.execution_created_at and s.status <> 'completed') then
    update app_public.pipeline_executions e
       set status = 'completed', completed_at = finish_step.at, timeout_at = null,
           conclusion = app_private.derived_conclusion(e.organization_id, e.id, e.created_at)
     where e.organization_id = v_step.organization_id and e.id = v_step.execution_id
       and e.created_at = v_step.execution_created_at and e.status = 'in_progress'
    returning e.repository_id into v_repository;
    if v_repository is not null then
      perform app_private.dispatch_executions(v_step.organization_id, v_repository, finish_step.at);
    end if;
  end if;
  return v_step;
end;
$$;
comment on function app_private.finish_step(app_public.pipeline_steps, app_public.pipeline_conclusion, integer, jsonb, jsonb, timestamptz) is
  E'Ends a step (or retries it under its retry policy), skips what can no longer run, and completes the execution after its last step; the caller holds the run lock.';

create or replace function app_public.complete_step(
  step_id uuid,
  conclusion app_public.pipeline_conclusion,
  exit_code integer default null,
  metrics jsonb default null,
  error jsonb default null
) returns app_public.pipeline_steps
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan  -- see the top of this file
as $$
-- Definer: steps have no update grant; status changes go through these functions.
declare
  v_step app_public.pipeline_steps;
begin
  perform app_private.require_role('member');
  if complete_step.conclusion is null then
    raise exception 'A step completes with a conclusion' using errcode = 'FL204',
      detail = 'conclusion: must be SUCCESS, FAILURE, CANCELLED, SKIPPED, TIMED_OUT or NEUTRAL';
  end if;
  if complete_step.metrics is not null and (pg_catalog.jsonb_typeof(complete_step.metrics) <> 'object'
                                            or pg_catalog.octet_length(complete_step.metrics::text) > 65536) then
    raise exception 'Invalid step metrics' using errcode = 'FL204', detail = 'metrics: must be a JSON object of at most 64 KiB';
  end if;
  if complete_step.error is not null and (pg_catalog.jsonb_typeof(complete_step.error) <> 'object'
                                          or pg_catalog.octet_length(complete_step.error::text) > 65536) then
    raise exception 'Invalid step error' using errcode = 'FL204', detail = 'error: must be a JSON object of at most 64 KiB';
  end if;
  v_step := app_private.lock_step(complete_step.step_id);
  if v_step.status <> 'completed' and not exists (
       select 1 from app_public.pipeline_executions e
        where e.organization_id = v_step.organization_id and e.id = v_step.execution_id
          and e.created_at = v_step.execution_created_at and e.status = 'in_progress') then
    raise exception 'The execution is not running: its steps cannot complete' using errcode = 'FL205',
      hint = 'Cancel the execution instead (cancelExecution).';
  end if;
  return app_private.finish_step(v_step, complete_step.conclusion, complete_step.exit_code,
                                 complete_step.metrics, complete_step.error, pg_catalog.clock_timestamp());
end;
$$;
comment on function app_public.complete_step(uuid, app_public.pipeline_conclusion, integer, jsonb, jsonb) is
  E'@resultFieldName step\nEnds a running step (members, e.g. a runner) with its conclusion, exit code, metrics (merged) and error details. A failure with attempts left under the step''s retry policy queues its next attempt; steps that needed a failed step are skipped; the last step completes the execution. A step not started can only be `SKIPPED`.';

create or replace function app_private.step_log_limit(org uuid) returns integer
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
begin
  -- plpgsql, not language sql: a sub-select is never inlined, and its plan is kept here.
  return coalesce((select l.step_log_bytes from app_private.pipeline_limits l
                    where l.organization_id = step_log_limit.org), 4194304);
end;
$$;
comment on function app_private.step_log_limit(uuid) is
  E'The most bytes of log a step of this organization may have: the operator''s override (app_private.pipeline_limits, `forgeline limits`), else 4 MiB.';

create or replace function app_public.append_step_log(step_id uuid, content text)
  returns app_public.pipeline_steps
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
  set plan_cache_mode = force_generic_plan  -- see the top of this file
as $$
-- Definer: logs have no insert grant, and the cap is the operator's (not readable by the visitor).
declare
  v_step app_public.pipeline_steps;
  v_bytes constant integer := pg_catalog.octet_length(append_step_log.content);
  v_limit integer;
begin
  perform app_private.require_role('member');
  if coalesce(v_bytes, 0) = 0 then
    raise exception 'Nothing to append' using errcode = 'FL204', detail = 'content: must not be empty';
  end if;
  v_step := app_private.lock_step(append_step_log.step_id);
  if v_step.status <> 'in_progress' then
    raise exception 'The step "%" is %: logs are written while it runs', v_step.name, v_step.status
      using errcode = 'FL202', detail = pg_catalog.upper(v_step.status::text);
  end if;
  v_limit := app_private.step_log_limit(v_step.organization_id);
  if v_step.log_bytes + v_bytes > v_limit then
    raise exception 'The step''s log would exceed % bytes', v_limit using errcode = 'FL206',
      detail = pg_catalog.format('limit %s bytes, written %s, refused %s', v_limit, v_step.log_bytes, v_bytes),
      hint = 'Write less (or store the full log as an artifact); the operator sets the limit.';
  end if;
  insert into app_public.pipeline_step_logs (organization_id, step_id, execution_created_at, seq, content)
  values (v_step.organization_id, v_step.id, v_step.execution_created_at, v_step.log_chunks + 1, append_step_log.content);
  update app_public.pipeline_steps s
     set log_bytes = s.log_bytes + v_bytes, log_chunks = s.log_chunks + 1
   where s.organization_id = v_step.organization_id and s.id = v_step.id
     and s.execution_created_at = v_step.execution_created_at
  returning * into v_step;
  return v_step;
end;
$$;
comment on function app_public.append_step_log(uuid, text) is
  E'@resultFieldName step\nAppends text to a running step''s log (members, e.g. a runner). A step''s log is capped (4 MiB unless the operator set another limit): a chunk that would pass the cap is refused whole with FL206.';

create or replace function app_public.pipeline_steps_log(step app_public.pipeline_steps) returns text
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.string_agg(l.content, '' order by l.seq)
    from app_public.pipeline_step_logs l
   where l.organization_id = (pipeline_steps_log.step).organization_id
     and l.step_id = (pipeline_steps_log.step).id
     and l.execution_created_at = (pipeline_steps_log.step).execution_created_at;
$$;
comment on function app_public.pipeline_steps_log(app_public.pipeline_steps) is
  E'The step''s log so far (null before anything was written).';
--! EndIncluded pipelines/steps.sql
--! Included pipelines/notify.sql
/*
 * Live status (issue #9 §5): after each statement that inserts or updates
 * executions or steps, one notification per organization on the channel
 * `pipelines:<organization id>`, its payload the ids of the executions the
 * statement touched, `{"executions": ["…", …]}` (in chunks of 100, well under
 * NOTIFY's 8000 bytes) — one per statement, not per row, and delivered only when
 * the transaction commits. The API's subscriptions listen on the channel of the
 * subscriber's own organization (from the verified token, never from the
 * query's arguments) and re-read the execution under the subscriber's RLS.
 *
 * A transaction that notifies commits with synchronous_commit = off (set here,
 * for that transaction only, when a notification was queued). Why: PostgreSQL
 * serialises every notifying commit — from PreCommit_Notify to the end of the
 * commit it holds one cluster-wide lock, so such commits never share a WAL
 * flush and each waits for its own. Measured with pgbench on this 2-core machine
 * (one-row update, 10 clients, 8 s × 3 rounds, noisy): 1,380–2,340 tps with
 * pg_notify against 2,650–5,020 without; with pg_notify and synchronous_commit
 * off, 3,340–5,760. Every step or execution write notifies, so without this
 * they could never pass one commit per WAL flush: complete_step at 10 clients
 * (3 rounds) ran 640–720 calls/s with synchronous commits, 880–960 with this,
 * and 1,150–1,290 with no NOTIFY at all (what a notifier process, below, could
 * give at most).
 *
 * What it risks: COMMIT returns before the commit's WAL is on disk. If the
 * server crashes (PostgreSQL or the machine) within about 3 × wal_writer_delay
 * (600 ms by default) of such a commit, the transaction may be lost — all of it
 * (the rows, the jobs it enqueued, its audit events), never a part, and the
 * database stays consistent. A runner was told its step started or completed
 * when it did not: the step then times out (maintenance) and is retried or fails
 * by its policy, as with a runner that died. Any later synchronous commit on the
 * server flushes everything before it, so a graphile-worker job that writes
 * pipelines is durable once the job is recorded complete. Transactions that
 * touch no execution or step keep synchronous_commit as it was.
 *
 * The other designs, and why not:
 *   - one NOTIFY per transaction instead of per statement: PostgreSQL already
 *     folds identical notifications of a transaction into one, and the lock is
 *     taken once per notifying transaction however many it sends, so nothing
 *     would change but the triggers' cost (~0.04 ms a statement) — and a
 *     deferred trigger is per row (constraint triggers cannot be per statement);
 *   - writers insert ids into an unlogged table that a notifier process drains
 *     and announces in batches: durable commits at full speed, but a process the
 *     database cannot run by itself (a poll loop in the API or worker, whose
 *     interval adds to every event's latency, and without which no event
 *     arrives). The route to take if every step write must be synchronous.
 * The subscription's guarantees are unchanged: notifications still enter the
 * queue under that lock, in commit order, after the commit is visible.
 */
create or replace function app_private.tg_pipeline_executions__notify() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_notify('pipelines:' || c.organization_id::text,
                               pg_catalog.json_build_object('executions', c.ids)::text)
     from (select x.organization_id, pg_catalog.array_agg(x.id order by x.id) as ids
             from (select n.organization_id, n.id,
                          (pg_catalog.row_number() over (partition by n.organization_id order by n.id) - 1) / 100 as chunk
                     from (select distinct r.organization_id, r.id from new_rows r) n) x
            group by x.organization_id, x.chunk) c;
  if found then
    -- A notifying commit holds the cluster-wide notify lock through its WAL flush: see above.
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
  end if;
  return null;
end;
$$;
comment on function app_private.tg_pipeline_executions__notify() is
  E'Trigger function: one NOTIFY per organization and statement with the ids of the executions it changed; the transaction then commits asynchronously.';

create or replace function app_private.tg_pipeline_steps__notify() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_notify('pipelines:' || c.organization_id::text,
                               pg_catalog.json_build_object('executions', c.ids)::text)
     from (select x.organization_id, pg_catalog.array_agg(x.execution_id order by x.execution_id) as ids
             from (select n.organization_id, n.execution_id,
                          (pg_catalog.row_number() over (partition by n.organization_id order by n.execution_id) - 1) / 100 as chunk
                     from (select distinct r.organization_id, r.execution_id from new_rows r) n) x
            group by x.organization_id, x.chunk) c;
  if found then
    -- A notifying commit holds the cluster-wide notify lock through its WAL flush: see above.
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
  end if;
  return null;
end;
$$;
comment on function app_private.tg_pipeline_steps__notify() is
  E'Trigger function: one NOTIFY per organization and statement with the ids of the executions whose steps it changed; the transaction then commits asynchronously.';
--! EndIncluded pipelines/notify.sql
--! Included pipelines/stats.sql
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
 *
 * Without a SET clause (every name qualified, and an invoker runs with the
 * caller's rights anyway), so PostgreSQL inlines it into the caller's query:
 * PostGraphile's statement is planned as one query instead of planning this
 * body again at every call. Where the time goes (9,000 runs, 46 branches, 2
 * cores): the index-only scan ~1.5 ms; the rest is sorting — the rows by
 * branch, then every duration once per grouping level for its percentiles.
 * One percentile_cont of an array ({0.5, 0.95}) per duration instead of a call
 * per percentile: the same values, measured 20–25 % faster (12.6 → 9.8 ms for
 * the query written out).
 * An incrementally maintained rollup is not done: exact percentiles over an
 * arbitrary `since` need every duration of the window, and the approximate kind
 * (histograms per day) would change the answers this function promises.
 */
create or replace function app_public.pipeline_stats(
  pipeline_id uuid,
  since timestamptz default pg_catalog.now() - interval '30 days'
) returns setof app_public.pipeline_branch_stats
  language sql stable
as $$
  select x.branch, x.runs, x.successes, x.failures,
         case when x.decided > 0 then x.successes::double precision / x.decided end,
         pg_catalog.round(x.run_ms[1])::bigint, pg_catalog.round(x.run_ms[2])::bigint,
         pg_catalog.round(x.queue_ms[1])::bigint, pg_catalog.round(x.queue_ms[2])::bigint
    from (
      select e.branch,
             pg_catalog.count(*)::integer as runs,
             (pg_catalog.count(*) filter (where e.conclusion = 'success'))::integer as successes,
             (pg_catalog.count(*) filter (where e.conclusion in ('failure', 'timed_out')))::integer as failures,
             pg_catalog.count(*) filter (where e.conclusion in ('success', 'failure', 'timed_out')) as decided,
             -- p50 and p95 from one sort of each duration per group
             pg_catalog.percentile_cont('{0.5,0.95}'::double precision[])
               within group (order by e.run_duration_ms) as run_ms,
             pg_catalog.percentile_cont('{0.5,0.95}'::double precision[])
               within group (order by e.queued_duration_ms) as queue_ms
        from app_public.pipeline_executions e
       where e.organization_id = app_public.current_org_id()
         and e.pipeline_id = pipeline_stats.pipeline_id
         and e.created_at >= pipeline_stats.since
         and e.status = 'completed'
       group by grouping sets ((e.branch), ())
    ) x
   order by x.branch nulls first;
$$;
comment on function app_public.pipeline_stats(uuid, timestamptz) is
  E'Runs, success rate and p50/p95 run and queue times (ms) of a pipeline''s completed executions created since `since` (default 30 days ago), per branch; the row with `branch: null` is all branches together.';
--! EndIncluded pipelines/stats.sql

-- pipelines: the definition's steps, expanded once when it is saved
alter table app_public.pipelines
  add column definition_steps jsonb not null
    generated always as (app_hidden.pipeline_definition_step_rows(definition)) stored;
comment on column app_public.pipelines.definition_steps is
  E'@behavior -*\nThe definition''s steps as an execution''s step rows (internal: what start_execution copies); computed by the database.';
-- The audit log records the definition, not its expansion.
select app_private.enable_audit('app_public.pipelines', '{updated_at,created_at,definition_steps}');

-- pipeline_executions: what waits for a slot, for dispatch (small: runs leave it when they start)
create index pipeline_executions_pending_idx on app_public.pipeline_executions (organization_id, repository_id, created_at)
  where status in ('queued', 'waiting');
