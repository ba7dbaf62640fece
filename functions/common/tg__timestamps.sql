/*
 * tg__timestamps: keeps created_at/updated_at honest on every table that opts in
 * with a `_100_timestamps` before-insert-or-update trigger. Clients cannot forge
 * either column (they are never in an insert/update grant), and an update keeps
 * the original created_at.
 */
create or replace function app_private.tg__timestamps() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  new.created_at := case when tg_op = 'INSERT' then pg_catalog.now() else old.created_at end;
  new.updated_at := case when tg_op = 'UPDATE' and old.updated_at >= pg_catalog.now()
                          then old.updated_at + interval '1 millisecond'
                          else pg_catalog.now() end;
  return new;
end;
$$;
comment on function app_private.tg__timestamps() is
  E'Trigger function: sets created_at on insert and updated_at on every write.';
