-- What each export file (and sheet) of the build was recognised as, with rows loaded,
-- rows rejected and the reason when the file could not be read.
-- Parameters: none. One row per file and sheet.
select path, sheet, kind, rows as n_rows, rejected as n_rejected, error
from build_files
order by path, sheet
