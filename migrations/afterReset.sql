-- Superuser-only setup for a Forgeline database. graphile-migrate runs it as the
-- root user after `reset`; `forgeline migrate` (src/db/setup.ts) runs the same file
-- when it prepares a database. Everything here is idempotent. Roles themselves are
-- cluster-wide and are created by src/db/setup.ts before this file runs.
begin;
revoke all on database :DATABASE_NAME from public;
grant connect, create, temporary on database :DATABASE_NAME to :DATABASE_OWNER;
grant connect on database :DATABASE_NAME to :DATABASE_AUTHENTICATOR;
-- Extensions live in `public`; every function that needs them qualifies the name.
create extension if not exists citext with schema public;
create extension if not exists pgcrypto with schema public;
create extension if not exists pg_trgm with schema public;
commit;
