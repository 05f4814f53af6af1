-- The current build's bookkeeping: build_id, built_at, exports_dir, is_demo, version.
-- Parameters: none. One row per key.
select key, value
from build_info
order by key
