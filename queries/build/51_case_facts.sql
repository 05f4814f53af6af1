-- Mart: mart_case_facts — what is known about each case, independent of any as-of moment.
-- Grain: one row per loaded case (key: case_id). Reads: cases, case_visits, case_events.
-- Parameters: none (build step). States at a moment t (open, level, light) are NOT here: they
-- depend on t and are computed by the named queries from this mart and mart_case_levels.
--
-- Columns
--   case_id, source (暖心走访/12345热线/其他), category, title, complexity (一般/复杂),
--   handling_unit, status and current_level (as exported: the state today, not at t)
--   current_level_rank  1 村社区, 2 乡镇街道, 3 区直部门, 4 区委区政府, 5 上级
--   grid_code, village_code, township_code   the case's place (scope = prefix of grid_code)
--   received_at, received_on (date), received_quarter ('2023Q1')
--   due_at              办结时限 (export's, else received_at + 7 days 一般 / 30 days 复杂)
--   allowed_days        (due_at − received_at) in days, fractional
--   resolved_at         办结时间 (NULL unless 已办结); resolved_quarter ('2023Q1' or NULL)
--   is_resolved         resolved_at is not NULL (resolved today; "resolved at t" is
--                       resolved_at <= t)
--   days_to_resolve     (resolved_at − received_at) in days, fractional (NULL when open)
--   is_on_time          resolved_at <= due_at (NULL when open)
--   n_linked_visits     household reports (visits) merged into the case (loaded links only)
--   n_events, first_event_at, last_event_at   its 流转记录 (0 / NULL when none)
--   highest_level, highest_level_rank   the highest level it has reached (events and
--                       current_level), for "escalated beyond the township" (rank >= 3)
create or replace table mart_case_facts as
with
level_order as (
    select ['村社区', '乡镇街道', '区直部门', '区委区政府', '上级'] as levels
),

links as (
    select case_id, count(*) as n_linked_visits
    from case_visits
    group by case_id
),

events as (
    select
        e.case_id,
        count(*) as n_events,
        min(e.at) as first_event_at,
        max(e.at) as last_event_at,
        max(list_position(lo.levels, e.level)) as max_event_rank
    from case_events as e
    cross join level_order as lo
    group by e.case_id
),

final as (
    select
        c.case_id,
        c.source,
        c.category,
        c.title,
        c.complexity,
        c.handling_unit,
        c.status,
        c.current_level,
        list_position(lo.levels, c.current_level) as current_level_rank,
        c.grid_code,
        c.village_code,
        c.township_code,
        c.received_at,
        c.received_at::date as received_on,
        strftime(c.received_at, '%Y') || 'Q' || quarter(c.received_at) as received_quarter,
        c.due_at,
        datediff('microsecond', c.received_at, c.due_at)::double / 86400e6 as allowed_days,
        c.resolved_at,
        strftime(c.resolved_at, '%Y') || 'Q' || quarter(c.resolved_at) as resolved_quarter,
        c.resolved_at is not null as is_resolved,
        datediff('microsecond', c.received_at, c.resolved_at)::double / 86400e6
            as days_to_resolve,
        c.resolved_at <= c.due_at as is_on_time,
        coalesce(l.n_linked_visits, 0)::bigint as n_linked_visits,
        coalesce(e.n_events, 0)::bigint as n_events,
        e.first_event_at,
        e.last_event_at,
        greatest(list_position(lo.levels, c.current_level), coalesce(e.max_event_rank, 0))
            as highest_level_rank,
        lo.levels[greatest(list_position(lo.levels, c.current_level), coalesce(e.max_event_rank, 0))]
            as highest_level
    from cases as c
    cross join level_order as lo
    left join links as l on l.case_id = c.case_id
    left join events as e on e.case_id = c.case_id
)

select * from final
order by case_id;
