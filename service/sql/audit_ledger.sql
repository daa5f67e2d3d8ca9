-- Ledger rows in a time window (and, with :park, those that moved that park's land).
SELECT seq, at, actor, change_set_id, kind, document_no, delta_city_m2, total_city_m2,
       high_water_city_m2, delta_parks, total_parks, prev_hash, hash
  FROM ledger
 WHERE (CAST(:from_at AS timestamptz) IS NULL OR at >= :from_at)
   AND (CAST(:to_at AS timestamptz) IS NULL OR at <= :to_at)
   AND (CAST(:park AS text) IS NULL OR coalesce((delta_parks ->> :park)::float8, 0) <> 0)
 ORDER BY seq
 LIMIT :limit OFFSET :offset;
