-- Rows per kind in the current build: rows in the clean table, rows rejected, warnings.
-- Parameters: none. One row per kind, in the order of the export format.
with
kinds as (
    select * from (values
        (1, 'grids'), (2, 'households'), (3, 'menu'), (4, 'visits'),
        (5, 'cases'), (6, 'case_events'), (7, 'callbacks'), (8, 'petitions')
    ) as k(ord, kind)
),
loaded as (
    select 'grids' as kind, count(*) as n_rows from grids
    union all select 'households', count(*) from households
    union all select 'menu', count(*) from menu
    union all select 'visits', count(*) from visits
    union all select 'cases', count(*) from cases
    union all select 'case_events', count(*) from case_events
    union all select 'callbacks', count(*) from callbacks
    union all select 'petitions', count(*) from petitions
),
rejected as (
    select kind, count(*) as n_rejected from rejects group by kind
),
warned as (
    select kind, count(*) as n_warnings from warnings group by kind
),
final as (
    select
        kinds.kind,
        coalesce(loaded.n_rows, 0) as n_rows,
        coalesce(rejected.n_rejected, 0) as n_rejected,
        coalesce(warned.n_warnings, 0) as n_warnings,
        kinds.ord
    from kinds
    left join loaded using (kind)
    left join rejected using (kind)
    left join warned using (kind)
)
select kind, n_rows, n_rejected, n_warnings from final order by ord
