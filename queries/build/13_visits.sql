-- Build step 13: visit records (走访记录) -> clean `visit_rows` (one row per visit_id: one
-- attempt, with its checked answers packed; declared by step 12_visit_rows) and the view
-- `visits` over it.
-- Reads raw_visits_checked: the raw rows with the item columns replaced by the packed checked
-- answers (NULL when blank or outside the item's options). The loader (warmvisits/build.py)
-- writes that view, since only it knows the menu's items; the raw cells stay in raw_visits,
-- for the rejects.

-- the staged rows: raw_visits already carries the parsed values (s_* columns, build step 05
-- applied them while the files loaded), so this view only names them for wv_resolve
create or replace temp view stg_visits_parsed as
select _rid, _file, _sheet, _row, visit_id as _key, visit_id, round as round_raw,
    s_round as round, coalesce(s_household_id, household_id) as household_id,
    coalesce(s_grid_code, grid_code) as grid_code, visit_date as visit_date_raw,
    s_visit_on as visit_on, method as method_raw, s_method as method, visitor,
    form_version as form_version_raw, s_form_version as form_version,
    -- the answers count too: a later file that changes only answers supersedes the row. They
    -- are compared as loaded (an exact answer, or its text in _odd); the NULL column M0Q0
    -- keeps the list valid for an export without item columns
    row(s_round, coalesce(s_household_id, household_id), coalesce(s_grid_code, grid_code),
        s_visit_on, s_method, visitor, s_form_version, problems_raised, _odd,
        *columns('^M[0-9]+Q[0-9]+$')) as _parsed
from (select *, null::answer_value as M0Q0 from raw_visits);

-- one narrow row per staged row that does not make a clean visit: the rule it breaks, or its
-- state when an other file's row stands for its key ('~same', '~superseded'). The values stay
-- in raw_visits, so they are not copied once more; the clean rows (nearly all) are the others.
create or replace temp table chk_visits as
select _rid, _state, _rule, _file, _sheet, _row, _key, _winner_file
from (
    select v._rid, v._file, v._sheet, v._row, v._key, v._state, v._winner_file,
        case
            when v._state in ('same', 'superseded') then '~' || v._state
            when v._state = 'duplicate' then 'duplicate_key'
            when v.visit_id is null or v.round_raw is null or v.household_id is null
                or v.grid_code is null or v.visit_date_raw is null or v.method_raw is null
                or v.visitor is null then 'missing_required'
            when v.round is null then 'bad_round'
            -- a visit that matches a clean household and its grid has well-formed codes (step
            -- 11 checked them), so the patterns run only on the few rows that do not
            when (h.household_id is null or h.grid_code <> v.grid_code)
                and (not regexp_full_match(v.household_id, '[0-9]{15}-[0-9]{4}')
                    or not regexp_full_match(v.grid_code, '[0-9]{15}')) then 'bad_code'
            when v.visit_on is null then 'bad_date'
            when v.method is null or (v.form_version_raw is not null and v.form_version is null)
                then 'bad_enum'
            when h.household_id is null then 'unknown_household'
            when h.grid_code <> v.grid_code then 'visit_grid_mismatch'
        end as _rule
    from wv_resolve('stg_visits_parsed') v
    left join households h on h.household_id = v.household_id
)
where _rule is not null;

insert into rejects_acc
select 'visits', c._file, c._sheet, c._row, c._rule,
    -- the item cells as exported: odd ones from _odd, the others are their exact spelling
    json_merge_patch(
        json_merge_patch(to_json(r), coalesce(to_json(wv_odd_map(r._odd)), '{}')),
        '{"_rid": null, "_odd": null}'
    )
from chk_visits c
join (select * exclude (s_round, s_household_id, s_grid_code, s_visit_on, s_method,
        s_form_version) from raw_visits) r on r._rid = c._rid
where c._rule not like '~%';

insert into superseded_acc
select distinct 'visits', _key, _file, _winner_file from chk_visits where _state = 'superseded';

-- the clean visits, in the shape build step 12_visit_rows declares (writing the 26 answer
-- columns one by one, the household codes and the five low-cardinality strings took longer
-- than the rest of the table). A clean visit's household code is its grid code, '-' and four
-- digits: the household is a clean one (step 11 checked its code's pattern and that it starts
-- with its grid's code) in the visit's grid.
insert into visit_rows by name
select s.visit_id, s.s_round as round,
    right(coalesce(s.s_household_id, s.household_id), 4)::usmallint as household_no,
    coalesce(s.s_grid_code, s.grid_code) as grid_code, s.s_visit_on as visit_on,
    s.s_method as method, s.visitor, s.s_form_version as form_version, s.problems_raised,
    s.* exclude (_file, _sheet, _row, _rid, visit_id, round, household_id, grid_code,
        visit_date, method, visitor, form_version, problems_raised, s_round, s_household_id,
        s_grid_code, s_visit_on, s_method, s_form_version)
from raw_visits_checked s
anti join chk_visits b on b._rid = s._rid;

drop view stg_visits_parsed;
drop table chk_visits;

-- the clean visits, one row per visit_id, as every query reads them. The answers are read
-- through the views visit_answers_wide (one answer_value column per item) and visit_answers
-- (long form), which the loader writes after this step (warmvisits/build.py _answer_views).
create view visits as
select visit_id, round, grid_code || '-' || lpad(household_no::varchar, 4, '0') as household_id,
    grid_code, left(grid_code, 12) as village_code,
    left(grid_code, 9) as township_code, visit_on, method::varchar as method, visitor,
    form_version::varchar as form_version, problems_raised
from visit_rows;
