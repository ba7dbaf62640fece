/*
 * change_user_role: admins and owners change another user's role within their
 * organization. Only an owner may grant or take away the owner role. The last
 * owner cannot be demoted (tg_users__keep_an_owner raises FL004), also when two
 * owners demote each other at the same time: the organization's lock
 * (lock_organization.sql) makes the second wait and then see the first.
 */
create or replace function app_public.change_user_role(
  user_id uuid,
  role app_public.user_role
) returns app_public.users
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_public.change_user_role(uuid, app_public.user_role) is
  E'@resultFieldName user\nChanges a user''s role in the current organization (admins and owners; only owners touch the owner role).';
