-- One case's facts and its state at the as-of moment (问题办理: the header of a case's timeline).
-- One row (none when the case is unknown or outside the scope). State at t as in
-- cases_open_list.sql: is_open, level, light; resolved cases carry days_to_resolve and
-- is_on_time. closed_not_solved: resolved by t and its latest answered callback (outcome other
-- than 未接通) at or before t came back 不满意 (已办结未解决).
-- Parameters: $case_id, $scope, $as_of, $yellow_share (0.25).
with
params as (
    select cast($as_of as timestamp) as t, cast($yellow_share as double) as yellow_share
),

the_case as (
    select c.*, p.t, p.yellow_share
    from cases as c
    cross join params as p
    where c.case_id = $case_id and starts_with(c.grid_code, $scope)
),

level_at as (
    select s.level, s.level_no
    from mart_case_stints as s
    inner join the_case as c
        on
            s.case_id = c.case_id
            and s.entered_at <= c.t
            and (s.next_entered_at is null or s.next_entered_at > c.t)
),

last_callback as (
    select arg_max(b.outcome, b.called_at) as last_outcome, max(b.called_at) as last_called_at
    from callbacks as b
    inner join the_case as c on b.case_id = c.case_id
    where b.outcome <> '未接通' and b.called_at <= c.t
),

final as (
    select
        c.case_id,
        c.source,
        c.township_code,
        tw.township_name,
        c.village_code,
        v.village_name,
        c.grid_code,
        g.grid_name,
        c.category,
        c.title,
        c.complexity,
        c.handling_unit,
        c.status as exported_status,
        c.current_level as exported_level,
        c.received_at,
        c.due_at,
        c.resolved_at,
        c.received_at <= c.t as is_received,
        c.received_at <= c.t and (c.resolved_at is null or c.resolved_at > c.t) as is_open,
        c.resolved_at is not null and c.resolved_at <= c.t as is_resolved,
        l.level,
        case
            when not (c.received_at <= c.t and (c.resolved_at is null or c.resolved_at > c.t))
                then null
            when c.t > c.due_at then 'red'
            when
                epoch(c.due_at) - epoch(c.t)
                < c.yellow_share * (epoch(c.due_at) - epoch(c.received_at))
                then 'yellow'
            else 'green'
        end as light,
        case
            when c.resolved_at <= c.t
                then (epoch(c.resolved_at) - epoch(c.received_at)) / 86400.0
        end as days_to_resolve,
        case when c.resolved_at <= c.t then c.resolved_at <= c.due_at end as is_on_time,
        lc.last_outcome as callback_outcome,
        coalesce(c.resolved_at <= c.t and lc.last_outcome = '不满意', false)
            as closed_not_solved
    from the_case as c
    left join level_at as l on true
    left join last_callback as lc on true
    left join townships as tw on c.township_code = tw.township_code
    left join villages as v on c.village_code = v.village_code
    left join grids as g on c.grid_code = g.grid_code
)

select * from final
