-- Build step 18: case_visits, one row per (case_id, visit_id) link of a clean case to a loaded
-- visit. A link to a visit that was not loaded is a warning (unknown_visit_link); the case is
-- kept. Reads case_links (build step 14) and visit_rows (build step 13): it runs once both
-- are written.

-- the linked visit ids that were loaded: one scan of the four million visits, for both
-- statements below
create or replace temp table linked_loaded as
select distinct v.visit_id
from visit_rows v semi join case_links l on l.visit_id = v.visit_id;

insert into warnings_acc
select 'cases', l._file, l._sheet, l._row, 'unknown_visit_link', '关联走访编号=' || l.visit_id
from case_links l anti join linked_loaded v on v.visit_id = l.visit_id;

create table case_visits as
select distinct l.case_id, l.visit_id
from case_links l semi join linked_loaded v on v.visit_id = l.visit_id
order by l.case_id, l.visit_id;

drop table linked_loaded;
drop table case_links;
