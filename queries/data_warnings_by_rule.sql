-- Warnings of the current build (rows kept, a value dropped or kept as given) by kind and rule.
-- Parameters: none. One row per (kind, rule).
select kind, rule, count(*) as n_rows
from warnings
group by kind, rule
order by kind, n_rows desc, rule
