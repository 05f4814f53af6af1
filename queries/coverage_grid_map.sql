-- How well was each grid of the scope covered in round $quarter, and where is it? One row per
-- grid in scope $scope: its place names, leader, registered and visited households, coverage
-- (visited ÷ registered 在册 households, METRICS.md), door share, centre (lon, lat) and boundary
-- (WKT POLYGON, parsed by warmvisits.geo). Reads mart_grid_round_coverage.
-- Parameters: $quarter ('2023Q1'), $scope (code prefix, '' = district).
select
    g.grid_code,
    coalesce(g.grid_name, g.grid_code) as grid_name,
    v.village_name,
    t.township_name,
    g.leader_name,
    coalesce(c.n_registered, 0) as n_registered,
    coalesce(c.n_visited, 0) as n_visited,
    coalesce(c.n_door, 0) as n_door,
    c.n_visited / nullif(c.n_registered, 0) as coverage,
    c.n_door / nullif(c.n_visited, 0) as door_share,
    g.lon,
    g.lat,
    g.boundary_wkt
from grids as g
left join villages as v on v.village_code = g.village_code
left join townships as t on t.township_code = g.township_code
left join mart_grid_round_coverage as c on c.grid_code = g.grid_code and c.round = $quarter
where starts_with(g.grid_code, $scope)
order by g.grid_code
