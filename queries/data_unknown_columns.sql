-- Columns of export files that match no known column of their kind (ignored by the build).
-- Parameters: none. One row per (file, sheet, column).
select file, sheet, kind, column_name
from unknown_columns
order by file, sheet, column_name
