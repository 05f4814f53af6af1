-- Which grids' visit records look implausible in round $quarter, and why? One row per flagged
-- grid in scope $scope, with one boolean per reason and the figures behind it:
--   is_one_day        every visit of the round on a single day, with at least $min_visits visits
--   is_high_door      door share (households visited at the door ÷ visited) at or above
--                     $high_door, with at least $min_visits households visited
--   is_outside_window at least $outside_share of the grid's visits fall outside the round's
--                     field window; the window is the central $window_share of all the round's
--                     visit dates district-wide (from the (1 − share)/2 to the (1 + share)/2
--                     quantile), so it follows each round's real dates
-- Reads visits, mart_grid_round_coverage, grids. Parameters: $quarter ('2023Q1'), $scope (code
-- prefix), $min_visits (integer), $high_door (0–1), $window_share (0–1), $outside_share (0–1).
with
round_window as (
    select
        quantile_disc(visit_on, (1 - $window_share) / 2) as window_start,
        quantile_disc(visit_on, (1 + $window_share) / 2) as window_end
    from visits
    where round = $quarter
),

grid_visits as (
    select
        v.grid_code,
        count(*) as n_attempts,
        count(*) filter (where v.visit_on < w.window_start or v.visit_on > w.window_end)
            as n_outside,
        count(distinct v.visit_on) as n_days,
        min(v.visit_on) as first_visit_on,
        max(v.visit_on) as last_visit_on
    from visits as v
    cross join round_window as w
    where v.round = $quarter and starts_with(v.grid_code, $scope)
    group by v.grid_code
),

judged as (
    select
        gv.*,
        w.window_start,
        w.window_end,
        c.n_visited,
        c.n_door,
        c.n_door / nullif(c.n_visited, 0) as door_share,
        gv.n_outside / gv.n_attempts as outside_share,
        gv.n_days = 1 and gv.n_attempts >= $min_visits as is_one_day,
        coalesce(c.n_visited >= $min_visits and c.n_door / c.n_visited >= $high_door, false)
            as is_high_door,
        gv.n_outside > 0 and gv.n_outside / gv.n_attempts >= $outside_share as is_outside_window
    from grid_visits as gv
    cross join round_window as w
    left join mart_grid_round_coverage as c
        on c.grid_code = gv.grid_code and c.round = $quarter
),

final as (
    select
        j.grid_code,
        coalesce(g.grid_name, g.grid_code) as grid_name,
        vl.village_name,
        t.township_name,
        g.leader_name,
        j.is_one_day,
        j.is_high_door,
        j.is_outside_window,
        j.n_attempts,
        j.n_days,
        j.first_visit_on,
        j.last_visit_on,
        j.n_visited,
        j.door_share,
        j.n_outside,
        j.outside_share,
        j.window_start,
        j.window_end
    from judged as j
    join grids as g on g.grid_code = j.grid_code
    left join villages as vl on vl.village_code = g.village_code
    left join townships as t on t.township_code = g.township_code
    where j.is_one_day or j.is_high_door or j.is_outside_window
)

select * from final
order by grid_code
