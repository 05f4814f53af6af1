-- Build step 0: macros every staging model uses to read text cells, and the bookkeeping tables.
-- Raw tables (raw_<kind>) are loaded by warmvisits/build.py before this runs: every cell is
-- text, with _file, _sheet and _row (the row a person sees in Excel / the CSV line number).

-- enumeration value -> comparable form (the Python side uses the same rule for its aliases)
create or replace temp macro wv_norm(s) as regexp_replace(lower(trim(s)), '[\s_]+', ' ', 'g');

-- wv_enum(domain, s): an accepted enumeration spelling (Chinese value or English alias) -> its
-- Chinese value, and wv_answer(s) for answers (A-D, 是/否, 好/一般/差), are created by the loader
-- (warmvisits/build.py) from warmvisits/schema.py, the one list of accepted spellings.

-- A visit's item cells are loaded as answer_value; the few whose exported text is not an exact
-- answer spelling keep it in raw_visits._odd, a JSON object {"M1Q1": text, ...}
-- (warmvisits/build.py). This gives those texts as a map item_code -> text.
create or replace temp macro wv_odd_map(s) as json_transform(s, '"MAP(VARCHAR, VARCHAR)"');

-- whether a number in E-notation whose mantissa has `digits` after its point and whose exponent
-- is `e` still holds every digit of a whole number: at least e digits after the point, any more
-- being zeros
create or replace temp macro wv_whole_e(digits, e) as
    length(digits) >= e and ltrim(substr(digits, e + 1), '0') = '';

-- a code or phone number, also when Excel stored it as a number (3.41602101001E+11, 13812345678.0).
-- A loaded cell is trimmed already (warmvisits/build.py): a cell without '.', 'E' or 'e' is the
-- code as it is. A number in E-notation is read back only when it still holds every digit
-- (wv_whole_e): Excel shows a narrow column's 13912345678 as 1.39E+10 and a CSV saved from it
-- keeps only that; 13900000000 would be a made-up number, so the text stays as exported (the
-- code's or phone's check then names it)
create or replace temp macro wv_code(s) as (
    case
        when s is null then null
        when not contains(s, '.') and not contains(s, 'E') and not contains(s, 'e') then s
        when regexp_full_match(s, '[0-9]+\.0+') then split_part(s, '.', 1)
        when regexp_full_match(s, '[0-9](\.[0-9]+)?[eE]\+?[0-9]+')
            and wv_whole_e(
                regexp_extract(s, '\.([0-9]+)', 1), regexp_extract(s, '([0-9]+)$', 1)::integer
            )
            then cast(cast(s as double) as hugeint)::varchar
        else s
    end
);

-- every date/time form of EXPORT-FORMAT.md, rounded to the second (half a second rounds up);
-- a year outside 1900-2099 is no date of this programme ('23/2/20', '0000-01-01')
create or replace temp macro wv_ts(s) as date_trunc(
    'second',
    coalesce(
        -- the digit forms with - or / (2023-02-20, 2023/2/20 14:03, 2023-02-20 14:03:05.6) take
        -- the fast path: DuckDB's own cast, once the pattern has ruled out what the cast would
        -- accept but the contract does not (mixed separators, UTC offsets, 24:00)
        case when regexp_full_match(
                s,
                '(19|20)[0-9]{2}(-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2})'
                || '( ([01]?[0-9]|2[0-3]):[0-5]?[0-9](:[0-5]?[0-9](\.[0-9]{1,6})?)?)?'
             )
             then try_cast(replace(s, '/', '-') as timestamp) end,
        -- the other forms; strptime's %Y would also take '23' as the year 23
        case when regexp_matches(trim(s), '^(19|20)[0-9]{2}[^0-9]') then try_strptime(trim(s), [
            '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d',
            '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d',
            '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H:%M', '%Y年%m月%d日',
            '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S.%g', '%Y-%m-%d %H:%M:%S.%f',
            '%Y/%m/%d %H:%M:%S.%g', '%Y/%m/%d %H:%M:%S.%f'
        ]) end
    ) + interval 500 millisecond
);

-- a date without a time of day (2023-02-20, 2023/2/20), the common form, is cast as it is:
-- rounding to the second cannot move it to another day
create or replace temp macro wv_date(s) as
    case when regexp_full_match(s, '(19|20)[0-9]{2}(-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2})')
        then try_cast(replace(s, '/', '-') as date)
        else cast(wv_ts(s) as date)
    end;

