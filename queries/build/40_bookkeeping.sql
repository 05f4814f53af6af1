-- Build step 40: what the build report reads: rejects (rows kept out, with the rule broken and
-- the raw cells), warnings (rows kept, with what was changed) and superseded keys.

create table rejects as
select kind, file, sheet, row_number, rule, raw_values from rejects_acc
order by kind, file, sheet, row_number;

create table warnings as
select kind, file, sheet, row_number, rule, detail from warnings_acc
order by kind, file, sheet, row_number, rule, detail;

create table superseded as
select distinct kind, key, file, by_file from superseded_acc order by kind, key, file;
