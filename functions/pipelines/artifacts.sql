/*
 * Artifacts (issue #9 §3): a row per stored object, registered by a runner with
 * add_artifact(), which also decides where the object goes (storage_key:
 * `<organization>/<execution>/<artifact>`, only ids, so a name can never steer
 * a path). An artifact expires `artifact_retention_days` (an organization
 * setting, default 90) after it was added.
 *
 * The object is deleted after its row, by the worker task
 * `pipeline_artifacts__delete`, enqueued in the same transaction that deletes
 * the row (statement trigger _900_delete_objects, every path: expiry, a user's
 * delete, a cascade from its execution, pipeline, repository or organization).
 * So a row never points at a deleted object, and an object whose row is gone
 * always has a job that will delete it, retried until it does: a crash between
 * the two leaves the job, not the object. Partitions dropped by retention hand
 * their remaining rows to the same task first (pipeline_artifacts__before_drop).
 */
create or replace function app_private.artifact_retention_days(org uuid) returns integer
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select coalesce((select (o.settings ->> 'artifact_retention_days')::integer
                     from app_public.organizations o where o.id = artifact_retention_days.org), 90);
$$;
comment on function app_private.artifact_retention_days(uuid) is
  E'How many days an organization keeps pipeline artifacts: settings.artifact_retention_days, default 90.';

create or replace function app_public.add_artifact(
  step_id uuid,
  name text,
  size_bytes bigint,
  content_type text default 'application/octet-stream',
  checksum text default null
) returns app_public.pipeline_artifacts
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function app_public.add_artifact(uuid, text, bigint, text, text) is
  E'@resultFieldName artifact\nRegisters an artifact of a running step (members, e.g. a runner) and returns where to store it (`storageKey`); it expires after the organization''s `artifact_retention_days` (default 90). A name is unique per execution.';

create or replace function app_private.artifact_deletion_jobs(artifacts jsonb)
  returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_private.artifact_deletion_jobs(jsonb) is
  E'Enqueues one pipeline_artifacts__delete job per artifact (a JSON array of rows with organization_id, id, storage_key).';

create or replace function app_private.tg_pipeline_artifacts__delete_objects() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the visitor (an admin deleting an artifact) has no rights on graphile_worker's schema.
begin
  perform app_private.artifact_deletion_jobs(
    (select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
              'organization_id', o.organization_id, 'id', o.id, 'storage_key', o.storage_key))
       from old_rows o));
  return null;
end;
$$;
comment on function app_private.tg_pipeline_artifacts__delete_objects() is
  E'Trigger function: after artifacts are deleted (one statement, any number of rows), enqueues the deletion of their stored objects.';

create or replace function app_private.pipeline_artifacts__before_drop(part regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_private.pipeline_artifacts__before_drop(regclass) is
  E'Retention hook: before a month of artifacts is dropped, enqueues the deletion of the objects its rows still point at.';

create or replace function app_private.expire_pipeline_artifacts(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_private.expire_pipeline_artifacts(timestamptz) is
  E'Deletes (up to 10,000) artifacts whose expires_at has passed; their objects are then deleted by the worker. Returns what it did.';
