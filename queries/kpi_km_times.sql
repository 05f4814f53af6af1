-- Time to resolution of the cases received in quarter $quarter, for the Kaplan–Meier estimate
-- (METRICS.md km_median_days): one row per case of cases_received (source 暖心走访, 受理时间 in the
-- quarter, scope $scope) with days = (办结时间 − 受理时间) in fractional days when resolved at
-- or before $as_of (is_resolved = true, an event), else (as-of − 受理时间) (censored at as-of).
-- The estimate itself is computed from these rows in warmvisits/metrics.py (exact fractions).
-- Parameters: $quarter ('2023Q1'), $scope (code prefix), $as_of (timestamp).
select
    case_id,
    resolved_at <= $as_of::timestamp as is_resolved,
    case
        when resolved_at <= $as_of::timestamp then days_to_resolve
        else datediff('microsecond', received_at, $as_of::timestamp)::double / 86400e6
    end as days
from mart_case_facts
where source = '暖心走访'
    and received_quarter = $quarter
    and starts_with(grid_code, $scope)
order by days, case_id
