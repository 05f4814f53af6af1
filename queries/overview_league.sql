-- Which places inside the scope lag behind? The league table of the leaders' overview.
-- One row per child place of $scope: the townships of the district (scope ''), the villages of
-- a township, the grids of a village (a grid scope gives the grid itself), for quarter $quarter
-- with states read at $as_of (kpi_as_of). Each figure follows METRICS.md exactly as the kpis do:
-- coverage (在册 households visited 入户/电话 in the round), cases received (source 暖心走访,
-- 受理时间 in the quarter), resolution and on-time rates, open and overdue cases at as-of (any
-- source), satisfaction (answered callbacks in the quarter), petitions and their YoY change
-- (townships only; NULL for villages and grids, and NULL YoY when the earlier count is 0).
-- Parameters: $quarter ('2023Q1'), $scope (code prefix, '' = district), $as_of (timestamp text).
with
params as (
    select
        case
            when length($scope) = 0 then 9
            when length($scope) >= 15 then 15
            else length($scope) + 3
        end as child_len,
        $as_of::timestamp as as_of,
        make_timestamp(
            cast(left($quarter, 4) as integer), cast(right($quarter, 1) as integer) * 3 - 2,
            1, 0, 0, 0
        ) as q_start
),

places as (
    select distinct left(g.grid_code, p.child_len) as code
    from grids as g
    cross join params as p
    where starts_with(g.grid_code, $scope)
),

coverage as (
    select
        left(c.grid_code, p.child_len) as code,
        sum(c.n_registered)::bigint as registered_households,
        sum(c.n_visited)::bigint as visited_households,
        sum(c.n_door)::bigint as door_households,
        sum(c.n_problems_reported)::bigint as problems_reported
    from mart_grid_round_coverage as c
    cross join params as p
    where c.round = $quarter and starts_with(c.grid_code, $scope)
    group by 1
),

received as (
    select
        left(f.grid_code, p.child_len) as code,
        count(*) as cases_received,
        count(*) filter (where f.resolved_at <= p.as_of) as cases_resolved,
        count(*) filter (where f.resolved_at <= p.as_of and f.resolved_at <= f.due_at)
            as cases_on_time
    from mart_case_facts as f
    cross join params as p
    where f.source = '暖心走访' and f.received_quarter = $quarter
        and starts_with(f.grid_code, $scope)
    group by 1
),

backlog as (
    select
        left(f.grid_code, p.child_len) as code,
        count(*) as open_cases,
        count(*) filter (where f.due_at < p.as_of) as overdue_cases
    from mart_case_facts as f
    cross join params as p
    where f.received_at <= p.as_of and (f.resolved_at is null or f.resolved_at > p.as_of)
        and starts_with(f.grid_code, $scope)
    group by 1
),

calls as (
    select
        left(c.grid_code, p.child_len) as code,
        count(*) filter (where c.outcome <> '未接通') as callbacks_answered,
        count(*) filter (where c.outcome in ('满意', '基本满意')) as callbacks_satisfied
    from callbacks as c
    cross join params as p
    where c.called_at >= p.q_start and c.called_at < p.q_start + interval 3 month
        and starts_with(c.grid_code, $scope)
    group by 1
),

petitions as (
    select
        m.township_code as code,
        sum(m.n_petitions) filter (where m.quarter = $quarter)::bigint as petitions,
        sum(m.n_petitions) filter (
            where m.quarter = cast(cast(left($quarter, 4) as integer) - 1 as varchar)
                || right($quarter, 2)
        ) as petitions_prev_year
    from mart_petitions_township_month as m
    cross join params as p
    where p.child_len = 9 and starts_with(m.township_code, $scope)
    group by 1
),

names as (
    select township_code as code, township_name as name from townships
    union all
    select village_code, village_name from villages
    union all
    select grid_code, coalesce(grid_name, grid_code) from grids
),

final as (
    select
        pl.code,
        coalesce(n.name, pl.code) as name,
        coalesce(cv.registered_households, 0) as registered_households,
        coalesce(cv.visited_households, 0) as visited_households,
        cv.visited_households / nullif(cv.registered_households, 0) as coverage,
        cv.door_households / nullif(cv.visited_households, 0) as door_share,
        coalesce(cv.problems_reported, 0) as problems_reported,
        coalesce(r.cases_received, 0) as cases_received,
        coalesce(r.cases_resolved, 0) as cases_resolved,
        r.cases_resolved / nullif(r.cases_received, 0) as resolution_rate,
        r.cases_on_time / nullif(r.cases_resolved, 0) as on_time_rate,
        coalesce(b.open_cases, 0) as open_cases,
        coalesce(b.overdue_cases, 0) as overdue_cases,
        coalesce(c.callbacks_answered, 0) as callbacks_answered,
        c.callbacks_satisfied / nullif(c.callbacks_answered, 0) as satisfaction_rate,
        case when p.child_len = 9 then coalesce(pe.petitions, 0) end as petitions,
        case when p.child_len = 9 then coalesce(pe.petitions_prev_year, 0) end
            as petitions_prev_year,
        case when p.child_len = 9
            then (coalesce(pe.petitions, 0) - pe.petitions_prev_year)
                / nullif(pe.petitions_prev_year, 0)
        end as petitions_yoy
    from places as pl
    cross join params as p
    left join names as n on n.code = pl.code
    left join coverage as cv on cv.code = pl.code
    left join received as r on r.code = pl.code
    left join backlog as b on b.code = pl.code
    left join calls as c on c.code = pl.code
    left join petitions as pe on pe.code = pl.code
)

select * from final
order by code
