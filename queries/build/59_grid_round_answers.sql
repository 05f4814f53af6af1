-- Mart mart_grid_round_answers: questionnaire answer counts, read by the 问卷分析 page.
-- Grain: one row per round × grid_code × form_version × item_code × answer (unique together).
-- A household's answers in a round are those of its LAST visit in that round whose method is
-- 入户 or 电话, by visit_on then visit_id (METRICS.md, "Questionnaire answers"); earlier
-- attempts in the same round do not count. visit_answers holds only valid non-blank answers, so
-- blanks ("not asked or no answer") are simply absent: the households that answered item i in a
-- scope are the sum of n_households over its answers.
-- form_version is the visit's 问卷版本; when the visit does not say, the village type decides
-- (社区 → 城市版, 村 → 农村版). Scope: starts_with(grid_code, $scope) at query time.
-- Reads: visit_answer_codes (each visit with its items' 4-bit answer codes: 0 = no answer, else
-- the answer_value code + 1; written by warmvisits/build.py), household_rounds (build step
-- 49), villages and menu (each item's options).
create or replace table mart_grid_round_answers as
with

answering_visits as not materialized (
    -- read twice (below and by not_last): without the hint DuckDB would materialise the four
    -- million rows with their unpacked answers, a fifth of this mart's cost; inlined, the
    -- ranking reads only the few columns it needs
    select *
    from visit_answer_codes
    where method in ('入户', '电话')
),

repeated as (
    -- households with more than one answering visit in a round: only they need ranking
    select grid_code, household_no, round
    from household_rounds
    where n_answering > 1
),

not_last as (
    select visit_id
    from (
        select
            a.visit_id,
            row_number() over (
                partition by a.grid_code, a.household_no, a.round
                order by a.visit_on desc, a.visit_id desc
            ) as nth
        from answering_visits as a
        semi join repeated as r
            on r.grid_code = a.grid_code and r.household_no = a.household_no
            and r.round = a.round
    )
    where nth > 1
),

answered as (
    -- the last answering visit of each household and round, with its answer codes. The NULL
    -- column M0Q0 keeps the selection below valid when the export has no item columns; it
    -- counts nothing.
    select
        a.round,
        a.grid_code,
        a.form_version,
        null::utinyint as M0Q0,
        a.* exclude (visit_id, round, household_no, grid_code, visit_on, method, form_version)
    from answering_visits as a
    anti join not_last as n on n.visit_id = a.visit_id
),

grid_counts as (
    -- Per grid and item, the households that gave each of the item's (at most four) answers,
    -- packed as four 16-bit counters in one UBIGINT: one sum per item, where one count per
    -- item and answer value costs twice as long at district scale. A counter cannot overflow
    -- into the next: a grid holds at most 10,000 households (a clean household code ends in
    -- four digits, build step 11), and each counts once per round. An answer's slot is its
    -- position among its item's options (menu.options: A B C D / 是 否 / 好 一般 差); the list
    -- gives the slot's unit by the answer's code (the answer_value enum's code + 1, whose
    -- values come from warmvisits/schema.py ANSWER_OPTIONS in that order; a test keeps the two
    -- equal). Code 0, no answer, indexes nothing (a list's index 0 is NULL) and adds NULL,
    -- which sum skips. form_version as the visits say (the enumeration; NULL when they do not):
    -- resolved per grid below.
    select
        round,
        grid_code,
        form_version,
        sum(([
            1, 65536, 4294967296, 281474976710656, 1, 65536, 1, 65536, 4294967296
        ]::ubigint[])[columns('^M[0-9]+Q[0-9]+$')])
    from answered
    group by round, grid_code, form_version
),

counts as (
    -- a visit that does not name its form counts under its village's: 社区 → 城市版,
    -- 村 → 农村版 (packed sums add up, so the grid's two groups may merge)
    select
        c.round,
        c.grid_code,
        coalesce(
            c.form_version::varchar,
            case vi.village_type when '社区' then '城市版' when '村' then '农村版' end
        ) as form_version,
        sum(columns('^M[0-9]+Q[0-9]+$'))
    from grid_counts as c
    -- the grid's village: the first 12 digits of its code (taken once a grid, not once a visit)
    left join villages as vi on vi.village_code = left(c.grid_code, 12)
    group by all
),

long_counts as (
    -- NULL sums (no answer to the item in the grid) give no row
    unpivot counts
    on columns(* exclude (round, grid_code, form_version))
    into name item_code value packed
),

unpacked as (
    select
        c.round,
        c.grid_code,
        c.form_version,
        c.item_code,
        m.options[s.slot + 1] as answer,
        ((c.packed >> (16 * s.slot)) & 65535)::integer as n_households
    from long_counts as c
    join menu as m on m.item_code = c.item_code
    cross join range(4) as s(slot)
),

final as (
    select round, grid_code, form_version, item_code, answer, n_households
    from unpacked
    where n_households > 0
)

-- not sorted: ordering the two million rows took as long as counting them, and a page's
-- query over the whole table takes milliseconds
select * from final;
