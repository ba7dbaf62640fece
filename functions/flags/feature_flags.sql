/*
 * Feature flags: global defaults in app_public.feature_flags, per-organization
 * overrides in app_public.organization_feature_flags. feature_enabled(name) is
 * the one answer SQL and GraphQL use; set_feature_flag() is how owners and admins
 * change an override (null clears it). Overrides are audited like any table.
 */
create or replace function app_public.feature_enabled(name text) returns boolean
  language plpgsql stable
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_default boolean;
  v_override boolean;
begin
  select f.default_enabled into v_default from app_public.feature_flags f where f.name = feature_enabled.name;
  if not found then
    raise exception 'Unknown feature flag "%"', feature_enabled.name using errcode = 'FL010';
  end if;
  select o.enabled into v_override
    from app_public.organization_feature_flags o
   where o.organization_id = app_public.current_org_id() and o.flag_name = feature_enabled.name;
  return coalesce(v_override, v_default);
end;
$$;
comment on function app_public.feature_enabled(text) is
  E'Whether a feature is on for the current organization: its override if set, else the global default. Unknown names raise FL010.';

create or replace function app_public.feature_flags_enabled(f app_public.feature_flags) returns boolean
  language sql stable
as $$
  select coalesce(
    (select o.enabled from app_public.organization_feature_flags o
      where o.organization_id = app_public.current_org_id() and o.flag_name = f.name),
    f.default_enabled);
$$;
comment on function app_public.feature_flags_enabled(app_public.feature_flags) is
  E'Whether this feature is on for the current organization.';

create or replace function app_public.set_feature_flag(name text, enabled boolean)
  returns app_public.feature_flags
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: overrides are written only here, after the role check below.
declare
  v_flag app_public.feature_flags;
begin
  perform app_private.require_role('admin');
  select * into v_flag from app_public.feature_flags f where f.name = set_feature_flag.name;
  if not found then
    raise exception 'Unknown feature flag "%"', set_feature_flag.name using errcode = 'FL010';
  end if;
  if set_feature_flag.enabled is null then
    delete from app_public.organization_feature_flags o
     where o.organization_id = app_public.current_org_id() and o.flag_name = v_flag.name;
  else
    insert into app_public.organization_feature_flags as o (organization_id, flag_name, enabled, updated_by)
    values (app_public.current_org_id(), v_flag.name, set_feature_flag.enabled, app_public.current_user_id())
    on conflict (organization_id, flag_name) do update
      set enabled = excluded.enabled, updated_by = excluded.updated_by
      where o.enabled is distinct from excluded.enabled;
  end if;
  return v_flag;
end;
$$;
comment on function app_public.set_feature_flag(text, boolean) is
  E'@resultFieldName featureFlag\nTurns a feature on or off for the current organization (admins and owners); null returns it to the global default.';
