/*
 * How trusted code (the worker, seed, tests, the bench) acts inside the
 * database, for the rest of the current transaction; the only two ways, used by
 * src/db/session.ts (withTenant, asUser) and by the pgTAP helpers:
 *
 *   act_for_tenant(org, actor, request_id)  a service acting for one tenant, no
 *       user: set_current_tenant(org) (so current_user_role() is 'admin' there),
 *       `forgeline.actor` for the audit log (`worker`, `webhook`, …), and then the
 *       visitor role, so every statement after it is guarded by RLS like a request.
 *   act_as_user(sub, org, user, request_id)  a signed-in user, exactly as the API
 *       sets a request up from a verified token (src/server/auth.ts, pgSettingsFor):
 *       the jwt.claims.* settings and the visitor role; with a null `sub`, an
 *       anonymous request (no claims at all).
 *
 * Both switch to the visitor with set_config('role', …, true), which is why they
 * are invokers without a SET clause (a definer could not change the role, and a
 * SET clause would undo the settings when the function returns). The visitor has
 * no access to app_private, so a request can never call them.
 */
create or replace function app_private.act_for_tenant(
  org_id uuid,
  actor text,
  request_id text default null
) returns void
  language plpgsql volatile
as $$
begin
  if act_for_tenant.actor is null or act_for_tenant.actor !~ '^[a-z][a-z0-9_-]{0,31}$' then
    raise exception 'An actor names the trusted code acting, like "worker"; got "%"', act_for_tenant.actor
      using errcode = 'FL005';
  end if;
  perform app_private.set_current_tenant(act_for_tenant.org_id);
  perform pg_catalog.set_config('jwt.claims.sub', 'service:' || act_for_tenant.actor, true);
  perform pg_catalog.set_config('forgeline.actor', act_for_tenant.actor, true);
  perform pg_catalog.set_config('forgeline.request_id', coalesce(act_for_tenant.request_id, ''), true);
  perform pg_catalog.set_config('role', ':DATABASE_VISITOR', true);
end;
$$;
comment on function app_private.act_for_tenant(uuid, text, text) is
  E'Trusted code only: act for one organization as the named service (no user), under RLS as the visitor, for the rest of the transaction.';

create or replace function app_private.act_as_user(
  sub text default null,
  org_id uuid default null,
  user_id uuid default null,
  request_id text default null
) returns void
  language plpgsql volatile
as $$
begin
  if coalesce(act_as_user.sub, '') = '' and (act_as_user.org_id is not null or act_as_user.user_id is not null) then
    raise exception 'A user needs a subject (the token''s sub)' using errcode = 'FL005';
  end if;
  perform pg_catalog.set_config('jwt.claims.sub', coalesce(act_as_user.sub, ''), true);
  perform pg_catalog.set_config('jwt.claims.org_id', coalesce(act_as_user.org_id::text, ''), true);
  perform pg_catalog.set_config('jwt.claims.user_id', coalesce(act_as_user.user_id::text, ''), true);
  perform pg_catalog.set_config('jwt.claims.role', '', true);
  perform pg_catalog.set_config('forgeline.service_tenant', '', true);
  perform pg_catalog.set_config('forgeline.actor', '', true);
  perform pg_catalog.set_config('forgeline.request_id', coalesce(act_as_user.request_id, ''), true);
  perform pg_catalog.set_config('role', ':DATABASE_VISITOR', true);
end;
$$;
comment on function app_private.act_as_user(text, uuid, uuid, text) is
  E'Trusted code only: act as a signed-in user (the claims a verified token gives a request), under RLS as the visitor, for the rest of the transaction.';
