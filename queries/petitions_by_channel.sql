-- Petitions of a quarter and scope by channel (信访形式: 来信/来访/网上/电话), with the same quarter a
-- year earlier and the year-on-year change (null when the earlier count is 0). Every channel is
-- listed, with zeros. Parameters: $quarter ('2023Q1'); $scope ('' or a 9-digit township code; a
-- village or grid scope gives no rows: petitions are recorded by township only).
-- Reads: petitions.
with

periods as (
    select
        make_date(cast(left($quarter, 4) as integer), cast(right($quarter, 1) as integer) * 3 - 2, 1)
            as start_on
),

bounds as (
    select
        start_on,
        (start_on + interval 3 month)::date as end_on,
        (start_on - interval 1 year)::date as prev_start_on,
        (start_on - interval 9 month)::date as prev_end_on
    from periods
),

channels as (
    select * from (values (1, '来信'), (2, '来访'), (3, '网上'), (4, '电话')) as c(channel_no, channel)
),

in_scope as (
    select p.*
    from petitions as p
    where length($scope) <= 9 and starts_with(p.township_code, $scope)
),

counts as (
    select
        p.channel,
        count(*) filter (where p.registered_on >= b.start_on and p.registered_on < b.end_on)
            as petitions,
        coalesce((sum(p.persons) filter (
            where p.registered_on >= b.start_on and p.registered_on < b.end_on))::bigint, 0) as persons,
        count(*) filter (
            where p.registered_on >= b.prev_start_on and p.registered_on < b.prev_end_on)
            as petitions_prev_year,
        coalesce((sum(p.persons) filter (
            where p.registered_on >= b.prev_start_on and p.registered_on < b.prev_end_on))::bigint, 0)
            as persons_prev_year
    from in_scope as p
    cross join bounds as b
    group by p.channel
),

final as (
    select
        c.channel_no,
        c.channel,
        coalesce(n.petitions, 0) as petitions,
        coalesce(n.persons, 0) as persons,
        coalesce(n.petitions_prev_year, 0) as petitions_prev_year,
        coalesce(n.persons_prev_year, 0) as persons_prev_year,
        case when coalesce(n.petitions_prev_year, 0) > 0
            then (n.petitions - n.petitions_prev_year)::double / n.petitions_prev_year
        end as petitions_yoy
    from channels as c
    left join counts as n on n.channel = c.channel
    where length($scope) <= 9
)

select * from final
order by channel_no
