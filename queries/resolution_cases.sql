-- How long did each of the quarter's cases take, or has it taken so far (办结时效: the
-- Kaplan–Meier input and the resolved-case list)? One row per case received in quarter
-- $quarter from 暖心走访 in scope (METRICS.md cases_received) and received by t.
-- days: (办结时间 − 受理时间) in days when resolved by t, else (t − 受理时间): the case is censored
-- at t. is_on_time: 办结时间 ≤ 办结时限 (NULL when not resolved by t). level_reached: the highest
-- level the case had reached by t (mart_case_stints). closed_not_solved: resolved by t and its
-- latest answered callback (not 未接通) at or before t came back 不满意 (已办结未解决).
-- Rows come from the quarter_case_outcomes macro (queries/build/57).
-- Parameters: $quarter, $scope, $as_of.
select *
from quarter_case_outcomes(cast($quarter as varchar), $scope, cast($as_of as timestamp))
order by case_id
