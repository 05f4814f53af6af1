-- How long do cases sit at each level (问题办理: median time at each level)? Over the stints of
-- cases received in quarter $quarter from 暖心走访 in scope, up to t. One row per level:
-- n_cases (cases that reached it by t), n_done (stints that ended by t: moved on or resolved),
-- median_days and p90_days over those completed stints (linear interpolation), and n_still_there
-- (stints still running at t; their time so far is not in the median, which would otherwise be
-- cut short).
-- Parameters: $quarter, $scope, $as_of.
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
    select c.case_id
    from cases as c
    cross join params as p
    where
        c.source = '暖心走访'
        and starts_with(c.grid_code, $scope)
        and c.received_at >= p.q_start
        and c.received_at < p.q_start + interval 3 month
        and c.received_at <= p.t
),

stints as (
    select
        s.case_id,
        s.level,
        s.level_no,
        s.left_at is not null and s.left_at <= p.t as is_done,
        (epoch(s.left_at) - epoch(s.entered_at)) / 86400.0 as days
    from mart_case_stints as s
    inner join received as r on s.case_id = r.case_id
    cross join params as p
    where s.entered_at <= p.t
),

levels as (
    select
        unnest(['村社区', '乡镇街道', '区直部门', '区委区政府', '上级']) as level,
        unnest([1, 2, 3, 4, 5]) as level_no
),

final as (
    select
        l.level,
        l.level_no,
        count(distinct s.case_id) as n_cases,
        count(s.case_id) filter (where s.is_done) as n_done,
        quantile_cont(greatest(s.days, 0.0), 0.5) filter (where s.is_done) as median_days,
        quantile_cont(greatest(s.days, 0.0), 0.9) filter (where s.is_done) as p90_days,
        count(s.case_id) filter (where not s.is_done) as n_still_there
    from levels as l
    left join stints as s on l.level = s.level
    group by l.level, l.level_no
)

select * from final
order by level_no
