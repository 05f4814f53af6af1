-- Petition headline figures for one quarter and scope, and the same quarter a year earlier
-- (METRICS.md "Petitions": petitions, petition_persons, petitions_prev_year, petitions_yoy),
-- with repeat and collective (人数 >= 5) petitions beside them.
-- Parameters: $quarter ('2023Q1'); $scope ('' = district, or a 9-digit township code).
-- Petitions are recorded by township only: for a village or grid scope (12 or 15 digits) the
-- single row holds nulls, never the township's figures.
-- Reads: mart_petitions_township_month. One row.
with

periods as (
    select
        $quarter as quarter,
        cast(cast(left($quarter, 4) as integer) - 1 as varchar) || right($quarter, 2)
            as prev_quarter,
        length($scope) <= 9 as has_petitions
),

in_scope as (
    select m.*
    from mart_petitions_township_month as m
    where starts_with(m.township_code, $scope)
),

totals as (
    select
        (sum(n_petitions) filter (where s.quarter = p.quarter))::bigint as petitions,
        (sum(n_persons) filter (where s.quarter = p.quarter))::bigint as persons,
        (sum(n_repeat) filter (where s.quarter = p.quarter))::bigint as repeats,
        (sum(n_collective) filter (where s.quarter = p.quarter))::bigint as collective,
        (sum(n_petitions) filter (where s.quarter = p.prev_quarter))::bigint as petitions_prev,
        (sum(n_persons) filter (where s.quarter = p.prev_quarter))::bigint as persons_prev,
        (sum(n_repeat) filter (where s.quarter = p.prev_quarter))::bigint as repeats_prev,
        (sum(n_collective) filter (where s.quarter = p.prev_quarter))::bigint as collective_prev
    from in_scope as s
    cross join periods as p
),

counted as (
    -- a period with no petition rows counts 0 (township scope and wider only)
    select
        p.quarter,
        p.prev_quarter,
        p.has_petitions,
        case when p.has_petitions then coalesce(t.petitions, 0) end as petitions,
        case when p.has_petitions then coalesce(t.persons, 0) end as petition_persons,
        case when p.has_petitions then coalesce(t.repeats, 0) end as repeat_petitions,
        case when p.has_petitions then coalesce(t.collective, 0) end as collective_petitions,
        case when p.has_petitions then coalesce(t.petitions_prev, 0) end as petitions_prev_year,
        case when p.has_petitions then coalesce(t.persons_prev, 0) end
            as petition_persons_prev_year,
        case when p.has_petitions then coalesce(t.repeats_prev, 0) end
            as repeat_petitions_prev_year,
        case when p.has_petitions then coalesce(t.collective_prev, 0) end
            as collective_petitions_prev_year
    from periods as p
    cross join totals as t
),

final as (
    select
        *,
        case when petitions_prev_year > 0
            then (petitions - petitions_prev_year)::double / petitions_prev_year
        end as petitions_yoy,
        case when petition_persons_prev_year > 0
            then (petition_persons - petition_persons_prev_year)::double
                / petition_persons_prev_year
        end as petition_persons_yoy
    from counted
)

select * from final
