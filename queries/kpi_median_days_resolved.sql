-- How long did the resolved cases of quarter $quarter take? METRICS.md median_days_resolved:
-- the median of (办结时间 − 受理时间) in fractional days over cases_resolved (source 暖心走访,
-- 受理时间 in the quarter, 办结时间 <= $as_of, scope $scope); for an even count the mean of the
-- two middle values, computed as (a + b) / 2; NULL when none resolved.
-- Parameters: $quarter ('2023Q1'), $scope (code prefix), $as_of (timestamp).
with
resolved as (
    select days_to_resolve as days
    from mart_case_facts
    where source = '暖心走访'
        and received_quarter = $quarter
        and starts_with(grid_code, $scope)
        and resolved_at <= $as_of::timestamp
),

ranked as (
    select
        days,
        row_number() over (order by days) as rn,
        count(*) over () as n
    from resolved
),

middle as (
    select days
    from ranked
    where rn = (n + 1) // 2 or rn = (n + 2) // 2
)

select
    (min(days) + max(days)) / 2 as median_days_resolved,
    (select count(*) from resolved) as n_resolved
from middle
