/*
 * tg_projects__validate: coded errors for a project's key and name on every
 * path that writes them (createProject, updateProject). A key (`ENG`) prefixes
 * every task identifier (`ENG-42`), so it is 2 to 10 uppercase letters and
 * digits, starts with a letter, and never changes once tasks carry it (it is
 * outside the update grant). Keys and names are unique per organization: two
 * requests racing for one take a transaction advisory lock on it first, so the
 * second sees the first's row and gets FL101, not a bare 23505.
 *
 * Archiving makes the project's tasks read-only (FL102), a rule the task and
 * dependency triggers check with the project's row locked FOR KEY SHARE
 * (lock_task_project()). An update holds the row FOR NO KEY UPDATE, which does
 * not conflict with that, so an archiving takes its row FOR UPDATE here: it
 * waits for the task writes in flight to commit, and a task write that comes
 * after it waits for it, then sees `archived`.
 * Works with: app_public.projects (_200_validate), lock_task_project().
 */
create or replace function app_private.tg_projects__validate() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
$$;
comment on function app_private.tg_projects__validate() is
  E'Trigger function: validates a project''s key, name and settings (FL005, FL101) and keeps archived_at.';
