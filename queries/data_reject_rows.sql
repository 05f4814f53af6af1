-- The rejected rows of one kind that broke one rule, as a person finds them in the export
-- (file, sheet, Excel row number) with their raw cells (JSON text).
-- Parameters: $kind (e.g. 'households'), $rule (e.g. 'bad_code'). One row per rejected row.
select file, sheet, row_number, rule, raw_values
from rejects
where kind = $kind and rule = $rule
order by file, sheet, row_number
