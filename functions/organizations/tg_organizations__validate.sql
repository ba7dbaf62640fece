/*
 * tg_organizations__validate: clear, coded errors for an organization's name,
 * slug and settings, on every path that writes them (create_organization and the
 * owner's direct updates through updateOrganization). The check constraints and
 * the unique index stay as the last line of defence.
 *
 * Slugs are unique across organizations: two requests racing for the same slug
 * both take a transaction advisory lock on it before looking, so the second
 * waits, then sees the first's row and gets FL006 rather than a bare 23505.
 * Settings may not carry `rate_limit`: limits that protect the service are the
 * operator's (app_private.organization_limits, `forgeline limits`), FL011.
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
$$;
comment on function app_private.tg_organizations__validate() is
  E'Trigger function: validates an organization''s name, slug and settings with FL005/FL006/FL011.';
