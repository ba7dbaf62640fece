/*
 * current_user_role(): the role the current request holds in the current
 * organization. It is the role stored on the user's row (not the token's claim),
 * so changes apply immediately. Trusted code that set the tenant through
 * app_private.set_current_tenant() acts as 'admin' inside that one tenant; that
 * branch holds only for sessions logged in as the schema's owner (the worker),
 * so a request, which logs in as the authenticator, can never take it even if
 * the setting were forged.
 * Works with: app_public.users, app_private.set_current_tenant(), every policy.
 */
create or replace function app_public.current_user_role() returns app_public.user_role
  language sql stable parallel safe
  security definer
  set search_path = pg_catalog, pg_temp
as $$
  -- Definer: it must read the caller's own row even where RLS would recurse
  -- (the users policies call this function).
  select coalesce(
    (select u.role
       from app_public.users u
      where u.organization_id = app_public.current_org_id()
        and u.id = app_public.current_user_id()),
    case
      when app_public.current_user_id() is null
       and pg_catalog.current_setting('forgeline.service_tenant', true)
           = app_public.current_org_id()::text
       and pg_catalog.pg_has_role(
             session_user,
             (select c.relowner from pg_catalog.pg_class c
               where c.oid = 'app_public.users'::pg_catalog.regclass),
             'MEMBER')
      then 'admin'::app_public.user_role
    end
  );
$$;
comment on function app_public.current_user_role() is
  E'The role (`owner`, `admin`, `member`, `viewer`) the current user holds in the current organization, read from the user''s row; null when the request is anonymous or not a member.';
