-- Build step 15: case flow records (流转记录) -> clean `case_events`.
-- Grain: one row per (case_id, event_seq); event_seq numbers a case's steps by time, then by
-- file and row. Events carry no key: an identical step exported in several files collapses to
-- the copy in the file whose name sorts last; within one file every row is its own step.

create or replace temp view stg_events as
select r._file, r._sheet, r._row, r._rid,
    trim(r.case_id) as case_id,
    r.at as at_raw, wv_ts(r.at) as "at",
    r.action as action_raw, wv_enum('action', r.action) as action,
    r.level as level_raw, wv_enum('level', r.level) as level,
    r.unit, r.note
from raw_case_events r;

create or replace temp table chk_events as
select e.*,
    case
        when e.case_id is null or e.at_raw is null or e.action_raw is null or e.level_raw is null
            then 'missing_required'
        when e."at" is null then 'bad_date'
        when e.action is null or e.level is null then 'bad_enum'
        when c.case_id is null then 'unknown_case'
    end as _rule
from stg_events e
left join cases c on c.case_id = e.case_id;

insert into rejects_acc
select 'case_events', c._file, c._sheet, c._row, c._rule,
    json_merge_patch(to_json(r), '{"_rid": null, "_odd": null}')
from chk_events c join raw_case_events r on r._rid = c._rid where c._rule is not null;

create table case_events as
with ok as (
    select *,
        max(_file) over (partition by case_id, "at", action, level, unit, note) as _last_file
    from chk_events where _rule is null
)
select case_id,
    cast(row_number() over (partition by case_id order by "at", _file, _sheet, _row) as integer)
        as event_seq,
    "at", action, level, unit, note
from ok
where _file = _last_file
order by case_id, event_seq;
