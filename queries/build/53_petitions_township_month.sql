-- Mart: mart_petitions_township_month — petitions registered per township and calendar month.
-- Grain: one row per loaded township × month, for every month from the first to the last month
-- that has a loaded petition (months without petitions are rows with zeros, so sums over any
-- period and year-on-year comparisons need no gap filling). Empty when no petition is loaded.
-- Reads: townships, petitions. Parameters: none (build step).
--
-- Columns
--   township_code, month_on (DATE, the month's first day), year, month (1–12),
--   quarter ('2023Q1')
--   n_petitions    petitions registered (rows, not persons)
--   n_persons      sum of 人数
--   n_repeat       of them 是否重复信访 = 是
--   n_collective   of them with 人数 >= 5 (collective petitions)
--   n_letter, n_visit, n_online, n_phone   by 信访形式 (来信 / 来访 / 网上 / 电话)
create or replace table mart_petitions_township_month as
with
months as (
    select unnest(generate_series(
        date_trunc('month', min(registered_on)),
        date_trunc('month', max(registered_on)),
        interval 1 month
    ))::date as month_on
    from petitions
    having count(*) > 0
),

counts as (
    select
        township_code,
        date_trunc('month', registered_on)::date as month_on,
        count(*) as n_petitions,
        sum(persons) as n_persons,
        count(*) filter (where is_repeat) as n_repeat,
        count(*) filter (where persons >= 5) as n_collective,
        count(*) filter (where channel = '来信') as n_letter,
        count(*) filter (where channel = '来访') as n_visit,
        count(*) filter (where channel = '网上') as n_online,
        count(*) filter (where channel = '电话') as n_phone
    from petitions
    group by township_code, date_trunc('month', registered_on)
),

final as (
    select
        t.township_code,
        m.month_on,
        year(m.month_on)::integer as year,
        month(m.month_on)::integer as month,
        strftime(m.month_on, '%Y') || 'Q' || quarter(m.month_on) as quarter,
        coalesce(c.n_petitions, 0)::bigint as n_petitions,
        coalesce(c.n_persons, 0)::bigint as n_persons,
        coalesce(c.n_repeat, 0)::bigint as n_repeat,
        coalesce(c.n_collective, 0)::bigint as n_collective,
        coalesce(c.n_letter, 0)::bigint as n_letter,
        coalesce(c.n_visit, 0)::bigint as n_visit,
        coalesce(c.n_online, 0)::bigint as n_online,
        coalesce(c.n_phone, 0)::bigint as n_phone
    from townships as t
    cross join months as m
    left join counts as c on c.township_code = t.township_code and c.month_on = m.month_on
)

select * from final
order by township_code, month_on;
