-- How were the households of each place reached in round $quarter: at the door, by phone, not
-- reached, or not attempted? One row per child place of $scope (townships of the district,
-- villages of a township, grids of a village; a grid scope gives the grid itself), with
-- registered (在册) households, the four counts n_door, n_phone_only (named so the masking
-- layer does not take it for a phone number), n_unreached, n_not_attempted (they add up to registered), coverage and door
-- share (door ÷ visited). Reads mart_grid_round_coverage.
-- Parameters: $quarter ('2023Q1'), $scope (code prefix, '' = district).
with
params as (
    select case
        when length($scope) = 0 then 9
        when length($scope) >= 15 then 15
        else length($scope) + 3
    end as child_len
),

mix as (
    select
        left(c.grid_code, p.child_len) as code,
        sum(c.n_registered)::bigint as n_registered,
        sum(c.n_door)::bigint as n_door,
        sum(c.n_phone)::bigint as n_phone_only,
        sum(c.n_unreached)::bigint as n_unreached,
        sum(c.n_not_attempted)::bigint as n_not_attempted,
        sum(c.n_visited)::bigint as n_visited
    from mart_grid_round_coverage as c
    cross join params as p
    where c.round = $quarter and starts_with(c.grid_code, $scope)
    group by 1
),

names as (
    select township_code as code, township_name as name from townships
    union all
    select village_code, village_name from villages
    union all
    select grid_code, coalesce(grid_name, grid_code) from grids
),

final as (
    select
        m.code,
        coalesce(n.name, m.code) as name,
        m.n_registered,
        m.n_door,
        m.n_phone_only,
        m.n_unreached,
        m.n_not_attempted,
        m.n_visited,
        m.n_visited / nullif(m.n_registered, 0) as coverage,
        m.n_door / nullif(m.n_visited, 0) as door_share
    from mix as m
    left join names as n on n.code = m.code
)

select * from final
order by code
