-- When did each visit round take place? For marking rounds on the petitions time axis.
-- One row per round: the round code and its field window, taken as the median grid's first and
-- last 走访日期 (a few grids visiting outside the window do not stretch it).
-- No parameters. Reads: mart_grid_round_coverage.
select
    round,
    quantile_disc(first_visit_on, 0.5) as window_start_on,
    quantile_disc(last_visit_on, 0.5) as window_end_on,
    sum(n_visited)::bigint as visited_households
from mart_grid_round_coverage
where first_visit_on is not null
group by round
order by round
