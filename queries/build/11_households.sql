-- Build step 11: the household register (住户台账) -> clean `households`.
-- Grain: one row per household_id. References: grid_code must be a clean grid.

-- the parsed cells, materialised: wv_resolve reads them three times, and parsing is the
-- costly part. The comparison row (_parsed) is a view over them: wv_resolve reads it only for
-- keys that repeat, and writing it beside every row took longer than the parsing
create or replace temp table stg_households_cells as
select *
from (
    select r._file, r._sheet, r._row, r._rid,
        wv_code(r.household_id) as _key,
        wv_code(r.household_id) as household_id,
        wv_code(r.grid_code) as grid_code,
        r.head_name,
        wv_code(r.phone) as phone,
        r.address,
        r.members as members_raw, wv_int(r.members) as members,
        wv_list(r.tags) as tags,
        r.status as status_raw,
        coalesce(wv_enum('household_status', r.status), case when r.status is null then '在册' end)
            as status
    from raw_households r
);

create or replace temp view stg_households as
select *, row(grid_code, head_name, phone, address, members, tags, status) as _parsed
from stg_households_cells;

create or replace temp table chk_households as
select h.*,
    case
        when h._state in ('same', 'superseded') then '~' || h._state
        when h._state = 'duplicate' then 'duplicate_key'
        when h.household_id is null or h.grid_code is null or h.head_name is null
            then 'missing_required'
        when not regexp_full_match(h.household_id, '[0-9]{15}-[0-9]{4}')
            or not regexp_full_match(h.grid_code, '[0-9]{15}') then 'bad_code'
        when h.status is null then 'bad_enum'
        when h.members_raw is not null and (h.members is null or h.members < 1) then 'bad_number'
        when g.grid_code is null then 'unknown_grid'
        when not starts_with(h.household_id, h.grid_code || '-') then 'household_grid_mismatch'
    end as _rule
from wv_resolve('stg_households') h
left join grids g on g.grid_code = h.grid_code;

insert into rejects_acc
select 'households', c._file, c._sheet, c._row, c._rule,
    json_merge_patch(to_json(r), '{"_rid": null, "_odd": null}')
from chk_households c join raw_households r on r._rid = c._rid where c._rule is not null and c._rule not like '~%';

insert into superseded_acc
select distinct 'households', _key, _file, _winner_file from chk_households
where _state = 'superseded';

insert into warnings_acc
select 'households', _file, _sheet, _row, 'bad_phone', '联系电话=' || phone
from chk_households where _rule is null and phone is not null and not wv_phone_ok(phone);

create table households as
select household_id, grid_code, left(grid_code, 12) as village_code,
    left(grid_code, 9) as township_code, head_name, phone, address, members, tags, status
from chk_households where _rule is null
order by household_id;

drop view stg_households;
drop table stg_households_cells;
