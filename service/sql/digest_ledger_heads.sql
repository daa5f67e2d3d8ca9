-- The figures a digest signs of each ledger row in :seqs (its head): hash, time, city and
-- per-park totals and high-water marks, and the row format (1 where the ledger has no
-- row_format column: read through the row's JSON, so this runs before and after it).
SELECT l.seq, l.hash, l.at, l.total_city_m2, l.high_water_city_m2, l.total_parks,
       l.high_water_parks, coalesce((to_jsonb(l) ->> 'row_format')::int, 1) AS row_format
  FROM ledger l
 WHERE l.seq = ANY(CAST(:seqs AS bigint[]))
 ORDER BY l.seq;
