-- Table macro open_case_states(t, scope, yellow_share): the cases open at the moment t in a
-- scope (a code prefix), each with its state then (METRICS.md "States at t"): the level it sat
-- at (mart_case_stints), its light, age and days overdue, its last event at or before t, the
-- days since an event (or its receipt), and its place names. The 问题办理 queries
-- cases_backlog_by and cases_open_list read it, so every list counts the same cases alike.
-- Grain: one row per case received at or before t and not resolved at t.
create or replace macro open_case_states(t, scope, yellow_share) as table
with
open_cases as (
    select c.*, cast(t as timestamp) as t, cast(yellow_share as double) as yellow_share
    from cases as c
    where
        starts_with(c.grid_code, scope)
        and c.received_at <= cast(t as timestamp)
        and (c.resolved_at is null or c.resolved_at > cast(t as timestamp))
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
            as days_since_event
    from open_cases as o
    inner join levels as l on o.case_id = l.case_id
    left join last_events as le on o.case_id = le.case_id
    left join townships as tw on o.township_code = tw.township_code
    left join villages as v on o.village_code = v.village_code
    left join grids as g on o.grid_code = g.grid_code
)
select * from states;
