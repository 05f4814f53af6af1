-- How long one case sat at each level, up to the as-of moment (问题办理: a case's timeline).
-- One row per stint (a run of events at one level, mart_case_stints), clipped at t: left_at is
-- when it moved on or was resolved, or t when it was still there (is_current); days is the
-- stint's length in days up to t. Stints that began after t are not listed.
-- Parameters: $case_id, $scope, $as_of.
with
params as (
    select cast($as_of as timestamp) as t
),

the_case as (
    select c.case_id
    from cases as c
    where c.case_id = $case_id and starts_with(c.grid_code, $scope)
),

final as (
    select
        s.stint_no,
        s.level,
        s.level_no,
        s.first_action,
        s.first_unit as unit,
        s.entered_at,
        least(coalesce(s.left_at, p.t), p.t) as left_at,
        s.left_at is null or s.left_at > p.t as is_current,
        greatest(
            0.0, (epoch(least(coalesce(s.left_at, p.t), p.t)) - epoch(s.entered_at)) / 86400.0
        ) as days
    from mart_case_stints as s
    inner join the_case as c on s.case_id = c.case_id
    cross join params as p
    where s.entered_at <= p.t
)

select * from final
order by stint_no
