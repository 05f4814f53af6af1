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
