-- Petitions per calendar month for a scope, with the same month a year earlier and the
-- year-on-year change of each month (null when the earlier month has no petitions).
-- Parameters: $scope ('' = district, or a 9-digit township code; a village or grid scope gives
-- no rows: petitions are recorded by township only).
-- Grain: one row per month from the first to the last month with a loaded petition
-- (months without petitions are zeros). A month before the first loaded month counts 0.
-- Reads: mart_petitions_township_month.
with

monthly as (
    select
        month_on,
        any_value(quarter) as quarter,
        sum(n_petitions)::bigint as petitions,
        sum(n_persons)::bigint as persons,
        sum(n_repeat)::bigint as repeat_petitions,
        sum(n_collective)::bigint as collective_petitions,
        sum(n_letter)::bigint as n_letter,
        sum(n_visit)::bigint as n_visit,
        sum(n_online)::bigint as n_online,
        sum(n_phone)::bigint as n_phone
    from mart_petitions_township_month
    where length($scope) <= 9 and starts_with(township_code, $scope)
    group by month_on
),

final as (
    select
        m.month_on,
        m.quarter,
        m.petitions,
        m.persons,
        m.repeat_petitions,
        m.collective_petitions,
        m.n_letter,
        m.n_visit,
        m.n_online,
        m.n_phone,
        coalesce(p.petitions, 0) as petitions_prev_year,
        coalesce(p.persons, 0) as persons_prev_year,
        case when coalesce(p.petitions, 0) > 0
            then (m.petitions - p.petitions)::double / p.petitions
        end as petitions_yoy,
        case when coalesce(p.persons, 0) > 0
            then (m.persons - p.persons)::double / p.persons
        end as persons_yoy
    from monthly as m
    left join monthly as p on p.month_on = (m.month_on - interval 1 year)::date
)

select * from final
order by month_on
