-- How many cases were open at $as_of in scope $scope, and how many of them overdue? METRICS.md:
-- open_cases (any source, any quarter: received at or before as-of and not resolved at it — by
-- 办结时间, never the exported status), overdue_cases (of those, 办结时限 strictly before as-of).
-- Parameters: $scope (code prefix), $as_of (timestamp). (The light's yellow share does not
-- matter here; the macro's default 0.25 is passed.)
select
    count(*) as open_cases,
    count(*) filter (where is_overdue) as overdue_cases
from case_states_at($as_of::timestamp, 0.25)
where starts_with(grid_code, $scope)
