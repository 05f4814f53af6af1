-- Coverage of round $quarter in scope $scope (METRICS.md "Coverage"): registered_households
-- (在册 households in scope, the register's current status), visited_households (distinct 在册
-- households with a 入户 or 电话 visit in the round), door_households (with a 入户 visit),
-- phone_households (visited − door), coverage (visited / registered; NULL when none registered).
-- Parameters: $quarter ('2023Q1'), $scope (code prefix; '' = district).
with
registered as (
    select count(*) as registered_households
    from households
    where status = '在册' and starts_with(grid_code, $scope)
),

visited as (
    select
        coalesce(sum(n_visited), 0)::bigint as visited_households,
        coalesce(sum(n_door), 0)::bigint as door_households
    from mart_grid_round_coverage
    where round = $quarter and starts_with(grid_code, $scope)
),

final as (
    select
        r.registered_households,
        v.visited_households,
        v.door_households,
        v.visited_households - v.door_households as phone_households,
        v.visited_households / nullif(r.registered_households, 0) as coverage
    from registered as r
    cross join visited as v
)

select * from final
