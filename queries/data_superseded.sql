-- Keys found in several export files with differing rows: the file whose name sorts last won.
-- Parameters: none. One row per superseded (kind, key, file).
select kind, key, file, by_file as superseded_by
from superseded
order by kind, key, file
