/*
 * Monthly partitions and retention (DESIGN §5). Partitioned tables register in
 * app_private.partitioned_tables with their retention and how many months to
 * create ahead. maintain_partitions() creates the current month and `premake`
 * months ahead, as app_partitions.<table>_pYYYYMM (never in an exposed schema: a
 * partition there would be readable past the parent's RLS). apply_retention()
 * detaches and drops whole partitions whose month ended before the retention
 * window; it never deletes row by row. Both run as the owner, from the worker's
 * crontab or pg_cron (`forgeline schedule`), and return what they did.
 */
create or replace function app_private.maintain_partitions() returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_table record;
  v_month date;
  v_name text;
begin
  for v_table in
    select p.table_name::regclass as parent, c.relname, p.premake
      from app_private.partitioned_tables p
      join pg_catalog.pg_class c on c.oid = p.table_name
  loop
    for i in 0 .. v_table.premake loop
      v_month := (pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC') + pg_catalog.make_interval(months => i))::date;
      v_name := pg_catalog.format('%s_p%s', v_table.relname, pg_catalog.to_char(v_month, 'YYYYMM'));
      if pg_catalog.to_regclass(pg_catalog.format('app_partitions.%I', v_name)) is null then
        execute pg_catalog.format(
          'create table app_partitions.%I partition of %s for values from (%L) to (%L)',
          v_name, v_table.parent,
          (v_month::timestamp at time zone 'UTC'),
          ((v_month + interval '1 month')::timestamp at time zone 'UTC'));
        execute pg_catalog.format('alter table app_partitions.%I enable row level security', v_name);
        return next pg_catalog.format('created app_partitions.%I', v_name);
      end if;
    end loop;
  end loop;
end;
$$;
comment on function app_private.maintain_partitions() is
  E'Creates the monthly partitions of every registered table for this month and the months ahead; returns what it created.';

create or replace function app_private.apply_retention() returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_part record;
begin
  for v_part in
    select p.table_name::regclass as parent, c.oid::regclass as part, c.relname,
           pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') as month
      from app_private.partitioned_tables p
      join pg_catalog.pg_inherits h on h.inhparent = p.table_name
      join pg_catalog.pg_class c on c.oid = h.inhrelid
     where p.retention is not null
       and c.relname ~ '_p[0-9]{6}$'
       and (pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') + interval '1 month')
           <= (pg_catalog.now() at time zone 'UTC') - p.retention
     order by 4
  loop
    execute pg_catalog.format('alter table %s detach partition %s', v_part.parent, v_part.part);
    execute pg_catalog.format('drop table %s', v_part.part);
    return next pg_catalog.format('dropped app_partitions.%I', v_part.relname);
  end loop;
end;
$$;
comment on function app_private.apply_retention() is
  E'Detaches and drops whole partitions older than each registered table''s retention; returns what it dropped.';
