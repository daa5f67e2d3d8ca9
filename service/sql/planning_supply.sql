-- Land supplied in one year (service/planning/supply.py), by park, class and mode.
-- A supply event is the first version of a parcel that carries a given supplied_on (a
-- supply operation's date, or the loaded data's); later versions with the same date are
-- the same supply, and so are the parts of a split (they inherit their parent's date) and
-- the result of a merge of parcels supplied on one date (it keeps the date).
-- Its park, class, mode and area are those of that first version (planar m², storage CRS).
WITH firsts AS (
    SELECT DISTINCT ON (v.parcel_code, v.supplied_on)
           v.parcel_code, v.park, v.land_use_code, v.supply_mode, v.supplied_on, v.area_m2
      FROM parcel_version v
     WHERE v.supplied_on >= :first_day AND v.supplied_on < :next_first_day {where}
     ORDER BY v.parcel_code, v.supplied_on, v.valid_from, v.version_id
), events AS (
    SELECT f.*
      FROM firsts f
     WHERE NOT EXISTS (
           SELECT 1
             FROM parcel_lineage l
             JOIN parcel_version p ON p.parcel_code = l.parent_code
            WHERE l.child_code = f.parcel_code AND p.supplied_on = f.supplied_on)
)
SELECT e.park, e.land_use_code, coalesce(e.supply_mode, 'unknown') AS supply_mode,
       c.name_zh AS class_name_zh, c.name_en AS class_name_en,
       c.is_manufacturing,
       count(*) AS parcels, sum(e.area_m2) AS area_m2
  FROM events e
  JOIN land_use_class c ON c.code = e.land_use_code
 GROUP BY e.park, e.land_use_code, coalesce(e.supply_mode, 'unknown'), c.name_zh, c.name_en,
          c.is_manufacturing
 ORDER BY e.park, e.land_use_code, 3;
