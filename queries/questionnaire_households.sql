-- Which households in a scope gave a chosen answer to a question in a round? The households
-- whose last 入户/电话 visit of the round (by 走访日期, then 走访编号; METRICS.md) answered $item
-- with $answer, with that visit; personal data columns (head_name, phone, address) are masked
-- by the query layer for the viewer's role.
-- Parameters: $quarter (round); $scope ('' or a township / village / grid code); $item
-- ('M1Q1'); $answer ('A', '否', '差', …); $limit (most rows returned).
-- Grain: one row per household, by grid then household code; n_total is the number of such
-- households before the limit. Reads: visits, visit_answers_wide (the build's wide form of
-- visit_answers), households, grids.
with

answering_visits as (
    select visit_id, household_id, grid_code, visit_on, method, visitor
    from visits
    where round = $quarter
        and method in ('入户', '电话')
        and starts_with(grid_code, $scope)
),

last_visits as (
    select *
    from answering_visits
    qualify row_number() over (
        partition by household_id order by visit_on desc, visit_id desc
    ) = 1
),

their_answers as (
    -- those visits' answers, from the build's wide form (one column per item) narrowed to the
    -- visits first: unpivoting every visit's answers (the visit_answers view) and filtering
    -- after is several times slower at district scale. The NULL column keeps the unpivot valid
    -- when there are no item columns; NULLs (blanks) give no rows.
    unpivot (
        select w.*, null::varchar as _none
        from visit_answers_wide as w
        where w.visit_id in (select visit_id from last_visits)
    )
    on columns(* exclude (visit_id))
    into name item_code value answer
),

answered as (
    select l.*
    from last_visits as l
    semi join their_answers as a
        on a.visit_id = l.visit_id and a.item_code = $item and a.answer = $answer
),

final as (
    select
        a.household_id,
        a.grid_code,
        coalesce(g.grid_name, a.grid_code) as grid_name,
        h.head_name,
        h.phone,
        h.address,
        h.status,
        a.visit_id,
        a.visit_on,
        a.method,
        a.visitor,
        count(*) over () as n_total
    from answered as a
    join households as h on h.household_id = a.household_id
    left join grids as g on g.grid_code = a.grid_code
)

select * from final
order by grid_code, household_id
limit $limit
