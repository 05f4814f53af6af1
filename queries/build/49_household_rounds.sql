-- Build step 49: one row per household × round with at least one loaded visit, for the marts
-- that count households (50_grid_round_coverage, 59_grid_round_answers): grouping the four
-- million visits by household and round once, instead of once per mart. A household is its
-- grid_code and household_no, as visit_rows stores it (not its household_id: four million
-- strings built here cost more than the marts' joins on the two columns). Temporary: it lives
-- only while the build runs. Reads visit_rows (method is an enumeration there: cheaper to
-- compare than the strings of the view visits).
--   is_visited    a 入户 or 电话 visit in the round
--   is_door       a 入户 visit in the round
--   n_answering   the round's 入户 and 电话 visits (more than one: the household's answers are
--                 those of the last, METRICS.md "Questionnaire answers")
create or replace temp table household_rounds as
select
    round,
    grid_code,
    household_no,
    bool_or(method in ('入户', '电话')) as is_visited,
    bool_or(method = '入户') as is_door,
    count(*) filter (where method in ('入户', '电话')) as n_answering
from visit_rows
group by round, grid_code, household_no;
