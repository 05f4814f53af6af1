-- What is scope $scope? '' is the district; otherwise a loaded township (9 digits), village
-- (12) or grid (15) code. One row (scope_level, scope_name, township_code) when the scope
-- exists, no row when it does not. Parameters: $scope.
select 'district' as scope_level, null::varchar as scope_name, null::varchar as township_code
where $scope = ''
union all
select 'township', township_name, township_code
from townships
where township_code = $scope
union all
select 'village', village_name, township_code
from villages
where village_code = $scope
union all
select 'grid', coalesce(grid_name, grid_code), township_code
from grids
where grid_code = $scope
