/*
 * add_user: admins and owners add a user to their own organization. Only an
 * owner may add another owner. A duplicate email (case-insensitive) in the same
 * organization is refused with FL007, also when two requests race to add it
 * (both take the organization's lock, see lock_organization.sql, so the second
 * sees the first's user).
 */
create or replace function app_public.add_user(
  email text,
  name text,
  role app_public.user_role default 'member'
) returns app_public.users
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_public.add_user(text, text, app_public.user_role) is
  E'@resultFieldName user\nAdds a user to the current organization (admins and owners; only owners add owners).';
