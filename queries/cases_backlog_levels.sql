-- Open cases at the as-of moment by level and light (问题办理: the backlog chart and table).
-- One row per level (村社区 → 上级) and light (green, yellow, red), zero-filled.
-- States at t follow METRICS.md: open when received at or before t and not resolved by t (办结时间);
-- level = the level of the stint holding the case at t (mart_case_stints: its last event at or
-- before t, else its 当前层级); red when t is strictly past 办结时限; yellow when less than
-- $yellow_share of the allowed time (办结时限 − 受理时间) remains; green otherwise. Any source.
-- Parameters: $as_of (timestamp), $scope (code prefix, '' = district), $yellow_share (0.25).
with
params as (
    select cast($as_of as timestamp) as t, cast($yellow_share as double) as yellow_share
),

open_cases as (
    select c.case_id, c.received_at, c.due_at, p.t, p.yellow_share
    from cases as c
    cross join params as p
    where
        starts_with(c.grid_code, $scope)
        and c.received_at <= p.t
        and (c.resolved_at is null or c.resolved_at > p.t)
),

states as (
    select
        o.case_id,
        s.level,
        case
            when o.t > o.due_at then 'red'
            when
                epoch(o.due_at) - epoch(o.t)
                < o.yellow_share * (epoch(o.due_at) - epoch(o.received_at))
                then 'yellow'
            else 'green'
        end as light
    from open_cases as o
    inner join mart_case_stints as s
        on
            o.case_id = s.case_id
            and s.entered_at <= o.t
            and (s.next_entered_at is null or s.next_entered_at > o.t)
),

grid as (
    select l.level, l.level_no, g.light, g.light_no
    from
        (
            select unnest(['村社区', '乡镇街道', '区直部门', '区委区政府', '上级']) as level,
                unnest([1, 2, 3, 4, 5]) as level_no
        ) as l
    cross join
        (
            select unnest(['green', 'yellow', 'red']) as light, unnest([1, 2, 3]) as light_no
        ) as g
),

final as (
    select g.level, g.level_no, g.light, count(s.case_id) as n
    from grid as g
    left join states as s on g.level = s.level and g.light = s.light
    group by g.level, g.level_no, g.light, g.light_no
    order by g.level_no, g.light_no
)

select * from final
