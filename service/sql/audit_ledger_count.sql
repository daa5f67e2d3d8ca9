SELECT count(*)
  FROM ledger
 WHERE (CAST(:from_at AS timestamptz) IS NULL OR at >= :from_at)
   AND (CAST(:to_at AS timestamptz) IS NULL OR at <= :to_at)
   AND (CAST(:park AS text) IS NULL OR coalesce((delta_parks ->> :park)::float8, 0) <> 0);
