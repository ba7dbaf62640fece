/*
 * lock_organization(): serialises the rules that are about a whole organization
 * ("keep one owner", "one user per email", "who may act as owner") for the rest
 * of the transaction. It locks the current organization's row with
 * `for no key update`: concurrent changes to the same organization's users wait
 * here, and what they check afterwards (a new statement under READ COMMITTED)
 * sees what the transaction before them committed. Inserts that merely reference
 * the organization (`for key share` foreign-key checks) are not blocked.
 * Callers take it before reading the caller's role, so an owner demoted a moment
 * ago can no longer act as one; a direct update or delete of the organization
 * waits for it too, and tg_organizations__owner_only reads the role again then.
 * Works with: add_user(), change_user_role(), remove_user(),
 * tg_users__keep_an_owner(), tg_organizations__owner_only().
 */
create or replace function app_private.lock_organization() returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform 1 from app_public.organizations o
   where o.id = app_public.current_org_id()
     for no key update;
end;
$$;
comment on function app_private.lock_organization() is
  E'Locks the current organization''s row until the transaction ends (serialises organization-wide rules).';
