/*
 * current_user_role(): the role the current request holds in the current
 * organization. It is the role stored on the user's row (not the token's claim),
 * so changes apply immediately: a demotion holds from the very next statement.
 * Trusted code that set the tenant through app_private.set_current_tenant() acts
 * as 'admin' inside that one tenant; that branch holds only for sessions logged
 * in as the schema's owner (the worker), so a request, which logs in as the
 * authenticator, can never take it even if the setting were forged.
 *
 * Every policy calls it, so it is on the path of every query. It is plpgsql
 * because PostgreSQL caches a plpgsql function's plans per session, while a
 * `language sql` security-definer function (which cannot be inlined) is planned
 * again in every query that calls it. Measured with pgbench on the bench dataset
 * (the API's transaction around a 20-row list, 10 clients): 1.6× the tx/s of the
 * SQL version. Caching the role in a transaction-local setting measured no
 * better and could go stale within a transaction, so it does not.
 * Works with: app_public.users, app_private.set_current_tenant(), every policy.
 */
create or replace function app_public.current_user_role() returns app_public.user_role
  language plpgsql stable parallel safe
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: it must read the caller's own row even where RLS would recurse
-- (the users policies call this function).
declare
  v_org uuid := app_public.current_org_id();
  v_user uuid := app_public.current_user_id();
  v_role app_public.user_role;
begin
  if v_org is null then
    return null;
  end if;
  if v_user is not null then
    select u.role into v_role
      from app_public.users u
     where u.organization_id = v_org and u.id = v_user;
    return v_role;
  end if;
  if pg_catalog.current_setting('forgeline.service_tenant', true) = v_org::text
     and pg_catalog.pg_has_role(
           session_user,
           (select c.relowner from pg_catalog.pg_class c
             where c.oid = 'app_public.users'::pg_catalog.regclass),
           'MEMBER') then
    return 'admin'::app_public.user_role;
  end if;
  return null;
end;
$$;
comment on function app_public.current_user_role() is
  E'The role (`owner`, `admin`, `member`, `viewer`) the current user holds in the current organization, read from the user''s row; null when the request is anonymous or not a member.';
