-- How have the headline figures moved across the rounds? One row per quarter that has a visit
-- round, oldest first, for scope $scope; each quarter's states read at its own as-of moment
-- (the quarter's last second, or the latest moment in the data if earlier — kpi_as_of).
-- Columns: quarter, as_of, coverage, door_share, visited_households, cases_received,
-- cases_resolved, resolution_rate, on_time_rate, satisfaction_rate, petitions (NULL below
-- township scope). Parameters: $scope (code prefix, '' = district).
with
quarters as (
    select
        q.quarter,
        q.quarter_start,
        least(q.quarter_end, (select max(latest_at) from mart_quarters)) as as_of
    from mart_quarters as q
    where q.n_visits > 0
),

coverage as (
    select
        round as quarter,
        sum(n_registered)::bigint as registered_households,
        sum(n_visited)::bigint as visited_households,
        sum(n_door)::bigint as door_households
    from mart_grid_round_coverage
    where starts_with(grid_code, $scope)
    group by round
),

received as (
    select
        q.quarter,
        count(f.case_id) as cases_received,
        count(f.case_id) filter (where f.resolved_at <= q.as_of) as cases_resolved,
        count(f.case_id) filter (where f.resolved_at <= q.as_of and f.resolved_at <= f.due_at)
            as cases_on_time
    from quarters as q
    join mart_case_facts as f
        on f.received_quarter = q.quarter and f.source = '暖心走访'
        and starts_with(f.grid_code, $scope)
    group by q.quarter
),

calls as (
    select
        q.quarter,
        count(*) filter (where c.outcome <> '未接通') as callbacks_answered,
        count(*) filter (where c.outcome in ('满意', '基本满意')) as callbacks_satisfied
    from quarters as q
    join callbacks as c
        on c.called_at >= q.quarter_start and c.called_at < q.quarter_start + interval 3 month
        and starts_with(c.grid_code, $scope)
    group by q.quarter
),

petitions as (
    select quarter, sum(n_petitions)::bigint as petitions
    from mart_petitions_township_month
    where starts_with(township_code, $scope)
    group by quarter
),

final as (
    select
        q.quarter,
        q.as_of,
        cv.visited_households / nullif(cv.registered_households, 0) as coverage,
        cv.door_households / nullif(cv.visited_households, 0) as door_share,
        coalesce(cv.visited_households, 0) as visited_households,
        coalesce(r.cases_received, 0) as cases_received,
        coalesce(r.cases_resolved, 0) as cases_resolved,
        r.cases_resolved / nullif(r.cases_received, 0) as resolution_rate,
        r.cases_on_time / nullif(r.cases_resolved, 0) as on_time_rate,
        c.callbacks_satisfied / nullif(c.callbacks_answered, 0) as satisfaction_rate,
        case when length($scope) <= 9 then coalesce(p.petitions, 0) end as petitions
    from quarters as q
    left join coverage as cv on cv.quarter = q.quarter
    left join received as r on r.quarter = q.quarter
    left join calls as c on c.quarter = q.quarter
    left join petitions as p on p.quarter = q.quarter
)

select * from final
order by quarter
