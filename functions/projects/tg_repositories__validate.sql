/*
 * tg_repositories__validate: coded errors for a repository's fields on every
 * path that writes them. `full_name` is `owner/name` as the provider spells it;
 * `clone_url` is an https:// URL, an scp-style `git@host:owner/name.git`, or (for
 * provider `local`) a file:// URL or absolute path; `default_branch` is a valid
 * git branch name; the two configs are JSON objects, and `webhook_config` holds
 * no secrets (keys such as `secret` or `token`): webhook secrets belong to the
 * integrations module, encrypted, never in a readable column (FL109). The
 * provider's own id is unique per organization and provider (FL110).
 * Works with: app_public.repositories (_200_validate).
 */
create or replace function app_private.tg_repositories__validate() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if new.full_name is null or new.full_name !~ '^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$' then
    raise exception 'A repository''s full name is "owner/name", not "%"', new.full_name
      using errcode = 'FL005', hint = 'For example "acme/api".';
  end if;
  if new.clone_url is null
     or not (new.clone_url ~ '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[^[:space:]]+$'
             or new.clone_url ~ '^[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:[^[:space:]]+$'
             or (new.provider = 'local' and new.clone_url ~ '^(file://)?/[^[:space:]]*$'))
     or pg_catalog.length(new.clone_url) > 2000 then
    raise exception 'The clone URL "%" is not one git can clone', new.clone_url
      using errcode = 'FL005',
            hint = 'Use https://host/owner/name.git or git@host:owner/name.git (file:// or a path for local repositories).';
  end if;
  if new.default_branch is null
     or new.default_branch !~ '^[A-Za-z0-9._/-]{1,255}$'
     or new.default_branch ~ '(^[./-]|\.\.|//|/$|\.lock$|@\{)' then
    raise exception 'The branch name "%" is not valid', new.default_branch using errcode = 'FL005';
  end if;
  if pg_catalog.jsonb_typeof(new.analysis_config) is distinct from 'object'
     or pg_catalog.jsonb_typeof(new.webhook_config) is distinct from 'object' then
    raise exception 'analysis_config and webhook_config must be JSON objects' using errcode = 'FL005';
  end if;
  if exists (select 1 from pg_catalog.jsonb_each(new.webhook_config) e
              where e.key ~* '(secret|token|password|passwd|private|credential|api_?key)') then
    raise exception 'webhook_config must not hold secrets' using errcode = 'FL109',
      hint = 'Webhook secrets are kept encrypted by the integration, never in a readable column.';
  end if;
  if new.external_id is not null then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
      'forgeline.repository:' || new.organization_id::text || ':' || new.provider::text || ':' || new.external_id, 0));
    if exists (select 1 from app_public.repositories r
                where r.organization_id = new.organization_id and r.provider = new.provider
                  and r.external_id = new.external_id and r.id <> new.id) then
      raise exception 'This % repository (id %) is already connected to the organization', new.provider, new.external_id
        using errcode = 'FL110';
    end if;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_repositories__validate() is
  E'Trigger function: validates a repository''s names, URL, branch and configs (FL005, FL109, FL110).';
