-- Build step 12 (second part): the table of clean visits, `visit_rows`, declared here and
-- filled by build step 13. Declared rather than made by CREATE TABLE AS for its first column:
-- four million unique visit codes cost more to compress (DuckDB tries its dictionary and FSST
-- compressions on every block) than the rest of the table, and gain little from it. The loader
-- (warmvisits/build.py _answer_checks) adds the packed answer columns, answers_0, answers_1, …
-- (4 bits an item, see _answer_slot), once the menu tells it the items.
--   visit_id         as exported (trimmed)
--   round            '2023Q1'
--   household_no     the household's number within its grid (the last four digits of its code)
--   grid_code        the grid's code
--   visit_on         走访日期
--   method, form_version   one-byte enumerations (warmvisits/build.py _create_types)
--   visitor, problems_raised   as exported
create table visit_rows (
    visit_id varchar using compression uncompressed,
    round varchar,
    household_no usmallint,
    grid_code varchar,
    visit_on date,
    method visit_method,
    visitor varchar,
    form_version visit_form,
    problems_raised varchar
);
