-- Which resolved cases may be called back (回访抽样, case frame)? One row per case of any source
-- resolved in [$start, $end] in scope $scope (by the case's grid), with the household whose
-- report started the case: the household of the case's earliest linked visit (by 走访日期, then
-- 走访编号). Cases with no linked visit have no one to call and are not listed.
-- exclusion says why a case cannot be drawn (NULL: eligible), first reason that applies:
--   'no_phone'        the household has no phone number
--   'open_batch'      the case or its household is already in an open batch ($exclude_cases,
--                     $exclude_households: keys from warmvisits.ops.open_member_keys)
--   'recently_called' the household was called at or after $recent_since, by an exported
--                     callback or an app-recorded one ($recent_households from
--                     warmvisits.ops.recently_called)
-- Parameters: $start, $end (timestamps), $scope (code prefix), $recent_since (timestamp),
-- $recent_households, $exclude_households, $exclude_cases (VARCHAR[]).
with
resolved as (
    select c.case_id, c.source, c.grid_code, c.village_code, c.township_code, c.category,
        c.complexity, c.received_at, c.resolved_at
    from cases as c
    where
        c.resolved_at is not null
        and c.resolved_at >= cast($start as timestamp)
        and c.resolved_at <= cast($end as timestamp)
        and starts_with(c.grid_code, $scope)
),

first_report as (
    select cv.case_id, v.visit_id, v.household_id
    from case_visits as cv
    inner join visits as v on cv.visit_id = v.visit_id
    qualify row_number() over (partition by cv.case_id order by v.visit_on, v.visit_id) = 1
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

open_cases as (
    select unnest(cast($exclude_cases as varchar[])) as case_id
),

final as (
    select
        r.case_id,
        f.household_id,
        f.visit_id,
        h.grid_code as household_grid_code,
        r.grid_code,
        r.village_code,
        r.township_code,
        t.township_name,
        r.category,
        r.source,
        r.complexity,
        r.received_at,
        r.resolved_at,
        case
            when coalesce(trim(h.phone), '') = '' then 'no_phone'
            when r.case_id in (select case_id from open_cases)
                or f.household_id in (select household_id from open_households)
                then 'open_batch'
            when f.household_id in (select household_id from recent) then 'recently_called'
        end as exclusion
    from resolved as r
    inner join first_report as f on r.case_id = f.case_id
    inner join households as h on f.household_id = h.household_id
    left join townships as t on r.township_code = t.township_code
)

select * from final
order by case_id
