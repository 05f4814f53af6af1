-- Build step 10: the grid register (网格台账) -> clean `grids`, `villages`, `townships`.
-- Grain of grids: one row per grid_code. Villages and townships are derived from it.

create or replace temp view stg_grids as
select *, row(township_code, township_name, township_type, village_code, village_name,
              village_type, grid_name, leader_name, leader_phone, lon, lat, boundary_wkt) as _parsed
from (
    select r._file, r._sheet, r._row, r._rid,
        wv_code(r.grid_code) as _key,
        wv_code(r.township_code) as township_code,
        r.township_name,
        r.township_type as township_type_raw,
        wv_enum('township_type', r.township_type) as township_type,
        wv_code(r.village_code) as village_code,
        r.village_name,
        r.village_type as village_type_raw,
        wv_enum('village_type', r.village_type) as village_type,
        wv_code(r.grid_code) as grid_code,
        r.grid_name,
        r.leader_name,
        wv_code(r.leader_phone) as leader_phone,
        r.lon as lon_raw, try_cast(r.lon as double) as lon,
        r.lat as lat_raw, try_cast(r.lat as double) as lat,
        r.boundary_wkt
    from raw_grids r
);

create or replace temp table chk_grids as
select *,
    case
        when _state in ('same', 'superseded') then '~' || _state
        when township_code is null or township_name is null or village_code is null
            or village_name is null or village_type_raw is null or grid_code is null
            or leader_name is null then 'missing_required'
        when not regexp_full_match(township_code, '[0-9]{9}')
            or not regexp_full_match(village_code, '[0-9]{12}')
            or not starts_with(village_code, township_code)
            or not regexp_full_match(grid_code, '[0-9]{15}')
            or not starts_with(grid_code, village_code) then 'bad_code'
        when (township_type_raw is not null and township_type is null)
            or village_type is null then 'bad_enum'
        when (lon_raw is not null and (lon is null or lon not between -180 and 180))
            or (lat_raw is not null and (lat is null or lat not between -90 and 90)) then 'bad_number'
        when boundary_wkt is not null
            and not regexp_matches(upper(boundary_wkt), '^\s*POLYGON\s*\(\(') then 'bad_boundary'
    end as _rule
from wv_resolve('stg_grids');

update chk_grids set _rule = 'duplicate_key' where _state = 'duplicate';

-- a township or village code must carry one name and type: the first row seen sets it
create or replace temp table place_first as
select distinct on (village_code) village_code, village_name, village_type, township_code
from chk_grids where _rule is null order by village_code, _file, _sheet, _row;

create or replace temp table township_first as
select distinct on (township_code) township_code, township_name, township_type
from chk_grids where _rule is null order by township_code, _file, _sheet, _row;

update chk_grids c set _rule = 'place_name_conflict'
from place_first p, township_first t
where c._rule is null and p.village_code = c.village_code and t.township_code = c.township_code
  and (p.village_name <> c.village_name or p.village_type <> c.village_type
       or t.township_name <> c.township_name
       or t.township_type is distinct from c.township_type);

insert into rejects_acc
select 'grids', c._file, c._sheet, c._row, c._rule,
    json_merge_patch(to_json(r), '{"_rid": null, "_odd": null}')
from chk_grids c join raw_grids r on r._rid = c._rid where c._rule is not null and c._rule not like '~%';

insert into superseded_acc
select distinct 'grids', _key, _file, _winner_file from chk_grids where _state = 'superseded';

insert into warnings_acc
select 'grids', _file, _sheet, _row, 'bad_phone', '网格员电话=' || leader_phone
from chk_grids where _rule is null and leader_phone is not null and not wv_phone_ok(leader_phone);

create table townships as
select distinct on (township_code) township_code, township_name, township_type
from chk_grids where _rule is null order by township_code, _file, _sheet, _row;

create table villages as
select distinct on (village_code) village_code, village_name, village_type, township_code
from chk_grids where _rule is null order by village_code, _file, _sheet, _row;

create table grids as
select grid_code, grid_name, village_code, township_code, leader_name, leader_phone,
    lon, lat, boundary_wkt
from chk_grids where _rule is null
order by grid_code;
