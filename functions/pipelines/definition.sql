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
