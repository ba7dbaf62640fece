--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: app_hidden; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_hidden;

--
-- Name: app_partitions; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_partitions;

--
-- Name: app_private; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_private;

--
-- Name: app_public; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_public;

--
-- Name: SCHEMA app_public; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA app_public IS 'Forgeline''s public API: exposed in GraphQL, guarded by RLS.';

--
-- Name: citext; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;

--
-- Name: EXTENSION citext; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';

--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

--
-- Name: pipeline_branch_stats; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.pipeline_branch_stats AS (
	branch text,
	runs integer,
	successes integer,
	failures integer,
	success_rate double precision,
	p50_run_ms bigint,
	p95_run_ms bigint,
	p50_queue_ms bigint,
	p95_queue_ms bigint
);

--
-- Name: TYPE pipeline_branch_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.pipeline_branch_stats IS 'A pipeline''s statistics over a period, for one branch or (branch null) all of them.';

--
-- Name: COLUMN pipeline_branch_stats.branch; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_branch_stats.branch IS 'The branch, or null for all branches together.';

--
-- Name: COLUMN pipeline_branch_stats.runs; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_branch_stats.runs IS 'Completed executions.';

--
-- Name: COLUMN pipeline_branch_stats.successes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_branch_stats.successes IS 'Of which concluded `SUCCESS`.';

--
-- Name: COLUMN pipeline_branch_stats.failures; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_branch_stats.failures IS 'Of which concluded `FAILURE` or `TIMED_OUT`.';

--
-- Name: COLUMN pipeline_branch_stats.success_rate; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_branch_stats.success_rate IS 'successes / (successes + failures); null when nothing ran to a verdict.';

--
-- Name: COLUMN pipeline_branch_stats.p50_run_ms; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_branch_stats.p50_run_ms IS 'Median time from start to completion, ms.';

--
-- Name: COLUMN pipeline_branch_stats.p95_run_ms; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_branch_stats.p95_run_ms IS '95th percentile of the time from start to completion, ms.';

--
-- Name: COLUMN pipeline_branch_stats.p50_queue_ms; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_branch_stats.p50_queue_ms IS 'Median time from creation to start, ms.';

--
-- Name: COLUMN pipeline_branch_stats.p95_queue_ms; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_branch_stats.p95_queue_ms IS '95th percentile of the time from creation to start, ms.';

--
-- Name: pipeline_conclusion; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.pipeline_conclusion AS ENUM (
    'success',
    'failure',
    'cancelled',
    'skipped',
    'timed_out',
    'neutral'
);

--
-- Name: TYPE pipeline_conclusion; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.pipeline_conclusion IS 'How a completed execution or step ended.';

--
-- Name: pipeline_run_status; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.pipeline_run_status AS ENUM (
    'queued',
    'waiting',
    'in_progress',
    'completed'
);

--
-- Name: TYPE pipeline_run_status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.pipeline_run_status IS 'Where an execution or step is: `QUEUED` (an execution: for a slot under its pipeline''s concurrency limit; a step: not started), `WAITING` (an execution pending in its concurrency group), `IN_PROGRESS`, `COMPLETED` (see its conclusion).';

--
-- Name: pipeline_status; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.pipeline_status AS ENUM (
    'active',
    'disabled'
);

--
-- Name: TYPE pipeline_status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.pipeline_status IS 'Active pipelines run; disabled ones start no new runs (queued runs still run).';

--
-- Name: project_status; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.project_status AS ENUM (
    'active',
    'archived'
);

--
-- Name: TYPE project_status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.project_status IS 'Active projects change; archived projects and their tasks are read-only.';

--
-- Name: repository_provider; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.repository_provider AS ENUM (
    'github',
    'gitlab',
    'bitbucket',
    'local'
);

--
-- Name: TYPE repository_provider; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.repository_provider IS 'Where a repository is hosted.';

--
-- Name: task_dependency_type; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.task_dependency_type AS ENUM (
    'blocks',
    'relates_to',
    'duplicates'
);

--
-- Name: TYPE task_dependency_type; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.task_dependency_type IS '`blocks`: the dependency must finish before the dependent starts (never in a cycle); `relates_to` and `duplicates` are links.';

--
-- Name: task_rollup; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.task_rollup AS (
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

--
-- Name: TYPE task_rollup; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.task_rollup IS 'A task''s subtree at a glance (see `rollup`).';

--
-- Name: COLUMN task_rollup.children; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.children IS 'Direct subtasks.';

--
-- Name: COLUMN task_rollup.descendants; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.descendants IS 'Subtasks at every depth.';

--
-- Name: COLUMN task_rollup.backlog; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.backlog IS 'Descendants in backlog.';

--
-- Name: COLUMN task_rollup.todo; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.todo IS 'Descendants to do.';

--
-- Name: COLUMN task_rollup.in_progress; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.in_progress IS 'Descendants in progress.';

--
-- Name: COLUMN task_rollup.in_review; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.in_review IS 'Descendants in review.';

--
-- Name: COLUMN task_rollup.done; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.done IS 'Descendants done.';

--
-- Name: COLUMN task_rollup.cancelled; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.cancelled IS 'Descendants cancelled.';

--
-- Name: COLUMN task_rollup.estimated_effort; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.estimated_effort IS 'Estimated effort of the task and all its descendants (hours).';

--
-- Name: COLUMN task_rollup.actual_effort; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_rollup.actual_effort IS 'Actual effort of the task and all its descendants (hours).';

--
-- Name: task_status; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.task_status AS ENUM (
    'backlog',
    'todo',
    'in_progress',
    'in_review',
    'done',
    'cancelled'
);

--
-- Name: TYPE task_status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.task_status IS 'Where a task is; allowed changes are listed by `taskStatusTransitions`. Done and cancelled tasks are finished.';

--
-- Name: task_type; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.task_type AS ENUM (
    'feature',
    'bug',
    'chore',
    'research',
    'epic'
);

--
-- Name: TYPE task_type; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.task_type IS 'What kind of work a task is.';

--
-- Name: user_role; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.user_role AS ENUM (
    'viewer',
    'member',
    'admin',
    'owner'
);

--
-- Name: TYPE user_role; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.user_role IS 'A user''s role in an organization, weakest first: viewers read, members write their own work, admins manage users, owners manage the organization.';

--
-- Name: branch_pattern_regex(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.branch_pattern_regex(pattern text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
  select '^' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
           pg_catalog.regexp_replace(branch_pattern_regex.pattern, '([.()|{}$\\])', '\\\1', 'g'),
           '**', pg_catalog.chr(1)), '*', '[^/]*'), pg_catalog.chr(1), '.*') || '$';
$_$;

