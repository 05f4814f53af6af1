-- Build step 17: the petition register (信访登记) -> clean `petitions`.
-- Grain: one row per petition_id.

create or replace temp view stg_petitions as
select *, row(registered_on, township_code, channel, category, persons, is_repeat) as _parsed
from (
    select r._file, r._sheet, r._row, r._rid,
        trim(r.petition_id) as _key,
        trim(r.petition_id) as petition_id,
        r.registered_on as registered_on_raw, wv_date(r.registered_on) as registered_on,
        wv_code(r.township_code) as township_code,
        r.channel as channel_raw, wv_enum('channel', r.channel) as channel,
        r.category,
        r.persons as persons_raw, coalesce(wv_int(r.persons), case when r.persons is null then 1 end)
            as persons,
        r.repeat as repeat_raw,
        case wv_enum('yes_no', r.repeat) when '是' then true when '否' then false end as is_repeat
    from raw_petitions r
);

create or replace temp table chk_petitions as
select p.*,
    case
        when p._state in ('same', 'superseded') then '~' || p._state
        when p._state = 'duplicate' then 'duplicate_key'
        when p.petition_id is null or p.registered_on_raw is null or p.township_code is null
            or p.channel_raw is null then 'missing_required'
        when p.registered_on is null then 'bad_date'
        when not regexp_full_match(p.township_code, '[0-9]{9}') then 'bad_code'
        when p.channel is null or (p.repeat_raw is not null and p.is_repeat is null) then 'bad_enum'
        when p.persons is null or p.persons < 1 then 'bad_number'
        when t.township_code is null then 'unknown_township'
    end as _rule
from wv_resolve('stg_petitions') p
left join townships t on t.township_code = p.township_code;

insert into rejects_acc
select 'petitions', c._file, c._sheet, c._row, c._rule,
    json_merge_patch(to_json(r), '{"_rid": null, "_odd": null}')
from chk_petitions c join raw_petitions r on r._rid = c._rid where c._rule is not null and c._rule not like '~%';

insert into superseded_acc
select distinct 'petitions', _key, _file, _winner_file from chk_petitions
where _state = 'superseded';

create table petitions as
select petition_id, registered_on, township_code, channel, category, persons, is_repeat
from chk_petitions where _rule is null
order by petition_id;
