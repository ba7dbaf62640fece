/*
 * require_role(minimum): the one place business functions check the caller's
 * standing. It raises FL001 when the request has no organization or user, and
 * FL002 when the caller's role is below `minimum` (roles are ordered
 * viewer < member < admin < owner). Returns the caller's role.
 */
create or replace function app_private.require_role(minimum app_public.user_role)
  returns app_public.user_role
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_role app_public.user_role := app_public.current_user_role();
begin
  if v_role is null then
    raise exception 'You must be signed in to an organization to do this'
      using errcode = 'FL001', hint = 'Send a token that carries org_id and user_id claims.';
  end if;
  if v_role < require_role.minimum then
    raise exception 'Your role (%) may not do this; it needs % or above', v_role, require_role.minimum
      using errcode = 'FL002';
  end if;
  return v_role;
end;
$$;
comment on function app_private.require_role(app_public.user_role) is
  E'Raises FL001/FL002 unless the caller holds at least the given role in the current organization.';
