-- Which grids of the scope are below the coverage target in round $quarter? One row per grid
-- in scope $scope whose coverage (visited ÷ registered 在册 households) is under $target
-- (METRICS.md: default 0.95), worst first, with its place, leader and the households missing.
-- Grids with no registered household are left out. Reads mart_grid_round_coverage.
-- Parameters: $quarter ('2023Q1'), $scope (code prefix), $target (0–1).
select
    c.grid_code,
    coalesce(g.grid_name, g.grid_code) as grid_name,
    v.village_name,
    t.township_name,
    g.leader_name,
    c.n_registered,
    c.n_visited,
    c.n_registered - c.n_visited as n_missing,
    c.n_visited / c.n_registered as coverage
from mart_grid_round_coverage as c
join grids as g on g.grid_code = c.grid_code
left join villages as v on v.village_code = c.village_code
left join townships as t on t.township_code = c.township_code
where c.round = $quarter
    and starts_with(c.grid_code, $scope)
    and c.n_registered > 0
    and c.n_visited / c.n_registered < $target
order by coverage, c.grid_code
