-- Table macro quarter_case_outcomes(quarter, scope, as_of): how long each of the quarter's cases
-- took, or has taken so far, read at as_of. Read by resolution_cases (the Kaplan–Meier input and
-- the resolved-case list) and resolution_by (the table per group). One row per case received in
-- the quarter from 暖心走访 in scope (METRICS.md cases_received) and received by t.
-- days: (办结时间 − 受理时间) in days when resolved by t, else (t − 受理时间): the case is censored
-- at t. is_on_time: 办结时间 ≤ 办结时限 (NULL when not resolved by t). level_reached: the highest
-- level the case had reached by t (mart_case_stints). closed_not_solved: resolved by t and its
-- latest answered callback (not 未接通) at or before t came back 不满意 (已办结未解决).
-- Arguments: quarter ('2023Q1'), scope (code prefix), as_of (timestamp).
create or replace macro quarter_case_outcomes(quarter, scope, as_of) as table
with
params as (
    select
        cast(as_of as timestamp) as t,
        make_timestamp(
            cast(left(quarter, 4) as integer), cast(right(quarter, 1) as integer) * 3 - 2, 1,
            0, 0, 0
        ) as q_start
),

received as (
    select c.*, p.t
    from cases as c
    cross join params as p
    where
        c.source = '暖心走访'
        and starts_with(c.grid_code, scope)
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

final as (
    select
        r.case_id,
        r.township_code,
        tw.township_name,
        r.village_code,
        r.grid_code,
        r.category,
        r.title,
        r.complexity,
        coalesce(r.handling_unit, '') as handling_unit,
        x.level_reached_no,
        ['村社区', '乡镇街道', '区直部门', '区委区政府', '上级'][x.level_reached_no] as level_reached,
        r.received_at,
        r.due_at,
        case when r.resolved_at <= r.t then r.resolved_at end as resolved_at,
        coalesce(r.resolved_at <= r.t, false) as is_resolved,
        (epoch(case when r.resolved_at <= r.t then r.resolved_at else r.t end)
        - epoch(r.received_at)) / 86400.0 as days,
        case when r.resolved_at <= r.t then r.resolved_at <= r.due_at end as is_on_time,
        lb.callback_outcome,
        coalesce(r.resolved_at <= r.t and lb.callback_outcome = '不满意', false)
            as closed_not_solved
    from received as r
    left join reached as x on r.case_id = x.case_id
    left join last_callback as lb on r.case_id = lb.case_id
    left join townships as tw on r.township_code = tw.township_code
)

select * from final;
