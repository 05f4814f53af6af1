-- Are cases resolved faster than in earlier quarters (办结时效: comparison across quarters)? One
-- row per quarter in which 暖心走访 cases were received in scope, each read at its own as-of
-- moment (METRICS.md: the quarter's last second, or the latest moment in the data if earlier):
-- n_received, n_resolved, resolution_rate, on_time_rate, median_days, p90_days (resolved cases),
-- n_open, closed_not_solved_share — the same definitions as resolution_by.sql with $dim = 'all'.
-- Parameters: $scope.
with
moments as (
    select max(received_at) as m from cases
    union all
    select max(resolved_at) from cases
    union all
    select max(e.at) from case_events as e
    union all
    select max(called_at) from callbacks
    union all
    select max(visit_on)::timestamp + interval 86399 second from visits
    union all
    select max(registered_on)::timestamp + interval 86399 second from petitions
),

data_end as (
    select max(m) as data_end from moments
),

received as (
    select
        c.*,
        date_trunc('quarter', c.received_at) as q_start,
        strftime(c.received_at, '%Y') || 'Q' || cast(quarter(c.received_at) as varchar)
            as quarter
    from cases as c
    where c.source = '暖心走访' and starts_with(c.grid_code, $scope)
),

with_t as (
    select
        r.*,
        least(r.q_start + interval 3 month - interval 1 second, d.data_end) as t
    from received as r
    cross join data_end as d
),

last_callback as (
    select b.case_id, arg_max(b.outcome, b.called_at) as callback_outcome
    from callbacks as b
    inner join with_t as r on b.case_id = r.case_id
    where b.outcome <> '未接通' and b.called_at <= r.t
    group by b.case_id
),

facts as (
    select
        r.quarter,
        r.t as as_of,
        coalesce(r.resolved_at <= r.t, false) as is_resolved,
        r.resolved_at <= r.due_at as is_on_time,
        (epoch(r.resolved_at) - epoch(r.received_at)) / 86400.0 as days_resolved,
        coalesce(lb.callback_outcome = '不满意', false) as is_dissatisfied
    from with_t as r
    left join last_callback as lb on r.case_id = lb.case_id
),

final as (
    select
        quarter,
        any_value(as_of) as as_of,
        count(*) as n_received,
        count(*) filter (where is_resolved) as n_resolved,
        count(*) filter (where is_resolved) / count(*) as resolution_rate,
        count(*) filter (where is_resolved and is_on_time)
        / nullif(count(*) filter (where is_resolved), 0) as on_time_rate,
        quantile_cont(days_resolved, 0.5) filter (where is_resolved) as median_days,
        quantile_cont(days_resolved, 0.9) filter (where is_resolved) as p90_days,
        count(*) filter (where not is_resolved) as n_open,
        count(*) filter (where is_resolved and is_dissatisfied)
        / nullif(count(*) filter (where is_resolved), 0) as closed_not_solved_share
    from facts
    group by quarter
)

select * from final
order by quarter
