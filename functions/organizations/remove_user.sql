/*
 * remove_user: admins and owners remove a user from their organization. Only an
 * owner may remove an owner, and the last owner stays (FL004 from the trigger).
 * Any user may remove themself, within the same last-owner rule.
 */
create or replace function app_public.remove_user(user_id uuid) returns app_public.users
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
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
comment on function app_public.remove_user(uuid) is
  E'@resultFieldName user\nRemoves a user from the current organization (admins and owners, or the user themself). Returns the removed user.';
