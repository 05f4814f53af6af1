-- Petitions of a quarter and scope by category (信访类别, as exported; blank stays null), with the
-- same quarter a year earlier, the year-on-year change (null when the earlier count is 0), and
-- the repeat and collective (人数 >= 5) petitions of the quarter.
-- Parameters: $quarter ('2023Q1'); $scope ('' or a 9-digit township code; a village or grid
-- scope gives no rows: petitions are recorded by township only).
-- Grain: one row per category with a petition in either quarter, most petitions first.
-- Reads: petitions.
with

bounds as (
    select
        start_on,
        (start_on + interval 3 month)::date as end_on,
        (start_on - interval 1 year)::date as prev_start_on,
        (start_on - interval 9 month)::date as prev_end_on
    from (
        select make_date(
            cast(left($quarter, 4) as integer), cast(right($quarter, 1) as integer) * 3 - 2, 1
        ) as start_on
    )
),

dated as (
    select
        p.category,
        p.persons,
        p.is_repeat,
        p.registered_on >= b.start_on and p.registered_on < b.end_on as is_current,
        p.registered_on >= b.prev_start_on and p.registered_on < b.prev_end_on as is_prev
    from petitions as p
    cross join bounds as b
    where length($scope) <= 9 and starts_with(p.township_code, $scope)
),

counts as (
    select
        category,
        count(*) filter (where is_current) as petitions,
        coalesce((sum(persons) filter (where is_current))::bigint, 0) as persons,
        count(*) filter (where is_current and is_repeat) as repeat_petitions,
        count(*) filter (where is_current and persons >= 5) as collective_petitions,
        count(*) filter (where is_prev) as petitions_prev_year
    from dated
    where is_current or is_prev
    group by category
),

final as (
    select
        *,
        case when petitions_prev_year > 0
            then (petitions - petitions_prev_year)::double / petitions_prev_year
        end as petitions_yoy
    from counts
)

select * from final
order by petitions desc, petitions_prev_year desc, category nulls last
