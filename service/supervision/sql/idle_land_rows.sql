-- The idle-land list as rows: the listed contracts are sql/idle_land.sql (its parameters,
-- put in by service/supervision/idle.py); idle_2y first, then by days on the clock, most
-- first.
SELECT l.*
  FROM ({listed}) l
 ORDER BY l.stage_rank, l.days_on_clock DESC, l.contract_no;
