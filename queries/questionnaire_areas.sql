-- Which places in a scope answer one question least favourably? The places one level below the
-- scope (district → townships, township → villages, village → grids, grid → itself) ranked by
-- the unfavourable share of the question in a round (METRICS.md: households whose answer is one
-- of the menu's 不利选项, over households that answered; blanks excluded; both forms together),
-- with the answer counts and the change since the previous round.
-- Parameters: $quarter (round); $scope ('' or a township / village / grid code); $item ('M1Q1').
-- Grain: one row per place × option of the item (every option listed); the place's totals are
-- repeated on its rows. Places without an answer to the item are left out.
-- Reads: menu, mart_grid_round_answers, townships, villages, grids.
with

item as (
    select item_code, options, unfavourable
    from menu
    where item_code = $item
),

rounds as (
    select
        $quarter as round,
        (select max(round) from mart_grid_round_answers where round < $quarter) as prev_round,
        case length($scope) when 0 then 9 when 9 then 12 else 15 end as child_len
),

counts as (
    select
        left(a.grid_code, r.child_len) as area_code,
        a.round = r.round as is_current,
        a.answer,
        sum(a.n_households)::bigint as n_households
    from mart_grid_round_answers as a
    cross join rounds as r
    where a.item_code = $item
        and a.round in (r.round, r.prev_round)
        and starts_with(a.grid_code, $scope)
    group by all
),

areas as (
    select
        c.area_code,
        (sum(c.n_households) filter (where c.is_current))::bigint as n_answered,
        coalesce((sum(c.n_households) filter (
            where c.is_current and list_contains(i.unfavourable, c.answer)))::bigint, 0) as n_unfavourable,
        (sum(c.n_households) filter (where not c.is_current))::bigint as prev_n_answered,
        coalesce((sum(c.n_households) filter (
            where not c.is_current and list_contains(i.unfavourable, c.answer)))::bigint, 0)
            as prev_n_unfavourable
    from counts as c
    cross join item as i
    group by c.area_code
    having (sum(c.n_households) filter (where c.is_current))::bigint > 0
),

names as (
    select township_code as area_code, township_name as area_name from townships
    union all
    select village_code, village_name from villages
    union all
    select grid_code, coalesce(grid_name, grid_code) from grids
),

options as (
    select unnest(range(1, len(options) + 1)) as option_no, options, unfavourable from item
),

final as (
    select
        a.area_code,
        coalesce(n.area_name, a.area_code) as area_name,
        o.option_no,
        o.options[o.option_no] as answer,
        list_contains(o.unfavourable, o.options[o.option_no]) as is_unfavourable,
        coalesce(c.n_households, 0) as n_households,
        a.n_answered,
        coalesce(c.n_households, 0)::double / a.n_answered as share,
        a.n_unfavourable,
        a.n_unfavourable::double / a.n_answered as unfavourable_share,
        a.prev_n_answered,
        case when a.prev_n_answered > 0
            then a.prev_n_unfavourable::double / a.prev_n_answered
        end as prev_unfavourable_share
    from areas as a
    cross join options as o
    left join counts as c
        on c.area_code = a.area_code and c.is_current and c.answer = o.options[o.option_no]
    left join names as n on n.area_code = a.area_code
)

select
    *,
    unfavourable_share - prev_unfavourable_share as unfavourable_change
from final
order by unfavourable_share desc, n_answered desc, area_code, option_no
