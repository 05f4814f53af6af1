-- The backlog at the as-of moment grouped by one dimension (问题办理: ageing and lights by
-- township, category, handling unit or level; 'all' gives one district/scope row).
-- One row per group: n_open, n_green, n_yellow, n_red (= n_overdue), n_stuck (no event nor
-- receipt for more than $stuck_days days before t), and the ageing buckets by whole days open:
-- n_age_0_7, n_age_8_14, n_age_15_30, n_age_31_60, n_age_over_60. Every open case falls in
-- exactly one group of any dimension, so a dimension's rows add up to the scope's totals.
-- States at t as in cases_backlog_levels.sql / cases_open_list.sql. Handling unit is the case's
-- 承办单位 as exported. group_code is the township code for $dim = 'township' (for drilling
-- down), the level number for 'level', else the group's name.
-- Parameters: $as_of, $scope, $yellow_share (0.25), $stuck_days (e.g. 10), $dim ('all',
-- 'township', 'category', 'unit', 'level').
with
params as (
    select
        cast($as_of as timestamp) as t,
        cast($yellow_share as double) as yellow_share,
        cast($stuck_days as double) as stuck_days
),

open_cases as (
    select c.*, p.t, p.yellow_share, p.stuck_days
    from cases as c
    cross join params as p
    where
        starts_with(c.grid_code, $scope)
        and c.received_at <= p.t
        and (c.resolved_at is null or c.resolved_at > p.t)
),

levels as (
    select o.case_id, s.level, s.level_no, s.entered_at as level_since
    from open_cases as o
    inner join mart_case_stints as s
        on
            o.case_id = s.case_id
            and s.entered_at <= o.t
            and (s.next_entered_at is null or s.next_entered_at > o.t)
),

last_events as (
    select e.case_id, max(e.at) as last_event_at, count(*) as n_events
    from case_events as e
    inner join open_cases as o on e.case_id = o.case_id
    where e.at <= o.t
    group by e.case_id
),

states as (
    select
        o.case_id,
        o.source,
        o.township_code,
        tw.township_name,
        o.village_code,
        v.village_name,
        o.grid_code,
        g.grid_name,
        o.category,
        o.title,
        o.complexity,
        o.handling_unit,
        o.received_at,
        o.due_at,
        l.level,
        l.level_no,
        l.level_since,
        case
            when o.t > o.due_at then 'red'
            when
                epoch(o.due_at) - epoch(o.t)
                < o.yellow_share * (epoch(o.due_at) - epoch(o.received_at))
                then 'yellow'
            else 'green'
        end as light,
        (epoch(o.t) - epoch(o.received_at)) / 86400.0 as age_days,
        case when o.t > o.due_at then (epoch(o.t) - epoch(o.due_at)) / 86400.0 end
            as days_overdue,
        le.last_event_at,
        coalesce(le.n_events, 0) as n_events,
        (epoch(o.t) - epoch(coalesce(le.last_event_at, o.received_at))) / 86400.0
            as days_since_event,
        o.stuck_days
    from open_cases as o
    inner join levels as l on o.case_id = l.case_id
    left join last_events as le on o.case_id = le.case_id
    left join townships as tw on o.township_code = tw.township_code
    left join villages as v on o.village_code = v.village_code
    left join grids as g on o.grid_code = g.grid_code
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
        days_since_event > stuck_days as is_stuck
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
