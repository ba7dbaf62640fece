/*
 * set_organization_limit(org, requests_per_minute, note): the operator's override
 * of one organization's API rate limit, kept in app_private.organization_limits,
 * which the visitor can neither read nor write (DESIGN §8b: limits that protect
 * the service are the operator's; a tenant cannot raise its own). null clears
 * the override, so the server's RATE_LIMIT_PER_MINUTE applies again. Called by
 * `forgeline limits` as the owner; take_request_tokens() reads the table.
 */
create or replace function app_private.set_organization_limit(
  organization_id uuid,
  requests_per_minute integer,
  note text default null
) returns app_private.organization_limits
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_row app_private.organization_limits;
begin
  if not exists (select 1 from app_public.organizations o
                  where o.id = set_organization_limit.organization_id) then
    raise exception 'No organization with id %', set_organization_limit.organization_id
      using errcode = 'FL003';
  end if;
  if set_organization_limit.requests_per_minute is null then
    delete from app_private.organization_limits l
     where l.organization_id = set_organization_limit.organization_id
    returning * into v_row;
    return v_row;
  end if;
  if set_organization_limit.requests_per_minute not between 1 and 1000000000 then
    raise exception 'A rate limit is 1 to 1,000,000,000 requests per minute, not %',
      set_organization_limit.requests_per_minute
      using errcode = 'FL005', hint = 'Clear the override instead to use the server default.';
  end if;
  insert into app_private.organization_limits as l (organization_id, requests_per_minute, note)
  values (set_organization_limit.organization_id, set_organization_limit.requests_per_minute,
          set_organization_limit.note)
  on conflict on constraint organization_limits_pkey do update
     set requests_per_minute = excluded.requests_per_minute,
         note = coalesce(excluded.note, l.note)
  returning * into v_row;
  return v_row;
end;
$$;
comment on function app_private.set_organization_limit(uuid, integer, text) is
  E'Operator only: sets (or with null clears) an organization''s API rate limit per minute.';
