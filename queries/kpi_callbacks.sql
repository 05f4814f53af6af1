-- How satisfied were the people called back in quarter $quarter in scope $scope? METRICS.md:
-- callbacks (回访时间 in the quarter, scope by the household's grid), callbacks_answered
-- (outcome other than 未接通), callbacks_satisfied (满意 + 基本满意), satisfaction_rate
-- (satisfied / answered; NULL when none answered). The 95% Wilson interval is computed from
-- these counts in warmvisits/metrics.py (wilson_interval).
-- Parameters: $quarter ('2023Q1'), $scope (code prefix).
--
-- Seam for outcomes recorded in the app (issue 7's operational store, warmvisits/ops.py): every
-- callback enters through the `callback_outcomes` CTE, one row per call. To count app-recorded
-- outcomes too, make them a relation with the clean `callbacks` columns (ops.outcomes_arrow()
-- gives one; its callback_id is WV-<batch>-<seq>-<attempt>) and union in only the calls the export
-- does not already hold:
--     union all
--     select a.callback_id, a.grid_code, a.called_at, a.outcome
--     from app_callback_outcomes as a
--     where not exists (select 1 from callbacks as c where c.callback_id = a.callback_id)
-- so a call that arrives both ways counts once and the exported row wins (the platform's record).
-- ops.combine_callbacks also treats the call list's call_ref, or the same household, case, day
-- and outcome, as the same call: the anti-join must apply that same rule. Everything below reads
-- only callback_outcomes, so nothing else changes.
with
callback_outcomes as (
    select c.callback_id, c.grid_code, c.called_at, c.outcome
    from callbacks as c
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
