/*
 * tg_organizations__owner_only: the update_owner and delete_owner policies,
 * checked again once the organization's row is locked. A policy's
 * `(select current_user_role())` is read when the statement starts; if the row
 * is then locked by change_user_role() or remove_user() (lock_organization.sql),
 * the statement waits, and when the demotion commits the row itself is
 * unchanged, so PostgreSQL does not evaluate the policy again: an owner demoted
 * meanwhile would still rename or delete the organization. This BEFORE ROW
 * trigger runs after the row lock is granted, in a statement of its own (a new
 * snapshot under READ COMMITTED), and refuses with FL002 when the caller is no
 * longer an owner.
 *
 * Only where the policies apply (row_security_active: a request as the
 * visitor); trusted code and security-definer functions, which bypass RLS, are
 * not affected. Invoker, for that very test.
 * Works with: app_public.organizations (_050_owner_only), lock_organization(),
 * change_user_role(), remove_user().
 */
create or replace function app_private.tg_organizations__owner_only() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.row_security_active('app_public.organizations'::pg_catalog.regclass)
     and app_public.current_user_role() is distinct from 'owner' then
    raise exception 'Only an owner may change or delete the organization'
      using errcode = 'FL002', hint = 'Your role changed while the request waited; ask an owner.';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_organizations__owner_only() is
  E'Trigger function: refuses an update or delete of the organization by a caller who is no longer an owner once its row is locked (FL002).';
