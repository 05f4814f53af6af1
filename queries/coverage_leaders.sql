-- How did each grid leader do in round $quarter, for the assessment (考核)? One row per grid in
-- scope $scope: the leader, the grid and its village and township, registered (在册)
-- households, households visited, coverage, door share (door ÷ visited), days in the field
-- (distinct visit dates) and problems reported (visits linked to a loaded case, METRICS.md
-- problems_reported). Reads mart_grid_round_coverage.
-- Parameters: $quarter ('2023Q1'), $scope (code prefix).
select
    c.grid_code,
    g.leader_name,
    coalesce(g.grid_name, g.grid_code) as grid_name,
    v.village_name,
    t.township_name,
    c.n_registered,
    c.n_visited,
    c.n_visited / nullif(c.n_registered, 0) as coverage,
    c.n_door / nullif(c.n_visited, 0) as door_share,
    c.n_visit_days as days_in_field,
    c.n_problems_reported as problems_reported
from mart_grid_round_coverage as c
join grids as g on g.grid_code = c.grid_code
left join villages as v on v.village_code = c.village_code
left join townships as t on t.township_code = c.township_code
where c.round = $quarter and starts_with(c.grid_code, $scope)
order by c.grid_code
