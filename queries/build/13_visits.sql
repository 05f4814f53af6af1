-- Build step 13: visit records (走访记录) -> clean `visits` and `visit_answers_wide`.
-- Grain of visits: one row per visit_id (one attempt). The answer columns stay in raw_visits
-- as exported; the loader (warmvisits/build.py) checks them against the clean menu.

create or replace temp view stg_visits as
select *, row(round, household_id, grid_code, visit_on, method, visitor, form_version,
              problems_raised) as _parsed
from (
    select r._file, r._sheet, r._row, r._rid,
        trim(r.visit_id) as _key,
        trim(r.visit_id) as visit_id,
        r.round as round_raw, wv_round(r.round) as round,
        wv_code(r.household_id) as household_id,
        wv_code(r.grid_code) as grid_code,
        r.visit_date as visit_date_raw, wv_date(r.visit_date) as visit_on,
        r.method as method_raw, wv_enum('method', r.method) as method,
        r.visitor,
        r.form_version as form_version_raw,
        wv_enum('visit_form_version', r.form_version) as form_version,
        r.problems_raised
    from raw_visits r
);

create or replace temp table chk_visits as
select v.*,
    case
        when v._state in ('same', 'superseded') then '~' || v._state
        when v._state = 'duplicate' then 'duplicate_key'
        when v.visit_id is null or v.round_raw is null or v.household_id is null
            or v.grid_code is null or v.visit_date_raw is null or v.method_raw is null
            or v.visitor is null then 'missing_required'
        when v.round is null then 'bad_round'
        when not regexp_full_match(v.household_id, '[0-9]{15}-[0-9]{4}')
            or not regexp_full_match(v.grid_code, '[0-9]{15}') then 'bad_code'
        when v.visit_on is null then 'bad_date'
        when v.method is null or (v.form_version_raw is not null and v.form_version is null)
            then 'bad_enum'
        when h.household_id is null then 'unknown_household'
        when h.grid_code <> v.grid_code then 'visit_grid_mismatch'
    end as _rule
from wv_resolve('stg_visits') v
left join households h on h.household_id = v.household_id;

insert into rejects_acc
select 'visits', c._file, c._sheet, c._row, c._rule,
    json_merge_patch(to_json(r), '{"_rid": null}')
from chk_visits c join raw_visits r on r._rid = c._rid where c._rule is not null and c._rule not like '~%';

insert into superseded_acc
select distinct 'visits', _key, _file, _winner_file from chk_visits where _state = 'superseded';

create table visits as
select visit_id, round, household_id, grid_code, left(grid_code, 12) as village_code,
    left(grid_code, 9) as township_code, visit_on, method, visitor, form_version,
    problems_raised
from chk_visits where _rule is null;

-- visit_answers_wide (one column per menu item, checked answers only) and the view
-- visit_answers are written next by the loader, which knows the menu's items (build.py).
