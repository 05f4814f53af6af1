-- Mart: mart_case_stints — how long each case sat at each level.
-- Grain: one row per case and stint; a stint is a maximal run of consecutive case events (in
-- event_seq order) that leave the case at the same level. Key: (case_id, stint_no).
-- stint_no 0 is the time before a case's first event when that event is later than 受理时间
-- (and the whole life of a case that has no event): METRICS.md reads the level then as the
-- case's 当前层级, so this stint carries current_level. Stints 1.. follow the events.
-- entered_at: the first event of the stint (stint 0: 受理时间).
-- next_entered_at: when the next stint began (NULL for the last stint) — "level at t" is the
--   level of the stint with entered_at <= t and (next_entered_at is null or next_entered_at > t).
-- left_at: next_entered_at, else 办结时间, else NULL (still there at the end of the data).
-- Queries clip durations at their as-of: greatest(0, least(coalesce(left_at, t), t) - entered_at).
-- Reads: cases, case_events.
create or replace table mart_case_stints as
with
cases_ as (
    select case_id, received_at, resolved_at, current_level from cases
),

events as (
    select e.case_id, e.event_seq, e.at as event_at, e.level, e.action, e.unit from case_events as e
),

marked as (
    select
        *,
        case
            when lag(level) over (partition by case_id order by event_seq) is distinct from level
                then 1
            else 0
        end as is_new_stint
    from events
),

numbered as (
    select
        *,
        sum(is_new_stint) over (
            partition by case_id order by event_seq rows unbounded preceding
        ) as stint_no
    from marked
),

event_stints as (
    select
        case_id,
        stint_no::integer as stint_no,
        any_value(level) as level,
        min(event_at) as entered_at,
        arg_min(action, event_seq) as first_action,
        arg_min(unit, event_seq) as first_unit,
        count(*)::integer as n_events
    from numbered
    group by case_id, stint_no
),

first_event as (
    select case_id, min(entered_at) as first_at from event_stints group by case_id
),

pre_event_stints as (
    select
        c.case_id,
        0 as stint_no,
        c.current_level as level,
        c.received_at as entered_at,
        cast(null as varchar) as first_action,
        cast(null as varchar) as first_unit,
        0 as n_events
    from cases_ as c
    left join first_event as f on c.case_id = f.case_id
    where f.first_at is null or f.first_at > c.received_at
),

all_stints as (
    select * from event_stints
    union all
    select * from pre_event_stints
),

final as (
    select
        s.case_id,
        s.stint_no,
        s.level,
        list_position(['村社区', '乡镇街道', '区直部门', '区委区政府', '上级'], s.level)::integer
            as level_no,
        s.entered_at,
        lead(s.entered_at) over w as next_entered_at,
        coalesce(lead(s.entered_at) over w, c.resolved_at) as left_at,
        s.first_action,
        s.first_unit,
        s.n_events
    from all_stints as s
    inner join cases_ as c on s.case_id = c.case_id
    window w as (partition by s.case_id order by s.stint_no)
)

select * from final
order by case_id, stint_no
