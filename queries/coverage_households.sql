-- Which households does grid $grid hold, and how was each reached in every round? One row per
-- household of the grid × round that has visits anywhere (a household without an attempt in a
-- round gets a row with method NULL): household id, head's name, phone, address (personal data:
-- masked by the query layer for the role), status, round, the best method of the round (入户,
-- else 电话, else 未联系上), attempts and the last visit date. Parameters: $grid (15-digit code).
with
rounds as (
    select distinct round from visits
),

attempts as (
    select
        household_id,
        round,
        case
            when bool_or(method = '入户') then '入户'
            when bool_or(method = '电话') then '电话'
            else '未联系上'
        end as method,
        count(*) as n_attempts,
        max(visit_on) as last_visit_on
    from visits
    where grid_code = $grid
    group by household_id, round
),

final as (
    select
        h.household_id,
        h.head_name,
        h.phone,
        h.address,
        h.members,
        h.status,
        r.round,
        a.method,
        coalesce(a.n_attempts, 0) as n_attempts,
        a.last_visit_on
    from households as h
    cross join rounds as r
    left join attempts as a on a.household_id = h.household_id and a.round = r.round
    where h.grid_code = $grid
)

select * from final
order by household_id, round
