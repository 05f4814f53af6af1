-- Rejected rows of the current build counted by kind and the rule they broke.
-- Parameters: none. One row per (kind, rule).
select kind, rule, count(*) as n_rows
from rejects
group by kind, rule
order by kind, n_rows desc, rule
