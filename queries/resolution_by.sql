-- How fast were the quarter's cases resolved, per group (办结时效: the table by category, level
-- reached, handling unit, township or complexity)? Population and states as in
-- resolution_cases.sql (cases_received, followed up to t). One row per group: n_received,
-- n_resolved, resolution_rate, n_on_time, on_time_rate (of resolved: 办结时间 ≤ 办结时限, i.e. the
-- 7/30-day limit unless the export gives one), median_days and p90_days of resolved cases
-- (linear interpolation; the median of an even count is the mean of the middle two), n_open,
-- n_closed_not_solved and closed_not_solved_share (of resolved: latest answered callback 不满意).
-- Kaplan–Meier figures are computed from resolution_cases by warmvisits.survival.
-- Parameters: $quarter, $scope, $as_of, $dim ('all', 'category', 'level', 'unit', 'township',
-- 'complexity').
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
    select c.*, p.t
    from cases as c
    cross join params as p
    where
        c.source = '暖心走访'
        and starts_with(c.grid_code, $scope)
        and c.received_at >= p.q_start
        and c.received_at < p.q_start + interval 3 month
        and c.received_at <= p.t
),

reached as (
    select s.case_id, max(s.level_no) as level_reached_no
    from mart_case_stints as s
    inner join received as r on s.case_id = r.case_id
    where s.entered_at <= r.t
    group by s.case_id
),

last_callback as (
    select b.case_id, arg_max(b.outcome, b.called_at) as callback_outcome
    from callbacks as b
    inner join received as r on b.case_id = r.case_id
    where b.outcome <> '未接通' and b.called_at <= r.t
    group by b.case_id
),

facts as (
    select
        case cast($dim as varchar)
            when 'category' then r.category
            when 'level' then cast(x.level_reached_no as varchar)
            when 'unit' then coalesce(r.handling_unit, '')
            when 'township' then r.township_code
            when 'complexity' then r.complexity
            else ''
        end as group_code,
        case cast($dim as varchar)
            when 'category' then r.category
            when 'level' then ['村社区', '乡镇街道', '区直部门', '区委区政府', '上级'][x.level_reached_no]
            when 'unit' then coalesce(r.handling_unit, '')
            when 'township' then coalesce(tw.township_name, r.township_code)
            when 'complexity' then r.complexity
            else ''
        end as group_name,
        coalesce(r.resolved_at <= r.t, false) as is_resolved,
        r.resolved_at <= r.due_at as is_on_time,
        (epoch(r.resolved_at) - epoch(r.received_at)) / 86400.0 as days_resolved,
        coalesce(lb.callback_outcome = '不满意', false) as is_dissatisfied
    from received as r
    left join reached as x on r.case_id = x.case_id
    left join last_callback as lb on r.case_id = lb.case_id
    left join townships as tw on r.township_code = tw.township_code
),

final as (
    select
        group_code,
        any_value(group_name) as group_name,
        count(*) as n_received,
        count(*) filter (where is_resolved) as n_resolved,
        count(*) filter (where is_resolved) / count(*) as resolution_rate,
        count(*) filter (where is_resolved and is_on_time) as n_on_time,
        count(*) filter (where is_resolved and is_on_time)
        / nullif(count(*) filter (where is_resolved), 0) as on_time_rate,
        quantile_cont(days_resolved, 0.5) filter (where is_resolved) as median_days,
        quantile_cont(days_resolved, 0.9) filter (where is_resolved) as p90_days,
        count(*) filter (where not is_resolved) as n_open,
        count(*) filter (where is_resolved and is_dissatisfied) as n_closed_not_solved,
        count(*) filter (where is_resolved and is_dissatisfied)
        / nullif(count(*) filter (where is_resolved), 0) as closed_not_solved_share
    from facts
    group by group_code
)

select * from final
order by n_received desc, group_code
