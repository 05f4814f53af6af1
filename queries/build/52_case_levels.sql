-- Mart: mart_case_levels — each step of a case's flow, the level it leaves the case at, and until
-- when the case stays there.
-- Grain: one row per case event (key: case_id, event_seq). Reads: case_events, cases.
-- Parameters: none (build step).
--
-- Columns
--   case_id, event_seq (1.. by time, then file order), at, action, unit, note
--   level, level_rank   the level that holds the case after this step (1 村社区 … 5 上级)
--   prev_level          the level before this step (NULL for the first event)
--   level_until         the next event's time (NULL for the last event): the case is at `level`
--                       from `at` (inclusive) until `level_until` (exclusive). Two events at the
--                       same moment give the earlier one an empty interval, so exactly one row
--                       holds at any moment from the first event on.
--   is_last_event
--   days_at_level       (level_until − at) in days (NULL for the last event)
--   grid_code, village_code, township_code   the case's place, for scope filters
-- Level at t (METRICS.md "States at t"): the row with at <= t and (level_until is NULL or
-- level_until > t); when a case has no such row (no event at or before t) its current_level.
create or replace table mart_case_levels as
with
level_order as (
    select ['村社区', '乡镇街道', '区直部门', '区委区政府', '上级'] as levels
),

steps as (
    select
        e.case_id,
        e.event_seq,
        e.at,
        e.action,
        e.unit,
        e.note,
        e.level,
        lag(e.level) over (partition by e.case_id order by e.event_seq) as prev_level,
        lead(e.at) over (partition by e.case_id order by e.event_seq) as level_until
    from case_events as e
),

final as (
    select
        s.case_id,
        s.event_seq,
        s.at,
        s.action,
        s.unit,
        s.note,
        s.level,
        list_position(lo.levels, s.level) as level_rank,
        s.prev_level,
        s.level_until,
        s.level_until is null as is_last_event,
        datediff('microsecond', s.at, s.level_until)::double / 86400e6 as days_at_level,
        c.grid_code,
        c.village_code,
        c.township_code
    from steps as s
    cross join level_order as lo
    join cases as c on c.case_id = s.case_id
)

select * from final
order by case_id, event_seq;

-- Table macro: case_states_at(t, yellow_share) — METRICS.md "States at t", defined once.
-- Grain: one row per case open at moment t (received at or before t, and not resolved at t:
-- no 办结时间, or one later than t). Reads: mart_case_facts, mart_case_levels.
-- Arguments: t (TIMESTAMP), yellow_share (the share of the allowed time below which an open case
-- turns yellow; METRICS.md default 0.25). Named queries call it with bound parameters, e.g.
-- `from case_states_at($as_of::timestamp, $yellow_share) where starts_with(grid_code, $scope)`.
--
-- Columns: every column of mart_case_facts, plus
--   level, level_rank  the level at t: that of the case's last event at or before t; its
--                      current_level when no event is that early
--   level_since        the time of that event (NULL when the level comes from current_level)
--   light              'red' when t is strictly later than due_at; 'yellow' when less than
--                      yellow_share of the allowed time (due_at − received_at) remains at t;
--                      'green' otherwise (exactly at the limit = yellow, not red; exactly
--                      yellow_share remaining = green)
--   is_overdue         due_at < t (= light 'red')
--   days_open          (t − received_at) in days; days_overdue (t − due_at) in days when
--                      overdue, else NULL; days_remaining (due_at − t) in days (negative when
--                      overdue)
create or replace macro case_states_at(t, yellow_share) as table
with
open_cases as (
    select f.*
    from mart_case_facts as f
    where f.received_at <= t and (f.resolved_at is null or f.resolved_at > t)
),

levels_at as (
    select l.case_id, l.level, l.level_rank, l.at as level_since
    from mart_case_levels as l
    where l.at <= t and (l.level_until is null or l.level_until > t)
),

final as (
    select
        o.*,
        coalesce(la.level, o.current_level) as level,
        coalesce(la.level_rank, o.current_level_rank) as level_rank,
        la.level_since,
        case
            when t > o.due_at then 'red'
            when datediff('microsecond', t, o.due_at)
                < yellow_share * datediff('microsecond', o.received_at, o.due_at) then 'yellow'
            else 'green'
        end as light,
        t > o.due_at as is_overdue,
        datediff('microsecond', o.received_at, t)::double / 86400e6 as days_open,
        case when t > o.due_at
            then datediff('microsecond', o.due_at, t)::double / 86400e6
        end as days_overdue,
        datediff('microsecond', t, o.due_at)::double / 86400e6 as days_remaining
    from open_cases as o
    left join levels_at as la on la.case_id = o.case_id
)

select * from final;
