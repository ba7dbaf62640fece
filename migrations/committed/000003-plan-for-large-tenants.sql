--! Previous: sha1:950a5f8b1e8e76c27024d33b616c3e0af0a989b2
--! Hash: sha1:de6d4fb804be4be207195c0ddbef4e4a25d48ac8
--! Message: Plan for large tenants

-- Plans for large tenants (issue #3's benchmark).
--
-- Policies filter by `organization_id = (select app_public.current_org_id())`, a
-- value the planner cannot see, so it estimates the average tenant's row count:
-- with 10,000 organizations and one of them holding 1,000 of 31,000 users, it
-- expected 3 rows and sorted the big tenant's 1,000 rows by email for every page
-- of 20. Plans chosen for a large tenant (ordered index scans that stop at the
-- LIMIT) cost a small tenant almost nothing, while plans chosen for a small one
-- are ruinous for a large one; so tenant tables tell the planner to expect
-- large tenants: each organization is assumed to hold 1% of the rows. Measured
-- with pgbench on the bench dataset: 3,300 → 26,000 list queries/s for the big
-- tenant; a small tenant's count(*) still uses a bitmap index scan.
alter table app_public.users alter column organization_id set (n_distinct = -0.01);
analyze app_public.users;
