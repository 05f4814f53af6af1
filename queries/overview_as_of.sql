-- As of when are a quarter's states read? The quarter's last second, or the latest moment
-- recorded in the data if that is earlier (METRICS.md "As-of"). Parameters: $quarter ('2023Q1').
with bounds as (
    select
        make_timestamp(
            cast(left($quarter, 4) as integer),
            cast(right($quarter, 1) as integer) * 3 - 2, 1, 0, 0, 0
        ) + interval 3 month - interval 1 second as quarter_end
),

moments as (
    select max(received_at) as at_ from cases
    union all
    select max(resolved_at) from cases
    union all
    select max("at") from case_events
    union all
    select max(called_at) from callbacks
    union all
    select max(visit_on)::timestamp + interval 86399 second from visits
    union all
    select max(registered_on)::timestamp + interval 86399 second from petitions
),

final as (
    select
        b.quarter_end,
        (select max(m.at_) from moments as m) as data_end,
        least(b.quarter_end, coalesce((select max(m.at_) from moments as m), b.quarter_end)) as as_of
    from bounds as b
)

select * from final
