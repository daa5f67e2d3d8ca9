-- Leases that don't fit their building: a floor the building doesn't have, or a floor let
-- beyond its area at some moment (checked at every lease's start, when the most is let).
SELECT format('lease %s: floor %s of building %s, which has %s storeys', l.lease_id, l.floor,
              l.building_code, b.storeys) AS problem
  FROM lease l JOIN factory_building b USING (building_code)
 WHERE l.floor > b.storeys
UNION ALL
SELECT format('building %s floor %s is let %s m² on %s, more than its %s m²', l.building_code,
              l.floor, round(sum(o.leased_m2)::numeric, 2), l.start_date,
              round((b.floor_area_m2 / b.storeys)::numeric, 2))
  FROM lease l
  JOIN factory_building b USING (building_code)
  JOIN lease o ON o.building_code = l.building_code AND o.floor = l.floor
              AND o.start_date <= l.start_date
              AND (o.end_date IS NULL OR o.end_date >= l.start_date)
 GROUP BY l.lease_id, l.building_code, l.floor, l.start_date, b.floor_area_m2, b.storeys
HAVING sum(o.leased_m2) > b.floor_area_m2 / b.storeys + :tolerance
 LIMIT 100;
