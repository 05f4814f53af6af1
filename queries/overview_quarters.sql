-- Which quarters have data to show? One row per quarter that has a visit round or received
-- cases (petition-only quarters such as the year before the programme are left out), newest
-- first, with its counts. Reads mart_quarters. No parameters.
select
    quarter,
    n_visits,
    n_cases_received as n_cases
from mart_quarters
where n_visits > 0 or n_cases_received > 0
order by quarter desc
