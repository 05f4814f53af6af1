-- Build step 12: the questionnaire menu (问卷题目) -> clean `menu`.
-- Grain: one row per item_code (M<theme>Q<question>).

create or replace temp view stg_menu as
select *, row(theme, question, form_version, answer_type, department, unfavourable) as _parsed
from (
    select r._file, r._sheet, r._row, r._rid,
        upper(trim(r.item_code)) as _key,
        upper(trim(r.item_code)) as item_code,
        r.theme, r.question,
        r.form_version as form_version_raw,
        wv_enum('menu_form_version', r.form_version) as form_version,
        r.answer_type as answer_type_raw,
        wv_enum('answer_type', r.answer_type) as answer_type,
        r.department,
        wv_list(r.unfavourable) as unfavourable_raw,
        list_transform(wv_list(r.unfavourable), lambda x: coalesce(wv_answer(x), x))
            as unfavourable
    from raw_menu r
);

create or replace temp table chk_menu as
select *,
    case answer_type
        when '选择' then ['A', 'B', 'C', 'D']
        when '是否' then ['是', '否']
        when '好坏' then ['好', '一般', '差']
    end as options,
    case
        when _state in ('same', 'superseded') then '~' || _state
        when _state = 'duplicate' then 'duplicate_key'
        when item_code is null or theme is null or question is null
            or form_version_raw is null or answer_type_raw is null then 'missing_required'
        -- theme and question numbers are integers (a code like M99999999999Q1 is not one)
        when not regexp_full_match(item_code, 'M[0-9]{1,9}Q[0-9]{1,9}') then 'bad_code'
        when form_version is null or answer_type is null then 'bad_enum'
    end as _rule
from wv_resolve('stg_menu');

-- unfavourable answers must be among the item's options
update chk_menu set _rule = 'bad_enum'
where _rule is null and not list_has_all(options, unfavourable);

insert into rejects_acc
select 'menu', c._file, c._sheet, c._row, c._rule,
    json_merge_patch(to_json(r), '{"_rid": null, "_odd": null}')
from chk_menu c join raw_menu r on r._rid = c._rid where c._rule is not null and c._rule not like '~%';

insert into superseded_acc
select distinct 'menu', _key, _file, _winner_file from chk_menu where _state = 'superseded';

create table menu as
select item_code,
    cast(regexp_extract(item_code, '^M([0-9]+)', 1) as integer) as theme_no,
    cast(regexp_extract(item_code, 'Q([0-9]+)$', 1) as integer) as question_no,
    theme, question, form_version, answer_type, department, unfavourable, options
from chk_menu where _rule is null
order by theme_no, question_no, item_code;
