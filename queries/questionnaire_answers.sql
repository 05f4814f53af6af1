-- How did households in a scope answer each question in a round, urban (城市版) and rural (农村版)
-- forms side by side, and how has that changed since the previous round?
-- Parameters: $quarter (the round, '2023Q1'); $scope ('' = district, or a township / village /
-- grid code); $department ('' = every department, else only the items that department owns).
-- A household's answers are those of its last 入户/电话 visit of the round (METRICS.md); the share
-- of an option is over the households that answered the question (blanks excluded), with the
-- counts beside it. The previous round is the latest round before $quarter that has answers.
-- Grain: one row per item × form (the item's own form; 通用 items on both) × option, every
-- option listed (zeros included). Reads: menu, mart_grid_round_answers.
with

forms as (
    select * from (values ('城市版'), ('农村版')) as f(form_version)
),

items as (
    select
        m.item_code, m.theme_no, m.question_no, m.theme, m.question,
        m.form_version as item_form_version, m.answer_type, m.department, m.options,
        m.unfavourable, f.form_version
    from menu as m
    join forms as f on m.form_version in ('通用', f.form_version)
    where $department = '' or m.department = $department
),

item_options as (
    select
        i.*,
        o.option_no,
        i.options[o.option_no] as answer
    from items as i
    cross join lateral (select unnest(range(1, len(i.options) + 1)) as option_no) as o
),

rounds as (
    select
        $quarter as round,
        (select max(round) from mart_grid_round_answers where round < $quarter) as prev_round
),

counts as (
    select
        a.round,
        a.form_version,
        a.item_code,
        a.answer,
        sum(a.n_households)::bigint as n_households
    from mart_grid_round_answers as a
    where a.round in (select round from rounds union all select prev_round from rounds)
        and starts_with(a.grid_code, $scope)
    group by a.round, a.form_version, a.item_code, a.answer
),

joined as (
    select
        o.theme_no, o.theme, o.question_no, o.item_code, o.question, o.item_form_version,
        o.answer_type, o.department, o.form_version, o.option_no, o.answer,
        list_contains(o.unfavourable, o.answer) as is_unfavourable,
        coalesce(c.n_households, 0) as n_households,
        r.prev_round,
        case when r.prev_round is not null then coalesce(p.n_households, 0) end
            as prev_n_households
    from item_options as o
    cross join rounds as r
    left join counts as c
        on c.round = r.round and c.form_version = o.form_version
        and c.item_code = o.item_code and c.answer = o.answer
    left join counts as p
        on p.round = r.prev_round and p.form_version = o.form_version
        and p.item_code = o.item_code and p.answer = o.answer
),

with_totals as (
    select
        *,
        (sum(n_households) over (partition by item_code, form_version))::bigint as n_answered,
        (sum(prev_n_households) over (partition by item_code, form_version))::bigint as prev_n_answered
    from joined
),

final as (
    select
        *,
        case when n_answered > 0 then n_households::double / n_answered end as share,
        case when prev_n_answered > 0 then prev_n_households::double / prev_n_answered end
            as prev_share
    from with_totals
)

select
    *,
    share - prev_share as share_change
from final
order by theme_no, question_no, item_code, form_version desc, option_no