-- round / quarter: 2023Q1, 2023-Q1, 2023年第一季度, 2023年一季度 -> '2023Q1'. The two common
-- forms take a path of their own: the general one (upper, replace and extract) cost 0.6 s a
-- file of 370,000 visits written 2023年第二季度, the second path a tenth of that
create or replace temp macro wv_round(s) as (
    case
        when regexp_full_match(s, '[0-9]{4}Q[1-4]') then s
        when regexp_full_match(s, '[0-9]{4}年第[1-4一二三四]季度') then left(s, 4) || 'Q' || (
            case substr(s, 7, 1) when '一' then '1' when '二' then '2' when '三' then '3'
                when '四' then '4' else substr(s, 7, 1) end
        )
        when regexp_full_match(
            upper(regexp_replace(trim(s), '\s', '', 'g')),
            '([0-9]{4})(-|年)?(Q[1-4]|第?[1-4一二三四]季度?)'
        )
        then regexp_extract(trim(s), '^([0-9]{4})', 1) || 'Q' || translate(
            regexp_extract(upper(regexp_replace(trim(s), '\s', '', 'g')), '([1-4一二三四])季?度?$', 1),
            '一二三四', '1234'
        )
    end
);

-- an integer cell ('3', '3.0')
create or replace temp macro wv_int(s) as (
    -- a whole number only: a cast would round 2.5 to 3 (wv_code already made 3.0 into 3)
    case when regexp_full_match(wv_code(s), '[+-]?[0-9]+') then try_cast(wv_code(s) as integer) end
);

-- a list cell split by 、 ; ；
create or replace temp macro wv_list(s) as (
    case when s is null then []::varchar[] else
    list_filter(list_transform(regexp_split_to_array(s, '[、;；]'), lambda x: trim(x)), lambda x: x <> '')
    end
);

-- a mobile (11 digits) or a 0558- landline
create or replace temp macro wv_phone_ok(p) as
    regexp_full_match(p, '1[0-9]{10}') or regexp_full_match(p, '0558-?[0-9]{7,8}');

-- Supersession, before validation. Input: a staging table with _rid, _key, _file, _sheet, _row
-- and _parsed (the row's parsed values). Output: every row (without _parsed) with _state =
--   'duplicate'  the key appeared earlier in the same table (file + sheet): a reject;
--   'winner'     the row that stands for its key (from the file whose name sorts last);
--   'same'       an older file's row equal to the winner once parsed: collapses;
--   'superseded' an older file's row that differs from the winner: listed in the report;
--   'nokey'      the key is blank: validation rejects it.
-- Only rows whose key repeats are ranked; their states are joined back on _rid, so the table
-- is read four times but copied once. Staging that is costly to compute is materialised
-- before it is passed here, with _parsed as a view over it (households, cases): wv_resolve
-- reads _parsed only for the rows whose key repeats. The repeated keys are found among the rows whose
-- key's hash repeats: grouping four million 64-bit hashes costs less than grouping the
-- strings, and a hash shared by two different keys only makes a candidate that the second
-- grouping, of the candidates' keys, drops.
create or replace temp macro wv_resolve(tbl) as table
with repeated_hashes as (
    select h
    from (select hash(_key) as h from query_table(tbl) where _key is not null)
    group by h having count(*) > 1
),
repeated as (
    select _key from query_table(tbl)
    where _key is not null and hash(_key) in (select h from repeated_hashes)
    group by _key having count(*) > 1
),
ranked as (
    select t._rid, t._file, t._sheet, t._key, t._row, t._parsed,
        row_number() over (partition by t._file, t._sheet, t._key order by t._row) as _nth
    from query_table(tbl) t semi join repeated r on r._key = t._key
),
firsts as (
    select _rid, _parsed,
        row_number() over w as _rank,
        first(_file) over w as _winner_file,
        first(_parsed) over w as _winner_parsed
    from ranked
    where _nth = 1
    window w as (partition by _key order by _file desc, _sheet desc nulls last, _row)
),
states as (
    select _rid, _winner_file,
        case when _rank = 1 then 'winner'
             when _parsed is not distinct from _winner_parsed then 'same'
             else 'superseded' end as _state
    from firsts
    union all
    select _rid, null, 'duplicate' from ranked where _nth > 1
)
select t.* exclude (_parsed), s._winner_file,
    coalesce(s._state, case when t._key is null then 'nokey' else 'winner' end) as _state
from query_table(tbl) t left join states s on s._rid = t._rid;

create or replace temp table rejects_acc (
    kind varchar, file varchar, sheet varchar, row_number bigint, rule varchar, raw_values varchar
);
create or replace temp table warnings_acc (
    kind varchar, file varchar, sheet varchar, row_number bigint, rule varchar, detail varchar
);
create or replace temp table superseded_acc (kind varchar, key varchar, file varchar, by_file varchar);
