-- What is round $quarter's field window? The central $window_share of all the round's visit
-- dates, district-wide: from the (1 − share)/2 to the (1 + share)/2 quantile of 走访日期 (one
-- row: window_start, window_end, n_visits). Used by coverage_implausible's "outside the window".
-- Parameters: $quarter ('2023Q1'), $window_share (0–1, default setting 0.98).
select
    quantile_disc(visit_on, (1 - $window_share) / 2) as window_start,
    quantile_disc(visit_on, (1 + $window_share) / 2) as window_end,
    count(*) as n_visits
from visits
where round = $quarter
