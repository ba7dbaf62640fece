/*
 * tg_pipelines__validate: a pipeline's name, definition, trigger_config and
 * concurrency settings, each refused with FL201 and the offending path in the
 * error's detail (`steps[2].needs[0]: unknown step "tset"`), on every path that
 * writes them. A pipeline stays in the repository it was made in: its
 * executions carry that repository (the key of their concurrency groups).
 * Names are unique per repository (the unique constraint; FL201 first, with the
 * name, also under a race thanks to the advisory lock).
 * Works with: app_public.pipelines (_200_validate), pipeline_definition_error().
 */
create or replace function app_private.tg_pipelines__validate() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function app_private.tg_pipelines__validate() is
  E'Trigger function: validates a pipeline''s name, definition, trigger_config and concurrency settings (FL201 with the path in detail).';
