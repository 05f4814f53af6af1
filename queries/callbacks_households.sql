-- Who is on a call list, and how to reach them (回访名单)? One row per household id in
-- $household_ids that is in scope $scope: name, phone and address (masked by role in the query
-- layer), place names and the grid leader.
-- Parameters: $household_ids (VARCHAR[]), $scope (code prefix).
select
    h.household_id,
    h.head_name,
    h.phone,
    h.address,
    h.grid_code,
    g.grid_name,
    g.leader_name,
    v.village_name,
    t.township_name
from (select distinct unnest(cast($household_ids as varchar[])) as household_id) as wanted
inner join households as h on wanted.household_id = h.household_id
inner join grids as g on h.grid_code = g.grid_code
left join villages as v on h.village_code = v.village_code
left join townships as t on h.township_code = t.township_code
where starts_with(h.grid_code, $scope)
order by h.household_id
