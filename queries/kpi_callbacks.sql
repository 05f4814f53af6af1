-- How satisfied were the people called back in quarter $quarter in scope $scope? METRICS.md:
-- callbacks (回访时间 in the quarter, scope by the household's grid), callbacks_answered
-- (outcome other than 未接通), callbacks_satisfied (满意 + 基本满意), satisfaction_rate
-- (satisfied / answered; NULL when none answered). The 95% Wilson interval is computed from
-- these counts in warmvisits/metrics.py (wilson_interval).
-- Parameters: $quarter ('2023Q1'), $scope (code prefix).
--
-- Every callback enters through the `callback_outcomes` CTE, one row per call: the exported
-- callbacks, plus the outcomes recorded in the app (issue 7's operational store) that the
-- caller registers on the cursor as `app_callbacks` (warmvisits.ops.register_app_callbacks;
-- an empty table when there is no store). An app row is the same call as an exported one when
-- the export's 回访编号 is its callback_id or the call_ref printed on the call list, or when
-- household, case (null = null), calendar day and outcome agree; the exported row wins.
with
callback_outcomes as (
    select c.callback_id, c.grid_code, c.called_at, c.outcome
    from callbacks as c
    union all
    select a.callback_id, a.grid_code, a.called_at, a.outcome
    from app_callbacks as a
    where not exists (
        select 1
        from callbacks as c
        where
            c.callback_id in (a.callback_id, a.call_ref)
            or (
                c.household_id = a.household_id
                and c.case_id is not distinct from a.case_id
                and cast(c.called_at as date) = cast(a.called_at as date)
                and c.outcome = a.outcome
            )
    )
),

in_scope as (
    select outcome
    from callback_outcomes
    where called_at >= make_timestamp(
            cast(left($quarter, 4) as integer), cast(right($quarter, 1) as integer) * 3 - 2,
            1, 0, 0, 0
        )
        and called_at < make_timestamp(
            cast(left($quarter, 4) as integer), cast(right($quarter, 1) as integer) * 3 - 2,
            1, 0, 0, 0
        ) + interval 3 month
        and starts_with(grid_code, $scope)
),

counts as (
    select
        count(*) as callbacks,
        count(*) filter (where outcome <> '未接通') as callbacks_answered,
        count(*) filter (where outcome in ('满意', '基本满意')) as callbacks_satisfied
    from in_scope
)

select
    callbacks,
    callbacks_answered,
    callbacks_satisfied,
    callbacks_satisfied / nullif(callbacks_answered, 0) as satisfaction_rate
from counts
