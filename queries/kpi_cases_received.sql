-- How many cases from the visits were received in quarter $quarter in scope $scope, and how
-- many of them were resolved, and on time, by $as_of? METRICS.md: cases_received (source
-- 暖心走访, 受理时间 in the quarter), cases_resolved (of those, 办结时间 <= as-of),
-- resolution_rate (resolved / received), on_time_rate (of the resolved, 办结时间 <= 办结时限).
-- Rates are NULL over zero cases. Parameters: $quarter ('2023Q1'), $scope (code prefix),
-- $as_of (timestamp; see kpi_as_of).
with
received as (
    select resolved_at, due_at
    from mart_case_facts
    where source = '暖心走访'
        and received_quarter = $quarter
        and starts_with(grid_code, $scope)
),

counts as (
    select
        count(*) as cases_received,
        count(*) filter (where resolved_at <= $as_of::timestamp) as cases_resolved,
        count(*) filter (
            where resolved_at <= $as_of::timestamp and resolved_at <= due_at
        ) as cases_on_time
    from received
),

final as (
    select
        cases_received,
        cases_resolved,
        cases_on_time,
        cases_resolved / nullif(cases_received, 0) as resolution_rate,
        cases_on_time / nullif(cases_resolved, 0) as on_time_rate
    from counts
)

select * from final
