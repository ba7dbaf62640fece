/*
 * set_current_tenant(org): for trusted code only (worker jobs, maintenance). It
 * sets the tenant for the rest of the current transaction, with no user, and
 * marks the transaction as a service acting for that tenant so that
 * current_user_role() answers 'admin' there. Callers then `set local role` to the
 * visitor so RLS still guards every statement. The visitor has no execute grant:
 * a request must never be able to switch tenants.
 */
create or replace function app_private.set_current_tenant(org_id uuid) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if set_current_tenant.org_id is null then
    raise exception 'A tenant id is required' using errcode = 'FL008',
      hint = 'Pass the organization id the job acts for.';
  end if;
  if not exists (select 1 from app_public.organizations o where o.id = set_current_tenant.org_id) then
    raise exception 'No organization with id %', set_current_tenant.org_id using errcode = 'FL003';
  end if;
  perform pg_catalog.set_config('jwt.claims.org_id', set_current_tenant.org_id::text, true);
  perform pg_catalog.set_config('jwt.claims.user_id', '', true);
  perform pg_catalog.set_config('jwt.claims.role', '', true);
  perform pg_catalog.set_config('forgeline.service_tenant', set_current_tenant.org_id::text, true);
end;
$$;
comment on function app_private.set_current_tenant(uuid) is
  E'Trusted code only: act for one organization, with no user, for the rest of the transaction.';
