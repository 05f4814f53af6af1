"""Every rule the build checks, with what it means. Rejects keep the row out of the clean
tables; warnings keep the row and say what was changed. The build report and the data page
show these texts; tests check that every rule the SQL uses is listed here."""

from __future__ import annotations

REJECT_RULES: dict[str, str] = {
    "missing_required": "a required column is blank",
    "bad_code": "a code is not in its form (township 9 digits; village 12 starting with its "
    "township's; grid 15 starting with its village's; household = grid code, '-', 4 digits)",
    "bad_enum": "a value is not one of the accepted values (Chinese or English alias)",
    "bad_date": "a date or time cannot be read, or is impossible",
    "bad_number": "a number cannot be read or is out of range (members/persons ≥ 1; lon/lat)",
    "bad_round": "the round is not a quarter such as 2023Q1 / 2023年第一季度",
    "bad_boundary": "the boundary is not a WKT POLYGON",
    "duplicate_key": "the same key appeared earlier in the same table",
    "unknown_grid": "the grid code is not a loaded grid",
    "unknown_household": "the household code is not a loaded household",
    "unknown_case": "the case number is not a loaded case",
    "unknown_township": "the township code is not a loaded township",
    "household_grid_mismatch": "the household code does not start with its grid code",
    "visit_grid_mismatch": "the visit's grid is not its household's grid",
    "place_name_conflict": "the same township or village code carries another name or type",
    "resolved_without_time": "status 已办结 but no 办结时间",
    "resolved_time_not_resolved": "a 办结时间 on a case that is not 已办结",
    "resolved_before_received": "办结时间 is before 受理时间",
    "due_before_received": "办结时限 is before 受理时间",
}

WARNING_RULES: dict[str, str] = {
    "unknown_visit_link": "关联走访编号 names no loaded visit: the link is dropped, the case kept",
    "answer_not_an_option": "an answer outside its question's options: the answer is blanked",
    "unknown_item_column": "a visit column looks like a menu item but the menu has no such item",
    "bad_phone": "a phone number that is not 11 digits or a 0558- landline: kept as given",
    "extra_cells": "a row has cells to the right of the header's last column: they are not read",
}
