-- Which callbacks were exported for quarter $quarter in scope $scope (满意度, the quarter)? One
-- row per callback (回访时间 in the quarter, scope by the household's grid, as METRICS.md), in
-- the clean `callbacks` columns, with the township name and the case's category. App-recorded
-- outcomes are added to these in Python (warmvisits.ops.combine_callbacks), each call once.
-- Parameters: $quarter ('2023Q1'), $scope (code prefix).
with
bounds as (
    select make_timestamp(
        cast(left($quarter, 4) as integer), cast(right($quarter, 1) as integer) * 3 - 2,
        1, 0, 0, 0
    ) as q_start
)

select
    c.callback_id,
    c.household_id,
    c.grid_code,
    c.village_code,
    c.township_code,
    c.case_id,
    c.called_at,
    c.caller,
    c.outcome,
    c.comment,
    t.township_name,
    k.category
from callbacks as c
cross join bounds as b
left join townships as t on c.township_code = t.township_code
left join cases as k on c.case_id = k.case_id
where
    c.called_at >= b.q_start
    and c.called_at < b.q_start + interval 3 month
    and starts_with(c.grid_code, $scope)
order by c.called_at, c.callback_id
