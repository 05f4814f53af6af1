-- Which cases were open at the as-of moment, with their state then (问题办理: the overdue list,
-- the stuck list)? One row per open case, most overdue first.
-- States at t as in cases_backlog_levels.sql. age_days = (t − 受理时间) in days; its bucket uses
-- whole days completed: 0-7, 8-14, 15-30, 31-60, >60. days_overdue = (t − 办结时限) in days when
-- red. last_event_at = the case's last event at or before t (NULL when none); stuck when no event
-- (nor receipt) for more than $stuck_days days before t. closed_not_solved is always false here
-- (an open case); the column is kept so every case list carries the mark.
-- Parameters: $as_of, $scope, $yellow_share (0.25), $stuck_days (e.g. 10),
-- $only_overdue (true: red cases only), $only_stuck (true: stuck cases only).
with
params as (
    select
        cast($as_of as timestamp) as t,
        cast($yellow_share as double) as yellow_share,
        cast($stuck_days as double) as stuck_days
),

open_cases as (
    select c.*, p.t, p.yellow_share, p.stuck_days
    from cases as c
    cross join params as p
    where
        starts_with(c.grid_code, $scope)
        and c.received_at <= p.t
        and (c.resolved_at is null or c.resolved_at > p.t)
),

levels as (
    select o.case_id, s.level, s.level_no, s.entered_at as level_since
    from open_cases as o
    inner join mart_case_stints as s
        on
            o.case_id = s.case_id
            and s.entered_at <= o.t
            and (s.next_entered_at is null or s.next_entered_at > o.t)
),

last_events as (
    select e.case_id, max(e.at) as last_event_at, count(*) as n_events
    from case_events as e
    inner join open_cases as o on e.case_id = o.case_id
    where e.at <= o.t
    group by e.case_id
),

states as (
    select
        o.case_id,
        o.source,
        o.township_code,
        tw.township_name,
        o.village_code,
        v.village_name,
        o.grid_code,
        g.grid_name,
        o.category,
        o.title,
        o.complexity,
        o.handling_unit,
        o.received_at,
        o.due_at,
        l.level,
        l.level_no,
        l.level_since,
        case
            when o.t > o.due_at then 'red'
            when
                epoch(o.due_at) - epoch(o.t)
                < o.yellow_share * (epoch(o.due_at) - epoch(o.received_at))
                then 'yellow'
            else 'green'
        end as light,
        (epoch(o.t) - epoch(o.received_at)) / 86400.0 as age_days,
        case when o.t > o.due_at then (epoch(o.t) - epoch(o.due_at)) / 86400.0 end
            as days_overdue,
        le.last_event_at,
        coalesce(le.n_events, 0) as n_events,
        (epoch(o.t) - epoch(coalesce(le.last_event_at, o.received_at))) / 86400.0
            as days_since_event,
        o.stuck_days
    from open_cases as o
    inner join levels as l on o.case_id = l.case_id
    left join last_events as le on o.case_id = le.case_id
    left join townships as tw on o.township_code = tw.township_code
    left join villages as v on o.village_code = v.village_code
    left join grids as g on o.grid_code = g.grid_code
),

final as (
    select
        * exclude (stuck_days),
        case
            when floor(age_days) <= 7 then '0-7'
            when floor(age_days) <= 14 then '8-14'
            when floor(age_days) <= 30 then '15-30'
            when floor(age_days) <= 60 then '31-60'
            else '>60'
        end as age_bucket,
        light = 'red' as is_overdue,
        days_since_event > stuck_days as is_stuck,
        false as closed_not_solved
    from states
)

select * from final
where
    (not cast($only_overdue as boolean) or is_overdue)
    and (not cast($only_stuck as boolean) or is_stuck)
order by days_overdue desc nulls last, age_days desc, case_id
