-- The evaluation's map layer: the parcels the graded enterprises held at :at, each with
-- its holder's grade, as a GeoJSON FeatureCollection in EPSG:4326 (RFC 7946).
--   :codes, :names, :groups, :grades, :scores, :ranks   the graded enterprises (parallel)
--   :low_codes, :low_reasons   low-efficiency parcels and their reasons (comma-joined)
--   :park   only this park's parcels (NULL: every park)
WITH graded AS (
    SELECT * FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]),
                         CAST(:groups AS text[]), CAST(:grades AS text[]),
                         CAST(:scores AS double precision[]), CAST(:ranks AS integer[]))
           AS g(enterprise_code, name, grp, grade, score, rank)
), low AS (
    SELECT * FROM unnest(CAST(:low_codes AS text[]), CAST(:low_reasons AS text[]))
           AS l(parcel_code, reasons)
), parcel AS (
    SELECT v.parcel_code, v.park, v.holder, v.land_use_code, v.status, v.area_m2, v.geom,
           g.enterprise_code, g.grp, g.grade, g.score, g.rank
      FROM graded g
      JOIN parcel_version v
        ON v.holder = g.name
       AND v.valid_from <= CAST(:at AS timestamptz)
       AND (v.valid_to IS NULL OR v.valid_to > CAST(:at AS timestamptz))
     WHERE CAST(:park AS text) IS NULL OR v.park = CAST(:park AS text)
)
SELECT json_build_object(
         'type', 'FeatureCollection',
         'numberReturned', count(*),
         'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'id', p.parcel_code,
           'geometry', ST_AsGeoJSON(ST_Transform(p.geom, 4326), :precision)::json,
           'properties', json_build_object(
             'parcel_code', p.parcel_code,
             'park', p.park,
             'holder', p.holder,
             'land_use_code', p.land_use_code,
             'status', p.status,
             'area_m2', round(CAST(p.area_m2 AS numeric), 2),
             'area_mu', round(CAST(m2_to_mu(p.area_m2) AS numeric), 4),
             'enterprise_code', p.enterprise_code,
             'group', p.grp,
             'grade', p.grade,
             'score', p.score,
             'rank', p.rank,
             'low_efficiency', coalesce(to_json(string_to_array(l.reasons, ',')), '[]'::json))
         ) ORDER BY p.parcel_code), '[]'::json)
       )::text
  FROM parcel p
  LEFT JOIN low l ON l.parcel_code = p.parcel_code
