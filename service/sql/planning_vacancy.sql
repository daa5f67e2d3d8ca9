-- Vacant floor of the standard factory buildings, floor by floor (service/planning/vacancy.py):
-- each floor's area is the building's floor area over its storeys; the leases in force on
-- :on_date (default today; the function lease_in_force_on says when a lease is) occupy it;
-- vacant = floor area - leased. The buildings with at least one floor that matches, as a
-- GeoJSON FeatureCollection text in EPSG:4326, each with its matching floors and their
-- leases; the building with the most vacant matching floor first.
-- {where} filters fb (factory_building); {lease_where} and {floor_where} pick the floors
-- (fl: one row per floor); :first_floor and :last_floor bound the floors looked at.
WITH b AS (
    SELECT fb.* FROM factory_building fb WHERE TRUE {where}
), leased AS (
    SELECT l.building_code, l.floor, sum(l.leased_m2) AS leased_m2
      FROM lease l JOIN b USING (building_code)
     WHERE lease_in_force_on(l.start_date, l.end_date,
                             coalesce(CAST(:on_date AS date), current_date))
       {lease_where}
     GROUP BY l.building_code, l.floor
), matching AS MATERIALIZED (
    SELECT fl.*
      FROM (
            SELECT b.building_code, s.floor, b.floor_area_m2 / b.storeys AS floor_area_m2,
                   coalesce(l.leased_m2, 0) AS leased_m2,
                   b.floor_area_m2 / b.storeys - coalesce(l.leased_m2, 0) AS vacant_m2
              FROM b
              CROSS JOIN LATERAL generate_series(
                    CAST(:first_floor AS int), least(b.storeys, CAST(:last_floor AS int))
                   ) AS s(floor)
              LEFT JOIN leased l ON l.building_code = b.building_code AND l.floor = s.floor
           ) fl
     WHERE TRUE {floor_where}
), building AS (
    -- the whole building's figures, for the buildings listed
    SELECT b.building_code, coalesce(sum(l.leased_m2), 0) AS leased_m2,
           b.floor_area_m2 - coalesce(sum(l.leased_m2), 0) AS vacant_m2
      FROM b
      LEFT JOIN lease l
        ON l.building_code = b.building_code
       AND lease_in_force_on(l.start_date, l.end_date,
                             coalesce(CAST(:on_date AS date), current_date))
     WHERE b.building_code IN (SELECT building_code FROM matching)
     GROUP BY b.building_code, b.floor_area_m2
), floors AS (
    -- a matching floor's leases: the index on lease (building_code, floor) finds them
    SELECT m.building_code, max(m.vacant_m2) AS best_m2,
           json_agg(json_build_object(
             'floor', m.floor,
             'floor_area_m2', round(m.floor_area_m2::numeric, 2),
             'leased_m2', round(m.leased_m2::numeric, 2),
             'vacant_m2', round(m.vacant_m2::numeric, 2),
             'leases', (
                 SELECT coalesce(json_agg(json_build_object(
                          'lease_id', l.lease_id,
                          'tenant', l.tenant,
                          'leased_m2', round(l.leased_m2::numeric, 2),
                          'start_date', l.start_date,
                          'end_date', l.end_date) ORDER BY l.lease_id), '[]'::json)
                   FROM lease l
                  WHERE l.building_code = m.building_code AND l.floor = m.floor
                    AND lease_in_force_on(l.start_date, l.end_date,
                                          coalesce(CAST(:on_date AS date), current_date)))
           ) ORDER BY m.floor) AS floors
      FROM matching m
     GROUP BY m.building_code
)
SELECT json_build_object(
         'type', 'FeatureCollection',
         'numberReturned', count(*),
         'floorsReturned', coalesce(sum(json_array_length(f.floors)), 0),
         'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'id', b.building_code,
           'geometry', ST_AsGeoJSON(ST_Transform(b.footprint, 4326), :precision)::json,
           'properties', json_build_object(
             'building_code', b.building_code,
             'park', b.park,
             'parcel_code', b.parcel_code,
             'name', b.name,
             'storeys', b.storeys,
             'floor_area_m2', round(b.floor_area_m2::numeric, 2),
             'leased_m2', round(t.leased_m2::numeric, 2),
             'vacant_m2', round(t.vacant_m2::numeric, 2),
             'floors', f.floors)
         ) ORDER BY f.best_m2 DESC, b.building_code COLLATE "C"), '[]'::json)
       )::text
  FROM floors f
  JOIN building t USING (building_code)
  JOIN b USING (building_code);
