-- Mart: mart_quarters — the quarters the loaded data speaks about, and the latest moment it
-- records in each.
-- Grain: one row per calendar quarter that has any loaded row: a visit of that round, or a
-- 走访日期, 受理时间, 办结时间, event 时间, 回访时间 or 登记日期 inside it (key: quarter).
-- Reads: visits, cases, case_events, callbacks, petitions. Parameters: none (build step).
--
-- Columns
--   quarter ('2023Q1'), quarter_start (first second), quarter_end (last second, 23:59:59)
--   n_visits           visits of round `quarter`
--   n_cases_received, n_cases_resolved   cases with 受理时间 / 办结时间 in the quarter
--   n_case_events, n_callbacks, n_petitions   events / callbacks / petitions dated in it
--   latest_at          the latest moment recorded in the quarter: greatest 受理时间, 办结时间,
--                      event 时间, 回访时间, and the end (23:59:59) of the greatest 走访日期 and
--                      登记日期 falling in it. max(latest_at) over all rows is the latest moment
--                      recorded in the data (METRICS.md as-of rule; see queries/kpi_as_of.sql).
create or replace table mart_quarters as
with
moments as (
    select 'visit' as kind, visit_on + interval 86399 second as "at" from visits
    union all
    select 'received', received_at from cases
    union all
    select 'resolved', resolved_at from cases where resolved_at is not null
    union all
    select 'event', e.at from case_events as e
    union all
    select 'callback', called_at from callbacks
    union all
    select 'petition', registered_on + interval 86399 second from petitions
),

dated as (
    select
        strftime(m.at, '%Y') || 'Q' || quarter(m.at) as quarter,
        count(*) filter (where kind = 'received') as n_cases_received,
        count(*) filter (where kind = 'resolved') as n_cases_resolved,
        count(*) filter (where kind = 'event') as n_case_events,
        count(*) filter (where kind = 'callback') as n_callbacks,
        count(*) filter (where kind = 'petition') as n_petitions,
        max(m.at) as latest_at
    from moments as m
    group by 1
),

rounds as (
    select round as quarter, count(*) as n_visits
    from visits
    group by round
),

final as (
    select
        q.quarter,
        make_timestamp(
            cast(left(q.quarter, 4) as integer), cast(right(q.quarter, 1) as integer) * 3 - 2,
            1, 0, 0, 0
        ) as quarter_start,
        make_timestamp(
            cast(left(q.quarter, 4) as integer), cast(right(q.quarter, 1) as integer) * 3 - 2,
            1, 0, 0, 0
        ) + interval 3 month - interval 1 second as quarter_end,
        coalesce(r.n_visits, 0)::bigint as n_visits,
        coalesce(d.n_cases_received, 0)::bigint as n_cases_received,
        coalesce(d.n_cases_resolved, 0)::bigint as n_cases_resolved,
        coalesce(d.n_case_events, 0)::bigint as n_case_events,
        coalesce(d.n_callbacks, 0)::bigint as n_callbacks,
        coalesce(d.n_petitions, 0)::bigint as n_petitions,
        d.latest_at
    from (select quarter from dated union select quarter from rounds) as q
    left join dated as d on d.quarter = q.quarter
    left join rounds as r on r.quarter = q.quarter
)

select * from final
order by quarter;
