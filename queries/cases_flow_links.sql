-- How did the quarter's cases move between levels (问题办理: the flow Sankey)? Cases received in
-- quarter $quarter from 暖心走访 in scope (the cases_received population), followed up to t.
-- Each case is drawn through the levels it had reached by t, lowest to highest (a case sent back
-- down is drawn once per level), from 'received' to its lowest level, and from its highest level
-- to 'resolved' (resolved by t) or 'open'. One row per link: source, target, n (cases).
-- Levels come from mart_case_stints (stints begun at or before t).
-- Parameters: $quarter ('2023Q1'), $scope, $as_of.
with
params as (
    select
        cast($as_of as timestamp) as t,
        make_timestamp(
            cast(left($quarter, 4) as integer), cast(right($quarter, 1) as integer) * 3 - 2, 1,
            0, 0, 0
        ) as q_start
),

received as (
    select c.case_id, c.resolved_at is not null and c.resolved_at <= p.t as is_resolved
    from cases as c
    cross join params as p
    where
        c.source = '暖心走访'
        and starts_with(c.grid_code, $scope)
        and c.received_at >= p.q_start
        and c.received_at < p.q_start + interval 3 month
        and c.received_at <= p.t
),

visited as (
    select distinct s.case_id, s.level, s.level_no
    from mart_case_stints as s
    inner join received as r on s.case_id = r.case_id
    cross join params as p
    where s.entered_at <= p.t
),

steps as (
    select
        case_id,
        level,
        level_no,
        lag(level) over (partition by case_id order by level_no) as prev_level,
        lead(level) over (partition by case_id order by level_no) as next_level
    from visited
),

links as (
    select coalesce(prev_level, 'received') as source, level as target, case_id
    from steps
    union all
    select s.level as source, case when r.is_resolved then 'resolved' else 'open' end, s.case_id
    from steps as s
    inner join received as r on s.case_id = r.case_id
    where s.next_level is null
),

final as (
    select source, target, count(*) as n
    from links
    group by source, target
)

select * from final
order by
    list_position(['received', '村社区', '乡镇街道', '区直部门', '区委区政府', '上级'], source),
    list_position(
        ['村社区', '乡镇街道', '区直部门', '区委区政府', '上级', 'resolved', 'open'], target
    )
