-- Build step 14: the case ledger (事项台账) -> clean `cases`, and `case_links` (each clean
-- case's links to visits, as exported) for build step 18, which keeps the links to loaded
-- visits as `case_visits`. Grain of cases: one row per case_id.
-- Runs beside the visit steps (warmvisits/build.py): it reads no visit.

-- the parsed cells, materialised: wv_resolve reads them three times, and parsing is the
-- costly part. The comparison row (_parsed) is a view over them, as for households (step 11)
create or replace temp table stg_cases_cells as
select *
from (
    -- the deadline: as exported, else received_at + 30 days (复杂) or 7 days (一般). A plain
    -- projection, not a lateral join: decorrelating one deduplicated every staged row
    select *, coalesce(due_at_given, received_at + to_days(
        case complexity when '复杂' then 30 else 7 end)) as due_at
    from (
        select r._file, r._sheet, r._row, r._rid,
            trim(r.case_id) as _key,
            trim(r.case_id) as case_id,
            r.source as source_raw, wv_enum('case_source', r.source) as source,
            list_transform(wv_list(r.visit_ids), lambda x: x) as visit_ids,
            wv_code(r.grid_code) as grid_code,
            r.category, r.title,
            r.complexity as complexity_raw, wv_enum('complexity', r.complexity) as complexity,
            r.received_at as received_at_raw, wv_ts(r.received_at) as received_at,
            r.due_at as due_at_raw, wv_ts(r.due_at) as due_at_given,
            r.status as status_raw, wv_enum('case_status', r.status) as status,
            r.current_level as current_level_raw,
            wv_enum('level', r.current_level) as current_level,
            r.handling_unit,
            r.resolved_at as resolved_at_raw, wv_ts(r.resolved_at) as resolved_at
        from raw_cases r
    )
);

create or replace temp view stg_cases as
select *, row(source, visit_ids, grid_code, category, title, complexity, received_at, due_at,
              status, current_level, handling_unit, resolved_at) as _parsed
from stg_cases_cells;

create or replace temp table chk_cases as
select c.*,
    case
        when c._state in ('same', 'superseded') then '~' || c._state
        when c._state = 'duplicate' then 'duplicate_key'
        when c.case_id is null or c.source_raw is null or c.grid_code is null
            or c.category is null or c.complexity_raw is null or c.received_at_raw is null
            or c.status_raw is null or c.current_level_raw is null then 'missing_required'
        when not regexp_full_match(c.grid_code, '[0-9]{15}') then 'bad_code'
        when c.source is null or c.complexity is null or c.status is null
            or c.current_level is null then 'bad_enum'
        when c.received_at is null or (c.due_at_raw is not null and c.due_at_given is null)
            or (c.resolved_at_raw is not null and c.resolved_at is null) then 'bad_date'
        when g.grid_code is null then 'unknown_grid'
        when c.status = '已办结' and c.resolved_at is null then 'resolved_without_time'
        when c.status <> '已办结' and c.resolved_at is not null then 'resolved_time_not_resolved'
        when c.resolved_at < c.received_at then 'resolved_before_received'
        when c.due_at < c.received_at then 'due_before_received'
    end as _rule
from wv_resolve('stg_cases') c
left join grids g on g.grid_code = c.grid_code;

insert into rejects_acc
select 'cases', c._file, c._sheet, c._row, c._rule,
    json_merge_patch(to_json(r), '{"_rid": null, "_odd": null}')
from chk_cases c join raw_cases r on r._rid = c._rid where c._rule is not null and c._rule not like '~%';

insert into superseded_acc
select distinct 'cases', _key, _file, _winner_file from chk_cases where _state = 'superseded';

create table cases as
select case_id, source, grid_code, left(grid_code, 12) as village_code,
    left(grid_code, 9) as township_code, category, title, complexity, received_at, due_at,
    status, current_level, handling_unit, resolved_at
from chk_cases where _rule is null
order by case_id;

-- not temporary: build step 18 reads it on the build's main connection (this step runs on
-- another, and a temporary table is seen only by the connection that made it); step 18
-- drops it
create or replace table case_links as
select c.case_id, c._file, c._sheet, c._row, unnest(c.visit_ids) as visit_id
from chk_cases c where c._rule is null;

drop view stg_cases;
drop table stg_cases_cells;
