-- The place hierarchy for the scope picker: one row per grid with its village and township
-- (codes and names), ordered by code. No parameters.
select
    g.township_code,
    t.township_name,
    g.village_code,
    v.village_name,
    g.grid_code,
    coalesce(g.grid_name, g.grid_code) as grid_name,
    g.leader_name
from grids as g
left join villages as v on v.village_code = g.village_code
left join townships as t on t.township_code = g.township_code
order by g.grid_code
