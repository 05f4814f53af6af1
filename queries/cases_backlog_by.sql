-- The backlog at the as-of moment grouped by one dimension (问题办理: ageing and lights by
-- township, category, handling unit or level; 'all' gives one district/scope row).
-- One row per group: n_open, n_green, n_yellow, n_red (= n_overdue), n_stuck (no event nor
-- receipt for more than $stuck_days days before t), and the ageing buckets by whole days open:
-- n_age_0_7, n_age_8_14, n_age_15_30, n_age_31_60, n_age_over_60. Every open case falls in
-- exactly one group of any dimension, so a dimension's rows add up to the scope's totals.
-- States at t from the open_case_states macro (queries/build/56). Handling unit is the case's
-- 承办单位 as exported. group_code is the township code for $dim = 'township' (for drilling
-- down), the level number for 'level', else the group's name.
-- Parameters: $as_of, $scope, $yellow_share (0.25), $stuck_days (e.g. 10), $dim ('all',
-- 'township', 'category', 'unit', 'level').
with
states as (
    select * from open_case_states(cast($as_of as timestamp), $scope, cast($yellow_share as double))
),

grouped as (
    select
        case cast($dim as varchar)
            when 'township' then township_code
            when 'category' then category
            when 'unit' then coalesce(handling_unit, '')
            when 'level' then cast(level_no as varchar)
            else ''
        end as group_code,
        case cast($dim as varchar)
            when 'township' then coalesce(township_name, township_code)
            when 'category' then category
            when 'unit' then coalesce(handling_unit, '')
            when 'level' then level
            else ''
        end as group_name,
        light,
        floor(age_days) as whole_days,
        days_since_event > cast($stuck_days as double) as is_stuck
    from states
),

final as (
    select
        group_code,
        any_value(group_name) as group_name,
        count(*) as n_open,
        count(*) filter (where light = 'green') as n_green,
        count(*) filter (where light = 'yellow') as n_yellow,
        count(*) filter (where light = 'red') as n_red,
        count(*) filter (where light = 'red') as n_overdue,
        count(*) filter (where is_stuck) as n_stuck,
        count(*) filter (where whole_days <= 7) as n_age_0_7,
        count(*) filter (where whole_days between 8 and 14) as n_age_8_14,
        count(*) filter (where whole_days between 15 and 30) as n_age_15_30,
        count(*) filter (where whole_days between 31 and 60) as n_age_31_60,
        count(*) filter (where whole_days > 60) as n_age_over_60
    from grouped
    group by group_code
)

select * from final
order by n_open desc, group_code
