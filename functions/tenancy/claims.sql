/*
 * Tenancy claims. Every API request runs as the visitor role with the verified
 * JWT's claims in per-transaction settings (jwt.claims.org_id, jwt.claims.user_id,
 * jwt.claims.role), set by src/server/auth.ts through PostGraphile's pgSettings.
 * Policies read them through these functions, always wrapped as
 * `(select app_public.current_org_id())` so Postgres evaluates them once per query.
 *
 * The effective role is not the token's `role` claim: current_user_role() reads
 * the role stored on the user's row (app_public.users), so a demotion or removal
 * takes effect at once, not when the token expires. Trusted code that acts for a
 * tenant without a user (worker jobs) uses app_private.set_current_tenant(), which
 * the visitor cannot execute.
 */
create or replace function app_public.current_org_id() returns uuid
  language sql stable parallel safe
as $$
  select nullif(pg_catalog.current_setting('jwt.claims.org_id', true), '')::uuid;
$$;
comment on function app_public.current_org_id() is
  E'The organization the current request acts for (the verified token''s `org_id` claim), or null.';

create or replace function app_public.current_user_id() returns uuid
  language sql stable parallel safe
as $$
  select nullif(pg_catalog.current_setting('jwt.claims.user_id', true), '')::uuid;
$$;
comment on function app_public.current_user_id() is
  E'The user the current request acts for (the verified token''s `user_id` claim), or null.';
