-- How many household reports of round $quarter in scope $scope became cases? METRICS.md
-- problems_reported: visits of the round (by the visit's grid, whatever the household's status)
-- that at least one loaded case links to (关联走访编号; reports before merging, so a case that
-- merges three households' reports counts 3, and a visit linked by two cases counts once).
-- Parameters: $quarter ('2023Q1'), $scope (code prefix; '' = district).
select coalesce(sum(n_problems_reported), 0)::bigint as problems_reported
from mart_grid_round_coverage
where round = $quarter and starts_with(grid_code, $scope)
