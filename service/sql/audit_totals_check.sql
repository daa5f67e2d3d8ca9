-- The record "as of" totals are answered from (totals_effect, totals_snapshot), checked
-- against the parcel versions alone: each change set's effect per (park, class, status) is
-- re-derived from the versions (+ the versions it made, - those it ended) and dated by its
-- change set, then
--   'effect'    rows: where totals_effect differs from it (a row missing on either side
--               counts as zero; the date must be the change set's);
--   'snapshot'  rows: where a snapshot differs from the re-derived effects dated at or
--               before its cut, added up;
--   'expected'  rows: the totals so re-derived as of each of :moments (groups that hold
--               parcels), for the caller to compare with the answers of audit_totals.sql.
-- One pass over parcel_version. Each moment's totals are the running sums of the effects
-- bucketed by the first moment at or after their date (width_bucket counts the moments at
-- or before a date).
WITH recomputed AS MATERIALIZED (
    SELECT d.change_set_id, d.park, d.land_use_code, d.status, c.committed_at AS at,
           sum(d.n) AS parcels, sum(d.a) AS area_m2
      FROM (SELECT change_set_id, park, land_use_code, status, 1 AS n, area_m2 AS a
              FROM parcel_version
            UNION ALL
            SELECT ended_by_change_set_id, park, land_use_code, status, -1, -area_m2
              FROM parcel_version WHERE ended_by_change_set_id IS NOT NULL) d
      LEFT JOIN change_set c ON c.id = d.change_set_id
     GROUP BY d.change_set_id, d.park, d.land_use_code, d.status, c.committed_at
), effect_problems AS (
    SELECT 'effect'::text AS kind, change_set_id, NULL::timestamptz AS at, park,
           land_use_code, status,
           coalesce(r.parcels, 0)::bigint AS expected_parcels,
           coalesce(r.area_m2, 0)::float8 AS expected_area_m2, r.at AS expected_at,
           coalesce(e.parcels_delta, 0)::bigint AS found_parcels,
           coalesce(e.area_delta_m2, 0)::float8 AS found_area_m2, e.at AS found_at
      FROM (SELECT *, true AS present FROM recomputed
             WHERE parcels <> 0 OR abs(area_m2) > :tolerance) r
      FULL JOIN totals_effect e USING (change_set_id, park, land_use_code, status)
     WHERE coalesce(r.parcels, 0) <> coalesce(e.parcels_delta, 0)
        OR abs(coalesce(r.area_m2, 0) - coalesce(e.area_delta_m2, 0)::float8) > :tolerance
        OR (r.present AND e.at IS NOT NULL AND r.at IS DISTINCT FROM e.at)
     ORDER BY change_set_id, park, land_use_code, status
     LIMIT :limit
), cuts AS (
    SELECT DISTINCT cut_at, change_set_id FROM totals_snapshot
), points AS (
    SELECT array_agg(m ORDER BY m) AS ms
      FROM (SELECT cut_at AS m FROM cuts
            UNION
            SELECT unnest(CAST(:moments AS timestamptz[]))) x
), bucketed AS (
    SELECT r.park, r.land_use_code, r.status,
           b.w + CASE WHEN b.w > 0 AND p.ms[b.w] = r.at THEN 0 ELSE 1 END AS k,
           sum(r.parcels) AS n, sum(r.area_m2) AS a
      FROM recomputed r
     CROSS JOIN points p
     CROSS JOIN LATERAL (SELECT width_bucket(r.at, p.ms) AS w) b
     WHERE r.at IS NOT NULL AND p.ms IS NOT NULL
     GROUP BY 1, 2, 3, 4
), grid AS (
    SELECT g.park, g.land_use_code, g.status, u.k, u.m
      FROM (SELECT DISTINCT park, land_use_code, status FROM bucketed) g
     CROSS JOIN points p
     CROSS JOIN LATERAL unnest(p.ms) WITH ORDINALITY AS u(m, k)
), running AS (
    SELECT g.m, g.park, g.land_use_code, g.status,
           sum(coalesce(b.n, 0)) OVER w AS parcels, sum(coalesce(b.a, 0)) OVER w AS area_m2
      FROM grid g
      LEFT JOIN bucketed b USING (park, land_use_code, status, k)
    WINDOW w AS (PARTITION BY g.park, g.land_use_code, g.status ORDER BY g.k)
), snapshot_problems AS (
    SELECT 'snapshot'::text AS kind, coalesce(s.change_set_id, x.change_set_id) AS change_set_id,
           coalesce(s.cut_at, x.m) AS at, coalesce(s.park, x.park) AS park,
           coalesce(s.land_use_code, x.land_use_code) AS land_use_code,
           coalesce(s.status, x.status) AS status,
           coalesce(x.parcels, 0)::bigint AS expected_parcels,
           coalesce(x.area_m2, 0)::float8 AS expected_area_m2, NULL::timestamptz AS expected_at,
           coalesce(s.parcels, 0)::bigint AS found_parcels,
           coalesce(s.area_m2, 0)::float8 AS found_area_m2, NULL::timestamptz AS found_at
      FROM (SELECT r.*, c.change_set_id FROM running r JOIN cuts c ON c.cut_at = r.m) x
      FULL JOIN totals_snapshot s
        ON s.cut_at = x.m AND s.park = x.park AND s.land_use_code = x.land_use_code
       AND s.status = x.status
     WHERE coalesce(x.parcels, 0) <> coalesce(s.parcels, 0)
        OR abs(coalesce(x.area_m2, 0) - coalesce(s.area_m2, 0)::float8) > :tolerance
     ORDER BY 3, 4, 5, 6
     LIMIT :limit
), expected AS (
    SELECT 'expected'::text AS kind, NULL::bigint AS change_set_id, m AS at, park,
           land_use_code, status, parcels::bigint AS expected_parcels,
           area_m2::float8 AS expected_area_m2, NULL::timestamptz AS expected_at,
           NULL::bigint AS found_parcels, NULL::float8 AS found_area_m2,
           NULL::timestamptz AS found_at
      FROM running
     WHERE m = ANY (CAST(:moments AS timestamptz[])) AND parcels <> 0
)
SELECT * FROM effect_problems
UNION ALL
SELECT * FROM snapshot_problems
UNION ALL
SELECT * FROM expected;
