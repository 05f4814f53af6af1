-- Build step 05 (runs before the export files are loaded): the parsing of visit records,
-- applied to each visit table as it loads, so the four million rows are parsed once and
-- copied once (build step 13 validates these columns; it does not parse again).
-- Input: a table or view with the raw visit columns (text, trimmed, blank = NULL) as loaded by
-- warmvisits/build.py. Output: the same rows, in the same order, with
--   s_round          '2023Q1' (wv_round), NULL when not a quarter
--   s_household_id   the code as digits (wv_code: also when Excel stored it as a number),
--                    NULL when that is the cell as loaded (nearly always: build step 13 reads
--                    coalesce(s_household_id, household_id), and four million copies of the
--                    codes are not stored)
--   s_grid_code      likewise
--   s_visit_on       the visit date (wv_date), NULL when not a date of the contract
--   s_method         入户 / 电话 / 未联系上 (English aliases accepted) as the enumeration
--                    visit_method (one byte), NULL when not one
--   s_form_version   城市版 / 农村版 as the enumeration visit_form, NULL when blank or not one
-- The raw columns stay beside them, for the rejects. visit_id is the supersession key as
-- loaded: the loader trimmed it, like every text cell.
create or replace temp macro wv_stage_visits(tbl) as table
select *,
    wv_round(round) as s_round,
    nullif(wv_code(household_id), household_id) as s_household_id,
    nullif(wv_code(grid_code), grid_code) as s_grid_code,
    wv_date(visit_date) as s_visit_on,
    wv_enum('method', method)::visit_method as s_method,
    wv_enum('visit_form_version', form_version)::visit_form as s_form_version
from query_table(tbl);
