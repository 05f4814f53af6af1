-- Which households visited in round $round may be called to check the visit (回访抽样, back-check
-- frame)? One row per 在册 household in scope $scope (by its grid) with a visit in the round whose
-- method is 入户 or 电话; the visit shown is the household's last such visit in the round (by
-- 走访日期, then 走访编号), with the method recorded and the grid leader who recorded it.
-- exclusion (NULL: eligible), first that applies: 'no_phone'; 'open_batch' (household in an
-- open batch: $exclude_households); 'recently_called' (an exported callback at or after
-- $recent_since, or an app-recorded call: $recent_households).
-- Parameters: $round ('2023Q1'), $scope, $recent_since (timestamp), $recent_households,
-- $exclude_households (VARCHAR[]).
with
claimed as (
    select v.visit_id, v.household_id, v.grid_code, v.village_code, v.township_code, v.visit_on,
        v.method, v.visitor
    from visits as v
    where v.round = $round and v.method in ('入户', '电话') and starts_with(v.grid_code, $scope)
    qualify row_number() over (
        partition by v.household_id order by v.visit_on desc, v.visit_id desc
    ) = 1
),

recent as (
    select distinct household_id
    from callbacks
    where called_at >= cast($recent_since as timestamp)
    union
    select unnest(cast($recent_households as varchar[])) as household_id
),

open_households as (
    select unnest(cast($exclude_households as varchar[])) as household_id
),

final as (
    select
        c.household_id,
        c.visit_id,
        c.grid_code,
        c.village_code,
        c.township_code,
        t.township_name,
        g.leader_name,
        c.visitor,
        c.visit_on,
        c.method as recorded_method,
        case
            when coalesce(trim(h.phone), '') = '' then 'no_phone'
            when c.household_id in (select household_id from open_households) then 'open_batch'
            when c.household_id in (select household_id from recent) then 'recently_called'
        end as exclusion
    from claimed as c
    inner join households as h on c.household_id = h.household_id
    inner join grids as g on c.grid_code = g.grid_code
    left join townships as t on c.township_code = t.township_code
    where h.status = '在册'
)

select * from final
order by household_id
