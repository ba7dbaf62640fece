/*
 * assert_valid_user(name, email): input checks shared by create_organization and
 * add_user, raised as FL005 with a sentence the caller can act on before the
 * table's own check constraints would refuse the row less helpfully.
 */
create or replace function app_private.assert_valid_user(name text, email text) returns void
  language plpgsql immutable
  set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.length(pg_catalog.btrim(coalesce(assert_valid_user.name, ''))) = 0 then
    raise exception 'A user needs a name' using errcode = 'FL005';
  end if;
  if assert_valid_user.email is null
     or assert_valid_user.email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'
     or pg_catalog.length(assert_valid_user.email) > 320 then
    raise exception 'The email address "%" is not valid', assert_valid_user.email
      using errcode = 'FL005', hint = 'Use an address like name@example.com.';
  end if;
end;
$$;
comment on function app_private.assert_valid_user(text, text) is
  E'Raises FL005 for an empty name or a malformed email address.';
