-- As of which moment are quarter $quarter's states read? METRICS.md "As-of": the quarter's last
-- second, or the latest moment recorded in the loaded data if that is earlier (greatest
-- 受理时间, 办结时间, event 时间, 回访时间, and the end of the greatest 走访日期 and 登记日期 —
-- over the whole database, not the scope, so every scope of a quarter is read at one moment).
-- Parameters: $quarter ('2023Q1'). One row: as_of, quarter_start, quarter_end, data_latest_at.
with
bounds as (
    select make_timestamp(
        cast(left($quarter, 4) as integer), cast(right($quarter, 1) as integer) * 3 - 2,
        1, 0, 0, 0
    ) as quarter_start
),

data_end as (
    select max(latest_at) as data_latest_at from mart_quarters
),

final as (
    select
        least(
            b.quarter_start + interval 3 month - interval 1 second,
            coalesce(d.data_latest_at, b.quarter_start + interval 3 month - interval 1 second)
        ) as as_of,
        b.quarter_start,
        b.quarter_start + interval 3 month - interval 1 second as quarter_end,
        d.data_latest_at
    from bounds as b
    cross join data_end as d
)

select * from final
