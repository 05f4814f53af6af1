-- Which households' reports were merged into one case, and their grids (问题办理: a case's
-- timeline). One row per linked visit (关联走访编号 that named a loaded visit). head_name, phone
-- and address are personal data: the page's query layer masks them by the viewer's role.
-- Parameters: $case_id, $scope.
with
the_case as (
    select c.case_id
    from cases as c
    where c.case_id = $case_id and starts_with(c.grid_code, $scope)
),

final as (
    select
        v.visit_id,
        v.round,
        v.visit_on,
        v.method,
        v.visitor,
        v.household_id,
        h.head_name,
        h.phone,
        h.address,
        v.grid_code,
        g.grid_name,
        g.leader_name,
        vi.village_name,
        tw.township_name
    from case_visits as cv
    inner join the_case as c on cv.case_id = c.case_id
    inner join visits as v on cv.visit_id = v.visit_id
    left join households as h on v.household_id = h.household_id
    left join grids as g on v.grid_code = g.grid_code
    left join villages as vi on g.village_code = vi.village_code
    left join townships as tw on g.township_code = tw.township_code
)

select * from final
order by visit_on, visit_id
