-- Mart mart_grid_round_answers: questionnaire answer counts, read by the 问卷分析 page.
-- Grain: one row per round × grid_code × form_version × item_code × answer (unique together).
-- A household's answers in a round are those of its LAST visit in that round whose method is
-- 入户 or 电话, by visit_on then visit_id (METRICS.md, "Questionnaire answers"); earlier
-- attempts in the same round do not count. visit_answers holds only valid non-blank answers, so
-- blanks ("not asked or no answer") are simply absent: the households that answered item i in a
-- scope are the sum of n_households over its answers.
-- form_version is the visit's 问卷版本; when the visit does not say, the village type decides
-- (社区 → 城市版, 村 → 农村版). Scope: starts_with(grid_code, $scope) at query time.
-- Reads: visits (with its item columns) and villages.
create or replace table mart_grid_round_answers as
with

answering_visits as (
    select *
    from visits
    where method in ('入户', '电话')
),

repeated as (
    -- households with more than one answering visit in a round: only they need ranking
    select household_id, round
    from answering_visits
    group by household_id, round
    having count(*) > 1
),

not_last as (
    select visit_id
    from (
        select
            a.visit_id,
            row_number() over (
                partition by a.household_id, a.round order by a.visit_on desc, a.visit_id desc
            ) as nth
        from answering_visits as a
        semi join repeated as r on r.household_id = a.household_id and r.round = a.round
    )
    where nth > 1
),

answered as (
    -- the last answering visit of each household and round, with its answers (the item
    -- columns of visits). The NULL column M0Q0 keeps the selection below valid when the export
    -- has no item columns; it counts nothing.
    select
        a.round,
        a.grid_code,
        coalesce(
            a.form_version,
            case vi.village_type when '社区' then '城市版' when '村' then '农村版' end
        ) as form_version,
        null::answer_value as M0Q0,
        a.* exclude (visit_id, round, household_id, grid_code, village_code, township_code,
            visit_on, method, visitor, form_version, problems_raised)
    from answering_visits as a
    anti join not_last as n on n.visit_id = a.visit_id
    left join villages as vi on vi.village_code = a.village_code
),

counts as (
    -- one count per item and answer value, per grid: count_if over the one-byte enum is far
    -- cheaper than grouping some 80 million unpivoted rows. The values are those of the
    -- answer_value type (warmvisits/schema.py ANSWER_OPTIONS; a test keeps the two equal).
    select
        round,
        grid_code,
        form_version,
        count_if(columns('^M[0-9]+Q[0-9]+$') = 'A') as '\0|A',
        count_if(columns('^M[0-9]+Q[0-9]+$') = 'B') as '\0|B',
        count_if(columns('^M[0-9]+Q[0-9]+$') = 'C') as '\0|C',
        count_if(columns('^M[0-9]+Q[0-9]+$') = 'D') as '\0|D',
        count_if(columns('^M[0-9]+Q[0-9]+$') = '是') as '\0|是',
        count_if(columns('^M[0-9]+Q[0-9]+$') = '否') as '\0|否',
        count_if(columns('^M[0-9]+Q[0-9]+$') = '好') as '\0|好',
        count_if(columns('^M[0-9]+Q[0-9]+$') = '一般') as '\0|一般',
        count_if(columns('^M[0-9]+Q[0-9]+$') = '差') as '\0|差'
    from answered
    group by round, grid_code, form_version
),

long_counts as (
    unpivot counts
    on columns(* exclude (round, grid_code, form_version))
    into name item_answer value n
),

final as (
    select
        round,
        grid_code,
        form_version,
        split_part(item_answer, '|', 1) as item_code,
        split_part(item_answer, '|', 2) as answer,
        n::integer as n_households
    from long_counts
    where n > 0
)

select * from final
order by round, grid_code, form_version, item_code, answer;
