-- Per township: the change in petitions for a quarter against the same quarter a year earlier,
-- beside what the programme claims to affect in the same quarter: coverage of the visit round
-- (visited 在册 households / 在册 households) and case resolution (暖心走访 cases received in the
-- quarter and resolved at or before the as-of moment, METRICS.md). The scope's totals are
-- repeated on every row (scope_*), so a chart can draw the average of what it shows.
-- Parameters: $quarter ('2023Q1'); $scope ('' = every township, a 9-digit code = that township;
-- a village or grid scope gives no rows); $as_of ('YYYY-MM-DD HH:MM:SS', the quarter's as-of).
-- Grain: one row per township in scope. Reads: townships, mart_petitions_township_month,
-- mart_grid_round_coverage, mart_case_facts.
with

periods as (
    select
        $quarter as quarter,
        cast(cast(left($quarter, 4) as integer) - 1 as varchar) || right($quarter, 2)
            as prev_quarter,
        cast($as_of as timestamp) as as_of
),

towns as (
    select township_code, township_name
    from townships
    where length($scope) <= 9 and starts_with(township_code, $scope)
),

petition_counts as (
    select
        m.township_code,
        (sum(m.n_petitions) filter (where m.quarter = p.quarter))::bigint as petitions,
        (sum(m.n_persons) filter (where m.quarter = p.quarter))::bigint as persons,
        (sum(m.n_repeat) filter (where m.quarter = p.quarter))::bigint as repeat_petitions,
        (sum(m.n_collective) filter (where m.quarter = p.quarter))::bigint as collective_petitions,
        (sum(m.n_petitions) filter (where m.quarter = p.prev_quarter))::bigint as petitions_prev_year
    from mart_petitions_township_month as m
    cross join periods as p
    where m.quarter in (p.quarter, p.prev_quarter)
    group by m.township_code
),

coverage as (
    select
        c.township_code,
        sum(c.n_registered)::bigint as n_registered,
        sum(c.n_visited)::bigint as n_visited
    from mart_grid_round_coverage as c
    cross join periods as p
    where c.round = p.quarter
    group by c.township_code
),

resolution as (
    select
        f.township_code,
        count(*) as cases_received,
        count(*) filter (where f.resolved_at <= p.as_of) as cases_resolved
    from mart_case_facts as f
    cross join periods as p
    where f.source = '暖心走访' and f.received_quarter = p.quarter
    group by f.township_code
),

joined as (
    select
        t.township_code,
        t.township_name,
        coalesce(pc.petitions, 0) as petitions,
        coalesce(pc.persons, 0) as persons,
        coalesce(pc.repeat_petitions, 0) as repeat_petitions,
        coalesce(pc.collective_petitions, 0) as collective_petitions,
        coalesce(pc.petitions_prev_year, 0) as petitions_prev_year,
        coalesce(cv.n_registered, 0) as registered_households,
        coalesce(cv.n_visited, 0) as visited_households,
        coalesce(r.cases_received, 0) as cases_received,
        coalesce(r.cases_resolved, 0) as cases_resolved
    from towns as t
    left join petition_counts as pc on pc.township_code = t.township_code
    left join coverage as cv on cv.township_code = t.township_code
    left join resolution as r on r.township_code = t.township_code
),

with_scope as (
    select
        *,
        (sum(petitions) over ())::bigint as scope_petitions,
        (sum(petitions_prev_year) over ())::bigint as scope_petitions_prev_year,
        (sum(registered_households) over ())::bigint as scope_registered,
        (sum(visited_households) over ())::bigint as scope_visited,
        (sum(cases_received) over ())::bigint as scope_cases_received,
        (sum(cases_resolved) over ())::bigint as scope_cases_resolved
    from joined
),

final as (
    select
        township_code,
        township_name,
        petitions,
        petitions_prev_year,
        petitions - petitions_prev_year as petitions_change,
        case when petitions_prev_year > 0
            then (petitions - petitions_prev_year)::double / petitions_prev_year
        end as petitions_yoy,
        petitions > petitions_prev_year as is_rise,
        persons,
        repeat_petitions,
        collective_petitions,
        registered_households,
        visited_households,
        case when registered_households > 0
            then visited_households::double / registered_households
        end as coverage,
        cases_received,
        cases_resolved,
        case when cases_received > 0 then cases_resolved::double / cases_received end
            as resolution_rate,
        case when scope_petitions_prev_year > 0
            then (scope_petitions - scope_petitions_prev_year)::double / scope_petitions_prev_year
        end as scope_petitions_yoy,
        case when scope_registered > 0 then scope_visited::double / scope_registered end
            as scope_coverage,
        case when scope_cases_received > 0
            then scope_cases_resolved::double / scope_cases_received
        end as scope_resolution_rate
    from with_scope
)

select * from final
order by is_rise desc, petitions_yoy desc nulls first, petitions_change desc, township_code
