-- Petitions per calendar quarter for a scope, with the same quarter a year earlier and the
-- year-on-year change of each quarter (METRICS.md petitions_yoy: null when the earlier quarter
-- has no petitions). Parameters: $scope ('' = district, or a 9-digit township code; a village
-- or grid scope gives no rows: petitions are recorded by township only).
-- Grain: one row per quarter from the first to the last quarter with a loaded petition.
-- Reads: mart_petitions_township_month.
with

quarterly as (
    select
        quarter,
        min(month_on) as quarter_start_on,
        sum(n_petitions)::bigint as petitions,
        sum(n_persons)::bigint as persons,
        sum(n_repeat)::bigint as repeat_petitions,
        sum(n_collective)::bigint as collective_petitions
    from mart_petitions_township_month
    where length($scope) <= 9 and starts_with(township_code, $scope)
    group by quarter
),

final as (
    select
        q.quarter,
        q.quarter_start_on,
        q.petitions,
        q.persons,
        q.repeat_petitions,
        q.collective_petitions,
        coalesce(p.petitions, 0) as petitions_prev_year,
        coalesce(p.persons, 0) as persons_prev_year,
        coalesce(p.repeat_petitions, 0) as repeat_petitions_prev_year,
        coalesce(p.collective_petitions, 0) as collective_petitions_prev_year,
        case when coalesce(p.petitions, 0) > 0
            then (q.petitions - p.petitions)::double / p.petitions
        end as petitions_yoy,
        case when coalesce(p.persons, 0) > 0
            then (q.persons - p.persons)::double / p.persons
        end as persons_yoy
    from quarterly as q
    left join quarterly as p
        on p.quarter = cast(cast(left(q.quarter, 4) as integer) - 1 as varchar)
            || right(q.quarter, 2)
)

select * from final
order by quarter
