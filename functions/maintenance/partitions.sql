/*
 * Monthly partitions and retention (DESIGN §5). Partitioned tables register in
 * app_private.partitioned_tables with their retention and how many months to
 * create ahead (and, for tables that reference each other, a drop_order and a
 * before_drop hook). maintain_partitions(at) creates the month of `at` and `premake`
 * months ahead, as app_partitions.<table>_pYYYYMM (never in an exposed schema: a
 * partition there would be readable past the parent's RLS), each guarded like
 * its parent (guard_partition). apply_retention(at) detaches and drops whole
 * partitions whose month ended before the retention window; it never deletes
 * row by row. Both take the clock as a parameter (tests pass one) and create
 * or drop only what is there to create or drop. They are called from
 * app_private.run_maintenance() and directly (migrations, the module recipe in
 * docs/adding-a-module.md), so each takes the maintenance lock itself: the same
 * transaction advisory lock as run_maintenance() (re-entrant within a
 * session), held to the end of the transaction. A second call that overlaps
 * one not yet committed (a migration during a deploy and a worker's run) waits,
 * then finds the partitions made or dropped, instead of failing on them
 * (42P07, 42P01).
 */

/*
 * guard_partition(parent, partition): what a partition needs beyond what
 * PostgreSQL copies from its parent. Row-level triggers, indexes and constraints
 * are cloned automatically, but row-level security is per table, and
 * statement-level TRUNCATE triggers of the parent do not fire when the
 * partition itself is truncated: `truncate app_partitions.audit_events_p202612`
 * would otherwise empty a month of an append-only log. The planner's
 * per-column decisions (n_distinct on organization_id, see
 * docs/adding-a-module.md) are per table too, and are copied. Idempotent.
 */
create or replace function app_private.guard_partition(parent regclass, part regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_trigger record;
  v_option record;
begin
  execute pg_catalog.format('alter table %s enable row level security', guard_partition.part);
  for v_option in
    select a.attname, o.opt
      from pg_catalog.pg_attribute a
     cross join lateral pg_catalog.unnest(a.attoptions) o(opt)
     where a.attrelid = guard_partition.parent and a.attnum > 0 and not a.attisdropped
       and o.opt like 'n\_distinct=%'
  loop
    execute pg_catalog.format('alter table %s alter column %I set (%s)',
                              guard_partition.part, v_option.attname, v_option.opt);
  end loop;
  for v_trigger in
    select t.tgname, t.tgfoid::regproc as fn,
           case when (t.tgtype & 2) <> 0 then 'before' else 'after' end as timing
      from pg_catalog.pg_trigger t
     where t.tgrelid = guard_partition.parent and not t.tgisinternal
       and (t.tgtype & 32) <> 0          -- TRUNCATE
       and t.tgnargs = 0
  loop
    if not exists (select 1 from pg_catalog.pg_trigger p
                    where p.tgrelid = guard_partition.part and p.tgname = v_trigger.tgname) then
      execute pg_catalog.format(
        'create trigger %I %s truncate on %s for each statement execute function %s()',
        v_trigger.tgname, v_trigger.timing, guard_partition.part, v_trigger.fn);
    end if;
  end loop;
end;
$$;
comment on function app_private.guard_partition(regclass, regclass) is
  E'Gives a partition its parent''s RLS, statement-level TRUNCATE triggers and n_distinct settings (not copied by PostgreSQL).';

create or replace function app_private.maintain_partitions(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_table record;
  v_month date;
  v_name text;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('forgeline.maintenance', 0));
  for v_table in
    select p.table_name::regclass as parent, c.relname, p.premake
      from app_private.partitioned_tables p
      join pg_catalog.pg_class c on c.oid = p.table_name
     order by c.relname
  loop
    for i in 0 .. v_table.premake loop
      v_month := (pg_catalog.date_trunc('month', maintain_partitions.at at time zone 'UTC')
                  + pg_catalog.make_interval(months => i))::date;
      v_name := pg_catalog.format('%s_p%s', v_table.relname, pg_catalog.to_char(v_month, 'YYYYMM'));
      if pg_catalog.to_regclass(pg_catalog.format('app_partitions.%I', v_name)) is null then
        execute pg_catalog.format(
          'create table if not exists app_partitions.%I partition of %s for values from (%L) to (%L)',
          v_name, v_table.parent,
          (v_month::timestamp at time zone 'UTC'),
          ((v_month + interval '1 month')::timestamp at time zone 'UTC'));
        perform app_private.guard_partition(v_table.parent,
                                            pg_catalog.format('app_partitions.%I', v_name)::regclass);
        return next pg_catalog.format('created app_partitions.%I', v_name);
      end if;
    end loop;
  end loop;
end;
$$;
comment on function app_private.maintain_partitions(timestamptz) is
  E'Creates the missing monthly partitions of every registered table for the month of `at` and the months ahead, serialised against overlapping maintenance; returns what it created.';

create or replace function app_private.apply_retention(at timestamptz default pg_catalog.now())
  returns setof text
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_part record;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('forgeline.maintenance', 0));
  -- Month by month, oldest first; within a month by drop_order, so a table is
  -- dropped before the tables it references (steps before their executions).
  for v_part in
    select p.table_name::regclass as parent, c.oid::regclass as part, c.relname, p.before_drop,
           pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') as month, p.drop_order
      from app_private.partitioned_tables p
      join pg_catalog.pg_inherits h on h.inhparent = p.table_name
      join pg_catalog.pg_class c on c.oid = h.inhrelid
     where p.retention is not null
       and c.relname ~ '_p[0-9]{6}$'
       and (pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') + interval '1 month')
           <= (apply_retention.at at time zone 'UTC') - p.retention
     order by month, p.drop_order, c.relname
  loop
    if v_part.before_drop is not null then
      execute pg_catalog.format('select %s($1)', v_part.before_drop::regproc) using v_part.part;
    end if;
    execute pg_catalog.format('alter table %s detach partition %s', v_part.parent, v_part.part);
    execute pg_catalog.format('drop table %s', v_part.part);
    return next pg_catalog.format('dropped app_partitions.%I', v_part.relname);
  end loop;
end;
$$;
comment on function app_private.apply_retention(timestamptz) is
  E'Detaches and drops whole partitions whose month ended before each registered table''s retention, counted back from `at`, in drop_order within a month and after each table''s before_drop hook, serialised against overlapping maintenance; returns what it dropped.';
