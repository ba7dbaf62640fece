/*
 * The pipelines module's settings. An organization's own:
 * `settings.artifact_retention_days` (1 to 365, default 90; owners change it
 * with updateOrganization), checked here on every write of
 * organizations.settings (FL208). The operator's: the cap on a step's log, in
 * app_private.pipeline_limits, which no API role can read or write
 * (`forgeline limits set <org> --step-log-bytes <n>`).
 */
create or replace function app_private.tg_organizations__pipeline_settings() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function app_private.tg_organizations__pipeline_settings() is
  E'Trigger function: validates the pipelines module''s organization settings (FL208).';

create or replace function app_private.set_pipeline_limit(
  organization_id uuid,
  step_log_bytes integer,
  note text default null
) returns app_private.pipeline_limits
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_private.set_pipeline_limit(uuid, integer, text) is
  E'Operator only: sets (or with null clears) an organization''s cap on the bytes of log per pipeline step.';
