/*
 * create_organization: the only way to create an organization. The caller must
 * hold a verified token (any `sub`); it does not need, and usually will not have,
 * an organization yet. The caller becomes the organization's first owner, with
 * the given name and email. Returns that owner's user row: its organizationId
 * and id (`rowId` in GraphQL) are what the caller's next token carries.
 */
create or replace function app_public.create_organization(
  name text,
  slug text,
  owner_name text,
  owner_email text
) returns app_public.users
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_public.create_organization(text, text, text, text) is
  E'@resultFieldName user\nCreates an organization whose first owner is the caller. Needs a signed-in token, with or without an organization. Returns the owner''s user: mint the next token with its `organizationId` and `rowId`.';
