-- How far up did the quarter's cases go (问题办理: flow)? Cases received in quarter $quarter
-- from 暖心走访 in scope (cases_received), followed up to t: n_received, n_resolved (by t),
-- n_open, n_escalated (reached 区直部门 or higher by t, i.e. beyond the township) and its share.
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

reached as (
    select s.case_id, max(s.level_no) as top_level_no
    from mart_case_stints as s
    inner join received as r on s.case_id = r.case_id
    cross join params as p
    where s.entered_at <= p.t
    group by s.case_id
),

final as (
    select
        count(*) as n_received,
        count(*) filter (where r.is_resolved) as n_resolved,
        count(*) filter (where not r.is_resolved) as n_open,
        count(*) filter (where x.top_level_no >= 3) as n_escalated,
        count(*) filter (where x.top_level_no >= 3) / nullif(count(*), 0) as escalated_share
    from received as r
    left join reached as x on r.case_id = x.case_id
)

select * from final