--
-- Name: FUNCTION branch_pattern_regex(pattern text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.branch_pattern_regex(pattern text) IS 'A GitHub branch filter pattern (`*`, `**`, `?`, `+`; without its leading `!`) as an anchored regular expression.';

--
-- Name: current_migration(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_migration() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: graphile_migrate's bookkeeping belongs to the owner; this exposes only the hash.
begin
  return (select m.hash from graphile_migrate.migrations m order by m.filename desc limit 1);
end;
$$;

--
-- Name: FUNCTION current_migration(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_migration() IS 'The hash of the newest applied committed migration (for the readiness probe).';

--
-- Name: html_escape(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.html_escape(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
  select pg_catalog.replace(pg_catalog.replace(pg_catalog.replace($1, '&', '&amp;'), '<', '&lt;'), '>', '&gt;');
$_$;

--
-- Name: FUNCTION html_escape(text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.html_escape(text) IS 'Escapes &, < and > for HTML text.';

--
-- Name: pipeline_accepts(jsonb, text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.pipeline_accepts(trigger_config jsonb, event text, branch text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION pipeline_accepts(trigger_config jsonb, event text, branch text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.pipeline_accepts(trigger_config jsonb, event text, branch text) IS 'Whether a trigger_config starts the pipeline for this event on this branch.';

--
-- Name: pipeline_definition_error(jsonb); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.pipeline_definition_error(definition jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

--
-- Name: FUNCTION pipeline_definition_error(definition jsonb); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.pipeline_definition_error(definition jsonb) IS 'The first problem of a pipeline definition as `path: message` (e.g. `steps[2].needs[0]: unknown step "tset"`, `jobs.deploy.needs[0]: unknown job "tset"`), or null when it is valid.';

--
-- Name: pipeline_definition_step_rows(jsonb); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.pipeline_definition_step_rows(definition jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  -- Pinned search_path: the value is stored (a generated column) and must not depend on the session.
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(d) order by d.position), '[]')
    from app_hidden.pipeline_definition_steps(pipeline_definition_step_rows.definition) d;
$$;

--
-- Name: FUNCTION pipeline_definition_step_rows(definition jsonb); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.pipeline_definition_step_rows(definition jsonb) IS 'pipeline_definition_steps() as a JSON array of objects (name, job, position, needs, max_attempts, timeout_minutes, continue_on_error, spec): pipelines.definition_steps.';

--
-- Name: pipeline_definition_steps(jsonb); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.pipeline_definition_steps(definition jsonb) RETURNS TABLE(name text, job text, "position" integer, needs text[], max_attempts integer, timeout_minutes integer, continue_on_error boolean, spec jsonb)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
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

--
-- Name: FUNCTION pipeline_definition_steps(definition jsonb); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.pipeline_definition_steps(definition jsonb) IS 'The steps of a valid pipeline definition as an execution''s step rows, named by their keys (id, else name, else <job>#<n>), `needs` expanded to step keys (job names, jobs'' own needs and the implicit previous step of a job resolved).';

--
-- Name: pipeline_need_met(app_public.pipeline_run_status, app_public.pipeline_conclusion, boolean); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.pipeline_need_met(status app_public.pipeline_run_status, conclusion app_public.pipeline_conclusion, continue_on_error boolean) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select pipeline_need_met.status = 'completed'
     and (pipeline_need_met.conclusion in ('success', 'neutral')
          or (pipeline_need_met.continue_on_error and pipeline_need_met.conclusion in ('failure', 'timed_out')));
$$;

--
-- Name: FUNCTION pipeline_need_met(status app_public.pipeline_run_status, conclusion app_public.pipeline_conclusion, continue_on_error boolean); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.pipeline_need_met(status app_public.pipeline_run_status, conclusion app_public.pipeline_conclusion, continue_on_error boolean) IS 'Whether a step, as it ended, lets the steps that need it run.';

--
-- Name: pipeline_status_allows(text, app_public.pipeline_run_status, app_public.pipeline_run_status); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.pipeline_status_allows(kind text, from_status app_public.pipeline_run_status, to_status app_public.pipeline_run_status) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
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

--
-- Name: FUNCTION pipeline_status_allows(kind text, from_status app_public.pipeline_run_status, to_status app_public.pipeline_run_status); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.pipeline_status_allows(kind text, from_status app_public.pipeline_run_status, to_status app_public.pipeline_run_status) IS 'Whether an execution or a step may go from one status to another.';

--
-- Name: pipeline_trigger_config_error(jsonb); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.pipeline_trigger_config_error(config jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

--
-- Name: FUNCTION pipeline_trigger_config_error(config jsonb); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.pipeline_trigger_config_error(config jsonb) IS 'The first problem of a pipeline''s trigger_config as `path: message`, or null when it is valid.';

--
-- Name: task_status_allows(app_public.task_status, app_public.task_status); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.task_status_allows(from_status app_public.task_status, to_status app_public.task_status) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select task_status_allows.from_status = task_status_allows.to_status
      or exists (select 1 from app_public.task_status_transitions s
                  where s.from_status = task_status_allows.from_status
                    and s.to_status = task_status_allows.to_status);
$$;

--
-- Name: FUNCTION task_status_allows(from_status app_public.task_status, to_status app_public.task_status); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.task_status_allows(from_status app_public.task_status, to_status app_public.task_status) IS 'Whether a task may go from one status to another (app_public.task_status_transitions).';

--
-- Name: act_as_user(text, uuid, uuid, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.act_as_user(sub text DEFAULT NULL::text, org_id uuid DEFAULT NULL::uuid, user_id uuid DEFAULT NULL::uuid, request_id text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  if coalesce(act_as_user.sub, '') = '' and (act_as_user.org_id is not null or act_as_user.user_id is not null) then
    raise exception 'A user needs a subject (the token''s sub)' using errcode = 'FL005';
  end if;
  perform pg_catalog.set_config('jwt.claims.sub', coalesce(act_as_user.sub, ''), true);
  perform pg_catalog.set_config('jwt.claims.org_id', coalesce(act_as_user.org_id::text, ''), true);
  perform pg_catalog.set_config('jwt.claims.user_id', coalesce(act_as_user.user_id::text, ''), true);
  perform pg_catalog.set_config('jwt.claims.role', '', true);
  perform pg_catalog.set_config('forgeline.service_tenant', '', true);
  perform pg_catalog.set_config('forgeline.actor', '', true);
  perform pg_catalog.set_config('forgeline.request_id', coalesce(act_as_user.request_id, ''), true);
  perform pg_catalog.set_config('role', ':DATABASE_VISITOR', true);
end;
$$;

--
-- Name: FUNCTION act_as_user(sub text, org_id uuid, user_id uuid, request_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.act_as_user(sub text, org_id uuid, user_id uuid, request_id text) IS 'Trusted code only: act as a signed-in user (the claims a verified token gives a request), under RLS as the visitor, for the rest of the transaction.';

--
-- Name: act_for_tenant(uuid, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.act_for_tenant(org_id uuid, actor text, request_id text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
begin
  if act_for_tenant.actor is null or act_for_tenant.actor !~ '^[a-z][a-z0-9_-]{0,31}$' then
    raise exception 'An actor names the trusted code acting, like "worker"; got "%"', act_for_tenant.actor
      using errcode = 'FL005';
  end if;
  perform app_private.set_current_tenant(act_for_tenant.org_id);
  perform pg_catalog.set_config('jwt.claims.sub', 'service:' || act_for_tenant.actor, true);
  perform pg_catalog.set_config('forgeline.actor', act_for_tenant.actor, true);
  perform pg_catalog.set_config('forgeline.request_id', coalesce(act_for_tenant.request_id, ''), true);
  perform pg_catalog.set_config('role', ':DATABASE_VISITOR', true);
end;
$_$;

--
-- Name: FUNCTION act_for_tenant(org_id uuid, actor text, request_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.act_for_tenant(org_id uuid, actor text, request_id text) IS 'Trusted code only: act for one organization as the named service (no user), under RLS as the visitor, for the rest of the transaction.';

SET default_tablespace = '';

--
-- Name: pipeline_executions; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.pipeline_executions (
    organization_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    pipeline_id uuid NOT NULL,
    repository_id uuid NOT NULL,
    run_id uuid NOT NULL,
    attempt integer DEFAULT 1 NOT NULL,
    previous_attempt_id uuid,
    status app_public.pipeline_run_status DEFAULT 'queued'::app_public.pipeline_run_status NOT NULL,
    conclusion app_public.pipeline_conclusion,
    event text NOT NULL,
    branch text NOT NULL,
    commit_sha text,
    pull_request_number integer,
    actor_id uuid,
    trigger_metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    concurrency_group text,
    deployment_environment text,
    timeout_minutes integer NOT NULL,
    started_at timestamp with time zone,
    completed_at timestamp with time zone,
    timeout_at timestamp with time zone,
    end_reason text,
    queued_duration_ms bigint GENERATED ALWAYS AS (((EXTRACT(epoch FROM (started_at - created_at)) * (1000)::numeric))::bigint) STORED,
    run_duration_ms bigint GENERATED ALWAYS AS (((EXTRACT(epoch FROM (completed_at - started_at)) * (1000)::numeric))::bigint) STORED,
    CONSTRAINT pipeline_executions_attempt_check CHECK (((attempt >= 1) AND (attempt <= 100))),
    CONSTRAINT pipeline_executions_branch_check CHECK (((length(branch) >= 1) AND (length(branch) <= 255))),
    CONSTRAINT pipeline_executions_check CHECK (((status = 'completed'::app_public.pipeline_run_status) = (conclusion IS NOT NULL))),
    CONSTRAINT pipeline_executions_check1 CHECK (((status = 'completed'::app_public.pipeline_run_status) = (completed_at IS NOT NULL))),
    CONSTRAINT pipeline_executions_check2 CHECK (((status <> 'in_progress'::app_public.pipeline_run_status) OR (started_at IS NOT NULL))),
    CONSTRAINT pipeline_executions_check3 CHECK (((started_at >= created_at) AND (completed_at >= COALESCE(started_at, created_at)))),
    CONSTRAINT pipeline_executions_commit_sha_check CHECK ((commit_sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'::text)),
    CONSTRAINT pipeline_executions_event_check CHECK ((event ~ '^[a-z][a-z_]{0,49}$'::text)),
    CONSTRAINT pipeline_executions_pull_request_number_check CHECK ((pull_request_number > 0)),
    CONSTRAINT pipeline_executions_timeout_minutes_check CHECK (((timeout_minutes >= 1) AND (timeout_minutes <= 4320))),
    CONSTRAINT pipeline_executions_trigger_metadata_check CHECK ((jsonb_typeof(trigger_metadata) = 'object'::text))
)
PARTITION BY RANGE (created_at);
ALTER TABLE ONLY app_public.pipeline_executions ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE pipeline_executions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.pipeline_executions IS '@behavior -insert -update -delete +aggregates
A run of a pipeline: what triggered it, where it is, how it ended and how long it took. Begun by `startExecution`, re-run as a new attempt by `rerunExecution`; kept for a year.';

--
-- Name: COLUMN pipeline_executions.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.organization_id IS 'The organization it belongs to.';

--
-- Name: COLUMN pipeline_executions.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.id IS 'The execution''s id.';

--
-- Name: COLUMN pipeline_executions.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.created_at IS '@behavior +orderBy +filterBy
When it was triggered (also its month''s partition).';

--
-- Name: COLUMN pipeline_executions.pipeline_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.pipeline_id IS '@behavior +filterBy
The pipeline it runs.';

--
-- Name: COLUMN pipeline_executions.repository_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.repository_id IS 'The pipeline''s repository (its concurrency groups are the repository''s).';

--
-- Name: COLUMN pipeline_executions.run_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.run_id IS '@behavior +filterBy
The run it is an attempt of: the id of its first attempt.';

--
-- Name: COLUMN pipeline_executions.attempt; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.attempt IS '@behavior +orderBy
1 for the first run, then one more per re-run.';

--
-- Name: COLUMN pipeline_executions.previous_attempt_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.previous_attempt_id IS 'The attempt it re-ran (it may be older than the retention of a year).';

--
-- Name: COLUMN pipeline_executions.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.status IS '@behavior +filterBy
`QUEUED`, `WAITING`, `IN_PROGRESS` or `COMPLETED`; set by the database.';

--
-- Name: COLUMN pipeline_executions.conclusion; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.conclusion IS '@behavior +filterBy
How it ended, once completed.';

--
-- Name: COLUMN pipeline_executions.event; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.event IS 'What triggered it: `manual`, `push`, `pull_request`, …';

--
-- Name: COLUMN pipeline_executions.branch; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.branch IS '@behavior +filterBy
The branch it ran on.';

--
-- Name: COLUMN pipeline_executions.commit_sha; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.commit_sha IS 'The commit it ran on, if known.';

--
-- Name: COLUMN pipeline_executions.pull_request_number; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.pull_request_number IS 'The pull request it ran for, if any.';

--
-- Name: COLUMN pipeline_executions.actor_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.actor_id IS 'The user who triggered it (kept after the user is removed).';

--
-- Name: COLUMN pipeline_executions.trigger_metadata; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.trigger_metadata IS 'More about the trigger, as given (e.g. the GitHub delivery and workflow run ids).';

--
-- Name: COLUMN pipeline_executions.concurrency_group; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.concurrency_group IS 'Its concurrency group, the pipeline''s template filled in.';

--
-- Name: COLUMN pipeline_executions.deployment_environment; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.deployment_environment IS 'The environment it deploys to, from the definition.';

--
-- Name: COLUMN pipeline_executions.timeout_minutes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.timeout_minutes IS 'It ends `TIMED_OUT` after running this long.';

--
-- Name: COLUMN pipeline_executions.started_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.started_at IS 'When it started running; set by the database.';

--
-- Name: COLUMN pipeline_executions.completed_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.completed_at IS 'When it completed; set by the database.';

--
-- Name: COLUMN pipeline_executions.timeout_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.timeout_at IS 'When it will time out, while it runs.';

--
-- Name: COLUMN pipeline_executions.end_reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.end_reason IS 'Why it ended early, if it did (cancelled, superseded, timed out).';

--
-- Name: COLUMN pipeline_executions.queued_duration_ms; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.queued_duration_ms IS 'From triggered to started, in ms; computed by the database.';

--
-- Name: COLUMN pipeline_executions.run_duration_ms; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_executions.run_duration_ms IS 'From started to completed, in ms; computed by the database.';

--
-- Name: admit_execution(app_public.pipeline_executions, boolean, timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.admit_execution(execution app_public.pipeline_executions, cancel_in_progress boolean, at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION admit_execution(execution app_public.pipeline_executions, cancel_in_progress boolean, at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.admit_execution(execution app_public.pipeline_executions, cancel_in_progress boolean, at timestamp with time zone) IS 'Applies a new execution''s concurrency group (the older pending run, and with cancel_in_progress the running one, end cancelled), then dispatches; the caller holds lock_pipeline_runs().';

--
-- Name: apply_retention(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.apply_retention(at timestamp with time zone DEFAULT now()) RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_part record;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('forgeline.maintenance', 0));
  -- Month by month, oldest first; within a month by drop_order, so a table is
  -- dropped before the tables it references (steps before their executions).
  for v_part in
    select p.table_name::regclass as parent, c.oid::regclass as part, c.relname, p.before_drop,
           pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') as month, p.drop_order
      from app_private.partitioned_tables p
      join pg_catalog.pg_inherits h on h.inhparent = p.table_name
      join pg_catalog.pg_class c on c.oid = h.inhrelid
     where p.retention is not null
       and c.relname ~ '_p[0-9]{6}$'
       and (pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') + interval '1 month')
           <= (apply_retention.at at time zone 'UTC') - p.retention
     order by month, p.drop_order, c.relname
  loop
    if v_part.before_drop is not null then
      execute pg_catalog.format('select %s($1)', v_part.before_drop::regproc) using v_part.part;
    end if;
    execute pg_catalog.format('alter table %s detach partition %s', v_part.parent, v_part.part);
    execute pg_catalog.format('drop table %s', v_part.part);
    return next pg_catalog.format('dropped app_partitions.%I', v_part.relname);
  end loop;
end;
$_$;

--
-- Name: FUNCTION apply_retention(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.apply_retention(at timestamp with time zone) IS 'Detaches and drops whole partitions whose month ended before each registered table''s retention, counted back from `at`, in drop_order within a month and after each table''s before_drop hook, serialised against overlapping maintenance; returns what it dropped.';

--
-- Name: artifact_deletion_jobs(jsonb); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.artifact_deletion_jobs(artifacts jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform graphile_worker.add_jobs(array(
    select row(
             'pipeline_artifacts__delete',
             pg_catalog.json_build_object('orgId', a ->> 'organization_id', 'artifactId', a ->> 'id',
                                          'storageKey', a ->> 'storage_key'),
             null, null, 25, 'pipeline_artifacts__delete:' || (a ->> 'id'), null, null
           )::graphile_worker.job_spec
      from pg_catalog.jsonb_array_elements(artifact_deletion_jobs.artifacts) a));
end;
$$;

--
-- Name: FUNCTION artifact_deletion_jobs(artifacts jsonb); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.artifact_deletion_jobs(artifacts jsonb) IS 'Enqueues one pipeline_artifacts__delete job per artifact (a JSON array of rows with organization_id, id, storage_key).';

--
-- Name: artifact_retention_days(uuid); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.artifact_retention_days(org uuid) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce((select (o.settings ->> 'artifact_retention_days')::integer
                     from app_public.organizations o where o.id = artifact_retention_days.org), 90);
$$;

--
-- Name: FUNCTION artifact_retention_days(org uuid); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.artifact_retention_days(org uuid) IS 'How many days an organization keeps pipeline artifacts: settings.artifact_retention_days, default 90.';

--
-- Name: assert_valid_user(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.assert_valid_user(name text, email text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  if pg_catalog.length(pg_catalog.btrim(coalesce(assert_valid_user.name, ''))) = 0 then
    raise exception 'A user needs a name' using errcode = 'FL005';
  end if;
  if assert_valid_user.email is null
     or assert_valid_user.email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'
     or pg_catalog.length(assert_valid_user.email) > 320 then
    raise exception 'The email address "%" is not valid', assert_valid_user.email
      using errcode = 'FL005', hint = 'Use an address like name@example.com.';
  end if;
end;
$_$;

--
-- Name: FUNCTION assert_valid_user(name text, email text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.assert_valid_user(name text, email text) IS 'Raises FL005 for an empty name or a malformed email address.';

--
-- Name: current_org_id(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_org_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select nullif(pg_catalog.current_setting('jwt.claims.org_id', true), '')::uuid;
$$;

--
-- Name: FUNCTION current_org_id(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_org_id() IS 'The organization the current request acts for (the verified token''s `org_id` claim), or null.';

--
-- Name: current_user_id(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select nullif(pg_catalog.current_setting('jwt.claims.user_id', true), '')::uuid;
$$;

--
-- Name: FUNCTION current_user_id(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_user_id() IS 'The user the current request acts for (the verified token''s `user_id` claim), or null.';

SET default_table_access_method = heap;

--
-- Name: pipelines; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.pipelines (
    organization_id uuid DEFAULT app_public.current_org_id() NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    repository_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    definition jsonb NOT NULL,
    trigger_config jsonb DEFAULT '{}'::jsonb NOT NULL,
    status app_public.pipeline_status DEFAULT 'active'::app_public.pipeline_status NOT NULL,
    concurrency_limit integer,
    concurrency_group text,
    cancel_in_progress boolean DEFAULT false NOT NULL,
    created_by uuid DEFAULT app_public.current_user_id(),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    definition_steps jsonb GENERATED ALWAYS AS (app_hidden.pipeline_definition_step_rows(definition)) STORED NOT NULL,
    CONSTRAINT pipelines_concurrency_limit_check CHECK (((concurrency_limit >= 1) AND (concurrency_limit <= 1000))),
    CONSTRAINT pipelines_description_check CHECK ((length(description) <= 2000)),
    CONSTRAINT pipelines_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100)))
);
ALTER TABLE ONLY app_public.pipelines ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE pipelines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.pipelines IS 'A CI/CD pipeline of a repository: its steps (`definition`), what triggers it and how many of its runs may go at once. Admins manage pipelines; members start runs (`startExecution`).';

--
-- Name: COLUMN pipelines.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.organization_id IS 'The organization the pipeline belongs to.';

--
-- Name: COLUMN pipelines.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.id IS 'The pipeline''s id.';

--
-- Name: COLUMN pipelines.repository_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.repository_id IS 'The repository it builds (fixed once set).';

--
-- Name: COLUMN pipelines.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.name IS '@behavior +orderBy
Its name, 1 to 100 characters, unique in the repository.';

--
-- Name: COLUMN pipelines.description; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.description IS 'What it is for.';

--
-- Name: COLUMN pipelines.definition; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.definition IS 'Its steps, as JSON: `{"steps": [{"name": "build", "run": "make"}, {"name": "test", "needs": ["build"], "timeout_minutes": 10, "retry": {"max_attempts": 2}}], "timeout_minutes": 60, "deployment": {"environment": "production"}}`. A step may name its `job` (GitHub Actions: a job''s steps run in order, and `needs` may name a job); `jobs: {"test": {"needs": ["build"], "metadata": {"runs-on": "ubuntu-latest"}}}` gives a job its own needs. A step is keyed by its `id`, else its `name` (any printable text up to 100 characters), else `<job>#<n>`; `metadata` (of a step, a job or the definition) is stored as given. Checked when written: FL201 names the offending path in `detail`.';

--
-- Name: COLUMN pipelines.trigger_config; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.trigger_config IS 'Which events start it automatically: `{"events": ["push", "pull_request"], "branches": ["main", "release/**"]}` (absent keys accept all).';

--
-- Name: COLUMN pipelines.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.status IS '@behavior +filterBy
`ACTIVE`, or `DISABLED` (no new runs).';

--
-- Name: COLUMN pipelines.concurrency_limit; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.concurrency_limit IS 'At most this many of its executions run at once (null: no limit); the others queue.';

--
-- Name: COLUMN pipelines.concurrency_group; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.concurrency_group IS 'A concurrency group (GitHub Actions semantics, across the repository): at most one execution of a group runs and one waits; a newer waiting one replaces the older, which ends cancelled. May use `{branch}`, `{event}`, `{pipeline}`, `{pull_request}`, e.g. `deploy-{branch}`.';

--
-- Name: COLUMN pipelines.cancel_in_progress; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.cancel_in_progress IS 'With a concurrency group: a new execution also cancels the group''s running one.';

--
-- Name: COLUMN pipelines.created_by; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.created_by IS 'The user who created it.';

--
-- Name: COLUMN pipelines.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.created_at IS 'When it was created.';

--
-- Name: COLUMN pipelines.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.updated_at IS 'When it was last changed.';

--
-- Name: COLUMN pipelines.definition_steps; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipelines.definition_steps IS '@behavior -*
The definition''s steps as an execution''s step rows (internal: what start_execution copies); computed by the database.';

--
-- Name: create_execution(app_public.pipelines, text, text, text, integer, jsonb, uuid, timestamp with time zone, app_public.pipeline_executions, boolean); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.create_execution(pipeline app_public.pipelines, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb, actor_id uuid, at timestamp with time zone, previous app_public.pipeline_executions DEFAULT NULL::app_public.pipeline_executions, failed_only boolean DEFAULT false) RETURNS app_public.pipeline_executions
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

--
-- Name: FUNCTION create_execution(pipeline app_public.pipelines, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb, actor_id uuid, at timestamp with time zone, previous app_public.pipeline_executions, failed_only boolean); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.create_execution(pipeline app_public.pipelines, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb, actor_id uuid, at timestamp with time zone, previous app_public.pipeline_executions, failed_only boolean) IS 'Creates an execution with its steps (from the definition, or for a re-run from the previous attempt), applies its concurrency group and dispatches; validates the trigger fields (FL204).';

--
-- Name: derived_conclusion(uuid, uuid, timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.derived_conclusion(org uuid, execution_id uuid, execution_created_at timestamp with time zone) RETURNS app_public.pipeline_conclusion
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION derived_conclusion(org uuid, execution_id uuid, execution_created_at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.derived_conclusion(org uuid, execution_id uuid, execution_created_at timestamp with time zone) IS 'An execution''s conclusion from its steps: failure if a step failed or timed out (without continue_on_error), else cancelled if one was, skipped if all were, else success.';

--
-- Name: dispatch_executions(uuid, uuid, timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.dispatch_executions(org uuid, repository_id uuid, at timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION dispatch_executions(org uuid, repository_id uuid, at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.dispatch_executions(org uuid, repository_id uuid, at timestamp with time zone) IS 'Starts every queued or waiting execution of the repository that its concurrency limit and group allow, oldest first; the caller holds lock_pipeline_runs(). Returns how many started.';

--
-- Name: enable_audit(regclass, text[]); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.enable_audit(target regclass, omit text[] DEFAULT '{updated_at,created_at}'::text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_org_column text;
  v_keys text;
  v_args text;
begin
  select case when exists (select 1 from pg_catalog.pg_attribute a
                            where a.attrelid = enable_audit.target and a.attname = 'organization_id'
                              and not a.attisdropped)
              then 'organization_id' else 'id' end
    into v_org_column;
  select pg_catalog.string_agg(a.attname, ',' order by k.ord)
    into v_keys
    from pg_catalog.pg_index i
    cross join lateral pg_catalog.unnest(i.indkey) with ordinality k(attnum, ord)
    join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
   where i.indrelid = enable_audit.target and i.indisprimary;
  if v_keys is null then
    raise exception 'Table % has no primary key to audit by', enable_audit.target using errcode = 'FL005';
  end if;
  v_args := pg_catalog.format('%L, %L, %L', v_org_column, v_keys, pg_catalog.array_to_string(enable_audit.omit, ','));
  execute pg_catalog.format(
    'create trigger _800_audit_insert after insert on %s referencing new table as new_rows
       for each statement execute function app_private.tg__audit(%s)', enable_audit.target, v_args);
  execute pg_catalog.format(
    'create trigger _800_audit_update after update on %s referencing old table as old_rows new table as new_rows
       for each statement execute function app_private.tg__audit(%s)', enable_audit.target, v_args);
  execute pg_catalog.format(
    'create trigger _800_audit_delete after delete on %s referencing old table as old_rows
       for each statement execute function app_private.tg__audit(%s)', enable_audit.target, v_args);
end;
$$;

--
-- Name: FUNCTION enable_audit(target regclass, omit text[]); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.enable_audit(target regclass, omit text[]) IS 'Opts a table into the audit log (one line per table in a migration); `omit` lists columns never recorded.';

--
-- Name: end_execution(uuid, uuid, timestamp with time zone, app_public.pipeline_conclusion, app_public.pipeline_conclusion, app_public.pipeline_conclusion, timestamp with time zone, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.end_execution(org uuid, execution_id uuid, execution_created_at timestamp with time zone, conclusion app_public.pipeline_conclusion, running_steps app_public.pipeline_conclusion, pending_steps app_public.pipeline_conclusion, at timestamp with time zone, reason text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION end_execution(org uuid, execution_id uuid, execution_created_at timestamp with time zone, conclusion app_public.pipeline_conclusion, running_steps app_public.pipeline_conclusion, pending_steps app_public.pipeline_conclusion, at timestamp with time zone, reason text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.end_execution(org uuid, execution_id uuid, execution_created_at timestamp with time zone, conclusion app_public.pipeline_conclusion, running_steps app_public.pipeline_conclusion, pending_steps app_public.pipeline_conclusion, at timestamp with time zone, reason text) IS 'Completes an execution with a conclusion (null: the one its steps give once ended), and its unfinished steps (running ones and pending ones each with their own conclusion); the caller holds lock_pipeline_runs() and dispatches afterwards.';

--
-- Name: expire_pipeline_artifacts(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.expire_pipeline_artifacts(at timestamp with time zone DEFAULT now()) RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_count integer;
begin
  -- At most 10,000 per run (maintenance runs every minute): a backlog drains
  -- over a few runs instead of holding one long transaction.
  with expired as (
    select a.organization_id, a.id, a.execution_created_at
      from app_public.pipeline_artifacts a
     where a.expires_at <= expire_pipeline_artifacts.at
     order by a.expires_at
     limit 10000
  ), gone as (
    delete from app_public.pipeline_artifacts a
     using expired x
     where a.organization_id = x.organization_id and a.id = x.id
       and a.execution_created_at = x.execution_created_at
    returning 1
  )
  select pg_catalog.count(*) into v_count from gone;
  if v_count > 0 then
    return next pg_catalog.format('expired %s pipeline artifacts', v_count);
  end if;
end;
$$;

--
-- Name: FUNCTION expire_pipeline_artifacts(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.expire_pipeline_artifacts(at timestamp with time zone) IS 'Deletes (up to 10,000) artifacts whose expires_at has passed; their objects are then deleted by the worker. Returns what it did.';

--
-- Name: pipeline_steps; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.pipeline_steps (
    organization_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    execution_created_at timestamp with time zone NOT NULL,
    execution_id uuid NOT NULL,
    name text NOT NULL,
    job text,
    "position" integer NOT NULL,
    needs text[] DEFAULT '{}'::text[] NOT NULL,
    status app_public.pipeline_run_status DEFAULT 'queued'::app_public.pipeline_run_status NOT NULL,
    conclusion app_public.pipeline_conclusion,
    attempt integer DEFAULT 1 NOT NULL,
    max_attempts integer DEFAULT 1 NOT NULL,
    timeout_minutes integer NOT NULL,
    continue_on_error boolean DEFAULT false NOT NULL,
    spec jsonb DEFAULT '{}'::jsonb NOT NULL,
    reused boolean DEFAULT false NOT NULL,
    started_at timestamp with time zone,
    completed_at timestamp with time zone,
    timeout_at timestamp with time zone,
    exit_code integer,
    metrics jsonb DEFAULT '{}'::jsonb NOT NULL,
    error jsonb,
    previous_attempts jsonb DEFAULT '[]'::jsonb NOT NULL,
    log_bytes integer DEFAULT 0 NOT NULL,
    log_chunks integer DEFAULT 0 NOT NULL,
    duration_ms bigint GENERATED ALWAYS AS (((EXTRACT(epoch FROM (completed_at - started_at)) * (1000)::numeric))::bigint) STORED,
    CONSTRAINT pipeline_steps_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT pipeline_steps_check CHECK (((status = 'completed'::app_public.pipeline_run_status) = (conclusion IS NOT NULL))),
    CONSTRAINT pipeline_steps_check1 CHECK (((status <> 'in_progress'::app_public.pipeline_run_status) OR (started_at IS NOT NULL))),
    CONSTRAINT pipeline_steps_error_check CHECK ((jsonb_typeof(error) = 'object'::text)),
    CONSTRAINT pipeline_steps_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 10))),
    CONSTRAINT pipeline_steps_metrics_check CHECK ((jsonb_typeof(metrics) = 'object'::text)),
    CONSTRAINT pipeline_steps_position_check CHECK (("position" >= 0)),
    CONSTRAINT pipeline_steps_previous_attempts_check CHECK ((jsonb_typeof(previous_attempts) = 'array'::text)),
    CONSTRAINT pipeline_steps_status_check CHECK ((status <> 'waiting'::app_public.pipeline_run_status)),
    CONSTRAINT pipeline_steps_timeout_minutes_check CHECK (((timeout_minutes >= 1) AND (timeout_minutes <= 4320)))
)
PARTITION BY RANGE (execution_created_at);
ALTER TABLE ONLY app_public.pipeline_steps ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE pipeline_steps; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.pipeline_steps IS '@behavior -insert -update -delete
A step of an execution, from its pipeline''s definition; started and completed by runners (`readySteps`, `startStep`, `appendStepLog`, `completeStep`).';

--
-- Name: COLUMN pipeline_steps.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.organization_id IS 'The organization it belongs to.';

--
-- Name: COLUMN pipeline_steps.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.id IS 'The step''s id.';

--
-- Name: COLUMN pipeline_steps.execution_created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.execution_created_at IS 'Its execution''s creation time (the partition key they share).';

--
-- Name: COLUMN pipeline_steps.execution_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.execution_id IS 'The execution it is a step of.';

--
-- Name: COLUMN pipeline_steps.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.name IS 'Its name in the definition, unique in the execution.';

--
-- Name: COLUMN pipeline_steps.job; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.job IS 'The job it belongs to (GitHub Actions), if any.';

--
-- Name: COLUMN pipeline_steps."position"; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps."position" IS '@behavior +orderBy
Its place in the definition, from 0.';

--
-- Name: COLUMN pipeline_steps.needs; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.needs IS 'The steps that must succeed before it starts (names; jobs and the order within a job resolved).';

--
-- Name: COLUMN pipeline_steps.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.status IS '`QUEUED` (not started), `IN_PROGRESS` or `COMPLETED`; set by the database.';

--
-- Name: COLUMN pipeline_steps.conclusion; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.conclusion IS 'How it ended, once completed.';

--
-- Name: COLUMN pipeline_steps.attempt; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.attempt IS 'Which try this is (its retry policy allows max_attempts).';

--
-- Name: COLUMN pipeline_steps.max_attempts; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.max_attempts IS 'How many tries a failure or timeout allows.';

--
-- Name: COLUMN pipeline_steps.timeout_minutes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.timeout_minutes IS 'It ends `TIMED_OUT` after running this long.';

--
-- Name: COLUMN pipeline_steps.continue_on_error; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.continue_on_error IS 'A failure of this step does not stop what needs it, nor fail the execution.';

--
-- Name: COLUMN pipeline_steps.spec; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.spec IS 'The rest of its definition (run, uses, with, env, if).';

--
-- Name: COLUMN pipeline_steps.reused; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.reused IS 'Kept from the previous attempt by a re-run of failed steps (not run again).';

--
-- Name: COLUMN pipeline_steps.started_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.started_at IS 'When it started (this attempt); set by the database.';

--
-- Name: COLUMN pipeline_steps.completed_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.completed_at IS 'When it completed; set by the database.';

--
-- Name: COLUMN pipeline_steps.timeout_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.timeout_at IS 'When it will time out, while it runs.';

--
-- Name: COLUMN pipeline_steps.exit_code; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.exit_code IS 'The exit code the runner reported.';

--
-- Name: COLUMN pipeline_steps.metrics; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.metrics IS 'Metrics the runner reported (a JSON object, merged over completions).';

--
-- Name: COLUMN pipeline_steps.error; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.error IS 'Error details, if it failed or timed out.';

--
-- Name: COLUMN pipeline_steps.previous_attempts; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.previous_attempts IS 'The earlier tries of this step (attempt, conclusion, exit code, error, times).';

--
-- Name: COLUMN pipeline_steps.log_bytes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.log_bytes IS 'The size of its log so far, in bytes.';

--
-- Name: COLUMN pipeline_steps.log_chunks; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.log_chunks IS '@behavior -*
How many chunks its log has (internal).';

--
-- Name: COLUMN pipeline_steps.duration_ms; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_steps.duration_ms IS 'From started to completed, in ms; computed by the database.';

--
-- Name: finish_step(app_public.pipeline_steps, app_public.pipeline_conclusion, integer, jsonb, jsonb, timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.finish_step(step app_public.pipeline_steps, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb, at timestamp with time zone) RETURNS app_public.pipeline_steps
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION finish_step(step app_public.pipeline_steps, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb, at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.finish_step(step app_public.pipeline_steps, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb, at timestamp with time zone) IS 'Ends a step (or retries it under its retry policy), skips what can no longer run, and completes the execution after its last step; the caller holds the run lock.';

--
-- Name: guard_partition(regclass, regclass); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.guard_partition(parent regclass, part regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_trigger record;
  v_option record;
begin
  execute pg_catalog.format('alter table %s enable row level security', guard_partition.part);
  for v_option in
    select a.attname, o.opt
      from pg_catalog.pg_attribute a
     cross join lateral pg_catalog.unnest(a.attoptions) o(opt)
     where a.attrelid = guard_partition.parent and a.attnum > 0 and not a.attisdropped
       and o.opt like 'n\_distinct=%'
  loop
    execute pg_catalog.format('alter table %s alter column %I set (%s)',
                              guard_partition.part, v_option.attname, v_option.opt);
  end loop;
  for v_trigger in
    select t.tgname, t.tgfoid::regproc as fn,
           case when (t.tgtype & 2) <> 0 then 'before' else 'after' end as timing
      from pg_catalog.pg_trigger t
     where t.tgrelid = guard_partition.parent and not t.tgisinternal
       and (t.tgtype & 32) <> 0          -- TRUNCATE
       and t.tgnargs = 0
  loop
    if not exists (select 1 from pg_catalog.pg_trigger p
                    where p.tgrelid = guard_partition.part and p.tgname = v_trigger.tgname) then
      execute pg_catalog.format(
        'create trigger %I %s truncate on %s for each statement execute function %s()',
        v_trigger.tgname, v_trigger.timing, guard_partition.part, v_trigger.fn);
    end if;
  end loop;
end;
$$;

--
-- Name: FUNCTION guard_partition(parent regclass, part regclass); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.guard_partition(parent regclass, part regclass) IS 'Gives a partition its parent''s RLS, statement-level TRUNCATE triggers and n_distinct settings (not copied by PostgreSQL).';

--
-- Name: jsonb_pick(jsonb, text[]); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.jsonb_pick(j jsonb, keys text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce(pg_catalog.jsonb_object_agg(k, j -> k), '{}'::jsonb)
    from pg_catalog.unnest(keys) k;
$$;

--
-- Name: FUNCTION jsonb_pick(j jsonb, keys text[]); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.jsonb_pick(j jsonb, keys text[]) IS 'The given keys of a JSON object (a row''s key columns, for audit events).';

--
-- Name: lock_execution(uuid); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.lock_execution(execution_id uuid) RETURNS app_public.pipeline_executions
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION lock_execution(execution_id uuid); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.lock_execution(execution_id uuid) IS 'Finds an execution of the current organization (FL003), takes its repository''s run lock and returns it as it is under the lock.';

--
-- Name: lock_organization(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.lock_organization() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform 1 from app_public.organizations o
   where o.id = app_public.current_org_id()
     for no key update;
end;
$$;

--
-- Name: FUNCTION lock_organization(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.lock_organization() IS 'Locks the current organization''s row until the transaction ends (serialises organization-wide rules).';

--
-- Name: lock_pipeline_runs(uuid, uuid); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.lock_pipeline_runs(org uuid, repository_id uuid) RETURNS void
    LANGUAGE sql
    AS $$
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
    'forgeline.pipeline_runs:' || lock_pipeline_runs.org::text || ':' || lock_pipeline_runs.repository_id::text, 0));
$$;

--
-- Name: FUNCTION lock_pipeline_runs(org uuid, repository_id uuid); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.lock_pipeline_runs(org uuid, repository_id uuid) IS 'Serialises the run-state changes of one repository''s pipelines for the rest of the transaction (taken first by every writer).';

--
-- Name: lock_step(uuid); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.lock_step(step_id uuid) RETURNS app_public.pipeline_steps
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION lock_step(step_id uuid); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.lock_step(step_id uuid) IS 'Finds a step of the current organization (FL003), takes its repository''s run lock and returns it as it is under the lock.';

--
-- Name: lock_task_project(uuid, uuid, boolean); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.lock_task_project(organization_id uuid, project_id uuid, for_insert boolean DEFAULT false) RETURNS app_public.project_status
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_status app_public.project_status;
begin
  if lock_task_project.for_insert then
    select p.status into v_status
      from app_public.projects p
     where p.organization_id = lock_task_project.organization_id
       and p.id = lock_task_project.project_id
       and exists (select 1 from app_public.organizations o where o.id = p.organization_id)
       for no key update of p;
  else
    select p.status into v_status
      from app_public.projects p
     where p.organization_id = lock_task_project.organization_id
       and p.id = lock_task_project.project_id
       and exists (select 1 from app_public.organizations o where o.id = p.organization_id)
       for key share of p;
  end if;
  return v_status;
end;
$$;

--
-- Name: FUNCTION lock_task_project(organization_id uuid, project_id uuid, for_insert boolean); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.lock_task_project(organization_id uuid, project_id uuid, for_insert boolean) IS 'The status of a task''s project, its row locked against a concurrent archiving (null when the project or organization is gone).';

--
-- Name: maintain_partitions(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.maintain_partitions(at timestamp with time zone DEFAULT now()) RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_table record;
  v_month date;
  v_name text;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('forgeline.maintenance', 0));
  for v_table in
    select p.table_name::regclass as parent, c.relname, p.premake
      from app_private.partitioned_tables p
      join pg_catalog.pg_class c on c.oid = p.table_name
     order by c.relname
  loop
    for i in 0 .. v_table.premake loop
      v_month := (pg_catalog.date_trunc('month', maintain_partitions.at at time zone 'UTC')
                  + pg_catalog.make_interval(months => i))::date;
      v_name := pg_catalog.format('%s_p%s', v_table.relname, pg_catalog.to_char(v_month, 'YYYYMM'));
      if pg_catalog.to_regclass(pg_catalog.format('app_partitions.%I', v_name)) is null then
        execute pg_catalog.format(
          'create table if not exists app_partitions.%I partition of %s for values from (%L) to (%L)',
          v_name, v_table.parent,
          (v_month::timestamp at time zone 'UTC'),
          ((v_month + interval '1 month')::timestamp at time zone 'UTC'));
        perform app_private.guard_partition(v_table.parent,
                                            pg_catalog.format('app_partitions.%I', v_name)::regclass);
        return next pg_catalog.format('created app_partitions.%I', v_name);
      end if;
    end loop;
  end loop;
end;
$$;

--
-- Name: FUNCTION maintain_partitions(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.maintain_partitions(at timestamp with time zone) IS 'Creates the missing monthly partitions of every registered table for the month of `at` and the months ahead, serialised against overlapping maintenance; returns what it created.';

--
-- Name: maintenance_is_scheduled_elsewhere(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.maintenance_is_scheduled_elsewhere(at timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce((
    select s.scheduler = 'pg_cron'
       and s.scheduler_last_run_at > maintenance_is_scheduled_elsewhere.at - interval '10 minutes'
      from app_private.maintenance_state s), false);
$$;

--
-- Name: FUNCTION maintenance_is_scheduled_elsewhere(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.maintenance_is_scheduled_elsewhere(at timestamp with time zone) IS 'Whether pg_cron has the maintenance job and ran it in the last ten minutes (the worker then skips its own run).';

--
-- Name: pipeline_artifacts__before_drop(regclass); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.pipeline_artifacts__before_drop(part regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_rows jsonb;
begin
  execute pg_catalog.format(
    'select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''organization_id'', a.organization_id, ''id'', a.id, ''storage_key'', a.storage_key)) from %s a',
    pipeline_artifacts__before_drop.part)
    into v_rows;
  if v_rows is not null then
    perform app_private.artifact_deletion_jobs(v_rows);
  end if;
end;
$$;

--
-- Name: FUNCTION pipeline_artifacts__before_drop(part regclass); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.pipeline_artifacts__before_drop(part regclass) IS 'Retention hook: before a month of artifacts is dropped, enqueues the deletion of the objects its rows still point at.';

--
-- Name: prune_rate_limit_buckets(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.prune_rate_limit_buckets(at timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  with gone as (
    delete from app_private.rate_limit_buckets b
     where b.refilled_at < prune_rate_limit_buckets.at - interval '1 hour'
    returning 1)
  select pg_catalog.count(*) from gone;
$$;

--
-- Name: FUNCTION prune_rate_limit_buckets(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.prune_rate_limit_buckets(at timestamp with time zone) IS 'Removes rate-limit buckets idle for an hour before `at` (they would be full again); returns how many.';

--
-- Name: record_maintenance_schedule(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.record_maintenance_schedule(scheduler text, job text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  insert into app_private.maintenance_state as s (singleton, scheduler, scheduled_job, scheduled_at)
  values (true, record_maintenance_schedule.scheduler, record_maintenance_schedule.job,
          case when record_maintenance_schedule.scheduler is null then null else pg_catalog.now() end)
  on conflict (singleton) do update
     set scheduler = excluded.scheduler, scheduled_job = excluded.scheduled_job,
         scheduled_at = excluded.scheduled_at;
$$;

--
-- Name: FUNCTION record_maintenance_schedule(scheduler text, job text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.record_maintenance_schedule(scheduler text, job text) IS 'Records that maintenance is (or, with nulls, is no longer) scheduled by another scheduler such as pg_cron.';

--
-- Name: require_role(app_public.user_role); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.require_role(minimum app_public.user_role) RETURNS app_public.user_role
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_role app_public.user_role := app_public.current_user_role();
begin
  if v_role is null then
    raise exception 'You must be signed in to an organization to do this'
      using errcode = 'FL001', hint = 'Send a token that carries org_id and user_id claims.';
  end if;
  if v_role < require_role.minimum then
    raise exception 'Your role (%) may not do this; it needs % or above', v_role, require_role.minimum
      using errcode = 'FL002';
  end if;
  return v_role;
end;
$$;

--
-- Name: FUNCTION require_role(minimum app_public.user_role); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.require_role(minimum app_public.user_role) IS 'Raises FL001/FL002 unless the caller holds at least the given role in the current organization.';

--
-- Name: run_maintenance(timestamp with time zone, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.run_maintenance(at timestamp with time zone DEFAULT now(), caller text DEFAULT 'unknown'::text) RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_pruned bigint;
  v_step record;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('forgeline.maintenance', 0));
  return query select app_private.maintain_partitions(run_maintenance.at);
  return query select app_private.apply_retention(run_maintenance.at);
  v_pruned := app_private.prune_rate_limit_buckets(run_maintenance.at);
  if v_pruned > 0 then
    return next pg_catalog.format('pruned %s idle rate-limit buckets', v_pruned);
  end if;
  for v_step in select m.fn from app_private.maintenance_steps m order by m.position, m.name loop
    return query execute pg_catalog.format('select * from %s($1)', v_step.fn::regproc) using run_maintenance.at;
  end loop;
  insert into app_private.maintenance_state as s (singleton, last_run_at, last_run_by)
  values (true, pg_catalog.clock_timestamp(),
          pg_catalog.left(coalesce(nullif(run_maintenance.caller, ''), 'unknown'), 64))
  on conflict (singleton) do update
     set last_run_at = excluded.last_run_at,
         last_run_by = excluded.last_run_by,
         scheduler_last_run_at = case when excluded.last_run_by = s.scheduler
                                      then excluded.last_run_at else s.scheduler_last_run_at end;
end;
$_$;

--
-- Name: FUNCTION run_maintenance(at timestamp with time zone, caller text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.run_maintenance(at timestamp with time zone, caller text) IS 'Routine maintenance (partitions ahead, retention, idle rate-limit buckets, the modules'' registered steps), serialised against overlapping runs; returns what it did.';

--
-- Name: set_current_tenant(uuid); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.set_current_tenant(org_id uuid) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if set_current_tenant.org_id is null then
    raise exception 'A tenant id is required' using errcode = 'FL008',
      hint = 'Pass the organization id the job acts for.';
  end if;
  if not exists (select 1 from app_public.organizations o where o.id = set_current_tenant.org_id) then
    raise exception 'No organization with id %', set_current_tenant.org_id using errcode = 'FL003';
  end if;
  perform pg_catalog.set_config('jwt.claims.org_id', set_current_tenant.org_id::text, true);
  perform pg_catalog.set_config('jwt.claims.user_id', '', true);
  perform pg_catalog.set_config('jwt.claims.role', '', true);
  perform pg_catalog.set_config('forgeline.service_tenant', set_current_tenant.org_id::text, true);
end;
$$;

--
-- Name: FUNCTION set_current_tenant(org_id uuid); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.set_current_tenant(org_id uuid) IS 'Trusted code only: act for one organization, with no user, for the rest of the transaction.';

--
-- Name: organization_limits; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.organization_limits (
    organization_id uuid NOT NULL,
    requests_per_minute integer NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organization_limits_note_check CHECK ((length(note) <= 500)),
    CONSTRAINT organization_limits_requests_per_minute_check CHECK (((requests_per_minute >= 1) AND (requests_per_minute <= 1000000000)))
);
ALTER TABLE ONLY app_private.organization_limits ALTER COLUMN organization_id SET (n_distinct=-1);

--
-- Name: TABLE organization_limits; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.organization_limits IS 'The operator''s per-organization overrides of service limits (API requests per minute); never writable by a tenant.';

--
-- Name: set_organization_limit(uuid, integer, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.set_organization_limit(organization_id uuid, requests_per_minute integer, note text DEFAULT NULL::text) RETURNS app_private.organization_limits
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_row app_private.organization_limits;
begin
  if not exists (select 1 from app_public.organizations o
                  where o.id = set_organization_limit.organization_id) then
    raise exception 'No organization with id %', set_organization_limit.organization_id
      using errcode = 'FL003';
  end if;
  if set_organization_limit.requests_per_minute is null then
    delete from app_private.organization_limits l
     where l.organization_id = set_organization_limit.organization_id
    returning * into v_row;
    return v_row;
  end if;
  if set_organization_limit.requests_per_minute not between 1 and 1000000000 then
    raise exception 'A rate limit is 1 to 1,000,000,000 requests per minute, not %',
      set_organization_limit.requests_per_minute
      using errcode = 'FL005', hint = 'Clear the override instead to use the server default.';
  end if;
  insert into app_private.organization_limits as l (organization_id, requests_per_minute, note)
  values (set_organization_limit.organization_id, set_organization_limit.requests_per_minute,
          set_organization_limit.note)
  on conflict on constraint organization_limits_pkey do update
     set requests_per_minute = excluded.requests_per_minute,
         note = coalesce(excluded.note, l.note)
  returning * into v_row;
  return v_row;
end;
$$;

--
-- Name: FUNCTION set_organization_limit(organization_id uuid, requests_per_minute integer, note text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.set_organization_limit(organization_id uuid, requests_per_minute integer, note text) IS 'Operator only: sets (or with null clears) an organization''s API rate limit per minute.';

--
-- Name: pipeline_limits; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.pipeline_limits (
    organization_id uuid NOT NULL,
    step_log_bytes integer NOT NULL,
    note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pipeline_limits_note_check CHECK ((length(note) <= 500)),
    CONSTRAINT pipeline_limits_step_log_bytes_check CHECK (((step_log_bytes >= 1024) AND (step_log_bytes <= 1073741824)))
);
ALTER TABLE ONLY app_private.pipeline_limits ALTER COLUMN organization_id SET (n_distinct=-1);

--
-- Name: TABLE pipeline_limits; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.pipeline_limits IS 'The operator''s per-organization overrides of pipeline limits (bytes of log per step); never readable or writable by a tenant.';

--
-- Name: set_pipeline_limit(uuid, integer, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.set_pipeline_limit(organization_id uuid, step_log_bytes integer, note text DEFAULT NULL::text) RETURNS app_private.pipeline_limits
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_row app_private.pipeline_limits;
begin
  if not exists (select 1 from app_public.organizations o where o.id = set_pipeline_limit.organization_id) then
    raise exception 'No organization with id %', set_pipeline_limit.organization_id using errcode = 'FL003';
  end if;
  if set_pipeline_limit.step_log_bytes is null then
    delete from app_private.pipeline_limits l where l.organization_id = set_pipeline_limit.organization_id
    returning * into v_row;
    return v_row;
  end if;
  if set_pipeline_limit.step_log_bytes not between 1024 and 1073741824 then
    raise exception 'A step log limit is 1 KiB to 1 GiB, not % bytes', set_pipeline_limit.step_log_bytes
      using errcode = 'FL005', hint = 'Clear the override instead to use the default (4 MiB).';
  end if;
  insert into app_private.pipeline_limits as l (organization_id, step_log_bytes, note)
  values (set_pipeline_limit.organization_id, set_pipeline_limit.step_log_bytes, set_pipeline_limit.note)
  on conflict on constraint pipeline_limits_pkey do update
     set step_log_bytes = excluded.step_log_bytes, note = coalesce(excluded.note, l.note)
  returning * into v_row;
  return v_row;
end;
$$;

--
-- Name: FUNCTION set_pipeline_limit(organization_id uuid, step_log_bytes integer, note text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.set_pipeline_limit(organization_id uuid, step_log_bytes integer, note text) IS 'Operator only: sets (or with null clears) an organization''s cap on the bytes of log per pipeline step.';

--
-- Name: step_log_limit(uuid); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.step_log_limit(org uuid) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  -- plpgsql, not language sql: a sub-select is never inlined, and its plan is kept here.
  return coalesce((select l.step_log_bytes from app_private.pipeline_limits l
                    where l.organization_id = step_log_limit.org), 4194304);
end;
$$;

--
-- Name: FUNCTION step_log_limit(org uuid); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.step_log_limit(org uuid) IS 'The most bytes of log a step of this organization may have: the operator''s override (app_private.pipeline_limits, `forgeline limits`), else 4 MiB.';

--
-- Name: take_request_tokens(uuid, text, integer, integer, integer); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer) RETURNS TABLE(granted integer, retry_after_ms integer, lim integer, remaining integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the authenticator may take tokens, not read or write the table.
declare
  v_limit integer;
  v_rate double precision;
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_tokens double precision;
  v_seen timestamptz;
  v_granted integer;
begin
  if take_request_tokens.wanted is null or take_request_tokens.wanted < 1 then
    raise exception 'wanted must be at least 1' using errcode = 'FL005';
  end if;
  if take_request_tokens.org_id is null then
    v_limit := take_request_tokens.anonymous_per_minute;
  else
    -- The operator's override (set_organization_limit), never the tenant's settings.
    select l.requests_per_minute into v_limit
      from app_private.organization_limits l where l.organization_id = take_request_tokens.org_id;
    v_limit := coalesce(v_limit, take_request_tokens.default_per_minute);
  end if;
  v_rate := v_limit / 60.0;

  -- A new key starts with a full bucket; then the row is locked for this taker.
  insert into app_private.rate_limit_buckets as b (key, tokens, refilled_at)
  values (take_request_tokens.key, v_limit, v_now)
  on conflict on constraint rate_limit_buckets_pkey do nothing;
  select b.tokens, b.refilled_at into v_tokens, v_seen
    from app_private.rate_limit_buckets b where b.key = take_request_tokens.key
     for update;

  v_tokens := least(v_limit::double precision,
                    v_tokens + greatest(0, extract(epoch from v_now - v_seen)) * v_rate);
  v_granted := case when v_tokens >= 1
                    then least(take_request_tokens.wanted, pg_catalog.floor(v_tokens))::integer
                    else 0 end;
  update app_private.rate_limit_buckets b
     set tokens = v_tokens - v_granted, refilled_at = greatest(v_seen, v_now)
   where b.key = take_request_tokens.key;

  return query select
    v_granted,
    case when v_granted > 0 then 0
         else greatest(1, pg_catalog.ceil((1 - v_tokens) / v_rate * 1000))::integer end,
    v_limit,
    greatest(0, pg_catalog.floor(v_tokens - v_granted))::integer;
end;
$$;

--
-- Name: FUNCTION take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer) IS 'Takes up to `wanted` requests from the key''s token bucket; says how many were granted and, when none, when to retry.';

--
-- Name: tg__audit(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg__audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Definer: the visitor has no insert grant on audit_events; this is its only writer.
declare
  v_org_column text := tg_argv[0];
  v_keys text[] := pg_catalog.string_to_array(tg_argv[1], ',');
  v_omit text[] := pg_catalog.string_to_array(coalesce(tg_argv[2], ''), ',');
  v_user uuid := app_public.current_user_id();
  v_actor text := coalesce(
    nullif(pg_catalog.current_setting('forgeline.actor', true), ''),
    case when v_user is not null then 'user' else 'system' end);
  -- The API validates x-request-id before setting it; trusted code might not, and
  -- a log must not store whatever it is handed: anything else is recorded as null.
  v_request text := case when pg_catalog.current_setting('forgeline.request_id', true)
                              ~ '^[A-Za-z0-9._-]{1,64}$'
                         then pg_catalog.current_setting('forgeline.request_id', true) end;
  v_table text := pg_catalog.format('%I.%I', tg_table_schema, tg_table_name);
begin
  if tg_op = 'INSERT' then
    insert into app_public.audit_events
      (organization_id, actor_user_id, actor, action, table_name, row_key, changes, request_id)
    select (r.j ->> v_org_column)::uuid, v_user, v_actor, 'insert', v_table,
           app_private.jsonb_pick(r.j, v_keys),
           (select coalesce(pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('new', e.value)), '{}')
              from pg_catalog.jsonb_each(r.j - v_omit) e),
           v_request
      from (select pg_catalog.to_jsonb(n) as j from new_rows n) r;
  elsif tg_op = 'DELETE' then
    insert into app_public.audit_events
      (organization_id, actor_user_id, actor, action, table_name, row_key, changes, request_id)
    select (r.j ->> v_org_column)::uuid, v_user, v_actor, 'delete', v_table,
           app_private.jsonb_pick(r.j, v_keys),
           (select coalesce(pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('old', e.value)), '{}')
              from pg_catalog.jsonb_each(r.j - v_omit) e),
           v_request
      from (select pg_catalog.to_jsonb(o) as j from old_rows o) r;
  else
    insert into app_public.audit_events
      (organization_id, actor_user_id, actor, action, table_name, row_key, changes, request_id)
    select (n.j ->> v_org_column)::uuid, v_user, v_actor, 'update', v_table, n.k, d.changes, v_request
      from (select pg_catalog.to_jsonb(x) as j, app_private.jsonb_pick(pg_catalog.to_jsonb(x), v_keys) as k from new_rows x) n
      join (select pg_catalog.to_jsonb(x) as j, app_private.jsonb_pick(pg_catalog.to_jsonb(x), v_keys) as k from old_rows x) o
        on o.k operator(pg_catalog.=) n.k
     cross join lateral (
       select pg_catalog.jsonb_object_agg(ne.key, pg_catalog.jsonb_build_object('old', oe.value, 'new', ne.value)) as changes
         from pg_catalog.jsonb_each(n.j - v_omit) ne
         join pg_catalog.jsonb_each(o.j - v_omit) oe on oe.key = ne.key
        where oe.value is distinct from ne.value) d
     where d.changes is not null;  -- an update that changed nothing recordable is no event
  end if;
  return null;
end;
$_$;

--
-- Name: FUNCTION tg__audit(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg__audit() IS 'Trigger function: records inserted, updated (changed columns only) and deleted rows in audit_events.';

--
-- Name: tg__timestamps(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg__timestamps() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  new.created_at := case when tg_op = 'INSERT' then pg_catalog.now() else old.created_at end;
  new.updated_at := case when tg_op = 'UPDATE' and old.updated_at >= pg_catalog.now()
                          then old.updated_at + interval '1 millisecond'
                          else pg_catalog.now() end;
  return new;
end;
$$;

--
-- Name: FUNCTION tg__timestamps(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg__timestamps() IS 'Trigger function: sets created_at on insert and updated_at on every write.';

--
-- Name: tg_audit_events__append_only(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_audit_events__append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  raise exception 'Audit events cannot be changed or deleted'
    using errcode = 'FL009',
          hint = 'Old events leave only with their monthly partition (app_private.apply_retention).';
end;
$$;

--
-- Name: FUNCTION tg_audit_events__append_only(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_audit_events__append_only() IS 'Trigger function: refuses update, delete and truncate of audit events, for every role.';

--
-- Name: tg_organizations__owner_only(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_organizations__owner_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if pg_catalog.row_security_active('app_public.organizations'::pg_catalog.regclass)
     and app_public.current_user_role() is distinct from 'owner' then
    raise exception 'Only an owner may change or delete the organization'
      using errcode = 'FL002', hint = 'Your role changed while the request waited; ask an owner.';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end;
$$;

--
-- Name: FUNCTION tg_organizations__owner_only(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_organizations__owner_only() IS 'Trigger function: refuses an update or delete of the organization by a caller who is no longer an owner once its row is locked (FL002).';

--
-- Name: tg_organizations__pipeline_settings(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_organizations__pipeline_settings() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_days jsonb := new.settings -> 'artifact_retention_days';
begin
  if v_days is not null and not coalesce(pg_catalog.jsonb_typeof(v_days) = 'number'
                                         and (v_days #>> '{}') ~ '^[0-9]{1,3}$'
                                         and (v_days #>> '{}')::integer between 1 and 365, false) then
    raise exception 'artifact_retention_days must be a whole number of days from 1 to 365' using errcode = 'FL208',
      detail = 'settings.artifact_retention_days: must be a whole number from 1 to 365';
  end if;
  return new;
end;
$_$;

--
-- Name: FUNCTION tg_organizations__pipeline_settings(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_organizations__pipeline_settings() IS 'Trigger function: validates the pipelines module''s organization settings (FL208).';

--
-- Name: tg_organizations__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_organizations__validate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Definer: a slug is unique across all organizations, which the caller cannot see.
begin
  if tg_op = 'INSERT' or new.name is distinct from old.name then
    if pg_catalog.length(pg_catalog.btrim(coalesce(new.name, ''))) not between 1 and 200 then
      raise exception 'An organization needs a name of 1 to 200 characters' using errcode = 'FL005';
    end if;
    new.name := pg_catalog.btrim(new.name);
  end if;
  if tg_op = 'INSERT' or new.slug is distinct from old.slug then
    if new.slug is null or new.slug !~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' then
      raise exception 'The slug "%" is not valid', new.slug
        using errcode = 'FL005',
              hint = 'Use 1 to 63 lowercase letters, digits and inner hyphens, like "acme-labs".';
    end if;
    perform pg_catalog.pg_advisory_xact_lock(
      pg_catalog.hashtextextended('forgeline.organization_slug:' || new.slug, 0));
    if exists (select 1 from app_public.organizations o where o.slug = new.slug and o.id <> new.id) then
      raise exception 'The slug "%" is already taken', new.slug
        using errcode = 'FL006', hint = 'Choose another slug.';
    end if;
  end if;
  if (tg_op = 'INSERT' or new.settings is distinct from old.settings)
     and new.settings ? 'rate_limit'
     and (tg_op = 'INSERT' or (new.settings -> 'rate_limit') is distinct from (old.settings -> 'rate_limit')) then
    raise exception 'Rate limits are set by the operator, not in organization settings'
      using errcode = 'FL011',
            hint = 'Remove "rate_limit" from settings; ask the operator to change the limit (forgeline limits).';
  end if;
  return new;
end;
$_$;

--
-- Name: FUNCTION tg_organizations__validate(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_organizations__validate() IS 'Trigger function: validates an organization''s name, slug and settings with FL005/FL006/FL011.';

--
-- Name: tg_pipeline_artifacts__delete_objects(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_pipeline_artifacts__delete_objects() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the visitor (an admin deleting an artifact) has no rights on graphile_worker's schema.
begin
  perform app_private.artifact_deletion_jobs(
    (select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
              'organization_id', o.organization_id, 'id', o.id, 'storage_key', o.storage_key))
       from old_rows o));
  return null;
end;
$$;

--
-- Name: FUNCTION tg_pipeline_artifacts__delete_objects(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_pipeline_artifacts__delete_objects() IS 'Trigger function: after artifacts are deleted (one statement, any number of rows), enqueues the deletion of their stored objects.';

--
-- Name: tg_pipeline_executions__notify(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_pipeline_executions__notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform pg_catalog.pg_notify('pipelines:' || c.organization_id::text,
                               pg_catalog.json_build_object('executions', c.ids)::text)
     from (select x.organization_id, pg_catalog.array_agg(x.id order by x.id) as ids
             from (select n.organization_id, n.id,
                          (pg_catalog.row_number() over (partition by n.organization_id order by n.id) - 1) / 100 as chunk
                     from (select distinct r.organization_id, r.id from new_rows r) n) x
            group by x.organization_id, x.chunk) c;
  return null;
end;
$$;

--
-- Name: FUNCTION tg_pipeline_executions__notify(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_pipeline_executions__notify() IS 'Trigger function: one NOTIFY per organization and statement with the ids of the executions it changed.';

--
-- Name: tg_pipeline_runs__status(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_pipeline_runs__status() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION tg_pipeline_runs__status(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_pipeline_runs__status() IS 'Trigger function: refuses status changes of executions and steps that the status machine does not allow (FL202).';

--
-- Name: tg_pipeline_steps__notify(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_pipeline_steps__notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform pg_catalog.pg_notify('pipelines:' || c.organization_id::text,
                               pg_catalog.json_build_object('executions', c.ids)::text)
     from (select x.organization_id, pg_catalog.array_agg(x.execution_id order by x.execution_id) as ids
             from (select n.organization_id, n.execution_id,
                          (pg_catalog.row_number() over (partition by n.organization_id order by n.execution_id) - 1) / 100 as chunk
                     from (select distinct r.organization_id, r.execution_id from new_rows r) n) x
            group by x.organization_id, x.chunk) c;
  return null;
end;
$$;

--
-- Name: FUNCTION tg_pipeline_steps__notify(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_pipeline_steps__notify() IS 'Trigger function: one NOTIFY per organization and statement with the ids of the executions whose steps it changed.';

--
-- Name: tg_pipelines__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_pipelines__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  v_error text;
  v_placeholder text;
begin
  if tg_op = 'UPDATE' and new.repository_id is distinct from old.repository_id then
    raise exception 'A pipeline stays in its repository' using errcode = 'FL201',
      detail = 'repository_id: cannot change', hint = 'Create a pipeline in the other repository instead.';
  end if;
  if tg_op = 'INSERT' or new.name is distinct from old.name then
    new.name := pg_catalog.btrim(new.name);
    if coalesce(pg_catalog.length(new.name), 0) not between 1 and 100 then
      raise exception 'A pipeline needs a name of 1 to 100 characters' using errcode = 'FL201',
        detail = 'name: must be 1 to 100 characters';
    end if;
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
      'forgeline.pipeline_name:' || new.organization_id::text || ':' || new.repository_id::text || ':' || new.name, 0));
    if exists (select 1 from app_public.pipelines p
                where p.organization_id = new.organization_id and p.repository_id = new.repository_id
                  and p.name = new.name and p.id <> new.id) then
      raise exception 'The repository already has a pipeline named "%"', new.name using errcode = 'FL201',
        detail = 'name: already used in this repository', hint = 'Choose another name.';
    end if;
  end if;
  if tg_op = 'INSERT' or new.definition is distinct from old.definition then
    v_error := app_hidden.pipeline_definition_error(new.definition);
    if v_error is not null then
      raise exception 'Invalid pipeline definition: %', v_error using errcode = 'FL201', detail = v_error;
    end if;
  end if;
  if tg_op = 'INSERT' or new.trigger_config is distinct from old.trigger_config then
    v_error := app_hidden.pipeline_trigger_config_error(new.trigger_config);
    if v_error is not null then
      raise exception 'Invalid trigger configuration: %', v_error using errcode = 'FL201', detail = v_error;
    end if;
  end if;
  if new.concurrency_group is not null then
    if new.concurrency_group !~ '^[A-Za-z0-9 _./:{}-]{1,200}$' then
      raise exception 'Invalid concurrency group "%"', new.concurrency_group using errcode = 'FL201',
        detail = 'concurrency_group: must be 1 to 200 letters, digits, spaces or _ . / : - and placeholders';
    end if;
    for v_placeholder in
      select m[1] from pg_catalog.regexp_matches(new.concurrency_group, '\{([^}]*)\}', 'g') m
    loop
      if v_placeholder <> all (array['branch', 'event', 'pipeline', 'pull_request']) then
        raise exception 'Unknown placeholder {%} in the concurrency group', v_placeholder using errcode = 'FL201',
          detail = pg_catalog.format('concurrency_group: unknown placeholder {%s} (expected {branch}, {event}, {pipeline}, {pull_request})', v_placeholder);
      end if;
    end loop;
    if pg_catalog.regexp_replace(new.concurrency_group, '\{(branch|event|pipeline|pull_request)\}', '', 'g') ~ '[{}]' then
      raise exception 'Unbalanced braces in the concurrency group "%"', new.concurrency_group using errcode = 'FL201',
        detail = 'concurrency_group: a { or } outside a placeholder like {branch}';
    end if;
  elsif new.cancel_in_progress then
    raise exception 'cancel_in_progress needs a concurrency group' using errcode = 'FL201',
      detail = 'cancel_in_progress: needs a concurrency_group';
  end if;
  return new;
end;
$_$;

--
-- Name: FUNCTION tg_pipelines__validate(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_pipelines__validate() IS 'Trigger function: validates a pipeline''s name, definition, trigger_config and concurrency settings (FL201 with the path in detail).';

--
-- Name: tg_projects__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_projects__validate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
    if new.status = 'archived' then
      perform 1 from app_public.projects p
       where p.organization_id = old.organization_id and p.id = old.id
         for update;
    end if;
    new.archived_at := case when new.status = 'archived' then pg_catalog.now() end;
  elsif tg_op = 'INSERT' then
    new.archived_at := case when new.status = 'archived' then pg_catalog.now() end;
  end if;
  return new;
end;
$_$;

--
-- Name: FUNCTION tg_projects__validate(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_projects__validate() IS 'Trigger function: validates a project''s key, name and settings (FL005, FL101) and keeps archived_at.';

--
-- Name: tg_repositories__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_repositories__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

--
-- Name: FUNCTION tg_repositories__validate(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_repositories__validate() IS 'Trigger function: validates a repository''s names, URL, branch and configs (FL005, FL109, FL110).';

--
-- Name: tg_task_dependencies__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_task_dependencies__validate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the ends' project rows are locked while their status is read (under
-- RLS that takes the projects' update policy, admins only), and members link tasks.
declare
  v_row app_public.task_dependencies := case when tg_op = 'DELETE' then old else new end;
  v_end record;
  v_ends integer := 0;
  v_nodes uuid[];
  v_from uuid[];
  v_cur uuid;
  v_path uuid[];
  v_names text;
begin
  -- Cascades: a deleted task's links (it is already gone), a deleted user's
  -- links (created_by set to null). Let them through.
  if pg_catalog.pg_trigger_depth() > 1 then
    if tg_op = 'DELETE'
       and (select pg_catalog.count(*) from app_public.tasks t
             where t.organization_id = old.organization_id
               and t.id in (old.dependent_id, old.dependency_id)) < 2 then
      return old;
    end if;
    if tg_op = 'UPDATE' and new.created_by is null
       and (pg_catalog.to_jsonb(new) - 'created_by') = (pg_catalog.to_jsonb(old) - 'created_by') then
      return new;
    end if;
  end if;
  if tg_op <> 'DELETE' and new.dependent_id = new.dependency_id then
    raise exception 'A task cannot depend on itself' using errcode = 'FL107';
  end if;
  for v_end in
    select t.project_id from app_public.tasks t
     where t.organization_id = v_row.organization_id
       and t.id in (v_row.dependent_id, v_row.dependency_id)
     order by t.project_id
  loop
    v_ends := v_ends + 1;
    if app_private.lock_task_project(v_row.organization_id, v_end.project_id) = 'archived' then
      raise exception 'The project is archived: its tasks are read-only' using errcode = 'FL102',
        hint = 'Unarchive the project (updateProject status: ACTIVE) first.';
    end if;
  end loop;
  if tg_op = 'DELETE' then
    return old;
  end if;
  if v_ends < 2 then
    raise exception 'Both tasks of a dependency must be tasks of this organization'
      using errcode = 'FL111', hint = 'Link tasks of the organization (tasks lists them).';
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

--
-- Name: FUNCTION tg_task_dependencies__validate(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_task_dependencies__validate() IS 'Trigger function: refuses self-dependencies (FL107), tasks of another organization (FL111), edges into archived projects (FL102) and blocking cycles (FL106, the cycle in the detail).';

--
-- Name: tg_tasks__hierarchy(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tasks__hierarchy() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $$
-- Definer: the closure table has no write grant; these triggers are its only writers.
declare
  v_move record;
begin
  if tg_op = 'INSERT' then
    -- Each new task's paths: up through its ancestors inserted by this statement
    -- (a subtree in one statement), by the tasks' primary key, then the stored
    -- paths of the first ancestor that was there before. "Was there before" is
    -- "has its own depth-0 path", an index probe: every stored task has one,
    -- and this statement's tasks get theirs only from this insert (a parent
    -- inserted by this statement has no stored paths yet, so the second part
    -- joins only the first ancestor that was there before).
    -- The transition table has no index and no statistics: joined with itself
    -- it was quadratic (#8), and joined with the tables the planner, guessing
    -- ten times its rows, hashed whole tables (every tenant's tasks and paths).
    -- So each step is a LATERAL probe (OFFSET 0 keeps it one: a nested loop of
    -- index lookups), linear in the paths written whatever the batch.
    insert into app_public.task_hierarchy_paths (organization_id, ancestor_id, descendant_id, depth)
    with recursive up (organization_id, descendant_id, ancestor_id, parent_id, depth) as (
      select n.organization_id, n.id, n.id, n.parent_id, 0 from new_rows n
      union all
      select up.organization_id, up.descendant_id, t.id, t.parent_id, up.depth + 1
        from up
       cross join lateral (
         select t.id, t.parent_id from app_public.tasks t
          where t.organization_id = up.organization_id and t.id = up.parent_id
            and not exists (select 1 from app_public.task_hierarchy_paths s
                             where s.organization_id = t.organization_id and s.descendant_id = t.id
                               and s.depth = 0)
         offset 0) t
       where up.parent_id is not null
    )
    select up.organization_id, up.ancestor_id, up.descendant_id, up.depth from up
    union all
    select up.organization_id, p.ancestor_id, up.descendant_id, up.depth + 1 + p.depth
      from up
     cross join lateral (
       select p.ancestor_id, p.depth from app_public.task_hierarchy_paths p
        where p.organization_id = up.organization_id and p.descendant_id = up.parent_id
       offset 0) p
     where up.parent_id is not null;
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

--
-- Name: FUNCTION tg_tasks__hierarchy(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_tasks__hierarchy() IS 'Trigger function: keeps app_public.task_hierarchy_paths the closure of tasks.parent_id on insert, move and delete.';

--
-- Name: tg_tasks__number(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tasks__number() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: next_task_number is outside the visitor's update grant; this is its only writer.
begin
  if tg_level = 'STATEMENT' then
    update app_public.projects p
       set next_task_number = m.next_number
      from (select n.organization_id, n.project_id, pg_catalog.max(n.number) + 1 as next_number
              from new_rows n
             group by n.organization_id, n.project_id) m
     where p.organization_id = m.organization_id and p.id = m.project_id
       and p.next_task_number < m.next_number;
    return null;
  end if;

  if new.organization_id is distinct from app_public.current_org_id() then
    raise exception 'No such project in this organization' using errcode = 'FL003';
  end if;
  -- The lock first, then the read: a statement's snapshot is taken when it starts,
  -- so a read in the statement that waited for the lock would miss the numbers
  -- the transaction it waited for gave.
  perform 1 from app_public.projects p
    where p.organization_id = new.organization_id and p.id = new.project_id
      for no key update of p;
  if not found then
    raise exception 'No such project in this organization' using errcode = 'FL003';
  end if;
  select greatest(
           p.next_task_number,
           (select t.number + 1 from app_public.tasks t
             where t.organization_id = new.organization_id and t.project_id = new.project_id
             order by t.number desc
             limit 1))
    into new.number
    from app_public.projects p
   where p.organization_id = new.organization_id and p.id = new.project_id;
  return new;
end;
$$;

--
-- Name: FUNCTION tg_tasks__number(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_tasks__number() IS 'Trigger function: numbers a new task within its project (never reused, safe under concurrent inserts) and advances the project''s counter once per statement.';

--
-- Name: tg_tasks__status_history(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tasks__status_history() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

  -- Parents of tasks that just became finished. (A statement trigger fires even
  -- for an update of no rows, so the update below runs only when there is one:
  -- it fires this trigger again, and would otherwise never stop.)
  select pg_catalog.array_agg(distinct n.parent_id) into v_parents
    from new_rows n join old_rows o on o.organization_id = n.organization_id and o.id = n.id
   where n.status in ('done', 'cancelled') and o.status not in ('done', 'cancelled')
     and n.parent_id is not null;
  if v_parents is null then
    return null;
  end if;
  -- Lock the parents (those whose project completes parents) before reading their
  -- children: when the last two open children of a parent finish in concurrent
  -- transactions, the second waits here for the first to commit, and its update
  -- below, a new statement with a new snapshot, sees both children finished.
  -- Without the lock each saw the other still open and the parent stayed open
  -- (#8). Completion climbs child → parent → grandparent, always upwards, and
  -- parents of one statement are locked in id order, so these locks cannot wait
  -- for each other in a cycle.
  perform 1
     from app_public.tasks parent
     join app_public.projects p on p.organization_id = parent.organization_id and p.id = parent.project_id
    where parent.organization_id = app_public.current_org_id()
      and parent.id = any (v_parents)
      and coalesce((p.settings ->> 'auto_complete_parents')::boolean, false)
    order by parent.id
      for no key update of parent;
  if not found then
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
                        and child.status not in ('done', 'cancelled'))
     and exists (select 1 from app_public.tasks child
                  where child.organization_id = parent.organization_id and child.parent_id = parent.id
                    and child.status = 'done');
  return null;
end;
$$;

--
-- Name: FUNCTION tg_tasks__status_history(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_tasks__status_history() IS 'Trigger function: records task status changes and completes parents whose children are all finished, one at least done (if the project says so).';

--
-- Name: tg_tasks__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tasks__validate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the project's row is locked while its status is read (under RLS that
-- takes the projects' update policy, admins only), and members write tasks.
declare
  v_row app_public.tasks := case when tg_op = 'DELETE' then old else new end;
  v_status app_public.project_status;
begin
  if (tg_op = 'INSERT' and new.parent_id is not null)
     or (tg_op = 'UPDATE' and new.parent_id is distinct from old.parent_id)
     or (tg_op = 'DELETE' and pg_catalog.pg_trigger_depth() = 1) then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
      'forgeline.task_tree:' || v_row.organization_id::text || ':' || v_row.project_id::text, 0));
  end if;

  -- A user's deletion cascading to the tasks they were assigned or created
  -- (on delete set null): let it through, whatever the project's status.
  if tg_op = 'UPDATE' and pg_catalog.pg_trigger_depth() > 1
     and (new.assignee_id is null or new.assignee_id is not distinct from old.assignee_id)
     and (new.created_by is null or new.created_by is not distinct from old.created_by)
     and (pg_catalog.to_jsonb(new) - '{assignee_id,created_by,updated_at,search}'::text[])
         = (pg_catalog.to_jsonb(old) - '{assignee_id,created_by,updated_at,search}'::text[]) then
    return new;
  end if;

  -- Null: the project or its organization is being deleted (a cascade), or does
  -- not exist (the foreign key refuses that). Nothing archived to protect.
  v_status := app_private.lock_task_project(v_row.organization_id, v_row.project_id, tg_op = 'INSERT');
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

--
-- Name: FUNCTION tg_tasks__validate(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_tasks__validate() IS 'Trigger function: archived projects, titles, status transitions, parents and assignees of tasks (FL005, FL102–FL105, FL108).';

--
-- Name: tg_users__keep_an_owner(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_users__keep_an_owner() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the check must see all of the organization's users, not what RLS shows the caller.
begin
  perform 1 from app_public.organizations org
   where org.id in (select t.organization_id from old_rows t where t.role = 'owner')
   order by org.id
     for no key update of org;
  perform 1
    from (select distinct t.organization_id from old_rows t where t.role = 'owner') o
   where exists (select 1 from app_public.organizations org where org.id = o.organization_id)
     and not exists (
       select 1 from app_public.users u
        where u.organization_id = o.organization_id and u.role = 'owner')
   limit 1;
  if found then
    raise exception 'An organization must keep at least one owner'
      using errcode = 'FL004',
            hint = 'Make another user an owner first, or delete the organization.';
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION tg_users__keep_an_owner(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_users__keep_an_owner() IS 'Trigger function: refuses a change that leaves an organization without an owner; safe under concurrent changes.';

--
-- Name: time_out_pipelines(timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.time_out_pipelines(at timestamp with time zone DEFAULT now()) RETURNS SETOF text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_repo record;
  v_step app_public.pipeline_steps;
  v_exec record;
  v_steps integer;
  v_execs integer;
begin
  for v_repo in
    select distinct x.organization_id, x.repository_id from (
      select e.organization_id, e.repository_id
        from app_public.pipeline_steps s
        join app_public.pipeline_executions e
          on e.organization_id = s.organization_id and e.id = s.execution_id and e.created_at = s.execution_created_at
       where s.status = 'in_progress' and s.timeout_at <= time_out_pipelines.at
      union all
      select e.organization_id, e.repository_id
        from app_public.pipeline_executions e
       where e.status = 'in_progress' and e.timeout_at <= time_out_pipelines.at) x
  loop
    perform app_private.lock_pipeline_runs(v_repo.organization_id, v_repo.repository_id);
    v_steps := 0;
    v_execs := 0;
    -- Executions first: a run past its own timeout ends with its running steps
    -- timed out (not retried); then the steps of the runs that go on.
    for v_exec in
      select e.id, e.created_at, e.timeout_minutes from app_public.pipeline_executions e
       where e.organization_id = v_repo.organization_id and e.repository_id = v_repo.repository_id
         and e.status = 'in_progress' and e.timeout_at <= time_out_pipelines.at
    loop
      perform app_private.end_execution(v_repo.organization_id, v_exec.id, v_exec.created_at,
        'timed_out', 'timed_out', 'skipped', time_out_pipelines.at,
        pg_catalog.format('timed out after %s minutes', v_exec.timeout_minutes));
      v_execs := v_execs + 1;
    end loop;
    for v_step in
      select s.* from app_public.pipeline_steps s
        join app_public.pipeline_executions e
          on e.organization_id = s.organization_id and e.id = s.execution_id and e.created_at = s.execution_created_at
       where s.organization_id = v_repo.organization_id and e.repository_id = v_repo.repository_id
         and s.status = 'in_progress' and s.timeout_at <= time_out_pipelines.at
       order by s.timeout_at
    loop
      perform app_private.finish_step(v_step, 'timed_out', null, null,
        pg_catalog.jsonb_build_object('message', pg_catalog.format('timed out after %s minutes', v_step.timeout_minutes)),
        time_out_pipelines.at);
      v_steps := v_steps + 1;
    end loop;
    perform app_private.dispatch_executions(v_repo.organization_id, v_repo.repository_id, time_out_pipelines.at);
    if v_steps + v_execs > 0 then
      return next pg_catalog.format('timed out %s steps and %s executions in repository %s',
                                    v_steps, v_execs, v_repo.repository_id);
    end if;
  end loop;
end;
$$;

--
-- Name: FUNCTION time_out_pipelines(at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.time_out_pipelines(at timestamp with time zone) IS 'Ends running steps and executions past their timeout as timed_out, then starts what the freed slots allow; returns one line per repository.';

--
-- Name: pipeline_artifacts; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.pipeline_artifacts (
    organization_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    execution_created_at timestamp with time zone NOT NULL,
    execution_id uuid NOT NULL,
    step_id uuid,
    name text NOT NULL,
    size_bytes bigint NOT NULL,
    content_type text NOT NULL,
    checksum text,
    storage_key text NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pipeline_artifacts_checksum_check CHECK ((checksum ~ '^sha256:[0-9a-f]{64}$'::text)),
    CONSTRAINT pipeline_artifacts_name_check CHECK (((length(name) >= 1) AND (length(name) <= 255))),
    CONSTRAINT pipeline_artifacts_size_bytes_check CHECK ((size_bytes >= 0))
)
PARTITION BY RANGE (execution_created_at);
ALTER TABLE ONLY app_public.pipeline_artifacts ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE pipeline_artifacts; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.pipeline_artifacts IS '@behavior -insert -update
A file a step produced, kept in the artifact storage under `storageKey` until `expiresAt` (registered with `addArtifact`; admins may delete one earlier). Its object is deleted by the worker after its row.';

--
-- Name: COLUMN pipeline_artifacts.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.organization_id IS 'The organization it belongs to.';

--
-- Name: COLUMN pipeline_artifacts.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.id IS 'The artifact''s id.';

--
-- Name: COLUMN pipeline_artifacts.execution_created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.execution_created_at IS 'Its execution''s creation time (the partition key).';

--
-- Name: COLUMN pipeline_artifacts.execution_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.execution_id IS 'The execution that produced it.';

--
-- Name: COLUMN pipeline_artifacts.step_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.step_id IS 'The step that produced it.';

--
-- Name: COLUMN pipeline_artifacts.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.name IS '@behavior +orderBy
Its name (a relative path), unique in the execution.';

--
-- Name: COLUMN pipeline_artifacts.size_bytes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.size_bytes IS 'Its size in bytes.';

--
-- Name: COLUMN pipeline_artifacts.content_type; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.content_type IS 'Its media type.';

--
-- Name: COLUMN pipeline_artifacts.checksum; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.checksum IS '`sha256:` and its SHA-256 in hex, if given.';

--
-- Name: COLUMN pipeline_artifacts.storage_key; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.storage_key IS 'Where the artifact storage keeps it (chosen by the database, ids only).';

--
-- Name: COLUMN pipeline_artifacts.expires_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.expires_at IS 'When it is deleted: added + the organization''s `artifact_retention_days` (default 90).';

--
-- Name: COLUMN pipeline_artifacts.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_artifacts.created_at IS 'When it was added.';

--
-- Name: add_artifact(uuid, text, bigint, text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.add_artifact(step_id uuid, name text, size_bytes bigint, content_type text DEFAULT 'application/octet-stream'::text, checksum text DEFAULT NULL::text) RETURNS app_public.pipeline_artifacts
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Definer: artifacts have no insert grant; the storage key and expiry are the database's.
declare
  v_step app_public.pipeline_steps;
  v_id constant uuid := pg_catalog.gen_random_uuid();
  v_artifact app_public.pipeline_artifacts;
  v_at timestamptz;
begin
  perform app_private.require_role('member');
  if add_artifact.name is null or pg_catalog.length(add_artifact.name) not between 1 and 255
     or add_artifact.name ~ '[[:cntrl:]\\]' or add_artifact.name ~ '(^/|^\.\.?(/|$)|/\.\.?(/|$))' then
    raise exception 'Invalid artifact name "%"', add_artifact.name using errcode = 'FL204',
      detail = 'name: must be 1 to 255 characters, a relative path without control characters, backslashes, "." or ".." segments';
  end if;
  if add_artifact.size_bytes is null or add_artifact.size_bytes < 0 then
    raise exception 'Invalid artifact size' using errcode = 'FL204', detail = 'sizeBytes: must be 0 or more';
  end if;
  if add_artifact.content_type is null or add_artifact.content_type !~ '^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$' then
    raise exception 'Invalid content type "%"', add_artifact.content_type using errcode = 'FL204',
      detail = 'contentType: must be a media type like "application/zip"';
  end if;
  if add_artifact.checksum is not null and add_artifact.checksum !~ '^sha256:[0-9a-f]{64}$' then
    raise exception 'Invalid checksum' using errcode = 'FL204', detail = 'checksum: must be "sha256:" and 64 lowercase hexadecimal digits';
  end if;
  v_step := app_private.lock_step(add_artifact.step_id);
  if v_step.status <> 'in_progress' then
    raise exception 'The step "%" is %: artifacts are added while it runs', v_step.name, v_step.status
      using errcode = 'FL202', detail = pg_catalog.upper(v_step.status::text);
  end if;
  v_at := pg_catalog.clock_timestamp();
  insert into app_public.pipeline_artifacts (
    organization_id, id, execution_created_at, execution_id, step_id, name, size_bytes, content_type,
    checksum, storage_key, created_at, expires_at)
  values (
    v_step.organization_id, v_id, v_step.execution_created_at, v_step.execution_id, v_step.id,
    add_artifact.name, add_artifact.size_bytes, add_artifact.content_type, add_artifact.checksum,
    pg_catalog.format('%s/%s/%s', v_step.organization_id, v_step.execution_id, v_id), v_at,
    v_at + pg_catalog.make_interval(days => app_private.artifact_retention_days(v_step.organization_id)))
  returning * into v_artifact;
  return v_artifact;
end;
$_$;

--
-- Name: FUNCTION add_artifact(step_id uuid, name text, size_bytes bigint, content_type text, checksum text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.add_artifact(step_id uuid, name text, size_bytes bigint, content_type text, checksum text) IS '@resultFieldName artifact
Registers an artifact of a running step (members, e.g. a runner) and returns where to store it (`storageKey`); it expires after the organization''s `artifact_retention_days` (default 90). A name is unique per execution.';

--
-- Name: users; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.users (
    organization_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email public.citext NOT NULL,
    name text NOT NULL,
    role app_public.user_role DEFAULT 'member'::app_public.user_role NOT NULL,
    external_ids jsonb DEFAULT '{}'::jsonb NOT NULL,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_email_check CHECK (((email OPERATOR(public.~) '^[^@\s]+@[^@\s]+\.[^@\s]+$'::public.citext) AND (length((email)::text) <= 320))),
    CONSTRAINT users_external_ids_check CHECK ((jsonb_typeof(external_ids) = 'object'::text)),
    CONSTRAINT users_name_check CHECK (((length(btrim(name)) >= 1) AND (length(btrim(name)) <= 200))),
    CONSTRAINT users_settings_check CHECK ((jsonb_typeof(settings) = 'object'::text))
);
ALTER TABLE ONLY app_public.users ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE users; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.users IS '@behavior -insert -delete +aggregates
A person in one organization. Added with `addUser`, re-roled with `changeUserRole`, removed with `removeUser`.';

--
-- Name: COLUMN users.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.organization_id IS 'The organization this user belongs to.';

--
-- Name: COLUMN users.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.id IS 'The user''s id; the `user_id` claim of their tokens.';

--
-- Name: COLUMN users.email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.email IS 'Email address, unique within the organization (case-insensitive).';

--
-- Name: COLUMN users.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.name IS 'Display name.';

--
-- Name: COLUMN users.role; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.role IS 'Role in the organization; change it with `changeUserRole`.';

--
-- Name: COLUMN users.external_ids; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.external_ids IS 'Ids on outside services, e.g. {"github": "1234", "linear": "…", "slack": "U…"}.';

--
-- Name: COLUMN users.settings; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.settings IS 'Personal settings (a JSON object).';

--
-- Name: COLUMN users.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.created_at IS 'When the user was added.';

--
-- Name: COLUMN users.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.updated_at IS 'When the user was last changed.';

--
-- Name: add_user(text, text, app_public.user_role); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.add_user(email text, name text, role app_public.user_role DEFAULT 'member'::app_public.user_role) RETURNS app_public.users
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the visitor has no insert grant on users; the checks below replace it.
declare
  v_caller app_public.user_role;
  v_user app_public.users;
begin
  -- Lock first, then read the caller's role: see lock_organization.sql.
  perform app_private.lock_organization();
  v_caller := app_private.require_role('admin');
  if add_user.role is null then
    raise exception 'A role is required' using errcode = 'FL005';
  end if;
  if add_user.role = 'owner' and v_caller <> 'owner' then
    raise exception 'Only an owner may add an owner' using errcode = 'FL002';
  end if;
  perform app_private.assert_valid_user(add_user.name, add_user.email);
  if exists (
    select 1 from app_public.users u
     where u.organization_id = app_public.current_org_id()
       -- citext's case-insensitive `=` lives in `public`, off this function's search_path.
       and u.email operator(public.=) add_user.email::public.citext
  ) then
    raise exception 'A user with the email "%" is already in this organization', add_user.email
      using errcode = 'FL007';
  end if;

  insert into app_public.users (organization_id, email, name, role)
  values (app_public.current_org_id(), add_user.email::public.citext,
          pg_catalog.btrim(add_user.name), add_user.role)
  returning * into v_user;
  return v_user;
end;
$$;

--
-- Name: FUNCTION add_user(email text, name text, role app_public.user_role); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.add_user(email text, name text, role app_public.user_role) IS '@resultFieldName user
Adds a user to the current organization (admins and owners; only owners add owners).';

--
-- Name: append_step_log(uuid, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.append_step_log(step_id uuid, content text) RETURNS app_public.pipeline_steps
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION append_step_log(step_id uuid, content text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.append_step_log(step_id uuid, content text) IS '@resultFieldName step
Appends text to a running step''s log (members, e.g. a runner). A step''s log is capped (4 MiB unless the operator set another limit): a chunk that would pass the cap is refused whole with FL206.';

--
-- Name: tasks; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.tasks (
    organization_id uuid DEFAULT app_public.current_org_id() NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    project_id uuid NOT NULL,
    parent_id uuid,
    number integer NOT NULL,
    title text NOT NULL,
    description text,
    type app_public.task_type DEFAULT 'feature'::app_public.task_type NOT NULL,
    status app_public.task_status DEFAULT 'backlog'::app_public.task_status NOT NULL,
    priority smallint DEFAULT 3 NOT NULL,
    assignee_id uuid,
    created_by uuid DEFAULT app_public.current_user_id(),
    estimated_effort numeric(10,2),
    actual_effort numeric(10,2),
    due_on date,
    completed_at timestamp with time zone,
    external_refs jsonb DEFAULT '{}'::jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    search tsvector GENERATED ALWAYS AS ((setweight(to_tsvector('english'::regconfig, title), 'A'::"char") || setweight(to_tsvector('english'::regconfig, COALESCE(description, ''::text)), 'B'::"char"))) STORED,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tasks_actual_effort_check CHECK ((actual_effort >= (0)::numeric)),
    CONSTRAINT tasks_description_check CHECK ((length(description) <= 100000)),
    CONSTRAINT tasks_estimated_effort_check CHECK ((estimated_effort >= (0)::numeric)),
    CONSTRAINT tasks_external_refs_check CHECK ((jsonb_typeof(external_refs) = 'object'::text)),
    CONSTRAINT tasks_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT tasks_number_check CHECK ((number > 0)),
    CONSTRAINT tasks_priority_check CHECK (((priority >= 1) AND (priority <= 5))),
    CONSTRAINT tasks_title_check CHECK (((length(title) >= 1) AND (length(title) <= 500)))
);
ALTER TABLE ONLY app_public.tasks ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE tasks; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.tasks IS 'A unit of work in a project. Tasks nest without limit (`parentId`, `rollup`, `taskDescendants`), block each other (`taskDependencies`), and move through statuses (`taskStatusTransitions`). Members create and edit tasks; admins delete them (with their subtasks).';

--
-- Name: COLUMN tasks.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.organization_id IS 'The organization the task belongs to.';

--
-- Name: COLUMN tasks.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.id IS 'The task''s id.';

--
-- Name: COLUMN tasks.project_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.project_id IS 'The project the task is in; it cannot move to another.';

--
-- Name: COLUMN tasks.parent_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.parent_id IS 'The task this one is a subtask of (same project). Changing it moves the task with its subtree.';

--
-- Name: COLUMN tasks.number; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.number IS '@behavior +orderBy
The task''s number in its project (ENG-42 is number 42); never reused.';

--
-- Name: COLUMN tasks.title; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.title IS '@behavior +orderBy
What to do, 1 to 500 characters.';

--
-- Name: COLUMN tasks.description; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.description IS 'More about it (searched with the title).';

--
-- Name: COLUMN tasks.type; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.type IS '@behavior +filterBy
What kind of work it is.';

--
-- Name: COLUMN tasks.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.status IS '@behavior +filterBy +orderBy
Where it is; see `taskStatusTransitions` for the allowed changes.';

--
-- Name: COLUMN tasks.priority; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.priority IS '@behavior +filterBy +orderBy
1 (most urgent) to 5.';

--
-- Name: COLUMN tasks.assignee_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.assignee_id IS '@behavior +filterBy
The user working on it (a user of the organization).';

--
-- Name: COLUMN tasks.created_by; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.created_by IS 'The user who created it.';

--
-- Name: COLUMN tasks.estimated_effort; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.estimated_effort IS 'Estimated effort, in hours.';

--
-- Name: COLUMN tasks.actual_effort; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.actual_effort IS 'Effort spent so far, in hours.';

--
-- Name: COLUMN tasks.due_on; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.due_on IS '@behavior +filterBy +orderBy
When it is due.';

--
-- Name: COLUMN tasks.completed_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.completed_at IS 'When it was last done (set by the database).';

--
-- Name: COLUMN tasks.external_refs; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.external_refs IS 'Ids on outside services, e.g. {"github": {"issue": 12}, "linear": "ENG-7"}.';

--
-- Name: COLUMN tasks.metadata; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.metadata IS 'Anything else (a JSON object).';

--
-- Name: COLUMN tasks.search; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.search IS '@behavior -*
The full-text document (internal).';

--
-- Name: COLUMN tasks.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.created_at IS '@behavior +orderBy
When it was created.';

--
-- Name: COLUMN tasks.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tasks.updated_at IS '@behavior +orderBy
When it was last changed.';

--
-- Name: blocked_tasks(uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.blocked_tasks(task_id uuid) RETURNS TABLE(other_open_blockers integer, task app_public.tasks)
    LANGUAGE sql STABLE
    AS $$
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

--
-- Name: FUNCTION blocked_tasks(task_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.blocked_tasks(task_id uuid) IS 'The tasks this one blocks directly, each with the number of other open tasks that still block it (0: finishing this one makes it ready).';

--
-- Name: cancel_execution(uuid, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.cancel_execution(execution_id uuid, reason text DEFAULT NULL::text) RETURNS app_public.pipeline_executions
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION cancel_execution(execution_id uuid, reason text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.cancel_execution(execution_id uuid, reason text) IS '@resultFieldName execution
Cancels an unfinished execution (members): it and its unfinished steps end `CANCELLED`, and the next queued execution may start.';

--
-- Name: change_user_role(uuid, app_public.user_role); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.change_user_role(user_id uuid, role app_public.user_role) RETURNS app_public.users
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: `role` is not in the visitor's update grant; this is its only writer.
declare
  v_caller app_public.user_role;
  v_target app_public.users;
begin
  -- Lock first, then read the caller's role: see lock_organization.sql.
  perform app_private.lock_organization();
  v_caller := app_private.require_role('admin');
  if change_user_role.role is null then
    raise exception 'A role is required' using errcode = 'FL005';
  end if;
  select * into v_target from app_public.users u
   where u.organization_id = app_public.current_org_id() and u.id = change_user_role.user_id
   for update;
  if not found then
    raise exception 'No such user in this organization' using errcode = 'FL003';
  end if;
  if (v_target.role = 'owner' or change_user_role.role = 'owner') and v_caller <> 'owner' then
    raise exception 'Only an owner may grant or remove the owner role' using errcode = 'FL002';
  end if;

  update app_public.users u set role = change_user_role.role
   where u.organization_id = v_target.organization_id and u.id = v_target.id
  returning * into v_target;
  return v_target;
end;
$$;

--
-- Name: FUNCTION change_user_role(user_id uuid, role app_public.user_role); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.change_user_role(user_id uuid, role app_public.user_role) IS '@resultFieldName user
Changes a user''s role in the current organization (admins and owners; only owners touch the owner role).';

--
-- Name: complete_execution(uuid, app_public.pipeline_conclusion); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.complete_execution(execution_id uuid, conclusion app_public.pipeline_conclusion DEFAULT NULL::app_public.pipeline_conclusion) RETURNS app_public.pipeline_executions
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION complete_execution(execution_id uuid, conclusion app_public.pipeline_conclusion); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.complete_execution(execution_id uuid, conclusion app_public.pipeline_conclusion) IS '@resultFieldName execution
Completes a running execution (members), with the given conclusion or one derived from its steps; running steps end `CANCELLED` and steps not started end `SKIPPED`. An execution also completes by itself when its last step does.';

--
-- Name: complete_step(uuid, app_public.pipeline_conclusion, integer, jsonb, jsonb); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.complete_step(step_id uuid, conclusion app_public.pipeline_conclusion, exit_code integer DEFAULT NULL::integer, metrics jsonb DEFAULT NULL::jsonb, error jsonb DEFAULT NULL::jsonb) RETURNS app_public.pipeline_steps
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION complete_step(step_id uuid, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.complete_step(step_id uuid, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb) IS '@resultFieldName step
Ends a running step (members, e.g. a runner) with its conclusion, exit code, metrics (merged) and error details. A failure with attempts left under the step''s retry policy queues its next attempt; steps that needed a failed step are skipped; the last step completes the execution. A step not started can only be `SKIPPED`.';

--
-- Name: create_organization(text, text, text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.create_organization(name text, slug text, owner_name text, owner_email text) RETURNS app_public.users
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the visitor has no insert grant on organizations or users; this
-- function is the single, checked path that creates both.
declare
  v_org app_public.organizations;
  v_user app_public.users;
begin
  if coalesce(pg_catalog.current_setting('jwt.claims.sub', true), '') = '' then
    raise exception 'You must be signed in to create an organization'
      using errcode = 'FL001', hint = 'Send a valid token in the Authorization header.';
  end if;
  -- Name and slug are validated by tg_organizations__validate (FL005, FL006).
  perform app_private.assert_valid_user(create_organization.owner_name, create_organization.owner_email);

  insert into app_public.organizations (name, slug)
  values (create_organization.name, create_organization.slug)
  returning * into v_org;

  insert into app_public.users (organization_id, email, name, role)
  values (v_org.id, create_organization.owner_email::public.citext,
          pg_catalog.btrim(create_organization.owner_name), 'owner')
  returning * into v_user;

  return v_user;
end;
$$;

--
-- Name: FUNCTION create_organization(name text, slug text, owner_name text, owner_email text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.create_organization(name text, slug text, owner_name text, owner_email text) IS '@resultFieldName user
Creates an organization whose first owner is the caller. Needs a signed-in token, with or without an organization. Returns the owner''s user: mint the next token with its `organizationId` and `rowId`.';

--
-- Name: organizations; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.organizations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    slug text NOT NULL,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organizations_name_check CHECK (((length(btrim(name)) >= 1) AND (length(btrim(name)) <= 200))),
    CONSTRAINT organizations_settings_check CHECK ((jsonb_typeof(settings) = 'object'::text)),
    CONSTRAINT organizations_slug_check CHECK ((slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'::text))
);

--
-- Name: TABLE organizations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.organizations IS '@behavior -insert
A tenant: every other row belongs to exactly one organization. Created with `createOrganization`.';

--
-- Name: COLUMN organizations.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.id IS 'The organization''s id; the `org_id` claim of its tokens.';

--
-- Name: COLUMN organizations.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.name IS 'Display name.';

--
-- Name: COLUMN organizations.slug; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.slug IS 'Unique URL name: lowercase letters, digits and inner hyphens.';

--
-- Name: COLUMN organizations.settings; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.settings IS 'Organization settings (a JSON object).';

--
-- Name: COLUMN organizations.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.created_at IS 'When the organization was created.';

--
-- Name: COLUMN organizations.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organizations.updated_at IS 'When the organization was last changed.';

--
-- Name: current_organization(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_organization() RETURNS app_public.organizations
    LANGUAGE sql STABLE
    AS $$
  select o.* from app_public.organizations o where o.id = app_public.current_org_id();
$$;

--
-- Name: FUNCTION current_organization(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_organization() IS 'The organization the request acts for, or null.';

--
-- Name: current_user(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public."current_user"() RETURNS app_public.users
    LANGUAGE sql STABLE
    AS $$
  select u.* from app_public.users u
   where u.organization_id = app_public.current_org_id() and u.id = app_public.current_user_id();
$$;

--
-- Name: FUNCTION "current_user"(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public."current_user"() IS 'The signed-in user, or null.';

--
-- Name: current_user_role(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_user_role() RETURNS app_public.user_role
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: it must read the caller's own row even where RLS would recurse
-- (the users policies call this function).
declare
  v_org uuid := app_public.current_org_id();
  v_user uuid := app_public.current_user_id();
  v_role app_public.user_role;
begin
  if v_org is null then
    return null;
  end if;
  if v_user is not null then
    select u.role into v_role
      from app_public.users u
     where u.organization_id = v_org and u.id = v_user;
    return v_role;
  end if;
  if pg_catalog.current_setting('forgeline.service_tenant', true) = v_org::text
     and pg_catalog.pg_has_role(
           session_user,
           (select c.relowner from pg_catalog.pg_class c
             where c.oid = 'app_public.users'::pg_catalog.regclass),
           'MEMBER') then
    return 'admin'::app_public.user_role;
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION current_user_role(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_user_role() IS 'The role (`owner`, `admin`, `member`, `viewer`) the current user holds in the current organization, read from the user''s row; null when the request is anonymous or not a member.';

--
-- Name: feature_enabled(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.feature_enabled(name text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  v_default boolean;
  v_override boolean;
begin
  select f.default_enabled into v_default from app_public.feature_flags f where f.name = feature_enabled.name;
  if not found then
    raise exception 'Unknown feature flag "%"', feature_enabled.name using errcode = 'FL010';
  end if;
  select o.enabled into v_override
    from app_public.organization_feature_flags o
   where o.organization_id = app_public.current_org_id() and o.flag_name = feature_enabled.name;
  return coalesce(v_override, v_default);
end;
$$;

--
-- Name: FUNCTION feature_enabled(name text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.feature_enabled(name text) IS 'Whether a feature is on for the current organization: its override if set, else the global default. Unknown names raise FL010.';

--
-- Name: feature_flags; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.feature_flags (
    name text NOT NULL,
    description text NOT NULL,
    default_enabled boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT feature_flags_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

--
-- Name: TABLE feature_flags; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.feature_flags IS '@behavior -insert -update -delete
A feature that organizations can have on or off; `enabled` is its state for the current organization.';

--
-- Name: COLUMN feature_flags.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.feature_flags.name IS 'The flag''s name, as `featureEnabled(name:)` takes it.';

--
-- Name: COLUMN feature_flags.description; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.feature_flags.description IS 'What the flag turns on.';

--
-- Name: COLUMN feature_flags.default_enabled; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.feature_flags.default_enabled IS 'The state for organizations without an override.';

--
-- Name: COLUMN feature_flags.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.feature_flags.created_at IS 'When the flag was introduced.';

--
-- Name: feature_flags_enabled(app_public.feature_flags); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.feature_flags_enabled(f app_public.feature_flags) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select coalesce(
    (select o.enabled from app_public.organization_feature_flags o
      where o.organization_id = app_public.current_org_id() and o.flag_name = f.name),
    f.default_enabled);
$$;

--
-- Name: FUNCTION feature_flags_enabled(f app_public.feature_flags); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.feature_flags_enabled(f app_public.feature_flags) IS 'Whether this feature is on for the current organization.';

--
-- Name: pipeline_stats(uuid, timestamp with time zone); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.pipeline_stats(pipeline_id uuid, since timestamp with time zone DEFAULT (now() - '30 days'::interval)) RETURNS SETOF app_public.pipeline_branch_stats
    LANGUAGE sql STABLE
    AS $$
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

--
-- Name: FUNCTION pipeline_stats(pipeline_id uuid, since timestamp with time zone); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.pipeline_stats(pipeline_id uuid, since timestamp with time zone) IS 'Runs, success rate and p50/p95 run and queue times (ms) of a pipeline''s completed executions created since `since` (default 30 days ago), per branch; the row with `branch: null` is all branches together.';

--
-- Name: pipeline_steps_log(app_public.pipeline_steps); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.pipeline_steps_log(step app_public.pipeline_steps) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select pg_catalog.string_agg(l.content, '' order by l.seq)
    from app_public.pipeline_step_logs l
   where l.organization_id = (pipeline_steps_log.step).organization_id
     and l.step_id = (pipeline_steps_log.step).id
     and l.execution_created_at = (pipeline_steps_log.step).execution_created_at;
$$;

--
-- Name: FUNCTION pipeline_steps_log(step app_public.pipeline_steps); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.pipeline_steps_log(step app_public.pipeline_steps) IS 'The step''s log so far (null before anything was written).';

--
-- Name: ready_steps(uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.ready_steps(execution_id uuid) RETURNS SETOF app_public.pipeline_steps
    LANGUAGE sql STABLE
    AS $$
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

--
-- Name: FUNCTION ready_steps(execution_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.ready_steps(execution_id uuid) IS 'The steps of a running execution that may start now: not started, every step they need met. Runners call `startStep` on them.';

--
-- Name: ready_tasks(uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.ready_tasks(project_id uuid) RETURNS SETOF app_public.tasks
    LANGUAGE sql STABLE
    AS $$
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

--
-- Name: FUNCTION ready_tasks(project_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.ready_tasks(project_id uuid) IS 'Open tasks of the project that are not started and that no open task blocks, most urgent first.';

--
-- Name: remove_user(uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.remove_user(user_id uuid) RETURNS app_public.users
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: the visitor has no delete grant on users; this is the checked path.
declare
  v_caller app_public.user_role;
  v_target app_public.users;
begin
  -- Lock first, then read the caller's role: see lock_organization.sql.
  perform app_private.lock_organization();
  v_caller := app_private.require_role('viewer');
  select * into v_target from app_public.users u
   where u.organization_id = app_public.current_org_id() and u.id = remove_user.user_id
   for update;
  if not found then
    raise exception 'No such user in this organization' using errcode = 'FL003';
  end if;
  if v_target.id is distinct from app_public.current_user_id() then
    if v_caller < 'admin' then
      raise exception 'Your role (%) may not remove other users', v_caller using errcode = 'FL002';
    end if;
    if v_target.role = 'owner' and v_caller <> 'owner' then
      raise exception 'Only an owner may remove an owner' using errcode = 'FL002';
    end if;
  end if;

  delete from app_public.users u
   where u.organization_id = v_target.organization_id and u.id = v_target.id;
  return v_target;
end;
$$;

--
-- Name: FUNCTION remove_user(user_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.remove_user(user_id uuid) IS '@resultFieldName user
Removes a user from the current organization (admins and owners, or the user themself). Returns the removed user.';

--
-- Name: rerun_execution(uuid, boolean); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.rerun_execution(execution_id uuid, failed_only boolean DEFAULT false) RETURNS app_public.pipeline_executions
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION rerun_execution(execution_id uuid, failed_only boolean); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.rerun_execution(execution_id uuid, failed_only boolean) IS '@resultFieldName execution
Re-runs a completed execution (members, the latest attempt of its run) as a new execution with the next `attempt`, linked by `previousAttemptId`. `failedOnly`: steps that succeeded are kept (`reused`), the others and every step after them run again.';

--
-- Name: search_tasks(text, uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.search_tasks(query text, project_id uuid DEFAULT NULL::uuid) RETURNS TABLE(rank real, snippet text, task app_public.tasks)
    LANGUAGE sql STABLE
    AS $_$
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
$_$;

--
-- Name: FUNCTION search_tasks(query text, project_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.search_tasks(query text, project_id uuid) IS 'Tasks matching a search (words, "phrases", -excluded; misspelt titles; or an identifier like ENG-42), best first, with a highlighted snippet (HTML-escaped text, matches in <mark>).';

--
-- Name: set_feature_flag(text, boolean); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.set_feature_flag(name text, enabled boolean) RETURNS app_public.feature_flags
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Definer: overrides are written only here, after the role check below.
declare
  v_flag app_public.feature_flags;
begin
  perform app_private.require_role('admin');
  select * into v_flag from app_public.feature_flags f where f.name = set_feature_flag.name;
  if not found then
    raise exception 'Unknown feature flag "%"', set_feature_flag.name using errcode = 'FL010';
  end if;
  if set_feature_flag.enabled is null then
    delete from app_public.organization_feature_flags o
     where o.organization_id = app_public.current_org_id() and o.flag_name = v_flag.name;
  else
    insert into app_public.organization_feature_flags as o (organization_id, flag_name, enabled, updated_by)
    values (app_public.current_org_id(), v_flag.name, set_feature_flag.enabled, app_public.current_user_id())
    on conflict (organization_id, flag_name) do update
      set enabled = excluded.enabled, updated_by = excluded.updated_by
      where o.enabled is distinct from excluded.enabled;
  end if;
  return v_flag;
end;
$$;

--
-- Name: FUNCTION set_feature_flag(name text, enabled boolean); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.set_feature_flag(name text, enabled boolean) IS '@resultFieldName featureFlag
Turns a feature on or off for the current organization (admins and owners); null returns it to the global default.';

--
-- Name: start_execution(uuid, text, text, text, integer, jsonb); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.start_execution(pipeline_id uuid, event text DEFAULT 'manual'::text, branch text DEFAULT NULL::text, commit_sha text DEFAULT NULL::text, pull_request_number integer DEFAULT NULL::integer, trigger_metadata jsonb DEFAULT '{}'::jsonb) RETURNS app_public.pipeline_executions
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION start_execution(pipeline_id uuid, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.start_execution(pipeline_id uuid, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb) IS '@resultFieldName execution
Starts a run of a pipeline (members): it begins at once if the pipeline''s concurrency limit and group allow, otherwise it is `QUEUED` or `WAITING` and starts when a slot frees. `event` is what triggered it (default `manual`), `branch` defaults to the repository''s default branch.';

--
-- Name: start_step(uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.start_step(step_id uuid) RETURNS app_public.pipeline_steps
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION start_step(step_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.start_step(step_id uuid) IS '@resultFieldName step
Marks a ready step of a running execution as started (members, e.g. a runner); FL205 when its needs are not met or the execution is not running.';

--
-- Name: task_ancestors(uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.task_ancestors(task_id uuid) RETURNS TABLE(depth integer, task app_public.tasks)
    LANGUAGE sql STABLE
    AS $$
  select p.depth, t
    from app_public.task_hierarchy_paths p
    join app_public.tasks t on t.organization_id = p.organization_id and t.id = p.ancestor_id
   where p.organization_id = app_public.current_org_id()
     and p.descendant_id = task_ancestors.task_id and p.depth > 0
   order by p.depth;
$$;

--
-- Name: FUNCTION task_ancestors(task_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.task_ancestors(task_id uuid) IS 'The task''s ancestors, its parent first, each with its distance (1 = the parent).';

--
-- Name: task_blockers(uuid, boolean); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.task_blockers(task_id uuid, include_finished boolean DEFAULT false) RETURNS TABLE(distance integer, task app_public.tasks)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION task_blockers(task_id uuid, include_finished boolean); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.task_blockers(task_id uuid, include_finished boolean) IS 'Every task that blocks this one, directly or through others, with its distance (1 = direct); finished blockers only with `includeFinished`.';

--
-- Name: task_by_identifier(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.task_by_identifier(identifier text) RETURNS app_public.tasks
    LANGUAGE sql STABLE
    AS $_$
  select t.*
    from app_public.tasks t
    join app_public.projects p on p.organization_id = t.organization_id and p.id = t.project_id
   where t.organization_id = app_public.current_org_id()
     and pg_catalog.upper(pg_catalog.btrim(task_by_identifier.identifier)) ~ '^[A-Z][A-Z0-9]{1,9}-[0-9]{1,9}$'
     and p.key = pg_catalog.split_part(pg_catalog.upper(pg_catalog.btrim(task_by_identifier.identifier)), '-', 1)
     and t.number = pg_catalog.split_part(pg_catalog.btrim(task_by_identifier.identifier), '-', 2)::integer;
$_$;

--
-- Name: FUNCTION task_by_identifier(identifier text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.task_by_identifier(identifier text) IS 'The task with this identifier (`ENG-42`, any case), or null.';

--
-- Name: task_critical_path(uuid, uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.task_critical_path(project_id uuid DEFAULT NULL::uuid, task_id uuid DEFAULT NULL::uuid) RETURNS TABLE("position" integer, effort numeric, total_effort numeric, task app_public.tasks)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION task_critical_path(project_id uuid, task_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.task_critical_path(project_id uuid, task_id uuid) IS 'The longest chain of open blocking tasks by estimated effort, first task first, with the running total: of a project (`projectId`), or ending at a task (`taskId`).';

--
-- Name: task_descendants(uuid, integer); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.task_descendants(task_id uuid, max_depth integer DEFAULT NULL::integer) RETURNS TABLE(depth integer, task app_public.tasks)
    LANGUAGE sql STABLE
    AS $$
  select p.depth, t
    from app_public.task_hierarchy_paths p
    join app_public.tasks t on t.organization_id = p.organization_id and t.id = p.descendant_id
   where p.organization_id = app_public.current_org_id()
     and p.ancestor_id = task_descendants.task_id and p.depth > 0
     and (task_descendants.max_depth is null or p.depth <= task_descendants.max_depth)
   order by p.depth, t.number;
$$;

--
-- Name: FUNCTION task_descendants(task_id uuid, max_depth integer); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.task_descendants(task_id uuid, max_depth integer) IS 'The task''s subtree in depth order (1 = its children), down to `maxDepth` levels when given.';

--
-- Name: task_execution_order(uuid); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.task_execution_order(project_id uuid) RETURNS TABLE(level integer, task app_public.tasks)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
declare
  v_org uuid := app_public.current_org_id();
  v_placed jsonb := '{}'::jsonb;
  v_batch uuid[];
  v_level integer := 0;
begin
  -- Level 0: the open tasks that no open task of the project blocks.
  select pg_catalog.array_agg(t.id) into v_batch
    from app_public.tasks t
   where t.organization_id = v_org and t.project_id = task_execution_order.project_id
     and t.status not in ('done', 'cancelled')
     and not exists (
       select 1 from app_public.task_dependencies d
         join app_public.tasks b on b.organization_id = d.organization_id and b.id = d.dependency_id
        where d.organization_id = v_org and d.dependent_id = t.id and d.type = 'blocks'
          and b.project_id = task_execution_order.project_id
          and b.status not in ('done', 'cancelled'));
  while v_batch is not null loop
    return query
      select v_level, t from app_public.tasks t
       where t.organization_id = v_org and t.id = any (v_batch)
       order by t.priority, t.number;
    v_placed := v_placed || (select pg_catalog.jsonb_object_agg(x::text, v_level) from pg_catalog.unnest(v_batch) x);
    v_level := v_level + 1;
    -- Level n: a task of level n has a blocker on level n - 1 (else it would be
    -- lower), so the candidates are the previous level's dependents whose open
    -- blockers in the project are all placed.
    select pg_catalog.array_agg(distinct t.id) into v_batch
      from app_public.task_dependencies n
      join app_public.tasks t on t.organization_id = n.organization_id and t.id = n.dependent_id
     where n.organization_id = v_org and n.dependency_id = any (v_batch) and n.type = 'blocks'
       and t.project_id = task_execution_order.project_id
       and t.status not in ('done', 'cancelled')
       and not v_placed ? t.id::text
       and not exists (
         select 1 from app_public.task_dependencies d
           join app_public.tasks b on b.organization_id = d.organization_id and b.id = d.dependency_id
          where d.organization_id = v_org and d.dependent_id = t.id and d.type = 'blocks'
            and b.project_id = task_execution_order.project_id
            and b.status not in ('done', 'cancelled')
            and not v_placed ? b.id::text);
  end loop;
end;
$$;

--
-- Name: FUNCTION task_execution_order(project_id uuid); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.task_execution_order(project_id uuid) IS 'The project''s open tasks in an order that respects blocking: tasks of one level can run in parallel once the lower levels are done.';

--
-- Name: tasks_identifier(app_public.tasks); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.tasks_identifier(t app_public.tasks) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  select p.key || '-' || t.number from app_public.projects p
   where p.organization_id = t.organization_id and p.id = t.project_id;
$$;

--
-- Name: FUNCTION tasks_identifier(t app_public.tasks); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.tasks_identifier(t app_public.tasks) IS 'The task''s human identifier: its project''s key and its number, like ENG-42.';

--
-- Name: tasks_rollup(app_public.tasks); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.tasks_rollup(t app_public.tasks) RETURNS app_public.task_rollup
    LANGUAGE sql STABLE
    AS $$
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

--
-- Name: FUNCTION tasks_rollup(t app_public.tasks); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.tasks_rollup(t app_public.tasks) IS 'The task''s subtree at a glance: how many children and descendants, descendants by status, and the effort of the task and everything below it.';

--
-- Name: audit_events_id_seq; Type: SEQUENCE; Schema: app_private; Owner: -
--

CREATE SEQUENCE app_private.audit_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: audit_events; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.audit_events (
    organization_id uuid NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    id bigint DEFAULT nextval('app_private.audit_events_id_seq'::regclass) NOT NULL,
    actor_user_id uuid,
    actor text NOT NULL,
    action text NOT NULL,
    table_name text,
    row_key jsonb DEFAULT '{}'::jsonb NOT NULL,
    changes jsonb DEFAULT '{}'::jsonb NOT NULL,
    request_id text,
    CONSTRAINT audit_events_action_check CHECK ((action ~ '^[a-z][a-z0-9_.]{0,63}$'::text)),
    CONSTRAINT audit_events_actor_check CHECK ((actor ~ '^[a-z][a-z0-9_-]{0,31}$'::text))
)
PARTITION BY RANGE (occurred_at);
ALTER TABLE ONLY app_public.audit_events ALTER COLUMN organization_id SET (n_distinct=-0.01, n_distinct_inherited=-0.01);

--
-- Name: TABLE audit_events; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.audit_events IS '@behavior -insert -update -delete
Who changed what in the organization: one event per inserted, updated or deleted row of an audited table, or per named business action. Append-only; admins and owners read it. Order by `OCCURRED_AT_DESC` for newest first.';

--
-- Name: COLUMN audit_events.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.organization_id IS 'The organization the event belongs to.';

--
-- Name: COLUMN audit_events.occurred_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.occurred_at IS 'When it happened (the transaction''s time).';

--
-- Name: COLUMN audit_events.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.id IS 'Orders events within the same instant.';

--
-- Name: COLUMN audit_events.actor_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.actor_user_id IS '@behavior +filterBy
The user who acted, when a user did.';

--
-- Name: COLUMN audit_events.actor; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.actor IS 'Who acted: `user`, or trusted code such as `worker`, `webhook`, `system`.';

--
-- Name: COLUMN audit_events.action; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.action IS '`insert`, `update`, `delete`, or a named business action.';

--
-- Name: COLUMN audit_events.table_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.table_name IS '@behavior +filterBy
The table changed, schema-qualified.';

--
-- Name: COLUMN audit_events.row_key; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.row_key IS '@behavior +filterBy
The changed row''s primary key, e.g. {"organization_id": "…", "id": "…"}.';

--
-- Name: COLUMN audit_events.changes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.changes IS 'Changed columns: {"column": {"old": …, "new": …}}. Secrets are never recorded.';

--
-- Name: COLUMN audit_events.request_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_events.request_id IS '@behavior +filterBy
The API request (x-request-id) that made the change.';

--
-- Name: pipeline_step_logs; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.pipeline_step_logs (
    organization_id uuid NOT NULL,
    step_id uuid NOT NULL,
    execution_created_at timestamp with time zone NOT NULL,
    seq integer NOT NULL,
    content text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pipeline_step_logs_seq_check CHECK ((seq >= 1))
)
PARTITION BY RANGE (execution_created_at);
ALTER TABLE ONLY app_public.pipeline_step_logs ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE pipeline_step_logs; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.pipeline_step_logs IS '@behavior -*
A step''s log in the chunks it was written in (read it as `log` on the step).';

--
-- Name: COLUMN pipeline_step_logs.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_step_logs.organization_id IS 'The organization it belongs to.';

--
-- Name: COLUMN pipeline_step_logs.step_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_step_logs.step_id IS 'The step.';

--
-- Name: COLUMN pipeline_step_logs.execution_created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_step_logs.execution_created_at IS 'The execution''s creation time (the partition key).';

--
-- Name: COLUMN pipeline_step_logs.seq; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_step_logs.seq IS 'The chunk''s place in the log, from 1.';

--
-- Name: COLUMN pipeline_step_logs.content; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_step_logs.content IS 'The text.';

--
-- Name: COLUMN pipeline_step_logs.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.pipeline_step_logs.created_at IS 'When it was written.';

--
-- Name: db_health_check; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.db_health_check AS
 SELECT ( SELECT count(*) AS count
           FROM pg_stat_activity
          WHERE (pg_stat_activity.datname = current_database())) AS connections,
    ( SELECT count(*) AS count
           FROM pg_stat_activity
          WHERE ((pg_stat_activity.datname = current_database()) AND (pg_stat_activity.state = 'active'::text))) AS active_connections,
    (current_setting('max_connections'::text))::integer AS max_connections,
    ( SELECT count(*) AS count
           FROM pg_stat_activity
          WHERE ((pg_stat_activity.datname = current_database()) AND (pg_stat_activity.state <> 'idle'::text) AND ((now() - pg_stat_activity.query_start) > '00:05:00'::interval))) AS long_running_queries,
    ( SELECT count(*) AS count
           FROM pg_stat_activity
          WHERE ((pg_stat_activity.datname = current_database()) AND (pg_stat_activity.wait_event_type = 'Lock'::text))) AS locks_waiting,
    ( SELECT max(EXTRACT(epoch FROM pg_stat_replication.replay_lag)) AS max
           FROM pg_stat_replication) AS replication_lag_seconds,
    pg_database_size(current_database()) AS database_bytes,
    now() AS checked_at;

--
-- Name: VIEW db_health_check; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.db_health_check IS 'One row: connections to this database (all, active, the server''s limit), its queries running over 5 minutes, its sessions waiting on a lock, replication lag in seconds (null without replicas), database size.';

--
-- Name: maintenance_state; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.maintenance_state (
    singleton boolean DEFAULT true NOT NULL,
    scheduler text,
    scheduled_job text,
    scheduled_at timestamp with time zone,
    scheduler_last_run_at timestamp with time zone,
    last_run_at timestamp with time zone,
    last_run_by text,
    CONSTRAINT maintenance_state_scheduler_check CHECK ((scheduler = 'pg_cron'::text)),
    CONSTRAINT maintenance_state_singleton_check CHECK (singleton)
);

--
-- Name: TABLE maintenance_state; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.maintenance_state IS 'One row: which scheduler runs maintenance (pg_cron, or the worker''s crontab when null) and when it last ran.';

--
-- Name: maintenance_steps; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.maintenance_steps (
    name text NOT NULL,
    fn regprocedure NOT NULL,
    "position" integer DEFAULT 100 NOT NULL,
    CONSTRAINT maintenance_steps_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

--
-- Name: TABLE maintenance_steps; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.maintenance_steps IS 'Each module''s routine work, run by app_private.run_maintenance(at) after partitions, retention and rate-limit buckets, by position: a function (at timestamptz) returning setof text.';

--
-- Name: partitioned_tables; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.partitioned_tables (
    table_name regclass NOT NULL,
    retention interval,
    premake integer DEFAULT 3 NOT NULL,
    drop_order integer DEFAULT 0 NOT NULL,
    before_drop regprocedure,
    CONSTRAINT partitioned_tables_premake_check CHECK (((premake >= 1) AND (premake <= 24))),
    CONSTRAINT partitioned_tables_retention_check CHECK ((retention > '00:00:00'::interval))
);

--
-- Name: TABLE partitioned_tables; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.partitioned_tables IS 'Monthly-partitioned tables: how long their partitions are kept and how many months are created ahead.';

--
-- Name: COLUMN partitioned_tables.drop_order; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.partitioned_tables.drop_order IS 'Within a month, partitions are dropped in this order (lowest first): a table before the tables it references.';

--
-- Name: COLUMN partitioned_tables.before_drop; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.partitioned_tables.before_drop IS 'Called with a partition (regclass) before retention drops it, e.g. to hand what its rows point at to the worker.';

--
-- Name: partition_counts; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.partition_counts AS
 SELECT (p.table_name)::text AS table_name,
    (count(h.inhrelid))::integer AS partitions,
    min(to_date("right"((c.relname)::text, 6), 'YYYYMM'::text)) AS oldest_month,
    max(to_date("right"((c.relname)::text, 6), 'YYYYMM'::text)) AS newest_month,
    (((EXTRACT(year FROM age((max(to_date("right"((c.relname)::text, 6), 'YYYYMM'::text)))::timestamp with time zone, ((date_trunc('month'::text, now()))::date)::timestamp with time zone)) * (12)::numeric) + EXTRACT(month FROM age((max(to_date("right"((c.relname)::text, 6), 'YYYYMM'::text)))::timestamp with time zone, ((date_trunc('month'::text, now()))::date)::timestamp with time zone))))::integer AS months_ahead,
    p.retention,
    p.premake
   FROM ((app_private.partitioned_tables p
     LEFT JOIN pg_inherits h ON ((h.inhparent = (p.table_name)::oid)))
     LEFT JOIN pg_class c ON ((c.oid = h.inhrelid)))
  GROUP BY p.table_name, p.retention, p.premake;

--
-- Name: VIEW partition_counts; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.partition_counts IS 'Per partitioned table: how many monthly partitions exist, the oldest and newest month, and how many months ahead are ready.';

--
-- Name: rate_limit_buckets; Type: TABLE; Schema: app_private; Owner: -
--

CREATE UNLOGGED TABLE app_private.rate_limit_buckets (
    key text NOT NULL,
    tokens double precision NOT NULL,
    refilled_at timestamp with time zone NOT NULL
);

--
-- Name: TABLE rate_limit_buckets; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.rate_limit_buckets IS 'Token buckets of the API rate limit (unlogged: losing them on a crash only refills them).';

--
-- Name: table_sizes; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.table_sizes AS
 SELECT n.nspname AS schema_name,
    c.relname AS table_name,
    (c.relkind = 'p'::"char") AS partitioned,
    (COALESCE(sum(pg_total_relation_size(t.relid)), (0)::numeric))::bigint AS total_bytes,
    (COALESCE(sum(pg_relation_size(t.relid)), (0)::numeric))::bigint AS table_bytes,
    (COALESCE(sum(pg_indexes_size(t.relid)), (0)::numeric))::bigint AS index_bytes,
    (COALESCE(sum(GREATEST(tc.reltuples, (0)::real)), (0)::real))::bigint AS estimated_rows
   FROM (((pg_class c
     JOIN pg_namespace n ON ((n.oid = c.relnamespace)))
     CROSS JOIN LATERAL ( SELECT pt.relid
           FROM pg_partition_tree((c.oid)::regclass) pt(relid, parentrelid, isleaf, level)
          WHERE (c.relkind = 'p'::"char")
        UNION ALL
         SELECT (c.oid)::regclass AS oid
          WHERE (c.relkind = 'r'::"char")) t)
     JOIN pg_class tc ON ((tc.oid = (t.relid)::oid)))
  WHERE ((n.nspname = ANY (ARRAY['app_public'::name, 'app_hidden'::name, 'app_private'::name, 'graphile_worker'::name])) AND (c.relkind = ANY (ARRAY['r'::"char", 'p'::"char"])) AND (NOT c.relispartition))
  GROUP BY n.nspname, c.relname, c.relkind
  ORDER BY ((COALESCE(sum(pg_total_relation_size(t.relid)), (0)::numeric))::bigint) DESC;

--
-- Name: VIEW table_sizes; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.table_sizes IS 'Size of every table (partitioned tables summed over their partitions): total, heap, indexes, estimated rows.';

--
-- Name: organization_feature_flags; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.organization_feature_flags (
    organization_id uuid NOT NULL,
    flag_name text NOT NULL,
    enabled boolean NOT NULL,
    updated_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY app_public.organization_feature_flags ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE organization_feature_flags; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.organization_feature_flags IS '@behavior -insert -update -delete
An organization''s override of a feature flag''s default; set with `setFeatureFlag`.';

--
-- Name: COLUMN organization_feature_flags.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.organization_id IS 'The organization.';

--
-- Name: COLUMN organization_feature_flags.flag_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.flag_name IS 'The feature flag.';

--
-- Name: COLUMN organization_feature_flags.enabled; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.enabled IS 'On or off for this organization.';

--
-- Name: COLUMN organization_feature_flags.updated_by; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.updated_by IS 'The user who last set it.';

--
-- Name: COLUMN organization_feature_flags.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.created_at IS 'When the override was first set.';

--
-- Name: COLUMN organization_feature_flags.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.organization_feature_flags.updated_at IS 'When the override last changed.';

--
-- Name: projects; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.projects (
    organization_id uuid DEFAULT app_public.current_org_id() NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    key text NOT NULL,
    name text NOT NULL,
    description text,
    status app_public.project_status DEFAULT 'active'::app_public.project_status NOT NULL,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    lead_id uuid,
    next_task_number integer DEFAULT 1 NOT NULL,
    archived_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT projects_description_check CHECK ((length(description) <= 10000)),
    CONSTRAINT projects_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT projects_next_task_number_check CHECK ((next_task_number > 0)),
    CONSTRAINT projects_settings_check CHECK ((jsonb_typeof(settings) = 'object'::text))
);
ALTER TABLE ONLY app_public.projects ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE projects; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.projects IS 'A body of work with its own task numbering (`ENG-42`). Admins manage projects; archiving one makes its tasks read-only.';

--
-- Name: COLUMN projects.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.organization_id IS 'The organization the project belongs to.';

--
-- Name: COLUMN projects.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.id IS 'The project''s id.';

--
-- Name: COLUMN projects.key; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.key IS '@behavior +orderBy
Short uppercase key (2–10 letters and digits) that prefixes task identifiers; unique in the organization, fixed once set.';

--
-- Name: COLUMN projects.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.name IS '@behavior +orderBy +filterBy
Display name, unique in the organization (case-insensitive).';

--
-- Name: COLUMN projects.description; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.description IS 'What the project is about.';

--
-- Name: COLUMN projects.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.status IS '@behavior +filterBy
`ACTIVE`, or `ARCHIVED` (its tasks are then read-only).';

--
-- Name: COLUMN projects.settings; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.settings IS 'Project settings (a JSON object). `auto_complete_parents: true` completes a task when all its subtasks are finished.';

--
-- Name: COLUMN projects.lead_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.lead_id IS 'The user who leads the project.';

--
-- Name: COLUMN projects.next_task_number; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.next_task_number IS '@behavior -*
The number the next task gets (internal).';

--
-- Name: COLUMN projects.archived_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.archived_at IS 'When the project was archived, while it is.';

--
-- Name: COLUMN projects.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.created_at IS 'When the project was created.';

--
-- Name: COLUMN projects.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.projects.updated_at IS 'When the project was last changed.';

--
-- Name: repositories; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.repositories (
    organization_id uuid DEFAULT app_public.current_org_id() NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    project_id uuid,
    provider app_public.repository_provider NOT NULL,
    full_name text NOT NULL,
    external_id text,
    clone_url text NOT NULL,
    default_branch text DEFAULT 'main'::text NOT NULL,
    analysis_config jsonb DEFAULT '{}'::jsonb NOT NULL,
    webhook_config jsonb DEFAULT '{}'::jsonb NOT NULL,
    last_analyzed_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT repositories_external_id_check CHECK (((length(external_id) >= 1) AND (length(external_id) <= 200)))
);
ALTER TABLE ONLY app_public.repositories ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE repositories; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.repositories IS 'A code repository the organization works in, optionally part of a project. Admins manage repositories.';

--
-- Name: COLUMN repositories.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.organization_id IS 'The organization the repository belongs to.';

--
-- Name: COLUMN repositories.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.id IS 'The repository''s id.';

--
-- Name: COLUMN repositories.project_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.project_id IS 'The project it belongs to, if any.';

--
-- Name: COLUMN repositories.provider; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.provider IS 'Where it is hosted.';

--
-- Name: COLUMN repositories.full_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.full_name IS '@behavior +orderBy +filterBy
`owner/name`, as the provider spells it.';

--
-- Name: COLUMN repositories.external_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.external_id IS 'The provider''s own id of the repository; unique per organization and provider.';

--
-- Name: COLUMN repositories.clone_url; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.clone_url IS 'How to clone it: https://…, git@host:owner/name.git, or for a local repository a path.';

--
-- Name: COLUMN repositories.default_branch; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.default_branch IS 'The branch work merges into.';

--
-- Name: COLUMN repositories.analysis_config; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.analysis_config IS 'How to analyse the code (a JSON object).';

--
-- Name: COLUMN repositories.webhook_config; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.webhook_config IS 'Which events to receive (a JSON object, without secrets: those stay encrypted with the integration).';

--
-- Name: COLUMN repositories.last_analyzed_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.last_analyzed_at IS 'When the code was last analysed (set by the analysis job).';

--
-- Name: COLUMN repositories.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.created_at IS 'When the repository was added.';

--
-- Name: COLUMN repositories.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.repositories.updated_at IS 'When the repository was last changed.';

--
-- Name: task_dependencies; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.task_dependencies (
    organization_id uuid DEFAULT app_public.current_org_id() NOT NULL,
    dependent_id uuid NOT NULL,
    dependency_id uuid NOT NULL,
    type app_public.task_dependency_type DEFAULT 'blocks'::app_public.task_dependency_type NOT NULL,
    created_by uuid DEFAULT app_public.current_user_id(),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT task_dependencies_check CHECK ((dependent_id <> dependency_id))
);
ALTER TABLE ONLY app_public.task_dependencies ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE task_dependencies; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.task_dependencies IS 'A link between two tasks of the organization: the dependent waits for the dependency (`BLOCKS`, never in a cycle), or they relate or duplicate. Members add and remove links.';

--
-- Name: COLUMN task_dependencies.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_dependencies.organization_id IS 'The organization.';

--
-- Name: COLUMN task_dependencies.dependent_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_dependencies.dependent_id IS 'The task that depends.';

--
-- Name: COLUMN task_dependencies.dependency_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_dependencies.dependency_id IS 'The task it depends on.';

--
-- Name: COLUMN task_dependencies.type; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_dependencies.type IS '@behavior +filterBy
`BLOCKS`, `RELATES_TO` or `DUPLICATES`.';

--
-- Name: COLUMN task_dependencies.created_by; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_dependencies.created_by IS 'The user who added the link.';

--
-- Name: COLUMN task_dependencies.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_dependencies.created_at IS 'When it was added.';

--
-- Name: task_hierarchy_paths; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.task_hierarchy_paths (
    organization_id uuid NOT NULL,
    ancestor_id uuid NOT NULL,
    descendant_id uuid NOT NULL,
    depth integer NOT NULL,
    CONSTRAINT task_hierarchy_paths_depth_check CHECK ((depth >= 0))
);
ALTER TABLE ONLY app_public.task_hierarchy_paths ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE task_hierarchy_paths; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.task_hierarchy_paths IS '@behavior -*
The closure of the task tree: every ancestor and descendant pair with its distance (each task is its own ancestor at depth 0). Kept by triggers; read through taskAncestors, taskDescendants and rollup.';

--
-- Name: COLUMN task_hierarchy_paths.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_hierarchy_paths.organization_id IS 'The organization.';

--
-- Name: COLUMN task_hierarchy_paths.ancestor_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_hierarchy_paths.ancestor_id IS 'The ancestor task.';

--
-- Name: COLUMN task_hierarchy_paths.descendant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_hierarchy_paths.descendant_id IS 'The descendant task.';

--
-- Name: COLUMN task_hierarchy_paths.depth; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_hierarchy_paths.depth IS 'How many levels below the ancestor the descendant is.';

--
-- Name: task_status_changes; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.task_status_changes (
    organization_id uuid NOT NULL,
    id bigint NOT NULL,
    task_id uuid NOT NULL,
    from_status app_public.task_status,
    to_status app_public.task_status NOT NULL,
    changed_by uuid,
    actor text NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY app_public.task_status_changes ALTER COLUMN organization_id SET (n_distinct=-0.01);

--
-- Name: TABLE task_status_changes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.task_status_changes IS '@behavior -insert -update -delete
Every status a task went through: who changed it, from what, to what, when.';

--
-- Name: COLUMN task_status_changes.organization_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_changes.organization_id IS 'The organization.';

--
-- Name: COLUMN task_status_changes.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_changes.id IS 'Orders the changes.';

--
-- Name: COLUMN task_status_changes.task_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_changes.task_id IS 'The task.';

--
-- Name: COLUMN task_status_changes.from_status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_changes.from_status IS 'The status before (null when the task was created).';

--
-- Name: COLUMN task_status_changes.to_status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_changes.to_status IS 'The status after.';

--
-- Name: COLUMN task_status_changes.changed_by; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_changes.changed_by IS 'The user who changed it, when a user did.';

--
-- Name: COLUMN task_status_changes.actor; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_changes.actor IS 'Who changed it: `user`, or trusted code such as `worker`.';

--
-- Name: COLUMN task_status_changes.changed_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_changes.changed_at IS '@behavior +orderBy
When.';

--
-- Name: task_status_changes_id_seq; Type: SEQUENCE; Schema: app_public; Owner: -
--

ALTER TABLE app_public.task_status_changes ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app_public.task_status_changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: task_status_transitions; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.task_status_transitions (
    from_status app_public.task_status NOT NULL,
    to_status app_public.task_status NOT NULL,
    CONSTRAINT task_status_transitions_check CHECK ((from_status <> to_status))
);

--
-- Name: TABLE task_status_transitions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.task_status_transitions IS '@behavior -insert -update -delete
The allowed changes of a task''s status.';

--
-- Name: COLUMN task_status_transitions.from_status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_transitions.from_status IS 'The status a task is in.';

--
-- Name: COLUMN task_status_transitions.to_status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.task_status_transitions.to_status IS 'A status it may change to.';

--
-- Name: maintenance_state maintenance_state_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.maintenance_state
    ADD CONSTRAINT maintenance_state_pkey PRIMARY KEY (singleton);

--
-- Name: maintenance_steps maintenance_steps_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.maintenance_steps
    ADD CONSTRAINT maintenance_steps_pkey PRIMARY KEY (name);

--
-- Name: organization_limits organization_limits_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.organization_limits
    ADD CONSTRAINT organization_limits_pkey PRIMARY KEY (organization_id);

--
-- Name: partitioned_tables partitioned_tables_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.partitioned_tables
    ADD CONSTRAINT partitioned_tables_pkey PRIMARY KEY (table_name);

--
-- Name: pipeline_limits pipeline_limits_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.pipeline_limits
    ADD CONSTRAINT pipeline_limits_pkey PRIMARY KEY (organization_id);

--
-- Name: rate_limit_buckets rate_limit_buckets_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.rate_limit_buckets
    ADD CONSTRAINT rate_limit_buckets_pkey PRIMARY KEY (key);

--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (organization_id, occurred_at, id);

--
-- Name: feature_flags feature_flags_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.feature_flags
    ADD CONSTRAINT feature_flags_pkey PRIMARY KEY (name);

--
-- Name: organization_feature_flags organization_feature_flags_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organization_feature_flags
    ADD CONSTRAINT organization_feature_flags_pkey PRIMARY KEY (organization_id, flag_name);

--
-- Name: organizations organizations_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organizations
    ADD CONSTRAINT organizations_pkey PRIMARY KEY (id);

--
-- Name: organizations organizations_slug_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organizations
    ADD CONSTRAINT organizations_slug_key UNIQUE (slug);

--
-- Name: pipeline_artifacts pipeline_artifacts_organization_id_execution_id_execution_c_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipeline_artifacts
    ADD CONSTRAINT pipeline_artifacts_organization_id_execution_id_execution_c_key UNIQUE (organization_id, execution_id, execution_created_at, name);

--
-- Name: pipeline_artifacts pipeline_artifacts_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipeline_artifacts
    ADD CONSTRAINT pipeline_artifacts_pkey PRIMARY KEY (organization_id, id, execution_created_at);

--
-- Name: pipeline_executions pipeline_executions_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipeline_executions
    ADD CONSTRAINT pipeline_executions_pkey PRIMARY KEY (organization_id, id, created_at);

--
-- Name: pipeline_step_logs pipeline_step_logs_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipeline_step_logs
    ADD CONSTRAINT pipeline_step_logs_pkey PRIMARY KEY (organization_id, step_id, execution_created_at, seq);

--
-- Name: pipeline_steps pipeline_steps_organization_id_execution_id_execution_creat_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipeline_steps
    ADD CONSTRAINT pipeline_steps_organization_id_execution_id_execution_creat_key UNIQUE (organization_id, execution_id, execution_created_at, name);

--
-- Name: pipeline_steps pipeline_steps_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipeline_steps
    ADD CONSTRAINT pipeline_steps_pkey PRIMARY KEY (organization_id, id, execution_created_at);

--
-- Name: pipelines pipelines_organization_id_repository_id_name_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipelines
    ADD CONSTRAINT pipelines_organization_id_repository_id_name_key UNIQUE (organization_id, repository_id, name);

--
-- Name: pipelines pipelines_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipelines
    ADD CONSTRAINT pipelines_pkey PRIMARY KEY (organization_id, id);

--
-- Name: projects projects_organization_id_key_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.projects
    ADD CONSTRAINT projects_organization_id_key_key UNIQUE (organization_id, key);

--
-- Name: projects projects_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.projects
    ADD CONSTRAINT projects_pkey PRIMARY KEY (organization_id, id);

--
-- Name: repositories repositories_organization_id_provider_external_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.repositories
    ADD CONSTRAINT repositories_organization_id_provider_external_id_key UNIQUE (organization_id, provider, external_id);

--
-- Name: repositories repositories_organization_id_provider_full_name_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.repositories
    ADD CONSTRAINT repositories_organization_id_provider_full_name_key UNIQUE (organization_id, provider, full_name);

--
-- Name: repositories repositories_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.repositories
    ADD CONSTRAINT repositories_pkey PRIMARY KEY (organization_id, id);

--
-- Name: task_dependencies task_dependencies_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_dependencies
    ADD CONSTRAINT task_dependencies_pkey PRIMARY KEY (organization_id, dependent_id, dependency_id);

--
-- Name: task_hierarchy_paths task_hierarchy_paths_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_hierarchy_paths
    ADD CONSTRAINT task_hierarchy_paths_pkey PRIMARY KEY (organization_id, ancestor_id, descendant_id);

--
-- Name: task_status_changes task_status_changes_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_status_changes
    ADD CONSTRAINT task_status_changes_pkey PRIMARY KEY (organization_id, id);

--
-- Name: task_status_transitions task_status_transitions_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_status_transitions
    ADD CONSTRAINT task_status_transitions_pkey PRIMARY KEY (from_status, to_status);

--
-- Name: tasks tasks_organization_id_project_id_number_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tasks
    ADD CONSTRAINT tasks_organization_id_project_id_number_key UNIQUE (organization_id, project_id, number);

--
-- Name: tasks tasks_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (organization_id, id);

--
-- Name: users users_organization_id_email_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.users
    ADD CONSTRAINT users_organization_id_email_key UNIQUE (organization_id, email);

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (organization_id, id);

--
-- Name: audit_events_organization_id_actor_user_id_occurred_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_events_organization_id_actor_user_id_occurred_at_idx ON ONLY app_public.audit_events USING btree (organization_id, actor_user_id, occurred_at);

--
-- Name: audit_events_organization_id_request_id_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_events_organization_id_request_id_idx ON ONLY app_public.audit_events USING btree (organization_id, request_id);

--
-- Name: audit_events_organization_id_table_name_occurred_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_events_organization_id_table_name_occurred_at_idx ON ONLY app_public.audit_events USING btree (organization_id, table_name, occurred_at);

--
-- Name: audit_events_row_key_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_events_row_key_idx ON ONLY app_public.audit_events USING gin (row_key jsonb_path_ops);

--
-- Name: organization_feature_flags_flag_name_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX organization_feature_flags_flag_name_idx ON app_public.organization_feature_flags USING btree (flag_name);

--
-- Name: organization_feature_flags_organization_id_updated_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX organization_feature_flags_organization_id_updated_by_idx ON app_public.organization_feature_flags USING btree (organization_id, updated_by);

--
-- Name: pipeline_artifacts_expiry_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipeline_artifacts_expiry_idx ON ONLY app_public.pipeline_artifacts USING btree (expires_at);

--
-- Name: pipeline_artifacts_organization_id_step_id_execution_create_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipeline_artifacts_organization_id_step_id_execution_create_idx ON ONLY app_public.pipeline_artifacts USING btree (organization_id, step_id, execution_created_at);

--
-- Name: pipeline_executions_active_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipeline_executions_active_idx ON ONLY app_public.pipeline_executions USING btree (organization_id, repository_id, created_at) WHERE (status <> 'completed'::app_public.pipeline_run_status);

--
-- Name: pipeline_executions_organization_id_created_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipeline_executions_organization_id_created_at_idx ON ONLY app_public.pipeline_executions USING btree (organization_id, created_at);

--
-- Name: pipeline_executions_organization_id_pipeline_id_created_at__idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipeline_executions_organization_id_pipeline_id_created_at__idx ON ONLY app_public.pipeline_executions USING btree (organization_id, pipeline_id, created_at) INCLUDE (branch, status, conclusion, run_duration_ms, queued_duration_ms);

--
-- Name: pipeline_executions_organization_id_run_id_attempt_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipeline_executions_organization_id_run_id_attempt_idx ON ONLY app_public.pipeline_executions USING btree (organization_id, run_id, attempt);

--
-- Name: pipeline_executions_pending_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipeline_executions_pending_idx ON ONLY app_public.pipeline_executions USING btree (organization_id, repository_id, created_at) WHERE (status = ANY (ARRAY['queued'::app_public.pipeline_run_status, 'waiting'::app_public.pipeline_run_status]));

--
-- Name: pipeline_executions_timeout_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipeline_executions_timeout_idx ON ONLY app_public.pipeline_executions USING btree (timeout_at) WHERE (status = 'in_progress'::app_public.pipeline_run_status);

--
-- Name: pipeline_steps_timeout_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipeline_steps_timeout_idx ON ONLY app_public.pipeline_steps USING btree (timeout_at) WHERE (status = 'in_progress'::app_public.pipeline_run_status);

--
-- Name: pipelines_organization_id_created_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX pipelines_organization_id_created_by_idx ON app_public.pipelines USING btree (organization_id, created_by);

--
-- Name: projects_name_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE UNIQUE INDEX projects_name_idx ON app_public.projects USING btree (organization_id, lower(name));

--
-- Name: projects_organization_id_lead_id_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX projects_organization_id_lead_id_idx ON app_public.projects USING btree (organization_id, lead_id);

--
-- Name: repositories_organization_id_project_id_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX repositories_organization_id_project_id_idx ON app_public.repositories USING btree (organization_id, project_id);

--
-- Name: task_dependencies_organization_id_created_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX task_dependencies_organization_id_created_by_idx ON app_public.task_dependencies USING btree (organization_id, created_by);

--
-- Name: task_dependencies_organization_id_dependency_id_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX task_dependencies_organization_id_dependency_id_idx ON app_public.task_dependencies USING btree (organization_id, dependency_id);

--
-- Name: task_hierarchy_paths_organization_id_ancestor_id_depth_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX task_hierarchy_paths_organization_id_ancestor_id_depth_idx ON app_public.task_hierarchy_paths USING btree (organization_id, ancestor_id, depth);

--
-- Name: task_hierarchy_paths_organization_id_descendant_id_depth_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX task_hierarchy_paths_organization_id_descendant_id_depth_idx ON app_public.task_hierarchy_paths USING btree (organization_id, descendant_id, depth);

--
-- Name: task_status_changes_organization_id_changed_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX task_status_changes_organization_id_changed_by_idx ON app_public.task_status_changes USING btree (organization_id, changed_by);

--
-- Name: task_status_changes_organization_id_task_id_changed_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX task_status_changes_organization_id_task_id_changed_at_idx ON app_public.task_status_changes USING btree (organization_id, task_id, changed_at);

--
-- Name: tasks_organization_id_assignee_id_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tasks_organization_id_assignee_id_idx ON app_public.tasks USING btree (organization_id, assignee_id);

--
-- Name: tasks_organization_id_created_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tasks_organization_id_created_by_idx ON app_public.tasks USING btree (organization_id, created_by);

--
-- Name: tasks_organization_id_parent_id_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tasks_organization_id_parent_id_idx ON app_public.tasks USING btree (organization_id, parent_id);

--
-- Name: tasks_project_status_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tasks_project_status_idx ON app_public.tasks USING btree (organization_id, project_id, status, priority);

--
-- Name: tasks_search_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tasks_search_idx ON app_public.tasks USING gin (search);

--
-- Name: tasks_title_trgm_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tasks_title_trgm_idx ON app_public.tasks USING gin (title public.gin_trgm_ops);

--
-- Name: users_external_ids_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX users_external_ids_idx ON app_public.users USING gin (external_ids jsonb_path_ops);

--
-- Name: users_organization_id_role_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX users_organization_id_role_idx ON app_public.users USING btree (organization_id, role);

--
-- Name: organization_limits _100_timestamps; Type: TRIGGER; Schema: app_private; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_private.organization_limits FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: pipeline_limits _100_timestamps; Type: TRIGGER; Schema: app_private; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_private.pipeline_limits FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: organizations _050_owner_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_owner_only BEFORE DELETE OR UPDATE ON app_public.organizations FOR EACH ROW EXECUTE FUNCTION app_private.tg_organizations__owner_only();

--
-- Name: audit_events _100_append_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_append_only BEFORE DELETE OR UPDATE ON app_public.audit_events FOR EACH ROW EXECUTE FUNCTION app_private.tg_audit_events__append_only();

--
-- Name: audit_events _100_append_only_truncate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_append_only_truncate BEFORE TRUNCATE ON app_public.audit_events FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_audit_events__append_only();

--
-- Name: organization_feature_flags _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.organization_feature_flags FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: organizations _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.organizations FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: pipelines _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.pipelines FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: projects _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.projects FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: repositories _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.repositories FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: tasks _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.tasks FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: users _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.users FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: users _200_keep_an_owner_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_keep_an_owner_delete AFTER DELETE ON app_public.users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_users__keep_an_owner();

--
-- Name: users _200_keep_an_owner_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_keep_an_owner_update AFTER UPDATE ON app_public.users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_users__keep_an_owner();

--
-- Name: pipeline_executions _200_status; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_status BEFORE UPDATE OF status, conclusion ON app_public.pipeline_executions FOR EACH ROW EXECUTE FUNCTION app_private.tg_pipeline_runs__status('execution');

--
-- Name: pipeline_steps _200_status; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_status BEFORE UPDATE OF status, conclusion ON app_public.pipeline_steps FOR EACH ROW EXECUTE FUNCTION app_private.tg_pipeline_runs__status('step');

--
-- Name: organizations _200_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_validate BEFORE INSERT OR UPDATE OF name, slug, settings ON app_public.organizations FOR EACH ROW EXECUTE FUNCTION app_private.tg_organizations__validate();

--
-- Name: pipelines _200_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_validate BEFORE INSERT OR UPDATE ON app_public.pipelines FOR EACH ROW EXECUTE FUNCTION app_private.tg_pipelines__validate();

--
-- Name: projects _200_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_validate BEFORE INSERT OR UPDATE ON app_public.projects FOR EACH ROW EXECUTE FUNCTION app_private.tg_projects__validate();

--
-- Name: repositories _200_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_validate BEFORE INSERT OR UPDATE ON app_public.repositories FOR EACH ROW EXECUTE FUNCTION app_private.tg_repositories__validate();

--
-- Name: task_dependencies _200_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_validate BEFORE INSERT OR DELETE OR UPDATE ON app_public.task_dependencies FOR EACH ROW EXECUTE FUNCTION app_private.tg_task_dependencies__validate();

--
-- Name: tasks _200_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_validate BEFORE INSERT OR DELETE OR UPDATE ON app_public.tasks FOR EACH ROW EXECUTE FUNCTION app_private.tg_tasks__validate();

--
-- Name: organizations _200_validate_pipeline_settings; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_validate_pipeline_settings BEFORE INSERT OR UPDATE OF settings ON app_public.organizations FOR EACH ROW EXECUTE FUNCTION app_private.tg_organizations__pipeline_settings();

--
-- Name: tasks _210_hierarchy_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _210_hierarchy_delete AFTER DELETE ON app_public.tasks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_tasks__hierarchy();

--
-- Name: tasks _210_hierarchy_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _210_hierarchy_insert AFTER INSERT ON app_public.tasks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_tasks__hierarchy();

--
-- Name: tasks _210_hierarchy_move; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _210_hierarchy_move AFTER UPDATE ON app_public.tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_tasks__hierarchy();

--
-- Name: tasks _220_status_history_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _220_status_history_insert AFTER INSERT ON app_public.tasks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_tasks__status_history();

--
-- Name: tasks _220_status_history_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _220_status_history_update AFTER UPDATE ON app_public.tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_tasks__status_history();

--
-- Name: tasks _500_number; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_number BEFORE INSERT ON app_public.tasks FOR EACH ROW EXECUTE FUNCTION app_private.tg_tasks__number();

--
-- Name: tasks _500_number_counter; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_number_counter AFTER INSERT ON app_public.tasks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_tasks__number();

--
-- Name: organization_feature_flags _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.organization_feature_flags REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,flag_name', 'updated_at,created_at');

--
-- Name: organizations _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.organizations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('id', 'id', 'updated_at,created_at');

--
-- Name: pipelines _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.pipelines REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at,definition_steps');

--
-- Name: projects _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.projects REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at,next_task_number');

--
-- Name: repositories _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.repositories REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at');

--
-- Name: task_dependencies _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.task_dependencies REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,dependent_id,dependency_id', 'created_at');

--
-- Name: tasks _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.tasks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at,search');

--
-- Name: users _800_audit_delete; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_delete AFTER DELETE ON app_public.users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at');

--
-- Name: organization_feature_flags _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.organization_feature_flags REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,flag_name', 'updated_at,created_at');

--
-- Name: organizations _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.organizations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('id', 'id', 'updated_at,created_at');

--
-- Name: pipelines _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.pipelines REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at,definition_steps');

--
-- Name: projects _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.projects REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at,next_task_number');

--
-- Name: repositories _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.repositories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at');

--
-- Name: task_dependencies _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.task_dependencies REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,dependent_id,dependency_id', 'created_at');

--
-- Name: tasks _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.tasks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at,search');

--
-- Name: users _800_audit_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_insert AFTER INSERT ON app_public.users REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at');

--
-- Name: organization_feature_flags _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.organization_feature_flags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,flag_name', 'updated_at,created_at');

--
-- Name: organizations _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.organizations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('id', 'id', 'updated_at,created_at');

--
-- Name: pipelines _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.pipelines REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at,definition_steps');

--
-- Name: projects _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.projects REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at,next_task_number');

--
-- Name: repositories _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.repositories REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at');

--
-- Name: task_dependencies _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.task_dependencies REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,dependent_id,dependency_id', 'created_at');

--
-- Name: tasks _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at,search');

--
-- Name: users _800_audit_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _800_audit_update AFTER UPDATE ON app_public.users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__audit('organization_id', 'organization_id,id', 'updated_at,created_at');

--
-- Name: pipeline_artifacts _900_delete_objects; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _900_delete_objects AFTER DELETE ON app_public.pipeline_artifacts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_pipeline_artifacts__delete_objects();

--
-- Name: pipeline_executions _900_notify_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _900_notify_insert AFTER INSERT ON app_public.pipeline_executions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_pipeline_executions__notify();

--
-- Name: pipeline_steps _900_notify_insert; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _900_notify_insert AFTER INSERT ON app_public.pipeline_steps REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_pipeline_steps__notify();

--
-- Name: pipeline_executions _900_notify_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _900_notify_update AFTER UPDATE ON app_public.pipeline_executions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_pipeline_executions__notify();

--
-- Name: pipeline_steps _900_notify_update; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _900_notify_update AFTER UPDATE ON app_public.pipeline_steps REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_pipeline_steps__notify();

--
-- Name: organization_limits organization_limits_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.organization_limits
    ADD CONSTRAINT organization_limits_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: pipeline_limits pipeline_limits_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.pipeline_limits
    ADD CONSTRAINT pipeline_limits_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: organization_feature_flags organization_feature_flags_flag_name_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organization_feature_flags
    ADD CONSTRAINT organization_feature_flags_flag_name_fkey FOREIGN KEY (flag_name) REFERENCES app_public.feature_flags(name) ON DELETE CASCADE;

--
-- Name: organization_feature_flags organization_feature_flags_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organization_feature_flags
    ADD CONSTRAINT organization_feature_flags_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: organization_feature_flags organization_feature_flags_organization_id_updated_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.organization_feature_flags
    ADD CONSTRAINT organization_feature_flags_organization_id_updated_by_fkey FOREIGN KEY (organization_id, updated_by) REFERENCES app_public.users(organization_id, id) ON DELETE SET NULL (updated_by);

--
-- Name: pipeline_artifacts pipeline_artifacts_execution_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_artifacts
    ADD CONSTRAINT pipeline_artifacts_execution_fkey FOREIGN KEY (organization_id, execution_id, execution_created_at) REFERENCES app_public.pipeline_executions(organization_id, id, created_at) ON DELETE CASCADE;

--
-- Name: CONSTRAINT pipeline_artifacts_execution_fkey ON pipeline_artifacts; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT pipeline_artifacts_execution_fkey ON app_public.pipeline_artifacts IS '@fieldName execution
@foreignFieldName artifacts';

--
-- Name: pipeline_artifacts pipeline_artifacts_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_artifacts
    ADD CONSTRAINT pipeline_artifacts_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: pipeline_artifacts pipeline_artifacts_step_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_artifacts
    ADD CONSTRAINT pipeline_artifacts_step_fkey FOREIGN KEY (organization_id, step_id, execution_created_at) REFERENCES app_public.pipeline_steps(organization_id, id, execution_created_at) ON DELETE SET NULL (step_id);

--
-- Name: CONSTRAINT pipeline_artifacts_step_fkey ON pipeline_artifacts; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT pipeline_artifacts_step_fkey ON app_public.pipeline_artifacts IS '@fieldName step
@foreignFieldName artifacts';

--
-- Name: pipeline_executions pipeline_executions_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_executions
    ADD CONSTRAINT pipeline_executions_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: pipeline_executions pipeline_executions_pipeline_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_executions
    ADD CONSTRAINT pipeline_executions_pipeline_fkey FOREIGN KEY (organization_id, pipeline_id) REFERENCES app_public.pipelines(organization_id, id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT pipeline_executions_pipeline_fkey ON pipeline_executions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT pipeline_executions_pipeline_fkey ON app_public.pipeline_executions IS '@fieldName pipeline
@foreignFieldName executions';

--
-- Name: pipeline_step_logs pipeline_step_logs_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_step_logs
    ADD CONSTRAINT pipeline_step_logs_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: pipeline_step_logs pipeline_step_logs_step_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_step_logs
    ADD CONSTRAINT pipeline_step_logs_step_fkey FOREIGN KEY (organization_id, step_id, execution_created_at) REFERENCES app_public.pipeline_steps(organization_id, id, execution_created_at) ON DELETE CASCADE;

--
-- Name: pipeline_steps pipeline_steps_execution_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_steps
    ADD CONSTRAINT pipeline_steps_execution_fkey FOREIGN KEY (organization_id, execution_id, execution_created_at) REFERENCES app_public.pipeline_executions(organization_id, id, created_at) ON DELETE CASCADE;

--
-- Name: CONSTRAINT pipeline_steps_execution_fkey ON pipeline_steps; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT pipeline_steps_execution_fkey ON app_public.pipeline_steps IS '@fieldName execution
@foreignFieldName steps';

--
-- Name: pipeline_steps pipeline_steps_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_steps
    ADD CONSTRAINT pipeline_steps_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: pipelines pipelines_organization_id_created_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipelines
    ADD CONSTRAINT pipelines_organization_id_created_by_fkey FOREIGN KEY (organization_id, created_by) REFERENCES app_public.users(organization_id, id) ON DELETE SET NULL (created_by);

--
-- Name: pipelines pipelines_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipelines
    ADD CONSTRAINT pipelines_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: pipelines pipelines_organization_id_repository_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.pipelines
    ADD CONSTRAINT pipelines_organization_id_repository_id_fkey FOREIGN KEY (organization_id, repository_id) REFERENCES app_public.repositories(organization_id, id) ON DELETE CASCADE;

--
-- Name: projects projects_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.projects
    ADD CONSTRAINT projects_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: projects projects_organization_id_lead_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.projects
    ADD CONSTRAINT projects_organization_id_lead_id_fkey FOREIGN KEY (organization_id, lead_id) REFERENCES app_public.users(organization_id, id) ON DELETE SET NULL (lead_id);

--
-- Name: repositories repositories_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.repositories
    ADD CONSTRAINT repositories_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: repositories repositories_organization_id_project_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.repositories
    ADD CONSTRAINT repositories_organization_id_project_id_fkey FOREIGN KEY (organization_id, project_id) REFERENCES app_public.projects(organization_id, id) ON DELETE SET NULL (project_id);

--
-- Name: task_dependencies task_dependencies_organization_id_created_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_dependencies
    ADD CONSTRAINT task_dependencies_organization_id_created_by_fkey FOREIGN KEY (organization_id, created_by) REFERENCES app_public.users(organization_id, id) ON DELETE SET NULL (created_by);

--
-- Name: task_dependencies task_dependencies_organization_id_dependency_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_dependencies
    ADD CONSTRAINT task_dependencies_organization_id_dependency_id_fkey FOREIGN KEY (organization_id, dependency_id) REFERENCES app_public.tasks(organization_id, id) ON DELETE CASCADE;

--
-- Name: task_dependencies task_dependencies_organization_id_dependent_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_dependencies
    ADD CONSTRAINT task_dependencies_organization_id_dependent_id_fkey FOREIGN KEY (organization_id, dependent_id) REFERENCES app_public.tasks(organization_id, id) ON DELETE CASCADE;

--
-- Name: task_hierarchy_paths task_hierarchy_paths_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_hierarchy_paths
    ADD CONSTRAINT task_hierarchy_paths_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: task_status_changes task_status_changes_organization_id_changed_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_status_changes
    ADD CONSTRAINT task_status_changes_organization_id_changed_by_fkey FOREIGN KEY (organization_id, changed_by) REFERENCES app_public.users(organization_id, id) ON DELETE SET NULL (changed_by);

--
-- Name: task_status_changes task_status_changes_organization_id_task_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.task_status_changes
    ADD CONSTRAINT task_status_changes_organization_id_task_id_fkey FOREIGN KEY (organization_id, task_id) REFERENCES app_public.tasks(organization_id, id) ON DELETE CASCADE;

--
-- Name: tasks tasks_organization_id_assignee_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tasks
    ADD CONSTRAINT tasks_organization_id_assignee_id_fkey FOREIGN KEY (organization_id, assignee_id) REFERENCES app_public.users(organization_id, id) ON DELETE SET NULL (assignee_id);

--
-- Name: tasks tasks_organization_id_created_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tasks
    ADD CONSTRAINT tasks_organization_id_created_by_fkey FOREIGN KEY (organization_id, created_by) REFERENCES app_public.users(organization_id, id) ON DELETE SET NULL (created_by);

--
-- Name: tasks tasks_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tasks
    ADD CONSTRAINT tasks_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: tasks tasks_organization_id_parent_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tasks
    ADD CONSTRAINT tasks_organization_id_parent_id_fkey FOREIGN KEY (organization_id, parent_id) REFERENCES app_public.tasks(organization_id, id) ON DELETE CASCADE;

--
-- Name: tasks tasks_organization_id_project_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tasks
    ADD CONSTRAINT tasks_organization_id_project_id_fkey FOREIGN KEY (organization_id, project_id) REFERENCES app_public.projects(organization_id, id) ON DELETE CASCADE;

--
-- Name: users users_organization_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.users
    ADD CONSTRAINT users_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES app_public.organizations(id) ON DELETE CASCADE;

--
-- Name: maintenance_state; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.maintenance_state ENABLE ROW LEVEL SECURITY;

--
-- Name: maintenance_steps; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.maintenance_steps ENABLE ROW LEVEL SECURITY;

--
-- Name: organization_limits; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.organization_limits ENABLE ROW LEVEL SECURITY;

--
-- Name: partitioned_tables; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.partitioned_tables ENABLE ROW LEVEL SECURITY;

--
-- Name: pipeline_limits; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.pipeline_limits ENABLE ROW LEVEL SECURITY;

--
-- Name: rate_limit_buckets; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.rate_limit_buckets ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_events; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.audit_events ENABLE ROW LEVEL SECURITY;

--
-- Name: pipeline_artifacts delete_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_admin ON app_public.pipeline_artifacts FOR DELETE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: pipelines delete_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_admin ON app_public.pipelines FOR DELETE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: projects delete_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_admin ON app_public.projects FOR DELETE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: repositories delete_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_admin ON app_public.repositories FOR DELETE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: tasks delete_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_admin ON app_public.tasks FOR DELETE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: task_dependencies delete_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_member ON app_public.task_dependencies FOR DELETE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'member'::app_public.user_role)));

--
-- Name: organizations delete_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_owner ON app_public.organizations FOR DELETE USING (((id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) = 'owner'::app_public.user_role)));

--
-- Name: feature_flags; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.feature_flags ENABLE ROW LEVEL SECURITY;

--
-- Name: pipelines insert_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_admin ON app_public.pipelines FOR INSERT WITH CHECK (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: projects insert_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_admin ON app_public.projects FOR INSERT WITH CHECK (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: repositories insert_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_admin ON app_public.repositories FOR INSERT WITH CHECK (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: task_dependencies insert_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_member ON app_public.task_dependencies FOR INSERT WITH CHECK (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'member'::app_public.user_role)));

--
-- Name: tasks insert_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_member ON app_public.tasks FOR INSERT WITH CHECK (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'member'::app_public.user_role)));

--
-- Name: organization_feature_flags; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.organization_feature_flags ENABLE ROW LEVEL SECURITY;

--
-- Name: organizations; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.organizations ENABLE ROW LEVEL SECURITY;

--
-- Name: pipeline_artifacts; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_artifacts ENABLE ROW LEVEL SECURITY;

--
-- Name: pipeline_executions; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_executions ENABLE ROW LEVEL SECURITY;

--
-- Name: pipeline_step_logs; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_step_logs ENABLE ROW LEVEL SECURITY;

--
-- Name: pipeline_steps; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipeline_steps ENABLE ROW LEVEL SECURITY;

--
-- Name: pipelines; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.pipelines ENABLE ROW LEVEL SECURITY;

--
-- Name: projects; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.projects ENABLE ROW LEVEL SECURITY;

--
-- Name: repositories; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.repositories ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_events select_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_admin ON app_public.audit_events FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: feature_flags select_all; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_all ON app_public.feature_flags FOR SELECT USING (true);

--
-- Name: task_status_transitions select_all; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_all ON app_public.task_status_transitions FOR SELECT USING (true);

--
-- Name: organization_feature_flags select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.organization_feature_flags FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: organizations select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.organizations FOR SELECT USING (((id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: pipeline_artifacts select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.pipeline_artifacts FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: pipeline_executions select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.pipeline_executions FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: pipeline_step_logs select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.pipeline_step_logs FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: pipeline_steps select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.pipeline_steps FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: pipelines select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.pipelines FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: projects select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.projects FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: repositories select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.repositories FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: task_dependencies select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.task_dependencies FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: task_hierarchy_paths select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.task_hierarchy_paths FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: task_status_changes select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.task_status_changes FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: tasks select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.tasks FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: users select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.users FOR SELECT USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) IS NOT NULL)));

--
-- Name: task_dependencies; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.task_dependencies ENABLE ROW LEVEL SECURITY;

--
-- Name: task_hierarchy_paths; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.task_hierarchy_paths ENABLE ROW LEVEL SECURITY;

--
-- Name: task_status_changes; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.task_status_changes ENABLE ROW LEVEL SECURITY;

--
-- Name: task_status_transitions; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.task_status_transitions ENABLE ROW LEVEL SECURITY;

--
-- Name: tasks; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.tasks ENABLE ROW LEVEL SECURITY;

--
-- Name: pipelines update_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_admin ON app_public.pipelines FOR UPDATE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: projects update_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_admin ON app_public.projects FOR UPDATE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: repositories update_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_admin ON app_public.repositories FOR UPDATE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role)));

--
-- Name: users update_admin; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_admin ON app_public.users FOR UPDATE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'admin'::app_public.user_role) AND ((role <> 'owner'::app_public.user_role) OR (( SELECT app_public.current_user_role() AS current_user_role) = 'owner'::app_public.user_role))));

--
-- Name: task_dependencies update_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_member ON app_public.task_dependencies FOR UPDATE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'member'::app_public.user_role)));

--
-- Name: tasks update_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_member ON app_public.tasks FOR UPDATE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'member'::app_public.user_role)));

--
-- Name: organizations update_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_owner ON app_public.organizations FOR UPDATE USING (((id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) = 'owner'::app_public.user_role)));

--
-- Name: users update_self; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_self ON app_public.users FOR UPDATE USING (((organization_id = ( SELECT app_public.current_org_id() AS current_org_id)) AND (id = ( SELECT app_public.current_user_id() AS current_user_id)) AND (( SELECT app_public.current_user_role() AS current_user_role) >= 'member'::app_public.user_role)));

--
-- Name: users; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.users ENABLE ROW LEVEL SECURITY;

--
-- Name: SCHEMA app_hidden; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app_hidden TO :DATABASE_VISITOR;

--
-- Name: SCHEMA app_private; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app_private TO :DATABASE_AUTHENTICATOR;

--
-- Name: SCHEMA app_public; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app_public TO :DATABASE_VISITOR;

--
-- Name: FUNCTION branch_pattern_regex(pattern text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.branch_pattern_regex(pattern text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.branch_pattern_regex(pattern text) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_migration(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_migration() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_migration() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION html_escape(text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.html_escape(text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.html_escape(text) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION pipeline_accepts(trigger_config jsonb, event text, branch text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.pipeline_accepts(trigger_config jsonb, event text, branch text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.pipeline_accepts(trigger_config jsonb, event text, branch text) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION pipeline_definition_error(definition jsonb); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.pipeline_definition_error(definition jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.pipeline_definition_error(definition jsonb) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION pipeline_definition_step_rows(definition jsonb); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.pipeline_definition_step_rows(definition jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.pipeline_definition_step_rows(definition jsonb) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION pipeline_definition_steps(definition jsonb); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.pipeline_definition_steps(definition jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.pipeline_definition_steps(definition jsonb) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION pipeline_need_met(status app_public.pipeline_run_status, conclusion app_public.pipeline_conclusion, continue_on_error boolean); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.pipeline_need_met(status app_public.pipeline_run_status, conclusion app_public.pipeline_conclusion, continue_on_error boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.pipeline_need_met(status app_public.pipeline_run_status, conclusion app_public.pipeline_conclusion, continue_on_error boolean) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION pipeline_status_allows(kind text, from_status app_public.pipeline_run_status, to_status app_public.pipeline_run_status); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.pipeline_status_allows(kind text, from_status app_public.pipeline_run_status, to_status app_public.pipeline_run_status) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.pipeline_status_allows(kind text, from_status app_public.pipeline_run_status, to_status app_public.pipeline_run_status) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION pipeline_trigger_config_error(config jsonb); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.pipeline_trigger_config_error(config jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.pipeline_trigger_config_error(config jsonb) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION task_status_allows(from_status app_public.task_status, to_status app_public.task_status); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.task_status_allows(from_status app_public.task_status, to_status app_public.task_status) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.task_status_allows(from_status app_public.task_status, to_status app_public.task_status) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION act_as_user(sub text, org_id uuid, user_id uuid, request_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.act_as_user(sub text, org_id uuid, user_id uuid, request_id text) FROM PUBLIC;

--
-- Name: FUNCTION act_for_tenant(org_id uuid, actor text, request_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.act_for_tenant(org_id uuid, actor text, request_id text) FROM PUBLIC;

--
-- Name: TABLE pipeline_executions; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.pipeline_executions TO :DATABASE_VISITOR;

--
-- Name: FUNCTION admit_execution(execution app_public.pipeline_executions, cancel_in_progress boolean, at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.admit_execution(execution app_public.pipeline_executions, cancel_in_progress boolean, at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION apply_retention(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.apply_retention(at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION artifact_deletion_jobs(artifacts jsonb); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.artifact_deletion_jobs(artifacts jsonb) FROM PUBLIC;

--
-- Name: FUNCTION artifact_retention_days(org uuid); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.artifact_retention_days(org uuid) FROM PUBLIC;

--
-- Name: FUNCTION assert_valid_user(name text, email text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_valid_user(name text, email text) FROM PUBLIC;

--
-- Name: FUNCTION current_org_id(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_org_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_org_id() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_user_id(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_user_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_user_id() TO :DATABASE_VISITOR;

--
-- Name: TABLE pipelines; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: COLUMN pipelines.repository_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(repository_id) ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: COLUMN pipelines.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(name),UPDATE(name) ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: COLUMN pipelines.description; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(description),UPDATE(description) ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: COLUMN pipelines.definition; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(definition),UPDATE(definition) ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: COLUMN pipelines.trigger_config; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(trigger_config),UPDATE(trigger_config) ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: COLUMN pipelines.status; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(status),UPDATE(status) ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: COLUMN pipelines.concurrency_limit; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(concurrency_limit),UPDATE(concurrency_limit) ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: COLUMN pipelines.concurrency_group; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(concurrency_group),UPDATE(concurrency_group) ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: COLUMN pipelines.cancel_in_progress; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(cancel_in_progress),UPDATE(cancel_in_progress) ON TABLE app_public.pipelines TO :DATABASE_VISITOR;

--
-- Name: FUNCTION create_execution(pipeline app_public.pipelines, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb, actor_id uuid, at timestamp with time zone, previous app_public.pipeline_executions, failed_only boolean); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.create_execution(pipeline app_public.pipelines, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb, actor_id uuid, at timestamp with time zone, previous app_public.pipeline_executions, failed_only boolean) FROM PUBLIC;

--
-- Name: FUNCTION derived_conclusion(org uuid, execution_id uuid, execution_created_at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.derived_conclusion(org uuid, execution_id uuid, execution_created_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION dispatch_executions(org uuid, repository_id uuid, at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.dispatch_executions(org uuid, repository_id uuid, at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION enable_audit(target regclass, omit text[]); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.enable_audit(target regclass, omit text[]) FROM PUBLIC;

--
-- Name: FUNCTION end_execution(org uuid, execution_id uuid, execution_created_at timestamp with time zone, conclusion app_public.pipeline_conclusion, running_steps app_public.pipeline_conclusion, pending_steps app_public.pipeline_conclusion, at timestamp with time zone, reason text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.end_execution(org uuid, execution_id uuid, execution_created_at timestamp with time zone, conclusion app_public.pipeline_conclusion, running_steps app_public.pipeline_conclusion, pending_steps app_public.pipeline_conclusion, at timestamp with time zone, reason text) FROM PUBLIC;

--
-- Name: FUNCTION expire_pipeline_artifacts(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.expire_pipeline_artifacts(at timestamp with time zone) FROM PUBLIC;

--
-- Name: TABLE pipeline_steps; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.pipeline_steps TO :DATABASE_VISITOR;

--
-- Name: FUNCTION finish_step(step app_public.pipeline_steps, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb, at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.finish_step(step app_public.pipeline_steps, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb, at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION guard_partition(parent regclass, part regclass); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.guard_partition(parent regclass, part regclass) FROM PUBLIC;

--
-- Name: FUNCTION jsonb_pick(j jsonb, keys text[]); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.jsonb_pick(j jsonb, keys text[]) FROM PUBLIC;

--
-- Name: FUNCTION lock_execution(execution_id uuid); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.lock_execution(execution_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION lock_organization(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.lock_organization() FROM PUBLIC;

--
-- Name: FUNCTION lock_pipeline_runs(org uuid, repository_id uuid); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.lock_pipeline_runs(org uuid, repository_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION lock_step(step_id uuid); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.lock_step(step_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION lock_task_project(organization_id uuid, project_id uuid, for_insert boolean); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.lock_task_project(organization_id uuid, project_id uuid, for_insert boolean) FROM PUBLIC;

--
-- Name: FUNCTION maintain_partitions(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.maintain_partitions(at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION maintenance_is_scheduled_elsewhere(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.maintenance_is_scheduled_elsewhere(at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION pipeline_artifacts__before_drop(part regclass); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.pipeline_artifacts__before_drop(part regclass) FROM PUBLIC;

--
-- Name: FUNCTION prune_rate_limit_buckets(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.prune_rate_limit_buckets(at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION record_maintenance_schedule(scheduler text, job text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.record_maintenance_schedule(scheduler text, job text) FROM PUBLIC;

--
-- Name: FUNCTION require_role(minimum app_public.user_role); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.require_role(minimum app_public.user_role) FROM PUBLIC;

--
-- Name: FUNCTION run_maintenance(at timestamp with time zone, caller text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.run_maintenance(at timestamp with time zone, caller text) FROM PUBLIC;

--
-- Name: FUNCTION set_current_tenant(org_id uuid); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.set_current_tenant(org_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION set_organization_limit(organization_id uuid, requests_per_minute integer, note text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.set_organization_limit(organization_id uuid, requests_per_minute integer, note text) FROM PUBLIC;

--
-- Name: FUNCTION set_pipeline_limit(organization_id uuid, step_log_bytes integer, note text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.set_pipeline_limit(organization_id uuid, step_log_bytes integer, note text) FROM PUBLIC;

--
-- Name: FUNCTION step_log_limit(org uuid); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.step_log_limit(org uuid) FROM PUBLIC;

--
-- Name: FUNCTION take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_private.take_request_tokens(org_id uuid, key text, default_per_minute integer, anonymous_per_minute integer, wanted integer) TO :DATABASE_AUTHENTICATOR;

--
-- Name: FUNCTION tg__audit(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg__audit() FROM PUBLIC;

--
-- Name: FUNCTION tg__timestamps(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg__timestamps() FROM PUBLIC;

--
-- Name: FUNCTION tg_audit_events__append_only(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_audit_events__append_only() FROM PUBLIC;

--
-- Name: FUNCTION tg_organizations__owner_only(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_organizations__owner_only() FROM PUBLIC;

--
-- Name: FUNCTION tg_organizations__pipeline_settings(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_organizations__pipeline_settings() FROM PUBLIC;

--
-- Name: FUNCTION tg_organizations__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_organizations__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_pipeline_artifacts__delete_objects(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_pipeline_artifacts__delete_objects() FROM PUBLIC;

--
-- Name: FUNCTION tg_pipeline_executions__notify(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_pipeline_executions__notify() FROM PUBLIC;

--
-- Name: FUNCTION tg_pipeline_runs__status(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_pipeline_runs__status() FROM PUBLIC;

--
-- Name: FUNCTION tg_pipeline_steps__notify(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_pipeline_steps__notify() FROM PUBLIC;

--
-- Name: FUNCTION tg_pipelines__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_pipelines__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_projects__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_projects__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_repositories__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_repositories__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_task_dependencies__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_task_dependencies__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_tasks__hierarchy(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tasks__hierarchy() FROM PUBLIC;

--
-- Name: FUNCTION tg_tasks__number(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tasks__number() FROM PUBLIC;

--
-- Name: FUNCTION tg_tasks__status_history(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tasks__status_history() FROM PUBLIC;

--
-- Name: FUNCTION tg_tasks__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tasks__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_users__keep_an_owner(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_users__keep_an_owner() FROM PUBLIC;

--
-- Name: FUNCTION time_out_pipelines(at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.time_out_pipelines(at timestamp with time zone) FROM PUBLIC;

--
-- Name: TABLE pipeline_artifacts; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.pipeline_artifacts TO :DATABASE_VISITOR;

--
-- Name: FUNCTION add_artifact(step_id uuid, name text, size_bytes bigint, content_type text, checksum text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.add_artifact(step_id uuid, name text, size_bytes bigint, content_type text, checksum text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.add_artifact(step_id uuid, name text, size_bytes bigint, content_type text, checksum text) TO :DATABASE_VISITOR;

--
-- Name: TABLE users; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.users TO :DATABASE_VISITOR;

--
-- Name: COLUMN users.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(name) ON TABLE app_public.users TO :DATABASE_VISITOR;

--
-- Name: COLUMN users.external_ids; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(external_ids) ON TABLE app_public.users TO :DATABASE_VISITOR;

--
-- Name: COLUMN users.settings; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(settings) ON TABLE app_public.users TO :DATABASE_VISITOR;

--
-- Name: FUNCTION add_user(email text, name text, role app_public.user_role); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.add_user(email text, name text, role app_public.user_role) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.add_user(email text, name text, role app_public.user_role) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION append_step_log(step_id uuid, content text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.append_step_log(step_id uuid, content text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.append_step_log(step_id uuid, content text) TO :DATABASE_VISITOR;

--
-- Name: TABLE tasks; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.project_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(project_id) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.parent_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(parent_id),UPDATE(parent_id) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.title; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(title),UPDATE(title) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.description; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(description),UPDATE(description) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.type; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(type),UPDATE(type) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.status; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(status),UPDATE(status) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.priority; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(priority),UPDATE(priority) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.assignee_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(assignee_id),UPDATE(assignee_id) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.estimated_effort; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(estimated_effort),UPDATE(estimated_effort) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.actual_effort; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(actual_effort),UPDATE(actual_effort) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.due_on; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(due_on),UPDATE(due_on) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.external_refs; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(external_refs),UPDATE(external_refs) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: COLUMN tasks.metadata; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(metadata),UPDATE(metadata) ON TABLE app_public.tasks TO :DATABASE_VISITOR;

--
-- Name: FUNCTION blocked_tasks(task_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.blocked_tasks(task_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.blocked_tasks(task_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION cancel_execution(execution_id uuid, reason text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.cancel_execution(execution_id uuid, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.cancel_execution(execution_id uuid, reason text) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION change_user_role(user_id uuid, role app_public.user_role); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.change_user_role(user_id uuid, role app_public.user_role) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.change_user_role(user_id uuid, role app_public.user_role) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION complete_execution(execution_id uuid, conclusion app_public.pipeline_conclusion); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.complete_execution(execution_id uuid, conclusion app_public.pipeline_conclusion) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.complete_execution(execution_id uuid, conclusion app_public.pipeline_conclusion) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION complete_step(step_id uuid, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.complete_step(step_id uuid, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.complete_step(step_id uuid, conclusion app_public.pipeline_conclusion, exit_code integer, metrics jsonb, error jsonb) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION create_organization(name text, slug text, owner_name text, owner_email text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.create_organization(name text, slug text, owner_name text, owner_email text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.create_organization(name text, slug text, owner_name text, owner_email text) TO :DATABASE_VISITOR;

--
-- Name: TABLE organizations; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.organizations TO :DATABASE_VISITOR;

--
-- Name: COLUMN organizations.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(name) ON TABLE app_public.organizations TO :DATABASE_VISITOR;

--
-- Name: COLUMN organizations.slug; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(slug) ON TABLE app_public.organizations TO :DATABASE_VISITOR;

--
-- Name: COLUMN organizations.settings; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(settings) ON TABLE app_public.organizations TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_organization(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_organization() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_organization() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION "current_user"(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public."current_user"() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public."current_user"() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION current_user_role(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_user_role() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_user_role() TO :DATABASE_VISITOR;

--
-- Name: FUNCTION feature_enabled(name text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.feature_enabled(name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.feature_enabled(name text) TO :DATABASE_VISITOR;

--
-- Name: TABLE feature_flags; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.feature_flags TO :DATABASE_VISITOR;

--
-- Name: FUNCTION feature_flags_enabled(f app_public.feature_flags); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.feature_flags_enabled(f app_public.feature_flags) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.feature_flags_enabled(f app_public.feature_flags) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION pipeline_stats(pipeline_id uuid, since timestamp with time zone); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.pipeline_stats(pipeline_id uuid, since timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.pipeline_stats(pipeline_id uuid, since timestamp with time zone) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION pipeline_steps_log(step app_public.pipeline_steps); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.pipeline_steps_log(step app_public.pipeline_steps) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.pipeline_steps_log(step app_public.pipeline_steps) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION ready_steps(execution_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.ready_steps(execution_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.ready_steps(execution_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION ready_tasks(project_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.ready_tasks(project_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.ready_tasks(project_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION remove_user(user_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.remove_user(user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.remove_user(user_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION rerun_execution(execution_id uuid, failed_only boolean); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.rerun_execution(execution_id uuid, failed_only boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.rerun_execution(execution_id uuid, failed_only boolean) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION search_tasks(query text, project_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.search_tasks(query text, project_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.search_tasks(query text, project_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION set_feature_flag(name text, enabled boolean); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.set_feature_flag(name text, enabled boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.set_feature_flag(name text, enabled boolean) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION start_execution(pipeline_id uuid, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.start_execution(pipeline_id uuid, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.start_execution(pipeline_id uuid, event text, branch text, commit_sha text, pull_request_number integer, trigger_metadata jsonb) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION start_step(step_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.start_step(step_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.start_step(step_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION task_ancestors(task_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.task_ancestors(task_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.task_ancestors(task_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION task_blockers(task_id uuid, include_finished boolean); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.task_blockers(task_id uuid, include_finished boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.task_blockers(task_id uuid, include_finished boolean) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION task_by_identifier(identifier text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.task_by_identifier(identifier text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.task_by_identifier(identifier text) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION task_critical_path(project_id uuid, task_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.task_critical_path(project_id uuid, task_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.task_critical_path(project_id uuid, task_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION task_descendants(task_id uuid, max_depth integer); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.task_descendants(task_id uuid, max_depth integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.task_descendants(task_id uuid, max_depth integer) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION task_execution_order(project_id uuid); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.task_execution_order(project_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.task_execution_order(project_id uuid) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION tasks_identifier(t app_public.tasks); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.tasks_identifier(t app_public.tasks) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.tasks_identifier(t app_public.tasks) TO :DATABASE_VISITOR;

--
-- Name: FUNCTION tasks_rollup(t app_public.tasks); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.tasks_rollup(t app_public.tasks) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.tasks_rollup(t app_public.tasks) TO :DATABASE_VISITOR;

--
-- Name: TABLE audit_events; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.audit_events TO :DATABASE_VISITOR;

--
-- Name: TABLE pipeline_step_logs; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.pipeline_step_logs TO :DATABASE_VISITOR;

--
-- Name: TABLE organization_feature_flags; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.organization_feature_flags TO :DATABASE_VISITOR;

--
-- Name: TABLE projects; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.projects TO :DATABASE_VISITOR;

--
-- Name: COLUMN projects.key; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(key) ON TABLE app_public.projects TO :DATABASE_VISITOR;

--
-- Name: COLUMN projects.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(name),UPDATE(name) ON TABLE app_public.projects TO :DATABASE_VISITOR;

--
-- Name: COLUMN projects.description; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(description),UPDATE(description) ON TABLE app_public.projects TO :DATABASE_VISITOR;

--
-- Name: COLUMN projects.status; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(status),UPDATE(status) ON TABLE app_public.projects TO :DATABASE_VISITOR;

--
-- Name: COLUMN projects.settings; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(settings),UPDATE(settings) ON TABLE app_public.projects TO :DATABASE_VISITOR;

--
-- Name: COLUMN projects.lead_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(lead_id),UPDATE(lead_id) ON TABLE app_public.projects TO :DATABASE_VISITOR;

--
-- Name: TABLE repositories; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.repositories TO :DATABASE_VISITOR;

--
-- Name: COLUMN repositories.project_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(project_id),UPDATE(project_id) ON TABLE app_public.repositories TO :DATABASE_VISITOR;

--
-- Name: COLUMN repositories.provider; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(provider) ON TABLE app_public.repositories TO :DATABASE_VISITOR;

--
-- Name: COLUMN repositories.full_name; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(full_name),UPDATE(full_name) ON TABLE app_public.repositories TO :DATABASE_VISITOR;

--
-- Name: COLUMN repositories.external_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(external_id) ON TABLE app_public.repositories TO :DATABASE_VISITOR;

--
-- Name: COLUMN repositories.clone_url; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(clone_url),UPDATE(clone_url) ON TABLE app_public.repositories TO :DATABASE_VISITOR;

--
-- Name: COLUMN repositories.default_branch; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(default_branch),UPDATE(default_branch) ON TABLE app_public.repositories TO :DATABASE_VISITOR;

--
-- Name: COLUMN repositories.analysis_config; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(analysis_config),UPDATE(analysis_config) ON TABLE app_public.repositories TO :DATABASE_VISITOR;

--
-- Name: COLUMN repositories.webhook_config; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(webhook_config),UPDATE(webhook_config) ON TABLE app_public.repositories TO :DATABASE_VISITOR;

--
-- Name: TABLE task_dependencies; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.task_dependencies TO :DATABASE_VISITOR;

--
-- Name: COLUMN task_dependencies.dependent_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(dependent_id) ON TABLE app_public.task_dependencies TO :DATABASE_VISITOR;

--
-- Name: COLUMN task_dependencies.dependency_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(dependency_id) ON TABLE app_public.task_dependencies TO :DATABASE_VISITOR;

--
-- Name: COLUMN task_dependencies.type; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(type),UPDATE(type) ON TABLE app_public.task_dependencies TO :DATABASE_VISITOR;

--
-- Name: TABLE task_hierarchy_paths; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.task_hierarchy_paths TO :DATABASE_VISITOR;

--
-- Name: TABLE task_status_changes; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.task_status_changes TO :DATABASE_VISITOR;

--
-- Name: SEQUENCE task_status_changes_id_seq; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE app_public.task_status_changes_id_seq TO :DATABASE_VISITOR;

--
-- Name: TABLE task_status_transitions; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.task_status_transitions TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR SEQUENCES; Type: DEFAULT ACL; Schema: app_hidden; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER IN SCHEMA app_hidden GRANT SELECT,USAGE ON SEQUENCES  TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: app_hidden; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER IN SCHEMA app_hidden GRANT ALL ON FUNCTIONS  TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR SEQUENCES; Type: DEFAULT ACL; Schema: app_public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER IN SCHEMA app_public GRANT SELECT,USAGE ON SEQUENCES  TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: app_public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER IN SCHEMA app_public GRANT ALL ON FUNCTIONS  TO :DATABASE_VISITOR;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: -; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER REVOKE ALL ON FUNCTIONS  FROM PUBLIC;

--
-- PostgreSQL database dump complete
--
