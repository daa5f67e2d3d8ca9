-- Parcel codes of the file that belonged to a parcel no longer standing (retired, split
-- or merged away): codes are not reused. With when the last version ended.
SELECT f.row_no, f.parcel_code, h.ended_at
  FROM import_stage f
  JOIN (SELECT parcel_code, max(valid_to) AS ended_at, bool_or(valid_to IS NULL) AS standing
          FROM parcel_version
         WHERE parcel_code IN (SELECT parcel_code FROM import_stage
                                WHERE parcel_code IS NOT NULL)
         GROUP BY parcel_code) h ON h.parcel_code = f.parcel_code
 WHERE NOT h.standing
 ORDER BY f.row_no;
