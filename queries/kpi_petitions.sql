-- How many petitions were registered in quarter $quarter in scope $scope, against the same
-- quarter a year earlier? METRICS.md: petitions (rows), petition_persons (sum of 人数),
-- petitions_prev_year, petitions_yoy ((petitions − prev) / prev; NULL when prev is 0).
-- Petitions are recorded by township: for a village or grid scope (a code longer than 9
-- digits) every figure is NULL, never the township's.
-- Parameters: $quarter ('2023Q1'), $scope ('' = district, or a township code).
with
periods as (
    select
        $quarter as this_quarter,
        cast(cast(left($quarter, 4) as integer) - 1 as varchar) || right($quarter, 2)
            as prev_quarter
),

counts as (
    select
        coalesce(sum(m.n_petitions) filter (where m.quarter = p.this_quarter), 0)::bigint
            as petitions,
        coalesce(sum(m.n_persons) filter (where m.quarter = p.this_quarter), 0)::bigint
            as petition_persons,
        coalesce(sum(m.n_petitions) filter (where m.quarter = p.prev_quarter), 0)::bigint
            as petitions_prev_year
    from periods as p
    left join mart_petitions_township_month as m
        on m.quarter in (p.this_quarter, p.prev_quarter) and starts_with(m.township_code, $scope)
)

select
    case when length($scope) <= 9 then petitions end as petitions,
    case when length($scope) <= 9 then petition_persons end as petition_persons,
    case when length($scope) <= 9 then petitions_prev_year end as petitions_prev_year,
    case when length($scope) <= 9
        then (petitions - petitions_prev_year) / nullif(petitions_prev_year, 0)
    end as petitions_yoy
from counts
