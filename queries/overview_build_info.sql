-- What build is this? The build_info key/value pairs (build_id, built_at, is_demo, ...).
-- No parameters.
select key, value
from build_info
order by key
