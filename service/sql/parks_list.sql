-- Every park with its area, parcel count and manufacturing land (current parcels).
SELECT p.code, p.name_zh, p.name_en,
       round(p.area_m2::numeric, 2) AS area_m2,
       count(v.version_id) AS parcels,
       round(coalesce(sum(v.area_m2) FILTER (WHERE c.is_manufacturing), 0)::numeric, 2)
         AS manufacturing_m2
  FROM park p
  LEFT JOIN parcel_version v ON v.park = p.code AND v.valid_to IS NULL
  LEFT JOIN land_use_class c ON c.code = v.land_use_code
 GROUP BY p.code
 ORDER BY p.code;
