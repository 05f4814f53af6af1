-- What was each case on a call list about (回访名单, 满意度)? One row per case id in $case_ids:
-- category, title, handling unit, received and resolved times, place names.
-- Parameters: $case_ids (VARCHAR[]).
select
    c.case_id,
    c.category,
    c.title,
    c.complexity,
    c.handling_unit,
    c.received_at,
    c.resolved_at,
    c.grid_code,
    v.village_name,
    t.township_name
from (select distinct unnest(cast($case_ids as varchar[])) as case_id) as wanted
inner join cases as c on wanted.case_id = c.case_id
left join villages as v on c.village_code = v.village_code
left join townships as t on c.township_code = t.township_code
order by c.case_id
