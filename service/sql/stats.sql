-- Key figures per park: current parcels, buildings with the leases in force today (the view
-- lease_in_force), projects.
WITH parcels AS (
    SELECT v.park, count(*) AS parcels, sum(v.area_m2) AS area_m2,
           coalesce(sum(v.area_m2) FILTER (WHERE c.is_manufacturing), 0) AS manufacturing_m2,
           coalesce(sum(v.area_m2) FILTER (WHERE v.status = 'reserve'), 0) AS reserve_m2,
           coalesce(sum(v.area_m2) FILTER (WHERE v.status = 'ready'), 0) AS ready_m2
      FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code
     WHERE v.valid_to IS NULL
     GROUP BY v.park
), by_class AS (
    SELECT park, json_object_agg(land_use_code, round(area_m2::numeric, 2)
                                 ORDER BY land_use_code) AS area_by_class
      FROM (SELECT park, land_use_code, sum(area_m2) AS area_m2 FROM parcel_version
             WHERE valid_to IS NULL GROUP BY park, land_use_code) x
     GROUP BY park
), leased AS (
    SELECT building_code, sum(leased_m2) AS leased_m2 FROM lease_in_force
     GROUP BY building_code
), floor AS (
    SELECT b.park, count(*) AS buildings, sum(b.floor_area_m2) AS floor_m2,
           sum(b.floor_area_m2 - coalesce(l.leased_m2, 0)) AS vacant_m2
      FROM factory_building b LEFT JOIN leased l USING (building_code)
     GROUP BY b.park
), projects AS (
    SELECT park, json_object_agg(status, n ORDER BY status) AS projects_by_status
      FROM (SELECT park, status, count(*) AS n FROM project GROUP BY park, status) x
     GROUP BY park
)
SELECT p.code AS park, p.name_zh, p.name_en,
       coalesce(pa.parcels, 0) AS parcels,
       coalesce(pa.area_m2, 0) AS area_m2,
       coalesce(pa.manufacturing_m2, 0) AS manufacturing_m2,
       coalesce(pa.reserve_m2, 0) AS reserve_m2,
       coalesce(pa.ready_m2, 0) AS ready_m2,
       coalesce(f.buildings, 0) AS factory_buildings,
       coalesce(f.floor_m2, 0) AS factory_floor_m2,
       coalesce(f.vacant_m2, 0) AS factory_vacant_m2,
       coalesce(bc.area_by_class, '{}'::json) AS area_by_class,
       coalesce(pr.projects_by_status, '{}'::json) AS projects_by_status
  FROM park p
  LEFT JOIN parcels pa ON pa.park = p.code
  LEFT JOIN by_class bc ON bc.park = p.code
  LEFT JOIN floor f ON f.park = p.code
  LEFT JOIN projects pr ON pr.park = p.code
 WHERE TRUE {where}
 ORDER BY p.code;
