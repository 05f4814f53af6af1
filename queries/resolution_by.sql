-- How fast were the quarter's cases resolved, per group (办结时效: the table by category, level
-- reached, handling unit, township or complexity)? Population and states as in
-- resolution_cases.sql (the quarter_case_outcomes macro, queries/build/57). One row per group: n_received,
-- n_resolved, resolution_rate, n_on_time, on_time_rate (of resolved: 办结时间 ≤ 办结时限, i.e. the
-- 7/30-day limit unless the export gives one), median_days and p90_days of resolved cases
-- (linear interpolation; the median of an even count is the mean of the middle two), n_open,
-- n_closed_not_solved and closed_not_solved_share (of resolved: latest answered callback 不满意).
-- Kaplan–Meier figures are computed from resolution_cases by warmvisits.survival.
-- Parameters: $quarter, $scope, $as_of, $dim ('all', 'category', 'level', 'unit', 'township',
-- 'complexity').
with
facts as (
    select
        case cast($dim as varchar)
            when 'category' then category
            when 'level' then cast(level_reached_no as varchar)
            when 'unit' then handling_unit
            when 'township' then township_code
            when 'complexity' then complexity
            else ''
        end as group_code,
        case cast($dim as varchar)
            when 'category' then category
            when 'level' then level_reached
            when 'unit' then handling_unit
            when 'township' then coalesce(township_name, township_code)
            when 'complexity' then complexity
            else ''
        end as group_name,
        is_resolved,
        is_on_time,
        case when is_resolved then days end as days_resolved,
        coalesce(callback_outcome = '不满意', false) as is_dissatisfied
    from quarter_case_outcomes(cast($quarter as varchar), $scope, cast($as_of as timestamp))
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
