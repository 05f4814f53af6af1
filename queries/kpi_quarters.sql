-- Which quarters does the loaded data speak about? One row per quarter with any loaded row
-- (visits of that round, or a dated case, event, callback or petition in it), oldest first,
-- with its bounds, counts and the latest moment recorded in it. Parameters: none.
-- A quarter not listed here is "unknown" to `warmvisits kpis` (no data for it at all).
select
    quarter,
    quarter_start,
    quarter_end,
    n_visits,
    n_cases_received,
    n_cases_resolved,
    n_case_events,
    n_callbacks,
    n_petitions,
    latest_at
from mart_quarters
order by quarter
