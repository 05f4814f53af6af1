-- Which cases were open at the as-of moment, with their state then (问题办理: the overdue list,
-- the stuck list)? One row per open case, most overdue first.
-- States at t come from the open_case_states macro (queries/build/56). age_days =
-- (t − 受理时间) in days; its bucket uses whole days completed: 0-7, 8-14, 15-30, 31-60, >60. days_overdue = (t − 办结时限) in days when
-- red. last_event_at = the case's last event at or before t (NULL when none); stuck when no event
-- (nor receipt) for more than $stuck_days days before t. closed_not_solved is always false here
-- (an open case); the column is kept so every case list carries the mark.
-- Parameters: $as_of, $scope, $yellow_share (0.25), $stuck_days (e.g. 10),
-- $only_overdue (true: red cases only), $only_stuck (true: stuck cases only).
with
states as (
    select * from open_case_states(cast($as_of as timestamp), $scope, cast($yellow_share as double))
),

final as (
    select
        *,
        case
            when floor(age_days) <= 7 then '0-7'
            when floor(age_days) <= 14 then '8-14'
            when floor(age_days) <= 30 then '15-30'
            when floor(age_days) <= 60 then '31-60'
            else '>60'
        end as age_bucket,
        light = 'red' as is_overdue,
        days_since_event > cast($stuck_days as double) as is_stuck,
        false as closed_not_solved
    from states
)

select * from final
where
    (not cast($only_overdue as boolean) or is_overdue)
    and (not cast($only_stuck as boolean) or is_stuck)
order by days_overdue desc nulls last, age_days desc, case_id
