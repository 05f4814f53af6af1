-- Mart: mart_grid_round_coverage — door-to-door coverage of each grid in each visit round.
-- Grain: one row per grid × round, for every loaded grid and every round that has at least one
-- loaded visit (a grid with no visit in a round still gets its row, with zeros).
-- Reads: grids, households, visits, case_visits, household_rounds (build step 49).
-- Parameters: none (build step).
--
-- Columns
--   round              '2023Q1' (走访轮次)
--   grid_code, village_code, township_code
--   n_registered       households of the grid with status 在册 (the register's current status;
--                      the same in every round — the register keeps no history)
--   n_visited          distinct 在册 households with a 入户 or 电话 visit in the round
--   n_door             distinct 在册 households with a 入户 visit in the round
--   n_phone            n_visited − n_door (reached by phone only)
--   n_unreached        在册 households with attempts in the round, none of them 入户/电话
--   n_not_attempted    在册 households with no attempt at all in the round
--   n_attempts         visit rows of the round in the grid (any method, any household status)
--   n_attempts_door, n_attempts_phone, n_attempts_unreached   the same by method
--   n_problems_reported visits of the round in the grid (any household status) that at least one
--                      loaded case links to (METRICS.md problems_reported)
--   n_visit_days       distinct 走访日期 of the round's visits in the grid
--   first_visit_on, last_visit_on   first and last 走访日期 (NULL when no visit)
-- METRICS.md: summing n_registered / n_visited / n_door / n_phone / n_problems_reported over the
-- grids of a scope gives registered_households, visited_households, door_households,
-- phone_households and problems_reported for the round (households sit in one grid only).
create or replace table mart_grid_round_coverage as
with
rounds as (
    select distinct round from visit_rows
),

grid_rounds as (
    select r.round, g.grid_code, g.village_code, g.township_code
    from grids as g
    cross join rounds as r
),

registered as (
    select grid_code, count(*) as n_registered
    from households
    where status = '在册'
    group by grid_code
),

off_register as (
    -- the households whose status is not 在册 (about one in a hundred); a clean household's
    -- code is its grid's code, '-' and its number (build step 11)
    select grid_code, right(household_id, 4)::usmallint as household_no
    from households
    where status <> '在册'
),

household_round as (
    -- one row per 在册 household × round it was attempted in (build step 49 grouped the
    -- visits). The household of a clean visit is a clean household of the visit's grid (build
    -- step 13 rejects any other), so the 在册 ones are those not off the register: a probe of
    -- the few of those, where a join with every household cost five times as long
    select a.round, a.grid_code, a.household_no, a.is_visited, a.is_door
    from household_rounds as a
    anti join off_register as o
        on o.grid_code = a.grid_code and o.household_no = a.household_no
),

household_counts as (
    select
        round,
        grid_code,
        count(*) filter (where is_visited) as n_visited,
        count(*) filter (where is_door) as n_door,
        count(*) filter (where not is_visited) as n_unreached,
        count(*) as n_attempted
    from household_round
    group by round, grid_code
),

linked_visits as (
    select distinct visit_id from case_visits
),

visit_counts as (
    select
        v.round,
        v.grid_code,
        count(*) as n_attempts,
        count(*) filter (where v.method = '入户') as n_attempts_door,
        count(*) filter (where v.method = '电话') as n_attempts_phone,
        count(*) filter (where v.method = '未联系上') as n_attempts_unreached,
        count(l.visit_id) as n_problems_reported,
        count(distinct v.visit_on) as n_visit_days,
        min(v.visit_on) as first_visit_on,
        max(v.visit_on) as last_visit_on
    from visit_rows as v
    left join linked_visits as l on l.visit_id = v.visit_id
    group by v.round, v.grid_code
),

final as (
    select
        gr.round,
        gr.grid_code,
        gr.village_code,
        gr.township_code,
        coalesce(r.n_registered, 0)::bigint as n_registered,
        coalesce(hc.n_visited, 0)::bigint as n_visited,
        coalesce(hc.n_door, 0)::bigint as n_door,
        (coalesce(hc.n_visited, 0) - coalesce(hc.n_door, 0))::bigint as n_phone,
        coalesce(hc.n_unreached, 0)::bigint as n_unreached,
        (coalesce(r.n_registered, 0) - coalesce(hc.n_attempted, 0))::bigint as n_not_attempted,
        coalesce(vc.n_attempts, 0)::bigint as n_attempts,
        coalesce(vc.n_attempts_door, 0)::bigint as n_attempts_door,
        coalesce(vc.n_attempts_phone, 0)::bigint as n_attempts_phone,
        coalesce(vc.n_attempts_unreached, 0)::bigint as n_attempts_unreached,
        coalesce(vc.n_problems_reported, 0)::bigint as n_problems_reported,
        coalesce(vc.n_visit_days, 0)::bigint as n_visit_days,
        vc.first_visit_on,
        vc.last_visit_on
    from grid_rounds as gr
    left join registered as r on r.grid_code = gr.grid_code
    left join household_counts as hc on hc.round = gr.round and hc.grid_code = gr.grid_code
    left join visit_counts as vc on vc.round = gr.round and vc.grid_code = gr.grid_code
)

select * from final
order by round, grid_code;
