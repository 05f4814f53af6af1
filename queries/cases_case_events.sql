-- Every event of one case, in order (问题办理: a case's timeline). Events after the as-of moment
-- are listed too and marked is_after_as_of, so a rewound view shows what happened next.
-- Parameters: $case_id, $scope, $as_of.
with
the_case as (
    select c.case_id
    from cases as c
    where c.case_id = $case_id and starts_with(c.grid_code, $scope)
),

final as (
    select
        e.event_seq,
        e.at as event_at,
        e.action,
        e.level,
        e.unit,
        e.note,
        e.at > cast($as_of as timestamp) as is_after_as_of
    from case_events as e
    inner join the_case as c on e.case_id = c.case_id
)

select * from final
order by event_seq
