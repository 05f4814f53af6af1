-- What are the townships and grids called (满意度: names for strata and places)? One row per
-- grid in scope $scope with its village, township and leader.
-- Parameters: $scope (code prefix).
select
    g.grid_code,
    g.grid_name,
    g.leader_name,
    g.village_code,
    v.village_name,
    g.township_code,
    t.township_name
from grids as g
left join villages as v on g.village_code = v.village_code
left join townships as t on g.township_code = t.township_code
where starts_with(g.grid_code, $scope)
order by g.grid_code
