-- Which quarters have data? One row per quarter that has visits (a round) or received cases,
-- newest first, with the number of visits and cases. No parameters.
with rounds as (
    select round as quarter, count(*) as n_visits
    from visits
    group by round
),

case_quarters as (
    select
        strftime(received_at, '%Y') || 'Q' || cast(quarter(received_at) as varchar) as quarter,
        count(*) as n_cases
    from cases
    group by 1
),

final as (
    select
        coalesce(r.quarter, c.quarter) as quarter,
        coalesce(r.n_visits, 0) as n_visits,
        coalesce(c.n_cases, 0) as n_cases
    from rounds as r
    full outer join case_quarters as c on r.quarter = c.quarter
)

select * from final
order by quarter desc
