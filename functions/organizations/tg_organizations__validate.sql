/*
 * tg_organizations__validate: clear, coded errors for an organization's name and
 * slug, on every path that writes them (create_organization and the owner's
 * direct updates through updateOrganization). The check constraints and the
 * unique index stay as the last line of defence (and catch concurrent races).
 */
create or replace function app_private.tg_organizations__validate() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
    if exists (select 1 from app_public.organizations o where o.slug = new.slug and o.id <> new.id) then
      raise exception 'The slug "%" is already taken', new.slug
        using errcode = 'FL006', hint = 'Choose another slug.';
    end if;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_organizations__validate() is
  E'Trigger function: validates an organization''s name and slug with FL005/FL006.';
