-- Build step 16: callback records (回访记录) -> clean `callbacks`.
-- Grain: one row per callback_id.

create or replace temp view stg_callbacks as
select *, row(household_id, case_id, called_at, caller, outcome, comment) as _parsed
from (
    select r._file, r._sheet, r._row, r._rid,
        trim(r.callback_id) as _key,
        trim(r.callback_id) as callback_id,
        wv_code(r.household_id) as household_id,
        trim(r.case_id) as case_id,
        r.called_at as called_at_raw, wv_ts(r.called_at) as called_at,
        r.caller,
        r.outcome as outcome_raw, wv_enum('outcome', r.outcome) as outcome,
        r.comment
    from raw_callbacks r
);

create or replace temp table chk_callbacks as
select b.*, h.grid_code,
    case
        when b._state in ('same', 'superseded') then '~' || b._state
        when b._state = 'duplicate' then 'duplicate_key'
        when b.callback_id is null or b.household_id is null or b.called_at_raw is null
            or b.caller is null or b.outcome_raw is null then 'missing_required'
        when b.called_at is null then 'bad_date'
        when b.outcome is null then 'bad_enum'
        when h.household_id is null then 'unknown_household'
        when b.case_id is not null and c.case_id is null then 'unknown_case'
    end as _rule
from wv_resolve('stg_callbacks') b
left join households h on h.household_id = b.household_id
left join cases c on c.case_id = b.case_id;

insert into rejects_acc
select 'callbacks', c._file, c._sheet, c._row, c._rule,
    json_merge_patch(to_json(r), '{"_rid": null, "_odd": null}')
from chk_callbacks c join raw_callbacks r on r._rid = c._rid where c._rule is not null and c._rule not like '~%';

insert into superseded_acc
select distinct 'callbacks', _key, _file, _winner_file from chk_callbacks
where _state = 'superseded';

create table callbacks as
select callback_id, household_id, grid_code, left(grid_code, 12) as village_code,
    left(grid_code, 9) as township_code, case_id, called_at, caller, outcome, comment
from chk_callbacks where _rule is null
order by callback_id;
