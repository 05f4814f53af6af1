-- Where did the open cases stand at $as_of? METRICS.md backlog_by_level: the cases open at as-of
-- in scope $scope counted by their level at as-of (from the events, so a case that moved up
-- later counts at its old level) and their light (red: past its limit; yellow: less than
-- $yellow_share of its allowed time left; green otherwise). One row per level × light, all five
-- levels (村社区 … 上级) and three lights, zeros included, in level order.
-- Parameters: $scope (code prefix), $as_of (timestamp), $yellow_share (default 0.25).
with
levels as (
    select unnest(['村社区', '乡镇街道', '区直部门', '区委区政府', '上级']) as level,
        unnest([1, 2, 3, 4, 5]) as level_rank
),

lights as (
    select unnest(['green', 'yellow', 'red']) as light, unnest([1, 2, 3]) as light_rank
),

states as (
    select level, light, count(*) as n_cases
    from case_states_at($as_of::timestamp, $yellow_share)
    where starts_with(grid_code, $scope)
    group by level, light
)

select l.level, l.level_rank, g.light, coalesce(s.n_cases, 0)::bigint as n_cases
from levels as l
cross join lights as g
left join states as s on s.level = l.level and s.light = g.light
order by l.level_rank, g.light_rank
