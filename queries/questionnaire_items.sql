-- The questionnaire menu as the questionnaire page lists it: every item with its theme, the
-- form(s) it is on, its answer type, options, unfavourable options and owning department.
-- No parameters. Grain: one row per item_code, in theme then question order. Reads: menu.
select
    item_code,
    theme_no,
    question_no,
    theme,
    question,
    form_version,
    answer_type,
    department,
    options,
    unfavourable
from menu
order by theme_no, question_no, item_code
