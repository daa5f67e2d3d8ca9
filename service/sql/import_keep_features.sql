-- Keep the staged features of an import in import_feature with the dry run's verdicts
-- (given as arrays by row: verdict, change kinds joined by commas, skipped).
INSERT INTO import_feature (import_id, row_no, parcel_code, park, land_use_code, status,
                            holder, supply_mode, supplied_on, declared_area_m2, geom,
                            verdict, kinds, skipped)
SELECT :import_id, s.row_no, s.parcel_code, s.park, s.land_use_code, s.status, s.holder,
       s.supply_mode, s.supplied_on, s.declared_area_m2, s.geom,
       u.verdict,
       CASE WHEN coalesce(u.kinds, '') = '' THEN '{}'::text[]
            ELSE string_to_array(u.kinds, ',') END,
       coalesce(u.skipped, false)
  FROM import_stage s
  LEFT JOIN unnest(CAST(:rows AS int[]), CAST(:verdicts AS text[]), CAST(:kinds AS text[]),
                   CAST(:skipped AS boolean[])) AS u(row_no, verdict, kinds, skipped)
         ON u.row_no = s.row_no
 ORDER BY s.row_no;
