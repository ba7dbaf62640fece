/*
 * tg_users__keep_an_owner: an organization always keeps at least one owner.
 * Statement-level, over the transition table of changed users, so a bulk update
 * costs one check per organization touched. Deleting the organization itself
 * cascades to its users; the organization is gone by then and the check lets it
 * through. It is a definer so that it sees every owner whoever the caller is
 * (RLS would otherwise decide what "no owner left" means).
 *
 * Concurrency: two owners demoting each other at the same time must not both
 * pass. Each transaction first locks the organization rows the rule is about
 * (`for no key update`, which does not block inserts that only reference them),
 * in id order, and only then counts the owners: under READ COMMITTED that count
 * is a new statement with a new snapshot, so the second transaction, which
 * waited for the first, sees its committed demotion and refuses (FL004).
 * Works with: app_public.users (_200_keep_an_owner_* triggers), change_user_role(),
 * remove_user() (which take the same lock first, so the lock order is always
 * organization, then user).
 */
create or replace function app_private.tg_users__keep_an_owner() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, pg_temp
as $$
-- Definer: the check must see all of the organization's users, not what RLS shows the caller.
begin
  perform 1 from app_public.organizations org
   where org.id in (select t.organization_id from old_rows t where t.role = 'owner')
   order by org.id
     for no key update of org;
  perform 1
    from (select distinct t.organization_id from old_rows t where t.role = 'owner') o
   where exists (select 1 from app_public.organizations org where org.id = o.organization_id)
     and not exists (
       select 1 from app_public.users u
        where u.organization_id = o.organization_id and u.role = 'owner')
   limit 1;
  if found then
    raise exception 'An organization must keep at least one owner'
      using errcode = 'FL004',
            hint = 'Make another user an owner first, or delete the organization.';
  end if;
  return null;
end;
$$;
comment on function app_private.tg_users__keep_an_owner() is
  E'Trigger function: refuses a change that leaves an organization without an owner; safe under concurrent changes.';
