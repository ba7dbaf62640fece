/*
 * Finding tasks: search_tasks(query, project) ranks full-text matches over the
 * title (weight A) and description (B) of the generated `search` tsvector (GIN
 * index), adds trigram similarity on the title for short or misspelt queries
 * (GIN trigram index: titles only, descriptions are too long for it), and puts
 * an exact identifier (`ENG-42`) first. The
 * snippet is the matching passage of the description (or the title) with the
 * text HTML-escaped and each match wrapped in <mark>…</mark>, so a web client
 * can show it as HTML without risk. One SQL statement, so a page of results
 * computes snippets for that page only (the SQL functions here have no SET
 * clause, so PostgreSQL inlines them and the page's LIMIT reaches them; every
 * name is qualified instead). task_by_identifier(`ENG-42`) looks one
 * task up by its identifier, case-insensitively.
 */
create or replace function app_hidden.html_escape(text) returns text
  language sql immutable parallel safe
as $$
  select pg_catalog.replace(pg_catalog.replace(pg_catalog.replace($1, '&', '&amp;'), '<', '&lt;'), '>', '&gt;');
$$;
comment on function app_hidden.html_escape(text) is E'Escapes &, < and > for HTML text.';

create or replace function app_public.search_tasks(query text, project_id uuid default null)
  returns table (rank real, snippet text, task app_public.tasks)
  language sql stable
as $$
  with q as (
    select pg_catalog.websearch_to_tsquery('english', search_tasks.query) as ts,
           pg_catalog.btrim(search_tasks.query) as text,
           pg_catalog.upper(pg_catalog.btrim(search_tasks.query)) as ident
  )
  -- An identifier beats any text match, and a full-text match (≥ 1) any match on
  -- trigrams alone (≤ 0.5): close spellings only break ties and find misspellings.
  select (case when p.key || '-' || t.number = q.ident then 10 else 0 end
          + case when t.search @@ q.ts then 1 + pg_catalog.ts_rank_cd(t.search, q.ts) else 0 end
          + 0.5 * greatest(public.similarity(t.title, q.text), public.word_similarity(q.text, t.title)))::real as rank,
         pg_catalog.ts_headline('english',
           app_hidden.html_escape(coalesce(nullif(t.description, ''), t.title)), q.ts,
           'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=1') as snippet,
         t
    from q, app_public.tasks t
    join app_public.projects p on p.organization_id = t.organization_id and p.id = t.project_id
   where t.organization_id = app_public.current_org_id()
     and (search_tasks.project_id is null or t.project_id = search_tasks.project_id)
     and pg_catalog.length(q.text) between 1 and 200
     and (t.search @@ q.ts
          or t.title operator(public.%) q.text            -- similar as a whole ("deplyo")
          or q.text operator(public.<%) t.title           -- like a word of the title ("logn")
          or (q.ident ~ '^[A-Z][A-Z0-9]{1,9}-[0-9]{1,9}$'
              and p.key = pg_catalog.split_part(q.ident, '-', 1)
              and t.number = pg_catalog.split_part(q.ident, '-', 2)::integer))
   order by 1 desc, t.number desc;
$$;
comment on function app_public.search_tasks(text, uuid) is
  E'Tasks matching a search (words, "phrases", -excluded; misspelt titles; or an identifier like ENG-42), best first, with a highlighted snippet (HTML-escaped text, matches in <mark>).';

create or replace function app_public.task_by_identifier(identifier text) returns app_public.tasks
  language sql stable
as $$
  select t.*
    from app_public.tasks t
    join app_public.projects p on p.organization_id = t.organization_id and p.id = t.project_id
   where t.organization_id = app_public.current_org_id()
     and pg_catalog.upper(pg_catalog.btrim(task_by_identifier.identifier)) ~ '^[A-Z][A-Z0-9]{1,9}-[0-9]{1,9}$'
     and p.key = pg_catalog.split_part(pg_catalog.upper(pg_catalog.btrim(task_by_identifier.identifier)), '-', 1)
     and t.number = pg_catalog.split_part(pg_catalog.btrim(task_by_identifier.identifier), '-', 2)::integer;
$$;
comment on function app_public.task_by_identifier(text) is E'The task with this identifier (`ENG-42`, any case), or null.';
