-- Mart mart_grid_round_answers: questionnaire answer counts, read by the 问卷分析 page.
-- Grain: one row per round × grid_code × form_version × item_code × answer (unique together).
-- A household's answers in a round are those of its LAST visit in that round whose method is
-- 入户 or 电话, by visit_on then visit_id (METRICS.md, "Questionnaire answers"); earlier
-- attempts in the same round do not count. visit_answers holds only valid non-blank answers, so
-- blanks ("not asked or no answer") are simply absent: the households that answered item i in a
-- scope are the sum of n_households over its answers.
-- form_version is the visit's 问卷版本; when the visit does not say, the village type decides
-- (社区 → 城市版, 村 → 农村版). Scope: starts_with(grid_code, $scope) at query time.
-- Reads: visits, villages, and visit_answers_wide (the build's wide form of visit_answers).
create or replace table mart_grid_round_answers as
with

answering_visits as (
    select visit_id, round, household_id, visit_on
    from visits
    where method in ('入户', '电话')
),

last_visits as (
    -- one visit per household and round: the greatest (visit_on, visit_id)
    select
        household_id,
        round,
        max_by(visit_id, (visit_on, visit_id)) as visit_id
    from answering_visits
    group by household_id, round
),

last_visit_facts as (
    select
        l.visit_id,
        l.round,
        v.grid_code,
        coalesce(
            v.form_version,
            case vi.village_type when '社区' then '城市版' when '村' then '农村版' end
        ) as form_version
    from last_visits as l
    join visits as v on v.visit_id = l.visit_id
    left join villages as vi on vi.village_code = v.village_code
),

answered as (
    -- the answers of those visits only, read from the wide form the build keeps them in (one
    -- column per item; visit_answers is its long view). Joining first and unpivoting after is
    -- about twice as fast as probing the long view at district scale. The NULL column keeps the
    -- unpivot valid when the export has no item columns; NULLs (blanks) produce no rows.
    select f.round, f.grid_code, f.form_version, w.* exclude (visit_id), null::varchar as _none
    from last_visit_facts as f
    join visit_answers_wide as w on w.visit_id = f.visit_id
),

long_answers as (
    unpivot answered
    on columns(* exclude (round, grid_code, form_version))
    into name item_code value answer
),

final as (
    select
        round,
        grid_code,
        form_version,
        item_code,
        answer,
        count(*)::integer as n_households
    from long_answers
    group by round, grid_code, form_version, item_code, answer
)

select * from final
order by round, grid_code, form_version, item_code, answer;
